/*
 * Login (spec 8.1-8.5, 8.8; whatsmeow connectionevents.go, prekeys.go):
 * <success> and what follows it (the active IQ, the pre-key count and
 * upload, the connected report), <failure> at login and
 * <stream:error> after it.  Shared state and helpers: client_int.h.
 */
#include "client_int.h"

/*
 * <presence type=available|unavailable name=push/> after connect
 * (whatsmeow presence.go SendPresence, which refuses without a push
 * name: ErrNoPushName).  "unavailable" unless configured, so the phone
 * keeps showing its own notifications (GOWA's default).
 */
static void
presence_send(struct wa_client *c)
{
	const char	*name;
	struct wa_node	*n;

	name = c->push_name != NULL ? c->push_name :
	    c->creds->push_name[0] != '\0' ? c->creds->push_name : NULL;
	if (name == NULL) {
		cl_wlog(c, LOG_LEVEL_DEBUG, "no push name yet: no presence");
		return;
	}
	n = wa_node_new("presence");
	wa_node_set_attr(n, "type", c->presence_available ? "available" :
	    "unavailable");
	wa_node_set_attr(n, "name", name);
	(void)cl_send_free(c, n);
}

/*
 * Report connected: the active IQ was answered (spec 8.2, whatsmeow
 * handleConnectSuccess dispatches Connected after SetPassive).  The
 * presence and the unified_session telemetry go first, so a caller
 * that stops the client from the callback sends nothing after it.
 */
void
cl_connected_report(struct wa_client *c)
{
	struct wa_connected	 info;
	char			*phone;

	c->state = WA_STATE_CONNECTED;
	cl_wlog(c, LOG_LEVEL_INFO, "connected as %s", c->creds->jid);
	presence_send(c);
	if (c->state == WA_STATE_CONNECTED)
		cl_unified_session_send(c);
	if (c->state != WA_STATE_CONNECTED || c->cb == NULL ||
	    c->cb->connected == NULL)
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

/* <iq xmlns=passive type=set><active/></iq>: the last step of login. */
static void
active_send(struct wa_client *c)
{
	struct wa_node	*iq;

	if (c->state != WA_STATE_LOGGING_IN)
		return;
	iq = cl_iq_new(c, c->active_iq, "set", "passive");
	(void)wa_node_add_child(iq, "active");
	(void)cl_send_free(c, iq);
}

/*
 * The server's LID in <success lid>: whatsmeow connectionevents.go
 * handleConnectSuccess warns when it differs from the stored one,
 * adopts the server's and saves it (the LID<->phone mapping is stored
 * by the caller from the connected report, whatsmeow
 * StoreLIDPNMapping).
 */
static void
lid_adopt(struct wa_client *c, const char *lid)
{

	if (lid == NULL || lid[0] == '\0' || strcmp(lid, c->creds->lid) == 0)
		return;
	if (c->creds->lid[0] != '\0')
		cl_wlog(c, LOG_LEVEL_WARN, "server LID %s differs from stored "
		    "%s; adopting the server's", lid, c->creds->lid);
	if (wa_creds_set_lid(c->creds, lid) == 0)
		cl_creds_changed(c);
}

/*
 * <success t lid display_name .../> (spec 8.1, whatsmeow
 * handleConnectSuccess): note the server time, the push name and the
 * LID, then the pre-key count (and upload), then the active IQ; logout
 * now instead if one is waiting.  The keepalive already runs since the
 * handshake.
 */
void
cl_success(struct wa_client *c, const struct wa_node *n)
{
	const char	*name;
	struct timespec	 ts;
	struct wa_node	*iq;
	long long	 t, now;

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
	if (t > 0 && t < 1LL << 40) {
		/* whatsmeow: t minus now rounded to the second. */
		clock_gettime(CLOCK_REALTIME, &ts);
		now = (long long)ts.tv_sec + (ts.tv_nsec >= 500000000);
		c->time_offset_ms = (t - now) * 1000;
	}
	if ((name = wa_node_attr(n, "display_name")) != NULL &&
	    wa_text_is_clean(name, strlen(name)) &&
	    strlen(name) < WA_CREDS_NAME_MAX)
		c->push_name = xstrdup(name);
	lid_adopt(c, wa_node_attr(n, "lid"));
	if (c->free_pending || c->state != WA_STATE_LOGGING_IN)
		return;
	if (c->logout_wanted) {
		c->logout_wanted = 0;
		cl_logout_send(c);
		return;
	}
	iq = cl_iq_new(c, c->prekey_iq, "get", "encrypt");
	(void)wa_node_add_child(iq, "count");
	if (cl_send_free(c, iq) == 0)
		c->pk_phase = PK_LOGIN_COUNT;
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
 * Upload "want" fresh one-time pre-keys with the signed pre-key (spec
 * 8.8, whatsmeow prekeys.go uploadPreKeys).  Ids are sequential from
 * the credentials' stored counter, never random and never reused
 * (whatsmeow sqlstore genOnePreKey); the private halves go to the
 * caller (prekeys_new) before anything is sent, and the counter moves
 * past them (creds_changed).  If the caller could not store them,
 * nothing is uploaded (whatsmeow gives up when GetOrGenPreKeys fails);
 * login goes on to the active IQ.  Ids are never reused (issue 14):
 * they stop at 2^24-1, the 3-byte wire form's range, and a batch that
 * would pass it is cut short; with none left nothing is uploaded and
 * the error is logged (the account must be paired again).  At 50 per
 * top-up that is some 335,000 top-ups away.
 */
static void
prekey_upload(struct wa_client *c, int want, enum pk_phase phase)
{
	struct wa_creds		*cr = c->creds;
	struct wa_prekey	*keys;
	struct wa_keypair	 kp;
	struct wa_node		*n, *list, *k, *sk;
	uint32_t		 first, reg;
	uint8_t			 type = WA_DJB_TYPE, rb[4];
	char			 id[IQ_ID_LEN];
	int			 i, stored = 1;

	first = cr->next_prekey_id;
	if (first == 0)
		first = 1;	/* new credentials */
	if (first > PREKEY_ID_MAX) {
		cl_wlog(c, LOG_LEVEL_ERROR, "pre-key ids used up (next "
		    "%u): not uploading; pair this account again", first);
		if (phase == PK_LOGIN_UPLOAD)
			active_send(c);
		return;
	}
	if ((uint32_t)want > PREKEY_ID_MAX - first + 1)
		want = (int)(PREKEY_ID_MAX - first + 1);
	keys = xcalloc((size_t)want, sizeof(*keys));
	n = cl_iq_new(c, id, "set", "encrypt");
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
		keys[i].id = first + (uint32_t)i;
		memcpy(keys[i].priv, kp.priv, sizeof(keys[i].priv));
		k = wa_node_add_child(list, "key");
		add_id3(k, keys[i].id);
		add_bytes(k, "value", kp.pub, WA_KEY_LEN);
	}
	wa_memzero(&kp, sizeof(kp));
	sk = wa_node_add_child(n, "skey");
	add_id3(sk, cr->signed_pre_key_id);
	add_bytes(sk, "value", cr->signed_pre_key.pub, WA_KEY_LEN);
	add_bytes(sk, "signature", cr->signed_pre_key_sig, WA_SIG_LEN);
	if (i > 0 && c->cb != NULL && c->cb->prekeys_new != NULL &&
	    c->cb->prekeys_new(c, c->user, keys, (size_t)i) == -1) {
		cl_wlog(c, LOG_LEVEL_WARN, "pre-keys %u..%u not stored: not "
		    "uploading them", first, first + (uint32_t)i - 1);
		stored = 0;
	}
	wa_memzero(keys, (size_t)want * sizeof(*keys));
	free(keys);
	cr->next_prekey_id = first + (uint32_t)i;
	cl_creds_changed(c);
	if (c->free_pending || c->conn == NULL || i == 0 || !stored) {
		wa_node_free(n);
		if (phase == PK_LOGIN_UPLOAD && !c->free_pending)
			active_send(c);
		return;
	}
	memcpy(c->prekey_iq, id, sizeof(id));
	cl_wlog(c, LOG_LEVEL_DEBUG, "uploading pre-keys %u..%u", first,
	    first + (uint32_t)i - 1);
	c->pk_first = first;
	c->pk_n = (uint32_t)i;
	if (cl_send_free(c, n) == 0)
		c->pk_phase = phase;
}

/*
 * The answer to the count after <success> (whatsmeow
 * handleConnectSuccess): upload when the server or our store holds
 * fewer than PREKEY_MIN, the initial 812 only when both hold none;
 * then the active IQ (also when the count was refused).
 */
static void
prekey_count(struct wa_client *c, const struct wa_node *iq)
{
	const struct wa_node	*cnt;
	uint32_t		 db = c->creds->prekeys_uploaded;
	int			 have;

	cnt = wa_node_child(iq, "count");
	if (!cl_attr_is(iq, "type", "result") || cnt == NULL ||
	    wa_node_attr(cnt, "value") == NULL) {
		cl_wlog(c, LOG_LEVEL_WARN, "pre-key count refused");
		active_send(c);
		return;
	}
	have = cl_attr_int(cnt, "value");
	cl_wlog(c, LOG_LEVEL_DEBUG, "store has %u pre-keys, server %d", db,
	    have);
	if (have < PREKEY_MIN || db < PREKEY_MIN)
		prekey_upload(c, db == 0 && have == 0 ? PREKEY_INITIAL :
		    PREKEY_BATCH, PK_LOGIN_UPLOAD);
	else
		active_send(c);
}

/* The answer to an upload: count the keys as uploaded on success. */
static void
prekey_uploaded(struct wa_client *c, const struct wa_node *iq)
{

	if (!cl_attr_is(iq, "type", "result")) {
		cl_wlog(c, LOG_LEVEL_WARN, "pre-key upload refused");
		return;
	}
	c->creds->prekeys_uploaded = c->creds->prekeys_uploaded + c->pk_n >
	    PREKEY_ID_MAX ? PREKEY_ID_MAX : c->creds->prekeys_uploaded +
	    c->pk_n;
	c->pk_last_upload = lws_now_usecs();
	cl_creds_changed(c);
}

/* The answer to a pre-key count or upload, by what we asked. */
void
cl_prekey_answer(struct wa_client *c, const struct wa_node *n)
{
	enum pk_phase	 phase = c->pk_phase;

	c->prekey_iq[0] = '\0';
	c->pk_phase = PK_NONE;
	switch (phase) {
	case PK_LOGIN_COUNT:
		prekey_count(c, n);
		break;
	case PK_LOGIN_UPLOAD:
		prekey_uploaded(c, n);
		if (!c->free_pending)
			active_send(c);
		break;
	case PK_TOPUP_COUNT:
		/* whatsmeow uploadPreKeys: a second upload within 10
		 * minutes is likely a race; cancel it if the server
		 * already holds a batch. */
		if (cl_attr_is(n, "type", "result") &&
		    wa_node_child(n, "count") != NULL &&
		    cl_attr_int(wa_node_child(n, "count"), "value") >=
		    PREKEY_BATCH)
			cl_wlog(c, LOG_LEVEL_DEBUG, "pre-key upload cancelled: "
			    "the server has enough");
		else
			prekey_upload(c, PREKEY_BATCH, PK_TOPUP_UPLOAD);
		break;
	case PK_TOPUP_UPLOAD:
		prekey_uploaded(c, n);
		break;
	default:
		break;
	}
}

/*
 * <notification type=encrypt from=s.whatsapp.net><count value=N/>
 * (whatsmeow notification.go handleEncryptNotification): below
 * PREKEY_MIN, upload a batch of PREKEY_BATCH (never the initial 812);
 * within 10 minutes of the last upload, recount first and upload only
 * if the server still has fewer than PREKEY_BATCH (uploadPreKeys' race
 * guard).  One exchange at a time: a count notification while one is
 * in flight is ignored.
 */
void
cl_prekey_notification(struct wa_client *c, const struct wa_node *n)
{
	const struct wa_node	*cnt;
	struct wa_node		*iq;

	if (!cl_from_server(n) || (cnt = wa_node_child(n, "count")) == NULL)
		return;
	if (wa_node_attr(cnt, "value") == NULL) {
		cl_wlog(c, LOG_LEVEL_WARN, "encrypt notification without "
		    "a count");
		return;
	}
	cl_wlog(c, LOG_LEVEL_INFO, "server has %d pre-keys left",
	    cl_attr_int(cnt, "value"));
	if (cl_attr_int(cnt, "value") >= PREKEY_MIN ||
	    c->state != WA_STATE_CONNECTED || c->pk_phase != PK_NONE)
		return;
	if (c->pk_last_upload != 0 &&
	    lws_now_usecs() - c->pk_last_upload < PREKEY_RACE_US) {
		iq = cl_iq_new(c, c->prekey_iq, "get", "encrypt");
		(void)wa_node_add_child(iq, "count");
		if (cl_send_free(c, iq) == 0)
			c->pk_phase = PK_TOPUP_COUNT;
		return;
	}
	prekey_upload(c, PREKEY_BATCH, PK_TOPUP_UPLOAD);
}

/*
 * <ib> from the server (whatsmeow connectionevents.go handleIB):
 * offline_preview is logged, offline (the backlog is delivered) is
 * reported up, downgrade_webclient (a phone without multi-device
 * scanned the QR) is logged as a warning; dirty is not answered, as
 * whatsmeow's MarkNotDirty call there is disabled.
 */
void
cl_ib_handle(struct wa_client *c, const struct wa_node *n)
{
	const struct wa_node	*ch;
	size_t			 i;

	if (n->content != WA_CONTENT_CHILDREN)
		return;
	for (i = 0; i < n->nchildren; i++) {
		ch = n->children[i];
		if (strcmp(ch->tag, "offline_preview") == 0)
			cl_wlog(c, LOG_LEVEL_INFO, "offline backlog: %d "
			    "stanzas (%d messages, %d notifications, %d "
			    "receipts, %d app data)", cl_attr_int(ch, "count"),
			    cl_attr_int(ch, "message"),
			    cl_attr_int(ch, "notification"),
			    cl_attr_int(ch, "receipt"),
			    cl_attr_int(ch, "appdata"));
		else if (strcmp(ch->tag, "offline") == 0) {
			cl_wlog(c, LOG_LEVEL_INFO, "offline backlog delivered "
			    "(%d)", cl_attr_int(ch, "count"));
			if (c->cb != NULL && c->cb->offline != NULL)
				c->cb->offline(c, c->user,
				    cl_attr_int(ch, "count"));
			if (c->free_pending || c->conn == NULL)
				return;
		} else if (strcmp(ch->tag, "downgrade_webclient") == 0)
			cl_wlog(c, LOG_LEVEL_WARN, "the QR was scanned by a "
			    "phone without multi-device support");
		else if (strcmp(ch->tag, "dirty") == 0)
			cl_wlog(c, LOG_LEVEL_DEBUG, "dirty bit %s",
			    wa_node_attr(ch, "type") != NULL ?
			    wa_node_attr(ch, "type") : "?");
	}
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
 * <stream:error code=N><conflict type=T/></stream:error> (spec 8.4,
 * whatsmeow connectionevents.go handleStreamError): 515 restart; a
 * logout only for 401 *with* conflict device_removed (or the 401 that
 * answers our own logout); replaced 440 (Baileys' number for it); 5xx
 * server error.  Any other 401 is a plain stream error: the caller
 * reconnects with back-off and keeps the credentials.
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
	} else if (code == 401 && ((type != NULL &&
	    strcmp(type, "device_removed") == 0) || c->logout_sent))
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
