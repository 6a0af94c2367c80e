#!/usr/bin/env bash
# tests/daemon/sigstore.sh: the Signal store (daemon/sigstore.c,
# sql/012) against a real PostgreSQL in a fresh temporary WADESK_VAR:
# starts the cluster (scripts/pg.sh), applies sql/ with wadeskctl
# migrate, makes a key file and one account, then runs
# $BUILD/tests/daemon/t_sigstore as the daemon role, and checks that
# the web role cannot read the tables.  Prints "ok NAME" / "FAIL NAME".
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export BUILD=${BUILD:-build/san}
for b in cgi/wadeskctl tests/daemon/t_sigstore; do
	if [ ! -x "$BUILD/$b" ]; then
		echo "FAIL sigstore-setup (no $BUILD/$b)"
		exit 1
	fi
done
VAR=$(mktemp -d "${TMPDIR:-/tmp}/wadesk-sigstore.XXXXXX")
chmod 755 "$VAR"
export WADESK_VAR=$VAR
. scripts/env.sh
cleanup() {
	"$ROOT/scripts/pg.sh" stop >/dev/null 2>&1 || true
	[ -n "${WADESK_KEEP_VAR:-}" ] || rm -rf "$VAR"
}
trap cleanup EXIT
fail() {
	echo "FAIL $1"
	[ -f "$VAR/log/postgres.log" ] && tail -n 20 "$VAR/log/postgres.log"
	exit 1
}
"$ROOT/scripts/pg.sh" start >"$VAR/pg-start.log" 2>&1 || fail sigstore-setup
open_path "$ROOT"
ctl() {
	as_user env WADESK_DATABASE_URL="$(db_url "$RUN_USER")" \
	    "$ROOT/$BUILD/cgi/wadeskctl" "$@"
}
ctl migrate "$ROOT/sql" >"$VAR/migrate.log" 2>&1 || {
	cat "$VAR/migrate.log"; fail sigstore-migrate; }
ctl keygen "$VAR/cred.key" >/dev/null || fail sigstore-keygen
psql_as() {
	as_user "$PGBIN/psql" -h "$PGSOCK" -d "$PGDB" -U "$1" -v ON_ERROR_STOP=1 \
	    -tAqc "SET search_path = wadesk; $2"
}
acct=$(psql_as "$RUN_USER" "INSERT INTO operators (username, password_hash,
    role) VALUES ('op', 'x', 'admin') RETURNING id" |
    { read -r op; psql_as "$RUN_USER" "INSERT INTO accounts (operator_id,
    label) VALUES ($op, 'bob') RETURNING id"; }) || fail sigstore-account
[ -n "$acct" ] || fail sigstore-account
echo "ok sigstore-setup"
as_user "$ROOT/$BUILD/tests/daemon/t_sigstore" "$(db_url wadesk_daemon)" \
    "$VAR/cred.key" "$acct" | grep -v ' passed, '
rc=${PIPESTATUS[0]}
for t in signal_store account_prekeys_used; do
	if psql_as wadesk_web "SELECT 1 FROM $t LIMIT 1" >/dev/null 2>&1; then
		echo "FAIL sigstore-web-cannot-read-$t"
		rc=1
	else
		echo "ok sigstore-web-cannot-read-$t"
	fi
done
exit "$rc"
