-- The Signal protocol state of each linked account (issue 9), for the
-- daemon only (the web role gets no grant: like account_credentials,
-- nothing here is ever shown):
--  * signal_store: libsignal's per-account records, one sealed row per
--    (kind, key): 'session' (key "user.device"), 'identity' (a remote
--    device's identity key) and 'sender_key' (key "group\nuser.device");
--    whatsmeow store/sqlstore keeps the same three tables.  Sealed with
--    crypto_secretbox under the credentials key (daemon/creds.c); the
--    plaintext starts with "<account_id> <kind> <key>\n" so a row moved
--    to another account or key does not open (daemon/sigstore.c).
--  * account_prekeys_used: one-time pre-keys a pre-key message consumed
--    (libsignal removePreKey, whatsmeow RemovePreKey).  Their private
--    halves stay in the sealed account_prekeys batch (sql/005) but are
--    never handed out again.
-- The daemon deletes both with the credentials on logout, unpair and
-- delete, in the same transaction as the status change
-- (db_daemon.c creds_delete); ON DELETE CASCADE covers a deleted row.
SET LOCAL search_path = wadesk;

CREATE TABLE signal_store (
	account_id	bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
	kind		text NOT NULL CHECK (kind IN ('session', 'identity',
			    'sender_key')),
	key		text NOT NULL CHECK (length(key) BETWEEN 1 AND 256),
	nonce		bytea NOT NULL,	-- crypto_secretbox nonce
	sealed		bytea NOT NULL,	-- crypto_secretbox of header + record
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (account_id, kind, key)
);

CREATE TABLE account_prekeys_used (
	account_id	bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
	prekey_id	integer NOT NULL CHECK (prekey_id BETWEEN 1 AND 16777215),
	used_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (account_id, prekey_id)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON signal_store, account_prekeys_used
	TO wadesk_daemon;
