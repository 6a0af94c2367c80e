/*
 * The daemon role's statements (STYLE.md 2.7): every query wadeskd runs
 * is declared once here and run by index through db_exec().  The
 * daemon writes only the contract columns of accounts (DESIGN.md "Data
 * model"), plus pair_qr_base when it opens a pairing window itself
 * (rule 8) so that the page's "QR n of ~6" counts from that window,
 * and last_frame_at.
 */
#include <inttypes.h>
#include <stdio.h>

#include <json-c/json.h>

#include "daemon.h"
#include "log.h"

/* No daemon holds lease row "l" (account_leases, issue 12). */
#define	LEASE_FREE(l) \
	"(" l ".owner_daemon IS NULL OR " l ".lease_until IS NULL OR " \
	l ".lease_until <= now())"

/* Command q is claimed by a daemon whose heartbeat is younger than
 * "secs" seconds. */
#define	LIVE_CLAIM(q, secs) \
	"EXISTS (SELECT 1 FROM daemon_instances i WHERE i.id = " q \
	".claimed_by AND i.heartbeat_at > now() - make_interval(secs => " \
	secs "::int))"

/* Credentials in a row linked to a device (rule 6). */
#define	HAS_CREDS(a) \
	"EXISTS (SELECT 1 FROM account_credentials k " \
	"WHERE k.account_id = " a ".id)"

/*
 * An account that needs a daemon (issue 12): one rule 9 logs in
 * (credentials, auto_connect, not banned, not stopped by an operator),
 * or one with an open command nobody live has claimed ($1: us, "secs":
 * the heartbeat age of a dead daemon).
 */
#define	NEEDS_OWNER(a, secs) \
	"((" a ".auto_connect AND " a ".deleted_at IS NULL AND " \
	a ".status <> 'banned' AND coalesce(" a ".disconnect_reason, '') " \
	"<> 'disconnected_by_operator' AND " HAS_CREDS(a) ") OR " \
	OPEN_CMD(a, secs) ")"
#define	OPEN_CMD(a, secs) \
	"EXISTS (SELECT 1 FROM commands q WHERE q.account_id = " a ".id " \
	"AND q.done_at IS NULL AND (q.claimed_by IS NULL OR " \
	"q.claimed_by = $1 OR NOT " LIVE_CLAIM("q", secs) "))"

/* The rows of a JSON array of groups (daemon/groups.c groups_json),
 * with their position as ord. */
#define	GROUPS_RECORDSET(j) \
	"ROWS FROM (jsonb_to_recordset(" j "::jsonb) AS (jid text, " \
	"subject text, participants integer, is_admin boolean, " \
	"announce boolean, locked boolean)) WITH ORDINALITY AS x(jid, " \
	"subject, participants, is_admin, announce, locked, ord)"
#define	GROUPS_UPSERT(a) \
	"INSERT INTO groups (account_id, jid, subject, participants, " \
	"is_admin, announce, locked, synced_at) SELECT " a ", g.jid, " \
	"g.subject, g.participants, g.is_admin, g.announce, g.locked, now() " \
	"FROM g ON CONFLICT (account_id, jid) DO UPDATE SET " \
	"subject = EXCLUDED.subject, participants = EXCLUDED.participants, " \
	"is_admin = EXCLUDED.is_admin, announce = EXCLUDED.announce, " \
	"locked = EXCLUDED.locked, synced_at = EXCLUDED.synced_at"

const struct db_stmt	daemon_stmts[DS__MAX] = {
	/* DS_INSTANCE_INSERT: host $1, pid $2, host key $3, capacity $4. */
	{ "instance_insert", 4,
	  "INSERT INTO daemon_instances (hostname, pid, host_key, capacity) "
	  "VALUES ($1, $2, $3, $4) RETURNING id" },
	/* DS_INSTANCE_BEAT: sessions owned $2, takeovers $3, lease losses
	 * $4 (counters since start), $5 true once we drain; answers
	 * whether we are to drain (wadeskctl daemon drain ID). */
	{ "instance_beat", 5,
	  "UPDATE daemon_instances SET heartbeat_at = now(), sessions = $2, "
	  "takeovers = $3, lease_losses = $4, "
	  "draining = draining OR $5::boolean WHERE id = $1 "
	  "RETURNING id, draining" },
	/* DS_INSTANCE_DELETE */
	{ "instance_delete", 1,
	  "DELETE FROM daemon_instances WHERE id = $1" },
	/* DS_SWEEP_PENDING: rule 9, pending rows nobody will finish: no
	 * daemon holds them and no pair command is waiting.  A row whose
	 * window a daemon held (issue 12: that daemon was killed or cut
	 * off and its lease ran out) says "daemon_lost"; one no daemon
	 * ever took "daemon_restarted". */
	{ "sweep_pending", 0,
	  "WITH s AS (UPDATE accounts a SET status = 'unpaired', "
	  "qr_code = NULL, qr_expires_at = NULL, pair_code = NULL, "
	  "pair_deadline = NULL, disconnect_reason = CASE WHEN "
	  "l.owner_daemon IS NOT NULL THEN 'daemon_lost' ELSE "
	  "'daemon_restarted' END FROM account_leases l "
	  "WHERE l.account_id = a.id AND a.status = 'pending' AND "
	  LEASE_FREE("l") " AND "
	  "NOT EXISTS (SELECT 1 FROM "
	  "commands c WHERE c.account_id = a.id AND c.done_at IS NULL AND "
	  "c.type IN ('pair', 'pair_code')) RETURNING a.id, "
	  "a.disconnect_reason) "
	  "INSERT INTO account_events (account_id, kind, detail) "
	  "SELECT id, 'pair_timeout', jsonb_build_object('reason', "
	  "disconnect_reason) FROM s" },
	/* DS_COMMANDS_CLAIM: the open commands of accounts we hold the
	 * lease of (issue 12: only the owner runs them), whoever claimed
	 * them before (a previous owner's claim is void: its writes are
	 * fenced); never our own open ones.  Those of a deleted account
	 * (no account) as before: new, or a dead daemon's after $2 s. */
	{ "commands_claim", 2,
	  "UPDATE commands c SET claimed_at = now(), claimed_by = $1 "
	  "FROM (SELECT q.id FROM commands q WHERE q.done_at IS NULL AND "
	  "(q.claimed_at IS NULL OR q.claimed_by IS DISTINCT FROM $1) AND "
	  "(EXISTS (SELECT 1 FROM account_leases l WHERE "
	  "l.account_id = q.account_id AND "
	  "l.owner_daemon = $1 AND l.lease_until > now()) OR "
	  "(q.account_id IS NULL AND (q.claimed_at IS NULL OR "
	  "(q.claimed_at < now() - make_interval(secs => $2::int) AND "
	  "NOT " LIVE_CLAIM("q", "$2") ")))) "
	  "ORDER BY q.id LIMIT " DAEMON_CLAIM_BATCH
	  " FOR UPDATE OF q SKIP LOCKED) t WHERE c.id = t.id "
	  "RETURNING c.id, c.account_id, c.type, c.payload->>'phone'" },
	/* DS_COMMAND_DONE */
	{ "command_done", 3,
	  "UPDATE commands SET done_at = now(), result = $2, error = $3 "
	  "WHERE id = $1 AND done_at IS NULL" },
	/* DS_ACCOUNT_FACTS */
	{ "account_facts", 1,
	  "SELECT a.auto_connect, a.last_connected_at IS NOT NULL, "
	  HAS_CREDS("a") ", a.status, a.label, a.deleted_at IS NOT NULL "
	  "FROM accounts a WHERE a.id = $1" },
	/* DS_ACCOUNT_STATE: status, reason ($4 keeps it), $5 clears the
	 * pairing columns; connect and disconnect times follow status. */
	{ "account_state", 5,
	  "UPDATE accounts SET status = $2::text, "
	  "disconnect_reason = CASE WHEN $4::boolean THEN disconnect_reason "
	  "ELSE $3::text END, "
	  "qr_code = CASE WHEN $5::boolean THEN NULL ELSE qr_code END, "
	  "qr_expires_at = CASE WHEN $5::boolean THEN NULL "
	  "ELSE qr_expires_at END, "
	  "pair_code = CASE WHEN $5::boolean THEN NULL ELSE pair_code END, "
	  "pair_deadline = CASE WHEN $5::boolean THEN NULL "
	  "ELSE pair_deadline END, "
	  "last_connected_at = CASE WHEN $2::text = 'connected' THEN now() "
	  "ELSE last_connected_at END, "
	  "last_frame_at = CASE WHEN $2::text = 'connected' THEN now() "
	  "ELSE last_frame_at END, "
	  "last_disconnected_at = CASE WHEN status = 'connected' AND "
	  "$2::text <> 'connected' THEN now() ELSE last_disconnected_at END "
	  "WHERE id = $1" },
	/* DS_ACCOUNT_PAIR_BEGIN: open (or keep) the pairing window of $2
	 * seconds; returns the milliseconds left in it.  After a logout
	 * from the phone (rule 8) the reason stays, so the page says why
	 * a new QR is waiting; an operator's Pair cleared it already. */
	{ "account_pair_begin", 2,
	  "UPDATE accounts SET pair_qr_base = CASE WHEN status = 'pending' "
	  "THEN pair_qr_base ELSE qr_version END, "
	  "pair_deadline = CASE WHEN status = 'pending' AND "
	  "pair_deadline > now() THEN pair_deadline "
	  "ELSE now() + make_interval(secs => $2::int) END, "
	  "status = 'pending', qr_code = NULL, qr_expires_at = NULL, "
	  "pair_code = NULL, disconnect_reason = CASE WHEN status = "
	  "'logged_out' THEN disconnect_reason END WHERE id = $1 "
	  "RETURNING (extract(epoch FROM pair_deadline - now()) * 1000)"
	  "::bigint" },
	/* DS_ACCOUNT_QR */
	{ "account_qr", 3,
	  "UPDATE accounts SET qr_code = $2, qr_version = qr_version + 1, "
	  "qr_expires_at = to_timestamp($3::bigint) "
	  "WHERE id = $1 AND status = 'pending'" },
	/* DS_ACCOUNT_CODE */
	{ "account_code", 2,
	  "UPDATE accounts SET pair_code = $2 "
	  "WHERE id = $1 AND status = 'pending'" },
	/* DS_ACCOUNT_IDENTITY: NULL $2..$5 keep the old value, except
	 * that $6 true forgets them all (unpair). */
	{ "account_identity", 6,
	  "UPDATE accounts SET "
	  "jid = CASE WHEN $6::boolean THEN NULL ELSE coalesce($2, jid) END, "
	  "phone_number = CASE WHEN $6::boolean THEN NULL "
	  "ELSE coalesce($3, phone_number) END, "
	  "push_name = CASE WHEN $6::boolean THEN NULL "
	  "ELSE coalesce($4, push_name) END, "
	  "platform = CASE WHEN $6::boolean THEN NULL "
	  "ELSE coalesce($5, platform) END, "
	  "lid = CASE WHEN $6::boolean THEN NULL ELSE lid END WHERE id = $1" },
	/* DS_ACCOUNT_DELETE */
	{ "account_delete", 1,
	  "DELETE FROM accounts WHERE id = $1" },
	/* DS_ACCOUNT_DUPLICATE: another linked row with phone $2. */
	{ "account_duplicate", 2,
	  "SELECT a.label FROM accounts a WHERE a.phone_number = $2 AND "
	  "a.id <> $1 AND a.deleted_at IS NULL AND " HAS_CREDS("a")
	  " ORDER BY a.id LIMIT 1" },
	/* DS_EVENT_INSERT */
	{ "event_insert", 3,
	  "INSERT INTO account_events (account_id, kind, detail) "
	  "VALUES ($1, $2, $3::jsonb)" },
	/* DS_CREDS_GET */
	{ "creds_get", 1,
	  "SELECT nonce, sealed FROM account_credentials "
	  "WHERE account_id = $1" },
	/* DS_CREDS_PUT */
	{ "creds_put", 3,
	  "INSERT INTO account_credentials (account_id, nonce, sealed) "
	  "VALUES ($1, $2::bytea, $3::bytea) ON CONFLICT (account_id) DO "
	  "UPDATE SET nonce = EXCLUDED.nonce, sealed = EXCLUDED.sealed, "
	  "updated_at = now()" },
	/* DS_CREDS_DELETE: the keys and everything learnt through them;
	 * the groups (issue 10) belonged to the device that is gone. */
	{ "creds_delete", 1,
	  "WITH p AS (DELETE FROM account_prekeys WHERE account_id = $1), "
	  "u AS (DELETE FROM account_prekeys_used WHERE account_id = $1), "
	  "g AS (DELETE FROM signal_store WHERE account_id = $1), "
	  "r AS (DELETE FROM groups WHERE account_id = $1), "
	  "t AS (UPDATE accounts SET groups_synced_at = NULL WHERE id = $1 "
	  "AND groups_synced_at IS NOT NULL), "
	  "m AS (DELETE FROM messages WHERE account_id = $1) "
	  "DELETE FROM account_credentials WHERE account_id = $1" },
	/* DS_SWEEP_LIVE: rows a killed daemon left connected (rule 9):
	 * its lease ran out; not those handed over on purpose. */
	{ "sweep_live", 0,
	  "UPDATE accounts a SET status = 'disconnected', "
	  "disconnect_reason = 'daemon_restarted', "
	  "last_disconnected_at = now() FROM account_leases l "
	  "WHERE l.account_id = a.id AND a.status IN ('connected', "
	  "'connecting') AND " LEASE_FREE("l") " AND NOT "
	  "(l.owner_daemon IS NULL AND a.disconnect_reason = 'handover')" },
	/* DS_FRAMES_WRITE: last_frame_at of many connected rows at once
	 * (ids $1, unix seconds $2, lease generations $4, in the same
	 * order; fenced: only rows daemon $3 still holds); never backwards,
	 * since account_state wrote now() with its fraction at connect. */
	{ "frames_write", 4,
	  "UPDATE accounts a SET last_frame_at = "
	  "greatest(a.last_frame_at, to_timestamp(u.t)) "
	  "FROM unnest($1::bigint[], $2::bigint[], $4::bigint[]) "
	  "AS u(id, t, g), account_leases l "
	  "WHERE a.id = u.id AND a.status = 'connected' AND "
	  "l.account_id = a.id AND l.owner_daemon = $3 AND "
	  "l.lease_generation = u.g AND l.lease_until > now()" },
	/* DS_ACCOUNT_LID: the LID the server gave ($2, "U:D@lid") and
	 * the LID user $3 <-> phone $4 mapping (whatsmeow
	 * StoreLIDPNMapping); sql/005. */
	{ "account_lid", 4,
	  "WITH m AS (INSERT INTO lid_map (lid_user, phone) VALUES ($3, $4) "
	  "ON CONFLICT (lid_user) DO UPDATE SET phone = EXCLUDED.phone, "
	  "updated_at = now() WHERE lid_map.phone <> EXCLUDED.phone) "
	  "UPDATE accounts SET lid = $2 WHERE id = $1 AND "
	  "lid IS DISTINCT FROM $2" },
	/* DS_ACCOUNT_OFFLINE: the offline backlog was delivered. */
	{ "account_offline", 1,
	  "UPDATE accounts SET offline_synced_at = now() WHERE id = $1" },
	/* DS_PREKEYS_PUT: one sealed batch of pre-key private halves,
	 * ids $2..$3 (sql/005). */
	{ "prekeys_put", 5,
	  "INSERT INTO account_prekeys (account_id, first_id, last_id, "
	  "nonce, sealed) VALUES ($1, $2, $3, $4::bytea, $5::bytea) "
	  "ON CONFLICT (account_id, first_id) DO UPDATE SET "
	  "last_id = EXCLUDED.last_id, nonce = EXCLUDED.nonce, "
	  "sealed = EXCLUDED.sealed, created_at = now()" },
	/* DS_SIG_GET .. DS_SIG_DEL_PREFIX: sealed libsignal records of
	 * account $1, kind $2, key $3 (sql/012, sigstore.c). */
	{ "sig_get", 3,
	  "SELECT nonce, sealed FROM signal_store "
	  "WHERE account_id = $1 AND kind = $2 AND key = $3" },
	{ "sig_put", 5,
	  "INSERT INTO signal_store (account_id, kind, key, nonce, sealed) "
	  "VALUES ($1, $2, $3, $4::bytea, $5::bytea) "
	  "ON CONFLICT (account_id, kind, key) DO UPDATE SET "
	  "nonce = EXCLUDED.nonce, sealed = EXCLUDED.sealed, "
	  "updated_at = now()" },
	{ "sig_del", 3,
	  "DELETE FROM signal_store "
	  "WHERE account_id = $1 AND kind = $2 AND key = $3" },
	{ "sig_del_prefix", 3,
	  "DELETE FROM signal_store WHERE account_id = $1 AND kind = $2 "
	  "AND left(key, length($3::text)) = $3::text" },
	/* DS_PREKEY_GET: the sealed batch holding pre-key $2 of account
	 * $1, unless a pre-key message used it (sql/012). */
	{ "prekey_get", 2,
	  "SELECT p.nonce, p.sealed FROM account_prekeys p "
	  "WHERE p.account_id = $1 AND $2::integer BETWEEN p.first_id "
	  "AND p.last_id AND NOT EXISTS (SELECT 1 FROM "
	  "account_prekeys_used u WHERE u.account_id = $1 "
	  "AND u.prekey_id = $2::integer)" },
	/* DS_PREKEY_USE: pre-key $2 is spent (libsignal removePreKey). */
	{ "prekey_use", 2,
	  "INSERT INTO account_prekeys_used (account_id, prekey_id) "
	  "VALUES ($1, $2) ON CONFLICT DO NOTHING" },
	/* DS_LEASE_RENEW: issue 12, every lease of daemon $1 that still
	 * holds, $2 s more, in one statement; the rows answered are the
	 * leases we have (any other is lost). */
	{ "lease_renew", 2,
	  "UPDATE account_leases SET lease_until = now() + "
	  "make_interval(secs => $2::int) WHERE owner_daemon = $1 AND "
	  "lease_until > now() RETURNING account_id, lease_generation" },
	/* DS_LEASE_FLEET: live daemons that take accounts (heartbeat
	 * younger than $2 s, WADESK_DAEMON_DEAD_S; not draining, some
	 * capacity), accounts that are held or need holding ($1: us, for
	 * NEEDS_OWNER), and the live daemons' capacities ("5000,100"). */
	{ "lease_fleet", 2,
	  "SELECT (SELECT count(*) FROM daemon_instances i WHERE "
	  "i.heartbeat_at > now() - make_interval(secs => $2::int) AND "
	  "NOT i.draining AND i.capacity > 0)::int, "
	  "(SELECT count(*) FROM accounts a JOIN account_leases l ON "
	  "l.account_id = a.id WHERE "
	  "(l.owner_daemon IS NOT NULL AND l.lease_until > now()) OR "
	  NEEDS_OWNER("a", "$2") ")::int, "
	  "(SELECT string_agg(i.capacity::text, ',') FROM daemon_instances i "
	  "WHERE i.heartbeat_at > now() - make_interval(secs => $2::int) AND "
	  "NOT i.draining AND i.capacity > 0)" },
	/* DS_LEASE_CLAIM: up to $3 accounts that need a daemon and that
	 * nobody holds (free, or the lease ran out), those with commands
	 * first, for $2 s ($4: WADESK_DAEMON_DEAD_S, the heartbeat age of
	 * a dead claimant); each claim is a takeover: generation + 1.
	 * Answers id, generation and the previous owner (NULL: none). */
	{ "lease_claim", 4,
	  "UPDATE account_leases l SET owner_daemon = $1, lease_until = "
	  "now() + make_interval(secs => $2::int), lease_generation = "
	  "l.lease_generation + 1 FROM (SELECT c.id, cl.owner_daemon AS prev "
	  "FROM account_leases cl JOIN accounts c ON c.id = cl.account_id "
	  "WHERE " LEASE_FREE("cl") " AND "
	  NEEDS_OWNER("c", "$4") " ORDER BY " OPEN_CMD("c", "$4")
	  " DESC, c.created_at, c.id LIMIT $3 FOR UPDATE OF cl SKIP LOCKED) t "
	  "WHERE l.account_id = t.id RETURNING l.account_id, "
	  "l.lease_generation, t.prev" },
	/* DS_LEASE_FENCE: the first statement of every write transaction
	 * for account $1: locks its lease row (a claim waits for our
	 * commit) if daemon $2 still holds lease generation $3, else
	 * answers no row (the lease is lost). */
	{ "lease_fence", 3,
	  "SELECT 1 FROM account_leases WHERE account_id = $1 AND "
	  "owner_daemon = $2 AND lease_generation = $3 AND "
	  "lease_until > now() FOR NO KEY UPDATE" },
	/* DS_LEASE_RELEASE: give account $1 up (generation $3 of daemon
	 * $2) and wake the other daemons to claim it. */
	{ "lease_release", 3,
	  "WITH r AS (UPDATE account_leases SET owner_daemon = NULL, "
	  "lease_until = NULL WHERE account_id = $1 AND owner_daemon = $2 "
	  "AND lease_generation = $3 RETURNING account_id) "
	  "SELECT pg_notify('wadesk_commands', '') FROM r" },
	/* DS_LEASE_RELEASE_ALL: clean exit, after the rows are written. */
	{ "lease_release_all", 1,
	  "UPDATE account_leases SET owner_daemon = NULL, lease_until = NULL "
	  "WHERE owner_daemon = $1" },
	/* DS_ACCOUNT_HANDOVER: a session handed to another daemon (drain,
	 * fair share): a connected row shows connecting until the next
	 * owner has logged in. */
	{ "account_handover", 1,
	  "UPDATE accounts SET status = CASE WHEN status = 'connected' "
	  "THEN 'connecting' ELSE status END, disconnect_reason = CASE WHEN "
	  "status IN ('connected', 'connecting') THEN 'handover' "
	  "ELSE disconnect_reason END WHERE id = $1" },
	/* DS_INSTANCE_SIBLINGS: other daemons registered on this host
	 * ($1 name, $2 host key) with their pids. */
	{ "instance_siblings", 3,
	  "SELECT id, pid FROM daemon_instances WHERE hostname = $1 AND "
	  "host_key = $2 AND host_key <> '' AND id <> $3" },
	/* DS_INSTANCE_REAP: a sibling whose process is gone: its leases
	 * end now and its row goes. */
	{ "instance_reap", 1,
	  "WITH a AS (UPDATE account_leases SET lease_until = now() WHERE "
	  "owner_daemon = $1 AND lease_until > now()) "
	  "DELETE FROM daemon_instances WHERE id = $1" },
	/* DS_COMMANDS_UNCLAIM: our open claims on accounts $2 (an array)
	 * that we hold again after losing them: claimable again. */
	{ "commands_unclaim", 2,
	  "UPDATE commands SET claimed_at = NULL, claimed_by = NULL WHERE "
	  "claimed_by = $1 AND done_at IS NULL AND "
	  "account_id = ANY ($2::bigint[])" },
	/* DS_GROUPS_REPLACE (issue 10, daemon/groups.c): the account's
	 * groups are exactly those in $2, a JSON array of {jid, subject,
	 * participants, is_admin, announce, locked} (one jid once: the
	 * last wins, as in wa_groups_parse); the others go.  Answers
	 * nothing; also stamps accounts.groups_synced_at. */
	{ "groups_replace", 2,
	  "WITH g AS (SELECT DISTINCT ON (x.jid) x.* FROM "
	  GROUPS_RECORDSET("$2") " ORDER BY x.jid, x.ord DESC), "
	  "d AS (DELETE FROM groups o WHERE o.account_id = $1 AND NOT EXISTS "
	  "(SELECT 1 FROM g WHERE g.jid = o.jid)), "
	  "s AS (UPDATE accounts SET groups_synced_at = now() WHERE id = $1) "
	  GROUPS_UPSERT("$1") },
	/* DS_GROUPS_UPSERT: add or refresh the groups in $2 (as above),
	 * keeping the others (a <create> notification). */
	{ "groups_upsert", 2,
	  "WITH g AS (SELECT DISTINCT ON (x.jid) x.* FROM "
	  GROUPS_RECORDSET("$2") " ORDER BY x.jid, x.ord DESC) "
	  GROUPS_UPSERT("$1") },
	/* DS_GROUP_CHANGE: a w:gp2 change of group $2: subject $3 (NULL:
	 * unchanged), $4 members added, $5 removed, admin $6, announce
	 * $7, locked $8 (-1 unchanged, 0, 1).  Answers the row if any. */
	{ "group_change", 8,
	  "UPDATE groups SET subject = coalesce($3::text, subject), "
	  "participants = greatest(0, participants + $4::int - $5::int), "
	  "is_admin = CASE $6::int WHEN -1 THEN is_admin ELSE $6::int = 1 END, "
	  "announce = CASE $7::int WHEN -1 THEN announce ELSE $7::int = 1 END, "
	  "locked = CASE $8::int WHEN -1 THEN locked ELSE $8::int = 1 END, "
	  "synced_at = now() WHERE account_id = $1 AND jid = $2 RETURNING jid" },
	/* DS_GROUP_DELETE: we left or were removed, or the group is gone. */
	{ "group_delete", 2,
	  "DELETE FROM groups WHERE account_id = $1 AND jid = $2" },
	/* DS_SEND_LOAD: what a send_text command asks (sql/013), and
	 * whether a reminder run queued it (issue 11: its end wakes the
	 * scheduler, daemon/reminders.c). */
	{ "send_load", 1,
	  "SELECT payload->>'to', payload->>'text', message_id, "
	  "coalesce(client_id LIKE 'reminder:%', false) "
	  "FROM commands WHERE id = $1 AND done_at IS NULL" },
	/* DS_SEND_ID: the message id, kept before the first send so that a
	 * re-claimed command resends under the same id (sql/013). */
	{ "send_id", 2,
	  "UPDATE commands SET message_id = $2 WHERE id = $1 AND "
	  "done_at IS NULL AND message_id IS NULL" },
	/* DS_SEND_DONE: the result of a send_text: result, error (a
	 * lib/reason.c code), the server's error code. */
	{ "send_done", 4,
	  "UPDATE commands SET done_at = now(), result = $2, error = $3, "
	  "error_code = $4::integer WHERE id = $1 AND done_at IS NULL" },
	/* DS_SEND_RESTRICT: account $1 restricted ($2) until unix $3 (0:
	 * no end given) for reason $4; $2 false clears a set state. */
	{ "send_restrict", 4,
	  "UPDATE accounts SET restricted = $2::boolean, "
	  "restricted_until = CASE WHEN $2::boolean AND $3::bigint > 0 "
	  "THEN to_timestamp($3::bigint) END, "
	  "restricted_reason = CASE WHEN $2::boolean THEN $4::text END "
	  "WHERE id = $1 AND (restricted OR $2::boolean)" },
	/* DS_SEND_RESTRICT_DUE: restrictions whose end has passed, on the
	 * accounts daemon $1 holds (sql/013: cleared once restricted_until
	 * has passed); the ids, for the log. */
	{ "send_restrict_due", 1,
	  "UPDATE accounts SET restricted = false, restricted_until = NULL, "
	  "restricted_reason = NULL WHERE restricted AND "
	  "restricted_until < now() AND id IN (SELECT l.account_id FROM "
	  "account_leases l WHERE l.owner_daemon = $1 AND "
	  "l.lease_until > now()) RETURNING id" },
	/* DS_MESSAGE_PUT: a received text (sql/015): account $1, chat $2,
	 * sender $3, message id $4, text $5, push name $6 (NULL), direction
	 * $7 ('in'/'out'), <message t> $8 (unix s; 0: now).  A redelivery
	 * of the same (account, chat, sender, id) is not stored again. */
	{ "message_put", 8,
	  "INSERT INTO messages (account_id, chat_jid, sender_jid, message_id, "
	  "text, push_name, direction, sent_at) VALUES ($1, $2, $3, $4, $5, "
	  "$6, $7, CASE WHEN $8::bigint > 0 THEN to_timestamp($8::bigint) "
	  "ELSE now() END) ON CONFLICT DO NOTHING" },
	/* DS_MESSAGES_TRIM: keep the newest $3 rows of chat $2 of account
	 * $1 (WADESK_MESSAGES_KEEP). */
	{ "messages_trim", 3,
	  "DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE "
	  "account_id = $1 AND chat_jid = $2 ORDER BY sent_at DESC, id DESC "
	  "OFFSET $3::int)" },
	/* DS_PROXY_KEY_PUT: the key proxy URLs are sealed to (sql/017,
	 * daemon/proxy.c). */
	{ "proxy_key_put", 1,
	  "INSERT INTO proxy_keys (id, public_key) VALUES (1, $1::bytea) "
	  "ON CONFLICT (id) DO UPDATE SET public_key = EXCLUDED.public_key, "
	  "updated_at = now() WHERE proxy_keys.public_key <> "
	  "EXCLUDED.public_key" },
	/* DS_ACCOUNT_PROXY_GET: account $1's sealed proxy URL and the key
	 * it was sealed to (both NULL: direct). */
	{ "account_proxy_get", 1,
	  "SELECT proxy_sealed, proxy_public_key FROM accounts "
	  "WHERE id = $1" },
	/*
	 * Issue 11, the reminder scheduler (daemon/reminders.c, sql/019).
	 * Times cross as Unix seconds; "now" is always wall_now().
	 *
	 * DS_REM_CLAIM: up to $2 due active reminders of the accounts
	 * daemon $1 holds, locked (SKIP LOCKED: another daemon's claim
	 * of the same row skips it; the lease row is locked as
	 * DS_LEASE_FENCE does): id, account, lease generation, zone,
	 * first fire, rule, next fire, wall_now(), account status.
	 */
	{ "rem_claim", 2,
	  "SELECT r.id, r.account_id, l.lease_generation, r.timezone, "
	  "floor(extract(epoch FROM r.first_fire_at))::bigint, r.rrule, "
	  "floor(extract(epoch FROM r.next_fire_at))::bigint, "
	  "floor(extract(epoch FROM wall_now()))::bigint, a.status "
	  "FROM reminders r JOIN account_leases l ON "
	  "l.account_id = r.account_id JOIN accounts a ON a.id = r.account_id "
	  "WHERE r.status = 'active' AND r.next_fire_at <= wall_now() AND "
	  "l.owner_daemon = $1 AND l.lease_until > now() "
	  "ORDER BY r.next_fire_at LIMIT $2::int "
	  "FOR UPDATE OF r SKIP LOCKED FOR NO KEY UPDATE OF l SKIP LOCKED" },
	/* DS_REM_RUN_INSERT: the run of reminder $1's occurrence at its
	 * next_fire_at, status $2, summary $3 (finished unless running);
	 * answers id and total, or nothing when that occurrence has a run
	 * already (ever: reminder_runs_once). */
	{ "rem_run_insert", 3,
	  "INSERT INTO reminder_runs (reminder_id, reminder_name, "
	  "operator_id, account_id, scheduled_for, status, total, "
	  "error_summary, finished_at) SELECT r.id, r.name, r.operator_id, "
	  "r.account_id, r.next_fire_at, $2::text, (SELECT count(*) FROM "
	  "reminder_targets t WHERE t.reminder_id = r.id), $3::text, "
	  "CASE WHEN $2::text <> 'running' THEN now() END "
	  "FROM reminders r WHERE r.id = $1 "
	  "ON CONFLICT (reminder_id, scheduled_for) DO NOTHING "
	  "RETURNING id, total" },
	/* DS_REM_RUN_TARGETS: run $1's targets from reminder $2's (account
	 * $3's group subjects), status $4, error $5. */
	{ "rem_run_targets", 5,
	  "INSERT INTO reminder_run_targets (run_id, group_jid, position, "
	  "group_subject, status, error) SELECT $1, t.group_jid, t.position, "
	  "coalesce(g.subject, ''), $4::text, $5::text "
	  "FROM reminder_targets t LEFT JOIN groups g ON g.account_id = $3 "
	  "AND g.jid = t.group_jid WHERE t.reminder_id = $2" },
	/* DS_REM_ADVANCE: reminder $1 on to its next fire $2 (Unix s;
	 * NULL: ended); $3 true when this occurrence fired (not missed). */
	{ "rem_advance", 3,
	  "UPDATE reminders SET last_fired_at = CASE WHEN $3::boolean "
	  "THEN next_fire_at ELSE last_fired_at END, "
	  "next_fire_at = to_timestamp($2::bigint), "
	  "status = CASE WHEN $2::bigint IS NULL THEN 'ended' ELSE status END, "
	  "updated_at = now() WHERE id = $1" },
	/* DS_REM_NEXT_DUE: ms from wall_now() to the earliest fire of the
	 * active reminders of the accounts daemon $1 holds (negative: due;
	 * no row: none).  Walks reminders_due in fire order. */
	{ "rem_next_due", 1,
	  "SELECT ceil(extract(epoch FROM (r.next_fire_at - wall_now())) * "
	  "1000)::bigint FROM reminders r WHERE r.status = 'active' AND "
	  "EXISTS (SELECT 1 FROM account_leases l WHERE "
	  "l.account_id = r.account_id AND l.owner_daemon = $1 AND "
	  "l.lease_until > now()) ORDER BY r.next_fire_at LIMIT 1" },
	/* DS_REM_RUNS_OPEN: the running runs of the accounts daemon $1
	 * holds: id, account. */
	{ "rem_runs_open", 1,
	  "SELECT x.id, x.account_id FROM reminder_runs x JOIN "
	  "account_leases l ON l.account_id = x.account_id WHERE "
	  "x.status = 'running' AND l.owner_daemon = $1 AND "
	  "l.lease_until > now() ORDER BY x.id" },
	/* DS_REM_RUN_STATE: run $1 for its next step: status, reminder,
	 * account, scheduled (Unix s), zone, window end hour, resumed by
	 * the operator, wall_now(), the first pending target's jid and
	 * the operator (of the reminder, else the run). */
	{ "rem_run_state", 1,
	  "SELECT x.status, x.reminder_id, x.account_id, "
	  "floor(extract(epoch FROM x.scheduled_for))::bigint, r.timezone, "
	  "r.window_end_hour, EXISTS (SELECT 1 FROM commands c WHERE "
	  "c.account_id = x.account_id AND c.type = 'resume_run' AND "
	  "c.payload->>'run' = x.id::text AND c.result IS NOT NULL), "
	  "floor(extract(epoch FROM wall_now()))::bigint, t.group_jid, "
	  "coalesce(r.operator_id, x.operator_id) "
	  "FROM reminder_runs x LEFT JOIN reminders r ON r.id = x.reminder_id "
	  "LEFT JOIN LATERAL (SELECT y.group_jid FROM reminder_run_targets y "
	  "WHERE y.run_id = x.id AND y.status = 'pending' ORDER BY y.position "
	  "LIMIT 1) t ON true WHERE x.id = $1" },
	/* DS_REM_TARGET_MSGS: reminder $1's messages in order, each with
	 * the send_text row of account $2 whose client_id is $3 followed
	 * by its position, if queued: position, text, command id, done,
	 * result, error, message id. */
	{ "rem_target_msgs", 3,
	  "SELECT m.position, m.text, c.id, c.done_at IS NOT NULL, c.result, "
	  "c.error, c.message_id FROM reminder_messages m LEFT JOIN commands c "
	  "ON c.account_id = $2 AND c.client_id = $3::text || m.position "
	  "WHERE m.reminder_id = $1 ORDER BY m.position" },
	/* DS_REM_CMD_INSERT: a send_text row for account $1 by operator $2
	 * to $3 with text $4, client_id $5; a second one with that id is
	 * not queued (commands_client_id, sql/013). */
	{ "rem_cmd_insert", 5,
	  "INSERT INTO commands (account_id, type, payload, client_id, "
	  "created_by) VALUES ($1, 'send_text', jsonb_build_object('to', "
	  "$3::text, 'text', $4::text), $5, $2) "
	  "ON CONFLICT (account_id, client_id) WHERE client_id IS NOT NULL "
	  "DO NOTHING" },
	/* DS_REM_TARGET_DONE: pending target $2 of run $1 is now $3
	 * (sent: message id $4, sent_at) with error $5; the run's sent
	 * count follows. */
	{ "rem_target_done", 5,
	  "WITH t AS (UPDATE reminder_run_targets SET status = $3::text, "
	  "message_id = coalesce($4::text, message_id), error = $5::text, "
	  "sent_at = CASE WHEN $3::text = 'sent' THEN now() END "
	  "WHERE run_id = $1 AND group_jid = $2 AND status = 'pending' "
	  "RETURNING status) UPDATE reminder_runs SET sent = sent + "
	  "(SELECT count(*) FROM t WHERE t.status = 'sent') WHERE id = $1" },
	/* DS_REM_RUN_COUNTS: run $1's targets by status: sent, failed,
	 * skipped, pending, total. */
	{ "rem_run_counts", 1,
	  "SELECT count(*) FILTER (WHERE status = 'sent'), "
	  "count(*) FILTER (WHERE status = 'failed'), "
	  "count(*) FILTER (WHERE status = 'skipped'), "
	  "count(*) FILTER (WHERE status = 'pending'), count(*) "
	  "FROM reminder_run_targets WHERE run_id = $1" },
	/* DS_REM_RUN_END: run $1 to status $2 with summary $3, finished
	 * ($4 true) or not (paused); sent counted again. */
	{ "rem_run_end", 4,
	  "UPDATE reminder_runs SET status = $2::text, error_summary = $3, "
	  "finished_at = CASE WHEN $4::boolean THEN now() END, "
	  "sent = (SELECT count(*) FROM reminder_run_targets t WHERE "
	  "t.run_id = $1 AND t.status = 'sent') WHERE id = $1" },
	/* DS_REM_PAUSE: a window closed mid-run $2: reminder $1 waits for
	 * the operator, next_fire_at kept (one that had ended with this
	 * occurrence keeps the run's, as the CHECK wants one; lifting it
	 * ends it again). */
	{ "rem_pause", 2,
	  "UPDATE reminders SET status = 'paused', next_fire_at = "
	  "coalesce(next_fire_at, (SELECT x.scheduled_for FROM reminder_runs x "
	  "WHERE x.id = $2)), updated_at = now() "
	  "WHERE id = $1 AND status IN ('active', 'ended')" },
	/* DS_REM_GET: reminder $1's zone, first fire, rule, wall_now(). */
	{ "rem_get", 1,
	  "SELECT timezone, floor(extract(epoch FROM first_fire_at))::bigint, "
	  "rrule, floor(extract(epoch FROM wall_now()))::bigint, status "
	  "FROM reminders WHERE id = $1" },
	/* DS_REM_LIFT: a paused reminder $1 active again from its next
	 * fire $2 (Unix s), or ended (NULL). */
	{ "rem_lift", 2,
	  "UPDATE reminders SET status = CASE WHEN $2::bigint IS NULL THEN "
	  "'ended' ELSE 'active' END, next_fire_at = to_timestamp($2::bigint), "
	  "updated_at = now() WHERE id = $1 AND status = 'paused'" },
	/* DS_REM_RUN_LOCK: run $1 for an operator's command, locked:
	 * status, account, reminder, pending targets. */
	{ "rem_run_lock", 1,
	  "SELECT x.status, x.account_id, x.reminder_id, (SELECT count(*) "
	  "FROM reminder_run_targets t WHERE t.run_id = x.id AND "
	  "t.status = 'pending') FROM reminder_runs x WHERE x.id = $1 "
	  "FOR UPDATE" },
	/* DS_REM_RUN_RESUME: run $1 running again (resume_run). */
	{ "rem_run_resume", 1,
	  "UPDATE reminder_runs SET status = 'running', finished_at = NULL, "
	  "error_summary = NULL WHERE id = $1" },
	/* DS_REM_RUN_SKIP: run $1's pending targets skipped with error $2. */
	{ "rem_run_skip", 2,
	  "UPDATE reminder_run_targets SET status = 'skipped', error = $2 "
	  "WHERE run_id = $1 AND status = 'pending'" },
	/* DS_REM_CMD_RUN: the run a resume_run or cancel_run command $1
	 * names (payload {"run": id}), NULL when it names none. */
	{ "rem_cmd_run", 1,
	  "SELECT CASE WHEN payload->>'run' ~ '^[0-9]{1,18}$' THEN "
	  "(payload->>'run')::bigint END FROM commands WHERE id = $1" },
};

/*
 * Insert an account_events row of kind "kind" for account "id", with
 * detail {"key": "value"} when key is not NULL (json-c escapes it),
 * else {}.  Returns 0 or -1 (logged by db_exec()).
 */
int
db_event_insert(struct db *db, int64_t id, const char *kind,
    const char *key, const char *value)
{
	struct json_object	*o;
	const char		*p[3];
	char			 sid[24];
	int			 rc;

	o = json_object_new_object();
	if (key != NULL && value != NULL)
		json_object_object_add(o, key, json_object_new_string(value));
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	p[0] = sid;
	p[1] = kind;
	p[2] = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	rc = db_exec_cmd(db, DS_EVENT_INSERT, p);
	json_object_put(o);
	return rc;
}

/*
 * Insert an event whose detail is the JSON object of the key/value
 * pairs in "kv" (key, value, ..., NULL); a NULL value skips its key.
 * Returns 0 or -1 (logged).
 */
int
db_event_insert_kv(struct db *db, int64_t id, const char *kind,
    const char *const *kv)
{
	struct json_object	*o;
	const char		*p[3];
	char			 sid[24];
	size_t			 i;
	int			 rc;

	o = json_object_new_object();
	for (i = 0; kv != NULL && kv[i] != NULL; i += 2)
		if (kv[i + 1] != NULL)
			json_object_object_add(o, kv[i],
			    json_object_new_string(kv[i + 1]));
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	p[0] = sid;
	p[1] = kind;
	p[2] = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	rc = db_exec_cmd(db, DS_EVENT_INSERT, p);
	json_object_put(o);
	return rc;
}

/*
 * Mark command "cmd" done with "result" and/or "error" (either may be
 * NULL).  A command already done is left alone (done exactly once).
 * Returns 0 or -1 (logged).
 */
int
db_command_done(struct db *db, int64_t cmd, const char *result,
    const char *error)
{
	const char	*p[3];
	char		 sid[24];

	snprintf(sid, sizeof(sid), "%" PRId64, cmd);
	p[0] = sid;
	p[1] = result;
	p[2] = error;
	return db_exec_cmd(db, DS_COMMAND_DONE, p);
}

/*
 * Write last_frame_at for a batch of accounts in one statement: "ids",
 * "times" and "gens" are PostgreSQL array literals of the same length,
 * "{1,2}", "{1700000000,1700000003}" and "{4,1}" (account ids, unix
 * seconds, lease generations); only rows daemon "owner" (its id as
 * text) still holds at those generations are written (issue 12).
 * Rows that are not 'connected' are left alone, and a value older than
 * the stored one does not replace it.  Returns 0 or -1 (logged by
 * db_exec()).
 */
int
db_frames_write(struct db *db, const char *ids, const char *times,
    const char *owner, const char *gens)
{
	const char	*p[4];

	p[0] = ids;
	p[1] = times;
	p[2] = owner;
	p[3] = gens;
	return db_exec_cmd(db, DS_FRAMES_WRITE, p);
}

/*
 * Issue 12: BEGIN a write transaction for account "id" and run
 * DS_LEASE_FENCE in it, which locks the row (FOR NO KEY UPDATE, so a
 * claim or renewal waits for our commit) only if daemon "owner" still
 * holds lease generation "gen" and the lease has not run out on the
 * database clock.  Returns 1 (locked: write, then db_tx_commit()), 0
 * when the lease is lost (rolled back), -1 on a database error
 * (logged, rolled back).
 */
int
db_fence_begin(struct db *db, int64_t id, int64_t owner, int64_t gen)
{
	PGresult	*res;
	const char	*p[3];
	char		 sid[24], sowner[24], sgen[24];
	int		 held;

	snprintf(sid, sizeof(sid), "%" PRId64, id);
	snprintf(sowner, sizeof(sowner), "%" PRId64, owner);
	snprintf(sgen, sizeof(sgen), "%" PRId64, gen);
	p[0] = sid;
	p[1] = sowner;
	p[2] = sgen;
	if (db_tx_begin(db) == -1)
		return -1;
	if ((res = db_exec(db, DS_LEASE_FENCE, p)) == NULL) {
		db_tx_rollback(db);
		return -1;
	}
	held = PQntuples(res) == 1;
	PQclear(res);
	if (!held)
		db_tx_rollback(db);
	return held;
}
