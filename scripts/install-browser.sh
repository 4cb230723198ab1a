#!/usr/bin/env bash
# Installs Debian's Chromium for the Playwright tests when no browser is available.
# Playwright's own browser download does not work without internet; Debian's package does.
set -euo pipefail
if [ -n "${PLAYWRIGHT_CHROMIUM_EXECUTABLE:-}" ] && [ -x "${PLAYWRIGHT_CHROMIUM_EXECUTABLE}" ]; then
    exit 0
fi
if [ -x /usr/lib/chromium/chromium-headless-shell ] || [ -x /usr/lib/chromium/chromium ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "No Chromium found and no apt-get: install Chromium, or run tests/E2E/bin/Release/net10.0/playwright.ps1 install chromium, or set PLAYWRIGHT_CHROMIUM_EXECUTABLE." >&2
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "Chromium is missing and installing it needs root: apt-get install -y chromium chromium-headless-shell" >&2
        exit 0
    fi
fi
echo "Installing Debian's Chromium for the browser tests (once per machine)..."
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-headless-shell >/dev/null
