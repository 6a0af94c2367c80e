-- The web role runs generic plans.  Its statements are prepared once
-- per connection and executed thousands of times a second (the session
-- check, qr.png, the list); under the default "auto" mode PostgreSQL
-- re-plans every execution of a statement whose custom plan looks
-- cheaper, which for the list cost more than running it (about 0.6 ms
-- of planning against 0.2 ms of execution at 10,000 accounts).  Each
-- statement in cgi/db_web.c is written so its generic plan is the good
-- one: no "$n IS NULL OR ..." catch-alls where an index is at stake.
SET LOCAL search_path = wadesk;

ALTER ROLE wadesk_web SET plan_cache_mode = force_generic_plan;

-- iso() was declared IMMUTABLE, but to_char() on a timestamp is only
-- STABLE, and PostgreSQL never inlines an IMMUTABLE SQL function whose
-- body is not: every call ran through the SQL-function executor (the
-- list's 50 calls cost 0.3 ms).  STABLE is the truth and inlines.
ALTER FUNCTION iso(timestamptz) STABLE;

-- The admin's list filtered by status, in list order (account_list_all_status).
CREATE INDEX accounts_status_list ON accounts (status, created_at, id)
    WHERE deleted_at IS NULL;
