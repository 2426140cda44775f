#!/usr/bin/env bash
# Installs what a fresh machine lacks, then returns. Called by `npm start` and `npm test`.
#   scripts/setup.sh           node packages (npm ci when node_modules is missing or older than package-lock.json)
#   scripts/setup.sh --browser also Chromium (its SwiftShader runs WebGPU without a GPU), the Vulkan loader and
#                              Debian's PyTorch and NumPy (the reference the --export-torch tests run the exported
#                              script with, as /usr/bin/python3), through apt when run as root; otherwise prints the
#                              one command that installs them.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing node packages (npm ci)"
  npm ci --no-audit --no-fund
fi

if [ "${1:-}" = "--browser" ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' || missing+=(libvulkan1)
  /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || missing+=(python3-torch python3-numpy)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "setup: installing ${missing[*]} (apt)"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "setup: missing ${missing[*]}; install with:  sudo apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
fi
