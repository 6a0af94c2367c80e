#!/usr/bin/env bash
# tests/webhook/bench.sh: the webhook sender's figures ("make bench";
# issue 13: >= 1,000 deliveries/s to a loopback receiver, event ->
# delivered p99 < 500 ms).  Starts a private stack (scripts/stack.sh:
# PostgreSQL, wadesk.fcgi, wadesk-webhookd, nginx; no session daemon)
# from $BUILD (default build, the plain "make" output) in a temporary
# WADESK_VAR on a free loopback port, and runs tests/webhook/bench.js
# (what it measures, exactly, is written there): a backlog of
# $BENCH_HOOK_EVENTS events (default 5,000) over each of
# $BENCH_HOOK_ACCOUNTS accounts (default "100 1000"), then
# $BENCH_HOOK_RATE events/s (default 200) for $BENCH_HOOK_SECONDS
# (default 10).  Missing a target is printed, not a failure; a broken
# measurement (a lost or out-of-order delivery, a bad signature) exits
# 1.  The stack and its folder are always removed (WADESK_KEEP_VAR=1
# keeps the folder, with the sender's log).
set -u
cd "$(dirname "$0")/../.."

keep=${WADESK_KEEP_VAR:-}
for v in $(compgen -e | grep '^WADESK_'); do
	unset "$v"
done
export BUILD=${BUILD:-build}

die() {
	echo "bench_hook: $*" >&2
	exit 1
}

for b in cgi/wadesk.fcgi cgi/wadeskctl webhook/wadesk-webhookd; do
	[ -x "$BUILD/$b" ] || die "$BUILD/$b is not built (make)"
done
[ -d tests/node_modules/pg ] ||
    die "tests/node_modules/pg is missing (cd tests && npm ci)"

VAR=$(mktemp -d "${TMPDIR:-/tmp}/wadesk-benchhook.XXXXXX")
chmod 755 "$VAR"
PORT=$(node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });') ||
    die "cannot pick a free port"
export WADESK_VAR=$VAR WADESK_PORT=$PORT WADESK_NO_DAEMON=1
export WADESK_ADMIN_PASSWORD=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')

cleanup() {
	trap - EXIT INT TERM HUP
	scripts/stack.sh stop >>"$VAR/stack.log" 2>&1 || true
	if [ -n "$keep" ]; then
		echo "bench_hook: kept $VAR"
	else
		rm -rf "$VAR"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

scripts/stack.sh start >"$VAR/stack.log" 2>&1 ||
    { cat "$VAR/stack.log" >&2; die "scripts/stack.sh start failed"; }
url=$(sed -n 's/^url: //p' "$VAR/stack.log")
echo "bench_hook: $(nproc) CPUs, $BUILD, the sender against a Node" \
    "receiver on loopback"
WADESK_URL=$url timeout --kill-after=5 600 node tests/webhook/bench.js
