#!/usr/bin/env bash
# tests/browser/e2e.sh: the whole product end to end in headless Chromium
# (issue 4, "Tests"): nginx + wadesk.fcgi + wadeskd + tests/wasim +
# PostgreSQL, all real.  Starts tests/wasim with a small --time-scale,
# then a private stack (scripts/stack.sh, which starts $BUILD/daemon/
# wadeskd pointed at the simulator through WADESK_WA_URL /
# WADESK_WA_ROOT_KEY) from $BUILD (default build/san) in a fresh
# temporary WADESK_VAR on a free loopback port, and runs
# tests/browser/e2e.test.js against both.  Stops the stack and the
# simulator and removes the folder on every path.  Prints "ok NAME" /
# "FAIL NAME" lines; screenshots go to tests/artifacts/e2e-*.png.
# After the stack stops, every log (wadeskd, wadesk.fcgi, ...) is
# checked for sanitizer reports.  WADESK_KEEP_VAR=1 keeps the folder.
# About 40 s.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
keep=${WADESK_KEEP_VAR:-}
for v in $(compgen -e | grep -E '^WADESKD?_'); do
	unset "$v"
done
export BUILD=${BUILD:-build/san}
ART=$ROOT/tests/artifacts
mkdir -p "$ART"
rm -f "$ART"/e2e-*.png

for b in cgi/wadesk.fcgi cgi/wadeskctl daemon/wadeskd; do
	if [ ! -x "$BUILD/$b" ]; then
		echo "FAIL e2e-stack: $BUILD/$b is not built"
		exit 1
	fi
done
for c in /usr/bin/chromium zbarimg psql node; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "FAIL e2e-stack: $c is not installed"
		exit 1
	fi
done
if [ ! -d tests/node_modules/baileys ] ||
    [ ! -d tests/node_modules/playwright-core ]; then
	echo "FAIL e2e-stack: tests/node_modules is missing (cd tests && npm ci)"
	exit 1
fi

port=$(node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
VAR=$(mktemp -d "${TMPDIR:-/tmp}/wadesk-e2e.XXXXXX")
chmod 755 "$VAR"
mkdir -p "$VAR/log"
# The simulator divides its protocol durations by this; the daemon's
# client is told the same through WADESKD_TIME_SCALE.  4 keeps a QR
# ref alive for 15 s (first) / 5 s, ample for fetch + zbarimg + /scan.
SCALE=4

rc=0
sim=
cleanup() {
	trap - EXIT INT TERM HUP
	scripts/stack.sh stop >>"$VAR/stack.log" 2>&1 || true
	if [ -n "$sim" ]; then
		kill "$sim" 2>/dev/null
		wait "$sim" 2>/dev/null
	fi
	local hits
	hits=$(grep -rnE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
	    "$VAR/log" 2>/dev/null)
	if [ -n "$hits" ]; then
		echo "FAIL e2e-sanitizer-clean-logs (logs copied to" \
		    "tests/artifacts/e2e-logs/)"
		echo "$hits" | head -n 20 | sed 's/^/    /'
		rc=1
	else
		echo "ok e2e-sanitizer-clean-logs"
	fi
	rm -rf "$ART/e2e-logs"
	mkdir -p "$ART/e2e-logs"
	cp "$VAR"/log/*.log "$VAR/stack.log" "$ART/e2e-logs/" 2>/dev/null
	if [ -n "$keep" ]; then
		echo "# kept $VAR"
	else
		rm -rf "$VAR"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'rc=1; exit' INT TERM HUP

node tests/wasim/server.js --listen 127.0.0.1:0 --control 127.0.0.1:0 \
    --time-scale $SCALE >"$VAR/wasim.ready" 2>"$VAR/log/wasim.log" &
sim=$!
for _ in $(seq 100); do
	grep -q '^wasim: ready' "$VAR/wasim.ready" && break
	kill -0 "$sim" 2>/dev/null || break
	sleep 0.1
done
line=$(cat "$VAR/wasim.ready")
WASIM_URL=$(echo "$line" | sed -n 's/.* url=\([^ ]*\).*/\1/p')
WASIM_CONTROL=$(echo "$line" | sed -n 's/.* control=\([^ ]*\).*/\1/p')
key=$(echo "$line" | sed -n 's/.* root_key=\([^ ]*\).*/\1/p')
if [ -z "$WASIM_URL" ] || [ -z "$WASIM_CONTROL" ] || [ -z "$key" ]; then
	echo "FAIL e2e-wasim-start"
	tail -n 20 "$VAR/log/wasim.log" | sed 's/^/    /'
	rc=1
	exit
fi
echo "ok e2e-wasim-start ($WASIM_URL)"

# Everything WADESK_* passes through stack.sh to wadeskd.
export WADESK_VAR=$VAR WADESK_PORT=$port WADESK_LOGIN_RATE=600r/m
export WADESK_ADMIN_PASSWORD=e2e-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
export WADESK_WA_URL=$WASIM_URL WADESK_WA_ROOT_KEY=$key
export WADESKD_TIME_SCALE=$SCALE
export WADESK_PAIR_WINDOW_S=40
export WADESK_BACKOFF_MIN_MS=200 WADESK_BACKOFF_MAX_MS=1000
export WADESK_STAGGER_MS=20 WADESK_LOG_LEVEL=info
export ASAN_OPTIONS=detect_leaks=1

if ! scripts/stack.sh start >"$VAR/stack.log" 2>&1; then
	echo "FAIL e2e-stack: scripts/stack.sh start failed:"
	sed 's/^/    /' "$VAR/stack.log"
	tail -n 20 "$VAR"/log/*.log 2>/dev/null | sed 's/^/    /'
	rc=1
	exit
fi
echo "ok e2e-stack (port $port, $BUILD)"

WADESK_URL=http://127.0.0.1:$port/ WASIM_CONTROL=$WASIM_CONTROL \
    WADESK_ARTIFACTS=$ART timeout --kill-after=5 120 \
    node tests/browser/e2e.test.js || rc=1
