/*
 * t_groups: daemon/wa/groups.c, the participating query, its answer
 * and w:gp2 notifications, on nodes shaped like the server's
 * (whatsmeow group.go parseGroupNode / parseGroupChange).
 */
#include <stdlib.h>
#include <string.h>

#include "binary.h"
#include "groups.h"
#include "t.h"

static const struct wa_group_self	self = { "15550001111",
					    "99887766554433" };

static struct wa_node *
participant(struct wa_node *parent, const char *jid, const char *type)
{
	struct wa_node	*p;

	p = wa_node_add_child(parent, "participant");
	wa_node_set_attr(p, "jid", jid);
	if (type != NULL)
		wa_node_set_attr(p, "type", type);
	return p;
}

static struct wa_node *
group(struct wa_node *parent, const char *id, const char *subject)
{
	struct wa_node	*g;

	g = wa_node_add_child(parent, "group");
	wa_node_set_attr(g, "id", id);
	wa_node_set_attr(g, "subject", subject);
	wa_node_set_attr(g, "creation", "1700000000");
	return g;
}

static struct wa_node *
result(struct wa_node **groups)
{
	struct wa_node	*iq;

	iq = wa_node_new("iq");
	wa_node_set_attr(iq, "from", "@g.us");
	wa_node_set_attr(iq, "type", "result");
	wa_node_set_attr(iq, "id", "1.2-3");
	*groups = wa_node_add_child(iq, "groups");
	return iq;
}

static int
query_shape(void)
{
	struct wa_node	*q = wa_groups_query();
	int		 ok;

	ok = T_STREQ(q->tag, "participating") &&
	    T_INTEQ(q->nchildren, 2) &&
	    T_STREQ(q->children[0]->tag, "participants") &&
	    T_STREQ(q->children[1]->tag, "description");
	wa_node_free(q);
	return ok;
}

static int
parse_groups(void)
{
	struct wa_node	*iq, *gs, *g;
	struct wa_group	*v;
	size_t		 n, skipped;
	char		 err[80];
	int		 ok;

	iq = result(&gs);
	g = group(gs, "120363001", "Shop <team>");
	participant(g, "15550001111@s.whatsapp.net", "admin");
	participant(g, "15550002222@s.whatsapp.net", NULL);
	participant(g, "15550003333@s.whatsapp.net", "superadmin");
	(void)wa_node_add_child(g, "announcement");
	(void)wa_node_add_child(g, "description");
	g = group(gs, "15550003333-1600000000", "Old style");
	participant(g, "99887766554433@lid", "superadmin");
	participant(g, "1234@lid", NULL);
	(void)wa_node_add_child(g, "locked");
	g = group(gs, "120363002", "Member only");
	participant(g, "15550001111:5@s.whatsapp.net", NULL);
	participant(g, "15550009999@s.whatsapp.net", "admin");
	/* Not a group id: skipped and counted. */
	g = group(gs, "15550001111@s.whatsapp.net", "Not a group");
	g = wa_node_add_child(gs, "group");		/* no id */
	(void)wa_node_add_child(gs, "unexpected");
	ok = T_INTEQ(wa_groups_parse(iq, &self, &v, &n, &skipped, err,
	    sizeof(err)), 0) &&
	    T_INTEQ(n, 3) && T_INTEQ(skipped, 3) &&
	    T_STREQ(v[0].jid, "120363001@g.us") &&
	    T_STREQ(v[0].subject, "Shop <team>") &&
	    T_INTEQ(v[0].participants, 3) && T_INTEQ(v[0].is_admin, 1) &&
	    T_INTEQ(v[0].announce, 1) && T_INTEQ(v[0].locked, 0) &&
	    T_STREQ(v[1].jid, "15550003333-1600000000@g.us") &&
	    T_INTEQ(v[1].participants, 2) && T_INTEQ(v[1].is_admin, 1) &&
	    T_INTEQ(v[1].announce, 0) && T_INTEQ(v[1].locked, 1) &&
	    T_STREQ(v[2].jid, "120363002@g.us") &&
	    T_INTEQ(v[2].participants, 2) && T_INTEQ(v[2].is_admin, 0);
	free(v);
	wa_node_free(iq);
	return ok;
}

/* A repeated id keeps one entry, the later one; an empty list is 0. */
static int
parse_dup_and_empty(void)
{
	struct wa_node	*iq, *gs;
	struct wa_group	*v;
	size_t		 n;
	int		 ok;

	iq = result(&gs);
	group(gs, "120363001", "first");
	group(gs, "120363001@g.us", "second");
	ok = T_INTEQ(wa_groups_parse(iq, NULL, &v, &n, NULL, NULL, 0), 0) &&
	    T_INTEQ(n, 1) && T_STREQ(v[0].subject, "second") &&
	    T_INTEQ(v[0].is_admin, 0);
	free(v);
	wa_node_free(iq);
	iq = result(&gs);
	ok &= T_INTEQ(wa_groups_parse(iq, &self, &v, &n, NULL, NULL, 0), 0) &&
	    T_INTEQ(n, 0) && T_TRUE(v == NULL);
	wa_node_free(iq);
	return ok;
}

static int
parse_refused(void)
{
	struct wa_node	*iq, *gs;
	struct wa_group	*v;
	size_t		 n;
	char		 err[80];
	int		 ok;

	iq = result(&gs);
	wa_node_set_attr(iq, "type", "error");
	ok = T_INTEQ(wa_groups_parse(iq, &self, &v, &n, NULL, err,
	    sizeof(err)), -1) && T_STREQ(err, "not an <iq type=result>") &&
	    T_TRUE(v == NULL) && T_INTEQ(n, 0);
	wa_node_free(iq);
	iq = wa_node_new("iq");
	wa_node_set_attr(iq, "type", "result");
	ok &= T_INTEQ(wa_groups_parse(iq, &self, &v, &n, NULL, err,
	    sizeof(err)), -1) && T_STREQ(err, "<iq> without <groups>");
	wa_node_free(iq);
	return ok;
}

static struct wa_node *
notif(const char *from)
{
	struct wa_node	*n;

	n = wa_node_new("notification");
	wa_node_set_attr(n, "from", from);
	wa_node_set_attr(n, "type", "w:gp2");
	wa_node_set_attr(n, "id", "123");
	wa_node_set_attr(n, "t", "1700000001");
	wa_node_set_attr(n, "participant", "15550002222@s.whatsapp.net");
	return n;
}

static int
notif_subject_flags(void)
{
	struct wa_node		*n, *c;
	struct wa_group_change	 ch;
	int			 ok;

	n = notif("120363001@g.us");
	c = wa_node_add_child(n, "subject");
	wa_node_set_attr(c, "subject", "New name");
	wa_node_set_attr(c, "s_t", "1700000001");
	(void)wa_node_add_child(n, "not_announcement");
	(void)wa_node_add_child(n, "locked");
	ok = T_INTEQ(wa_group_notification_parse(n, &self, &ch, NULL, 0), 1) &&
	    T_STREQ(ch.jid, "120363001@g.us") &&
	    T_INTEQ(ch.has_subject, 1) && T_STREQ(ch.subject, "New name") &&
	    T_INTEQ(ch.announce, 0) && T_INTEQ(ch.locked, 1) &&
	    T_INTEQ(ch.admin, -1) && T_INTEQ(ch.added, 0) &&
	    T_INTEQ(ch.deleted, 0) && T_INTEQ(ch.created, 0);
	wa_node_free(n);
	return ok;
}

static int
notif_participants(void)
{
	struct wa_node		*n, *c;
	struct wa_group_change	 ch;
	int			 ok;

	n = notif("120363001@g.us");
	c = wa_node_add_child(n, "add");
	participant(c, "15550004444@s.whatsapp.net", NULL);
	participant(c, "777@lid", NULL);
	c = wa_node_add_child(n, "remove");
	participant(c, "15550002222@s.whatsapp.net", NULL);
	c = wa_node_add_child(n, "promote");
	participant(c, "99887766554433@lid", NULL);
	ok = T_INTEQ(wa_group_notification_parse(n, &self, &ch, NULL, 0), 1) &&
	    T_INTEQ(ch.added, 2) && T_INTEQ(ch.removed, 1) &&
	    T_INTEQ(ch.self_added, 0) && T_INTEQ(ch.self_removed, 0) &&
	    T_INTEQ(ch.admin, 1);
	wa_node_free(n);

	/* We were removed (a LID participant whose phone_number is us). */
	n = notif("120363001@g.us");
	c = wa_node_add_child(n, "remove");
	wa_node_set_attr(participant(c, "4242@lid", NULL), "phone_number",
	    "15550001111@s.whatsapp.net");
	ok &= T_INTEQ(wa_group_notification_parse(n, &self, &ch, NULL, 0),
	    1) && T_INTEQ(ch.self_removed, 1) && T_INTEQ(ch.removed, 0);
	wa_node_free(n);

	/* Someone else promoted: nothing we keep changes. */
	n = notif("120363001@g.us");
	c = wa_node_add_child(n, "demote");
	participant(c, "15550002222@s.whatsapp.net", NULL);
	(void)wa_node_add_child(n, "description");
	ok &= T_INTEQ(wa_group_notification_parse(n, &self, &ch, NULL, 0),
	    0) && T_INTEQ(ch.admin, -1);
	wa_node_free(n);

	/* We were added. */
	n = notif("120363005@g.us");
	c = wa_node_add_child(n, "add");
	participant(c, "15550001111@s.whatsapp.net", NULL);
	ok &= T_INTEQ(wa_group_notification_parse(n, &self, &ch, NULL, 0),
	    1) && T_INTEQ(ch.self_added, 1) && T_INTEQ(ch.added, 0);
	wa_node_free(n);
	return ok;
}

static int
notif_delete_create(void)
{
	struct wa_node		*n, *c, *g;
	struct wa_group_change	 ch;
	int			 ok;

	n = notif("120363001@g.us");
	wa_node_set_attr(wa_node_add_child(n, "delete"), "reason", "delete");
	ok = T_INTEQ(wa_group_notification_parse(n, &self, &ch, NULL, 0), 1) &&
	    T_INTEQ(ch.deleted, 1);
	wa_node_free(n);

	n = notif("120363009@g.us");
	c = wa_node_add_child(n, "create");
	wa_node_set_attr(c, "type", "new");
	g = group(c, "120363009", "Fresh");
	participant(g, "15550001111@s.whatsapp.net", "superadmin");
	participant(g, "15550002222@s.whatsapp.net", NULL);
	ok &= T_INTEQ(wa_group_notification_parse(n, &self, &ch, NULL, 0),
	    1) && T_INTEQ(ch.created, 1) &&
	    T_STREQ(ch.group.jid, "120363009@g.us") &&
	    T_STREQ(ch.group.subject, "Fresh") &&
	    T_INTEQ(ch.group.participants, 2) &&
	    T_INTEQ(ch.group.is_admin, 1);
	wa_node_free(n);
	return ok;
}

static int
notif_refused(void)
{
	struct wa_node		*n, *c;
	struct wa_group_change	 ch;
	char			 err[80];
	int			 ok;

	n = notif("15550002222@s.whatsapp.net");
	ok = T_INTEQ(wa_group_notification_parse(n, &self, &ch, err,
	    sizeof(err)), -1) &&
	    T_STREQ(err, "w:gp2 notification not from a group");
	wa_node_free(n);
	n = notif("120363001");		/* a bare id is no JID */
	ok &= T_INTEQ(wa_group_notification_parse(n, &self, &ch, err,
	    sizeof(err)), -1);
	wa_node_free(n);
	n = notif("120363001@g.us");
	wa_node_set_attr(n, "type", "encrypt");
	ok &= T_INTEQ(wa_group_notification_parse(n, &self, &ch, err,
	    sizeof(err)), -1) && T_STREQ(err, "not a w:gp2 notification");
	wa_node_free(n);
	n = notif("120363001@g.us");
	(void)wa_node_add_child(n, "subject");
	ok &= T_INTEQ(wa_group_notification_parse(n, &self, &ch, err,
	    sizeof(err)), -1) && T_STREQ(err, "<subject> without subject");
	wa_node_free(n);
	n = notif("120363001@g.us");
	c = wa_node_add_child(n, "create");
	(void)wa_node_add_child(c, "group");	/* no id */
	ok &= T_INTEQ(wa_group_notification_parse(n, &self, &ch, err,
	    sizeof(err)), -1) &&
	    T_STREQ(err, "<create> without a valid <group>");
	wa_node_free(n);
	return ok;
}

static int
text_clean(void)
{
	char	 out[16];
	int	 ok;

	ok = T_INTEQ(wa_text_clean_copy(out, sizeof(out), "ok", 2), 2) &&
	    T_STREQ(out, "ok");
	/* Control characters, a lone continuation, an overlong "/", a
	 * surrogate, a C1 control: each bad byte one U+FFFD. */
	(void)wa_text_clean_copy(out, sizeof(out), "a\nb", 3);
	ok &= T_STREQ(out, "a\xef\xbf\xbd" "b");
	(void)wa_text_clean_copy(out, sizeof(out), "\x80x", 2);
	ok &= T_STREQ(out, "\xef\xbf\xbdx");
	(void)wa_text_clean_copy(out, sizeof(out), "\xc0\xaf", 2);
	ok &= T_STREQ(out, "\xef\xbf\xbd\xef\xbf\xbd");
	(void)wa_text_clean_copy(out, sizeof(out), "\xed\xa0\x80", 3);
	ok &= T_STREQ(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	(void)wa_text_clean_copy(out, sizeof(out), "\xc2\x85", 2);
	ok &= T_STREQ(out, "\xef\xbf\xbd\xef\xbf\xbd");
	/* Valid multi-byte text passes; a cut never splits a character. */
	(void)wa_text_clean_copy(out, sizeof(out), "caf\xc3\xa9", 5);
	ok &= T_STREQ(out, "caf\xc3\xa9");
	ok &= T_INTEQ(wa_text_clean_copy(out, 5, "abc\xe2\x82\xac", 6), 3) &&
	    T_STREQ(out, "abc");
	ok &= T_INTEQ(wa_text_clean_copy(out, 1, "abc", 3), 0) &&
	    T_STREQ(out, "");
	return ok;
}

/* A subject longer than the column is cut to fit, whole characters. */
static int
subject_cut(void)
{
	struct wa_node	*iq, *gs;
	struct wa_group	*v;
	size_t		 n;
	char		*big;
	int		 ok;

	big = malloc(3 * 600 + 1);
	for (n = 0; n < 600; n++)
		memcpy(big + 3 * n, "\xe2\x82\xac", 3);
	big[3 * 600] = '\0';
	iq = result(&gs);
	group(gs, "120363001", big);
	ok = T_INTEQ(wa_groups_parse(iq, &self, &v, &n, NULL, NULL, 0), 0) &&
	    T_INTEQ(n, 1) && T_INTEQ(strlen(v[0].subject), 1023);
	free(v);
	free(big);
	wa_node_free(iq);
	return ok;
}

int
main(void)
{
	static const struct t_case	cases[] = {
		T_CASE(query_shape),
		T_CASE(parse_groups),
		T_CASE(parse_dup_and_empty),
		T_CASE(parse_refused),
		T_CASE(notif_subject_flags),
		T_CASE(notif_participants),
		T_CASE(notif_delete_create),
		T_CASE(notif_refused),
		T_CASE(text_clean),
		T_CASE(subject_cut),
	};

	return t_run(cases, T_NCASES(cases));
}
