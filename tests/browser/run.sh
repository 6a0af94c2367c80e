#!/usr/bin/env bash
# tests/browser/run.sh: the browser test of the pairing flow.
# Starts a private stack (scripts/stack.sh) from $BUILD (default
# build/san) in a fresh temporary WADESK_VAR on a free loopback port,
# runs tests/browser/pairing.test.js, failures.test.js, groups.test.js and
# reminders.test.js in headless
# Chromium against it,
# then stops the stack and removes the folder, whatever happened.
# Prints "ok NAME" / "FAIL NAME" lines; screenshots go to tests/artifacts/.
# After the stack stops, the wadesk.fcgi log is checked for sanitizer
# reports (AddressSanitizer, LeakSanitizer, UBSan "runtime error").
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export BUILD=${BUILD:-build/san}
ART=$ROOT/tests/artifacts
mkdir -p "$ART"
rm -f "$ART"/failed-browser-*.png

for b in cgi/wadesk.fcgi cgi/wadeskctl; do
	if [ ! -x "$BUILD/$b" ]; then
		echo "FAIL browser-stack: $BUILD/$b is not built"
		exit 1
	fi
done
for c in /usr/bin/chromium zbarimg psql node; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "FAIL browser-stack: $c is not installed"
		exit 1
	fi
done

# A free port: bind port 0 and read what the kernel chose.
port=$(node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
VAR=$(mktemp -d "${TMPDIR:-/tmp}/wadesk-browser.XXXXXX")
chmod 755 "$VAR"
# The test stands in for the session daemon: stack.sh must not start one.
export WADESK_VAR=$VAR WADESK_PORT=$port WADESK_LOGIN_RATE=600r/m WADESK_NO_DAEMON=1
export WADESK_ADMIN_PASSWORD=browser-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

cleanup() {
	scripts/stack.sh stop >>"$ART/browser-stack.log" 2>&1 || true
	rm -rf "$VAR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if ! scripts/stack.sh start >"$ART/browser-stack.log" 2>&1; then
	echo "FAIL browser-stack: scripts/stack.sh start failed:"
	sed 's/^/    /' "$ART/browser-stack.log"
	tail -n 20 "$VAR"/log/*.log 2>/dev/null | sed 's/^/    /'
	exit 1
fi
echo "ok browser-stack (port $port, $BUILD)"

rc=0
WADESK_URL=http://127.0.0.1:$port/ WADESK_ARTIFACTS=$ART \
    node tests/browser/pairing.test.js || rc=1
# Failures an operator can read: the "Pairing ended" notice with
# JavaScript, the details disclosure, the outdated banner.
WADESK_URL=http://127.0.0.1:$port/ WADESK_ARTIFACTS=$ART \
    node tests/browser/failures.test.js || rc=1
# Groups and send-test (issue 10): a row's state updates in place,
# another row's send never moves it.
WADESK_URL=http://127.0.0.1:$port/ WADESK_ARTIFACTS=$ART \
    node tests/browser/groups.test.js || rc=1
# Reminders (issue 11): a weekly reminder to two groups through the
# form, previewed, saved and listed with its summary.
WADESK_URL=http://127.0.0.1:$port/ WADESK_ARTIFACTS=$ART \
    node tests/browser/reminders.test.js || rc=1

# Stop before reading the log: LeakSanitizer reports at exit.
scripts/stack.sh stop >>"$ART/browser-stack.log" 2>&1 || true
log=$VAR/log/wadesk.fcgi.log
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
    "$log" 2>/dev/null; then
	echo "FAIL browser-fcgi-sanitizer: reports in wadesk.fcgi.log" \
	    "(copied to tests/artifacts/browser-fcgi.log)"
	grep -m 5 -E 'ERROR: |runtime error:' "$log" | sed 's/^/    /'
	rc=1
else
	echo "ok browser-fcgi-sanitizer"
fi
cp "$log" "$ART/browser-fcgi.log" 2>/dev/null || true
cp "$VAR/log/nginx-error.log" "$ART/browser-nginx-error.log" 2>/dev/null || true
exit $rc
