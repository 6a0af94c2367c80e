-- Change notices for the qr.png memo (cgi/qrmemo.h).  Each wadesk.fcgi
-- worker remembers positive answers of qr.png's session-and-ownership
-- check and keeps them until one of these triggers says something they
-- depend on changed, whoever wrote it (wadesk.fcgi, wadeskd, wadeskctl,
-- plain SQL).  Channel wadesk_web_memo; payload the account id when
-- one account's answers are affected, '*' when any may be.  A NOTIFY
-- is sent when the writing transaction commits, and PostgreSQL folds
-- identical ones in a transaction into one, so a bulk change costs a
-- handful.
--
-- What is not announced, and why that is safe: inserts (only answers
-- for rows that exist are kept, and no other row's answer changes), an
-- account's other columns (an answer depends on qr_code, qr_version,
-- label, status, operator_id and deleted_at only), and a web
-- session's touch moving last_seen_at forward (it only lengthens the
-- session; an answer is never kept past the expiry it was read with).
SET LOCAL search_path = wadesk;

CREATE FUNCTION web_memo_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('wadesk_web_memo', OLD.id::text);
	IF TG_OP = 'UPDATE' AND NEW.id <> OLD.id THEN
		PERFORM pg_notify('wadesk_web_memo', NEW.id::text);
	END IF;
	RETURN NULL;
END $$;

CREATE FUNCTION web_memo_flush() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('wadesk_web_memo', '*');
	RETURN NULL;
END $$;

CREATE TRIGGER web_memo_account_update AFTER UPDATE ON accounts
    FOR EACH ROW WHEN (OLD.qr_code IS DISTINCT FROM NEW.qr_code
	OR OLD.qr_version <> NEW.qr_version
	OR OLD.status <> NEW.status
	OR OLD.label <> NEW.label
	OR OLD.operator_id <> NEW.operator_id
	OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
	OR OLD.id <> NEW.id)
    EXECUTE FUNCTION web_memo_account();
CREATE TRIGGER web_memo_account_delete AFTER DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION web_memo_account();

CREATE TRIGGER web_memo_operator_update AFTER UPDATE ON operators
    FOR EACH ROW WHEN (OLD.disabled <> NEW.disabled
	OR OLD.role <> NEW.role
	OR OLD.username <> NEW.username
	OR OLD.id <> NEW.id)
    EXECUTE FUNCTION web_memo_flush();
CREATE TRIGGER web_memo_operator_delete AFTER DELETE ON operators
    FOR EACH STATEMENT EXECUTE FUNCTION web_memo_flush();

-- Every change but the touch: compared as JSON without last_seen_at, so
-- a column added later is covered too; last_seen_at moving back (an
-- idle session expired by hand) is a change.
CREATE TRIGGER web_memo_session_update AFTER UPDATE ON web_sessions
    FOR EACH ROW WHEN (to_jsonb(OLD) - 'last_seen_at'
	IS DISTINCT FROM to_jsonb(NEW) - 'last_seen_at'
	OR NEW.last_seen_at < OLD.last_seen_at)
    EXECUTE FUNCTION web_memo_flush();
-- Per row, so a purge that deletes nothing flushes nothing.
CREATE TRIGGER web_memo_session_delete AFTER DELETE ON web_sessions
    FOR EACH ROW EXECUTE FUNCTION web_memo_flush();

CREATE TRIGGER web_memo_accounts_truncate AFTER TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION web_memo_flush();
CREATE TRIGGER web_memo_operators_truncate AFTER TRUNCATE ON operators
    FOR EACH STATEMENT EXECUTE FUNCTION web_memo_flush();
CREATE TRIGGER web_memo_sessions_truncate AFTER TRUNCATE ON web_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION web_memo_flush();
