#!/usr/bin/env bash
# The test command of the README: installs what is missing, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
bash ci/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
