-- Send-side health (issue 10): an account whose last three sends in a
-- row got no answer from WhatsApp within the send timeout (60 s,
-- daemon/wa/client_send.c) is "stalled": the connection looks alive
-- (keepalives may still pass) but messages go nowhere.  The daemon
-- that holds the lease sets the flag, writes a send_stalled event and
-- drops the connection so the session reconnects; the next send the
-- server acknowledges clears it (send_recovered).  The pages show a
-- badge, /metrics counts the stalled accounts.
--  * send_stalled     the flag;
--  * send_stalled_at  when it was last set (NULL while clear).
SET LOCAL search_path = wadesk;

ALTER TABLE accounts
	ADD COLUMN send_stalled		boolean NOT NULL DEFAULT false,
	ADD COLUMN send_stalled_at	timestamptz;
