-- The account counts of sql/003 without a deadlock between daemons.
-- A status change moves one account from one count row to another: the
-- old (operator, status) row goes down by one, the new one up by one,
-- and both stay locked until the transaction commits.  The trigger of
-- sql/003 always took the old row first, so two transactions moving
-- accounts in opposite directions (a daemon handing a connected
-- session over writes connected -> connecting while another writes
-- connecting -> connected for the account it has just logged in, both
-- for one operator) each held the row the other wanted next:
-- PostgreSQL ended one with "deadlock detected" (40P01), and that
-- account's row kept its old status while its session had moved on
-- (issue 12: tests/daemon/fleet.sh, one account left "connecting").
-- Here the two rows are always taken in one order, (operator_id,
-- status) ascending, so such transactions wait for each other instead.
SET LOCAL search_path = wadesk;

CREATE OR REPLACE FUNCTION account_counts_apply() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = wadesk AS $$
DECLARE
	dec_on	boolean := TG_OP IN ('UPDATE', 'DELETE') AND
		    OLD.deleted_at IS NULL;
	inc_on	boolean := TG_OP IN ('INSERT', 'UPDATE') AND
		    NEW.deleted_at IS NULL;
	dec_first boolean;
BEGIN
	IF dec_on AND inc_on AND OLD.operator_id = NEW.operator_id AND
	    OLD.status = NEW.status THEN
		RETURN NULL;	-- the same row: - 1 + 1
	END IF;
	dec_first := dec_on AND (NOT inc_on OR
	    (OLD.operator_id, OLD.status) < (NEW.operator_id, NEW.status));
	IF dec_first THEN
		UPDATE account_counts SET n = n - 1
		    WHERE operator_id = OLD.operator_id AND status = OLD.status;
	END IF;
	IF inc_on THEN
		INSERT INTO account_counts (operator_id, status, n)
		    VALUES (NEW.operator_id, NEW.status, 1)
		    ON CONFLICT (operator_id, status)
		    DO UPDATE SET n = account_counts.n + 1;
	END IF;
	IF dec_on AND NOT dec_first THEN
		UPDATE account_counts SET n = n - 1
		    WHERE operator_id = OLD.operator_id AND status = OLD.status;
	END IF;
	RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION account_counts_apply() FROM PUBLIC;
