/*
 * Tests for daemon/wa/usync.c: the query nodes a send puts out and the
 * parsers of the server's answers, on nodes shaped as whatsmeow and
 * tests/wasim build them; the participant hash against wasim's own
 * participantHash (tests/wasim/e2e.js, an independent implementation of
 * whatsmeow participantListHashV2).
 */
#include <stdio.h>
#include <string.h>

#include "t.h"

#include "binary.h"
#include "usync.h"

static struct wa_node *
result_iq(void)
{
	struct wa_node	*iq = wa_node_new("iq");

	wa_node_set_attr(iq, "type", "result");
	wa_node_set_attr(iq, "id", "1.2-3");
	return iq;
}

static void
bytes_child(struct wa_node *n, const char *tag, int fill, size_t len)
{
	unsigned char	 b[64];

	memset(b, fill, len);
	wa_node_set_bytes(wa_node_add_child(n, tag), b, len);
}

static int
phash_matches_wasim(void)
{
	const char	*j[] = { "15557770100@s.whatsapp.net",
	    "15557770100:1@s.whatsapp.net", "15557770001@s.whatsapp.net" };
	char		 h[WA_PHASH_LEN];
	int		 ok;

	wa_phash(j, 3, h);
	ok = T_STREQ(h, "2:rW1AhMyg");
	wa_phash(NULL, 0, h);
	ok &= T_STREQ(h, "2:47DEQpj8");
	/* LIDs: the wire domain is not an agent ("123.0:1@lid") */
	j[0] = "123:1@lid";
	j[1] = "123@lid";
	j[2] = "555@s.whatsapp.net";
	wa_phash(j, 3, h);
	return ok & T_STREQ(h, "2:XPsPHYXP");
}

static int
usync_query_shape(void)
{
	const char	*u[] = { "15557770100@s.whatsapp.net" };
	struct wa_node	*q, *c;
	int		 ok;

	q = wa_usync_devices_query(u, 1, "sid-1");
	ok = T_STREQ(wa_node_attr(q, "context"), "message");
	ok &= T_STREQ(wa_node_attr(q, "mode"), "query");
	ok &= T_STREQ(wa_node_attr(q, "sid"), "sid-1");
	c = wa_node_child(q, "query");
	ok &= T_TRUE(c != NULL && wa_node_child(c, "devices") != NULL &&
	    wa_node_child(c, "lid") != NULL);
	ok &= T_STREQ(wa_node_attr(wa_node_child(c, "devices"), "version"),
	    "2");
	c = wa_node_child(wa_node_child(q, "list"), "user");
	ok &= T_TRUE(c != NULL);
	ok &= T_STREQ(wa_node_attr(c, "jid"), u[0]);
	wa_node_free(q);
	return ok;
}

static int
usync_parse_devices_and_lid(void)
{
	struct wa_usync_user	 u[4];
	struct wa_node		*iq, *l, *user, *dl, *d;
	size_t			 n;
	int			 ok;

	iq = result_iq();
	l = wa_node_add_child(wa_node_add_child(iq, "usync"), "list");
	user = wa_node_add_child(l, "user");
	wa_node_set_attr(user, "jid", "15557770100@s.whatsapp.net");
	dl = wa_node_add_child(wa_node_add_child(user, "devices"),
	    "device-list");
	wa_node_set_attr(wa_node_add_child(dl, "device"), "id", "0");
	d = wa_node_add_child(dl, "device");
	wa_node_set_attr(d, "id", "7");
	wa_node_set_attr(d, "key-index", "2");
	d = wa_node_add_child(dl, "device");	/* hosted: skipped */
	wa_node_set_attr(d, "id", "99");
	wa_node_set_attr(d, "is_hosted", "true");
	wa_node_set_attr(wa_node_add_child(dl, "device"), "id", "x1");
	wa_node_set_attr(wa_node_add_child(dl, "device"), "id", "70000");
	wa_node_set_attr(wa_node_add_child(user, "lid"), "val", "998877@lid");
	/* an AD jid is not a user */
	wa_node_set_attr(wa_node_add_child(l, "user"), "jid",
	    "1555:3@s.whatsapp.net");
	/* a user without devices: listed with none */
	wa_node_set_attr(wa_node_add_child(l, "user"), "jid",
	    "15550000000@s.whatsapp.net");
	ok = T_INTEQ(wa_usync_parse(iq, u, 4, &n), 0);
	ok &= T_INTEQ(n, 2);
	ok &= T_STREQ(u[0].jid, "15557770100@s.whatsapp.net");
	ok &= T_INTEQ(u[0].ndev, 2);
	ok &= T_INTEQ(u[0].dev[0], 0);
	ok &= T_INTEQ(u[0].dev[1], 7);
	ok &= T_STREQ(u[0].lid, "998877@lid");
	ok &= T_INTEQ(u[1].ndev, 0);
	ok &= T_STREQ(u[1].lid, "");
	wa_node_set_attr(iq, "type", "error");
	ok &= T_INTEQ(wa_usync_parse(iq, u, 4, &n), -1);
	ok &= T_INTEQ(n, 0);
	wa_node_free(iq);
	return ok;
}

/* A <user jid> bundle; keys inside <keys> when wrap. */
static void
bundle(struct wa_node *list, const char *jid, int with_key, int wrap,
    size_t idlen)
{
	struct wa_node	*u, *k, *s;
	unsigned char	 reg[4] = { 0, 0, 0x10, 0x92 }, id3[3] = { 0, 0, 1 };

	u = wa_node_add_child(list, "user");
	wa_node_set_attr(u, "jid", jid);
	wa_node_set_bytes(wa_node_add_child(u, "registration"), reg, 4);
	k = wrap ? wa_node_add_child(u, "keys") : u;
	bytes_child(k, "identity", 7, 32);
	s = wa_node_add_child(k, "skey");
	wa_node_set_bytes(wa_node_add_child(s, "id"), id3, idlen);
	bytes_child(s, "value", 8, 32);
	bytes_child(s, "signature", 9, 64);
	if (with_key) {
		s = wa_node_add_child(k, "key");
		id3[2] = 77;
		wa_node_set_bytes(wa_node_add_child(s, "id"), id3, 3);
		bytes_child(s, "value", 10, 32);
	}
}

static int
prekeys_parse_bundles_and_errors(void)
{
	struct wa_bundle	 b[4];
	struct wa_node		*iq, *l, *u, *e;
	size_t			 n;
	int			 ok;

	iq = result_iq();
	l = wa_node_add_child(iq, "list");
	bundle(l, "15557770100@s.whatsapp.net", 1, 0, 3);
	bundle(l, "15557770100:1@s.whatsapp.net", 0, 1, 3);
	bundle(l, "15557770100:2@s.whatsapp.net", 1, 0, 2);	/* short id */
	u = wa_node_add_child(l, "user");
	wa_node_set_attr(u, "jid", "15557770100:3@s.whatsapp.net");
	e = wa_node_add_child(u, "error");
	wa_node_set_attr(e, "code", "404");
	ok = T_INTEQ(wa_prekeys_parse(iq, b, 4, &n), 0);
	ok &= T_INTEQ(n, 4);
	ok &= T_INTEQ(b[0].error, 0);
	ok &= T_INTEQ(b[0].regid, 0x1092);
	ok &= T_INTEQ(b[0].spk_id, 1);
	ok &= T_INTEQ(b[0].has_prekey, 1);
	ok &= T_INTEQ(b[0].prekey_id, 77);
	ok &= T_INTEQ(b[0].identity[31], 7);
	ok &= T_INTEQ(b[0].spk_sig[63], 9);
	ok &= T_INTEQ(b[1].error, 0);
	ok &= T_INTEQ(b[1].has_prekey, 0);
	ok &= T_STREQ(b[1].jid, "15557770100:1@s.whatsapp.net");
	ok &= T_INTEQ(b[2].error, -2);
	ok &= T_INTEQ(b[3].error, 404);
	wa_node_free(iq);
	return ok;
}

static int
ack_parse_fields(void)
{
	struct wa_ack_info	 a;
	struct wa_node		*n;
	int			 ok;

	n = wa_node_new("ack");
	wa_node_set_attr(n, "class", "message");
	wa_node_set_attr(n, "id", "3EB0AA");
	wa_node_set_attr(n, "t", "1764700000");
	wa_node_set_attr(n, "error", "463");
	wa_node_set_attr(n, "phash", "2:AbCdEfGh");
	ok = T_INTEQ(wa_ack_parse(n, &a), 0);
	ok &= T_STREQ(a.id, "3EB0AA");
	ok &= T_INTEQ(a.error, 463);
	ok &= T_INTEQ((long)a.t, 1764700000L);
	ok &= T_STREQ(a.phash, "2:AbCdEfGh");
	wa_node_set_attr(n, "error", "oops");
	ok &= T_INTEQ(wa_ack_parse(n, &a), 0);
	ok &= T_INTEQ(a.error, 500);
	wa_node_set_attr(n, "class", "receipt");
	ok &= T_INTEQ(wa_ack_parse(n, &a), -1);
	wa_node_free(n);
	return ok;
}

static int
group_parse_prefers_phone_number(void)
{
	char		 m[4][WA_USYNC_JID_MAX];
	struct wa_node	*iq, *g, *p;
	size_t		 n;
	int		 ok;

	iq = result_iq();
	g = wa_node_add_child(iq, "group");
	p = wa_node_add_child(g, "participant");
	wa_node_set_attr(p, "jid", "123@lid");
	wa_node_set_attr(p, "phone_number", "15557770100@s.whatsapp.net");
	wa_node_set_attr(wa_node_add_child(g, "participant"), "jid",
	    "15557770200@s.whatsapp.net");
	wa_node_set_attr(wa_node_add_child(g, "participant"), "jid",
	    "15557770300:4@s.whatsapp.net");	/* a device: skipped */
	ok = T_INTEQ(wa_group_parse(iq, m, 4, &n), 0);
	ok &= T_INTEQ(n, 2);
	ok &= T_STREQ(m[0], "15557770100@s.whatsapp.net");
	ok &= T_STREQ(m[1], "15557770200@s.whatsapp.net");
	/* a LID-addressed group is sent to by LID */
	wa_node_set_attr(g, "addressing_mode", "lid");
	ok &= T_INTEQ(wa_group_parse(iq, m, 4, &n), 0);
	ok &= T_STREQ(m[0], "123@lid");
	wa_node_free(iq);
	return ok;
}

static int
retry_parse_device_count_keys(void)
{
	struct wa_retry	 r;
	struct wa_node	*n, *rt, *l;
	unsigned char	 reg[4] = { 0, 0, 0, 9 };
	int		 ok;

	n = wa_node_new("receipt");
	wa_node_set_attr(n, "type", "retry");
	wa_node_set_attr(n, "from", "120363000@g.us");
	wa_node_set_attr(n, "participant", "15557770400:1@s.whatsapp.net");
	rt = wa_node_add_child(n, "retry");
	wa_node_set_attr(rt, "id", "3EB0AA");
	ok = T_INTEQ(wa_retry_parse(n, &r), -1);	/* no count */
	wa_node_set_attr(rt, "count", "2");
	ok &= T_INTEQ(wa_retry_parse(n, &r), 0);
	ok &= T_STREQ(r.device, "15557770400:1@s.whatsapp.net");
	ok &= T_INTEQ(r.count, 2);
	ok &= T_INTEQ(r.has_bundle, 0);
	/* the keys of the receipt form a bundle (registration outside) */
	wa_node_set_bytes(wa_node_add_child(n, "registration"), reg, 4);
	l = wa_node_new("list");
	bundle(l, "x@s.whatsapp.net", 1, 1, 3);
	wa_node_append_child(n, wa_node_child(l->children[0], "keys"));
	l->children[0]->nchildren = 1;	/* its keys (the last) moved to n */
	ok &= T_INTEQ(wa_retry_parse(n, &r), 0);
	ok &= T_INTEQ(r.has_bundle, 1);
	ok &= T_INTEQ(r.b.regid, 9);
	ok &= T_INTEQ(r.b.prekey_id, 77);
	wa_node_free(l);
	/* a group is not a device */
	wa_node_set_attr(n, "participant", "120363000@g.us");
	ok &= T_INTEQ(wa_retry_parse(n, &r), -1);
	wa_node_free(n);
	return ok;
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(phash_matches_wasim),
		T_CASE(usync_query_shape),
		T_CASE(usync_parse_devices_and_lid),
		T_CASE(prekeys_parse_bundles_and_errors),
		T_CASE(ack_parse_fields),
		T_CASE(group_parse_prefers_phone_number),
		T_CASE(retry_parse_device_count_keys),
	};

	return t_run(cases, T_NCASES(cases));
}
