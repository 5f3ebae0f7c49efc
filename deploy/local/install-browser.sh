#!/usr/bin/env bash
# Installs the browser the console's Playwright tests drive: Debian's Chromium at /usr/bin/chromium.
# Idempotent: does nothing when /usr/bin/chromium exists. Needs root (or sudo) for apt-get.
# Playwright's own browser download is not used: the tests launch this executable.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "==> chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: /usr/bin/chromium is missing and apt-get is not available; install Chromium by hand" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: installing chromium needs root or sudo" >&2; exit 1; }
  sudo="sudo"
fi

echo "==> installing chromium (Debian package) for the browser tests"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "==> $(/usr/bin/chromium --version)"
