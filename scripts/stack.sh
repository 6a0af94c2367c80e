#!/usr/bin/env bash
# scripts/stack.sh start|stop: the whole product on this machine.
#   start: PostgreSQL (scripts/pg.sh), migrations, the admin operator,
#          the credentials key, wadesk.fcgi on a unix socket, the session
#          daemon wadeskd (when built), the webhook sender
#          wadesk-webhookd (when built; not with WADESK_NO_WEBHOOKD=1),
#          nginx on
#          127.0.0.1:$WADESK_PORT, all as the unprivileged service user
#          with state under $WADESK_VAR.  Prints "url: http://...".
#   stop:  the reverse, each piece stopped cleanly.
# Binaries come from $BUILD (default build).
set -eu
. "$(dirname "$0")/env.sh"

pidfile() { echo "$VAR/run/$1.pid"; }

alive() {
	local f
	f=$(pidfile "$1")
	[ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

# Wait until "$1" (a command) succeeds, up to $2 tenths of a second.
wait_for() {
	local i=0
	until eval "$1" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -lt "$2" ] || return 1
		sleep 0.1
	done
}

ctl() {
	as_user env WADESK_DATABASE_URL="$(db_url "$RUN_USER")" \
	    "$ROOT/$BUILD/cgi/wadeskctl" "$@"
}

admin_ensure() {
	local pw=${WADESK_ADMIN_PASSWORD:-} gen=0 out
	if [ -z "$pw" ]; then
		pw=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
		gen=1
	fi
	out=$(printf '%s\n' "$pw" | ctl operator add admin --admin --if-missing)
	case $out in
	add*)
		if [ $gen -eq 1 ]; then
			echo "admin password (shown once): $pw"
			printf '%s\n' "$pw" >"$VAR/admin-password.txt"
			chmod 600 "$VAR/admin-password.txt"
		fi ;;
	esac
}

start() {
	for b in cgi/wadesk.fcgi cgi/wadeskctl; do
		[ -x "$ROOT/$BUILD/$b" ] || { echo "stack: build $BUILD/$b first (make)" >&2; exit 1; }
	done
	"$ROOT/scripts/pg.sh" start
	mkdir -p "$VAR/nginx" "$VAR/log" "$VAR/run"
	[ "$(id -u)" -ne 0 ] || chown -R "$RUN_USER:" "$VAR/nginx" "$VAR/log" "$VAR/run"
	open_path "$ROOT"
	ctl migrate "$ROOT/sql" | sed 's/^/migrate: /'
	admin_ensure
	if [ ! -f "$VAR/cred.key" ]; then
		ctl keygen "$VAR/cred.key"
	fi
	if [ ! -f "$VAR/webhook.key" ]; then
		ctl keygen "$VAR/webhook.key"
	fi

	if ! alive fcgi; then
		# The process writes its own pid, then becomes wadesk.fcgi.
		as_user env WADESK_DATABASE_URL="$(db_url wadesk_web)" \
		    WADESK_FCGI_SOCKET="$VAR/run/wadesk.sock" \
		    WADESK_TEMPLATES="$ROOT/templates" \
		    sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$(pidfile fcgi)" \
		    "$ROOT/$BUILD/cgi/wadesk.fcgi" >>"$VAR/log/wadesk.fcgi.log" 2>&1 &
		wait_for "test -S '$VAR/run/wadesk.sock'" 100 ||
		    { echo "stack: wadesk.fcgi did not start; see $VAR/log/wadesk.fcgi.log" >&2;
		      tail -5 "$VAR/log/wadesk.fcgi.log" >&2; exit 1; }
	fi

	# The session daemon, once built (every WADESK_* variable passes
	# through, so the same stack can point at any simulator).  Suites
	# that stand in for the daemon themselves set WADESK_NO_DAEMON=1.
	if [ -x "$ROOT/$BUILD/daemon/wadeskd" ] && [ -z "${WADESK_NO_DAEMON:-}" ] &&
	    ! alive daemon; then
		as_user env WADESK_DATABASE_URL="$(db_url wadesk_daemon)" \
		    WADESK_CRED_KEY_FILE="$VAR/cred.key" \
		    sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$(pidfile daemon)" \
		    "$ROOT/$BUILD/daemon/wadeskd" >>"$VAR/log/wadeskd.log" 2>&1 &
		wait_for "test -s '$(pidfile daemon)'" 100 ||
		    { echo "stack: wadeskd did not start; see $VAR/log/wadeskd.log" >&2; exit 1; }
	fi

	# The webhook sender (webhook/hook.h): its own role and key.
	if [ -x "$ROOT/$BUILD/webhook/wadesk-webhookd" ] &&
	    [ -z "${WADESK_NO_WEBHOOKD:-}" ] && ! alive webhookd; then
		as_user env WADESK_DATABASE_URL="$(db_url wadesk_webhook)" \
		    WADESK_WEBHOOK_KEY_FILE="$VAR/webhook.key" \
		    sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$(pidfile webhookd)" \
		    "$ROOT/$BUILD/webhook/wadesk-webhookd" >>"$VAR/log/wadesk-webhookd.log" 2>&1 &
		wait_for "test -s '$(pidfile webhookd)'" 100 ||
		    { echo "stack: wadesk-webhookd did not start; see $VAR/log/wadesk-webhookd.log" >&2; exit 1; }
	fi

	sed -e "s|@VAR@|$VAR|g" -e "s|@ROOT@|$ROOT|g" -e "s|@PORT@|$PORT|g" \
	    -e "s|@LOGIN_RATE@|${WADESK_LOGIN_RATE:-30r/m}|g" \
	    "$ROOT/nginx/dev.conf.in" >"$VAR/nginx/nginx.conf"
	if ! alive nginx; then
		rm -f "$VAR/run/nginx.pid"
		as_user /usr/sbin/nginx -q -p "$VAR/nginx" -c "$VAR/nginx/nginx.conf" \
		    -e "$VAR/log/nginx-error.log"
		wait_for "test -s '$VAR/run/nginx.pid'" 100 ||
		    { echo "stack: nginx did not start; see $VAR/log/nginx-error.log" >&2; exit 1; }
		cp "$VAR/run/nginx.pid" "$(pidfile nginx)" 2>/dev/null || true
	fi
	wait_for "curl -fsS -o /dev/null http://127.0.0.1:$PORT/login" 100 ||
	    { echo "stack: http://127.0.0.1:$PORT/ does not answer" >&2; exit 1; }
	echo "url: http://127.0.0.1:$PORT/"
}

# Stop the process in pidfile "$1" with SIGTERM, waiting up to 10 s.
stop_one() {
	local f pid
	f=$(pidfile "$1")
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait_for "! kill -0 $pid" 100 || kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$f"
}

stop() {
	if [ -f "$VAR/run/nginx.pid" ]; then
		as_user /usr/sbin/nginx -q -p "$VAR/nginx" -c "$VAR/nginx/nginx.conf" \
		    -e "$VAR/log/nginx-error.log" -s quit 2>/dev/null || true
		wait_for "! test -f '$VAR/run/nginx.pid'" 100 || true
	fi
	rm -f "$(pidfile nginx)"
	stop_one webhookd
	stop_one daemon
	stop_one fcgi
	"$ROOT/scripts/pg.sh" stop
}

case ${1:-} in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
