/*
 * The web role's statement table; see db_web.h.  Visibility is part of
 * every account query: "$2" is the operator id and "$3" whether the
 * operator is an admin (admins see all accounts), so a foreign account
 * is indistinguishable from a missing one.  Rows whose delete is
 * queued (deleted_at set) are invisible.
 */
#include "db.h"
#include "db_web.h"

#define	VISIBLE(op, adm) \
	"a.deleted_at IS NULL AND (a.operator_id = " op " OR " adm "::boolean)"

/*
 * A group's newest send_text command (the send-test column): id,
 * (a reminder's sends, client_id "reminder:...", sql/019, are not
 * send-tests: the reminder's run shows them),
 * state ('none', 'sending', 'sent', 'failed', 'timeout': not done 60 s
 * after it was queued), message_id, done time, error, error_code, the
 * text sent, the account's restriction end, and when it was queued.
 */
#define	GROUP_SEND_COLS \
	"s.id, CASE WHEN s.id IS NULL THEN 'none' " \
	"WHEN s.error IS NOT NULL THEN 'failed' " \
	"WHEN s.done_at IS NOT NULL THEN 'sent' " \
	"WHEN s.created_at < now() - interval '60 seconds' THEN 'timeout' " \
	"ELSE 'sending' END, s.message_id, iso(s.done_at), s.error, " \
	"s.error_code, s.payload->>'text', iso(s.restricted_until), " \
	"iso(s.created_at)"
#define	GROUP_SEND_JOIN(acct, jid) \
	"LEFT JOIN LATERAL (SELECT c.id, c.error, c.done_at, c.message_id, " \
	"c.error_code, c.payload, c.created_at, x.restricted_until " \
	"FROM commands c JOIN accounts x ON x.id = c.account_id " \
	"WHERE c.account_id = " acct " AND c.type = 'send_text' AND " \
	"c.payload->>'to' = " jid " AND (c.client_id IS NULL OR " \
	"c.client_id NOT LIKE 'reminder:%') ORDER BY c.id DESC LIMIT 1) s ON true"

/*
 * A live web session ($1 token hash, $2 idle seconds) and its enabled
 * operator: the five columns auth_session_load_with() reads first.
 */
#define	SESSION_COLS \
	"o.id, o.username, o.role = 'admin', s.csrf_token, " \
	"s.last_seen_at < now() - interval '15 seconds'"
#define	SESSION_FROM \
	"FROM web_sessions s JOIN operators o ON o.id = s.operator_id"
#define	SESSION_LIVE \
	"s.token_hash = $1 AND NOT o.disabled AND s.expires_at > now() " \
	"AND s.last_seen_at > now() - make_interval(secs => $2::int)"

/*
 * The layout's outdated-client banner, fetched with the session check
 * every signed-in page makes anyway (no round trip of its own): the
 * newest account whose latest state is "client outdated" (sql/007's
 * partial index, whose predicate is OUTDATED_WHERE, is empty in the
 * normal case) and the version its refused connection sent.  Columns
 * 5-7 of WS_SESSION_GET: found (NULL: no banner), version,
 * version_source (cgi/present.c).
 */
#define	OUTDATED_WHERE \
	"disconnect_reason = 'client_outdated' AND deleted_at IS NULL"
#define	OUTDATED_COLS	"b.found, b.version, b.source"
#define	OUTDATED_JOIN \
	"LEFT JOIN LATERAL (SELECT true AS found, " \
	"e.detail->>'version' AS version, " \
	"e.detail->>'version_source' AS source " \
	"FROM (SELECT id FROM accounts WHERE " OUTDATED_WHERE " " \
	"ORDER BY updated_at DESC LIMIT 1) a " \
	"LEFT JOIN LATERAL (SELECT v.detail FROM account_events v " \
	"WHERE v.account_id = a.id AND (v.kind = 'client_outdated' " \
	"OR v.detail->>'reason' = 'client_outdated') " \
	"ORDER BY v.id DESC LIMIT 1) e ON true) b ON true"

/*
 * The logged-out/banned banner (sql/010 accounts_lost, empty in the
 * normal case): the signed-in operator's newest account in one of
 * those states and how many there are.  Columns 8-11 of
 * WS_SESSION_GET: id (NULL: no banner), label, status, count.
 */
#define	LOST_COLS	"l.id, l.label, l.status, l.n"
#define	LOST_JOIN \
	"LEFT JOIN LATERAL (SELECT x.id, x.label, x.status, " \
	"count(*) OVER () AS n FROM accounts x WHERE x.operator_id = o.id " \
	"AND x.status IN ('logged_out', 'banned') AND x.deleted_at IS NULL " \
	"ORDER BY x.updated_at DESC LIMIT 1) l ON true"

/* Columns of an account, in the order cgi/page_account.c reads them. */
#define	ACCOUNT_COLS \
	"a.id, a.label, a.status, a.qr_code IS NOT NULL, a.qr_version, " \
	"iso(a.qr_expires_at), a.pair_code, iso(a.pair_deadline), " \
	"a.phone_number, a.jid, a.push_name, a.platform, a.auto_connect, " \
	"iso(a.last_connected_at), iso(a.last_disconnected_at), " \
	"a.disconnect_reason, iso(a.created_at), iso(a.updated_at), " \
	"iso(a.last_frame_at), " \
	"greatest(0, extract(epoch FROM a.pair_deadline - now()))::int, " \
	"a.qr_version - a.pair_qr_base, o.username, " \
	"extract(epoch FROM now() - a.last_frame_at)::bigint, " \
	"a.lid, iso(a.offline_synced_at), " \
	"(SELECT l.owner_daemon FROM account_leases l WHERE " \
	"l.account_id = a.id AND l.lease_until > now()), " \
	"(SELECT i.hostname FROM account_leases l JOIN daemon_instances i " \
	"ON i.id = l.owner_daemon WHERE l.account_id = a.id AND " \
	"l.lease_until > now()), " \
	"(SELECT i.pid FROM account_leases l JOIN daemon_instances i " \
	"ON i.id = l.owner_daemon WHERE l.account_id = a.id AND " \
	"l.lease_until > now()), " \
	"a.proxy_display, " \
	"(SELECT count(*) FROM groups g WHERE g.account_id = a.id), " \
	"iso(a.groups_synced_at), a.restricted AND " \
	"(a.restricted_until IS NULL OR a.restricted_until > now()), " \
	"iso(a.restricted_until), a.restricted_reason, a.send_stalled, " \
	"iso(a.send_stalled_at)"

/* The list page's columns (cgi/page_accounts.c) and its order. */
#define	LIST_COLS \
	"a.id, a.label, a.status, a.phone_number, o.username, " \
	"iso(a.created_at)"
#define	LIST_FROM \
	"FROM accounts a JOIN operators o ON o.id = a.operator_id"
#define	LIST_PAGE(lim, off) \
	"ORDER BY a.created_at, a.id LIMIT " lim "::int OFFSET " off "::int"

/* An endpoint as cgi/page_webhooks.c reads it. */
#define	HOOK_COLS \
	"e.id, e.url, array_to_string(e.events, ' '), e.enabled, " \
	"e.secret_hint, e.account_id, a.label, iso(e.created_at), " \
	"(SELECT count(*) FROM webhook_deliveries d WHERE " \
	"d.endpoint_id = e.id AND d.state = 'pending'), " \
	"(SELECT count(*) FROM webhook_deliveries d WHERE " \
	"d.endpoint_id = e.id AND d.state = 'dead')"
#define	HOOK_FROM \
	"FROM webhook_endpoints e LEFT JOIN accounts a ON a.id = e.account_id"
/*
 * The API's list (cgi/api.c): creation order from a cursor, the last
 * row's exact created_at (microseconds, UTC) and id, "-infinity" and 0
 * for the first page.  One statement per shape, as for the list page,
 * and one for a key limited to listed accounts.  Read in binary
 * (db_exec_binary): api.c writes the times itself (cgi/pgts.c), as
 * iso() and the cursor's to_char() would, which were a third of the
 * statement's cost at 200 rows; its column types are API_LIST_TYPES.
 */
#define	API_LIST_COLS \
	"a.id, a.label, a.status, a.phone_number, a.disconnect_reason, " \
	"a.created_at, a.updated_at, a.last_connected_at, o.username, " \
	"a.auto_connect"
#define	API_LIST_AFTER(ts, id, lim) \
	"AND (a.created_at, a.id) > (" ts "::timestamptz, " id "::bigint) " \
	"ORDER BY a.created_at, a.id LIMIT " lim "::int"

/*
 * Issue 11 (cgi/page_reminders.c).  A reminder is visible as its
 * account is (VISIBLE).  A run is visible to the operator it ran for,
 * to an admin, and to whoever sees its account; once its account is
 * gone, only the first two.  Instants are Unix seconds (the page
 * formats them in the reminder's zone with lib/recur.c) or iso().
 */
#define	REM_FROM \
	"FROM reminders r JOIN accounts a ON a.id = r.account_id"
#define	RUN_VISIBLE(op, adm) \
	"(ru.operator_id = " op " OR " adm "::boolean OR " \
	"(a.deleted_at IS NULL AND a.operator_id = " op "))"
/*
 * A run as the pages draw it: id, reminder id (NULL: deleted), the
 * name snapshot, status, sent, total, scheduled_for (s), started,
 * finished, error_summary, the reminder's zone (or NULL), pending
 * targets, account id and label, and the count of the query's rows.
 */
#define	RUN_COLS \
	"ru.id, ru.reminder_id, ru.reminder_name, ru.status, ru.sent, " \
	"ru.total, extract(epoch FROM ru.scheduled_for)::bigint, " \
	"iso(ru.started_at), iso(ru.finished_at), ru.error_summary, " \
	"r.timezone, (SELECT count(*) FROM reminder_run_targets t WHERE " \
	"t.run_id = ru.id AND t.status = 'pending'), ru.account_id, " \
	"a.label, count(*) OVER ()"
#define	RUN_FROM \
	"FROM reminder_runs ru LEFT JOIN reminders r ON r.id = ru.reminder_id " \
	"LEFT JOIN accounts a ON a.id = ru.account_id"

const struct db_stmt	web_stmts[WS__MAX] = {
	[WS_SESSION_GET] = { "session_get", 2,
	    "SELECT " SESSION_COLS ", " OUTDATED_COLS ", " LOST_COLS " "
	    SESSION_FROM " " OUTDATED_JOIN " " LOST_JOIN " WHERE "
	    SESSION_LIVE },
	[WS_SESSION_TOUCH] = { "session_touch", 1,
	    "UPDATE web_sessions SET last_seen_at = now() "
	    "WHERE token_hash = $1" },
	[WS_SESSION_INSERT] = { "session_insert", 4,
	    "INSERT INTO web_sessions (token_hash, operator_id, csrf_token, "
	    "expires_at) VALUES ($1, $2, $3, "
	    "now() + make_interval(secs => $4::int))" },
	[WS_SESSION_DELETE] = { "session_delete", 1,
	    "DELETE FROM web_sessions WHERE token_hash = $1" },
	[WS_SESSION_PURGE] = { "session_purge", 1,
	    "DELETE FROM web_sessions WHERE expires_at < now() "
	    "OR last_seen_at < now() - make_interval(secs => $1::int)" },
	[WS_OPERATOR_BY_NAME] = { "operator_by_name", 1,
	    "SELECT id, password_hash, disabled FROM operators "
	    "WHERE username = $1" },
	[WS_LOGIN_FAILURES] = { "login_failures", 3,
	    "SELECT count(*) FILTER (WHERE username = $1), "
	    "count(*) FILTER (WHERE address = $2) FROM login_failures "
	    "WHERE at > now() - make_interval(secs => $3::int) "
	    "AND (username = $1 OR address = $2)" },
	[WS_LOGIN_FAILURE_ADD] = { "login_failure_add", 3,
	    "WITH purge AS (DELETE FROM login_failures WHERE at < now() - "
	    "make_interval(secs => $3::int)) "
	    "INSERT INTO login_failures (username, address) VALUES ($1, $2)" },
	[WS_LOGIN_FAILURE_CLEAR] = { "login_failure_clear", 1,
	    "DELETE FROM login_failures WHERE username = $1" },
	[WS_ACCOUNT_GET] = { "account_get", 3,
	    "SELECT " ACCOUNT_COLS " FROM accounts a "
	    "JOIN operators o ON o.id = a.operator_id "
	    "WHERE a.id = $1 AND " VISIBLE("$2", "$3") },
	[WS_ACCOUNT_LOCK] = { "account_lock", 3,
	    "SELECT a.status, a.label FROM accounts a "
	    "WHERE a.id = $1 AND " VISIBLE("$2", "$3") " FOR UPDATE" },
	/*
	 * The list page's rows, each carrying the total from
	 * account_counts (column 6); an empty page means the total is 0
	 * or the page is past the end.  Four statements, one per shape
	 * (all accounts or the operator's own, with or without a status
	 * filter), rather than one with "$n IS NULL OR" catch-alls: the
	 * web role runs generic plans (sql/004), and each shape's generic
	 * plan walks its own index in list order.
	 */
	[WS_ACCOUNT_LIST_ALL] = { "account_list_all", 2,
	    "SELECT " LIST_COLS ", (SELECT coalesce(sum(n), 0)::bigint "
	    "FROM account_counts) " LIST_FROM " WHERE a.deleted_at IS NULL "
	    LIST_PAGE("$1", "$2") },
	[WS_ACCOUNT_LIST_ALL_STATUS] = { "account_list_all_status", 3,
	    "SELECT " LIST_COLS ", (SELECT coalesce(sum(n), 0)::bigint "
	    "FROM account_counts c WHERE c.status = $1) " LIST_FROM
	    " WHERE a.deleted_at IS NULL AND a.status = $1 "
	    LIST_PAGE("$2", "$3") },
	[WS_ACCOUNT_LIST_OWN] = { "account_list_own", 3,
	    "SELECT " LIST_COLS ", (SELECT coalesce(sum(n), 0)::bigint "
	    "FROM account_counts c WHERE c.operator_id = $1) " LIST_FROM
	    " WHERE a.deleted_at IS NULL AND a.operator_id = $1 "
	    LIST_PAGE("$2", "$3") },
	[WS_ACCOUNT_LIST_OWN_STATUS] = { "account_list_own_status", 4,
	    "SELECT " LIST_COLS ", (SELECT coalesce(sum(n), 0)::bigint "
	    "FROM account_counts c WHERE c.operator_id = $1 "
	    "AND c.status = $2) " LIST_FROM " WHERE a.deleted_at IS NULL "
	    "AND a.operator_id = $1 AND a.status = $2 "
	    LIST_PAGE("$3", "$4") },
	[WS_ACCOUNT_COUNTS] = { "account_counts", 2,
	    "SELECT status, sum(n)::bigint FROM account_counts "
	    "WHERE operator_id = $1 OR $2::boolean GROUP BY status" },
	[WS_ACCOUNT_INSERT] = { "account_insert", 2,
	    "INSERT INTO accounts (operator_id, label) VALUES ($1, $2) "
	    "RETURNING id" },
	[WS_ACCOUNT_PAIR] = { "account_pair", 2,
	    "UPDATE accounts SET status = 'pending', qr_code = NULL, "
	    "qr_expires_at = NULL, pair_code = NULL, "
	    "pair_qr_base = qr_version, disconnect_reason = NULL, "
	    "pair_deadline = now() + make_interval(secs => $2::int) "
	    "WHERE id = $1" },
	[WS_ACCOUNT_CANCEL_PAIR] = { "account_cancel_pair", 1,
	    "UPDATE accounts SET status = 'unpaired', qr_code = NULL, "
	    "qr_expires_at = NULL, pair_code = NULL, pair_deadline = NULL "
	    "WHERE id = $1" },
	[WS_ACCOUNT_RECONNECT] = { "account_reconnect", 1,
	    "UPDATE accounts SET status = 'connecting', "
	    "disconnect_reason = NULL WHERE id = $1" },
	[WS_ACCOUNT_MARK_DELETED] = { "account_mark_deleted", 1,
	    "UPDATE accounts SET deleted_at = now() WHERE id = $1" },
	[WS_ACCOUNT_RENAME] = { "account_rename", 2,
	    "UPDATE accounts SET label = $2 WHERE id = $1" },
	[WS_ACCOUNT_AUTO_CONNECT] = { "account_auto_connect", 2,
	    "UPDATE accounts SET auto_connect = $2::boolean WHERE id = $1" },
	/* The session check of WS_SESSION_GET (its five columns first)
	 * and the visible account's current QR, in one round trip: the
	 * QR image is the hottest route (status.json polls swap it).
	 * Column 8: milliseconds until the session must be read again
	 * (cgi/qrmemo.h), when it expires or its touch falls due, counted
	 * from last_seen_at after this request's own touch; idle expiry
	 * (WADESK_SESSION_IDLE_S, at least 60 s) always comes later. */
	[WS_SESSION_QR] = { "session_qr", 3,
	    "SELECT " SESSION_COLS ", a.qr_code, a.qr_version, a.label, "
	    "(1000 * extract(epoch FROM least(s.expires_at, CASE WHEN "
	    "s.last_seen_at < now() - interval '15 seconds' THEN now() "
	    "ELSE s.last_seen_at END + interval '15 seconds') - now()))"
	    "::bigint " SESSION_FROM " LEFT JOIN accounts a "
	    "ON a.id = $3::bigint "
	    "AND a.deleted_at IS NULL AND a.status = 'pending' "
	    "AND a.qr_code IS NOT NULL "
	    "AND (a.operator_id = o.id OR o.role = 'admin') "
	    "WHERE " SESSION_LIVE },
	[WS_COMMAND_INSERT] = { "command_insert", 4,
	    "INSERT INTO commands (account_id, type, payload, created_by) "
	    "VALUES ($1, $2, $3::jsonb, $4) RETURNING id" },
	[WS_COMMANDS_FOR_ACCOUNT] = { "commands_for_account", 1,
	    "SELECT type, iso(created_at), iso(claimed_at), iso(done_at), "
	    "result, error FROM commands WHERE account_id = $1 "
	    "ORDER BY id DESC LIMIT 20" },
	[WS_EVENT_INSERT] = { "event_insert", 4,
	    "INSERT INTO account_events (account_id, operator_id, kind, "
	    "detail) VALUES ($1, $2, $3, $4::jsonb)" },
	[WS_EVENTS_RECENT] = { "events_recent", 2,
	    "SELECT e.kind, iso(e.at), "
	    "CASE WHEN a.deleted_at IS NULL THEN e.account_id END, "
	    "coalesce(a.label, e.detail->>'label'), e.detail::text, "
	    "0, o.username "
	    "FROM account_events e LEFT JOIN accounts a ON a.id = e.account_id "
	    "LEFT JOIN operators o ON o.id = e.operator_id "
	    "WHERE e.operator_id = $1 OR a.operator_id = $1 OR $2::boolean "
	    "ORDER BY e.id DESC LIMIT 20" },
	[WS_EVENTS_FOR_ACCOUNT] = { "events_for_account", 2,
	    "SELECT e.kind, iso(e.at), e.account_id, a.label, "
	    "e.detail::text, count(*) OVER (), o.username "
	    "FROM account_events e JOIN accounts a ON a.id = e.account_id "
	    "LEFT JOIN operators o ON o.id = e.operator_id "
	    "WHERE e.account_id = $1 ORDER BY e.id DESC "
	    "LIMIT 100 OFFSET $2::int" },
	[WS_DAEMON_HEARTBEAT] = { "daemon_heartbeat", 0,
	    "SELECT extract(epoch FROM now() - max(heartbeat_at))::bigint "
	    "FROM daemon_instances" },
	/* One round trip: a row per status, each carrying the heartbeat
	 * age (NULL: never), and one row with a NULL status when there
	 * are no accounts at all. */
	[WS_HEALTH_COUNTS] = { "health_counts", 0,
	    "SELECT c.status, c.n, h.age FROM "
	    "(SELECT extract(epoch FROM now() - max(heartbeat_at))::bigint "
	    "AS age FROM daemon_instances) h LEFT JOIN "
	    "(SELECT status, sum(n)::bigint AS n FROM account_counts "
	    "GROUP BY status) c ON true" },
	[WS_HEALTH_ACCOUNTS] = { "health_accounts", 0,
	    "SELECT id, label, status, phone_number, iso(updated_at), "
	    "extract(epoch FROM now() - last_frame_at)::bigint, "
	    "disconnect_reason FROM accounts WHERE deleted_at IS NULL "
	    "ORDER BY created_at, id" },
	[WS_OPERATORS_LIST] = { "operators_list", 0,
	    "SELECT id, username, role, disabled, iso(created_at) "
	    "FROM operators ORDER BY id" },
	[WS_OPERATOR_INSERT] = { "operator_insert", 3,
	    "INSERT INTO operators (username, password_hash, role) "
	    "VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING "
	    "RETURNING id" },
	[WS_OPERATOR_PASSWORD] = { "operator_password", 2,
	    "UPDATE operators SET password_hash = $2 WHERE id = $1 "
	    "RETURNING id" },
	[WS_OPERATOR_DISABLE] = { "operator_disable", 2,
	    "UPDATE operators SET disabled = $2::boolean WHERE id = $1 "
	    "RETURNING id" },
	[WS_OPERATOR_SESSIONS_DROP] = { "operator_sessions_drop", 1,
	    "DELETE FROM web_sessions WHERE operator_id = $1" },
	[WS_OUTDATED_COUNT] = { "outdated_count", 0,
	    "SELECT count(*) FROM accounts WHERE " OUTDATED_WHERE },
	/* One account's status timeline, newest first ($2 rows from $3):
	 * to_status, iso(at), seconds in that state (until the next
	 * transition, or now), reason, actor, username, db_role, the
	 * event's kind and JSON detail (written in the same
	 * transaction) and from_status.  Ask for one row more than shown
	 * to learn whether there are older ones (no count of them all). */
	[WS_TRANSITIONS_FOR_ACCOUNT] = { "transitions_for_account", 3,
	    "SELECT t.to_status, iso(t.at), extract(epoch FROM "
	    "coalesce((SELECT n.at FROM account_transitions n WHERE "
	    "n.account_id = t.account_id AND n.id > t.id ORDER BY n.id "
	    "LIMIT 1), now()) - t.at)::bigint, t.reason, t.actor, "
	    "o.username, t.db_role, e.kind, e.detail::text, t.from_status "
	    "FROM account_transitions t "
	    "LEFT JOIN operators o ON o.id = t.operator_id "
	    "LEFT JOIN account_events e ON e.id = t.event_id "
	    "WHERE t.account_id = $1 ORDER BY t.id DESC "
	    "LIMIT $2::int OFFSET $3::int" },
	/*
	 * Webhooks (cgi/page_webhooks.c, sql/010): an operator sees and
	 * changes only their own endpoints ($2 or $1 the operator id).
	 */
	[WS_HOOK_KEY] = { "hook_key", 0,
	    "SELECT public_key FROM webhook_keys WHERE id = 1" },
	[WS_HOOK_LIST] = { "hook_list", 1,
	    "SELECT " HOOK_COLS " " HOOK_FROM " WHERE e.operator_id = $1 "
	    "ORDER BY e.id" },
	[WS_HOOK_GET] = { "hook_get", 2,
	    "SELECT " HOOK_COLS " " HOOK_FROM " WHERE e.id = $1 AND "
	    "e.operator_id = $2" },
	/* The account, when given, must be the operator's own. */
	[WS_HOOK_INSERT] = { "hook_insert", 7,
	    "INSERT INTO webhook_endpoints (operator_id, account_id, url, "
	    "events, secret_sealed, public_key, secret_hint) SELECT $1, "
	    "$2::bigint, $3, $4::text[], $5::bytea, $6::bytea, $7 WHERE "
	    "$2::bigint IS NULL OR EXISTS (SELECT 1 FROM accounts a WHERE "
	    "a.id = $2::bigint AND a.operator_id = $1 AND "
	    "a.deleted_at IS NULL) RETURNING id" },
	[WS_HOOK_ENABLE] = { "hook_enable", 3,
	    "UPDATE webhook_endpoints SET enabled = $3::boolean WHERE "
	    "id = $1 AND operator_id = $2 RETURNING id" },
	[WS_HOOK_DELETE] = { "hook_delete", 2,
	    "DELETE FROM webhook_endpoints WHERE id = $1 AND "
	    "operator_id = $2 RETURNING id" },
	/* Newest first; each attempt as "status in N ms". */
	[WS_HOOK_DELIVERIES] = { "hook_deliveries", 1,
	    "SELECT d.id, v.kind, v.event_id, d.state, d.attempts, "
	    "d.last_status, d.last_latency_ms, d.last_error, "
	    "iso(d.created_at), coalesce(a.label, '#' || d.account_id), "
	    "(SELECT string_agg(coalesce(t.status::text, 'no answer') || "
	    "' in ' || t.latency_ms || ' ms', ', ' ORDER BY t.id) FROM "
	    "webhook_attempts t WHERE t.delivery_id = d.id), "
	    "d.redelivery_of, iso(d.next_attempt_at) "
	    "FROM webhook_deliveries d "
	    "JOIN webhook_events v ON v.id = d.event_id "
	    "LEFT JOIN accounts a ON a.id = d.account_id "
	    "WHERE d.endpoint_id = $1 ORDER BY d.id DESC LIMIT 100" },
	/*
	 * A new delivery of delivery $1's event (operator $2's), unless
	 * it is still pending.  Columns: endpoint id, state, inserted.
	 */
	[WS_HOOK_REDELIVER] = { "hook_redeliver", 2,
	    "WITH s AS (SELECT d.id, d.endpoint_id, d.event_id, d.account_id, "
	    "d.state FROM webhook_deliveries d JOIN webhook_endpoints e ON "
	    "e.id = d.endpoint_id WHERE d.id = $1 AND e.operator_id = $2), "
	    "i AS (INSERT INTO webhook_deliveries (endpoint_id, event_id, "
	    "account_id, redelivery_of, created_by) SELECT endpoint_id, "
	    "event_id, account_id, id, $2 FROM s WHERE state <> 'pending' "
	    "RETURNING id) SELECT s.endpoint_id, s.state, "
	    "(SELECT count(*) FROM i) FROM s" },
	[WS_HOOK_ACCOUNTS] = { "hook_accounts", 1,
	    "SELECT id, label FROM accounts WHERE operator_id = $1 AND "
	    "deleted_at IS NULL ORDER BY created_at, id LIMIT 1000" },
	/* An API key by its prefix, with its operator: the columns
	 * lib/apikey.c apikey_lookup() reads. */
	[WS_APIKEY_BY_PREFIX] = { "apikey_by_prefix", 1,
	    "SELECT k.id, k.secret_hash, k.scopes, k.account_ids, "
	    "k.rate_per_min, k.revoked_at IS NOT NULL, o.id, o.username, "
	    "o.role = 'admin', o.disabled FROM api_keys k "
	    "JOIN operators o ON o.id = k.operator_id WHERE k.prefix = $1" },
	/* Count one request of key $1 in the current fixed minute and
	 * mark the key used (at most every 10 s): the count so far and
	 * the seconds until the window ends (Retry-After). */
	[WS_API_RATE] = { "api_rate", 1,
	    "WITH touch AS (UPDATE api_keys SET last_used_at = now() "
	    "WHERE id = $1 AND (last_used_at IS NULL OR "
	    "last_used_at < now() - interval '10 seconds') RETURNING 1) "
	    "INSERT INTO api_rate AS r (key_id, window_start, n) "
	    "VALUES ($1, date_trunc('minute', now()), 1) "
	    "ON CONFLICT (key_id) DO UPDATE SET n = CASE WHEN "
	    "r.window_start = EXCLUDED.window_start THEN r.n + 1 ELSE 1 END, "
	    "window_start = EXCLUDED.window_start RETURNING r.n, "
	    "greatest(1, ceil(extract(epoch FROM r.window_start + "
	    "interval '1 minute' - now())))::int" },
	[WS_API_LIST_ALL] = { "api_list_all", 3,
	    "SELECT " API_LIST_COLS " " LIST_FROM " WHERE a.deleted_at IS NULL "
	    API_LIST_AFTER("$1", "$2", "$3") },
	[WS_API_LIST_ALL_STATUS] = { "api_list_all_status", 4,
	    "SELECT " API_LIST_COLS " " LIST_FROM " WHERE a.deleted_at IS NULL "
	    "AND a.status = $1 " API_LIST_AFTER("$2", "$3", "$4") },
	[WS_API_LIST_OWN] = { "api_list_own", 4,
	    "SELECT " API_LIST_COLS " " LIST_FROM " WHERE a.deleted_at IS NULL "
	    "AND a.operator_id = $1 " API_LIST_AFTER("$2", "$3", "$4") },
	[WS_API_LIST_OWN_STATUS] = { "api_list_own_status", 5,
	    "SELECT " API_LIST_COLS " " LIST_FROM " WHERE a.deleted_at IS NULL "
	    "AND a.operator_id = $1 AND a.status = $2 "
	    API_LIST_AFTER("$3", "$4", "$5") },
	/* A key limited to listed accounts ($6, at most APIKEY_IDS_MAX):
	 * found by id, then put in list order.  A filter on the whole
	 * list ("$ids IS NULL OR a.id = ANY($ids)") read every visible
	 * account for them, 10 ms at 10,000.  The operator $1 (admin
	 * $2) sees them as VISIBLE says; $3 a status or NULL. */
	[WS_API_LIST_IDS] = { "api_list_ids", 7,
	    "SELECT " API_LIST_COLS " " LIST_FROM " WHERE a.id = "
	    "ANY($6::bigint[]) AND " VISIBLE("$1", "$2") " AND "
	    "($3::text IS NULL OR a.status = $3) "
	    API_LIST_AFTER("$4", "$5", "$7") },
	[WS_API_ACCOUNT_QR] = { "api_account_qr", 3,
	    "SELECT a.qr_code, a.qr_version, iso(a.qr_expires_at), "
	    "iso(a.pair_deadline), a.status, a.pair_code FROM accounts a "
	    "WHERE a.id = $1 AND " VISIBLE("$2", "$3") },
	/* A command ($1) whose account the operator ($2, admin $3) sees,
	 * or, once its account is gone (a delete carried out), one the
	 * operator queued; $4 the ids a key is limited to, or NULL. */
	[WS_API_COMMAND_GET] = { "api_command_get", 4,
	    "SELECT c.id, c.account_id, c.type, iso(c.created_at), "
	    "iso(c.claimed_at), iso(c.done_at), c.result, c.error, "
	    "c.message_id, c.error_code, c.client_id "
	    "FROM commands c LEFT JOIN accounts a ON a.id = c.account_id "
	    "WHERE c.id = $1 AND ((a.id IS NOT NULL AND "
	    "(a.operator_id = $2 OR $3::boolean)) OR (c.account_id IS NULL "
	    "AND (c.created_by = $2 OR $3::boolean))) AND "
	    "($4::bigint[] IS NULL OR c.account_id IS NULL OR "
	    "c.account_id = ANY($4::bigint[]))" },
	/*
	 * POST .../messages: account $1 as operator $2 (admin $3) sees
	 * it, and a send_text command (payload $4, client_id $5 or NULL)
	 * when its status can send; an existing (account, client_id)
	 * inserts nothing (sql/013's unique index).  One row: the status
	 * and the new command's id or NULL; no row: not visible.
	 */
	[WS_API_SEND] = { "api_send", 5,
	    "WITH a AS (SELECT a.id, a.status FROM accounts a "
	    "WHERE a.id = $1 AND " VISIBLE("$2", "$3") "), "
	    "ins AS (INSERT INTO commands (account_id, type, payload, "
	    "created_by, client_id) SELECT a.id, 'send_text', $4::jsonb, $2, "
	    "$5 FROM a WHERE a.status IN ('connected', 'connecting', "
	    "'disconnected') ON CONFLICT (account_id, client_id) "
	    "WHERE client_id IS NOT NULL DO NOTHING RETURNING id) "
	    "SELECT a.status, (SELECT id FROM ins) FROM a" },
	/* The command an earlier send with client_id $2 made on $1. */
	[WS_API_SEND_EXISTING] = { "api_send_existing", 2,
	    "SELECT id, payload->>'to', payload->>'text', "
	    "claimed_at IS NOT NULL, done_at IS NOT NULL, error, result, "
	    "message_id, error_code FROM commands "
	    "WHERE account_id = $1 AND client_id = $2 "
	    "AND type = 'send_text'" },
	/* The key proxy URLs are sealed to (sql/017; daemon/proxy.c). */
	[WS_PROXY_KEY_GET] = { "proxy_key_get", 0,
	    "SELECT public_key FROM proxy_keys WHERE id = 1" },
	/* Account $1's proxy: sealed URL $2, the key $3 it was sealed to,
	 * the URL without its password $4; all NULL: direct. */
	[WS_ACCOUNT_PROXY] = { "account_proxy", 4,
	    "UPDATE accounts SET proxy_sealed = $2::bytea, "
	    "proxy_public_key = $3::bytea, proxy_display = $4 "
	    "WHERE id = $1" },
	[WS_APIKEYS_FOR_OPERATOR] = { "apikeys_for_operator", 1,
	    "SELECT id, name, prefix, scopes, account_ids, iso(created_at), "
	    "iso(last_used_at), iso(revoked_at) FROM api_keys "
	    "WHERE operator_id = $1 ORDER BY revoked_at IS NOT NULL, id DESC" },
	[WS_APIKEY_INSERT] = { "apikey_insert", 6,
	    "INSERT INTO api_keys (operator_id, name, prefix, secret_hash, "
	    "scopes, account_ids) VALUES ($1, $2, $3, $4, $5::text[], "
	    "$6::bigint[]) RETURNING id" },
	[WS_APIKEY_REVOKE] = { "apikey_revoke", 2,
	    "UPDATE api_keys SET revoked_at = now() WHERE id = $1 "
	    "AND operator_id = $2 AND revoked_at IS NULL RETURNING id" },
	/* How many of the ids $1 the operator ($2, admin $3) sees. */
	[WS_APIKEY_ACCOUNTS_VISIBLE] = { "apikey_accounts_visible", 3,
	    "SELECT count(*) FROM accounts a WHERE a.id = ANY($1::bigint[]) "
	    "AND " VISIBLE("$2", "$3") },
	/*
	 * Issue 10 (cgi/page_groups.c).  The account behind a groups page
	 * ($1 id, $2/$3 visibility): id, label, status, when its groups
	 * were last fetched, how many it has, and the restriction (sql/013)
	 * in force now: restricted (true only while it lasts), until,
	 * reason.
	 */
	[WS_GROUPS_ACCOUNT] = { "groups_account", 3,
	    "SELECT a.id, a.label, a.status, iso(a.groups_synced_at), "
	    "(SELECT count(*) FROM groups g WHERE g.account_id = a.id), "
	    "a.restricted AND (a.restricted_until IS NULL OR "
	    "a.restricted_until > now()), iso(a.restricted_until), "
	    "a.restricted_reason, s.sent, s.failed, iso(s.last_ack), "
	    "a.send_stalled, iso(a.send_stalled_at) FROM accounts a, LATERAL (SELECT count(*) FILTER (WHERE "
	    "c.done_at IS NOT NULL AND c.error IS NULL) AS sent, "
	    "count(*) FILTER (WHERE c.error IS NOT NULL) AS failed, "
	    "max(c.done_at) FILTER (WHERE c.error IS NULL) AS last_ack "
	    "FROM commands c WHERE c.account_id = a.id AND "
	    "c.type = 'send_text') s "
	    "WHERE a.id = $1 AND " VISIBLE("$2", "$3") },
	/* One page of the account's groups ($1; $2 limit, $3 offset) in
	 * name order with the total (column 6) and each group's newest
	 * send_text command (GROUP_SEND_COLS, columns 7-). */
	[WS_GROUPS_LIST] = { "groups_list", 3,
	    "SELECT p.*, " GROUP_SEND_COLS " FROM (SELECT g.jid, g.subject, "
	    "g.participants, g.is_admin, g.announce, iso(g.synced_at), "
	    "count(*) OVER () FROM groups g WHERE g.account_id = $1 "
	    "ORDER BY lower(g.subject), g.jid LIMIT $2 OFFSET $3) p "
	    GROUP_SEND_JOIN("$1", "p.jid") " ORDER BY lower(p.subject), p.jid" },
	/* The same, only groups whose subject contains $4 (any case). */
	[WS_GROUPS_LIST_FILTER] = { "groups_list_filter", 4,
	    "SELECT p.*, " GROUP_SEND_COLS " FROM (SELECT g.jid, g.subject, "
	    "g.participants, g.is_admin, g.announce, iso(g.synced_at), "
	    "count(*) OVER () FROM groups g WHERE g.account_id = $1 AND "
	    "strpos(lower(g.subject), lower($4)) > 0 "
	    "ORDER BY lower(g.subject), g.jid LIMIT $2 OFFSET $3) p "
	    GROUP_SEND_JOIN("$1", "p.jid") " ORDER BY lower(p.subject), p.jid" },
	/* Group $2 of account $1 (visibility checked before). */
	[WS_GROUP_GET] = { "group_get", 2,
	    "SELECT g.jid, g.subject, g.announce AND NOT g.is_admin "
	    "FROM groups g WHERE g.account_id = $1 AND g.jid = $2" },
	/* A send-test: a send_text command for account $1 (payload $2,
	 * operator $3, idempotency key $4); with $5 it is born done with
	 * that error (the page already knows it cannot be sent).  A
	 * repeated client_id inserts nothing and answers no row. */
	[WS_GROUP_SEND_INSERT] = { "group_send_insert", 5,
	    "INSERT INTO commands (account_id, type, payload, created_by, "
	    "client_id, done_at, error) VALUES ($1, 'send_text', $2::jsonb, "
	    "$3, $4, CASE WHEN $5::text IS NULL THEN NULL ELSE now() END, $5) "
	    "ON CONFLICT (account_id, client_id) WHERE client_id IS NOT NULL "
	    "DO NOTHING RETURNING id" },
	/* /metrics: send_text commands acked, refused, waiting, the
	 * seconds since the newest ack (NULL: none yet), and the accounts
	 * whose sends stalled (sql/020). */
	[WS_SEND_METRICS] = { "send_metrics", 0,
	    "SELECT count(*) FILTER (WHERE done_at IS NOT NULL AND "
	    "error IS NULL), count(*) FILTER (WHERE error IS NOT NULL), "
	    "count(*) FILTER (WHERE done_at IS NULL), "
	    "extract(epoch FROM now() - max(done_at) FILTER (WHERE "
	    "error IS NULL))::bigint, (SELECT count(*) FROM accounts WHERE "
	    "send_stalled AND deleted_at IS NULL) FROM commands WHERE "
	    "type = 'send_text'" },
	/* The newest send_text of account $1 to group $2, visible to
	 * $3/$4 (GROUP_SEND_COLS, columns 0-; none: no row). */
	[WS_GROUP_SEND_LATEST] = { "group_send_latest", 4,
	    "SELECT " GROUP_SEND_COLS " FROM accounts a "
	    GROUP_SEND_JOIN("a.id", "$2::text") " WHERE a.id = $1 AND "
	    VISIBLE("$3", "$4") },
	/* The newest send_text of account $1 to a phone number (not a
	 * group; visibility checked before): GROUP_SEND_COLS, then the
	 * number it went to. */
	[WS_PHONE_SEND_LATEST] = { "phone_send_latest", 1,
	    "SELECT " GROUP_SEND_COLS ", s.payload->>'to' FROM "
	    "(SELECT $1::bigint AS id) a LEFT JOIN LATERAL (SELECT c.id, "
	    "c.error, c.done_at, c.message_id, c.error_code, c.payload, "
	    "c.created_at, x.restricted_until FROM commands c JOIN accounts "
	    "x ON x.id = c.account_id WHERE c.account_id = a.id AND "
	    "c.type = 'send_text' AND c.payload->>'to' NOT LIKE '%@g.us' "
	    "ORDER BY c.id DESC LIMIT 1) s ON true" },
	/*
	 * Issue 12: the session daemons as the dashboard, /health/deep
	 * and /metrics list them: id, host, pid, accounts whose lease it
	 * holds now, capacity (WADESK_MAX_SESSIONS), heartbeat age in s,
	 * draining, takeovers and lease losses since its start, started.
	 */
	[WS_DAEMONS_LIST] = { "daemons_list", 0,
	    "SELECT i.id, i.hostname, i.pid, (SELECT count(*) FROM "
	    "account_leases l WHERE l.owner_daemon = i.id AND "
	    "l.lease_until > now())::int, "
	    "i.capacity, extract(epoch FROM now() - i.heartbeat_at)::bigint, "
	    "i.draining, i.takeovers, i.lease_losses, iso(i.started_at) "
	    "FROM daemon_instances i ORDER BY i.id" },
	/* Issue 11: the reminder pages (cgi/page_reminders.c). */
	/* wall_now() (s) and operator $1's zone. */
	[WS_REM_NOW] = { "rem_now", 1,
	    "SELECT floor(extract(epoch FROM wall_now()))::bigint, (SELECT "
	    "timezone FROM operators WHERE id = $1)" },
	/*
	 * The list ($1/$2 visibility, $3 filter: '' all, 'active',
	 * 'paused', 'ended' (or canceled), 'failed' (the newest run
	 * failed)): id, name, account id, label, targets, zone, first
	 * fire (s), rrule, next fire (s), status, the newest run's status
	 * and id.
	 */
	[WS_REM_LIST] = { "rem_list", 3,
	    "SELECT r.id, r.name, a.id, a.label, (SELECT count(*) FROM "
	    "reminder_targets t WHERE t.reminder_id = r.id), r.timezone, "
	    "extract(epoch FROM r.first_fire_at)::bigint, r.rrule, "
	    "extract(epoch FROM r.next_fire_at)::bigint, r.status, lr.status, "
	    "lr.id " REM_FROM " LEFT JOIN LATERAL (SELECT x.id, x.status FROM "
	    "reminder_runs x WHERE x.reminder_id = r.id ORDER BY x.id DESC "
	    "LIMIT 1) lr ON true WHERE " VISIBLE("$1", "$2") " AND "
	    "($3::text = '' OR ($3::text = 'failed' AND lr.status = 'failed') "
	    "OR ($3::text = 'ended' AND r.status IN ('ended', 'canceled')) OR "
	    "r.status = $3::text) ORDER BY r.next_fire_at NULLS LAST, r.id "
	    "LIMIT 500" },
	/* Operator $1's own newest runs (RUN_COLS). */
	[WS_REM_RUNS_RECENT] = { "rem_runs_recent", 1,
	    "SELECT " RUN_COLS " " RUN_FROM " WHERE ru.operator_id = $1 "
	    "ORDER BY ru.id DESC LIMIT 20" },
	/* Clear history: operator $1's finished runs (not running, not
	 * paused: those still await the daemon or a Resume); how many. */
	[WS_REM_RUNS_CLEAR] = { "rem_runs_clear", 1,
	    "WITH d AS (DELETE FROM reminder_runs WHERE operator_id = $1 AND "
	    "status NOT IN ('running', 'paused') RETURNING 1) "
	    "SELECT count(*) FROM d" },
	/* The accounts the form offers ($1/$2 visibility). */
	[WS_REM_ACCOUNTS] = { "rem_accounts", 2,
	    "SELECT a.id, a.label FROM accounts a WHERE " VISIBLE("$1", "$2")
	    " ORDER BY a.created_at, a.id LIMIT 1000" },
	[WS_REM_ACCOUNT] = { "rem_account", 3,
	    "SELECT a.id, a.label FROM accounts a WHERE a.id = $1 AND "
	    VISIBLE("$2", "$3") },
	/* Account $1's synced groups: jid, subject. */
	[WS_REM_GROUPS] = { "rem_groups", 1,
	    "SELECT jid, subject FROM groups WHERE account_id = $1 "
	    "ORDER BY lower(subject), jid LIMIT 1000" },
	/*
	 * Reminder $1 if visible ($2/$3): id, name, account id, label,
	 * status, zone, first fire (s), rrule, window end hour, next fire
	 * (s), iso(last fired), iso(created), operator's username.
	 */
	[WS_REM_GET] = { "rem_get", 3,
	    "SELECT r.id, r.name, a.id, a.label, r.status, r.timezone, "
	    "extract(epoch FROM r.first_fire_at)::bigint, r.rrule, "
	    "r.window_end_hour, extract(epoch FROM r.next_fire_at)::bigint, "
	    "iso(r.last_fired_at), iso(r.created_at), o.username " REM_FROM
	    " LEFT JOIN operators o ON o.id = r.operator_id WHERE r.id = $1 "
	    "AND " VISIBLE("$2", "$3") },
	/* The same reminder locked for a change: id, status, zone, first
	 * fire (s), rrule. */
	[WS_REM_LOCK] = { "rem_lock", 3,
	    "SELECT r.id, r.status, r.timezone, "
	    "extract(epoch FROM r.first_fire_at)::bigint, r.rrule " REM_FROM
	    " WHERE r.id = $1 AND " VISIBLE("$2", "$3") " FOR UPDATE OF r" },
	/* Reminder $1's targets in order: jid, the group's subject now
	 * (NULL: no longer synced). */
	[WS_REM_TARGETS] = { "rem_targets", 1,
	    "SELECT t.group_jid, g.subject FROM reminder_targets t "
	    "JOIN reminders r ON r.id = t.reminder_id LEFT JOIN groups g ON "
	    "g.account_id = r.account_id AND g.jid = t.group_jid "
	    "WHERE t.reminder_id = $1 ORDER BY t.position" },
	[WS_REM_MESSAGES] = { "rem_messages", 1,
	    "SELECT text FROM reminder_messages WHERE reminder_id = $1 "
	    "ORDER BY position" },
	/* A new reminder: operator, account, name, zone, first fire (s),
	 * rrule (NULL: one-off), window end hour (NULL), next fire (s). */
	[WS_REM_INSERT] = { "rem_insert", 8,
	    "INSERT INTO reminders (operator_id, account_id, name, timezone, "
	    "first_fire_at, rrule, window_end_hour, next_fire_at) VALUES ($1, "
	    "$2, $3, $4, to_timestamp($5::bigint), $6, $7::smallint, "
	    "to_timestamp($8::bigint)) RETURNING id" },
	/* Reminder $1 saved again (locked and checked before); a paused
	 * one stays paused, any other becomes active. */
	[WS_REM_UPDATE] = { "rem_update", 8,
	    "UPDATE reminders SET account_id = $2, name = $3, timezone = $4, "
	    "first_fire_at = to_timestamp($5::bigint), rrule = $6, "
	    "window_end_hour = $7::smallint, "
	    "next_fire_at = to_timestamp($8::bigint), status = CASE WHEN "
	    "status = 'paused' THEN 'paused' ELSE 'active' END, "
	    "updated_at = now() WHERE id = $1 RETURNING id" },
	[WS_REM_TARGETS_CLEAR] = { "rem_targets_clear", 1,
	    "DELETE FROM reminder_targets WHERE reminder_id = $1" },
	/* Reminder $1's targets: the JSON array $3 of JIDs in order, only
	 * those that are groups of account $2; how many were written. */
	[WS_REM_TARGETS_SET] = { "rem_targets_set", 3,
	    "WITH i AS (INSERT INTO reminder_targets (reminder_id, group_jid, "
	    "position) SELECT $1, j.v, j.n - 1 FROM jsonb_array_elements_text("
	    "$3::jsonb) WITH ORDINALITY AS j(v, n) JOIN groups g ON "
	    "g.account_id = $2 AND g.jid = j.v RETURNING 1) "
	    "SELECT count(*) FROM i" },
	[WS_REM_MESSAGES_CLEAR] = { "rem_messages_clear", 1,
	    "DELETE FROM reminder_messages WHERE reminder_id = $1" },
	/* Reminder $1's messages: the JSON array of texts $2, in order. */
	[WS_REM_MESSAGES_SET] = { "rem_messages_set", 2,
	    "INSERT INTO reminder_messages (reminder_id, position, text) "
	    "SELECT $1, j.n - 1, j.v FROM jsonb_array_elements_text($2::jsonb) "
	    "WITH ORDINALITY AS j(v, n)" },
	[WS_REM_PAUSE] = { "rem_pause", 1,
	    "UPDATE reminders SET status = 'paused', updated_at = now() "
	    "WHERE id = $1 AND status = 'active' RETURNING id" },
	/* Paused -> active at next fire $2 (s), or ended when $2 is NULL
	 * (the rule has no occurrence left); the new status. */
	[WS_REM_RESUME] = { "rem_resume", 2,
	    "UPDATE reminders SET status = CASE WHEN $2::bigint IS NULL THEN "
	    "'ended' ELSE 'active' END, next_fire_at = "
	    "to_timestamp($2::bigint), updated_at = now() "
	    "WHERE id = $1 AND status = 'paused' RETURNING status" },
	/* Its runs stay (reminder_id set NULL, the name snapshot kept). */
	[WS_REM_DELETE] = { "rem_delete", 1,
	    "DELETE FROM reminders WHERE id = $1 RETURNING id" },
	/* Reminder $1's runs, newest first, $2 from $3 (RUN_COLS). */
	[WS_REM_RUNS_OF] = { "rem_runs_of", 3,
	    "SELECT " RUN_COLS " " RUN_FROM " WHERE ru.reminder_id = $1 "
	    "ORDER BY ru.id DESC LIMIT $2::int OFFSET $3::int" },
	/* Run $1 if visible to $2/$3 (RUN_COLS). */
	[WS_REM_RUN_GET] = { "rem_run_get", 3,
	    "SELECT " RUN_COLS " " RUN_FROM " WHERE ru.id = $1 AND "
	    RUN_VISIBLE("$2", "$3") },
	/* The targets of the runs in the array $1, by run and position:
	 * run id, jid, subject snapshot, status, error, iso(sent_at),
	 * message_id. */
	[WS_REM_RUN_TARGETS] = { "rem_run_targets", 1,
	    "SELECT run_id, group_jid, group_subject, status, error, "
	    "iso(sent_at), message_id FROM reminder_run_targets WHERE "
	    "run_id = ANY($1::bigint[]) ORDER BY run_id DESC, position" },
	/* Resume run / Cancel run: a command row ($2 'resume_run' or
	 * 'cancel_run', payload {"run": $1}) for the run's account, by
	 * operator $3 (admin $4), when the run is visible and its account
	 * still exists; the command id, or no row. */
	[WS_REM_RUN_COMMAND] = { "rem_run_command", 4,
	    "INSERT INTO commands (account_id, type, payload, created_by) "
	    "SELECT ru.account_id, $2, jsonb_build_object('run', ru.id), $3 "
	    "FROM reminder_runs ru JOIN accounts a ON a.id = ru.account_id "
	    "WHERE ru.id = $1 AND " RUN_VISIBLE("$3", "$4") " RETURNING id" },
	/* The dashboard's cards ($1/$2 visibility): active reminders,
	 * the operator's runs started in the last 24 h, and those that
	 * failed. */
	[WS_REM_DASH] = { "rem_dash", 2,
	    "SELECT (SELECT count(*) " REM_FROM " WHERE r.status = 'active' "
	    "AND " VISIBLE("$1", "$2") "), count(*), count(*) FILTER (WHERE "
	    "ru.status = 'failed') FROM reminder_runs ru WHERE "
	    "ru.operator_id = $1 AND ru.started_at > now() - "
	    "interval '24 hours'" },
	/* Your settings (page_profile.c): operator $1's username, role,
	 * time zone and iso(created_at). */
	[WS_PROFILE_GET] = { "profile_get", 1,
	    "SELECT username, role, timezone, iso(created_at) FROM operators "
	    "WHERE id = $1" },
	/* Operator $1's password hash, to check the current password. */
	[WS_PROFILE_HASH] = { "profile_hash", 1,
	    "SELECT password_hash FROM operators WHERE id = $1 AND NOT disabled" },
	/* Operator $1's time zone becomes $2 (checked by the page). */
	[WS_PROFILE_TIMEZONE] = { "profile_timezone", 2,
	    "UPDATE operators SET timezone = $2 WHERE id = $1 RETURNING id" },
	/* Operator $1's sessions other than the one with token hash $2. */
	[WS_SESSIONS_DROP_OTHERS] = { "sessions_drop_others", 2,
	    "DELETE FROM web_sessions WHERE operator_id = $1 AND "
	    "token_hash <> $2" },
};
