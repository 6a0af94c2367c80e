-- The WhatsApp groups each account takes part in (issue 10).  The
-- daemon owns the rows: after every login it fetches the participating
-- groups (iq xmlns="w:g2" <participating>, per whatsmeow group.go
-- GetJoinedGroups and Baileys groupFetchAllParticipating) and replaces
-- the account's rows in one transaction fenced by the lease
-- (daemon/lease.c); w:gp2 notifications (subject, add, remove, delete,
-- announcement, locked) keep them current in between, and a
-- sync_groups command row (sql/013) re-runs the fetch.  The pages only
-- read.
--  * jid          the group's JID, "<id>@g.us";
--  * subject      the group's name as the server holds it ('' if none);
--  * participants how many members the server listed;
--  * is_admin     this account is an admin or the super-admin;
--  * announce     only admins may send (<announcement/>);
--  * locked       only admins may edit the group info (<locked/>);
--  * synced_at    when the daemon last wrote this row.
SET LOCAL search_path = wadesk;

CREATE TABLE groups (
	account_id	bigint NOT NULL REFERENCES accounts ON DELETE CASCADE,
	jid		text NOT NULL CHECK (length(jid) BETWEEN 6 AND 128 AND
			    jid LIKE '%@g.us'),
	subject		text NOT NULL DEFAULT '' CHECK (length(subject) <= 1024),
	participants	integer NOT NULL DEFAULT 0 CHECK (participants >= 0),
	is_admin	boolean NOT NULL DEFAULT false,
	announce	boolean NOT NULL DEFAULT false,
	locked		boolean NOT NULL DEFAULT false,
	synced_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (account_id, jid)
);
-- The page lists by subject (then jid, for a stable order) and filters
-- by name with ILIKE on lower(subject).
CREATE INDEX groups_list ON groups (account_id, lower(subject), jid);

-- When the account's groups were last fetched in full (NULL: never);
-- the page's empty state tells "no groups yet" from "not synced yet".
ALTER TABLE accounts ADD COLUMN groups_synced_at timestamptz;

GRANT SELECT ON groups TO wadesk_web;
GRANT SELECT, INSERT, UPDATE, DELETE ON groups TO wadesk_daemon;

-- The send-test column of the groups page shows each group's newest
-- send_text command (payload "to" is the group's JID); this index
-- finds it without walking the account's whole ledger.
CREATE INDEX commands_send_to ON commands (account_id, (payload->>'to'), id)
    WHERE type = 'send_text';
