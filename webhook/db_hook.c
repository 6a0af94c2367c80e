/*
 * The wadesk_webhook role's statements (sql/010), prepared at connect
 * and run by index (lib/db.h).
 */
#include "hook.h"

/* A chain is the pending deliveries of one endpoint and one account,
 * sent in id order (sql/010); its head is the lowest pending id.  Every
 * head, in one pass over webhook_deliveries_chain (with a backlog of
 * thousands, a probe per pending row was most of a claim's time). */
#define	CHAIN_HEADS \
	"(SELECT min(h.id) AS id FROM webhook_deliveries h WHERE " \
	"h.state = 'pending' GROUP BY h.endpoint_id, h.account_id) heads "
/* Delivery d is its chain's head: no earlier one is pending. */
#define	CHAIN_HEAD(d) \
	"NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE " \
	"p.endpoint_id = " d ".endpoint_id AND p.account_id = " d \
	".account_id AND p.state = 'pending' AND p.id < " d ".id)"
#define	STR(x)		#x
#define	XSTR(x)		STR(x)

const struct db_stmt	hook_stmts[HS__MAX] = {
	/* HS_KEY_PUT: the public key new secrets are sealed to. */
	[HS_KEY_PUT] = { "key_put", 1,
	    "INSERT INTO webhook_keys (id, public_key) VALUES (1, $1::bytea) "
	    "ON CONFLICT (id) DO UPDATE SET public_key = EXCLUDED.public_key, "
	    "updated_at = now() WHERE webhook_keys.public_key <> "
	    "EXCLUDED.public_key" },
	/*
	 * HS_LEASE: lease up to $1 chains whose heads are due, of enabled
	 * endpoints, oldest head first, leaving out the heads in $2 (ours,
	 * in flight).  The lease is a session advisory lock on the chain
	 * (HOOK_LOCK_CLASS, a hash of endpoint and account): held across
	 * the commits of outcomes, let go by HS_UNLOCK after its outcome
	 * is committed, and by the server when the connection ends (kill
	 * -9, a database restart), so another sender takes the chain over
	 * at once.  A chain another sender holds is skipped (a hash
	 * collision skips an innocent chain for a moment, no more).  The
	 * lock is taken only on rows the LIMIT returns: a volatile
	 * function in the outer WHERE is not pushed below the ORDER BY.
	 * This statement's snapshot predates the lock, so what it saw of
	 * the head is stale: HS_CLAIM reads it again.  Columns: delivery
	 * id, lock key.
	 */
	[HS_LEASE] = { "lease", 2,
	    "SELECT c.id, c.lk FROM (SELECT d.id, hashtext(d.endpoint_id || "
	    "':' || d.account_id) AS lk FROM " CHAIN_HEADS
	    "JOIN webhook_deliveries d ON d.id = heads.id "
	    "JOIN webhook_endpoints e ON e.id = d.endpoint_id "
	    "WHERE d.state = 'pending' AND d.next_attempt_at <= now() "
	    "AND e.enabled AND d.id <> ALL ($2::bigint[]) ORDER BY d.id) c "
	    "WHERE pg_try_advisory_lock(" XSTR(HOOK_LOCK_CLASS) ", c.lk) "
	    "LIMIT $1::int" },
	/*
	 * HS_CLAIM: of the leased deliveries $1, those that are still due
	 * chain heads of enabled endpoints, read in a snapshot taken after
	 * the leases (a head another sender finished in between is left
	 * out, and its chain let go).  Columns: id, attempts, age in ms,
	 * url, sealed secret, event uuid, kind, created_at (ms), account
	 * id, payload.
	 */
	[HS_CLAIM] = { "claim", 1,
	    "SELECT d.id, d.attempts, (extract(epoch FROM clock_timestamp() "
	    "- d.created_at) * 1000)::bigint, e.url, e.secret_sealed, "
	    "v.event_id, v.kind, to_char(v.created_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), v.account_id, "
	    "v.payload::text FROM webhook_deliveries d "
	    "JOIN webhook_endpoints e ON e.id = d.endpoint_id "
	    "JOIN webhook_events v ON v.id = d.event_id "
	    "WHERE d.id = ANY ($1::bigint[]) AND d.state = 'pending' "
	    "AND d.next_attempt_at <= now() AND e.enabled AND "
	    CHAIN_HEAD("d") " ORDER BY d.id" },
	/*
	 * HS_RECORD: the outcomes of the requests that ended, in one
	 * statement (one round trip, not one per delivery; its own
	 * transaction), as parallel arrays: attempt
	 * of delivery $1[i] got status $2[i] (NULL: none) in $3[i] ms
	 * with error $4[i] (NULL: 2xx); new state $5[i], next try in
	 * $6[i] ms.  Each outcome becomes an attempts row too.
	 */
	[HS_RECORD] = { "record", 6,
	    "WITH r AS (SELECT * FROM unnest($1::bigint[], $2::int[], "
	    "$3::int[], $4::text[], $5::text[], $6::bigint[]) AS r(id, status, "
	    "latency, error, state, delay)), "
	    "d AS (UPDATE webhook_deliveries w SET attempts = w.attempts + 1, "
	    "last_attempt_at = clock_timestamp(), last_status = r.status, "
	    "last_latency_ms = r.latency, last_error = r.error, "
	    "state = r.state, next_attempt_at = CASE WHEN r.state = "
	    "'pending' THEN clock_timestamp() + make_interval(secs => "
	    "r.delay / 1000.0) ELSE w.next_attempt_at END, done_at = "
	    "CASE WHEN r.state <> 'pending' THEN clock_timestamp() END "
	    "FROM r WHERE w.id = r.id RETURNING w.id, r.status, r.latency, "
	    "r.error) "
	    "INSERT INTO webhook_attempts (delivery_id, status, latency_ms, "
	    "error) SELECT id, status, latency, error FROM d ORDER BY id" },
	/* HS_UNLOCK: let go of the leases $1 (lock keys of HS_LEASE), once
	 * each.  Column: how many were held. */
	[HS_UNLOCK] = { "unlock", 1,
	    "SELECT count(*) FILTER (WHERE pg_advisory_unlock("
	    XSTR(HOOK_LOCK_CLASS) ", k)) FROM unnest($1::int[]) k" },
	/* HS_NEXT_DUE: ms until the next chain head is due (NULL: none),
	 * leaving out the heads $1 (ours, in flight). */
	[HS_NEXT_DUE] = { "next_due", 1,
	    "SELECT (extract(epoch FROM min(d.next_attempt_at) - "
	    "now()) * 1000)::bigint FROM " CHAIN_HEADS
	    "JOIN webhook_deliveries d ON d.id = heads.id "
	    "JOIN webhook_endpoints e ON e.id = d.endpoint_id "
	    "WHERE d.state = 'pending' AND e.enabled AND "
	    "d.id <> ALL ($1::bigint[])" },
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
