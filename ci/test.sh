#!/usr/bin/env bash
# The test command of the README: installs what is missing, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
bash ci/ggml.sh >/dev/null  # llama.cpp's ggml libraries for the real third-party kernel test
bash ci/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
# The parsers under libFuzzer for a short, bounded time, then the fast labels under ASan+UBSan.
bash ci/fuzz.sh
bash ci/sanitize.sh
