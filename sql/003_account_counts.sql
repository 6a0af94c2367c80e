-- Exact account counts per operator and status, kept by a trigger, so
-- the list's total, the dashboard and /health read a handful of rows
-- instead of counting every account on every request.  Accounts whose
-- delete is queued (deleted_at set) are not counted.
SET LOCAL search_path = wadesk;

CREATE TABLE account_counts (
	operator_id	bigint NOT NULL,
	status		text NOT NULL,
	n		bigint NOT NULL DEFAULT 0 CHECK (n >= 0),
	PRIMARY KEY (operator_id, status)
);

INSERT INTO account_counts (operator_id, status, n)
    SELECT operator_id, status, count(*) FROM accounts
    WHERE deleted_at IS NULL GROUP BY operator_id, status;

-- SECURITY DEFINER: both roles change accounts, neither writes counts.
CREATE FUNCTION account_counts_apply() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = wadesk AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
		UPDATE account_counts SET n = n - 1
		    WHERE operator_id = OLD.operator_id AND status = OLD.status;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.deleted_at IS NULL THEN
		INSERT INTO account_counts (operator_id, status, n)
		    VALUES (NEW.operator_id, NEW.status, 1)
		    ON CONFLICT (operator_id, status)
		    DO UPDATE SET n = account_counts.n + 1;
	END IF;
	RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION account_counts_apply() FROM PUBLIC;

CREATE TRIGGER account_counts_insert_delete AFTER INSERT OR DELETE
    ON accounts FOR EACH ROW EXECUTE FUNCTION account_counts_apply();
CREATE TRIGGER account_counts_update AFTER UPDATE OF status, deleted_at,
    operator_id ON accounts FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
	OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
	OR OLD.operator_id IS DISTINCT FROM NEW.operator_id)
    EXECUTE FUNCTION account_counts_apply();

GRANT SELECT ON account_counts TO wadesk_web, wadesk_daemon;
