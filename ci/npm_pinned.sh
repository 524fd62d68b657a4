#!/usr/bin/env bash
# One function, sourced by ci/ggml.sh and ci/onnxruntime.sh: installs an npm package at a pinned
# version and integrity into a cache directory, with the machine's npm, once.
#   npm_pinned_install SCRIPT PREFIX PACKAGE VERSION INTEGRITY FILE
# FILE (a path inside PREFIX) must exist afterwards; the install is redone when it is missing or
# the stamp PREFIX/.installed names another version or integrity. SCRIPT names the caller in
# messages. Exits 2 without npm, 1 on an integrity mismatch or a missing FILE.
npm_pinned_install() {
  local script="$1" prefix="$2" package="$3" version="$4" integrity="$5" file="$6"
  local stamp="$prefix/.installed" got
  if [ -f "$file" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version $integrity" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "ropecheck: $script needs npm to fetch $package@$version (install nodejs/npm)" >&2
    exit 2
  fi
  rm -rf "$prefix"
  mkdir -p "$prefix"
  # --ignore-scripts: the packages are only data for ropecheck, and an install script may try to
  # download from outside the npm registry (onnxruntime-node's fetches GPU binaries).
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --ignore-scripts \
    "$package@$version" >&2
  got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packages"]["node_modules/" + sys.argv[2]]["integrity"])' \
        "$prefix/node_modules/.package-lock.json" "$package")
  if [ "$got" != "$integrity" ]; then
    echo "ropecheck: $package@$version has integrity $got, expected $integrity" >&2
    exit 1
  fi
  if [ ! -f "$file" ]; then
    echo "ropecheck: $package@$version has no $file" >&2
    exit 1
  fi
  echo "$version $integrity" >"$stamp"
}
