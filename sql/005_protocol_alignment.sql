-- Protocol alignment (issue 14): what the session daemon keeps besides
-- the sealed credentials blob.
--  * accounts.lid: the account's LID ("…:12@lid") as the server last
--    gave it in <success lid> (whatsmeow handleConnectSuccess), and
--    lid_map, the LID <-> phone mapping (whatsmeow store LIDs
--    PutLIDMapping), one row per LID user.
--  * accounts.offline_synced_at: when the server last said the offline
--    backlog was delivered (<ib><offline count/>).
--  * account_prekeys: the private halves of the one-time pre-keys the
--    daemon uploaded, one sealed row per batch of consecutive ids
--    (whatsmeow prekeys.go uploads 812 or 50 at a time), for the Signal
--    work that will open the phone's first message with them.
SET LOCAL search_path = wadesk;

ALTER TABLE accounts
	ADD COLUMN lid text CHECK (lid IS NULL OR lid ~ '^[0-9]+(:[0-9]+)?@lid$'),
	ADD COLUMN offline_synced_at timestamptz;

CREATE TABLE lid_map (
	lid_user	text PRIMARY KEY CHECK (lid_user ~ '^[0-9]+$'),
	phone		text NOT NULL CHECK (phone ~ '^[0-9]+$'),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE account_prekeys (
	account_id	bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
	first_id	integer NOT NULL CHECK (first_id BETWEEN 1 AND 16777215),
	last_id		integer NOT NULL CHECK (last_id BETWEEN first_id
			    AND 16777215),
	nonce		bytea NOT NULL,	-- crypto_secretbox nonce
	sealed		bytea NOT NULL,	-- crypto_secretbox of (3-byte id,
					-- 32-byte private key) per key
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (account_id, first_id)
);

GRANT SELECT, INSERT, UPDATE ON lid_map TO wadesk_daemon;
GRANT SELECT, INSERT, UPDATE, DELETE ON account_prekeys TO wadesk_daemon;
