#!/usr/bin/env bash
# tests/integration/web.sh [FILTER]: the web dashboard's integration
# tests.  Starts a private stack (PostgreSQL, wadesk.fcgi, nginx) with
# scripts/stack.sh in a fresh temporary WADESK_VAR on a free loopback
# port, using the binaries in $BUILD (default build/san), runs
# web.test.js, qrmemo.test.js, api.test.js, failures.test.js,
# groups.test.js and reminders.test.js (one "ok NAME" /
# "FAIL NAME" line per check; FILTER runs only the checks whose name
# contains it), always stops the stack and
# removes the folder, and fails if any log holds an AddressSanitizer,
# LeakSanitizer or UBSan "runtime error" report.  WADESK_KEEP_VAR=1
# keeps the folder for a post-mortem.
set -u
cd "$(dirname "$0")/../.."

# Only what this script sets: the checks rely on the defaults
# (WADESK_LOGIN_MAX_USER=5, WADESK_DAEMON_DEAD_S=30, ...).
keep=${WADESK_KEEP_VAR:-}
for v in $(compgen -e | grep '^WADESK_'); do
	unset "$v"
done
export BUILD=${BUILD:-build/san}

for b in cgi/wadesk.fcgi cgi/wadeskctl; do
	if [ ! -x "$BUILD/$b" ]; then
		echo "FAIL integ-stack-start (no $BUILD/$b; run make BUILD=$BUILD $BUILD/$b)"
		exit 1
	fi
done
if [ ! -d tests/node_modules/pg ]; then
	echo "FAIL integ-stack-start (tests/node_modules/pg missing: cd tests && npm ci)"
	exit 1
fi

VAR=$(mktemp -d "${TMPDIR:-/tmp}/wadesk-integ.XXXXXX")
PORT=$(node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
export WADESK_VAR=$VAR WADESK_PORT=$PORT
export WADESK_ADMIN_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
export WADESK_API_KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
# nginx's per-address limit on /login, high enough that the program's
# own throttling is what the tests meet.
export WADESK_LOGIN_RATE=3000r/m
# The checks play the session daemon themselves (see below).
export WADESK_NO_DAEMON=1
# /health's shared reading lives this long (the default); the checks
# wait it out after each change and integ-health-cache tests it.
export WADESK_HEALTH_CACHE_MS=1000
# qr.png's memo is exact (cgi/qrmemo.h); its safety-net lifetime is set
# far beyond any check, so qrmemo.test.js sees only what invalidation
# does, never what expiry does.
export WADESK_QR_CACHE_MS=60000

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
		say "FAIL integ-sanitizer-clean-logs"
		echo "$hits" | head -n 40 | sed 's/^/    /'
		grep -rlE 'AddressSanitizer|LeakSanitizer|runtime error:' \
		    "$VAR/log" "$VAR/stack.log" 2>/dev/null | while read -r f; do
			echo "--- $f"
			head -n 60 "$f" | sed 's/^/    /'
		done
		rc=1
	else
		say "ok integ-sanitizer-clean-logs"
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
	say "FAIL integ-stack-start"
	sed 's/^/    /' "$VAR/stack.log"
	for f in "$VAR"/log/*; do
		echo "--- $f"
		tail -n 20 "$f" | sed 's/^/    /'
	done
	rc=1
	exit
fi
# scripts/stack.sh starts the session daemon when $BUILD has one unless
# WADESK_NO_DAEMON is set.  These checks play the daemon themselves
# through SQL (qr_code, status, heartbeat), so a real one would race
# them: should one have started anyway, stop it (it is ours, by the pid
# the stack recorded).
dpid_file=$VAR/run/daemon.pid
if [ -f "$dpid_file" ]; then
	dpid=$(cat "$dpid_file")
	kill -TERM "$dpid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$dpid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$dpid" 2>/dev/null && kill -KILL "$dpid"
	rm -f "$dpid_file"
	echo "note: stopped wadeskd (pid $dpid) for the web checks"
fi
url=$(sed -n 's/^url: //p' "$VAR/stack.log")
say "ok integ-stack-start ($url)"

set -o pipefail
WADESK_URL=$url timeout --kill-after=5 240 \
    node tests/integration/web.test.js "$@" 2>&1 | tee -a "$out" || rc=1
WADESK_URL=$url timeout --kill-after=5 180 \
    node tests/integration/qrmemo.test.js "$@" 2>&1 | tee -a "$out" || rc=1
# The JSON API (issue 13), on the same stack.
WADESK_URL=$url timeout --kill-after=5 120 \
    node tests/integration/api.test.js "$@" 2>&1 | tee -a "$out" || rc=1
# Failures an operator can read (the timeline, notices, banner), on
# the same stack.
WADESK_URL=$url timeout --kill-after=5 120 \
    node tests/integration/failures.test.js "$@" 2>&1 | tee -a "$out" || rc=1
# Groups and send-test (issue 10), on the same stack.
WADESK_URL=$url timeout --kill-after=5 120 \
    node tests/integration/groups.test.js "$@" 2>&1 | tee -a "$out" || rc=1
# Reminders (issue 11): the pages, on the same stack.
WADESK_URL=$url timeout --kill-after=5 120 \
    node tests/integration/reminders.test.js "$@" 2>&1 | tee -a "$out" || rc=1
