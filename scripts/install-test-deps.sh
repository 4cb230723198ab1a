#!/usr/bin/env bash
# Installs what the tests need and a fresh Debian machine may lack, from Debian's packages:
# Chromium for the Playwright tests (Playwright's own browser download needs the internet), the
# PostgreSQL server binaries (the tests start a throwaway cluster themselves), and nginx and openssl for the
# reverse-proxy test (it starts a private nginx with a throwaway certificate). Skips what is present.
set -euo pipefail

need=()
if [ -z "${PLAYWRIGHT_CHROMIUM_EXECUTABLE:-}" ] && [ ! -x /usr/lib/chromium/chromium-headless-shell ] && [ ! -x /usr/lib/chromium/chromium ]; then
    need+=(chromium chromium-headless-shell)
fi
if [ -z "${ITF_POSTGRES:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    need+=(postgresql)
fi
if [ -z "${ITF_NGINX:-}" ] && [ ! -x /usr/sbin/nginx ] && ! command -v nginx >/dev/null 2>&1; then
    need+=(nginx)
fi
if ! command -v openssl >/dev/null 2>&1; then
    need+=(openssl)
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
# The tests run their own nginx; keep the package from starting the system service (exit 101 = "not allowed"),
# unless the machine already has a policy of its own.
policy=""
if [[ " ${need[*]} " == *" nginx "* ]] && [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
fi
status=0
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null || status=$?
if [ -n "$policy" ]; then
    $sudo rm -f "$policy"
fi
exit "$status"
