/*
 * Login (spec 8.1-8.5, 8.8; whatsmeow connectionevents.go, prekeys.go):
 * <success> and what follows it (the active IQ, the pre-key count and
 * upload, the connected report), <failure> at login and
 * <stream:error> after it.  Shared state and helpers: client_int.h.
 */
#include "client_int.h"

/* Report connected: the active IQ was answered (spec 8.2). */
void
cl_connected_report(struct wa_client *c)
{
	struct wa_connected	 info;
	char			*phone;

	c->state = WA_STATE_CONNECTED;
	cl_wlog(c, LOG_LEVEL_INFO, "connected as %s", c->creds->jid);
	if (c->cb == NULL || c->cb->connected == NULL)
		return;
	phone = cl_jid_phone(c->creds->jid);
	memset(&info, 0, sizeof(info));
	info.jid = c->creds->jid;
	info.lid = c->creds->lid[0] != '\0' ? c->creds->lid : NULL;
	info.phone = phone;
	info.push_name = c->push_name;
	info.server_time = c->server_time;
	c->cb->connected(c, c->user, &info);
	free(phone);
}

/*
 * <success t lid display_name .../> (spec 8.1): note the LID, send the
 * active IQ, start the keepalive; logout now if one is waiting.
 */
void
cl_success(struct wa_client *c, const struct wa_node *n)
{
	const char	*lid, *name;
	struct wa_node	*iq;
	long long	 t;

	if (c->mode != MODE_LOGIN || !c->creds->is_paired ||
	    c->state != WA_STATE_LOGGING_IN) {
		/* whatsmeow 5f04eac6: ignore when not paired. */
		cl_wlog(c, LOG_LEVEL_WARN, "ignoring <success> while %s",
		    wa_state_name(c->state));
		return;
	}
	t = 0;
	if ((name = wa_node_attr(n, "t")) != NULL)
		t = strtoll(name, NULL, 10);
	c->server_time = t > 0 ? (time_t)t : 0;
	if ((name = wa_node_attr(n, "display_name")) != NULL &&
	    wa_text_is_clean(name, strlen(name)) &&
	    strlen(name) < WA_CREDS_NAME_MAX)
		c->push_name = xstrdup(name);
	if ((lid = wa_node_attr(n, "lid")) != NULL &&
	    strcmp(lid, c->creds->lid) != 0) {
		if (c->creds->lid[0] != '\0')
			cl_wlog(c, LOG_LEVEL_WARN, "server LID %s differs from "
			    "stored %s", lid, c->creds->lid);
		else if (wa_creds_set_lid(c->creds, lid) == 0)
			cl_creds_changed(c);
	}
	if (c->free_pending || c->state != WA_STATE_LOGGING_IN)
		return;
	c->ka_last_ok = lws_now_usecs();
	cl_ka_schedule(c);
	if (c->logout_wanted) {
		c->logout_wanted = 0;
		cl_logout_send(c);
		return;
	}
	iq = cl_iq_new(c, c->active_iq, "set", "passive");
	(void)wa_node_add_child(iq, "active");
	if (cl_send_free(c, iq) == -1)
		return;
	iq = cl_iq_new(c, c->prekey_iq, "get", "encrypt");
	(void)wa_node_add_child(iq, "count");
	(void)cl_send_free(c, iq);
}

/* Append <tag>bytes</tag> to n. */
static void
add_bytes(struct wa_node *n, const char *tag, const void *p, size_t len)
{

	wa_node_set_bytes(wa_node_add_child(n, tag), p, len);
}

/* Append a 3-byte big-endian id child (spec 8.8). */
static void
add_id3(struct wa_node *n, uint32_t id)
{
	uint8_t	 b[3];

	b[0] = (id >> 16) & 0xff;
	b[1] = (id >> 8) & 0xff;
	b[2] = id & 0xff;
	add_bytes(n, "id", b, sizeof(b));
}

/*
 * The answer to the pre-key count (spec 8.8, whatsmeow prekeys.go):
 * below PREKEY_MIN on the server, upload PREKEY_INITIAL fresh one-time
 * pre-keys if it has none, else PREKEY_BATCH, with the signed pre-key.
 * The phone needs them to open Signal sessions to this device; this
 * client never decrypts messages (out of scope), so the private halves
 * are wiped at once and ids start at a random 24-bit offset instead of
 * a stored counter.
 */
static void
prekey_count(struct wa_client *c, const struct wa_node *iq)
{
	const struct wa_node	*cnt;
	struct wa_creds		*cr = c->creds;
	struct wa_keypair	 kp;
	struct wa_node		*n, *list, *k, *sk;
	uint32_t		 base, reg;
	uint8_t			 type = WA_DJB_TYPE, rb[4];
	int			 have, i, want;

	c->prekey_iq[0] = '\0';
	cnt = wa_node_child(iq, "count");
	if (!cl_attr_is(iq, "type", "result") || cnt == NULL) {
		cl_wlog(c, LOG_LEVEL_WARN, "pre-key count refused");
		return;
	}
	have = cl_attr_int(cnt, "value");
	if (have >= PREKEY_MIN)
		return;
	want = have == 0 ? PREKEY_INITIAL : PREKEY_BATCH;
	wa_random(&base, sizeof(base));
	base = 1 + base % (PREKEY_ID_MAX - PREKEY_INITIAL);
	n = cl_iq_new(c, c->prekey_iq, "set", "encrypt");
	reg = cr->registration_id;
	rb[0] = reg >> 24;
	rb[1] = (reg >> 16) & 0xff;
	rb[2] = (reg >> 8) & 0xff;
	rb[3] = reg & 0xff;
	add_bytes(n, "registration", rb, sizeof(rb));
	add_bytes(n, "type", &type, 1);
	add_bytes(n, "identity", cr->identity_key.pub, WA_KEY_LEN);
	list = wa_node_add_child(n, "list");
	for (i = 0; i < want; i++) {
		if (wa_keypair_generate(&kp) == -1)
			break;
		k = wa_node_add_child(list, "key");
		add_id3(k, base + (uint32_t)i);
		add_bytes(k, "value", kp.pub, WA_KEY_LEN);
	}
	wa_memzero(&kp, sizeof(kp));
	sk = wa_node_add_child(n, "skey");
	add_id3(sk, cr->signed_pre_key_id);
	add_bytes(sk, "value", cr->signed_pre_key.pub, WA_KEY_LEN);
	add_bytes(sk, "signature", cr->signed_pre_key_sig, WA_SIG_LEN);
	cl_wlog(c, LOG_LEVEL_DEBUG, "server has %d pre-keys; uploading %d",
	    have, i);
	(void)cl_send_free(c, n);
}

/*
 * <failure reason=N/> after the handshake (spec 8.5, whatsmeow
 * ConnectFailureReason): 401 and 406 mean logged out, 403 banned with
 * the credentials gone, 402 a temporary ban, 405 an outdated client.
 */
void
cl_failure(struct wa_client *c, const struct wa_node *n)
{
	int	 code = cl_attr_int(n, "reason");

	cl_wlog(c, LOG_LEVEL_WARN, "login failure %d", code);
	switch (code) {
	case 401:
	case 406:
		cl_client_end(c, WA_REASON_LOGGED_OUT, code, 0, 1);
		break;
	case 403:
		cl_client_end(c, WA_REASON_BANNED, code, 0, 1);
		break;
	case 402:
		cl_client_end(c, WA_REASON_BANNED, code, 0, 0);
		break;
	case 405:
		cl_client_end(c, WA_REASON_OUTDATED, code, 0, 0);
		break;
	default:
		cl_client_end(c, code >= 500 && code <= 599 ?
		    WA_REASON_SERVER_ERROR : WA_REASON_UNKNOWN, code, 0, 0);
		break;
	}
}

/*
 * <stream:error code=N><conflict type=T/></stream:error> (spec 8.4):
 * 515 restart, 401 or device_removed logged out, replaced 440 (Baileys'
 * number for it), 5xx server error.
 */
void
cl_stream_error(struct wa_client *c, const struct wa_node *n)
{
	const struct wa_node	*cf;
	const char		*type = NULL;
	int			 code = cl_attr_int(n, "code");

	if ((cf = wa_node_child(n, "conflict")) != NULL)
		type = wa_node_attr(cf, "type");
	cl_wlog(c, LOG_LEVEL_INFO, "stream error %d%s%s", code,
	    type != NULL ? " " : "", type != NULL ? type : "");
	if (code == 515) {
		if (c->paired_now)
			cl_restart_login(c);
		else
			cl_client_end(c, WA_REASON_RESTART_REQUIRED, 515, 0, 0);
	} else if (code == 401 ||
	    (type != NULL && strcmp(type, "device_removed") == 0))
		cl_client_end(c, WA_REASON_LOGGED_OUT, 401, c->logout_sent, 1);
	else if (type != NULL && strcmp(type, "replaced") == 0)
		cl_client_end(c, WA_REASON_REPLACED, 440, 0, 0);
	else if (code == 403)
		cl_client_end(c, WA_REASON_BANNED, code, 0, 0);
	else if (code >= 500 && code <= 599)
		cl_client_end(c, WA_REASON_SERVER_ERROR, code, 0, 0);
	else
		cl_client_end(c, WA_REASON_UNKNOWN, code, 0, 0);
}

/* The answer to a pre-key count or upload. */
void
cl_prekey_answer(struct wa_client *c, const struct wa_node *n)
{

	if (wa_node_child(n, "count") != NULL) {
		prekey_count(c, n);
		return;
	}
	c->prekey_iq[0] = '\0';
	if (!cl_attr_is(n, "type", "result"))
		cl_wlog(c, LOG_LEVEL_WARN, "pre-key request refused");
}
