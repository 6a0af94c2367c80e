/*
 * Sending text (wa.h wa_client_send_text): the steps whatsmeow send.go
 * SendMessage takes, made asynchronous for one event loop.  Each send
 * is a small state machine:
 *
 *	group?	<iq xmlns="w:g2" type="get" to=group><query/>: participants
 *		(whatsmeow group.go getGroupInfo; Baileys groupMetadata)
 *	devices	<iq xmlns="usync">: device lists of the users not cached
 *		(whatsmeow user.go GetUserDevices; Baileys getUSyncDevices);
 *		the cache is per client and forgotten on a devices
 *		notification (whatsmeow notification.go
 *		handleDeviceNotification) or a phash the server disputes
 *	keys	<iq xmlns="encrypt" type="get"><key><user jid reason=
 *		"identity"/>: pre-key bundles of the devices without a
 *		Signal session (whatsmeow prekeys.go fetchPreKeys; Baileys
 *		assertSessions)
 *	encrypt	libsignal session_builder on each bundle, session_cipher
 *		per device: pkmsg on a new session, msg after; our own
 *		other devices get the DeviceSentMessage wrapping (whatsmeow
 *		send.go encryptMessageForDevices, marshalMessage).  Groups:
 *		one skmsg with our sender key (group_cipher) and, in
 *		pairwise messages, the SenderKeyDistributionMessage for the
 *		devices that do not have it yet (whatsmeow sendGroup sends it
 *		to every device every time; Baileys messages-send.ts keeps a
 *		sender-key memory and sends it only to those lacking it,
 *		which is what we do: the memory is a store entry)
 *	ack	<message id type="text" to> with <participants><to jid><enc>,
 *		<device-identity> when any pkmsg, phash for groups; the
 *		server answers <ack class="message" id [error] [phash] t>
 *
 * and ends with exactly one sent callback, scheduled on sul_send so it
 * never runs inside a call down.  A 463 ack also reports a restriction
 * (with the end time a reach-out timelock notification gave, if any).
 * Memory: nothing per idle client until the first send (the device
 * cache is allocated then); libsignal contexts live only during one
 * encryption step, as in client_msg.c.
 */
#include <stdarg.h>

#include <json-c/json.h>

#include <group_cipher.h>
#include <group_session_builder.h>
#include <protocol.h>
#include <session_builder.h>
#include <session_cipher.h>

#include "client_int.h"
#include "jid.h"
#include "msg.h"
#include "usync.h"
#include "wa-e2e.pb-c.h"
#include "wasignal.h"

#define	SEND_PENDING_MAX	256	/* sends in flight per client */
#define	SEND_TEXT_MAX		65536	/* bytes of text */
#define	SEND_ID_MAX		64	/* message id, NUL included */
#define	GROUP_MEMBERS_MAX	1024	/* WhatsApp's group size limit */
#define	DEVCACHE_MAX		4096	/* users cached, then start over */
#define	SK_MEMORY_KEY		"\n~distributed" /* after the group JID */
#define	RECENT_MAX		32	/* sent messages kept for retries
					   (whatsmeow recentMessagesMap
					   keeps 256) */
#define	RETRY_ANSWER_MAX	5	/* retry receipts answered per
					   message (all its devices) */

enum	sstate {
	SS_START,
	SS_GROUP,		/* group metadata query out */
	SS_DEVICES,		/* usync query out */
	SS_KEYS,		/* pre-key fetch out */
	SS_ACK,			/* <message> out, waiting for the ack */
	SS_DONE			/* result set, report scheduled */
};

/* The device lists we know (whatsmeow userDevicesCache). */
struct	wa_devcache {
	struct wa_usync_user	*u;		/* n used of cap */
	size_t			 n, cap;
	time_t			 until;		/* reach-out timelock end the
						   server announced, 0: none */
	struct wa_group		*groups;	/* participants of groups we
						   sent to (whatsmeow
						   groupCache) */
	struct {
		char		 id[SEND_ID_MAX];
		char		 to[WA_USYNC_JID_MAX];
		char		*text;		/* owned */
		int		 answered;	/* retries answered */
	}			 recent[RECENT_MAX]; /* for retry receipts */
	unsigned int		 recent_next;	/* ring position */
};

/* One cached group: its participants' user JIDs. */
struct	wa_group {
	char			 jid[WA_USYNC_JID_MAX];
	char			(*users)[WA_USYNC_JID_MAX];
	size_t			 n;
	struct wa_group		*next;
};

struct	wa_send {
	struct wa_client	*c;
	struct wa_send		*next;
	void			*tag;
	char			 id[SEND_ID_MAX];
	char			 to[WA_USYNC_JID_MAX];	/* chat JID */
	int			 group;
	char			*text;
	enum sstate		 st;
	char			 iq[IQ_ID_LEN];	/* query out, "" none */
	char			(*users)[WA_USYNC_JID_MAX]; /* whose devices */
	size_t			 nusers;
	struct wa_bundle	*bundles;	/* from the key fetch */
	size_t			 nbundles;
	size_t			 nwant;		/* devices the fetch asked for */
	char			 phash[WA_PHASH_LEN]; /* what we sent */
	int			 code;		/* enum wa_send_err or server */
	int			 sent_out;
	int			 sk_added;	/* this send put devices in the
						   group's sender-key memory */
	int			 devices, prekey_msgs;
	time_t			 t;
	lws_usec_t		 started;	/* lws_now_usecs() of the call */
	lws_usec_t		 out_at;	/* ... when the stanza went */
	char			 detail[160];
	lws_sorted_usec_list_t	 sul;		/* deadline */
};

/* One device to address: its wire JID and, for another user whose LID
 * usync gave, the LID form whose session client_msg.c decrypts with. */
struct	dev {
	char		 jid[WA_USYNC_JID_MAX];
	char		 lid[WA_USYNC_JID_MAX];	/* "" none */
};

/* One encryption step's libsignal state. */
struct	sig {
	signal_context			*ctx;
	signal_protocol_store_context	*sc;
};

static void	advance(struct wa_send *);
static void	kick(struct wa_client *);

/*
 * Start the oldest waiting send when none is between its first query
 * and its <message> (whatsmeow holds messageSendLock over the same
 * span): two sends to a new device would otherwise fetch two bundles
 * and build two competing sessions.
 */
static void
kick(struct wa_client *c)
{
	struct wa_send	*s, *first = NULL;

	if (c->conn == NULL || c->free_pending)
		return;
	for (s = c->sends; s != NULL; s = s->next) {
		if (s->st == SS_GROUP || s->st == SS_DEVICES ||
		    s->st == SS_KEYS)
			return;		/* one is under way */
		if (s->st == SS_START && first == NULL)
			first = s;
	}
	if (first != NULL)
		advance(first);
}

/* Report every finished send (sul_send): exactly one sent callback. */
static void
report_due(lws_sorted_usec_list_t *sul)
{
	struct wa_client	*c = lws_container_of(sul, struct wa_client,
				    sul_send);
	struct wa_send		**pp, *s;
	struct wa_sent		 r;

	cl_enter(c);
	pp = &c->sends;
	while ((s = *pp) != NULL && !c->free_pending) {
		if (s->st != SS_DONE) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		c->nsends--;
		lws_sul_cancel(&s->sul);
		memset(&r, 0, sizeof(r));
		r.tag = s->tag;
		r.id = s->id;
		r.to = s->to;
		r.code = s->code;
		r.sent_out = s->sent_out;
		r.t = s->t;
		r.detail = s->detail;
		r.devices = s->devices;
		r.prekey_msgs = s->prekey_msgs;
		r.out_us = s->out_at != 0 ? s->out_at - s->started : 0;
		r.total_us = lws_now_usecs() - s->started;
		if (c->cb != NULL && c->cb->sent != NULL)
			c->cb->sent(c, c->user, &r);
		free(s->text);
		free(s->users);
		free(s->bundles);
		free(s);
		pp = &c->sends;		/* the callback may have added */
	}
	cl_leave(c);
}

static int	txn_begin(struct wa_client *);
static int	txn_commit(struct wa_client *);
static void	sk_memory_forget(struct wa_send *);

/* End send s with code and detail; the report follows. */
static void
end_send(struct wa_send *s, int code, const char *detail)
{

	if (s->st == SS_DONE)
		return;
	s->st = SS_DONE;
	s->code = code;
	if (s->group && s->sk_added && code != WA_SEND_OK)
		sk_memory_forget(s);
	s->iq[0] = '\0';
	snprintf(s->detail, sizeof(s->detail), "%s", detail);
	lws_sul_cancel(&s->sul);
	if (!s->c->free_pending)
		lws_sul_schedule(s->c->lws, 0, &s->c->sul_send, report_due, 1);
}

/*
 * A group send that put devices into the sender-key memory and then
 * did not end in the server's positive ack: the memory cannot be
 * trusted (a refused <message> delivered no SKDM, so the devices
 * recorded would never decrypt a later skmsg), so forget it all; the
 * next send distributes the key to every device again, which a
 * receiver that had it accepts as a repeat.  Whatsmeow avoids the
 * memory altogether (every group send carries the SKDM to all devices);
 * Baileys keeps it (sender-key-memory) the way we do.
 */
static void
sk_memory_forget(struct wa_send *s)
{
	char	 key[WA_USYNC_JID_MAX + 16];

	snprintf(key, sizeof(key), "%s%s", s->to, SK_MEMORY_KEY);
	if (txn_begin(s->c) == -1 || s->c->store->del(s->c->store->user,
	    WA_STORE_SENDER_KEY, key, 0) == -1 || txn_commit(s->c) == -1)
		cl_wlog(s->c, LOG_LEVEL_WARN, "send %s: sender key memory of "
		    "%.60s not cleared after a failed send", s->id, s->to);
	s->sk_added = 0;
}

/* end_send() with a formatted detail, then start the next send. */
static void
finish(struct wa_send *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
finish(struct wa_send *s, int code, const char *fmt, ...)
{
	va_list	 ap;
	char	 detail[160] = "";

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	end_send(s, code, detail);
	kick(s->c);
}

static void
deadline(lws_sorted_usec_list_t *sul)
{
	struct wa_send	*s = lws_container_of(sul, struct wa_send, sul);

	finish(s, WA_SEND_ETIMEDOUT, "no answer from the server within %u ms",
	    s->c->send_timeout_ms);
}

/* The cached entry of a user JID, or NULL. */
static struct wa_usync_user *
cache_find(struct wa_client *c, const char *user)
{
	size_t	 i;

	if (c->devcache == NULL)
		return NULL;
	for (i = 0; i < c->devcache->n; i++)
		if (strcmp(c->devcache->u[i].jid, user) == 0)
			return &c->devcache->u[i];
	return NULL;
}

/* Store one usync answer in the cache (replacing an older one). */
static void
cache_put(struct wa_client *c, const struct wa_usync_user *u)
{
	struct wa_devcache	*dc;
	struct wa_usync_user	*e;

	if (c->devcache == NULL)
		c->devcache = xcalloc(1, sizeof(*c->devcache));
	dc = c->devcache;
	if ((e = cache_find(c, u->jid)) != NULL) {
		*e = *u;
		return;
	}
	if (dc->n == DEVCACHE_MAX)
		dc->n = 0;	/* crude, bounded: ask again */
	if (dc->n == dc->cap) {
		dc->cap = dc->cap == 0 ? 8 : dc->cap * 2;
		dc->u = xreallocarray(dc->u, dc->cap, sizeof(*dc->u));
	}
	dc->u[dc->n++] = *u;
}

/* Forget the cached devices of user (non-AD JID), or all for NULL. */
static void
cache_forget(struct wa_client *c, const char *user)
{
	struct wa_usync_user	*e;
	struct wa_devcache	*dc = c->devcache;

	if (dc == NULL)
		return;
	if (user == NULL) {
		dc->n = 0;
		return;
	}
	if ((e = cache_find(c, user)) != NULL)
		*e = dc->u[--dc->n];
}

/* The cached group jid, or NULL. */
static struct wa_group *
group_find(struct wa_client *c, const char *jid)
{
	struct wa_group	*g;

	for (g = c->devcache != NULL ? c->devcache->groups : NULL; g != NULL;
	    g = g->next)
		if (strcmp(g->jid, jid) == 0)
			return g;
	return NULL;
}

/* Forget group jid, or every group for NULL. */
static void
group_forget(struct wa_client *c, const char *jid)
{
	struct wa_group	**pp, *g;

	if (c->devcache == NULL)
		return;
	for (pp = &c->devcache->groups; (g = *pp) != NULL;) {
		if (jid == NULL || strcmp(g->jid, jid) == 0) {
			*pp = g->next;
			free(g->users);
			free(g);
		} else
			pp = &g->next;
	}
}

/* Remember the participants of s->to (a copy of s->users). */
static void
group_put(struct wa_send *s)
{
	struct wa_group	*g;

	group_forget(s->c, s->to);
	if (s->c->devcache == NULL)
		s->c->devcache = xcalloc(1, sizeof(*s->c->devcache));
	g = xcalloc(1, sizeof(*g));
	memcpy(g->jid, s->to, sizeof(g->jid));
	g->users = xcalloc(s->nusers, sizeof(*g->users));
	memcpy(g->users, s->users, s->nusers * sizeof(*g->users));
	g->n = s->nusers;
	g->next = s->c->devcache->groups;
	s->c->devcache->groups = g;
}

void
wa_client_devices_forget(struct wa_client *c)
{

	cache_forget(c, NULL);
	group_forget(c, NULL);
}

/* Our own user as a non-AD JID ("15551234567@s.whatsapp.net"). */
static int
own_user(const struct wa_client *c, char out[WA_USYNC_JID_MAX])
{
	char	*u;

	if ((u = wa_jid_to_non_ad(c->creds->jid)) == NULL ||
	    strlen(u) >= WA_USYNC_JID_MAX) {
		free(u);
		return -1;
	}
	memcpy(out, u, strlen(u) + 1);
	free(u);
	return 0;
}

/* Device JID of user (non-AD) and device id into out. */
static int
dev_jid(const char *user, unsigned int dev, char out[WA_USYNC_JID_MAX])
{
	const char	*at = strchr(user, '@');
	int		 n;

	if (at == NULL)
		return -1;
	if (dev == 0)
		n = snprintf(out, WA_USYNC_JID_MAX, "%s", user);
	else
		n = snprintf(out, WA_USYNC_JID_MAX, "%.*s:%u%s",
		    (int)(at - user), user, dev, at);
	return n < 0 || n >= WA_USYNC_JID_MAX ? -1 : 0;
}

/* Signal address of a device JID (whatsmeow JID.SignalAddress: user,
 * "_<agent>" for a LID, device).  name is the storage.  0 or -1. */
static int
jid_addr(const char *s, char *name, size_t namesz,
    signal_protocol_address *a)
{
	struct wa_jid	 j;
	int		 n;

	if (!wa_jid_parse(s, &j) || j.user_len == 0)
		return -1;
	if (j.server_len == 3 && memcmp(j.server, "lid", 3) == 0)
		n = snprintf(name, namesz, "%.*s_%u", (int)j.user_len, j.user,
		    WA_DOMAIN_LID);
	else
		n = snprintf(name, namesz, "%.*s", (int)j.user_len, j.user);
	if (n < 0 || (size_t)n >= namesz)
		return -1;
	a->name = name;
	a->name_len = (size_t)n;
	a->device_id = (int32_t)j.device;
	return 0;
}

/* Send an IQ for s: type get, xmlns, to (NULL: the server), child. */
static int
iq_out(struct wa_send *s, const char *xmlns, const char *to,
    struct wa_node *child)
{
	struct wa_node	*iq;

	iq = cl_iq_new(s->c, s->iq, "get", xmlns);
	if (to != NULL)
		wa_node_set_attr(iq, "to", to);
	wa_node_append_child(iq, child);
	return cl_send_free(s->c, iq);
}

/* The users whose devices a send needs: DM the chat and ourselves
 * (whatsmeow sendDM: {to, ownID.ToNonAD()}); groups the participants
 * (which include us). */
static int
users_dm(struct wa_send *s)
{

	s->users = xcalloc(2, sizeof(*s->users));
	memcpy(s->users[0], s->to, sizeof(s->to));
	s->nusers = 1;
	if (own_user(s->c, s->users[1]) == -1)
		return -1;
	if (strcmp(s->users[1], s->to) != 0)
		s->nusers = 2;
	return 0;
}

/* Every device to address, in s->users order, less this device.
 * Our own user keeps PN sessions (its messages carry no sender_lid, so
 * client_msg.c decrypts them under the PN address). */
static struct dev *
devices_list(struct wa_send *s, size_t *n)
{
	struct dev		*d = NULL;
	struct wa_usync_user	*u;
	char			 own[WA_USYNC_JID_MAX];
	size_t			 i, k, cap = 0;

	*n = 0;
	if (own_user(s->c, own) == -1)
		own[0] = '\0';
	for (i = 0; i < s->nusers; i++) {
		if ((u = cache_find(s->c, s->users[i])) == NULL)
			continue;
		for (k = 0; k < u->ndev; k++) {
			if (*n == cap) {
				cap = cap == 0 ? 16 : cap * 2;
				d = xreallocarray(d, cap, sizeof(*d));
			}
			if (dev_jid(u->jid, u->dev[k], d[*n].jid) == -1 ||
			    strcmp(d[*n].jid, s->c->creds->jid) == 0 ||
			    strcmp(d[*n].jid, s->c->creds->lid) == 0)
				continue;	/* this device */
			d[*n].lid[0] = '\0';
			if (u->lid[0] != '\0' && strcmp(u->jid, own) != 0 &&
			    dev_jid(u->lid, u->dev[k], d[*n].lid) == -1)
				d[*n].lid[0] = '\0';
			(*n)++;
		}
	}
	return d;
}

/* Open libsignal over the client's store; 0 or -1. */
static int
sig_open(struct wa_client *c, struct sig *g)
{

	g->ctx = NULL;
	g->sc = NULL;
	if (c->store == NULL || wa_signal_context_new(&g->ctx) == -1 ||
	    wa_signal_store_new(g->ctx, c->store, c->creds, &g->sc) == -1)
		return -1;
	return 0;
}

static void
sig_close(struct sig *g)
{

	if (g->sc != NULL)
		signal_protocol_store_context_destroy(g->sc);
	if (g->ctx != NULL)
		signal_context_destroy(g->ctx);
}

/* 1 if a session exists with device JID jid ("" never). */
static int
has_session(struct sig *g, const char *jid)
{
	signal_protocol_address	 a;
	char			 name[WA_USYNC_JID_MAX];

	return jid[0] != '\0' && jid_addr(jid, name, sizeof(name), &a) == 0 &&
	    signal_protocol_session_contains_session(g->sc, &a) == 1;
}

static int	sk_memory_has(const char *, const char *);

/* wa.h struct wa_store txn: BEGIN; 0, or -1 (the caller sends nothing).
 * Each encryption step is one transaction, as a received stanza is:
 * its session, identity and sender-key writes are kept together, and
 * the stanza goes out only after COMMIT (a ratchet step not stored must
 * not reach a peer). */
static int
txn_begin(struct wa_client *c)
{

	return c->store->txn == NULL ? 0 :
	    c->store->txn(c->store->user, WA_STORE_BEGIN);
}

static int
txn_commit(struct wa_client *c)
{

	return c->store->txn == NULL ? 0 :
	    c->store->txn(c->store->user, WA_STORE_COMMIT);
}

/* The devices of list d (n) with no session under either address,
 * less those in the sender-key memory "mem" (a group's devices that
 * have our key need no pairwise message; NULL: none). */
static size_t
devices_without_session(struct sig *g, struct dev *d, size_t n,
    const char *mem, const char **out)
{
	size_t	 i, m = 0;

	for (i = 0; i < n; i++)
		if ((mem == NULL || !sk_memory_has(mem, d[i].jid)) &&
		    !has_session(g, d[i].jid) && !has_session(g, d[i].lid))
			out[m++] = d[i].jid;
	return m;
}

/* The bundle fetched for device jid, or NULL. */
static const struct wa_bundle *
bundle_for(const struct wa_send *s, const char *jid)
{
	size_t	 i;

	for (i = 0; i < s->nbundles; i++)
		if (s->bundles[i].error == 0 &&
		    strcmp(s->bundles[i].jid, jid) == 0)
			return &s->bundles[i];
	return NULL;
}

/* Build a session from bundle b for address a (whatsmeow
 * encryptMessageForDevice: an untrusted identity is cleared and the
 * bundle processed again, AutoTrustIdentity).  libsignal code. */
static int
session_from_bundle(struct wa_client *c, struct sig *g,
    const signal_protocol_address *a, const struct wa_bundle *b)
{
	session_pre_key_bundle	*pb = NULL;
	session_builder		*sb = NULL;
	char			 key[300];
	int			 rc;

	if (wa_signal_bundle(g->ctx, b->regid, a->device_id, b->prekey_id,
	    b->has_prekey ? b->prekey : NULL, b->spk_id, b->spk, b->spk_sig,
	    b->identity, &pb) == -1)
		return SG_ERR_INVALID_KEY;
	if ((rc = session_builder_create(&sb, g->sc, a, g->ctx)) == 0) {
		rc = session_builder_process_pre_key_bundle(sb, pb);
		if (rc == SG_ERR_UNTRUSTED_IDENTITY &&
		    wa_signal_addr_key(a, key, sizeof(key)) == 0) {
			cl_wlog(c, LOG_LEVEL_WARN, "%.*s: identity key changed; "
			    "trusting the new one", (int)a->name_len, a->name);
			if (c->store->del(c->store->user, WA_STORE_IDENTITY,
			    key, 0) >= 0 &&
			    (rc = session_builder_process_pre_key_bundle(sb,
			    pb)) == 0 && c->cb != NULL &&
			    c->cb->identity_changed != NULL)
				/* whatsmeow clearUntrustedIdentity:
				 * events.IdentityChange, as on receipt */
				c->cb->identity_changed(c, c->user, b->jid);
		}
	}
	session_builder_free(sb);
	SIGNAL_UNREF(pb);
	return rc;
}

/*
 * Encrypt plaintext p (padded) for device jid into a <to jid><enc>
 * child of parts.  Returns 1 pkmsg, 0 msg, -1 skipped (logged: no
 * session and no bundle, or libsignal refused).
 */
static int
encrypt_one(struct wa_send *s, struct sig *g, struct wa_node *parts,
    const struct dev *dv, const struct buf *p)
{
	const char		*jid = dv->jid;
	signal_protocol_address	 a;
	ciphertext_message	*m = NULL;
	session_cipher		*ci = NULL;
	const struct wa_bundle	*b;
	struct wa_node		*e;
	signal_buffer		*ser;
	char			 name[WA_USYNC_JID_MAX];
	int			 rc, pk;

	/* whatsmeow encryptMessageForDevices: the LID session when the
	 * mapping is known (an existing PN session is still used) */
	if (jid_addr(dv->lid[0] != '\0' && (has_session(g, dv->lid) ||
	    !has_session(g, jid)) ? dv->lid : jid, name, sizeof(name),
	    &a) == -1)
		return -1;
	if ((b = bundle_for(s, jid)) != NULL &&
	    (rc = session_from_bundle(s->c, g, &a, b)) != 0) {
		cl_wlog(s->c, LOG_LEVEL_WARN, "send %s: bundle of %.60s "
		    "refused (libsignal %d)", s->id, jid, rc);
		return -1;
	}
	if (b == NULL && signal_protocol_session_contains_session(g->sc,
	    &a) != 1) {
		cl_wlog(s->c, LOG_LEVEL_WARN, "send %s: no session with %.60s "
		    "and no pre-key bundle: skipped", s->id, jid);
		return -1;
	}
	if ((rc = session_cipher_create(&ci, g->sc, &a, g->ctx)) == 0)
		rc = session_cipher_encrypt(ci, (const uint8_t *)p->data,
		    p->len, &m);
	session_cipher_free(ci);
	if (rc != 0) {
		SIGNAL_UNREF(m);
		cl_wlog(s->c, LOG_LEVEL_WARN, "send %s: encrypting for %.60s "
		    "failed (libsignal %d)", s->id, jid, rc);
		return -1;
	}
	pk = ciphertext_message_get_type(m) == CIPHERTEXT_PREKEY_TYPE;
	ser = ciphertext_message_get_serialized(m);
	e = wa_node_add_child(parts, "to");
	wa_node_set_attr(e, "jid", jid);
	e = wa_node_add_child(e, "enc");
	wa_node_set_attr(e, "v", "2");
	wa_node_set_attr(e, "type", pk ? "pkmsg" : "msg");
	wa_node_set_bytes(e, signal_buffer_data(ser), signal_buffer_len(ser));
	SIGNAL_UNREF(m);
	return pk;
}

/* 1 if user part of jid equals that of user (a non-AD JID). */
static int
same_user(const char *jid, const char *user)
{
	size_t	 n = strcspn(user, "@");

	return strncmp(jid, user, n) == 0 && (jid[n] == ':' ||
	    jid[n] == '@') && strcmp(strchr(jid, '@'), user + n) == 0;
}

/* The padded waE2E.Message{senderKeyDistributionMessage} for group
 * (whatsmeow sendGroup skdMessage), into out. */
static void
skdm_plain(struct buf *out, const char *group, signal_buffer *skdm)
{
	WaE2E__Message				 msg = WA_E2_E__MESSAGE__INIT;
	WaE2E__SenderKeyDistributionMessage	 d =
	    WA_E2_E__SENDER_KEY_DISTRIBUTION_MESSAGE__INIT;
	uint8_t					*tmp;
	size_t					 n;

	d.groupid = (char *)group;
	d.has_axolotlsenderkeydistributionmessage = 1;
	d.axolotlsenderkeydistributionmessage.data = signal_buffer_data(skdm);
	d.axolotlsenderkeydistributionmessage.len = signal_buffer_len(skdm);
	msg.senderkeydistributionmessage = &d;
	n = wa_e2_e__message__get_packed_size(&msg);
	tmp = xmalloc(n > 0 ? n : 1);
	wa_e2_e__message__pack(&msg, tmp);
	buf_reset(out);
	buf_append(out, tmp, n);
	free(tmp);
	wa_msg_pad(out);
}

/* The sender-key memory of a group (Baileys sender-key-memory): the
 * device JIDs that have our current sender key, one per line, in the
 * store under WA_STORE_SENDER_KEY "<group>\n~distributed".  Returns a
 * malloc'd NUL-terminated string ("" when none), NULL on a store error. */
static char *
sk_memory_get(struct wa_client *c, const char *group)
{
	uint8_t	*v = NULL;
	size_t	 len = 0;
	char	 key[WA_USYNC_JID_MAX + 16], *out;
	int	 rc;

	snprintf(key, sizeof(key), "%s%s", group, SK_MEMORY_KEY);
	if ((rc = c->store->get(c->store->user, WA_STORE_SENDER_KEY, key, &v,
	    &len)) == -1)
		return NULL;
	out = xmalloc(len + 1);
	if (rc == 1 && len > 0)
		memcpy(out, v, len);
	out[rc == 1 ? len : 0] = '\0';
	free(v);
	return out;
}

/* 1 if jid is a line of memory m. */
static int
sk_memory_has(const char *m, const char *jid)
{
	size_t	 n = strlen(jid);
	const char *p;

	for (p = m; (p = strstr(p, jid)) != NULL; p += n)
		if ((p == m || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

/*
 * The group part of encrypt_send: our sender key for s->to (created on
 * first use by group_session_builder_create_session), the skmsg node
 * (*skmsg, owned by the caller), and the SKDM plaintext into skdm (empty when every device
 * has it already).  0, or -1 (libsignal).
 */
static int
group_encrypt(struct wa_send *s, struct sig *g, struct wa_node **skmsg,
    struct buf *skdm)
{
	signal_protocol_sender_key_name	 name;
	signal_protocol_address		 own;
	sender_key_distribution_message	*d = NULL;
	group_session_builder		*b = NULL;
	group_cipher			*gc = NULL;
	ciphertext_message		*m = NULL;
	signal_buffer			*ser;
	struct buf			 p;
	struct wa_node			*e;
	char				 oname[WA_USYNC_JID_MAX];
	int				 rc;

	if (jid_addr(s->c->creds->jid, oname, sizeof(oname), &own) == -1)
		return -1;
	name.group_id = s->to;
	name.group_id_len = strlen(s->to);
	name.sender = own;
	buf_init(&p);
	if ((rc = group_session_builder_create(&b, g->sc, g->ctx)) == 0 &&
	    (rc = group_session_builder_create_session(b, &d, &name)) == 0 &&
	    (rc = group_cipher_create(&gc, g->sc, &name, g->ctx)) == 0) {
		skdm_plain(skdm, s->to, ciphertext_message_get_serialized(
		    (ciphertext_message *)d));
		if (wa_msg_encode_text(&p, s->text, NULL) == -1)
			rc = SG_ERR_INVAL;
		else
			rc = group_cipher_encrypt(gc, (const uint8_t *)p.data,
			    p.len, &m);
	}
	if (rc == 0) {
		ser = ciphertext_message_get_serialized(m);
		*skmsg = e = wa_node_new("enc");
		wa_node_set_attr(e, "v", "2");
		wa_node_set_attr(e, "type", "skmsg");
		wa_node_set_bytes(e, signal_buffer_data(ser),
		    signal_buffer_len(ser));
	} else
		cl_wlog(s->c, LOG_LEVEL_WARN, "send %s: sender key for %.60s "
		    "failed (libsignal %d)", s->id, s->to, rc);
	SIGNAL_UNREF(m);
	SIGNAL_UNREF(d);
	group_cipher_free(gc);
	group_session_builder_free(b);
	buf_free(&p);
	return rc == 0 ? 0 : -1;
}

/* Record that devs got our sender key for s->to (sk memory). */
static void
sk_memory_add(struct wa_send *s, const char *mem, char **jids, size_t n)
{
	struct buf	 b;
	char		 key[WA_USYNC_JID_MAX + 16];
	size_t		 i;

	if (n == 0)
		return;
	buf_init(&b);
	buf_puts(&b, mem);
	for (i = 0; i < n; i++) {
		buf_puts(&b, jids[i]);
		buf_putc(&b, '\n');
	}
	snprintf(key, sizeof(key), "%s%s", s->to, SK_MEMORY_KEY);
	if (s->c->store->put(s->c->store->user, WA_STORE_SENDER_KEY, key,
	    (const uint8_t *)b.data, b.len) == -1)
		cl_wlog(s->c, LOG_LEVEL_WARN, "send %s: sender key memory not "
		    "stored; the next send distributes it again", s->id);
	else
		s->sk_added = 1;
	buf_free(&b);
}

/* Keep a copy of s's text for retry receipts (whatsmeow
 * addRecentMessage), in a ring of RECENT_MAX. */
static void
recent_put(struct wa_client *c, const struct wa_send *s)
{
	unsigned int	 i;

	if (c->devcache == NULL)
		c->devcache = xcalloc(1, sizeof(*c->devcache));
	i = c->devcache->recent_next++ % RECENT_MAX;
	free(c->devcache->recent[i].text);
	snprintf(c->devcache->recent[i].id, SEND_ID_MAX, "%s", s->id);
	memcpy(c->devcache->recent[i].to, s->to, WA_USYNC_JID_MAX);
	c->devcache->recent[i].text = xstrdup(s->text);
	c->devcache->recent[i].answered = 0;
}

/*
 * Encrypt for every device and send the <message> (whatsmeow
 * prepareMessageNode, encryptMessageForDevices, getMessageContent).
 */
static void
encrypt_send(struct wa_send *s)
{
	struct wa_client	*c = s->c;
	struct dev		*d;
	char			**got = NULL, *mem = NULL;
	const char		**ph = NULL;
	struct wa_node		*msg, *parts, *skmsg = NULL;
	char			 own[WA_USYNC_JID_MAX];
	struct buf		 plain, dsm, skdm;
	struct sig		 g;
	size_t			 i, n, ngot = 0, nph = 0;
	int			 rc, fail = 0, intxn = 0;

	d = devices_list(s, &n);
	buf_init(&plain);
	buf_init(&dsm);
	buf_init(&skdm);
	msg = wa_node_new("message");
	wa_node_set_attr(msg, "id", s->id);
	wa_node_set_attr(msg, "type", "text");
	wa_node_set_attr(msg, "to", s->to);
	parts = wa_node_add_child(msg, "participants");
	got = xcalloc(n > 0 ? n : 1, sizeof(*got));
	ph = xcalloc(n > 0 ? n : 1, sizeof(*ph));
	if (sig_open(c, &g) == -1 || own_user(c, own) == -1) {
		fail = WA_SEND_ESIGNAL;
		goto out;
	}
	if (txn_begin(c) == -1) {
		fail = WA_SEND_ESIGNAL;
		goto out;
	}
	intxn = 1;
	if (s->group) {
		if ((mem = sk_memory_get(c, s->to)) == NULL ||
		    group_encrypt(s, &g, &skmsg, &skdm) == -1) {
			fail = WA_SEND_ESIGNAL;
			goto out;
		}
	} else if (wa_msg_encode_text(&plain, s->text, NULL) == -1 ||
	    wa_msg_encode_text(&dsm, s->text, s->to) == -1) {
		fail = WA_SEND_ESIGNAL;
		goto out;
	}
	for (i = 0; i < n; i++) {
		ph[nph++] = d[i].jid;
		if (s->group && sk_memory_has(mem, d[i].jid))
			continue;
		/* whatsmeow encryptMessageForDevices: our own user's
		 * devices get the DeviceSentMessage */
		rc = encrypt_one(s, &g, parts, &d[i], s->group ? &skdm :
		    same_user(d[i].jid, own) ? &dsm : &plain);
		if (rc >= 0) {
			got[ngot++] = d[i].jid;
			s->prekey_msgs += rc;
		}
	}
	s->devices = (int)ngot;
	if (!s->group && ngot == 0) {
		fail = WA_SEND_ENODEVICE;
		goto out;
	}
	if (s->prekey_msgs > 0)
		wa_node_set_bytes(wa_node_add_child(msg, "device-identity"),
		    c->creds->account, c->creds->account_len);
	/* phash over the devices addressed (whatsmeow sets it on group
	 * messages only, over GetUserDevices' list, which names this
	 * device too; the server compares against its fan-out, which
	 * does not, so we leave this device out; see tests/wasim e2e.js
	 * expectedDevices) */
	wa_phash(ph, nph, s->phash);
	if (s->group) {
		wa_node_set_attr(msg, "phash", s->phash);
		/* whatsmeow sendGroup: the skmsg after the participants */
		wa_node_append_child(msg, skmsg);
		skmsg = NULL;
		sk_memory_add(s, mem, got, ngot);
	}
out:
	if (intxn && txn_commit(c) == -1 && fail == 0)
		fail = WA_SEND_ESIGNAL;	/* rolled back: nothing goes out */
	wa_node_free(skmsg);
	sig_close(&g);
	buf_free(&plain);
	buf_free(&dsm);
	buf_free(&skdm);
	free(got);
	free(ph);
	free(mem);
	free(d);
	if (fail == WA_SEND_ENODEVICE)
		finish(s, fail, "%s has no device we could encrypt for",
		    s->to);
	else if (fail != 0)
		finish(s, fail, "the Signal store failed while encrypting");
	if (fail != 0) {
		wa_node_free(msg);
		return;
	}
	/* An empty <participants> (every device has the sender key) is
	 * left out, as Baileys does. */
	if (parts->nchildren == 0) {
		memmove(&msg->children[0], &msg->children[1],
		    (msg->nchildren - 1) * sizeof(*msg->children));
		msg->nchildren--;
		wa_node_free(parts);
	}
	s->st = SS_ACK;
	s->sent_out = 1;
	if (cl_send_free(c, msg) == 0) {
		s->out_at = lws_now_usecs();
		recent_put(c, s);
	}
	kick(c);
}

/* The next step of s (see the file comment). */
static void
advance(struct wa_send *s)
{
	struct wa_client	*c = s->c;
	const char		**miss;
	struct dev		*d;
	struct wa_group		*gr;
	char			*mem;
	struct sig		 g;
	size_t			 i, n, m = 0;
	char			 sid[SEND_ID_MAX + 4];

	if (s->st == SS_START && s->group) {
		if ((gr = group_find(c, s->to)) != NULL) {
			s->users = xcalloc(gr->n, sizeof(*s->users));
			memcpy(s->users, gr->users, gr->n * sizeof(*s->users));
			s->nusers = gr->n;
		} else {
			s->st = SS_GROUP;
			(void)iq_out(s, "w:g2", s->to, wa_group_query());
			return;
		}
	}
	if (s->st == SS_START || s->st == SS_GROUP) {
		miss = xcalloc(s->nusers > 0 ? s->nusers : 1, sizeof(*miss));
		for (i = 0; i < s->nusers; i++)
			if (cache_find(c, s->users[i]) == NULL)
				miss[m++] = s->users[i];
		if (m > 0) {
			s->st = SS_DEVICES;
			snprintf(sid, sizeof(sid), "%s-u", s->id);
			(void)iq_out(s, "usync", NULL, wa_usync_devices_query(
			    miss, m, sid));
			free(miss);
			return;
		}
		free(miss);
		s->st = SS_DEVICES;
	}
	if (s->st == SS_DEVICES) {
		d = devices_list(s, &n);
		miss = xcalloc(n > 0 ? n : 1, sizeof(*miss));
		if (sig_open(c, &g) == -1) {
			sig_close(&g);
			free(miss);
			free(d);
			finish(s, WA_SEND_ESIGNAL, "the Signal store cannot be "
			    "opened");
			return;
		}
		mem = s->group ? sk_memory_get(c, s->to) : NULL;
		m = devices_without_session(&g, d, n, mem, miss);
		free(mem);
		sig_close(&g);
		if (m > 0) {
			s->st = SS_KEYS;
			s->nwant = m;
			(void)iq_out(s, "encrypt", NULL, wa_prekeys_query(miss,
			    m));
		}
		free(miss);
		free(d);
		if (m > 0)
			return;
	}
	encrypt_send(s);
}

/* Normalise "to" into s->to; 0 or -1. */
static int
to_parse(struct wa_send *s, const char *to)
{
	struct wa_jid	 j;
	char		 digits[32];
	size_t		 i, n = 0;

	if (strchr(to, '@') != NULL) {
		if (strlen(to) >= sizeof(s->to) || !wa_jid_parse(to, &j) ||
		    j.kind == WA_JID_AD || j.user_len == 0)
			return -1;
		if (j.server_len == 4 && memcmp(j.server, "g.us", 4) == 0)
			s->group = 1;
		else if (!(j.server_len == 14 &&
		    memcmp(j.server, "s.whatsapp.net", 14) == 0))
			return -1;
		memcpy(s->to, to, strlen(to) + 1);
		return 0;
	}
	for (i = 0; to[i] != '\0'; i++) {
		if (to[i] >= '0' && to[i] <= '9') {
			if (n + 1 >= sizeof(digits))
				return -1;
			digits[n++] = to[i];
		} else if (to[i] != '+' && to[i] != ' ' && to[i] != '-')
			return -1;
	}
	digits[n] = '\0';
	if (n < 6 || digits[0] == '0')
		return -1;
	snprintf(s->to, sizeof(s->to), "%s@%s", digits, WA_SERVER_USER);
	return 0;
}

/* 1 if id is 1..SEND_ID_MAX-1 printable non-space ASCII. */
static int
id_ok(const char *id)
{
	size_t	 i;

	for (i = 0; id[i] != '\0'; i++)
		if (id[i] <= ' ' || id[i] > '~' || i + 1 >= SEND_ID_MAX)
			return 0;
	return i > 0;
}

int
wa_client_send_text(struct wa_client *c, const char *to, const char *text,
    const char *id, void *tag)
{
	struct wa_send	*s, **pp;
	size_t		 tl;
	char		 user[32];

	if (c->state != WA_STATE_CONNECTED || c->conn == NULL ||
	    c->creds == NULL || c->free_pending) {
		log_warnx("%s: not connected", __func__);
		return -1;
	}
	tl = text != NULL ? strlen(text) : 0;
	if (tl == 0 || tl > SEND_TEXT_MAX || to == NULL ||
	    (id != NULL && !id_ok(id))) {
		log_warnx("%s: empty or oversized text, or a bad id", __func__);
		return -1;
	}
	if (c->nsends >= SEND_PENDING_MAX) {
		log_warnx("%s: %d sends pending", __func__, c->nsends);
		return -1;
	}
	s = xcalloc(1, sizeof(*s));
	s->c = c;
	s->tag = tag;
	if (to_parse(s, to) == -1 || (!s->group && users_dm(s) == -1)) {
		log_warnx("%s: not a phone number or a user or group JID",
		    __func__);
		free(s->users);
		free(s);
		return -1;
	}
	if (id != NULL)
		snprintf(s->id, sizeof(s->id), "%s", id);
	else {
		/* GenerateMessageID hashes the own user, not the device */
		snprintf(user, sizeof(user), "%.*s",
		    (int)strcspn(c->creds->jid, ":@"), c->creds->jid);
		wa_msg_id(s->id, user, time(NULL));
	}
	s->text = xstrdup(text);
	s->started = lws_now_usecs();
	for (pp = &c->sends; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = s;		/* oldest first: kick() keeps the order */
	c->nsends++;
	lws_sul_schedule(c->lws, 0, &s->sul, deadline,
	    cl_ms(c->send_timeout_ms));
	kick(c);
	return 0;
}

/* The pending send whose query id is "id", or NULL. */
static struct wa_send *
by_iq(struct wa_client *c, const char *id)
{
	struct wa_send	*s;

	for (s = c->sends; s != NULL; s = s->next)
		if (s->st != SS_DONE && s->iq[0] != '\0' &&
		    strcmp(s->iq, id) == 0)
			return s;
	return NULL;
}

/* The <error code> of an IQ error, 0 if none. */
static int
iq_error_code(const struct wa_node *n)
{
	const struct wa_node	*e = wa_node_child(n, "error");

	return e != NULL ? cl_attr_int(e, "code") : 0;
}

/* The answer to one of our queries (client_iq.c iq_answer). */
static void
query_answer(struct wa_send *s, const struct wa_node *n)
{
	struct wa_usync_user	*u;
	size_t			 i, k;
	enum sstate		 st = s->st;
	static const char *const what[] = { "", "group", "device list",
	    "pre-key", "", "" };

	s->iq[0] = '\0';
	if (cl_attr_is(n, "type", "error")) {
		finish(s, WA_SEND_EQUERY, "the server refused the %s query "
		    "(%d)", what[st], iq_error_code(n));
		return;
	}
	switch (st) {
	case SS_GROUP:
		s->users = xcalloc(GROUP_MEMBERS_MAX, sizeof(*s->users));
		if (wa_group_parse(n, s->users, GROUP_MEMBERS_MAX,
		    &s->nusers) == -1 || s->nusers == 0) {
			finish(s, WA_SEND_EQUERY, "the group metadata of %s "
			    "did not parse", s->to);
			return;
		}
		group_put(s);
		break;
	case SS_DEVICES:
		u = xcalloc(s->nusers > 0 ? s->nusers : 1, sizeof(*u));
		if (wa_usync_parse(n, u, s->nusers, &k) == -1) {
			free(u);
			finish(s, WA_SEND_EQUERY, "the device list answer did "
			    "not parse");
			return;
		}
		for (i = 0; i < k; i++)
			cache_put(s->c, &u[i]);
		/* users the server did not answer for: no devices */
		for (i = 0; i < s->nusers; i++)
			if (cache_find(s->c, s->users[i]) == NULL) {
				memset(u, 0, sizeof(*u));
				memcpy(u->jid, s->users[i], sizeof(u->jid));
				cache_put(s->c, u);
			}
		free(u);
		break;
	case SS_KEYS:
		s->bundles = xcalloc(s->nwant, sizeof(*s->bundles));
		if (wa_prekeys_parse(n, s->bundles, s->nwant,
		    &s->nbundles) == -1) {
			finish(s, WA_SEND_EQUERY, "the pre-key answer did not "
			    "parse");
			return;
		}
		for (i = 0; i < s->nbundles; i++)
			if (s->bundles[i].error != 0)
				cl_wlog(s->c, LOG_LEVEL_WARN, "send %s: no "
				    "pre-key bundle for %.60s (%d)", s->id,
				    s->bundles[i].jid, s->bundles[i].error);
		encrypt_send(s);
		return;
	default:
		return;
	}
	advance(s);
}

int
cl_send_iq_answer(struct wa_client *c, const struct wa_node *n)
{
	struct wa_send	*s;
	const char	*id = wa_node_attr(n, "id");

	if (id == NULL || (s = by_iq(c, id)) == NULL)
		return 0;
	query_answer(s, n);
	return 1;
}

/* The server's ack of one of our messages (whatsmeow SendMessage:
 * error, phash, t). */
void
cl_send_ack(struct wa_client *c, const struct wa_node *n)
{
	struct wa_ack_info	 a;
	struct wa_send		*s;
	size_t			 i;

	if (wa_ack_parse(n, &a) == -1)
		return;
	for (s = c->sends; s != NULL; s = s->next)
		if (s->st == SS_ACK && strcmp(s->id, a.id) == 0)
			break;
	if (s == NULL)
		return;
	s->t = a.t;
	if (a.phash != NULL && strcmp(a.phash, s->phash) != 0) {
		/* whatsmeow: "Some devices may not have received the
		 * message"; ask for the device lists again next time */
		cl_wlog(c, LOG_LEVEL_WARN, "send %s: the server's participant "
		    "hash %.20s differs from ours %s: device lists "
		    "forgotten", s->id, a.phash, s->phash);
		for (i = 0; i < s->nusers; i++)
			cache_forget(c, s->users[i]);
		group_forget(c, s->to);	/* whatsmeow: groupCache too */
	}
	if (a.error == 463 && c->cb != NULL && c->cb->restriction != NULL) {
		cl_enter(c);
		c->cb->restriction(c, c->user, 1, c->devcache != NULL &&
		    c->devcache->until > time(NULL) ? c->devcache->until : 0,
		    "463");
		cl_leave(c);
	}
	if (a.error != 0)
		finish(s, a.error, "the server refused the message (%d)",
		    a.error);
	else
		finish(s, WA_SEND_OK, NULL);
}

/* A reach-out timelock update in a mex notification (whatsmeow
 * notification.go handleMexNotification, events.NotifyAccountReachout-
 * Timelock: is_active, time_enforcement_ends as unix seconds in a
 * string, enforcement_type). */
static void
mex_update(struct wa_client *c, const struct wa_node *u)
{
	struct json_object	*o, *t, *v;
	const char		*kind = "reachout_timelock";
	time_t			 until = 0;
	int			 active;

	if (u->content != WA_CONTENT_BYTES && u->content != WA_CONTENT_TEXT)
		return;
	if ((o = json_tokener_parse((const char *)u->bytes)) == NULL)
		return;
	if (json_object_object_get_ex(o, "data", &t) &&
	    json_object_object_get_ex(t,
	    "xwa2_notify_account_reachout_timelock", &t) &&
	    json_object_is_type(t, json_type_object)) {
		active = json_object_object_get_ex(t, "is_active", &v) &&
		    json_object_get_boolean(v);
		if (json_object_object_get_ex(t, "time_enforcement_ends", &v))
			until = (time_t)json_object_get_int64(v);
		if (json_object_object_get_ex(t, "enforcement_type", &v) &&
		    json_object_is_type(v, json_type_string))
			kind = json_object_get_string(v);
		if (c->devcache == NULL)
			c->devcache = xcalloc(1, sizeof(*c->devcache));
		c->devcache->until = active ? until : 0;
		if (c->cb != NULL && c->cb->restriction != NULL)
			c->cb->restriction(c, c->user, active, until, kind);
	}
	json_object_put(o);
}

/* A notification of interest to sending (client_iq.c; it has been
 * acked already): devices (whatsmeow handleDeviceNotification: the
 * user's list changed, forget it) and mex (the timelock). */
void
cl_send_notification(struct wa_client *c, const struct wa_node *n)
{
	const char	*from = wa_node_attr(n, "from");
	char		*user;
	size_t		 i;

	if (cl_attr_is(n, "type", "w:gp2") && from != NULL)
		group_forget(c, from);	/* membership or settings changed */
	else if (cl_attr_is(n, "type", "devices") && from != NULL) {
		if ((user = wa_jid_to_non_ad(from)) != NULL)
			cache_forget(c, user);
		free(user);
	} else if (cl_attr_is(n, "type", "mex") &&
	    n->content == WA_CONTENT_CHILDREN) {
		for (i = 0; i < n->nchildren && !c->free_pending; i++)
			if (strcmp(n->children[i]->tag, "update") == 0)
				mex_update(c, n->children[i]);
	}
}

/* The connection is gone: every pending send ends (cl_conn_reset). */
void
cl_send_conn_reset(struct wa_client *c)
{
	struct wa_send	*s;

	for (s = c->sends; s != NULL; s = s->next)
		end_send(s, WA_SEND_ENOTCONN, s->sent_out ? "the connection "
		    "ended before the server acknowledged the message" :
		    "the connection ended before the message went out");
}

/* Free everything without reports (client_destroy). */
void
cl_send_destroy(struct wa_client *c)
{
	struct wa_send	*s;
	unsigned int	 i;

	lws_sul_cancel(&c->sul_send);
	while ((s = c->sends) != NULL) {
		c->sends = s->next;
		lws_sul_cancel(&s->sul);
		free(s->text);
		free(s->users);
		free(s->bundles);
		free(s);
	}
	c->nsends = 0;
	group_forget(c, NULL);
	if (c->devcache != NULL) {
		free(c->devcache->u);
		for (i = 0; i < RECENT_MAX; i++)
			free(c->devcache->recent[i].text);
	}
	free(c->devcache);
	c->devcache = NULL;
}

/* The plaintext a retry re-encrypts (whatsmeow handleRetryReceipt):
 * the text, with our current sender key for a group, wrapped as a
 * DeviceSentMessage for our own devices; padded.  0 or -1. */
static int
retry_plain(struct wa_client *c, struct sig *g, const char *to,
    const char *text, int own, struct buf *out)
{
	WaE2E__Message				 msg = WA_E2_E__MESSAGE__INIT;
	WaE2E__Message				 inner = WA_E2_E__MESSAGE__INIT;
	WaE2E__DeviceSentMessage		 dsm =
	    WA_E2_E__DEVICE_SENT_MESSAGE__INIT;
	WaE2E__SenderKeyDistributionMessage	 d =
	    WA_E2_E__SENDER_KEY_DISTRIBUTION_MESSAGE__INIT;
	signal_protocol_sender_key_name		 name;
	sender_key_distribution_message		*skdm = NULL;
	group_session_builder			*b = NULL;
	signal_buffer				*ser;
	char					 oname[WA_USYNC_JID_MAX];
	uint8_t					*tmp;
	size_t					 n;
	int					 rc = 0;

	buf_reset(out);
	if (strstr(to, "@g.us") != NULL) {
		if (jid_addr(c->creds->jid, oname, sizeof(oname),
		    &name.sender) == -1)
			return -1;
		name.group_id = to;
		name.group_id_len = strlen(to);
		if ((rc = group_session_builder_create(&b, g->sc, g->ctx)) == 0)
			rc = group_session_builder_create_session(b, &skdm,
			    &name);
		if (rc == 0) {
			ser = ciphertext_message_get_serialized(
			    (ciphertext_message *)skdm);
			d.groupid = (char *)to;
			d.has_axolotlsenderkeydistributionmessage = 1;
			d.axolotlsenderkeydistributionmessage.data =
			    signal_buffer_data(ser);
			d.axolotlsenderkeydistributionmessage.len =
			    signal_buffer_len(ser);
			msg.senderkeydistributionmessage = &d;
		}
		msg.conversation = (char *)text;
	} else if (own) {
		inner.conversation = (char *)text;
		dsm.destinationjid = (char *)to;
		dsm.message = &inner;
		msg.devicesentmessage = &dsm;
	} else
		msg.conversation = (char *)text;
	if (rc == 0) {
		n = wa_e2_e__message__get_packed_size(&msg);
		tmp = xmalloc(n > 0 ? n : 1);
		wa_e2_e__message__pack(&msg, tmp);
		buf_append(out, tmp, n);
		free(tmp);
		wa_msg_pad(out);
	}
	SIGNAL_UNREF(skdm);
	group_session_builder_free(b);
	return rc == 0 ? 0 : -1;
}

/*
 * A retry receipt for one of our recent messages (whatsmeow retry.go
 * handleRetryReceipt): re-encrypt it for the device that asks, on the
 * keys the receipt brings (a fresh session; a changed identity is
 * trusted, as whatsmeow's AutoTrustIdentity) or else on the session we
 * have, and send <message to id type t [participant] [recipient]
 * [device_fanout=false]> with one <enc count>.  The caller acks the
 * receipt.  Messages no longer in the ring are not resent (logged).
 */
void
cl_send_retry(struct wa_client *c, const struct wa_node *n)
{
	struct wa_retry		 r;
	struct wa_usync_user	*u;
	struct wa_send		 fake;
	struct wa_node		*msg, *parts, *e;
	struct dev		 dv;
	struct sig		 g = { NULL, NULL };
	struct buf		 p;
	char			*user = NULL, own[WA_USYNC_JID_MAX];
	unsigned int		 i;
	int			 rc, intxn = 0;

	if (c->creds == NULL || wa_retry_parse(n, &r) == -1 ||
	    c->devcache == NULL)
		return;
	for (i = 0; i < RECENT_MAX; i++)
		if (c->devcache->recent[i].text != NULL &&
		    strcmp(c->devcache->recent[i].id, r.id) == 0)
			break;
	if (i == RECENT_MAX) {
		cl_wlog(c, LOG_LEVEL_INFO, "retry receipt for %.40s from %.60s: "
		    "not a recent message of ours", r.id, r.device);
		return;
	}
	if (c->devcache->recent[i].answered++ >= RETRY_ANSWER_MAX ||
	    r.count > RETRY_ANSWER_MAX) {
		cl_wlog(c, LOG_LEVEL_WARN, "retry %d for %.40s from %.60s: no "
		    "more answers", r.count, r.id, r.device);
		return;
	}
	memset(&fake, 0, sizeof(fake));
	fake.c = c;
	snprintf(fake.id, sizeof(fake.id), "%s", r.id);
	if (r.has_bundle) {
		fake.bundles = &r.b;
		fake.nbundles = 1;
	}
	memset(&dv, 0, sizeof(dv));
	snprintf(dv.jid, sizeof(dv.jid), "%s", r.device);
	buf_init(&p);
	if (own_user(c, own) == -1 || sig_open(c, &g) == -1)
		goto out;
	/* the LID session, when usync told us the user's LID */
	if ((user = wa_jid_to_non_ad(r.device)) != NULL &&
	    strcmp(user, own) != 0 && (u = cache_find(c, user)) != NULL &&
	    u->lid[0] != '\0') {
		struct wa_jid	 j;

		if (wa_jid_parse(r.device, &j) &&
		    dev_jid(u->lid, j.device, dv.lid) == -1)
			dv.lid[0] = '\0';
	}
	if (txn_begin(c) == -1)
		goto out;
	intxn = 1;
	if (retry_plain(c, &g, c->devcache->recent[i].to,
	    c->devcache->recent[i].text, same_user(r.device, own), &p) == -1)
		goto out;
	/* encrypt_one() makes <to jid><enc>; the retry sends the <enc>
	 * alone, directly in the message, as whatsmeow's does */
	parts = wa_node_new("participants");
	rc = encrypt_one(&fake, &g, parts, &dv, &p);
	intxn = 0;
	if (txn_commit(c) == -1 || rc < 0) {
		wa_node_free(parts);
		goto out;
	}
	e = parts->children[0]->children[0];
	parts->children[0]->nchildren = 0;	/* e is ours now */
	wa_node_free(parts);
	msg = wa_node_new("message");
	wa_node_set_attrf(e, "count", "%d", r.count);
	wa_node_set_attr(msg, "to", r.from);
	wa_node_set_attr(msg, "type", "text");
	wa_node_set_attr(msg, "id", r.id);
	if (r.t != NULL)
		wa_node_set_attr(msg, "t", r.t);
	if (r.participant != NULL)
		wa_node_set_attr(msg, "participant", r.participant);
	else
		wa_node_set_attr(msg, "device_fanout", "false");
	if (r.recipient != NULL)
		wa_node_set_attr(msg, "recipient", r.recipient);
	wa_node_append_child(msg, e);
	if (rc == 1)
		wa_node_set_bytes(wa_node_add_child(msg, "device-identity"),
		    c->creds->account, c->creds->account_len);
	cl_wlog(c, LOG_LEVEL_INFO, "message %.40s sent again to %.60s (retry "
	    "%d, %s)", r.id, r.device, r.count, rc == 1 ? "pkmsg" : "msg");
	(void)cl_send_free(c, msg);
out:
	if (intxn)
		(void)txn_commit(c);
	free(user);
	sig_close(&g);
	buf_free(&p);
}
