#!/bin/sh
# Run the browser tests: node's test runner, playwright-core (from npm, at
# the version package-lock.json pins) and Debian's chromium. A missing
# piece fails the test, never skips it: tools/deps installs them all.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
	echo "browser test: $chromium is missing (run tools/deps)" >&2
	exit 1
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "browser test: node and npm are missing (run tools/deps)" >&2
	exit 1
fi
# node_modules follows package-lock.json; npm ci only when they differ.
if [ ! -f "$here/node_modules/.package-lock.json" ] ||
	[ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]
then
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
exec node --test "$here"/*.test.mjs
