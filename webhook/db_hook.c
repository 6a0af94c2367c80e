/*
 * The wadesk_webhook role's statements (sql/010), prepared at connect
 * and run by index (lib/db.h).
 */
#include "hook.h"

/* A pending delivery is a chain's head when no earlier delivery of the
 * same endpoint and account is pending (the order rule, sql/010). */
#define	CHAIN_HEAD(d) \
	"NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE " \
	"p.endpoint_id = " d ".endpoint_id AND p.account_id = " d \
	".account_id AND p.state = 'pending' AND p.id < " d ".id)"

const struct db_stmt	hook_stmts[HS__MAX] = {
	/* HS_KEY_PUT: the public key new secrets are sealed to. */
	[HS_KEY_PUT] = { "key_put", 1,
	    "INSERT INTO webhook_keys (id, public_key) VALUES (1, $1::bytea) "
	    "ON CONFLICT (id) DO UPDATE SET public_key = EXCLUDED.public_key, "
	    "updated_at = now() WHERE webhook_keys.public_key <> "
	    "EXCLUDED.public_key" },
	/*
	 * HS_CLAIM: up to $1 due chain heads of enabled endpoints, locked
	 * for this transaction (another sender skips them, and a sender
	 * that dies lets go of them with its connection).  now() is the
	 * claim's BEGIN, a moment ago, and unlike clock_timestamp() it
	 * can be an index key (webhook_deliveries_due).  Columns: id,
	 * attempts, age in ms, url, sealed secret, event uuid, kind,
	 * created_at (ms), account id, payload.
	 */
	[HS_CLAIM] = { "claim", 1,
	    "SELECT d.id, d.attempts, (extract(epoch FROM clock_timestamp() "
	    "- d.created_at) * 1000)::bigint, e.url, e.secret_sealed, "
	    "v.event_id, v.kind, to_char(v.created_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), v.account_id, "
	    "v.payload::text FROM webhook_deliveries d "
	    "JOIN webhook_endpoints e ON e.id = d.endpoint_id "
	    "JOIN webhook_events v ON v.id = d.event_id "
	    "WHERE d.state = 'pending' AND d.next_attempt_at <= now() "
	    "AND e.enabled AND " CHAIN_HEAD("d") " "
	    "ORDER BY d.id LIMIT $1::int FOR UPDATE OF d SKIP LOCKED" },
	/*
	 * HS_RECORD: attempt of delivery $1 got status $2 (NULL: none) in
	 * $3 ms with error $4 (NULL: 2xx); new state $5, next try in $6 ms.
	 */
	[HS_RECORD] = { "record", 6,
	    "WITH d AS (UPDATE webhook_deliveries SET attempts = attempts + 1, "
	    "last_attempt_at = clock_timestamp(), last_status = $2::int, "
	    "last_latency_ms = $3::int, last_error = $4::text, "
	    "state = $5::text, next_attempt_at = CASE WHEN $5::text = "
	    "'pending' THEN clock_timestamp() + make_interval(secs => "
	    "$6::bigint / 1000.0) ELSE next_attempt_at END, done_at = "
	    "CASE WHEN $5::text <> 'pending' THEN clock_timestamp() END "
	    "WHERE id = $1::bigint RETURNING id) "
	    "INSERT INTO webhook_attempts (delivery_id, status, latency_ms, "
	    "error) SELECT id, $2::int, $3::int, $4::text FROM d" },
	/* HS_NEXT_DUE: ms until the next chain head is due (NULL: none). */
	[HS_NEXT_DUE] = { "next_due", 0,
	    "SELECT (extract(epoch FROM min(d.next_attempt_at) - "
	    "now()) * 1000)::bigint FROM webhook_deliveries d "
	    "JOIN webhook_endpoints e ON e.id = d.endpoint_id "
	    "WHERE d.state = 'pending' AND e.enabled AND " CHAIN_HEAD("d") },
	/*
	 * Housekeeping (sql/017): up to $2 deliveries that were delivered
	 * or dead more than $1 seconds ago, with their attempts (cascade);
	 * pending ones are never touched.  SKIP LOCKED: a row a page or
	 * another sender holds waits for the next round.
	 */
	[HS_PURGE_DELIVERIES] = { "purge_deliveries", 2,
	    "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM "
	    "webhook_deliveries WHERE state IN ('delivered', 'dead') AND "
	    "done_at < now() - make_interval(secs => $1::int) "
	    "ORDER BY done_at LIMIT $2::int FOR UPDATE SKIP LOCKED)" },
	/*
	 * Then up to $2 outbox rows older than $1 seconds that no delivery
	 * refers to any more.  sql/017 makes the reference RESTRICT: a
	 * Redeliver racing this statement makes it fail (and the next
	 * round retries) rather than cascade its new delivery away.  (No
	 * row locks here: the role may not UPDATE the outbox.)
	 */
	[HS_PURGE_EVENTS] = { "purge_events", 2,
	    "DELETE FROM webhook_events WHERE id IN (SELECT v.id FROM "
	    "webhook_events v WHERE v.created_at < now() - "
	    "make_interval(secs => $1::int) AND NOT EXISTS (SELECT 1 FROM "
	    "webhook_deliveries d WHERE d.event_id = v.id) "
	    "ORDER BY v.id LIMIT $2::int)" },
};
