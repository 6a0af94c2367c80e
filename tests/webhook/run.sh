#!/usr/bin/env bash
# tests/webhook/run.sh [FILTER]: webhooks end to end.  Starts a private
# stack (PostgreSQL, wadesk.fcgi, wadesk-webhookd, nginx; no session
# daemon: the checks write its status changes through SQL) with
# scripts/stack.sh in a fresh temporary WADESK_VAR, with the retry
# policy scaled to milliseconds (a 3 s window instead of 24 h), runs
# webhook.test.js against a loopback receiver (one "ok NAME" /
# "FAIL NAME" line per check), always stops the stack and removes the
# folder, and fails if any log holds a sanitizer report.
# WADESK_KEEP_VAR=1 keeps the folder.
set -u
cd "$(dirname "$0")/../.."

keep=${WADESK_KEEP_VAR:-}
for v in $(compgen -e | grep '^WADESK_'); do
	unset "$v"
done
export BUILD=${BUILD:-build/san}

for b in cgi/wadesk.fcgi cgi/wadeskctl webhook/wadesk-webhookd; do
	if [ ! -x "$BUILD/$b" ]; then
		echo "FAIL hook-stack-start (no $BUILD/$b; run make BUILD=$BUILD $BUILD/$b)"
		exit 1
	fi
done
if [ ! -d tests/node_modules/pg ]; then
	echo "FAIL hook-stack-start (tests/node_modules/pg missing: cd tests && npm ci)"
	exit 1
fi

VAR=$(mktemp -d "${TMPDIR:-/tmp}/wadesk-hook.XXXXXX")
PORT=$(node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
export WADESK_VAR=$VAR WADESK_PORT=$PORT
export WADESK_ADMIN_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
export WADESK_LOGIN_RATE=3000r/m
export WADESK_NO_DAEMON=1
# Scaled time: retries from 100 ms doubling to 400 ms, dead after 3 s.
export WADESK_WEBHOOK_BASE_MS=100 WADESK_WEBHOOK_MAX_MS=400
export WADESK_WEBHOOK_WINDOW_S=3 WADESK_WEBHOOK_TIMEOUT_MS=5000

rc=0
out=$VAR/results
say() {
	echo "$@" | tee -a "$out"
}
cleanup() {
	trap - EXIT INT TERM
	scripts/stack.sh stop >>"$VAR/stack.log" 2>&1 ||
	    echo "warning: stack stop failed; see $VAR/stack.log"
	local hits
	hits=$(grep -rnE 'AddressSanitizer|LeakSanitizer|runtime error:' \
	    "$VAR/log" "$VAR/stack.log" 2>/dev/null)
	if [ -n "$hits" ]; then
		say "FAIL hook-sanitizer-clean-logs"
		echo "$hits" | head -n 40 | sed 's/^/    /'
		rc=1
	else
		say "ok hook-sanitizer-clean-logs"
	fi
	echo "$(grep -c '^ok ' "$out") passed, $(grep -c '^FAIL ' "$out")" \
	    "failed"
	if [ -n "$keep" ]; then
		echo "kept $VAR"
	else
		rm -rf "$VAR"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'rc=1; exit' INT TERM

if ! scripts/stack.sh start >"$VAR/stack.log" 2>&1; then
	say "FAIL hook-stack-start"
	sed 's/^/    /' "$VAR/stack.log"
	for f in "$VAR"/log/*; do
		echo "--- $f"
		tail -n 20 "$f" | sed 's/^/    /'
	done
	rc=1
	exit
fi
url=$(sed -n 's/^url: //p' "$VAR/stack.log")
say "ok hook-stack-start ($url)"

set -o pipefail
WADESK_URL=$url timeout --kill-after=5 240 \
    node tests/webhook/webhook.test.js "$@" 2>&1 | tee -a "$out" || rc=1
