#!/usr/bin/env bash
# Installs llama.cpp's ggml CPU libraries for the ggml adapter plugin: the npm package
# @node-llama-cpp/linux-x64 at a pinned version and integrity, with the machine's npm, into a
# cache directory (default .cache/ggml; ROPECHECK_GGML_PREFIX overrides). Prints the library
# paths and, last, ROPECHECK_GGML_DIR=<directory> for the adapter and its test.
set -euo pipefail
cd "$(dirname "$0")/.."

# ggml 0.25.1 (llama.cpp commit 0ad4a86), as the adapter's declarations (ggml_api.h) expect.
package="@node-llama-cpp/linux-x64"
version="3.22.1"
integrity="sha512-5uCCDNqWCNfaAm8aR/Uzxbo4HBpKgNF91kCHPepKhgMgV2OAmatoefbOlMihsqCiH2Od35E/eUHQCFbfRBJuOg=="

prefix="${ROPECHECK_GGML_PREFIX:-.cache/ggml}"
libdir="$prefix/node_modules/$package/bins/linux-x64"
stamp="$prefix/.installed"

if [ ! -f "$libdir/libggml-base.so" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$version $integrity" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "ropecheck: ci/ggml.sh needs npm to fetch $package@$version (install nodejs/npm)" >&2
    exit 2
  fi
  rm -rf "$prefix"
  mkdir -p "$prefix"
  # --ignore-scripts: the package is only data for us; nothing of it runs at install time.
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --ignore-scripts \
    "$package@$version" >&2
  got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packages"]["node_modules/" + sys.argv[2]]["integrity"])' \
        "$prefix/node_modules/.package-lock.json" "$package")
  if [ "$got" != "$integrity" ]; then
    echo "ropecheck: $package@$version has integrity $got, expected $integrity" >&2
    exit 1
  fi
  echo "$version $integrity" >"$stamp"
fi

ls -1 "$libdir"/libggml-base.so "$libdir"/libggml-cpu-*.so
echo "ROPECHECK_GGML_DIR=$(cd "$libdir" && pwd)"
