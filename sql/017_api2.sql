-- issue 13, second round (api2).
SET LOCAL search_path = wadesk;

-- Outbox housekeeping (wadesk-webhookd, WADESK_WEBHOOK_RETENTION_S):
-- deliveries that were delivered or dead longer ago than the retention
-- are deleted with their attempts, then outbox rows no delivery refers
-- to.  A delivery's event may no longer cascade away with its event:
-- the purge deletes events only once nothing refers to them, and with
-- RESTRICT a Redeliver that races it makes the purge fail (to be
-- retried) instead of losing the new delivery.
ALTER TABLE webhook_deliveries
	DROP CONSTRAINT webhook_deliveries_event_id_fkey,
	ADD CONSTRAINT webhook_deliveries_event_id_fkey FOREIGN KEY (event_id)
	    REFERENCES webhook_events ON DELETE RESTRICT;
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
CREATE INDEX webhook_deliveries_done ON webhook_deliveries (done_at)
	WHERE state <> 'pending';
CREATE INDEX webhook_events_created ON webhook_events (created_at);
GRANT DELETE ON webhook_deliveries, webhook_events, webhook_attempts
	TO wadesk_webhook;

-- A proxy per account (issue 13).  The URL may hold a password, so it
-- is sealed like the credentials are kept from the web: the session
-- daemon derives an X25519 key pair from its credentials key
-- (WADESK_CRED_KEY_FILE; daemon/proxy.c) and publishes the public half
-- here; the page seals the URL to it (libsodium crypto_box_seal) and
-- keeps, beside the sealed URL, the key it was sealed to and the URL
-- without the password for display.  Only a daemon with that
-- credentials key can open it; the web role, a dump or a backup
-- cannot.  All three columns are NULL for a direct connection.
CREATE TABLE proxy_keys (
	id		smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
	public_key	bytea NOT NULL CHECK (length(public_key) = 32),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE accounts
	ADD COLUMN proxy_sealed		bytea,
	ADD COLUMN proxy_public_key	bytea,
	ADD COLUMN proxy_display	text CHECK (proxy_display IS NULL OR
	    length(proxy_display) <= 600),
	ADD CONSTRAINT accounts_proxy_whole CHECK ((proxy_sealed IS NULL) =
	    (proxy_display IS NULL) AND (proxy_sealed IS NULL) =
	    (proxy_public_key IS NULL));
GRANT SELECT ON proxy_keys TO wadesk_web;
GRANT SELECT, INSERT, UPDATE ON proxy_keys TO wadesk_daemon;
