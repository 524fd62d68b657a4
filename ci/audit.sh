#!/usr/bin/env bash
# The main job of the README: installs what is missing, builds, and runs the default audit.
# Extra arguments go to `ropecheck audit` (e.g. --preset qwen2.5-7b-yarn --out DIR); with none it
# writes the report, CSV, JSON and plot to ./audit-out.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
bash ci/build.sh
if [ "$#" -eq 0 ]; then set -- --out audit-out; fi
./build/cli/ropecheck audit "$@"
