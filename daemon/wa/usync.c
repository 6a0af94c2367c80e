/*
 * The non-Signal stanzas of sending (usync.h): usync device lists,
 * pre-key bundle fetches, group metadata, message acks and the
 * participant hash.  Pure: nodes in, plain structs out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "binary.h"
#include "jid.h"
#include "usync.h"
#include "xalloc.h"

/* 1 if n's attribute key equals val. */
static int
attr_is(const struct wa_node *n, const char *key, const char *val)
{
	const char	*v = wa_node_attr(n, key);

	return v != NULL && strcmp(v, val) == 0;
}

/* The bytes of n's child "tag" when it holds exactly len bytes, else
 * NULL. */
static const uint8_t *
child_bytes(const struct wa_node *n, const char *tag, size_t len)
{
	const struct wa_node	*c;

	if ((c = wa_node_child(n, tag)) == NULL ||
	    c->content != WA_CONTENT_BYTES || c->nbytes != len)
		return NULL;
	return c->bytes;
}

/* A decimal 0..max in s (whole string); -1 when not. */
static long
dec_value(const char *s, long max)
{
	char	*end;
	long	 v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 0 || v > max)
		return -1;
	return v;
}

/* Copy s into a WA_USYNC_JID_MAX buffer if it is a canonical JID. */
static int
jid_copy(char out[WA_USYNC_JID_MAX], const char *s)
{
	struct wa_jid	 j;

	if (s == NULL || strlen(s) >= WA_USYNC_JID_MAX || !wa_jid_parse(s, &j))
		return -1;
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

struct wa_node *
wa_usync_devices_query(const char *const *users, size_t n, const char *sid)
{
	struct wa_node	*u, *q, *l;
	size_t		 i;

	u = wa_node_new("usync");
	wa_node_set_attr(u, "sid", sid);
	wa_node_set_attr(u, "mode", "query");
	wa_node_set_attr(u, "last", "true");
	wa_node_set_attr(u, "index", "0");
	wa_node_set_attr(u, "context", "message");
	q = wa_node_add_child(u, "query");
	wa_node_set_attr(wa_node_add_child(q, "devices"), "version", "2");
	(void)wa_node_add_child(q, "lid");
	l = wa_node_add_child(u, "list");
	for (i = 0; i < n; i++)
		wa_node_set_attr(wa_node_add_child(l, "user"), "jid", users[i]);
	return u;
}

/* The device ids of one <user> (whatsmeow parseDeviceList). */
static void
devices_parse(const struct wa_node *user, struct wa_usync_user *u)
{
	const struct wa_node	*dl, *d;
	size_t			 i;
	long			 id;

	u->ndev = 0;
	if ((dl = wa_node_child(user, "devices")) == NULL ||
	    (dl = wa_node_child(dl, "device-list")) == NULL ||
	    dl->content != WA_CONTENT_CHILDREN)
		return;
	for (i = 0; i < dl->nchildren && u->ndev < WA_USYNC_DEVICES_MAX; i++) {
		d = dl->children[i];
		if (strcmp(d->tag, "device") != 0 ||
		    (id = dec_value(wa_node_attr(d, "id"), 65535)) == -1 ||
		    attr_is(d, "is_hosted", "true"))
			continue;
		u->dev[u->ndev++] = (uint16_t)id;
	}
}

int
wa_usync_parse(const struct wa_node *iq, struct wa_usync_user *out,
    size_t max, size_t *n)
{
	const struct wa_node	*l, *c, *ln;
	struct wa_jid		 j;
	const char		*jid;
	size_t			 i;

	*n = 0;
	if (iq == NULL || !attr_is(iq, "type", "result") ||
	    (l = wa_node_child(iq, "usync")) == NULL ||
	    (l = wa_node_child(l, "list")) == NULL)
		return -1;
	if (l->content != WA_CONTENT_CHILDREN)
		return 0;
	for (i = 0; i < l->nchildren && *n < max; i++) {
		c = l->children[i];
		jid = wa_node_attr(c, "jid");
		if (strcmp(c->tag, "user") != 0 || jid_copy(out[*n].jid,
		    jid) == -1 || !wa_jid_parse(jid, &j) || j.device != 0 ||
		    j.kind == WA_JID_AD)
			continue;
		devices_parse(c, &out[*n]);
		out[*n].lid[0] = '\0';
		if ((ln = wa_node_child(c, "lid")) != NULL &&
		    jid_copy(out[*n].lid, wa_node_attr(ln, "val")) == 0 &&
		    (!wa_jid_parse(out[*n].lid, &j) || j.kind == WA_JID_AD ||
		    j.server_len != 3 || memcmp(j.server, "lid", 3) != 0))
			out[*n].lid[0] = '\0';
		(*n)++;
	}
	return 0;
}

struct wa_node *
wa_prekeys_query(const char *const *jids, size_t n)
{
	struct wa_node	*k, *u;
	size_t		 i;

	k = wa_node_new("key");
	for (i = 0; i < n; i++) {
		u = wa_node_add_child(k, "user");
		wa_node_set_attr(u, "jid", jids[i]);
		wa_node_set_attr(u, "reason", "identity");
	}
	return k;
}

/* <id> (3 bytes BE) and <value> (32 bytes) of a key node; 0 or -1. */
static int
key_parse(const struct wa_node *k, uint32_t *id, uint8_t pub[WA_KEY_LEN])
{
	const uint8_t	*i, *v;

	if (k == NULL || (i = child_bytes(k, "id", 3)) == NULL ||
	    (v = child_bytes(k, "value", WA_KEY_LEN)) == NULL)
		return -1;
	*id = (uint32_t)i[0] << 16 | (uint32_t)i[1] << 8 | i[2];
	memcpy(pub, v, WA_KEY_LEN);
	return 0;
}

/* One <user> of an encrypt result (whatsmeow nodeToPreKeyBundle). */
static void
bundle_parse(const struct wa_node *u, struct wa_bundle *b)
{
	const struct wa_node	*e, *keys, *sk;
	const uint8_t		*p;
	long			 code;

	if ((e = wa_node_child(u, "error")) != NULL) {
		code = dec_value(wa_node_attr(e, "code"), 999);
		b->error = code > 0 ? (int)code : -2;
		return;
	}
	b->error = -2;
	if ((p = child_bytes(u, "registration", 4)) == NULL)
		return;
	b->regid = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	if ((keys = wa_node_child(u, "keys")) == NULL)
		keys = u;
	if ((p = child_bytes(keys, "identity", WA_KEY_LEN)) == NULL)
		return;
	memcpy(b->identity, p, WA_KEY_LEN);
	sk = wa_node_child(keys, "skey");
	if (key_parse(sk, &b->spk_id, b->spk) == -1 ||
	    (p = child_bytes(sk, "signature", WA_SIG_LEN)) == NULL)
		return;
	memcpy(b->spk_sig, p, WA_SIG_LEN);
	if (wa_node_child(keys, "key") != NULL) {
		if (key_parse(wa_node_child(keys, "key"), &b->prekey_id,
		    b->prekey) == -1)
			return;
		b->has_prekey = 1;
	}
	b->error = 0;
}

int
wa_prekeys_parse(const struct wa_node *iq, struct wa_bundle *out, size_t max,
    size_t *n)
{
	const struct wa_node	*l, *c;
	size_t			 i;

	*n = 0;
	if (iq == NULL || !attr_is(iq, "type", "result") ||
	    (l = wa_node_child(iq, "list")) == NULL)
		return -1;
	if (l->content != WA_CONTENT_CHILDREN)
		return 0;
	for (i = 0; i < l->nchildren && *n < max; i++) {
		c = l->children[i];
		memset(&out[*n], 0, sizeof(out[*n]));
		if (strcmp(c->tag, "user") != 0 ||
		    jid_copy(out[*n].jid, wa_node_attr(c, "jid")) == -1)
			continue;
		bundle_parse(c, &out[*n]);
		(*n)++;
	}
	return 0;
}

int
wa_ack_parse(const struct wa_node *n, struct wa_ack_info *a)
{
	const char	*v;
	long		 e;

	memset(a, 0, sizeof(*a));
	if (n == NULL || strcmp(n->tag, "ack") != 0 ||
	    !attr_is(n, "class", "message") ||
	    (a->id = wa_node_attr(n, "id")) == NULL)
		return -1;
	a->from = wa_node_attr(n, "from");
	a->phash = wa_node_attr(n, "phash");
	if ((v = wa_node_attr(n, "error")) != NULL) {
		e = dec_value(v, 99999);
		a->error = e > 0 ? (int)e : e == 0 ? 0 : 500;
	}
	if ((v = wa_node_attr(n, "t")) != NULL &&
	    (e = dec_value(v, 0x7fffffffL)) > 0)
		a->t = (time_t)e;
	return 0;
}

static int
str_cmp(const void *a, const void *b)
{

	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
wa_phash(const char *const *jids, size_t n, char out[WA_PHASH_LEN])
{
	crypto_hash_sha256_state st;
	struct wa_jid		 j;
	uint8_t			 h[crypto_hash_sha256_BYTES];
	char			**ad;
	size_t			 i;

	ad = xcalloc(n > 0 ? n : 1, sizeof(*ad));
	for (i = 0; i < n; i++) {
		/* whatsmeow ADString: the raw agent, 0 for the four
		 * servers whose domain byte the server implies (a LID's
		 * wire domain 1 is not an agent) */
		if (wa_jid_parse(jids[i], &j))
			ad[i] = xasprintf("%.*s.%u:%u@%.*s", (int)j.user_len,
			    j.user, j.kind != WA_JID_AD ||
			    j.domain == WA_DOMAIN_WHATSAPP ||
			    j.domain == WA_DOMAIN_LID ||
			    j.domain == WA_DOMAIN_HOSTED ||
			    j.domain == WA_DOMAIN_HOSTED_LID ? 0 : j.domain,
			    j.device, (int)j.server_len, j.server);
		else
			ad[i] = xstrdup(jids[i]);
	}
	qsort(ad, n, sizeof(*ad), str_cmp);
	crypto_hash_sha256_init(&st);
	for (i = 0; i < n; i++) {
		crypto_hash_sha256_update(&st, (const uint8_t *)ad[i],
		    strlen(ad[i]));
		free(ad[i]);
	}
	free(ad);
	crypto_hash_sha256_final(&st, h);
	memcpy(out, "2:", 2);
	sodium_bin2base64(out + 2, WA_PHASH_LEN - 2, h, 6,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

struct wa_node *
wa_group_query(void)
{
	struct wa_node	*q;

	q = wa_node_new("query");
	wa_node_set_attr(q, "request", "interactive");
	return q;
}

int
wa_group_parse(const struct wa_node *iq, char (*out)[WA_USYNC_JID_MAX],
    size_t max, size_t *n)
{
	const struct wa_node	*g, *p;
	struct wa_jid		 j;
	const char		*jid, *pn;
	size_t			 i;
	int			 lid;

	*n = 0;
	if (iq == NULL || !attr_is(iq, "type", "result") ||
	    (g = wa_node_child(iq, "group")) == NULL)
		return -1;
	if (g->content != WA_CONTENT_CHILDREN)
		return 0;
	lid = attr_is(g, "addressing_mode", "lid");
	for (i = 0; i < g->nchildren && *n < max; i++) {
		p = g->children[i];
		if (strcmp(p->tag, "participant") != 0)
			continue;
		jid = wa_node_attr(p, "jid");
		/* the phone number of a LID participant, unless the group is
		 * addressed by LID (whatsmeow parseGroupNode: addressing_mode;
		 * the devices and sessions are the LID's then) */
		if (!lid && (pn = wa_node_attr(p, "phone_number")) != NULL)
			jid = pn;
		if (jid_copy(out[*n], jid) == -1 || !wa_jid_parse(out[*n], &j) ||
		    j.kind == WA_JID_AD || j.device != 0)
			continue;
		(*n)++;
	}
	return 0;
}

int
wa_retry_parse(const struct wa_node *n, struct wa_retry *r)
{
	const struct wa_node	*rt;
	struct wa_jid		 j;
	long			 count;

	memset(r, 0, sizeof(*r));
	if (n == NULL || strcmp(n->tag, "receipt") != 0 ||
	    !attr_is(n, "type", "retry") ||
	    (rt = wa_node_child(n, "retry")) == NULL ||
	    (r->id = wa_node_attr(rt, "id")) == NULL ||
	    (count = dec_value(wa_node_attr(rt, "count"), 99)) < 1)
		return -1;
	r->count = (int)count;
	r->t = wa_node_attr(rt, "t");
	r->from = wa_node_attr(n, "from");
	r->participant = wa_node_attr(n, "participant");
	r->recipient = wa_node_attr(n, "recipient");
	r->device = r->participant != NULL ? r->participant : r->from;
	if (r->device == NULL || jid_copy(r->b.jid, r->device) == -1 ||
	    !wa_jid_parse(r->device, &j) || j.server_len == 4)
		return -1;	/* a group JID is no device */
	if (wa_node_child(n, "keys") != NULL) {
		bundle_parse(n, &r->b);
		r->has_bundle = r->b.error == 0;
	}
	return 0;
}
