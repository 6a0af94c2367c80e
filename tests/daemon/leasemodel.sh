#!/usr/bin/env bash
# tests/daemon/leasemodel.sh: issue 12's lease safety model.  Starts a
# PostgreSQL in a fresh temporary WADESK_VAR (scripts/pg.sh), applies
# sql/ with wadeskctl migrate, makes two accounts that need a daemon
# (credentials, auto_connect) and the model's clock (schema leasemodel:
# a one-row table and a now() that reads it, which the checker puts
# before pg_catalog on its search path), then runs
# $BUILD/tests/daemon/t_leasemodel as the daemon role: every
# interleaving of the scenarios' claim/renew/write/tick steps over the
# daemon's real statements, then each mutant, which must be caught.
# Prints "ok NAME" / "FAIL NAME".
PG_ONLY_NAME=leasemodel PG_ONLY_BIN=tests/daemon/t_leasemodel
. "$(dirname "$0")/pg_only.sh"
ids=$(psql_as "$RUN_USER" "
CREATE SCHEMA leasemodel;
CREATE TABLE leasemodel.clock (base timestamptz NOT NULL,
    t timestamptz NOT NULL);
INSERT INTO leasemodel.clock VALUES (now(), now());
CREATE FUNCTION leasemodel.now() RETURNS timestamptz LANGUAGE sql STABLE
    AS 'SELECT t FROM leasemodel.clock';
GRANT USAGE ON SCHEMA leasemodel TO wadesk_daemon;
GRANT SELECT, UPDATE ON leasemodel.clock TO wadesk_daemon;
INSERT INTO operators (username, password_hash, role)
    VALUES ('op', 'x', 'admin');
WITH a AS (INSERT INTO accounts (operator_id, label, status, auto_connect)
    SELECT o.id, l, 'disconnected', true FROM operators o,
    unnest(ARRAY['model 0', 'model 1']) AS l RETURNING id)
INSERT INTO account_credentials (account_id, nonce, sealed)
    SELECT id, '\\x00', '\\x00' FROM a RETURNING account_id;") ||
    fail leasemodel-accounts
set -- $ids
[ $# -eq 2 ] || fail leasemodel-accounts
echo "ok leasemodel-setup"
as_user "$ROOT/$BUILD/tests/daemon/t_leasemodel" "$(db_url wadesk_daemon)" \
    "$1" "$2" | grep -v ' passed, '
exit "${PIPESTATUS[0]}"
