-- Reminders (issue 11): an operator schedules one or more messages to
-- one or more of an account's groups, once or recurring (RFC 5545
-- RRULE, computed with libical in the reminder's IANA time zone by
-- lib/recur.c), and sees every run's delivery per group.
--
-- Who writes what:
--  * the pages (wadesk_web) write reminders, their targets and
--    messages, and the operator's actions on runs as command rows
--    (resume_run, cancel_run; payload {"run": id});
--  * the daemon (wadesk_daemon) that holds the account's lease claims
--    due reminders (next_fire_at <= wall_now(), FOR UPDATE SKIP
--    LOCKED), inserts one run per occurrence (the unique key on
--    reminder and scheduled_for makes that "ever", across restarts and
--    daemons), sends each target's messages in order as send_text
--    command rows with client_id "reminder:<run>:<jid>:<position>"
--    (so a run resumed after a crash or kill -9 never queues a message
--    twice: the send path's idempotency, sql/013), writes each target's
--    state as it goes, and computes the next occurrence.
--
-- Statuses:
--  reminders.status   active   fires at next_fire_at;
--                     paused   a window closed mid-run (or the operator
--                              paused it): no further occurrences until
--                              the operator acts; next_fire_at kept;
--                     ended    one-off fired, or the rule has no more
--                              occurrences (next_fire_at NULL);
--                     canceled the operator stopped it for good.
--  reminder_runs.status running, success (all sent), partial (some
--                     sent, the rest failed or skipped), failed
--                     (nothing sent), paused (window closed with
--                     targets pending, something sent), missed (the
--                     daemon was down past the grace: nothing sent,
--                     error_summary says how many occurrences).
--  reminder_run_targets.status pending, sent, failed, skipped.
SET LOCAL search_path = wadesk;

-- The time the reminder scheduler and the pages call "now": now() plus
-- an offset that is 0 in production.  Tests move it forward (as the
-- database owner: neither login role may write it) to reach an
-- occurrence a week away in a second.  One row, always.
CREATE TABLE clock_offset (
	one		boolean PRIMARY KEY DEFAULT true CHECK (one),
	offset_by	interval NOT NULL DEFAULT '0'
);
INSERT INTO clock_offset DEFAULT VALUES;
CREATE FUNCTION wall_now() RETURNS timestamptz LANGUAGE sql STABLE
    RETURN now() + (SELECT offset_by FROM wadesk.clock_offset);
-- A change wakes the daemons (the reminder scheduler re-reads its due
-- time); the payload is unused.
CREATE FUNCTION clock_offset_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('wadesk_reminders', '');
	RETURN NULL;
END $$;
CREATE TRIGGER clock_offset_notify AFTER UPDATE ON clock_offset
    FOR EACH STATEMENT EXECUTE FUNCTION clock_offset_notify();

-- The zone a new reminder's form starts in (the operator's own).
ALTER TABLE operators ADD COLUMN timezone text NOT NULL DEFAULT 'UTC'
    CHECK (length(timezone) BETWEEN 1 AND 64);

CREATE TABLE reminders (
	id		bigserial PRIMARY KEY,
	operator_id	bigint REFERENCES operators ON DELETE SET NULL,
	account_id	bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	status		text NOT NULL DEFAULT 'active' CHECK (status IN
			    ('active', 'paused', 'ended', 'canceled')),
	timezone	text NOT NULL CHECK (length(timezone) BETWEEN 1 AND 64),
	first_fire_at	timestamptz NOT NULL,
	-- The RRULE value without "RRULE:" (e.g. "FREQ=WEEKLY;BYDAY=MO"),
	-- NULL for a one-off.
	rrule		text CHECK (rrule IS NULL OR
			    length(rrule) BETWEEN 6 AND 512),
	window_end_hour	smallint CHECK (window_end_hour BETWEEN 1 AND 24),
	last_fired_at	timestamptz,
	next_fire_at	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (status IN ('ended', 'canceled') OR next_fire_at IS NOT NULL)
);
-- The scheduler's due scan: active reminders by fire time.
CREATE INDEX reminders_due ON reminders (next_fire_at)
    WHERE status = 'active';
CREATE INDEX reminders_operator ON reminders (operator_id, status, id);
CREATE INDEX reminders_account ON reminders (account_id);

CREATE TABLE reminder_targets (
	reminder_id	bigint NOT NULL REFERENCES reminders ON DELETE CASCADE,
	group_jid	text NOT NULL CHECK (length(group_jid) BETWEEN 6 AND 128
			    AND group_jid LIKE '%@g.us'),
	position	integer NOT NULL CHECK (position >= 0),
	PRIMARY KEY (reminder_id, group_jid),
	UNIQUE (reminder_id, position)
);

CREATE TABLE reminder_messages (
	reminder_id	bigint NOT NULL REFERENCES reminders ON DELETE CASCADE,
	position	integer NOT NULL CHECK (position >= 0),
	text		text NOT NULL CHECK (length(text) BETWEEN 1 AND 4096),
	PRIMARY KEY (reminder_id, position)
);

CREATE TABLE reminder_runs (
	id		bigserial PRIMARY KEY,
	reminder_id	bigint REFERENCES reminders ON DELETE SET NULL,
	reminder_name	text NOT NULL,		-- snapshot at fire time
	operator_id	bigint REFERENCES operators ON DELETE SET NULL,
	account_id	bigint REFERENCES accounts ON DELETE SET NULL,
	scheduled_for	timestamptz NOT NULL,
	started_at	timestamptz NOT NULL DEFAULT now(),
	finished_at	timestamptz,
	status		text NOT NULL DEFAULT 'running' CHECK (status IN
			    ('running', 'success', 'partial', 'failed',
			    'paused', 'missed')),
	sent		integer NOT NULL DEFAULT 0 CHECK (sent >= 0),
	total		integer NOT NULL DEFAULT 0 CHECK (total >= 0),
	error_summary	text
);
-- One run per occurrence, ever.  (reminder_id becomes NULL when the
-- reminder is deleted; NULLs never collide, and a deleted reminder
-- fires no more.)
CREATE UNIQUE INDEX reminder_runs_once ON reminder_runs
    (reminder_id, scheduled_for);
CREATE INDEX reminder_runs_open ON reminder_runs (account_id, id)
    WHERE status = 'running';
CREATE INDEX reminder_runs_operator ON reminder_runs (operator_id, id);
CREATE INDEX reminder_runs_reminder ON reminder_runs (reminder_id, id);

CREATE TABLE reminder_run_targets (
	run_id		bigint NOT NULL REFERENCES reminder_runs ON DELETE CASCADE,
	group_jid	text NOT NULL,
	position	integer NOT NULL,
	group_subject	text NOT NULL DEFAULT '',	-- snapshot
	status		text NOT NULL DEFAULT 'pending' CHECK (status IN
			    ('pending', 'sent', 'failed', 'skipped')),
	message_id	text,		-- of the last message sent to it
	error		text,		-- a sentence
	sent_at		timestamptz,
	PRIMARY KEY (run_id, group_jid)
);

-- The operator's actions on a run are command rows for the daemon
-- that holds the account (payload {"run": <reminder_runs.id>}).
ALTER TABLE commands DROP CONSTRAINT commands_type_check;
ALTER TABLE commands ADD CONSTRAINT commands_type_check
	CHECK (type IN ('pair', 'pair_code', 'cancel_pair', 'reconnect',
	    'disconnect', 'unpair', 'delete', 'send_text', 'sync_groups',
	    'resume_run', 'cancel_run'));

-- A page's change to a reminder (new, edited, paused, resumed) wakes
-- the daemons' schedulers at once.
CREATE FUNCTION reminders_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('wadesk_reminders', '');
	RETURN NULL;
END $$;
CREATE TRIGGER reminders_notify AFTER INSERT OR UPDATE ON reminders
    FOR EACH STATEMENT EXECUTE FUNCTION reminders_notify();

GRANT SELECT ON clock_offset TO wadesk_web, wadesk_daemon;
GRANT SELECT, INSERT, UPDATE, DELETE ON reminders, reminder_targets,
    reminder_messages TO wadesk_web;
GRANT SELECT, DELETE ON reminder_runs, reminder_run_targets TO wadesk_web;
GRANT USAGE ON SEQUENCE reminders_id_seq TO wadesk_web;
GRANT SELECT, UPDATE ON reminders TO wadesk_daemon;
GRANT SELECT ON reminder_targets, reminder_messages TO wadesk_daemon;
GRANT SELECT, INSERT, UPDATE ON reminder_runs, reminder_run_targets
    TO wadesk_daemon;
GRANT USAGE ON SEQUENCE reminder_runs_id_seq TO wadesk_daemon;
-- The daemon queues each message of a run as a send_text command row.
GRANT INSERT ON commands TO wadesk_daemon;
GRANT USAGE ON SEQUENCE commands_id_seq TO wadesk_daemon;

-- The webhook event reminder.run (sql/010 lists it; nothing emitted it
-- until now): the daemon writes an account_events row of kind
-- 'reminder.run' when a run ends (success, partial, failed, missed) or
-- pauses, detail {reminder, run, status, sent, total}; at commit it
-- goes to the endpoints that want it.
CREATE FUNCTION webhook_on_reminder_run() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = wadesk AS $$
BEGIN
	PERFORM webhook_emit(NEW.account_id, 'reminder.run',
	    NEW.detail || jsonb_build_object('at', iso(NEW.at)));
	RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER webhook_reminder_run AFTER INSERT ON account_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.kind = 'reminder.run' AND NEW.account_id IS NOT NULL)
    EXECUTE FUNCTION webhook_on_reminder_run();
