#!/usr/bin/env bash
# tests/integration/upstream.sh: issue 12's web tier, two wadesk.fcgi
# behind one nginx upstream.  Starts a private stack (scripts/stack.sh:
# PostgreSQL, the first wadesk.fcgi on $VAR/run/wadesk.sock, nginx; no
# daemon, no webhook sender) from $BUILD (default build/san) in a fresh
# temporary WADESK_VAR, starts a second wadesk.fcgi on
# $VAR/run/wadesk2.sock, then reloads nginx with the README's
# configuration: the upstream lists both sockets, plus one loopback
# port straight to each instance so the checks know who answered.
# upstream.test.js signs in on one instance and uses the session (and
# its CSRF token) on the other, sees the upstream spread requests over
# both, and keeps working with one instance stopped.  Prints "ok NAME" /
# "FAIL NAME"; fails on sanitizer reports in the logs.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
keep=${WADESK_KEEP_VAR:-}
for v in $(compgen -e | grep '^WADESK_'); do
	unset "$v"
done
export BUILD=${BUILD:-build/san}
for b in cgi/wadesk.fcgi cgi/wadeskctl; do
	if [ ! -x "$BUILD/$b" ]; then
		echo "FAIL upstream-stack-start (no $BUILD/$b)"
		exit 1
	fi
done
VAR=$(mktemp -d "${TMPDIR:-/tmp}/wadesk-upstream.XXXXXX")
chmod 755 "$VAR"
freeport() {
	node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}
PORT=$(freeport)
P1=$(freeport)
P2=$(freeport)
export WADESK_VAR=$VAR WADESK_PORT=$PORT WADESK_NO_DAEMON=1 \
    WADESK_NO_WEBHOOKD=1 WADESK_LOGIN_RATE=3000r/m
export WADESK_ADMIN_PASSWORD=u-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
. scripts/env.sh

rc=0
out=$VAR/results
fcgi2_pid=
say() {
	echo "$@" | tee -a "$out"
}
stop_fcgi2() {
	[ -n "$fcgi2_pid" ] || return 0
	kill -TERM "$fcgi2_pid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$fcgi2_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$fcgi2_pid" 2>/dev/null && kill -KILL "$fcgi2_pid"
	fcgi2_pid=
}
cleanup() {
	trap - EXIT INT TERM
	stop_fcgi2
	scripts/stack.sh stop >>"$VAR/stack.log" 2>&1 || true
	local hits
	hits=$(grep -rnE 'AddressSanitizer|LeakSanitizer|runtime error:' \
	    "$VAR/log" 2>/dev/null)
	if [ -n "$hits" ]; then
		say "FAIL upstream-sanitizer-clean-logs"
		echo "$hits" | head -n 40 | sed 's/^/    /'
		rc=1
	else
		say "ok upstream-sanitizer-clean-logs"
	fi
	echo "$(grep -c '^ok ' "$out") passed, $(grep -c '^FAIL ' "$out") failed"
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
	say "FAIL upstream-stack-start"
	sed 's/^/    /' "$VAR/stack.log"
	rc=1
	exit
fi
# The second instance, started as stack.sh starts the first.
as_user env WADESK_DATABASE_URL="$(db_url wadesk_web)" \
    WADESK_FCGI_SOCKET="$VAR/run/wadesk2.sock" \
    WADESK_TEMPLATES="$ROOT/templates" \
    sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$VAR/run/fcgi2.pid" \
    "$ROOT/$BUILD/cgi/wadesk.fcgi" >>"$VAR/log/wadesk.fcgi.2.log" 2>&1 &
for _ in $(seq 100); do
	[ -S "$VAR/run/wadesk2.sock" ] && break
	sleep 0.1
done
fcgi2_pid=$(cat "$VAR/run/fcgi2.pid" 2>/dev/null)
if [ ! -S "$VAR/run/wadesk2.sock" ]; then
	say "FAIL upstream-second-instance"
	tail -n 20 "$VAR/log/wadesk.fcgi.2.log" | sed 's/^/    /'
	rc=1
	exit
fi
# The README's upstream: both sockets; and a port straight to each.
conf=$VAR/nginx/nginx.conf
python3 - "$conf" "$VAR" "$P1" "$P2" <<'PY' || { say "FAIL upstream-nginx-conf"; rc=1; exit; }
import sys
conf, var, p1, p2 = sys.argv[1:]
s = open(conf).read()
one = "server unix:%s/run/wadesk.sock;" % var
assert s.count(one) == 1, "the upstream block changed"
s = s.replace(one, one + "\n\t\tserver unix:%s/run/wadesk2.sock;" % var)
direct = ""
for port, sock in ((p1, "wadesk.sock"), (p2, "wadesk2.sock")):
    direct += """
	server {
		listen 127.0.0.1:%s;
		location / {
			include /etc/nginx/fastcgi_params;
			fastcgi_pass unix:%s/run/%s;
		}
	}
""" % (port, var, sock)
i = s.rindex("}")
s = s[:i] + direct + s[i:]
open(conf, "w").write(s)
PY
as_user /usr/sbin/nginx -q -p "$VAR/nginx" -c "$conf" \
    -e "$VAR/log/nginx-error.log" -s reload || {
	say "FAIL upstream-nginx-reload"; rc=1; exit; }
for p in "$P1" "$P2"; do
	for _ in $(seq 100); do
		curl -fsS -o /dev/null "http://127.0.0.1:$p/login" && break
		sleep 0.1
	done
done
url=$(sed -n 's/^url: //p' "$VAR/stack.log")
say "ok upstream-stack-start ($url, two wadesk.fcgi)"

set -o pipefail
WADESK_URL=$url UPSTREAM_ONE=http://127.0.0.1:$P1 \
    UPSTREAM_TWO=http://127.0.0.1:$P2 FCGI2_PID=$fcgi2_pid \
    timeout --kill-after=5 120 node tests/integration/upstream.test.js \
    2>&1 | tee -a "$out" || rc=1
