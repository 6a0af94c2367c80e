-- Issue 12, second part: the leases move to a narrow table of their
-- own, so that the renewal stays cheap at scale.  A daemon renews every
-- lease it holds in one UPDATE every quarter of WADESK_LEASE_SECONDS
-- (daemon/db_daemon.c DS_LEASE_RENEW).  In accounts (sql/008) that
-- statement rewrote 5,000 wide rows (about 225 bytes each) per tick:
-- at the default fillfactor nearly none of those updates were HOT, so
-- every renewal also added an entry to each of the table's nine
-- indexes, about 170 ms of database CPU at 5,000 owned accounts;
-- fillfactor 50 made them HOT but still cost about 32 ms.  Here a row
-- is about 50 bytes with one index on the owner (lease_until is in
-- none, and half of every page is kept free for the new version), and
-- the same renewal costs about 10 ms (tests/daemon/fleet_bench.sh).
--   owner_daemon      daemon_instances.id of the owner, NULL: nobody;
--   lease_until       the owner may act for the account until then;
--   lease_generation  the fencing token, + 1 on every claim.
-- Every account has its row, made with the account (a trigger that
-- runs as the schema owner, so the roles that insert accounts need no
-- right on this table) and gone with it.
SET LOCAL search_path = wadesk;

CREATE TABLE account_leases (
	account_id	 bigint PRIMARY KEY
			 REFERENCES accounts ON DELETE CASCADE,
	owner_daemon	 bigint,
	lease_until	 timestamptz,
	lease_generation bigint NOT NULL DEFAULT 0
) WITH (fillfactor = 50);
CREATE INDEX account_leases_owner ON account_leases (owner_daemon)
    WHERE owner_daemon IS NOT NULL;

INSERT INTO account_leases (account_id, owner_daemon, lease_until,
    lease_generation)
SELECT id, owner_daemon, lease_until, lease_generation FROM accounts;

CREATE FUNCTION account_lease_new() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = wadesk AS $$
BEGIN
	INSERT INTO account_leases (account_id) VALUES (NEW.id);
	RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION account_lease_new() FROM PUBLIC;
CREATE TRIGGER account_lease_new AFTER INSERT ON accounts
    FOR EACH ROW EXECUTE FUNCTION account_lease_new();

-- The lease is no longer in accounts: every update of an account row
-- touches updated_at again (sql/001's trigger, as before sql/008).
DROP TRIGGER accounts_touch ON accounts;
CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_touch();
ALTER TABLE accounts DROP COLUMN owner_daemon, DROP COLUMN lease_until,
    DROP COLUMN lease_generation;

GRANT SELECT, UPDATE ON account_leases TO wadesk_daemon;
GRANT SELECT ON account_leases TO wadesk_web;
