#!/usr/bin/env bash
# Configures and builds ropecheck in ./build (Release). Warnings are errors when CI is set.
set -euo pipefail
cd "$(dirname "$0")/.."
werror=OFF
if [ -n "${CI:-}" ]; then werror=ON; fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DROPECHECK_WERROR="$werror" >/dev/null
cmake --build build -j "$(nproc)"
