-- Every change of accounts.status, from every writer (wadesk.fcgi, the
-- session daemon, wadeskctl, hand-written SQL), for the account page's
-- status timeline.  A trigger records it; nobody has to remember to.
--
-- Who made the change (the actor) comes from what the writers already
-- record in the same transaction:
--   * an account_events row with an operator_id: that operator (the web
--     writes one with every action);
--   * else a command of this account marked done: the operator who
--     queued it, carried out by the session daemon;
--   * else the database role: wadesk_daemon is the session daemon on
--     its own (a lost connection, a pairing window that ran out);
--     any other role is hand-written SQL (wadeskctl included).
-- Both happen after the status write inside the writers' transactions,
-- so the trigger is deferred to commit, when all of it is visible.  "In
-- the same transaction" is the row's xmin; a row written inside a
-- savepoint has another xmin and is not seen (then the role decides).
SET LOCAL search_path = wadesk;

CREATE TABLE account_transitions (
	id		bigserial PRIMARY KEY,
	account_id	bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
	from_status	text,		-- NULL: the account was created
	to_status	text NOT NULL,
	reason		text,		-- disconnect_reason written with it
	actor		text NOT NULL CHECK (actor IN ('operator', 'daemon',
			    'sql', 'unknown')),
	operator_id	bigint REFERENCES operators ON DELETE SET NULL,
	db_role		text NOT NULL,	-- the role that wrote the row
	event_id	bigint REFERENCES account_events ON DELETE SET NULL,
	at		timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX account_transitions_account ON account_transitions
    (account_id, id);

-- The accounts as they are now, so the timeline starts somewhere.
INSERT INTO account_transitions (account_id, from_status, to_status,
    reason, actor, db_role, at)
    SELECT id, NULL, status, disconnect_reason, 'unknown', current_user,
    updated_at FROM accounts ORDER BY id;

-- SECURITY DEFINER, so that any role allowed to change accounts (an
-- operations role of the site's own, not only the two service roles)
-- can commit: otherwise its COMMIT would fail on this table's grants.
-- The writer is therefore session_user (the role it signed in as; the
-- services and wadeskctl each connect as their own role), not
-- current_user, which is the owner in here.
CREATE FUNCTION account_transition_record() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = wadesk AS $$
DECLARE
	me	xid := (pg_current_xact_id()::text::bigint % 4294967296)
		    ::text::xid;
	ev_id	bigint;
	ev_op	bigint;
	who	text := 'sql';
	op	bigint;
	was	text;
BEGIN
	-- Deleted again in the same transaction: nothing to show it on.
	PERFORM 1 FROM accounts WHERE id = NEW.id;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	-- A transaction writes a row or two per account: looking at the
	-- newest 20 bounds the work for an account with a long history.
	SELECT e.id, e.operator_id INTO ev_id, ev_op FROM (SELECT id,
	    operator_id, xmin FROM account_events WHERE account_id = NEW.id
	    ORDER BY id DESC LIMIT 20) e WHERE e.xmin = me
	    ORDER BY e.id DESC LIMIT 1;
	IF ev_op IS NOT NULL THEN
		who := 'operator';
		op := ev_op;
	ELSE
		SELECT c.created_by INTO op FROM (SELECT id, created_by,
		    done_at, xmin FROM commands WHERE account_id = NEW.id
		    ORDER BY id DESC LIMIT 20) c WHERE c.xmin = me
		    AND c.done_at IS NOT NULL AND c.created_by IS NOT NULL
		    ORDER BY c.id DESC LIMIT 1;
		IF op IS NOT NULL THEN
			who := 'operator';
		ELSIF session_user = 'wadesk_daemon' THEN
			who := 'daemon';
		END IF;
	END IF;
	IF TG_OP = 'UPDATE' THEN
		was := OLD.status;
	END IF;
	INSERT INTO account_transitions (account_id, from_status, to_status,
	    reason, actor, operator_id, db_role, event_id)
	    VALUES (NEW.id, was, NEW.status, NEW.disconnect_reason, who, op,
	    session_user, ev_id);
	RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER account_transition_insert AFTER INSERT
    ON accounts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION account_transition_record();
CREATE CONSTRAINT TRIGGER account_transition_update AFTER UPDATE OF status
    ON accounts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION account_transition_record();

GRANT SELECT, INSERT ON account_transitions TO wadesk_web, wadesk_daemon;
GRANT USAGE ON SEQUENCE account_transitions_id_seq
    TO wadesk_web, wadesk_daemon;

-- The outdated-client banner asks on every page whether any account's
-- latest state is "client outdated": a partial index that is empty in
-- the normal case makes that a probe of an empty index.  Keyed on id,
-- which never changes: a key on updated_at (which every UPDATE sets,
-- sql/001 accounts_touch) would make every update of accounts, the
-- daemon's frequent last_frame_at writes included, a non-HOT update.
CREATE INDEX accounts_outdated ON accounts (id)
    WHERE disconnect_reason = 'client_outdated' AND deleted_at IS NULL;
