#!/usr/bin/env bash
# Installs ropecheck's dependencies (Debian 12 packages) when any is missing.
# As root it runs apt-get; otherwise it prints the exact install line and exits 2.
set -euo pipefail

packages=(
  g++ cmake make ninja-build pkg-config
  libeigen3-dev libboost-dev libmpfr-dev libgmp-dev
  libgtest-dev librapidcheck-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev
  python3 python3-mpmath python3-numpy python3-torch python3-onnx gnuplot-nox
  python3-dev pybind11-dev python3-pybind11 python3-pytest python3-hypothesis
  python3-setuptools python3-pip python3-venv
  clang-14 libclang-rt-14-dev
)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "ropecheck: this set-up script needs a Debian 12 (or derived) system with dpkg/apt." >&2
  echo "Install these packages' equivalents by hand: ${packages[*]}" >&2
  exit 2
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

# npm fetches llama.cpp's ggml libraries for the ggml adapter (ci/ggml.sh) and ONNX Runtime for
# its RotaryEmbedding test (ci/onnxruntime.sh, run by node). Any npm will do; a
# machine with Node.js from elsewhere already has one, so only ask Debian when there is none.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ropecheck: missing Debian packages. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 2
fi

echo "ropecheck: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
