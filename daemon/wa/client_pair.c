/*
 * Pairing (spec 6 and 7, whatsmeow pair.go and pair-code.go): the
 * pair-device refs shown as rotating QR strings, pair-success verified
 * and answered with pair-device-sign, the phone-number code exchange
 * (companion_hello, primary_hello, companion_finish), and the 515
 * restart into login.  Shared state and helpers: client_int.h.
 */
#include "client_int.h"

/* sul_qr: show the next ref, or end when they ran out (spec 6.4). */
static void
qr_next(lws_sorted_usec_list_t *sul)
{
	struct wa_client	*c = lws_container_of(sul, struct wa_client,
				    sul_qr);
	unsigned int		 dur;
	char			*qr;
	size_t			 i;

	cl_enter(c);
	if (c->state != WA_STATE_PAIRING || c->paired_now)
		goto out;
	if (c->qr_shown >= c->nrefs) {
		/*
		 * whatsmeow's QR channel and Baileys both give up here;
		 * a pending pairing code keeps the socket (spec 7.3
		 * "Timing", pitfall 6), the caller's window decides.
		 */
		if (c->code_state == CODE_NONE)
			cl_client_end(c, WA_REASON_QR_EXHAUSTED, 0, 0, 0);
		goto out;
	}
	i = c->qr_shown++;
	dur = i == 0 ? c->qr_first_ms : c->qr_next_ms;
	qr = wa_qr_string((const uint8_t *)c->refs[i], c->ref_len[i],
	    c->creds->noise_key.pub, c->creds->identity_key.pub,
	    c->creds->adv_secret, WA_QR_PLATFORM_WEB);
	if (qr == NULL) {
		cl_client_end(c, WA_REASON_PROTOCOL, 0, 0, 0);
		goto out;
	}
	lws_sul_schedule(c->lws, 0, &c->sul_qr, qr_next, cl_ms(dur));
	cl_wlog(c, LOG_LEVEL_DEBUG, "QR %zu of %zu", i + 1, c->nrefs);
	if (c->cb != NULL && c->cb->qr != NULL)
		c->cb->qr(c, c->user, qr, (int)i + 1,
		    time(NULL) + (time_t)((dur + 999) / 1000));
	wa_memzero(qr, strlen(qr));
	free(qr);
out:
	cl_leave(c);
}

static void	code_hello_send(struct wa_client *);

/*
 * <iq type=set><pair-device><ref>..</ref>x6</pair-device></iq>: ack at
 * once, keep the refs, show the first (spec 6.2, 6.4); then ask for a
 * pairing code if that is what we are here for (spec 7: after the
 * first pair-device, as whatsmeow advises).
 */
void
cl_pair_device(struct wa_client *c, const struct wa_node *iq,
    const struct wa_node *pd)
{
	const struct wa_node	*r;
	size_t			 i;

	if (cl_send_free(c, cl_iq_result(wa_node_attr(iq, "id"),
	    wa_node_attr(iq, "from"))) == -1)
		return;
	if (c->mode != MODE_PAIR || c->paired_now)
		return;
	cl_refs_free(c);
	for (i = 0; pd->content == WA_CONTENT_CHILDREN &&
	    i < pd->nchildren && c->nrefs < QR_REFS_MAX; i++) {
		r = pd->children[i];
		if (strcmp(r->tag, "ref") != 0 || !cl_has_bytes(r, 0) ||
		    r->nbytes > WA_QR_REF_MAX)
			continue;	/* whatsmeow skips these */
		c->refs[c->nrefs] = xmalloc(r->nbytes + 1);
		memcpy(c->refs[c->nrefs], r->bytes, r->nbytes);
		c->refs[c->nrefs][r->nbytes] = '\0';
		c->ref_len[c->nrefs++] = r->nbytes;
	}
	if (c->nrefs == 0) {
		cl_wlog(c, LOG_LEVEL_WARN, "pair-device without usable refs");
		cl_client_end(c, WA_REASON_PROTOCOL, 0, 0, 0);
		return;
	}
	lws_sul_schedule(c->lws, 0, &c->sul_qr, qr_next, 1);
	if (c->use_code && c->code_state == CODE_NONE)
		code_hello_send(c);
}

/* Reply to a bad pair-success and give up on this pairing. */
static void
pair_refuse(struct wa_client *c, const struct wa_node *iq,
    enum wa_pair_err err)
{
	int	 code = wa_pair_err_code(err);

	cl_wlog(c, LOG_LEVEL_WARN, "pair-success refused: %s",
	    wa_pair_err_text(err));
	if (cl_send_free(c, cl_iq_error(wa_node_attr(iq, "id"),
	    wa_node_attr(iq, "from"), code, wa_pair_err_text(err))) == 0)
		cl_client_end(c, WA_REASON_PAIR_FAILED, code, 0, 0);
}

/* Report the pairing and its credentials to the caller. */
static void
paired_report(struct wa_client *c)
{
	struct wa_paired	 p;
	uint8_t			 blob[WA_CREDS_ENC_MAX];
	size_t			 len;
	char			*phone;

	if (c->cb == NULL || c->cb->paired == NULL)
		return;
	if (cl_creds_blob(c, blob, &len) == -1)
		return;
	phone = cl_jid_phone(c->creds->jid);
	memset(&p, 0, sizeof(p));
	p.jid = c->creds->jid;
	p.lid = c->creds->lid[0] != '\0' ? c->creds->lid : NULL;
	p.phone = phone;
	p.platform = c->creds->platform[0] != '\0' ?
	    c->creds->platform : NULL;
	p.business_name = c->creds->business_name[0] != '\0' ?
	    c->creds->business_name : NULL;
	p.creds = blob;
	p.creds_len = len;
	c->cb->paired(c, c->user, &p);
	wa_memzero(blob, sizeof(blob));
	free(phone);
}

/*
 * <iq type=set><pair-success>: verify it against our ADV secret and
 * identity (pair.h), record the account, let the caller persist the
 * credentials, then send pair-device-sign (spec 6.5 steps 1-9).
 */
void
cl_pair_success(struct wa_client *c, const struct wa_node *iq,
    const struct wa_node *ps)
{
	const struct wa_node	*di, *dev, *pl, *biz;
	struct wa_pair_result	 res;
	struct wa_node		*r, *s, *d;
	enum wa_pair_err	 err;
	const char		*jid;

	if (c->mode != MODE_PAIR || c->paired_now) {
		cl_wlog(c, LOG_LEVEL_WARN, "unexpected pair-success");
		return;
	}
	di = wa_node_child(ps, "device-identity");
	dev = wa_node_child(ps, "device");
	pl = wa_node_child(ps, "platform");
	biz = wa_node_child(ps, "biz");
	jid = dev != NULL ? wa_node_attr(dev, "jid") : NULL;
	if (!cl_has_bytes(di, 0) || jid == NULL) {
		pair_refuse(c, iq, WA_PAIR_MALFORMED);
		return;
	}
	err = wa_pair_success_verify(di->bytes, di->nbytes,
	    c->creds->adv_secret, &c->creds->identity_key, &res);
	if (err != WA_PAIR_OK) {
		pair_refuse(c, iq, err);
		return;
	}
	if (wa_creds_set_account(c->creds, jid, wa_node_attr(dev, "lid"),
	    pl != NULL ? wa_node_attr(pl, "name") : NULL,
	    biz != NULL ? wa_node_attr(biz, "name") : NULL,
	    res.account, res.account_len, res.account_sig_key) == -1) {
		wa_memzero(&res, sizeof(res));
		pair_refuse(c, iq, WA_PAIR_INTERNAL);
		return;
	}
	lws_sul_cancel(&c->sul_qr);
	c->paired_now = 1;
	cl_wlog(c, LOG_LEVEL_INFO, "paired as %s", c->creds->jid);
	/* Persist before replying (spec 6.5 step 9, whatsmeow). */
	paired_report(c);
	if (c->free_pending || c->state != WA_STATE_PAIRING) {
		wa_memzero(&res, sizeof(res));
		return;
	}
	r = cl_iq_result(wa_node_attr(iq, "id"), wa_node_attr(iq, "from"));
	s = wa_node_add_child(r, "pair-device-sign");
	d = wa_node_add_child(s, "device-identity");
	wa_node_set_attrf(d, "key-index", "%u", res.key_index);
	wa_node_set_bytes(d, res.reply, res.reply_len);
	wa_memzero(&res, sizeof(res));
	/* whatsmeow pair.go: sendUnifiedSession once paired. */
	if (cl_send_free(c, r) == 0)
		cl_unified_session_send(c);
}

/* 515 after pair-device-sign: reconnect and log in (spec 6.5 step 9). */
void
cl_restart_login(struct wa_client *c)
{

	cl_wlog(c, LOG_LEVEL_INFO, "restart required after pairing; logging in");
	cl_conn_reset(c);
	c->mode = MODE_LOGIN;
	c->state = WA_STATE_CONNECTING;
	lws_sul_schedule(c->lws, 0, &c->sul_open, cl_conn_start, 1);
}

/* The platform id that matches the display's browser (spec 6.3, 7.2). */
void
cl_platform_id_set(struct wa_client *c)
{
	static const struct {
		const char	*browser;
		const char	*id;
	} ids[] = {
		{ "Chrome", "1" }, { "Edge", "2" }, { "Firefox", "3" },
		{ "IE", "4" }, { "Opera", "5" }, { "Safari", "6" },
		{ "Electron", "7" }, { "Desktop", "7" },
	};
	size_t	 i, n;

	snprintf(c->platform_id, sizeof(c->platform_id), "%s",
	    WA_QR_PLATFORM_WEB);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		n = strlen(ids[i].browser);
		if (strncmp(c->platform_display, ids[i].browser, n) == 0 &&
		    c->platform_display[n] == ' ') {
			snprintf(c->platform_id, sizeof(c->platform_id), "%s",
			    ids[i].id);
			break;
		}
	}
}

/*
 * companion_hello (spec 7.1-7.2, whatsmeow pair-code.go PairPhone): a
 * fresh code and ephemeral key, the key wrapped with the code.
 */
static void
code_hello_send(struct wa_client *c)
{
	uint8_t		 wrapped[WA_PAIRCODE_WRAPPED_LEN];
	uint8_t		 nonce = 0;
	struct wa_node	*n, *r, *x;

	if (wa_paircode_generate(c->code) == -1 ||
	    wa_keypair_generate(&c->code_eph) == -1 ||
	    wa_paircode_wrap(c->code, c->code_eph.pub, wrapped) == -1) {
		cl_client_end(c, WA_REASON_PAIR_FAILED, 0, 0, 0);
		return;
	}
	n = cl_iq_new(c, c->code_iq, "set", "md");
	r = wa_node_add_child(n, "link_code_companion_reg");
	wa_node_set_attrf(r, "jid", "%s%s", c->phone, SERVER_JID);
	wa_node_set_attr(r, "stage", "companion_hello");
	wa_node_set_attr(r, "should_show_push_notification", "true");
	x = wa_node_add_child(r,
	    "link_code_pairing_wrapped_companion_ephemeral_pub");
	wa_node_set_bytes(x, wrapped, sizeof(wrapped));
	x = wa_node_add_child(r, "companion_server_auth_key_pub");
	wa_node_set_bytes(x, c->creds->noise_key.pub, WA_KEY_LEN);
	x = wa_node_add_child(r, "companion_platform_id");
	wa_node_set_text(x, c->platform_id);
	x = wa_node_add_child(r, "companion_platform_display");
	wa_node_set_text(x, c->platform_display);
	x = wa_node_add_child(r, "link_code_pairing_nonce");
	wa_node_set_bytes(x, &nonce, 1);	/* whatsmeow: one 00 byte */
	if (cl_send_free(c, n) == 0)
		c->code_state = CODE_HELLO_SENT;
}

/* The result of companion_hello: keep the ref, show the code. */
void
cl_code_hello_result(struct wa_client *c, const struct wa_node *iq)
{
	const struct wa_node	*reg, *ref;
	char			 disp[WA_PAIRCODE_LEN + 2];

	c->code_iq[0] = '\0';
	reg = wa_node_child(iq, "link_code_companion_reg");
	ref = reg != NULL ? wa_node_child(reg, "link_code_pairing_ref") :
	    NULL;
	if (!cl_attr_is(iq, "type", "result") || !cl_has_bytes(ref, 0) ||
	    ref->nbytes > WA_QR_REF_MAX) {
		const struct wa_node *e = wa_node_child(iq, "error");

		cl_wlog(c, LOG_LEVEL_WARN, "pairing code request refused "
		    "(%d)", e != NULL ? cl_attr_int(e, "code") : 0);
		cl_client_end(c, WA_REASON_PAIR_FAILED,
		    e != NULL ? cl_attr_int(e, "code") : 0, 0, 0);
		return;
	}
	c->code_ref = xmalloc(ref->nbytes);
	memcpy(c->code_ref, ref->bytes, ref->nbytes);
	c->code_ref_len = ref->nbytes;
	c->code_state = CODE_WAITING;
	if (wa_paircode_display(c->code, disp) == -1) {
		cl_client_end(c, WA_REASON_PAIR_FAILED, 0, 0, 0);
		return;
	}
	if (c->cb != NULL && c->cb->pair_code != NULL)
		c->cb->pair_code(c, c->user, disp);
}

/*
 * <notification type=link_code_companion_reg> with stage primary_hello
 * (spec 7.3): check the ref, derive the new ADV secret, send
 * companion_finish.  The pair-success that follows is verified with it.
 */
void
cl_code_primary_hello(struct wa_client *c, const struct wa_node *n)
{
	const struct wa_node		*reg, *ref, *wr, *pid;
	struct wa_paircode_finish	 fin;
	struct wa_node			*iq, *r, *x;
	char				 id[IQ_ID_LEN];

	reg = wa_node_child(n, "link_code_companion_reg");
	if (reg == NULL || c->code_state != CODE_WAITING)
		return;
	ref = wa_node_child(reg, "link_code_pairing_ref");
	wr = wa_node_child(reg,
	    "link_code_pairing_wrapped_primary_ephemeral_pub");
	pid = wa_node_child(reg, "primary_identity_pub");
	if (!cl_has_bytes(ref, c->code_ref_len) ||
	    memcmp(ref->bytes, c->code_ref, c->code_ref_len) != 0) {
		cl_wlog(c, LOG_LEVEL_WARN, "primary_hello for another ref");
		return;
	}
	if (!cl_has_bytes(wr, 0) || wr->nbytes < WA_PAIRCODE_WRAPPED_LEN ||
	    !cl_has_bytes(pid, WA_KEY_LEN)) {
		cl_wlog(c, LOG_LEVEL_WARN, "malformed primary_hello");
		cl_client_end(c, WA_REASON_PAIR_FAILED, 0, 0, 0);
		return;
	}
	if (wa_paircode_finish(c->code, &c->code_eph, &c->creds->identity_key,
	    wr->bytes, wr->nbytes, pid->bytes, &fin) == -1) {
		cl_client_end(c, WA_REASON_PAIR_FAILED, 0, 0, 0);
		return;
	}
	memcpy(c->creds->adv_secret, fin.adv_secret, WA_ADV_SECRET_LEN);
	iq = cl_iq_new(c, id, "set", "md");
	r = wa_node_add_child(iq, "link_code_companion_reg");
	wa_node_set_attrf(r, "jid", "%s%s", c->phone, SERVER_JID);
	wa_node_set_attr(r, "stage", "companion_finish");
	x = wa_node_add_child(r, "link_code_pairing_wrapped_key_bundle");
	wa_node_set_bytes(x, fin.bundle, sizeof(fin.bundle));
	x = wa_node_add_child(r, "companion_identity_public");
	wa_node_set_bytes(x, c->creds->identity_key.pub, WA_KEY_LEN);
	x = wa_node_add_child(r, "link_code_pairing_ref");
	wa_node_set_bytes(x, c->code_ref, c->code_ref_len);
	wa_memzero(&fin, sizeof(fin));
	if (cl_send_free(c, iq) == 0)
		c->code_state = CODE_FINISH_SENT;
}

/* Begin a registration attempt with fresh credentials. */
static int
pair_begin(struct wa_client *c)
{

	if ((c->creds = wa_creds_new()) == NULL)
		return -1;
	if (wa_creds_generate(c->creds) == -1) {
		wa_creds_free(c->creds);
		c->creds = NULL;
		return -1;
	}
	c->mode = MODE_PAIR;
	c->state = WA_STATE_CONNECTING;
	lws_sul_schedule(c->lws, 0, &c->sul_open, cl_conn_start, 1);
	return 0;
}

/* QR pairing; see wa.h.  0, or -1 (logged). */
int
wa_client_start_pair(struct wa_client *c)
{

	if (cl_start_check(c, __func__) == -1)
		return -1;
	return pair_begin(c);
}

/*
 * Pairing by code for "phone" (digits only, 7..15 of them, no leading
 * 0: whatsmeow pair-code.go refuses <= 6 digits and a leading 0; E.164
 * allows at most 15).  0, or -1 (logged).
 */
int
wa_client_start_pair_code(struct wa_client *c, const char *phone)
{
	size_t	 i, n;

	if (cl_start_check(c, __func__) == -1)
		return -1;
	n = phone != NULL ? strlen(phone) : 0;
	for (i = 0; i < n; i++)
		if (phone[i] < '0' || phone[i] > '9')
			break;
	if (n < 7 || n > 15 || i != n || phone[0] == '0') {
		log_warnx("%s: phone number must be 7-15 digits, no "
		    "leading 0", __func__);
		return -1;
	}
	if (pair_begin(c) == -1)
		return -1;
	memcpy(c->phone, phone, n + 1);
	c->use_code = 1;
	return 0;
}
