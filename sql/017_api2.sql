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
