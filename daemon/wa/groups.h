/*
 * groups.h: the group stanzas of the multi-device protocol, as pure
 * functions over binary nodes (no client, no database, no I/O), so
 * they can be unit-tested and fuzzed (tests/unit/t_groups.c,
 * tests/fuzz/fuzz_groups.c).
 *
 *   - the participating-groups query: <iq xmlns="w:g2" type="get"
 *     to="@g.us"><participating><participants/><description/>
 *     </participating></iq> (whatsmeow group.go GetJoinedGroups,
 *     Baileys groups.ts groupFetchAllParticipating);
 *   - its answer <iq type="result"><groups><group id subject ...>
 *     <participant jid type/>... <announcement/> <locked/> ...
 *     </group>...</groups></iq> (whatsmeow parseGroupNode,
 *     parseParticipant: type "admin" or "superadmin" is an admin);
 *   - <notification type="w:gp2" from="<group>@g.us"> group changes
 *     (whatsmeow parseGroupNotification / parseGroupChange: add,
 *     remove, promote, demote, subject, delete, announcement,
 *     not_announcement, locked, unlocked, and a lone <create> child
 *     carrying the whole <group>; Baileys groups.ts / messages-recv.ts
 *     handleGroupNotification uses the same children).
 *
 * Everything that reaches the caller is clean: JIDs are "<digits or
 * dashes>@g.us" of at most WA_GROUP_JID_MAX bytes, subjects are valid
 * UTF-8 without control characters (each bad byte becomes U+FFFD) cut
 * to at most WA_GROUP_SUBJECT_MAX bytes on a character boundary, so
 * they can go into the database and a page as they are.
 */
#ifndef WADESK_WA_GROUPS_H
#define WADESK_WA_GROUPS_H

#include <stddef.h>

struct wa_node;

#define	WA_GROUP_JID_MAX	128	/* bytes, "<id>@g.us" (sql/018) */
#define	WA_GROUP_SUBJECT_MAX	1024	/* bytes of UTF-8 (sql/018) */
#define	WA_GROUPS_MAX		10000	/* groups kept from one answer */
#define	WA_GROUP_SERVER_JID	"@g.us"	/* types.GroupServerJID */

/* One group the account takes part in. */
struct	wa_group {
	char	 jid[WA_GROUP_JID_MAX + 1];	/* "<id>@g.us" */
	char	 subject[WA_GROUP_SUBJECT_MAX + 1]; /* "" when none */
	int	 participants;			/* <participant> children */
	int	 is_admin;			/* we are admin/superadmin */
	int	 announce;			/* <announcement/> */
	int	 locked;			/* <locked/> */
};

/*
 * Who "we" are, to find ourselves among participants: the user parts
 * (no device, no server) of the account's phone JID and LID, either
 * NULL or "" when unknown.  Borrowed.
 */
struct	wa_group_self {
	const char	*pn;		/* "15551234567" */
	const char	*lid;		/* "123456789012345" */
};

/*
 * What one w:gp2 notification changed.  Fields that the notification
 * did not touch keep their "unchanged" value (-1 for the tri-states,
 * 0 for counts and flags).
 */
struct	wa_group_change {
	char		 jid[WA_GROUP_JID_MAX + 1]; /* the group */
	int		 has_subject;	/* <subject subject=...> seen */
	char		 subject[WA_GROUP_SUBJECT_MAX + 1];
	int		 added;		/* others added (<add>) */
	int		 removed;	/* others removed (<remove>) */
	int		 self_added;	/* we were added: group now ours */
	int		 self_removed;	/* we were removed or left */
	int		 admin;		/* -1, or 1 we were promoted, 0
					   demoted */
	int		 announce;	/* -1, 1 announcement, 0 not */
	int		 locked;	/* -1, 1 locked, 0 unlocked */
	int		 deleted;	/* <delete>: the group is gone */
	int		 created;	/* <create>: "group" is set */
	struct wa_group	 group;		/* created: the whole group */
};

/*
 * The <participating> query (to attach to an <iq xmlns="w:g2"
 * type="get" to="@g.us">, whatsmeow GetJoinedGroups).  Owned by the
 * caller (wa_node_free or append it).  Cannot fail.
 */
struct wa_node	*wa_groups_query(void);

/*
 * Parse the answer to the participating query: "iq" is the whole
 * <iq type="result"> node.  On success *out is a malloc(3)ed array
 * of *n groups (caller frees; NULL when *n is 0), in the server's
 * order, each JID at most once (a repeated one replaces the earlier
 * entry, as whatsmeow's map-backed cache does); <group> children
 * whose id is not a group id are skipped and counted in *skipped
 * (may be NULL).  At most WA_GROUPS_MAX groups are kept (the rest
 * count as skipped).  Returns 0, or -1 with a one-line reason in err
 * (errsz bytes) when the node is not a result holding <groups>.
 * "self" may be NULL (then nobody is us: is_admin stays 0).
 */
int		 wa_groups_parse(const struct wa_node *iq,
		    const struct wa_group_self *self, struct wa_group **out,
		    size_t *n, size_t *skipped, char *err, size_t errsz)
		    __attribute__((warn_unused_result));

/*
 * Parse one <group> element (the children of <groups>, or of a
 * <create> notification) into *g.  Returns 0, or -1 with a reason in
 * err when its id is missing or not a group id.  "self" as above.
 */
int		 wa_group_node_parse(const struct wa_node *group,
		    const struct wa_group_self *self, struct wa_group *g,
		    char *err, size_t errsz)
		    __attribute__((warn_unused_result));

/*
 * Parse a <notification type="w:gp2" from="<group>@g.us"> into *ch.
 * Children that change nothing we keep (description, invite,
 * ephemeral, link, ...) are ignored.  Returns 1 when it changed
 * something we keep, 0 when it is a valid group notification that
 * changes nothing we keep, -1 with a reason in err when it is not a
 * w:gp2 notification from a group or is malformed (a <create>
 * without a valid <group>, a <subject> without subject).
 */
int		 wa_group_notification_parse(const struct wa_node *n,
		    const struct wa_group_self *self,
		    struct wa_group_change *ch, char *err, size_t errsz)
		    __attribute__((warn_unused_result));

/*
 * Copy at most dstsz - 1 bytes of the len bytes at src into dst as
 * clean UTF-8: every byte that does not start a valid, shortest-form
 * sequence of a scalar value, and every C0/C1 control character and
 * DEL, becomes U+FFFD; the copy stops before a character that would
 * not fit whole.  dst is always NUL-terminated (dstsz > 0).  Returns
 * the bytes written (without the NUL).
 */
size_t		 wa_text_clean_copy(char *dst, size_t dstsz, const char *src,
		    size_t len);

#endif /* !WADESK_WA_GROUPS_H */
