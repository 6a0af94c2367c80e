-- A fleet of session daemons on one database (issue 12).  Each account
-- with work to do is owned by one daemon at a time through a lease kept
-- in its row, on the database clock:
--   owner_daemon      daemon_instances.id of the owner, NULL: nobody;
--   lease_until       the owner may act for the account until then;
--   lease_generation  the fencing token: + 1 on every claim, so a
--                     daemon that lost the lease (paused, cut off)
--                     and comes back finds its generation stale and
--                     every write it tries is refused.
-- The daemon renews all its leases in one statement, claims free and
-- expired ones with FOR UPDATE SKIP LOCKED, and starts every write
-- transaction for an account by locking the row only if owner,
-- generation and lease still hold (daemon/lease.c).
SET LOCAL search_path = wadesk;

ALTER TABLE accounts
	ADD COLUMN owner_daemon bigint,
	ADD COLUMN lease_until timestamptz,
	ADD COLUMN lease_generation bigint NOT NULL DEFAULT 0;
-- No foreign key: a daemon's row goes at a clean stop while its
-- released rows need no cascade, and the lease, not the row, decides.
-- Indexed on the owner only: the renewal changes lease_until alone, so
-- it stays a HOT update.
CREATE INDEX accounts_owner ON accounts (owner_daemon)
    WHERE owner_daemon IS NOT NULL;

-- The daemons as the pages list them.  host_key tells two daemons on
-- one host apart from two hosts with one name: the kernel's boot id
-- and the PID namespace, so that a daemon restarted on the same host
-- may take over at once from a predecessor whose pid is gone.
ALTER TABLE daemon_instances
	ADD COLUMN host_key text NOT NULL DEFAULT '',
	ADD COLUMN capacity integer NOT NULL DEFAULT 0,
	ADD COLUMN sessions integer NOT NULL DEFAULT 0,
	ADD COLUMN draining boolean NOT NULL DEFAULT false,
	ADD COLUMN takeovers bigint NOT NULL DEFAULT 0,
	ADD COLUMN lease_losses bigint NOT NULL DEFAULT 0;

-- Lease bookkeeping is not a change of the account: statements that
-- move lease_until (claim, renew, release) write only the lease
-- columns and leave updated_at alone, so a renewal of 5,000 rows every
-- few seconds does not look like 5,000 changed accounts.
DROP TRIGGER accounts_touch ON accounts;
CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts
    FOR EACH ROW WHEN (OLD.lease_until IS NOT DISTINCT FROM NEW.lease_until)
    EXECUTE FUNCTION accounts_touch();

-- wadeskctl daemon drain ID sets draining; the daemon reads it with
-- its heartbeat.  The pages read the rest (sql/001 grants SELECT).
