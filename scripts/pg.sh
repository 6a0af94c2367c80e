#!/usr/bin/env bash
# scripts/pg.sh start|stop|status: the private PostgreSQL cluster under
# $WADESK_VAR/pg, run by the unprivileged service user, reachable only
# through a unix socket in $WADESK_VAR/run (no TCP).
set -eu
. "$(dirname "$0")/env.sh"

start() {
	open_path "$VAR"
	mkdir -p "$VAR/pg" "$PGSOCK" "$VAR/log"
	if [ "$(id -u)" -eq 0 ]; then
		chown "$RUN_USER:" "$VAR" "$VAR/pg" "$PGSOCK" "$VAR/log"
	fi
	chmod 0700 "$PGSOCK"
	if [ ! -f "$PGDATA/PG_VERSION" ]; then
		as_user "$PGBIN/initdb" -D "$PGDATA" -U "$RUN_USER" -A trust \
		    -E UTF8 --locale=C.UTF-8 --no-sync >"$VAR/log/initdb.log"
		cat >>"$PGDATA/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$PGSOCK'
unix_socket_permissions = 0700
fsync = on
max_connections = 200
shared_buffers = 128MB
log_min_messages = warning
CONF
	fi
	if ! as_user "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
		as_user "$PGBIN/pg_ctl" -D "$PGDATA" -l "$VAR/log/postgres.log" \
		    -w -t 60 -o "-k $PGSOCK" start >/dev/null
	fi
	if ! as_user "$PGBIN/psql" -h "$PGSOCK" -d postgres -tAc \
	    "SELECT 1 FROM pg_database WHERE datname = '$PGDB'" | grep -q 1; then
		as_user "$PGBIN/createdb" -h "$PGSOCK" "$PGDB"
	fi
}

stop() {
	if [ -f "$PGDATA/PG_VERSION" ] &&
	    as_user "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
		as_user "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
	fi
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) as_user "$PGBIN/pg_ctl" -D "$PGDATA" status ;;
*) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
