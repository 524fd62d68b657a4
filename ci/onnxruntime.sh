#!/usr/bin/env bash
# Installs ONNX Runtime for the RotaryEmbedding golden-vector harness (kernels/adapters/onnxruntime):
# the npm package onnxruntime-node at a pinned version and integrity, with the machine's npm, into
# a cache directory (default .cache/onnxruntime; ROPECHECK_ORT_PREFIX overrides). Prints the
# shared library and, last, ROPECHECK_ORT_DIR=<node_modules directory> for the harness and its test.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/npm_pinned.sh

# ONNX Runtime 1.30.0: the com.microsoft contrib RotaryEmbedding and the ONNX opset-23 one.
package="onnxruntime-node"
version="1.30.0"
integrity="sha512-twhs1C2C/BFkz1yc5OY0KIU2GUq6DURO7hD4bx5Q2Qy3nAMJwRXW8xU3NVczE29VA9lolLOYepoD8fjTGOfIqw=="

prefix="${ROPECHECK_ORT_PREFIX:-.cache/onnxruntime}"
modules="$prefix/node_modules"
library="$modules/$package/bin/napi-v6/linux/x64/libonnxruntime.so.1"
npm_pinned_install ci/onnxruntime.sh "$prefix" "$package" "$version" "$integrity" "$library"

ls -1 "$library"
echo "ROPECHECK_ORT_DIR=$(cd "$modules" && pwd)"
