-- Sending text (issue 9) and syncing groups (issue 10) are command rows
-- like the session actions, so a page, the API and wadeskctl queue the
-- same thing and the daemon that owns the account runs it.
--  * send_text: payload {"to": "<phone digits or JID>", "text": "..."};
--    client_id (optional, from the API or a page's form token) makes the
--    send idempotent: a second row with the same (account, client_id)
--    is refused by the unique index, and the caller answers with the
--    first row.  The daemon writes message_id (whatsmeow-style id,
--    generated before the first send and kept, so a re-claimed command
--    after a crash resends with the same id and receivers de-duplicate)
--    and, when the server acks, result = 'sent'; on a refusal error is
--    a sentence and error_code the server's code (463, 479, 421, ...).
--  * sync_groups: re-sync the account's groups now.
-- A refused send of kind "restricted" (463 / reach-out timelock) sets
-- accounts.restricted_until (NULL when the server gave no end) and
-- restricted_reason; the daemon clears them on the next accepted send
-- or once restricted_until has passed.  The session stays connected.
SET LOCAL search_path = wadesk;

ALTER TABLE commands DROP CONSTRAINT commands_type_check;
ALTER TABLE commands ADD CONSTRAINT commands_type_check
	CHECK (type IN ('pair', 'pair_code', 'cancel_pair', 'reconnect',
	    'disconnect', 'unpair', 'delete', 'send_text', 'sync_groups'));

ALTER TABLE commands
	ADD COLUMN client_id	text CHECK (client_id IS NULL OR
				    length(client_id) BETWEEN 1 AND 128),
	ADD COLUMN message_id	text CHECK (message_id IS NULL OR
				    length(message_id) BETWEEN 1 AND 64),
	ADD COLUMN error_code	integer;
CREATE UNIQUE INDEX commands_client_id ON commands (account_id, client_id)
	WHERE client_id IS NOT NULL;

ALTER TABLE accounts
	ADD COLUMN restricted	boolean NOT NULL DEFAULT false,
	ADD COLUMN restricted_until	timestamptz,
	ADD COLUMN restricted_reason	text;
