#!/usr/bin/env bash
# tests/daemon/bench.sh: "make bench" figures for wadeskd (issues 4, 8):
# pair->QR and scan->connected latency (p50/p99 over BENCH_PAIRINGS,
# default 100), then BENCH_SESSIONS (default "1000 5000 10000")
# logged-in accounts on one daemon: time to log all in with the stagger
# off, RSS per session, idle CPU.  Private stack (scripts/stack.sh
# without its daemon) and tests/wasim on this machine, binaries from
# $BUILD (default build).  The daemon reaches the simulator over TLS,
# as it reaches WhatsApp (wss://): an nginx stream front with a test CA
# made now (tests/daemon/bench_tls.sh), which the daemon trusts through
# SSL_CERT_FILE and verifies as it would the real one; BENCH_TLS=0
# connects in plain ws:// instead.  Prints "bench: ..." lines.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
for v in $(compgen -e | grep '^WADESK_'); do
	unset "$v"
done
export BUILD=${BUILD:-build}
export DAEMON_BIN=$ROOT/$BUILD/daemon/wadeskd
for b in cgi/wadesk.fcgi cgi/wadeskctl daemon/wadeskd; do
	if [ ! -x "$BUILD/$b" ]; then
		echo "bench: daemon skipped: $BUILD/$b is not built"
		exit 0
	fi
done
# Thousands of sockets in the daemon, the TLS front and the simulator
# (10,000 sessions need 10,000 in the daemon and in wasim, 20,000 in
# nginx over two workers).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
. tests/daemon/bench_tls.sh

VAR=$(mktemp -d "${TMPDIR:-/tmp}/wadesk-bench.XXXXXX")
chmod 755 "$VAR"
LINKB=build/dbench.$$
mkdir -p "$LINKB"
ln -s "$ROOT/$BUILD/cgi" "$LINKB/cgi"
PORT=$(node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
export WADESK_VAR=$VAR WADESK_PORT=$PORT
export WADESK_ADMIN_PASSWORD=b-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
wasim_pid=
rc=0
cleanup() {
	trap - EXIT INT TERM
	[ -z "$wasim_pid" ] || kill "$wasim_pid" 2>/dev/null
	tls_front_stop
	BUILD=$LINKB scripts/stack.sh stop >>"$VAR/stack.log" 2>&1 || true
	rm -rf "$LINKB"
	if [ -n "${BENCH_KEEP_VAR:-}" ]; then echo "kept $VAR"; else rm -rf "$VAR"; fi
	exit $rc
}
trap cleanup EXIT
trap 'rc=1; exit' INT TERM

if ! BUILD=$LINKB scripts/stack.sh start >"$VAR/stack.log" 2>&1; then
	echo "bench: daemon FAILED: stack start"
	cat "$VAR/stack.log"
	rc=1
	exit
fi
[ "$(id -u)" -ne 0 ] || chown wadesk: "$VAR/log"
node tests/wasim/server.js --listen 127.0.0.1:0 --control 127.0.0.1:0 \
    >"$VAR/wasim.ready" 2>"$VAR/log/wasim.log" &
wasim_pid=$!
for _ in $(seq 100); do
	grep -q '^wasim: ready' "$VAR/wasim.ready" && break
	sleep 0.1
done
line=$(cat "$VAR/wasim.ready")
export WASIM_URL=$(echo "$line" | sed -n 's/.* url=\([^ ]*\).*/\1/p')
export WASIM_CONTROL=$(echo "$line" | sed -n 's/.* control=\([^ ]*\).*/\1/p')
export WASIM_ROOT_KEY=$(echo "$line" | sed -n 's/.* root_key=\([^ ]*\).*/\1/p')
export BENCH_WA_URL=$WASIM_URL BENCH_CA=
if [ "${BENCH_TLS:-1}" != 0 ]; then
	if ! tls_front_start "$VAR/tls" "$WASIM_URL"; then
		rc=1
		exit
	fi
	BENCH_WA_URL=$TLS_URL BENCH_CA=$TLS_CA
fi
node tests/daemon/bench.js || rc=1
