-- wadesk schema: the contract between wadesk.fcgi and wadeskd (DESIGN.md
-- "Data model").  Applied once by "wadeskctl migrate" inside a transaction
-- and recorded in wadesk.schema_migrations.

CREATE SCHEMA IF NOT EXISTS wadesk;
SET LOCAL search_path = wadesk;

-- Two login roles: the web role may insert commands but never read
-- credentials; the daemon role owns sessions.  Roles are cluster-wide,
-- so create them only when missing.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wadesk_web') THEN
		CREATE ROLE wadesk_web LOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'wadesk_daemon') THEN
		CREATE ROLE wadesk_daemon LOGIN;
	END IF;
END $$;

CREATE TABLE operators (
	id		bigserial PRIMARY KEY,
	username	text NOT NULL UNIQUE
			CHECK (username ~ '^[A-Za-z0-9._-]{1,64}$'),
	password_hash	text NOT NULL,
	role		text NOT NULL DEFAULT 'operator'
			CHECK (role IN ('admin', 'operator')),
	disabled	boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE web_sessions (
	token_hash	text PRIMARY KEY,	-- hex SHA-256 of the cookie token
	operator_id	bigint NOT NULL REFERENCES operators ON DELETE CASCADE,
	csrf_token	text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,	-- absolute expiry
	last_seen_at	timestamptz NOT NULL DEFAULT now()	-- idle expiry base
);
CREATE INDEX web_sessions_operator ON web_sessions (operator_id);

-- Failed sign-ins, for throttling per username and per address.
CREATE TABLE login_failures (
	id		bigserial PRIMARY KEY,
	username	text NOT NULL,
	address		text NOT NULL,
	at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_username ON login_failures (username, at);
CREATE INDEX login_failures_address ON login_failures (address, at);

CREATE TABLE accounts (
	id			bigserial PRIMARY KEY,
	operator_id		bigint NOT NULL REFERENCES operators,
	label			text NOT NULL
				CHECK (length(label) BETWEEN 1 AND 100),
	status			text NOT NULL DEFAULT 'unpaired'
				CHECK (status IN ('unpaired', 'pending',
				    'connecting', 'connected', 'disconnected',
				    'logged_out', 'banned')),
	qr_code			text,
	qr_version		integer NOT NULL DEFAULT 0,
	pair_qr_base		integer NOT NULL DEFAULT 0,	-- qr_version when pairing began
	qr_expires_at		timestamptz,
	pair_code		text,
	pair_deadline		timestamptz,
	phone_number		text,
	jid			text,
	push_name		text,
	platform		text,
	auto_connect		boolean NOT NULL DEFAULT true,
	last_connected_at	timestamptz,
	last_disconnected_at	timestamptz,
	disconnect_reason	text,
	last_frame_at		timestamptz,	-- last server frame (zombie detection)
	deleted_at		timestamptz,	-- delete queued; the daemon removes the row
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accounts_list ON accounts (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX accounts_operator ON accounts (operator_id, created_at, id);
CREATE INDEX accounts_status ON accounts (status);

CREATE FUNCTION accounts_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END $$;
CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_touch();

CREATE TABLE account_credentials (
	account_id	bigint PRIMARY KEY REFERENCES accounts ON DELETE CASCADE,
	nonce		bytea NOT NULL,	-- crypto_secretbox nonce
	sealed		bytea NOT NULL,	-- crypto_secretbox of the wa credentials
	updated_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE commands (
	id		bigserial PRIMARY KEY,
	account_id	bigint REFERENCES accounts ON DELETE SET NULL,
	type		text NOT NULL CHECK (type IN ('pair', 'pair_code',
			    'cancel_pair', 'reconnect', 'disconnect', 'unpair',
			    'delete')),
	payload		jsonb NOT NULL DEFAULT '{}',
	created_by	bigint REFERENCES operators ON DELETE SET NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	claimed_at	timestamptz,
	claimed_by	bigint,		-- daemon_instances.id
	done_at		timestamptz,
	result		text,
	error		text
);
CREATE INDEX commands_open ON commands (id) WHERE done_at IS NULL;
CREATE INDEX commands_account ON commands (account_id, id);

-- A NOTIFY is only a wake-up: the commands table is the truth.
CREATE FUNCTION commands_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('wadesk_commands', '');
	RETURN NULL;
END $$;
CREATE TRIGGER commands_notify AFTER INSERT ON commands
    FOR EACH STATEMENT EXECUTE FUNCTION commands_notify();

CREATE TABLE account_events (
	id		bigserial PRIMARY KEY,
	account_id	bigint REFERENCES accounts ON DELETE SET NULL,
	operator_id	bigint REFERENCES operators ON DELETE SET NULL,
	kind		text NOT NULL,
	detail		jsonb NOT NULL DEFAULT '{}',
	at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX account_events_account ON account_events (account_id, id);
CREATE INDEX account_events_at ON account_events (at);

CREATE TABLE daemon_instances (
	id		bigserial PRIMARY KEY,
	hostname	text NOT NULL,
	pid		integer NOT NULL,
	started_at	timestamptz NOT NULL DEFAULT now(),
	heartbeat_at	timestamptz NOT NULL DEFAULT now()
);

-- Privileges: the schema owner (the migration role) alone may CREATE.
REVOKE ALL ON SCHEMA wadesk FROM PUBLIC;
GRANT USAGE ON SCHEMA wadesk TO wadesk_web, wadesk_daemon;

GRANT SELECT, INSERT, UPDATE ON operators TO wadesk_web;
GRANT SELECT, INSERT, UPDATE, DELETE ON web_sessions TO wadesk_web;
GRANT SELECT, INSERT, DELETE ON login_failures TO wadesk_web;
GRANT SELECT, INSERT, UPDATE ON accounts TO wadesk_web;
GRANT SELECT, INSERT ON commands TO wadesk_web;
GRANT SELECT, INSERT ON account_events TO wadesk_web;
GRANT SELECT ON daemon_instances TO wadesk_web;
GRANT USAGE ON SEQUENCE operators_id_seq, login_failures_id_seq,
    accounts_id_seq, commands_id_seq, account_events_id_seq TO wadesk_web;

GRANT SELECT ON operators TO wadesk_daemon;
GRANT SELECT, UPDATE, DELETE ON accounts TO wadesk_daemon;
GRANT SELECT, INSERT, UPDATE, DELETE ON account_credentials TO wadesk_daemon;
GRANT SELECT, UPDATE ON commands TO wadesk_daemon;
GRANT SELECT, INSERT ON account_events TO wadesk_daemon;
GRANT SELECT, INSERT, UPDATE, DELETE ON daemon_instances TO wadesk_daemon;
GRANT USAGE ON SEQUENCE account_events_id_seq, daemon_instances_id_seq
    TO wadesk_daemon;

-- Timestamps as RFC 3339 UTC text, the one format both pages and JSON use.
CREATE FUNCTION iso(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE
    RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');
