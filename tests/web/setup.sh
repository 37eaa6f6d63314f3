#!/bin/sh
# Installs the browser tests' npm packages (only playwright-core, pinned in
# package-lock.json) with `npm ci` into a cache directory keyed by the
# lock file, and prints that directory's node_modules. Never downloads a
# browser: playwright-core has no install script, and the tests drive
# Debian's /usr/bin/chromium.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
key=$(sha256sum "$here/package-lock.json" | cut -c1-16)
cache="${EASEL_WEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/easel-web}/$key"
if [ ! -f "$cache/node_modules/playwright-core/package.json" ]; then
    mkdir -p "$cache"
    cp "$here/package.json" "$here/package-lock.json" "$cache/"
    (cd "$cache" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund >&2)
fi
echo "$cache/node_modules"
