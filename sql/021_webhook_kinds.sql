-- Issue 13: the webhook kinds sql/010 accepted but nothing emitted.
--   account.restricted  an account_events row of kind 'restricted' or
--                       'unrestricted' (daemon/send.c): {restricted,
--                       reason (the server's kind), until (RFC 3339 or
--                       null)};
--   message.sent        a send_text command reaching its end (the
--                       daemon writes done_at; a page's row born done
--                       because the account was not connected counts
--                       too): {command, client_id, to, text, status
--                       ('sent' or 'failed'), message_id, error (the
--                       reason code or the daemon's sentence),
--                       error_code (the server's, e.g. 463), done_at}.
-- Both at commit, like the others (DEFERRABLE INITIALLY DEFERRED), so
-- a rolled-back write sends nothing.
SET LOCAL search_path = wadesk;

CREATE FUNCTION webhook_on_restriction() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = wadesk AS $$
DECLARE
	u	text := NEW.detail->>'until';
BEGIN
	PERFORM webhook_emit(NEW.account_id, 'account.restricted',
	    jsonb_build_object('restricted', NEW.kind = 'restricted',
	    'reason', NEW.detail->>'reason', 'until',
	    CASE WHEN u ~ '^[0-9]{1,12}$' AND u::bigint > 0 THEN
	    iso(to_timestamp(u::bigint)) END, 'at', iso(NEW.at)));
	RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER webhook_restriction AFTER INSERT ON account_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.kind IN ('restricted', 'unrestricted') AND
    NEW.account_id IS NOT NULL)
    EXECUTE FUNCTION webhook_on_restriction();

CREATE FUNCTION webhook_on_send_done() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = wadesk AS $$
BEGIN
	PERFORM webhook_emit(NEW.account_id, 'message.sent',
	    jsonb_build_object('command', NEW.id, 'client_id', NEW.client_id,
	    'to', NEW.payload->>'to', 'text', NEW.payload->>'text',
	    'status', CASE WHEN NEW.error IS NULL THEN 'sent' ELSE 'failed' END,
	    'message_id', NEW.message_id, 'error', NEW.error,
	    'error_code', NEW.error_code, 'done_at', iso(NEW.done_at)));
	RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER webhook_send_done AFTER UPDATE ON commands
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.type = 'send_text' AND OLD.done_at IS NULL AND
    NEW.done_at IS NOT NULL AND NEW.account_id IS NOT NULL)
    EXECUTE FUNCTION webhook_on_send_done();
CREATE CONSTRAINT TRIGGER webhook_send_born_done AFTER INSERT ON commands
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.type = 'send_text' AND NEW.done_at IS NOT NULL AND
    NEW.account_id IS NOT NULL)
    EXECUTE FUNCTION webhook_on_send_done();
REVOKE ALL ON FUNCTION webhook_on_restriction() FROM PUBLIC;
REVOKE ALL ON FUNCTION webhook_on_send_done() FROM PUBLIC;
