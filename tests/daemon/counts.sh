#!/usr/bin/env bash
# tests/daemon/counts.sh: the account counts trigger (sql/003, sql/022)
# against a real PostgreSQL of its own (pg_only.sh).  Two transactions
# that move accounts of one operator between statuses in opposite
# directions, as two daemons do during a handover (connected ->
# connecting on one, connecting -> connected on the other), must wait
# for each other, never end in "deadlock detected"; and the counts
# must equal a count of the rows afterwards.  About 10 s.  Prints
# "ok NAME" / "FAIL NAME".
PG_ONLY_NAME=counts PG_ONLY_BIN=cgi/wadeskctl
. "$(dirname "$0")/pg_only.sh"
rc=0
op=$(psql_as "$RUN_USER" "INSERT INTO operators (username, password_hash,
    role) VALUES ('op', 'x', 'admin') RETURNING id") || fail counts-setup
ids=$(psql_as "$RUN_USER" "INSERT INTO accounts (operator_id, label)
    SELECT $op, 'a' || g FROM generate_series(1, 3) g RETURNING id") ||
    fail counts-setup
read -r a b c <<<"$(echo $ids)"
psql_as "$RUN_USER" "UPDATE accounts SET status = 'connected' WHERE id = $a;
    UPDATE accounts SET status = 'connecting' WHERE id IN ($b, $c)" \
    >/dev/null || fail counts-setup
echo "ok counts-setup"

# One: takes (op, connected) and (op, disconnected), waits, then needs
# (op, connecting).  Two, meanwhile: connecting -> connected.  With the
# old order Two held (op, connecting) while waiting for One's (op,
# connected): a deadlock, found after deadlock_timeout (1 s).
psql_as "$RUN_USER" "BEGIN;
    UPDATE accounts SET status = 'disconnected' WHERE id = $a;
    SELECT pg_sleep(2);
    UPDATE accounts SET status = 'disconnected' WHERE id = $c;
    COMMIT" >"$VAR/one.out" 2>&1 &
one=$!
sleep 0.7
psql_as "$RUN_USER" "BEGIN;
    UPDATE accounts SET status = 'connected' WHERE id = $b;
    COMMIT" >"$VAR/two.out" 2>&1
st2=$?
wait "$one"
st1=$?
if [ "$st1" -eq 0 ] && [ "$st2" -eq 0 ]; then
	echo "ok counts-opposite-moves-no-deadlock"
else
	echo "FAIL counts-opposite-moves-no-deadlock (exit $st1, $st2)"
	cat "$VAR/one.out" "$VAR/two.out" | sed 's/^/    /'
	rc=1
fi

# Every other kind of change: a deleted_at mark, an insert, a delete,
# a move to another operator.
psql_as "$RUN_USER" "
    UPDATE accounts SET deleted_at = now() WHERE id = $a;
    INSERT INTO accounts (operator_id, label) VALUES ($op, 'd');
    DELETE FROM accounts WHERE id = $c;
    INSERT INTO operators (username, password_hash) VALUES ('op2', 'x');
    UPDATE accounts SET operator_id = (SELECT id FROM operators WHERE
        username = 'op2') WHERE id = $b" >/dev/null || fail counts-changes
diff=$(psql_as "$RUN_USER" "
    SELECT coalesce(r.operator_id, k.operator_id), coalesce(r.status,
        k.status), r.n, k.n
    FROM (SELECT operator_id, status, count(*) AS n FROM accounts
        WHERE deleted_at IS NULL GROUP BY 1, 2) r
    FULL JOIN (SELECT * FROM account_counts WHERE n > 0) k
        USING (operator_id, status)
    WHERE r.n IS DISTINCT FROM k.n") || fail counts-compare
if [ -z "$diff" ]; then
	echo "ok counts-match-the-rows"
else
	echo "FAIL counts-match-the-rows (operator|status|rows|count):"
	echo "$diff" | sed 's/^/    /'
	rc=1
fi
exit "$rc"
