-- The JSON API's keys (issue 13, cgi/api.c, lib/apikey.c).  A key is
-- "wdk_<prefix>_<secret>": the 12-hex prefix is stored in the clear
-- (shown on the settings page, the lookup), the 64-hex secret only as
-- its SHA-256.  A key acts as its operator; scopes narrow what it may
-- do, account_ids (NULL: all of the operator's) which accounts.
SET LOCAL search_path = wadesk;

CREATE TABLE api_keys (
	id		bigserial PRIMARY KEY,
	operator_id	bigint NOT NULL REFERENCES operators ON DELETE CASCADE,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	prefix		text NOT NULL UNIQUE CHECK (prefix ~ '^[0-9a-f]{12}$'),
	secret_hash	text NOT NULL CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
	scopes		text[] NOT NULL CHECK (cardinality(scopes) >= 1 AND
			    scopes <@ ARRAY['accounts:read', 'accounts:write',
			    'messages:send', 'webhooks:manage']::text[]),
	account_ids	bigint[] CHECK (account_ids IS NULL OR
			    cardinality(account_ids) >= 1),
	rate_per_min	integer NOT NULL DEFAULT 600
			CHECK (rate_per_min BETWEEN 1 AND 1000000),
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_used_at	timestamptz,
	revoked_at	timestamptz
);
CREATE INDEX api_keys_operator ON api_keys (operator_id, id);

-- Requests per key in the current fixed one-minute window.  UNLOGGED:
-- a counter lost in a crash only forgives part of a minute, and the
-- hot path skips the WAL.
CREATE UNLOGGED TABLE api_rate (
	key_id		bigint PRIMARY KEY REFERENCES api_keys ON DELETE CASCADE,
	window_start	timestamptz NOT NULL,
	n		integer NOT NULL
);

GRANT SELECT, INSERT, UPDATE ON api_keys TO wadesk_web;
GRANT SELECT, INSERT, UPDATE, DELETE ON api_rate TO wadesk_web;
GRANT USAGE ON SEQUENCE api_keys_id_seq TO wadesk_web;
