#!/usr/bin/env bash
# tests/daemon/sigstore.sh: the Signal store (daemon/sigstore.c,
# sql/012) against a real PostgreSQL in a fresh temporary WADESK_VAR:
# starts the cluster (scripts/pg.sh), applies sql/ with wadeskctl
# migrate, makes a key file and one account, then runs
# $BUILD/tests/daemon/t_sigstore as the daemon role, and checks that
# the web role cannot read the tables.  Prints "ok NAME" / "FAIL NAME".
PG_ONLY_NAME=sigstore PG_ONLY_BIN=tests/daemon/t_sigstore
. "$(dirname "$0")/pg_only.sh"
ctl keygen "$VAR/cred.key" >/dev/null || fail sigstore-keygen
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
