#!/bin/sh
# install.sh [DIR] - install the npm tooling of the browser tests
# (playwright-core, pinned by package-lock.json) into DIR and print DIR.
# DIR defaults to $RATMEM_BROWSER_TOOLS, else ~/.cache/ratmem/browser-tools.
# Nothing is downloaded when DIR already holds this lock file's packages.
# playwright-core drives the system's chromium; it downloads no browser.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-${RATMEM_BROWSER_TOOLS:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/ratmem/browser-tools}}
stamp=".lock-$(cksum <"$here/package-lock.json" | cut -d' ' -f1)"
if [ -f "$dir/$stamp" ] && [ -d "$dir/node_modules/playwright-core" ]; then
    echo "$dir"
    exit 0
fi
command -v npm >/dev/null || { echo "install.sh: npm not found" >&2; exit 1; }
mkdir -p "$dir"
cp "$here/package.json" "$here/package-lock.json" "$dir/"
(cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2)
rm -f "$dir"/.lock-*
touch "$dir/$stamp"
echo "$dir"
