/*
 * Received <message> stanzas (whatsmeow message.go handleEncryptedMessage
 * and decryptMessages; Baileys Utils/decode-wa-message.ts): every
 * <enc type="pkmsg|msg|skmsg"> child is decrypted with libsignal over
 * the caller's store (wasignal.h), unpadded and decoded (msg.h); then
 * the delivery receipt (receipt.go sendMessageReceipt).  A ciphertext
 * that does not open gets a retry receipt and an ack (retry.go
 * sendRetryReceipt), never a silent drop.  Protocol messages from our
 * own phone: a history-sync notification is answered with the
 * hist_sync receipt whatsmeow sends (so the phone stops offering it)
 * but not downloaded, and an app-state key share is ignored: wadesk
 * keeps no chat history and no app state (contacts, labels, mutes), so
 * neither would be used.  The libsignal context is built per stanza and
 * released after it: nothing Signal-related stays in memory between
 * messages (the idle session budget, issue 9).  Each stanza's store
 * calls run inside one store transaction (wa.h struct wa_store txn),
 * committed before its answer goes out.  Not done: whatsmeow's request
 * to our own phone to resend a message that did not decrypt
 * (retry.go delayedRequestMessageFromPhone); the sender's resend after
 * our retry receipt is the only recovery.
 */
#include <group_cipher.h>
#include <group_session_builder.h>
#include <protocol.h>
#include <session_cipher.h>

#include "client_int.h"
#include "jid.h"
#include "msg.h"
#include "wasignal.h"

#define	NACK_PARSING		487	/* whatsmeow receipt.go */
#define	NACK_UNRECOGNIZED	488
#define	NACK_PROTOBUF		491

/* What one stanza says about where it comes from (parseMessageSource). */
struct	src {
	const char	*id, *from, *t;
	char		*chat;		/* owned */
	const char	*sender;	/* borrowed from the node */
	const char	*enc_sender;	/* whose session: sender or its LID */
	const char	*pn_sender;	/* the sender by phone number: sender,
					   or sender_pn/participant_pn of a
					   LID-addressed one (events) */
	int		 group, from_me;
	int		 hist_sync;	/* answer with the hist_sync receipt */
};

/* One stanza's libsignal state, released at its end. */
struct	sig {
	signal_context			*ctx;
	signal_protocol_store_context	*sc;
};

/* Signal address of a JID (whatsmeow types/jid.go SignalAddress:
 * user, "_<agent>" for a non-zero agent, device).  0 or -1. */
static int
jid_addr(const char *s, char *name, size_t namesz,
    signal_protocol_address *a)
{
	struct wa_jid	 j;
	unsigned int	 agent = 0;
	int		 n;

	if (!wa_jid_parse(s, &j) || j.user_len == 0)
		return -1;
	if (j.kind == WA_JID_AD)
		agent = j.domain;
	else if (j.server_len == 3 && memcmp(j.server, "lid", 3) == 0)
		agent = WA_DOMAIN_LID;
	if (agent != 0)
		n = snprintf(name, namesz, "%.*s_%u", (int)j.user_len, j.user,
		    agent);
	else
		n = snprintf(name, namesz, "%.*s", (int)j.user_len, j.user);
	if (n < 0 || (size_t)n >= namesz)
		return -1;
	a->name = name;
	a->name_len = (size_t)n;
	a->device_id = (int32_t)j.device;
	return 0;
}

/* 1 if jid's user is our own (phone number or LID). */
static int
own_user(const struct wa_client *c, const char *jid)
{
	size_t	 n = strcspn(jid, ".:@");

	return (strncmp(jid, c->creds->jid, n) == 0 &&
	    strchr(".:@", c->creds->jid[n]) != NULL) ||
	    (c->creds->lid[0] != '\0' && strncmp(jid, c->creds->lid, n) == 0 &&
	    strchr(".:@", c->creds->lid[n]) != NULL);
}

/* Fill *s from the stanza's attributes; -1 when they do not make sense. */
static int
src_parse(struct wa_client *c, const struct wa_node *n, struct src *s)
{
	const char	*rcpt, *alt, *pn;
	struct wa_jid	 j;

	memset(s, 0, sizeof(*s));
	s->id = wa_node_attr(n, "id");
	s->from = wa_node_attr(n, "from");
	s->t = wa_node_attr(n, "t");
	if (s->id == NULL || s->from == NULL || !wa_jid_parse(s->from, &j))
		return -1;
	if ((j.server_len == 4 && memcmp(j.server, "g.us", 4) == 0) ||
	    (j.server_len == 9 && memcmp(j.server, "broadcast", 9) == 0)) {
		s->group = 1;
		s->chat = xstrdup(s->from);
		if ((s->sender = wa_node_attr(n, "participant")) == NULL)
			return -1;
		alt = wa_node_attr(n, "participant_lid");
		pn = wa_node_attr(n, "participant_pn");
	} else {
		s->sender = s->from;
		alt = wa_node_attr(n, "sender_lid");
		pn = wa_node_attr(n, "sender_pn");
		rcpt = wa_node_attr(n, "recipient");
		if (own_user(c, s->from) && rcpt != NULL)
			s->chat = xstrdup(rcpt);
		else if ((s->chat = wa_jid_to_non_ad(pn != NULL &&
		    wa_jid_parse(s->from, &j) && j.server_len == 3 &&
		    memcmp(j.server, "lid", 3) == 0 &&
		    strstr(pn, "@s.whatsapp.net") != NULL ? pn : s->from)) ==
		    NULL)
			return -1;
	}
	/* LID-addressed (message.go parseMessageSource SenderAlt): the
	 * events name the phone number when the server gives it, the
	 * Signal session stays the LID's */
	s->pn_sender = pn != NULL && strstr(pn, "@s.whatsapp.net") != NULL &&
	    wa_jid_parse(pn, &j) ? pn : s->sender;
	s->from_me = own_user(c, s->sender);
	/* whatsmeow decrypts with the LID session when it knows the LID */
	s->enc_sender = alt != NULL && strstr(alt, "@lid") != NULL ? alt :
	    s->sender;
	return 0;
}

/* A child <tag> holding len bytes. */
static void
add_bytes(struct wa_node *n, const char *tag, const void *p, size_t len)
{

	wa_node_set_bytes(wa_node_add_child(n, tag), p, len);
}

/* receipt.go buildBaseReceipt: id, to, recipient, participant. */
static struct wa_node *
receipt_base(const struct wa_node *n, const char *id)
{
	struct wa_node	*r;
	const char	*v;

	r = wa_node_new("receipt");
	wa_node_set_attr(r, "id", id);
	wa_node_set_attr(r, "to", wa_node_attr(n, "from"));
	if ((v = wa_node_attr(n, "recipient")) != NULL)
		wa_node_set_attr(r, "recipient", v);
	if ((v = wa_node_attr(n, "participant")) != NULL)
		wa_node_set_attr(r, "participant", v);
	return r;
}

/* receipt.go sendMessageReceipt: "sender" (or "peer_msg") for our own
 * devices' messages, "inactive" while we are not present, else none. */
static void
receipt_send(struct wa_client *c, const struct wa_node *n,
    const struct src *s)
{
	struct wa_node	*r;

	r = receipt_base(n, s->id);
	if (s->from_me)
		wa_node_set_attr(r, "type", cl_attr_is(n, "type", "peer_msg") ?
		    "peer_msg" : "sender");
	else if (!c->presence_available)
		wa_node_set_attr(r, "type", "inactive");
	(void)cl_send_free(c, r);
}

/* The retry count of message id, incremented (retry.go messageRetries;
 * a fixed ring, so memory per session stays bounded). */
static int
retry_bump(struct wa_client *c, const char *id, int in_msg)
{
	unsigned int	 i;

	for (i = 0; i < RETRY_SLOTS; i++)
		if (strcmp(c->retries[i].id, id) == 0)
			return ++c->retries[i].count;
	i = c->retry_next++ % RETRY_SLOTS;
	snprintf(c->retries[i].id, sizeof(c->retries[i].id), "%s", id);
	/* a retried message after our restart: continue its count */
	c->retries[i].count = in_msg > 0 ? in_msg + 1 : 1;
	return c->retries[i].count;
}

/* One fresh one-time pre-key for a retry receipt (whatsmeow
 * GenOnePreKey), stored through prekeys_new first.  0 or -1. */
static int
prekey_one(struct wa_client *c, struct wa_keypair *kp, uint32_t *id)
{
	struct wa_prekey	 k;
	int			 rc = 0;

	*id = c->creds->next_prekey_id == 0 ? 1 : c->creds->next_prekey_id;
	if (*id > PREKEY_ID_MAX || wa_keypair_generate(kp) == -1)
		return -1;
	k.id = *id;
	memcpy(k.priv, kp->priv, sizeof(k.priv));
	if (c->cb != NULL && c->cb->prekeys_new != NULL &&
	    c->cb->prekeys_new(c, c->user, &k, 1) == -1)
		rc = -1;
	wa_memzero(&k, sizeof(k));
	c->creds->next_prekey_id = *id + 1;
	cl_creds_changed(c);
	return rc;
}

/* The <keys> of a retry receipt (retry.go: type, identity, a fresh
 * <key>, <skey>, device-identity). */
static void
retry_keys(struct wa_client *c, struct wa_node *r)
{
	struct wa_creds	*cr = c->creds;
	struct wa_keypair kp;
	struct wa_node	*keys, *k;
	uint8_t		 type = WA_DJB_TYPE, id3[3];
	uint32_t	 id;

	if (prekey_one(c, &kp, &id) == -1) {
		cl_wlog(c, LOG_LEVEL_WARN, "no pre-key for the retry "
		    "receipt: sending it without keys");
		wa_memzero(&kp, sizeof(kp));
		return;
	}
	keys = wa_node_add_child(r, "keys");
	add_bytes(keys, "type", &type, 1);
	add_bytes(keys, "identity", cr->identity_key.pub, WA_KEY_LEN);
	k = wa_node_add_child(keys, "key");
	id3[0] = id >> 16;
	id3[1] = id >> 8;
	id3[2] = id;
	add_bytes(k, "id", id3, 3);
	add_bytes(k, "value", kp.pub, WA_KEY_LEN);
	k = wa_node_add_child(keys, "skey");
	id3[0] = cr->signed_pre_key_id >> 16;
	id3[1] = cr->signed_pre_key_id >> 8;
	id3[2] = cr->signed_pre_key_id;
	add_bytes(k, "id", id3, 3);
	add_bytes(k, "value", cr->signed_pre_key.pub, WA_KEY_LEN);
	add_bytes(k, "signature", cr->signed_pre_key_sig, WA_SIG_LEN);
	add_bytes(keys, "device-identity", cr->account, cr->account_len);
	wa_memzero(&kp, sizeof(kp));
}

/* retry.go sendRetryReceipt: the receipt, built (a fresh pre-key is
 * stored for its <keys>) but not sent: NULL after RETRY_MAX.  The ack
 * decryptMessages sends goes with it.  force_keys: the <keys> already
 * on the first retry (whatsmeow's forceIncludeIdentity, for an skmsg
 * whose sender key we never got). */
static struct wa_node *
retry_build(struct wa_client *c, const struct wa_node *n, const struct src *s,
    const struct wa_node *enc, int force_keys)
{
	struct wa_node	*r = NULL, *rt;
	uint8_t		 reg[4];
	uint32_t	 v = c->creds->registration_id;
	int		 count;

	count = retry_bump(c, s->id, n->nchildren == 1 ?
	    cl_attr_int(enc, "count") : 0);
	if (count >= RETRY_MAX)
		cl_wlog(c, LOG_LEVEL_WARN, "message %.40s: %d retries, no "
		    "more retry receipts", s->id, count);
	else {
		r = receipt_base(n, s->id);
		wa_node_set_attr(r, "type", "retry");
		if (cl_attr_is(n, "type", "peer_msg") && s->from_me)
			wa_node_set_attr(r, "category", "peer");
		rt = wa_node_add_child(r, "retry");
		wa_node_set_attrf(rt, "count", "%d", count);
		wa_node_set_attr(rt, "id", s->id);
		if (s->t != NULL)
			wa_node_set_attr(rt, "t", s->t);
		wa_node_set_attr(rt, "v", "1");
		reg[0] = v >> 24;
		reg[1] = v >> 16;
		reg[2] = v >> 8;
		reg[3] = v;
		add_bytes(r, "registration", reg, 4);
		if (count > 1 || force_keys)
			retry_keys(c, r);
	}
	return r;
}

/* Decrypt a pkmsg/msg from device "jid" (its session's address a, the
 * LID when the stanza gave one); whatsmeow decryptDM,
 * including its clearUntrustedIdentity retry, which also reports the
 * change (events.IdentityChange: our identity_changed callback).
 * libsignal code, *out on success. */
static int
dec_dm(struct wa_client *c, struct sig *g, const char *jid,
    const signal_protocol_address *a, int prekey, const struct wa_node *enc,
    signal_buffer **out)
{
	session_cipher		*ci = NULL;
	pre_key_signal_message	*pm = NULL;
	signal_message		*m = NULL;
	char			 key[300];
	int			 rc;

	*out = NULL;
	if ((rc = session_cipher_create(&ci, g->sc, a, g->ctx)) != 0)
		return rc;
	if (prekey) {
		rc = pre_key_signal_message_deserialize(&pm, enc->bytes,
		    enc->nbytes, g->ctx);
		if (rc == 0)
			rc = session_cipher_decrypt_pre_key_signal_message(ci,
			    pm, NULL, out);
		if (rc == SG_ERR_UNTRUSTED_IDENTITY &&
		    wa_signal_addr_key(a, key, sizeof(key)) == 0) {
			cl_wlog(c, LOG_LEVEL_WARN, "%.*s: identity key "
			    "changed; clearing it and its session",
			    (int)a->name_len, a->name);
			if (c->store->del(c->store->user, WA_STORE_IDENTITY,
			    key, 0) >= 0 && c->store->del(c->store->user,
			    WA_STORE_SESSION, key, 0) >= 0) {
				if (c->cb != NULL &&
				    c->cb->identity_changed != NULL)
					c->cb->identity_changed(c, c->user, jid);
				rc = session_cipher_decrypt_pre_key_signal_message(
				    ci, pm, NULL, out);
			}
		}
	} else {
		rc = signal_message_deserialize(&m, enc->bytes, enc->nbytes,
		    g->ctx);
		if (rc == 0)
			rc = session_cipher_decrypt_signal_message(ci, m, NULL,
			    out);
	}
	SIGNAL_UNREF(pm);
	SIGNAL_UNREF(m);
	session_cipher_free(ci);
	return rc;
}

/* Decrypt an skmsg (whatsmeow decryptGroupMsg). */
static int
dec_group(struct sig *g, const char *chat, const signal_protocol_address *a,
    const struct wa_node *enc, signal_buffer **out)
{
	signal_protocol_sender_key_name	 name;
	group_cipher			*gc = NULL;
	sender_key_message		*m = NULL;
	int				 rc;

	*out = NULL;
	name.group_id = chat;
	name.group_id_len = strlen(chat);
	name.sender = *a;
	if ((rc = sender_key_message_deserialize(&m, enc->bytes, enc->nbytes,
	    g->ctx)) == 0 &&
	    (rc = group_cipher_create(&gc, g->sc, &name, g->ctx)) == 0)
		rc = group_cipher_decrypt(gc, m, NULL, out);
	group_cipher_free(gc);
	SIGNAL_UNREF(m);
	return rc;
}

/* A sender key distribution message (whatsmeow
 * handleSenderKeyDistributionMessage): group chats only. */
static void
skdm_handle(struct wa_client *c, struct sig *g, const struct src *s,
    const signal_protocol_address *a, const struct wa_msg *m)
{
	signal_protocol_sender_key_name	 name;
	sender_key_distribution_message	*d = NULL;
	group_session_builder		*b = NULL;
	int				 rc;

	if (!s->group) {
		cl_wlog(c, LOG_LEVEL_WARN, "sender key distribution outside "
		    "a group from %.60s: ignored", s->sender);
		return;
	}
	name.group_id = s->chat;
	name.group_id_len = strlen(s->chat);
	name.sender = *a;
	if ((rc = sender_key_distribution_message_deserialize(&d, m->skdm,
	    m->skdm_len, g->ctx)) == 0 &&
	    (rc = group_session_builder_create(&b, g->sc, g->ctx)) == 0)
		rc = group_session_builder_process_session(b, &name, d);
	if (rc != 0)
		cl_wlog(c, LOG_LEVEL_WARN, "sender key from %.60s in %.60s "
		    "not stored (libsignal %d)", s->sender, s->chat, rc);
	group_session_builder_free(b);
	SIGNAL_UNREF(d);
}

/* whatsmeow SendProtocolMessageReceipt: <receipt id type to=own>. */
static void
proto_receipt(struct wa_client *c, const char *id, const char *type)
{
	struct wa_node	*r;
	char		*own;

	if ((own = wa_jid_to_non_ad(c->creds->jid)) == NULL)
		return;
	r = wa_node_new("receipt");
	wa_node_set_attr(r, "id", id);
	wa_node_set_attr(r, "type", type);
	wa_node_set_attr(r, "to", own);
	free(own);
	(void)cl_send_free(c, r);
}

/* One decrypted, unpadded plaintext: decode and act.  0, or -1 when
 * it is not a waE2E.Message (the ack then says 491). */
static int
plain_handle(struct wa_client *c, struct sig *g, struct src *s,
    const signal_protocol_address *a, const struct wa_node *n,
    const uint8_t *p, size_t len)
{
	struct wa_message	 ev;
	struct wa_msg		 m;

	if (wa_msg_decode(p, len, &m) == -1) {
		cl_wlog(c, LOG_LEVEL_WARN, "message %.40s from %.60s: not a "
		    "waE2E.Message", s->id, s->sender);
		return -1;
	}
	if (m.skdm_len > 0)
		skdm_handle(c, g, s, a, &m);
	if (m.protocol == WA_PROTO_HISTORY_SYNC && s->from_me)
		s->hist_sync = 1;	/* sent after the commit */
	else if (m.protocol == WA_PROTO_APP_STATE_KEY_SHARE)
		cl_wlog(c, LOG_LEVEL_DEBUG, "app-state key share ignored (no "
		    "app state kept)");
	if (m.text != NULL && c->cb != NULL && c->cb->message != NULL) {
		memset(&ev, 0, sizeof(ev));
		ev.id = s->id;
		ev.chat = m.dsm_dest != NULL && s->from_me ? m.dsm_dest :
		    s->chat;
		ev.sender = s->pn_sender;
		ev.from_me = s->from_me;
		ev.is_group = s->group;
		ev.t = s->t != NULL ? (time_t)strtoll(s->t, NULL, 10) : 0;
		ev.push_name = wa_node_attr(n, "notify");
		ev.text = m.text;
		c->cb->message(c, c->user, &ev);
	}
	wa_msg_free(&m);
	return 0;
}

/*
 * The <enc> children in order (a group message brings the pkmsg with
 * the sender key before the skmsg).  Returns 1 all handled, 0 one did
 * not decrypt (*retry: the retry receipt to send with an ack, or NULL
 * past RETRY_MAX), -1 a plaintext did not decode.
 */
static int
encs_handle(struct wa_client *c, struct sig *g, const struct wa_node *n,
    struct src *s, int *seen, struct wa_node **retry)
{
	signal_protocol_address	 a;
	const struct wa_node	*e;
	signal_buffer		*out;
	char			 name[160];
	size_t			 i, plen;
	int			 rc, bad = 0, pk, direct = 0, sk;

	if (jid_addr(s->enc_sender, name, sizeof(name), &a) == -1)
		return 0;
	for (i = 0; i < n->nchildren; i++) {
		e = n->children[i];
		if (strcmp(e->tag, "enc") != 0)
			continue;
		*seen = 1;
		pk = cl_attr_is(e, "type", "pkmsg");
		sk = 0;
		if ((pk || cl_attr_is(e, "type", "msg")) &&
		    e->content == WA_CONTENT_BYTES) {
			rc = dec_dm(c, g, s->pn_sender, &a, pk, e, &out);
			direct = 1;
		} else if (s->group && cl_attr_is(e, "type", "skmsg") &&
		    e->content == WA_CONTENT_BYTES) {
			rc = dec_group(g, s->chat, &a, e, &out);
			sk = 1;
		} else {
			cl_wlog(c, LOG_LEVEL_WARN, "message %.40s: <enc type="
			    "%.20s> not handled", s->id,
			    wa_node_attr(e, "type"));
			continue;
		}
		if (rc == SG_ERR_DUPLICATE_MESSAGE) {
			/* whatsmeow: ErrOldCounter is ignored, no retry */
			cl_wlog(c, LOG_LEVEL_INFO, "message %.40s: already "
			    "decrypted once, ignored", s->id);
			continue;
		}
		plen = out != NULL ? signal_buffer_len(out) : 0;
		if (rc == 0 && !cl_attr_is(e, "v", "3") &&
		    wa_msg_unpad(signal_buffer_data(out), plen, &plen) == -1)
			rc = SG_ERR_INVALID_MESSAGE;
		if (rc != 0) {
			signal_buffer_bzero_free(out);
			cl_wlog(c, LOG_LEVEL_WARN, "message %.40s from %.60s "
			    "did not decrypt (libsignal %d): asking for a "
			    "retry", s->id, s->sender, rc);
			/* message.go: an skmsg alone whose sender key we do
			 * not have (ErrNoSenderKeyForUser; libsignal-c says
			 * no session) asks with our keys at once */
			*retry = retry_build(c, n, s, e, sk && !direct &&
			    rc == SG_ERR_NO_SESSION);
			return 0;
		}
		if (cl_attr_is(e, "v", "3"))
			cl_wlog(c, LOG_LEVEL_INFO, "message %.40s: v3 "
			    "(Armadillo) payload not decoded", s->id);
		else if (plain_handle(c, g, s, &a, n,
		    signal_buffer_data(out), plen) == -1)
			bad = 1;
		signal_buffer_bzero_free(out);
		if (c->free_pending || c->conn == NULL)
			return 0;
	}
	return bad ? -1 : 1;
}

/* The store's transaction step "op" (wa.h struct wa_store txn); a
 * store without transactions (NULL txn) always succeeds. */
static int
txn(struct wa_client *c, enum wa_store_txn op)
{

	if (c->store == NULL || c->store->txn == NULL)
		return 0;
	return c->store->txn(c->store->user, op);
}

/*
 * A <message> stanza from the server (whatsmeow message.go
 * handleEncryptedMessage / decryptMessages).  Ends with exactly one of:
 * the delivery receipt; a retry receipt and an ack; a plain ack (an
 * <unavailable> placeholder without <enc>); an ack with error 487
 * (unparsable source), 488 (no <enc>) or 491 (not a protobuf).
 */
void
cl_message(struct wa_client *c, const struct wa_node *n)
{
	struct src	 s;
	struct sig	 g = { NULL, NULL };
	struct wa_node	*retry = NULL;
	size_t		 i;
	int		 rc, seen = 0, encs = 0;

	/* cleared here: src_parse is not reached without paired creds */
	memset(&s, 0, sizeof(s));
	if (c->creds == NULL || !c->creds->is_paired ||
	    src_parse(c, n, &s) == -1) {
		cl_wlog(c, LOG_LEVEL_WARN, "message %.40s: cannot tell who "
		    "sent it", wa_node_attr(n, "id"));
		cl_ack_send(c, n, NACK_PARSING);
		free(s.chat);
		return;
	}
	for (i = 0; i < n->nchildren; i++)
		encs += strcmp(n->children[i]->tag, "enc") == 0;
	if (encs == 0 && wa_node_child(n, "unavailable") != NULL) {
		/* message.go decryptMessages: the server kept the content
		 * (a view-once or a message our phone must resend); whatsmeow
		 * asks the phone for it and acks.  wadesk keeps no history,
		 * so it only acks, as received. */
		cl_wlog(c, LOG_LEVEL_INFO, "message %.40s from %.60s: "
		    "unavailable (type %.20s), acknowledged", s.id, s.sender,
		    wa_node_attr(wa_node_child(n, "unavailable"), "type"));
		cl_ack_send(c, n, 0);
		free(s.chat);
		return;
	}
	/* One store transaction for the stanza: the Signal state it moves,
	 * the pre-key a retry receipt hands out and whatever the callbacks
	 * write (the message row) commit together before any answer, so
	 * an answer never goes out for state that was not kept, and a
	 * stanza left unanswered is delivered again by the server onto
	 * the state it found (whatsmeow keeps a decrypted-event buffer for
	 * the same reason). */
	if (txn(c, WA_STORE_BEGIN) == -1) {
		cl_wlog(c, LOG_LEVEL_WARN, "message %.40s from %.60s: the "
		    "Signal store is unavailable; left unanswered for the "
		    "server to deliver again", s.id, s.sender);
		free(s.chat);
		return;
	}
	if (c->store == NULL || wa_signal_context_new(&g.ctx) == -1 ||
	    wa_signal_store_new(g.ctx, c->store, c->creds, &g.sc) == -1) {
		cl_wlog(c, LOG_LEVEL_WARN, "message %.40s: no Signal store",
		    s.id);
		rc = 0;
		retry = retry_build(c, n, &s, cl_only_child(n), 0);
	} else
		rc = encs_handle(c, &g, n, &s, &seen, &retry);
	if (g.sc != NULL)
		signal_protocol_store_context_destroy(g.sc);
	if (g.ctx != NULL)
		signal_context_destroy(g.ctx);
	if (txn(c, WA_STORE_COMMIT) == -1) {
		cl_wlog(c, LOG_LEVEL_WARN, "message %.40s from %.60s: its "
		    "Signal state was not stored; no answer, the server "
		    "delivers it again", s.id, s.sender);
		wa_node_free(retry);
		free(s.chat);
		return;
	}
	if (!c->free_pending && c->conn != NULL) {
		if (rc == 0) {
			if (retry == NULL || cl_send_free(c, retry) == 0)
				cl_ack_send(c, n, 0);
			retry = NULL;
		} else if (!seen)
			cl_ack_send(c, n, NACK_UNRECOGNIZED);
		else if (rc == -1)
			cl_ack_send(c, n, NACK_PROTOBUF);
		else {
			if (s.hist_sync)
				proto_receipt(c, s.id, "hist_sync");
			if (!c->free_pending && c->conn != NULL)
				receipt_send(c, n, &s);
		}
	}
	wa_node_free(retry);
	free(s.chat);
}
