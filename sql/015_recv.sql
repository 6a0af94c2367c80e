-- Received messages (issue 9 part 2), kept only as far as the product
-- needs them now: the last N per chat (WADESK_MESSAGES_KEEP, default
-- 50; 0 keeps none), so a send test can prove that a text arrived and
-- a page can show the latest ones.  wadesk keeps no chat history: a
-- message without text (media, reactions, protocol messages) is not
-- stored at all.
--  * The daemon writes a row for every text it decrypts (a contact's,
--    a group member's, or our own phone's device-sent one, direction
--    'out'), fenced by the lease like its other writes, and trims the
--    chat to N rows in the same transaction (daemon/session.c
--    cb_message).  A redelivered message (same account, chat, sender,
--    id) is not stored twice.
--  * Logout, unpair and delete wipe the rows in the same transaction as
--    the status change, with the credentials (db_daemon.c
--    DS_CREDS_DELETE); ON DELETE CASCADE covers a deleted account.
--  * Each incoming one (direction 'in') emits the webhook event
--    message.received (sql/010's outbox, at commit like the others).
SET LOCAL search_path = wadesk;

CREATE TABLE messages (
	id		bigserial PRIMARY KEY,
	account_id	bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
	chat_jid	text NOT NULL CHECK (length(chat_jid) BETWEEN 3 AND 128),
	sender_jid	text NOT NULL CHECK (length(sender_jid) BETWEEN 3 AND 128),
	message_id	text NOT NULL CHECK (length(message_id) BETWEEN 1 AND 128),
	text		text NOT NULL CHECK (length(text) <= 65536),
	push_name	text CHECK (push_name IS NULL OR length(push_name) <= 256),
	direction	text NOT NULL CHECK (direction IN ('in', 'out')),
	sent_at		timestamptz NOT NULL,	-- <message t>, the server's
	received_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (account_id, chat_jid, sender_jid, message_id)
);
-- Newest first per chat: the trim and the page's "latest" both walk it.
CREATE INDEX messages_chat ON messages (account_id, chat_jid, sent_at DESC,
    id DESC);

CREATE FUNCTION webhook_on_message() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = wadesk AS $$
BEGIN
	PERFORM webhook_emit(NEW.account_id, 'message.received',
	    jsonb_build_object('chat', NEW.chat_jid, 'sender', NEW.sender_jid,
	    'message_id', NEW.message_id, 'text', NEW.text, 'push_name',
	    NEW.push_name, 'sent_at', iso(NEW.sent_at)));
	RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER webhook_message AFTER INSERT ON messages
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.direction = 'in')
    EXECUTE FUNCTION webhook_on_message();

GRANT SELECT, INSERT, DELETE ON messages TO wadesk_daemon;
GRANT USAGE ON SEQUENCE messages_id_seq TO wadesk_daemon;
GRANT SELECT ON messages TO wadesk_web;
