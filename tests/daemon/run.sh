#!/usr/bin/env bash
# tests/daemon/run.sh [FILTER]: the session daemon's integration and
# fault tests (issue 4).  Starts a private stack (PostgreSQL,
# wadesk.fcgi, nginx: scripts/stack.sh) from $BUILD (default build/san)
# in a fresh temporary WADESK_VAR, but runs wadeskd itself from
# daemon.test.js so that it can kill -9 and restart it.  The WhatsApp
# side is tests/wasim with the real client when $BUILD/daemon/wadeskd
# is built; otherwise (or with WADESK_DAEMON_TEST_WA=fake) it is the
# scripted stand-in tests/daemon/fake_wa.c linked into
# $BUILD/tests/daemon/wadeskd-fake, and a line says so.  Prints
# "ok NAME" / "FAIL NAME"; fails on any sanitizer report in the logs.
# WADESK_KEEP_VAR=1 keeps the folder; after a failure its logs (log/:
# each daemon's, wasim's, PostgreSQL's; results) are kept anyway, in
# $TMPDIR/wadesk-daemon-failed.*, and a line names the folder.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

keep=${WADESK_KEEP_VAR:-}
mode=${WADESK_DAEMON_TEST_WA:-}
for v in $(compgen -e | grep '^WADESK_'); do
	unset "$v"
done
export BUILD=${BUILD:-build/san}

for b in cgi/wadesk.fcgi cgi/wadeskctl; do
	if [ ! -x "$BUILD/$b" ]; then
		echo "FAIL daemon-stack-start (no $BUILD/$b)"
		exit 1
	fi
done
if [ -z "$mode" ]; then
	if [ -x "$BUILD/daemon/wadeskd" ]; then mode=wasim; else mode=fake; fi
fi
if [ "$mode" = wasim ]; then
	DAEMON_BIN=$ROOT/$BUILD/daemon/wadeskd
else
	DAEMON_BIN=$ROOT/$BUILD/tests/daemon/wadeskd-fake
	echo "note: $BUILD/daemon/wadeskd is not built (or fake asked for):" \
	    "these checks run the daemon against tests/daemon/fake_wa.c," \
	    "not the WhatsApp client and tests/wasim"
fi
if [ ! -x "$DAEMON_BIN" ]; then
	echo "FAIL daemon-stack-start (no $DAEMON_BIN)"
	exit 1
fi

VAR=$(mktemp -d "${TMPDIR:-/tmp}/wadesk-daemon.XXXXXX")
chmod 755 "$VAR"
# stack.sh must not start a daemon of its own: give it a build folder
# holding only the cgi programs.
LINKB=build/dtest.$$
mkdir -p "$LINKB"
ln -s "$ROOT/$BUILD/cgi" "$LINKB/cgi"
PORT=$(node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
export WADESK_VAR=$VAR WADESK_PORT=$PORT WADESK_LOGIN_RATE=6000r/m
export WADESK_ADMIN_PASSWORD=d-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
export WADESK_PAIR_WINDOW_S=10

rc=0
out=$VAR/results
wasim_pid=
say() {
	echo "$@" | tee -a "$out"
}
cleanup() {
	trap - EXIT INT TERM
	[ -z "$wasim_pid" ] || kill "$wasim_pid" 2>/dev/null
	BUILD=$LINKB scripts/stack.sh stop >>"$VAR/stack.log" 2>&1 || true
	rm -rf "$LINKB"
	local hits
	hits=$(grep -rnE 'AddressSanitizer|LeakSanitizer|runtime error:' \
	    "$VAR/log" 2>/dev/null)
	if [ -n "$hits" ]; then
		say "FAIL daemon-sanitizer-clean-logs"
		echo "$hits" | head -n 40 | sed 's/^/    /'
		rc=1
	else
		say "ok daemon-sanitizer-clean-logs"
	fi
	echo "$(grep -c '^ok ' "$out") passed, $(grep -c '^FAIL ' "$out") failed"
	if [ -n "$keep" ]; then
		echo "kept $VAR"
	elif [ "$rc" -ne 0 ]; then
		# What the failing daemons did, without the database files.
		local kept
		kept=$(mktemp -d "${TMPDIR:-/tmp}/wadesk-daemon-failed.XXXXXX")
		cp -r "$VAR/log" "$VAR/results" "$kept/" 2>/dev/null
		chmod -R a+rX "$kept"
		rm -rf "$VAR"
		echo "failed: the logs are kept in $kept (remove it when done)"
	else
		rm -rf "$VAR"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'rc=1; exit' INT TERM

if ! BUILD=$LINKB scripts/stack.sh start >"$VAR/stack.log" 2>&1; then
	say "FAIL daemon-stack-start"
	sed 's/^/    /' "$VAR/stack.log"
	rc=1
	exit
fi
url=$(sed -n 's/^url: //p' "$VAR/stack.log")
say "ok daemon-stack-start ($url, $mode)"

export WA_MODE=$mode DAEMON_BIN WADESK_URL=$url
mkdir -p "$VAR/fakewa"
[ "$(id -u)" -ne 0 ] || chown wadesk: "$VAR/fakewa" "$VAR/log"
export FAKE_WA_DIR=$VAR/fakewa
if [ "$mode" = wasim ]; then
	node tests/wasim/server.js --listen 127.0.0.1:0 --control 127.0.0.1:0 \
	    --time-scale 20 >"$VAR/wasim.ready" 2>"$VAR/log/wasim.log" &
	wasim_pid=$!
	export WASIM_PID=$wasim_pid	# tests that pause it (send.test.js)
	for _ in $(seq 100); do
		grep -q '^wasim: ready' "$VAR/wasim.ready" && break
		sleep 0.1
	done
	line=$(cat "$VAR/wasim.ready")
	export WASIM_URL=$(echo "$line" | sed -n 's/.* url=\([^ ]*\).*/\1/p')
	export WASIM_CONTROL=$(echo "$line" | sed -n 's/.* control=\([^ ]*\).*/\1/p')
	export WASIM_ROOT_KEY=$(echo "$line" | sed -n 's/.* root_key=\([^ ]*\).*/\1/p')
	if [ -z "$WASIM_URL" ]; then
		say "FAIL daemon-wasim-start"
		tail -n 20 "$VAR/log/wasim.log" | sed 's/^/    /'
		rc=1
		exit
	fi
fi

# The checks' time limit (DAEMON_TEST_TIMEOUT_S, default 300 s): a run
# cut off there fails with a line that says so, not silently.
limit=${DAEMON_TEST_TIMEOUT_S:-300}
set -o pipefail
timeout --kill-after=5 "$limit" node \
    "${DAEMON_TEST_JS:-tests/daemon/daemon.test.js}" "$@" 2>&1 |
    tee -a "$out"
st=$?
if [ "$st" -eq 124 ] || [ "$st" -eq 137 ]; then
	say "FAIL daemon-tests-time-limit (stopped after $limit s;" \
	    "DAEMON_TEST_TIMEOUT_S raises it)"
fi
[ "$st" -eq 0 ] || rc=1
