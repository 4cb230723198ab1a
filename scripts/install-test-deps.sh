#!/usr/bin/env bash
# Installs what the tests need and a fresh Debian machine may lack, from Debian's packages:
# Chromium for the Playwright tests (Playwright's own browser download needs the internet) and the
# PostgreSQL server binaries (the tests start a throwaway cluster themselves). Skips what is present.
set -euo pipefail

need=()
if [ -z "${PLAYWRIGHT_CHROMIUM_EXECUTABLE:-}" ] && [ ! -x /usr/lib/chromium/chromium-headless-shell ] && [ ! -x /usr/lib/chromium/chromium ]; then
    need+=(chromium chromium-headless-shell)
fi
if [ -z "${ITF_POSTGRES:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    need+=(postgresql)
fi
if [ "${#need[@]}" -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing for the tests: ${need[*]}. Install them (or set PLAYWRIGHT_CHROMIUM_EXECUTABLE / ITF_POSTGRES)." >&2
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "Missing for the tests: ${need[*]}; installing them needs root: apt-get install -y ${need[*]}" >&2
        exit 0
    fi
fi
echo "Installing Debian packages for the tests (once per machine): ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
