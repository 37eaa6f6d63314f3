#!/usr/bin/env bash
# Makes sure Debian's chromium is installed for the browser tests
# (bot/tests/browser.rs drives /usr/bin/chromium with npm playwright-core;
# nothing ever downloads a browser), and that Node.js and npm are there.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
# A CJK font, so the Chinese pages render (and their screenshots) show text.
fc-list 2>/dev/null | grep -qi "microhei\|noto sans cjk" || missing+=(fonts-wqy-microhei)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]} for the browser tests" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
