/*
 * Group stanzas as pure functions over binary nodes (groups.h): the
 * participating query, its answer and w:gp2 notifications.  Facts per
 * whatsmeow group.go (GetJoinedGroups, parseGroupNode,
 * parseParticipant, parseParticipantList, parseGroupChange,
 * parseGroupNotification) and Baileys Socket/groups.ts
 * (groupFetchAllParticipating, extractGroupMetadata).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary.h"
#include "groups.h"
#include "xalloc.h"

#define	GROUP_SUFFIX	"@g.us"
#define	GROUP_SUFFIX_LEN (sizeof(GROUP_SUFFIX) - 1)

static void
seterr(char *err, size_t errsz, const char *msg)
{

	if (errsz > 0)
		snprintf(err, errsz, "%s", msg);
}

size_t
wa_text_clean_copy(char *dst, size_t dstsz, const char *src, size_t len)
{
	static const char	 repl[] = "\xef\xbf\xbd";	/* U+FFFD */
	const unsigned char	*p = (const unsigned char *)src;
	size_t			 i = 0, o = 0, n, k;
	uint32_t		 cp, min;
	const char		*from;

	while (i < len) {
		n = 1;
		cp = p[i];
		if (p[i] >= 0x80) {
			if ((p[i] & 0xe0) == 0xc0) {
				n = 2;
				cp = p[i] & 0x1f;
				min = 0x80;
			} else if ((p[i] & 0xf0) == 0xe0) {
				n = 3;
				cp = p[i] & 0x0f;
				min = 0x800;
			} else if ((p[i] & 0xf8) == 0xf0) {
				n = 4;
				cp = p[i] & 0x07;
				min = 0x10000;
			} else {
				n = 0;	/* continuation or 0xf8.. */
				min = 0;
			}
			for (k = 1; n > 0 && k < n; k++) {
				if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
					n = 0;
				else
					cp = cp << 6 | (p[i + k] & 0x3f);
			}
			if (n > 0 && (cp < min || cp > 0x10ffff ||
			    (cp >= 0xd800 && cp <= 0xdfff) ||
			    (cp >= 0x80 && cp < 0xa0)))
				n = 0;
		} else if (p[i] < 0x20 || p[i] == 0x7f)
			n = 0;
		if (n == 0) {
			from = repl;
			k = 3;
			n = 1;		/* skip one bad byte */
		} else {
			from = src + i;
			k = n;
		}
		if (o + k > dstsz - 1)
			break;
		memcpy(dst + o, from, k);
		o += k;
		i += n;
	}
	dst[o] = '\0';
	return o;
}

/*
 * A group JID from an <group id> or a notification's from: "<id>" or
 * "<id>@g.us" with id of digits and dashes (old groups are
 * "<creator>-<time>", new ones "120363..."), into dst.  0 or -1.
 */
static int
group_jid(const char *id, char dst[WA_GROUP_JID_MAX + 1])
{
	size_t	 len, user, i;

	if (id == NULL)
		return -1;
	len = strlen(id);
	user = len;
	if (len > GROUP_SUFFIX_LEN &&
	    strcmp(id + len - GROUP_SUFFIX_LEN, GROUP_SUFFIX) == 0)
		user = len - GROUP_SUFFIX_LEN;
	if (user == 0 || user + GROUP_SUFFIX_LEN > WA_GROUP_JID_MAX)
		return -1;
	for (i = 0; i < user; i++)
		if ((id[i] < '0' || id[i] > '9') && id[i] != '-')
			return -1;
	memcpy(dst, id, user);
	memcpy(dst + user, GROUP_SUFFIX, GROUP_SUFFIX_LEN + 1);
	return 0;
}

/* 1 if "jid" ("user[:device]@server") is the user "want" on "server". */
static int
jid_is(const char *jid, const char *want, const char *server)
{
	size_t	 ulen;
	const char *at;

	if (jid == NULL || want == NULL || want[0] == '\0' ||
	    (at = strchr(jid, '@')) == NULL || strcmp(at + 1, server) != 0)
		return 0;
	ulen = strcspn(jid, ":@");
	return ulen == strlen(want) && memcmp(jid, want, ulen) == 0;
}

/*
 * 1 if the <participant> p is us: its jid is our phone JID or our LID
 * (a LID participant may also carry phone_number, a phone one lid:
 * whatsmeow parseParticipant).
 */
static int
participant_is_self(const struct wa_node *p, const struct wa_group_self *self)
{
	const char	*jid, *pn, *lid;

	if (self == NULL)
		return 0;
	jid = wa_node_attr(p, "jid");
	pn = wa_node_attr(p, "phone_number");
	lid = wa_node_attr(p, "lid");
	return jid_is(jid, self->pn, "s.whatsapp.net") ||
	    jid_is(jid, self->lid, "lid") ||
	    jid_is(pn, self->pn, "s.whatsapp.net") ||
	    jid_is(lid, self->lid, "lid");
}

/* 1 if n is a <participant> with a jid (whatsmeow parseParticipantList). */
static int
is_participant(const struct wa_node *n)
{

	return strcmp(n->tag, "participant") == 0 &&
	    wa_node_attr(n, "jid") != NULL;
}

struct wa_node *
wa_groups_query(void)
{
	struct wa_node	*q;

	q = wa_node_new("participating");
	(void)wa_node_add_child(q, "participants");
	(void)wa_node_add_child(q, "description");
	return q;
}

int
wa_group_node_parse(const struct wa_node *group,
    const struct wa_group_self *self, struct wa_group *g, char *err,
    size_t errsz)
{
	const struct wa_node	*ch;
	const char		*v;
	size_t			 i;

	memset(g, 0, sizeof(*g));
	if (strcmp(group->tag, "group") != 0) {
		seterr(err, errsz, "not a <group>");
		return -1;
	}
	if (group_jid(wa_node_attr(group, "id"), g->jid) == -1) {
		seterr(err, errsz, "<group> without a group id");
		return -1;
	}
	if ((v = wa_node_attr(group, "subject")) != NULL)
		(void)wa_text_clean_copy(g->subject, sizeof(g->subject), v,
		    strlen(v));
	if (group->content != WA_CONTENT_CHILDREN)
		return 0;
	for (i = 0; i < group->nchildren; i++) {
		ch = group->children[i];
		if (is_participant(ch)) {
			if (g->participants < INT32_MAX)
				g->participants++;
			if (participant_is_self(ch, self) &&
			    (v = wa_node_attr(ch, "type")) != NULL &&
			    (strcmp(v, "admin") == 0 ||
			    strcmp(v, "superadmin") == 0))
				g->is_admin = 1;
		} else if (strcmp(ch->tag, "announcement") == 0)
			g->announce = 1;
		else if (strcmp(ch->tag, "locked") == 0)
			g->locked = 1;
	}
	return 0;
}

int
wa_groups_parse(const struct wa_node *iq, const struct wa_group_self *self,
    struct wa_group **out, size_t *n, size_t *skipped, char *err,
    size_t errsz)
{
	const struct wa_node	*groups;
	struct wa_group		*v = NULL, g;
	size_t			 i, j, nv = 0, skip = 0;
	const char		*type;

	*out = NULL;
	*n = 0;
	if (skipped != NULL)
		*skipped = 0;
	type = wa_node_attr(iq, "type");
	if (strcmp(iq->tag, "iq") != 0 || type == NULL ||
	    strcmp(type, "result") != 0) {
		seterr(err, errsz, "not an <iq type=result>");
		return -1;
	}
	if ((groups = wa_node_child(iq, "groups")) == NULL) {
		seterr(err, errsz, "<iq> without <groups>");
		return -1;
	}
	if (groups->content == WA_CONTENT_CHILDREN && groups->nchildren > 0)
		v = xcalloc(groups->nchildren < WA_GROUPS_MAX ?
		    groups->nchildren : WA_GROUPS_MAX, sizeof(*v));
	for (i = 0; groups->content == WA_CONTENT_CHILDREN &&
	    i < groups->nchildren; i++) {
		if (wa_group_node_parse(groups->children[i], self, &g, NULL,
		    0) == -1) {
			skip++;
			continue;
		}
		for (j = 0; j < nv; j++)
			if (strcmp(v[j].jid, g.jid) == 0)
				break;
		if (j < nv)
			v[j] = g;	/* the later entry wins */
		else if (nv < WA_GROUPS_MAX)
			v[nv++] = g;
		else
			skip++;
	}
	if (nv == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = nv;
	if (skipped != NULL)
		*skipped = skip;
	return 0;
}

/*
 * Count the participants of an add/remove/promote/demote child, and
 * whether we are among them.
 */
static void
count_list(const struct wa_node *ch, const struct wa_group_self *self,
    int *others, int *us)
{
	size_t	 i;

	*others = 0;
	*us = 0;
	if (ch->content != WA_CONTENT_CHILDREN)
		return;
	for (i = 0; i < ch->nchildren; i++) {
		if (!is_participant(ch->children[i]))
			continue;
		if (participant_is_self(ch->children[i], self))
			*us = 1;
		else if (*others < INT32_MAX)
			(*others)++;
	}
}

int
wa_group_notification_parse(const struct wa_node *n,
    const struct wa_group_self *self, struct wa_group_change *ch, char *err,
    size_t errsz)
{
	const struct wa_node	*c, *grp;
	const char		*type, *v;
	size_t			 i;
	int			 others, us, changed = 0;

	memset(ch, 0, sizeof(*ch));
	ch->admin = ch->announce = ch->locked = -1;
	type = wa_node_attr(n, "type");
	if (strcmp(n->tag, "notification") != 0 || type == NULL ||
	    strcmp(type, "w:gp2") != 0) {
		seterr(err, errsz, "not a w:gp2 notification");
		return -1;
	}
	if (group_jid(wa_node_attr(n, "from"), ch->jid) == -1 ||
	    strchr(wa_node_attr(n, "from"), '@') == NULL) {
		seterr(err, errsz, "w:gp2 notification not from a group");
		return -1;
	}
	if (n->content != WA_CONTENT_CHILDREN)
		return 0;
	/* whatsmeow parseGroupNotification: a lone <create>. */
	if (n->nchildren == 1 && strcmp(n->children[0]->tag, "create") == 0) {
		c = n->children[0];
		if ((grp = wa_node_child(c, "group")) == NULL ||
		    wa_group_node_parse(grp, self, &ch->group, err, errsz) == -1) {
			seterr(err, errsz, "<create> without a valid <group>");
			return -1;
		}
		ch->created = 1;
		/* The group in <create> is the one created. */
		memcpy(ch->jid, ch->group.jid, sizeof(ch->jid));
		return 1;
	}
	for (i = 0; i < n->nchildren; i++) {
		c = n->children[i];
		if (strcmp(c->tag, "add") == 0) {
			count_list(c, self, &others, &us);
			ch->added += others;
			ch->self_added |= us;
			changed |= others > 0 || us;
		} else if (strcmp(c->tag, "remove") == 0) {
			count_list(c, self, &others, &us);
			ch->removed += others;
			ch->self_removed |= us;
			changed |= others > 0 || us;
		} else if (strcmp(c->tag, "promote") == 0 ||
		    strcmp(c->tag, "demote") == 0) {
			count_list(c, self, &others, &us);
			if (us) {
				ch->admin = strcmp(c->tag, "promote") == 0;
				changed = 1;
			}
		} else if (strcmp(c->tag, "subject") == 0) {
			if ((v = wa_node_attr(c, "subject")) == NULL) {
				seterr(err, errsz, "<subject> without subject");
				return -1;
			}
			(void)wa_text_clean_copy(ch->subject,
			    sizeof(ch->subject), v, strlen(v));
			ch->has_subject = 1;
			changed = 1;
		} else if (strcmp(c->tag, "delete") == 0) {
			ch->deleted = 1;
			changed = 1;
		} else if (strcmp(c->tag, "announcement") == 0 ||
		    strcmp(c->tag, "not_announcement") == 0) {
			ch->announce = strcmp(c->tag, "announcement") == 0;
			changed = 1;
		} else if (strcmp(c->tag, "locked") == 0 ||
		    strcmp(c->tag, "unlocked") == 0) {
			ch->locked = strcmp(c->tag, "locked") == 0;
			changed = 1;
		}
	}
	return changed;
}
