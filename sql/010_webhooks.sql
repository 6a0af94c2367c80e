-- Webhooks (issue 13): endpoints per operator (optionally per account),
-- a durable outbox written in the same transaction as the event, and
-- one delivery row per endpoint and event that wadesk-webhookd (the
-- sender, webhook/) works through.
--
-- Where events come from.  Every writer (wadesk.fcgi, wadeskd,
-- wadeskctl, hand-written SQL) already leaves the facts behind in the
-- tables, so triggers turn them into outbox rows inside the writer's
-- own transaction; nobody has to remember to, and a rolled-back change
-- sends nothing:
--   account.status      every account_transitions row (sql/007), with
--                       the reason code (the sender adds its sentence);
--   account.logged_out  a transition to 'logged_out';
--   account.banned      a transition to 'banned';
--   account.paired      an account_events row of kind 'paired';
--   account.qr          accounts.qr_version going up with a QR set.
-- The filter also accepts account.restricted, message.received,
-- message.sent and reminder.run, which nothing emits yet: the daemon
-- has no "restricted" state, and messages and reminders are not built.
--
-- Order.  The triggers run at commit (deferred, like sql/007's), after
-- taking the account row's lock (FOR NO KEY UPDATE, the lock an UPDATE
-- takes), so two transactions that both emit for one account commit
-- their outbox rows in id order.  Deliveries of one endpoint and one
-- account are sent in id order: the sender never claims a delivery
-- while an earlier one of the same chain is still pending.
--
-- The secret.  The sender must compute HMACs, so a secret cannot be
-- stored hashed.  It is sealed (libsodium crypto_box_seal) to the
-- sender's public key, which wadesk-webhookd publishes in webhook_keys
-- from its private key file: the page that creates the secret seals it
-- and shows it once; afterwards only the sender can open it (the web
-- role, a database dump or a backup cannot).
SET LOCAL search_path = wadesk;

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles
	    WHERE rolname = 'wadesk_webhook') THEN
		CREATE ROLE wadesk_webhook LOGIN;
	END IF;
END $$;

-- The sender's X25519 public key (one row; the sender writes it).
CREATE TABLE webhook_keys (
	id		smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
	public_key	bytea NOT NULL CHECK (length(public_key) = 32),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_endpoints (
	id		bigserial PRIMARY KEY,
	operator_id	bigint NOT NULL REFERENCES operators ON DELETE CASCADE,
	account_id	bigint REFERENCES accounts ON DELETE CASCADE,
	url		text NOT NULL CHECK (length(url) <= 2000 AND
			    url ~ '^https?://[^[:space:][:cntrl:]]+$'),
	events		text[] NOT NULL CHECK (cardinality(events) > 0 AND
			    events <@ ARRAY['account.status', 'account.qr',
			    'account.paired', 'account.logged_out',
			    'account.banned', 'account.restricted',
			    'message.received', 'message.sent',
			    'reminder.run']::text[]),
	secret_sealed	bytea NOT NULL,	-- crypto_box_seal(secret, public_key)
	public_key	bytea NOT NULL,	-- the key it was sealed to
	secret_hint	text NOT NULL,	-- the secret's last 4 characters
	enabled		boolean NOT NULL DEFAULT true,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_operator ON webhook_endpoints
    (operator_id, id);

-- The outbox: one row per event that at least one enabled endpoint
-- wanted when it happened.  account_id has no foreign key: an event
-- outlives the account it was about.
CREATE TABLE webhook_events (
	id		bigserial PRIMARY KEY,
	event_id	uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
	account_id	bigint NOT NULL,
	operator_id	bigint NOT NULL,
	kind		text NOT NULL,
	payload		jsonb NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE webhook_deliveries (
	id		bigserial PRIMARY KEY,
	endpoint_id	bigint NOT NULL REFERENCES webhook_endpoints
			    ON DELETE CASCADE,
	event_id	bigint NOT NULL REFERENCES webhook_events
			    ON DELETE CASCADE,
	account_id	bigint NOT NULL,	-- the chain: (endpoint_id, account_id)
	state		text NOT NULL DEFAULT 'pending'
			    CHECK (state IN ('pending', 'delivered', 'dead')),
	attempts	integer NOT NULL DEFAULT 0,
	next_attempt_at	timestamptz NOT NULL DEFAULT now(),
	last_attempt_at	timestamptz,
	last_status	integer,	-- HTTP status; NULL: no answer
	last_latency_ms	integer,
	last_error	text,		-- a sentence; NULL after a 2xx
	redelivery_of	bigint REFERENCES webhook_deliveries
			    ON DELETE SET NULL,
	created_by	bigint REFERENCES operators ON DELETE SET NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	done_at		timestamptz	-- delivered or dead
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries
    (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_chain ON webhook_deliveries
    (endpoint_id, account_id, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries
    (endpoint_id, id);

-- Every attempt, for the page (status codes and latency per attempt).
CREATE TABLE webhook_attempts (
	id		bigserial PRIMARY KEY,
	delivery_id	bigint NOT NULL REFERENCES webhook_deliveries
			    ON DELETE CASCADE,
	at		timestamptz NOT NULL DEFAULT now(),
	status		integer,
	latency_ms	integer NOT NULL,
	error		text
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts
    (delivery_id, id);

-- A NOTIFY is only a wake-up: the deliveries table is the truth.
CREATE FUNCTION webhook_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('wadesk_webhooks', '');
	RETURN NULL;
END $$;
CREATE TRIGGER webhook_notify AFTER INSERT ON webhook_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_notify();

-- Write event "ev_kind" about account "acc" with "data" into the
-- outbox, and a delivery for every enabled endpoint of the account's
-- operator that wants it.  Nothing is written when none does.  The
-- payload gets an "account" object (id, label, status, phone) as the
-- account is at commit.
CREATE FUNCTION webhook_emit(acc bigint, ev_kind text, data jsonb)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = wadesk AS $$
DECLARE
	a	record;
	ev	bigint;
BEGIN
	SELECT operator_id INTO a FROM accounts WHERE id = acc;
	IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM webhook_endpoints e
	    WHERE e.operator_id = a.operator_id AND e.enabled AND
	    (e.account_id IS NULL OR e.account_id = acc) AND
	    ev_kind = ANY (e.events)) THEN
		RETURN;
	END IF;
	SELECT id, operator_id, label, status, phone_number INTO a
	    FROM accounts WHERE id = acc FOR NO KEY UPDATE;
	INSERT INTO webhook_events (account_id, operator_id, kind, payload)
	    VALUES (acc, a.operator_id, ev_kind, data ||
	    jsonb_build_object('account', jsonb_build_object('id', a.id,
	    'label', a.label, 'status', a.status, 'phone_number',
	    a.phone_number))) RETURNING id INTO ev;
	INSERT INTO webhook_deliveries (endpoint_id, event_id, account_id)
	    SELECT e.id, ev, acc FROM webhook_endpoints e
	    WHERE e.operator_id = a.operator_id AND e.enabled AND
	    (e.account_id IS NULL OR e.account_id = acc) AND
	    ev_kind = ANY (e.events) ORDER BY e.id;
END $$;
REVOKE ALL ON FUNCTION webhook_emit(bigint, text, jsonb) FROM PUBLIC;

-- account.status, and account.logged_out / account.banned, from every
-- status change (sql/007 records them at commit).
CREATE FUNCTION webhook_on_transition() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = wadesk AS $$
DECLARE
	d	jsonb;
BEGIN
	d := jsonb_build_object('from', NEW.from_status, 'to',
	    NEW.to_status, 'reason', NEW.reason, 'actor', NEW.actor,
	    'at', iso(NEW.at));
	PERFORM webhook_emit(NEW.account_id, 'account.status', d);
	IF NEW.to_status = 'logged_out' THEN
		PERFORM webhook_emit(NEW.account_id, 'account.logged_out',
		    jsonb_build_object('reason', NEW.reason));
	ELSIF NEW.to_status = 'banned' THEN
		PERFORM webhook_emit(NEW.account_id, 'account.banned',
		    jsonb_build_object('reason', NEW.reason));
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER webhook_transition AFTER INSERT ON account_transitions
    FOR EACH ROW EXECUTE FUNCTION webhook_on_transition();

-- account.paired, at commit, when jid and phone are written too.
CREATE FUNCTION webhook_on_event() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = wadesk AS $$
DECLARE
	j	text;
BEGIN
	SELECT jid INTO j FROM accounts WHERE id = NEW.account_id;
	PERFORM webhook_emit(NEW.account_id, 'account.paired',
	    jsonb_build_object('jid', j, 'at', iso(NEW.at)));
	RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER webhook_event AFTER INSERT ON account_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.kind = 'paired' AND NEW.account_id IS NOT NULL)
    EXECUTE FUNCTION webhook_on_event();

-- account.qr: a new QR version (the QR string itself, for a consumer
-- that renders it), at commit.
CREATE FUNCTION webhook_on_qr() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = wadesk AS $$
DECLARE
	a	record;
BEGIN
	SELECT qr_code, qr_version, qr_expires_at, pair_qr_base, status
	    INTO a FROM accounts WHERE id = NEW.id;
	IF NOT FOUND OR a.qr_code IS NULL OR a.qr_version <> NEW.qr_version
	    THEN
		RETURN NULL;	-- cleared or replaced again before commit
	END IF;
	PERFORM webhook_emit(NEW.id, 'account.qr', jsonb_build_object(
	    'qr', a.qr_code, 'qr_version', a.qr_version,
	    'qr_n', a.qr_version - a.pair_qr_base,
	    'expires_at', iso(a.qr_expires_at)));
	RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER webhook_qr AFTER UPDATE OF qr_version ON accounts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.qr_version > OLD.qr_version AND NEW.qr_code IS NOT NULL)
    EXECUTE FUNCTION webhook_on_qr();

-- The logged-out/banned banner: the operator's accounts in those states
-- (cgi/db_web.c WS_SESSION_GET); empty in the normal case.
CREATE INDEX accounts_lost ON accounts (operator_id, updated_at)
    WHERE status IN ('logged_out', 'banned') AND deleted_at IS NULL;

GRANT USAGE ON SCHEMA wadesk TO wadesk_webhook;
GRANT SELECT ON webhook_keys, webhook_events TO wadesk_web;
GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints TO wadesk_web;
GRANT SELECT, INSERT ON webhook_deliveries TO wadesk_web;
GRANT SELECT ON webhook_attempts TO wadesk_web;
GRANT USAGE ON SEQUENCE webhook_endpoints_id_seq,
    webhook_deliveries_id_seq TO wadesk_web;

GRANT SELECT, INSERT, UPDATE ON webhook_keys TO wadesk_webhook;
GRANT SELECT ON webhook_endpoints, webhook_events TO wadesk_webhook;
GRANT SELECT, UPDATE ON webhook_deliveries TO wadesk_webhook;
GRANT SELECT, INSERT ON webhook_attempts TO wadesk_webhook;
GRANT USAGE ON SEQUENCE webhook_attempts_id_seq TO wadesk_webhook;
