#!/usr/bin/env bash
# Installs ONNX Runtime for the RotaryEmbedding golden-vector harness (kernels/adapters/onnxruntime):
# the npm package onnxruntime-node at a pinned version and integrity, with the machine's npm, into
# a cache directory (default .cache/onnxruntime; ROPECHECK_ORT_PREFIX overrides). Prints the
# shared library and, last, ROPECHECK_ORT_DIR=<node_modules directory> for the harness and its test.
set -euo pipefail
cd "$(dirname "$0")/.."

# ONNX Runtime 1.30.0: the com.microsoft contrib RotaryEmbedding and the ONNX opset-23 one.
package="onnxruntime-node"
version="1.30.0"
integrity="sha512-twhs1C2C/BFkz1yc5OY0KIU2GUq6DURO7hD4bx5Q2Qy3nAMJwRXW8xU3NVczE29VA9lolLOYepoD8fjTGOfIqw=="

prefix="${ROPECHECK_ORT_PREFIX:-.cache/onnxruntime}"
modules="$prefix/node_modules"
library="$modules/$package/bin/napi-v6/linux/x64/libonnxruntime.so.1"
stamp="$prefix/.installed"

if [ ! -f "$library" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$version $integrity" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "ropecheck: ci/onnxruntime.sh needs npm to fetch $package@$version (install nodejs/npm)" >&2
    exit 2
  fi
  rm -rf "$prefix"
  mkdir -p "$prefix"
  # --ignore-scripts: the package's install script would download GPU binaries from outside the
  # npm registry; the CPU library it needs ships inside the package itself.
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --ignore-scripts \
    "$package@$version" >&2
  got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packages"]["node_modules/" + sys.argv[2]]["integrity"])' \
        "$modules/.package-lock.json" "$package")
  if [ "$got" != "$integrity" ]; then
    echo "ropecheck: $package@$version has integrity $got, expected $integrity" >&2
    exit 1
  fi
  if [ ! -f "$library" ]; then
    echo "ropecheck: $package@$version has no $library" >&2
    exit 1
  fi
  echo "$version $integrity" >"$stamp"
fi

ls -1 "$library"
echo "ROPECHECK_ORT_DIR=$(cd "$modules" && pwd)"
