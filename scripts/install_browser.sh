#!/usr/bin/env bash
# Headless Chromium for the chat-page test (tests/test_serve_page.py). Idempotent: does nothing
# when a chromium binary is already on PATH. Installs Debian's `chromium` when we can (root +
# apt-get); otherwise says so and the page test skips with that reason.
set -u
for b in chromium chromium-browser google-chrome; do
  command -v "$b" >/dev/null 2>&1 && exit 0
done
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the chat-page test (once) ..."
  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 ||
   (apt-get update -qq >/dev/null 2>&1 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1)) &&
   exit 0
fi
echo "note: chromium not installed; the chat-page browser test will be skipped."
exit 0
