# Sourced by tests/daemon/sigstore.sh and leasemodel.sh (bash, from the
# repo root's tests/daemon/): a PostgreSQL of their own in a fresh
# temporary WADESK_VAR with sql/ applied, nothing else running.  Set PG_ONLY_NAME (the suite's name: its FAIL
# lines and temporary folder) and PG_ONLY_BIN (the test program under
# $BUILD) first.  Leaves ROOT, BUILD, VAR, scripts/env.sh's variables
# and functions, an EXIT trap that stops the cluster and removes VAR
# (WADESK_KEEP_VAR keeps it), and fail NAME, ctl ARGS (wadeskctl as the
# owner role) and psql_as ROLE SQL.  Exits with a FAIL line when any
# step fails.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$(pwd)
export BUILD=${BUILD:-build/san}
for b in cgi/wadeskctl "$PG_ONLY_BIN"; do
	if [ ! -x "$BUILD/$b" ]; then
		echo "FAIL $PG_ONLY_NAME-setup (no $BUILD/$b)"
		exit 1
	fi
done
VAR=$(mktemp -d "${TMPDIR:-/tmp}/wadesk-$PG_ONLY_NAME.XXXXXX")
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
"$ROOT/scripts/pg.sh" start >"$VAR/pg-start.log" 2>&1 ||
    fail "$PG_ONLY_NAME-setup"
open_path "$ROOT"
ctl() {
	as_user env WADESK_DATABASE_URL="$(db_url "$RUN_USER")" \
	    "$ROOT/$BUILD/cgi/wadeskctl" "$@"
}
ctl migrate "$ROOT/sql" >"$VAR/migrate.log" 2>&1 || {
	cat "$VAR/migrate.log"; fail "$PG_ONLY_NAME-migrate"; }
psql_as() {
	as_user "$PGBIN/psql" -h "$PGSOCK" -d "$PGDB" -U "$1" -v ON_ERROR_STOP=1 \
	    -tAqc "SET search_path = wadesk; $2"
}
