#!/usr/bin/env bash
# Installs llama.cpp's ggml CPU libraries for the ggml adapter plugin: the npm package
# @node-llama-cpp/linux-x64 at a pinned version and integrity, with the machine's npm, into a
# cache directory (default .cache/ggml; ROPECHECK_GGML_PREFIX overrides). Prints the library
# paths and, last, ROPECHECK_GGML_DIR=<directory> for the adapter and its test.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/npm_pinned.sh

# ggml 0.25.1 (llama.cpp commit 0ad4a86), as the adapter's declarations (ggml_api.h) expect.
package="@node-llama-cpp/linux-x64"
version="3.22.1"
integrity="sha512-5uCCDNqWCNfaAm8aR/Uzxbo4HBpKgNF91kCHPepKhgMgV2OAmatoefbOlMihsqCiH2Od35E/eUHQCFbfRBJuOg=="

prefix="${ROPECHECK_GGML_PREFIX:-.cache/ggml}"
libdir="$prefix/node_modules/$package/bins/linux-x64"
npm_pinned_install ci/ggml.sh "$prefix" "$package" "$version" "$integrity" "$libdir/libggml-base.so"

ls -1 "$libdir"/libggml-base.so "$libdir"/libggml-cpu-*.so
echo "ROPECHECK_GGML_DIR=$(cd "$libdir" && pwd)"
