/*
 * The WhatsApp companion protocol state machine behind wa.h.  One
 * struct wa_client drives at most one connection (conn.c) at a time:
 * Noise handshake (noise.h) with a registration or login ClientPayload
 * (payload.h), then binary nodes (binary.h) over the transport cipher.
 * Pairing by QR (spec 6) and by phone-number code (spec 7), the 515
 * restart into login, <success> and the active IQ (spec 8.1-8.2),
 * keepalive (8.3), stream errors and failures (8.4-8.5), acks (8.7)
 * and logout (8.9).  Everything runs from lws callbacks and lws_sul
 * timers on the caller's context; nothing here is global.
 *
 * Events up are made only from lws callbacks or timers, never from
 * inside a call down; the end of a connection is always reported from
 * a zero-delay timer (sul_end) so a caller that stops a client from
 * inside one of our callbacks sees a consistent order.
 */
#include "client_int.h"

static const char *const reason_names[WA_REASON__MAX] = {
	"none",			/* WA_REASON_NONE */
	"stopped",		/* WA_REASON_STOPPED */
	"restart_required",	/* WA_REASON_RESTART_REQUIRED */
	"logged_out",		/* WA_REASON_LOGGED_OUT */
	"banned",		/* WA_REASON_BANNED */
	"replaced",		/* WA_REASON_REPLACED */
	"outdated",		/* WA_REASON_OUTDATED */
	"server_error",		/* WA_REASON_SERVER_ERROR */
	"qr_exhausted",		/* WA_REASON_QR_EXHAUSTED */
	"pair_failed",		/* WA_REASON_PAIR_FAILED */
	"bad_cert",		/* WA_REASON_BAD_CERT */
	"protocol",		/* WA_REASON_PROTOCOL */
	"timeout",		/* WA_REASON_TIMEOUT */
	"connect_failed",	/* WA_REASON_CONNECT_FAILED */
	"connection_lost",	/* WA_REASON_CONNECTION_LOST */
	"unknown",		/* WA_REASON_UNKNOWN */
	"proxy_refused",	/* WA_REASON_PROXY_REFUSED */
	"proxy_unreachable",	/* WA_REASON_PROXY_UNREACHABLE */
	"proxy_unsupported",	/* WA_REASON_PROXY_UNSUPPORTED */
	"proxy_unreadable",	/* WA_REASON_PROXY_UNREADABLE */
};

static const char *const state_names[WA_STATE__MAX] = {
	"idle",			/* WA_STATE_IDLE */
	"connecting",		/* WA_STATE_CONNECTING */
	"pairing",		/* WA_STATE_PAIRING */
	"logging_in",		/* WA_STATE_LOGGING_IN */
	"connected",		/* WA_STATE_CONNECTED */
	"closing",		/* WA_STATE_CLOSING */
};

static void	client_destroy(struct wa_client *);
static void	on_open(void *);
static void	on_end(void *, enum wa_conn_end, const char *);
static void	cause_set(struct wa_client *, enum wa_conn_end, const char *);
static enum wa_reason end_reason(enum wa_conn_end);

static const struct wa_conn_cbs	 client_conn_cbs = {
	on_open, cl_on_frame, on_end
};

/*
 * Stable name of a close reason ("logged_out", ...); "invalid" for a
 * value out of range.  Static storage.
 */
const char *
wa_reason_name(enum wa_reason reason)
{

	if ((unsigned int)reason >= WA_REASON__MAX)
		return "invalid";
	return reason_names[reason];
}

/* Stable name of a client state; "invalid" out of range. */
const char *
wa_state_name(enum wa_state state)
{

	if ((unsigned int)state >= WA_STATE__MAX)
		return "invalid";
	return state_names[state];
}

/*
 * Log through the caller's hook (one escaped line) or lib/log.h.
 */
void __attribute__((format(printf, 3, 4)))
cl_wlog(struct wa_client *c, enum log_level level, const char *fmt, ...)
{
	va_list	 ap;
	char	 line[512];
	size_t	 i;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (c->cb == NULL || c->cb->log == NULL || c->free_pending) {
		switch (level) {
		case LOG_LEVEL_ERROR:
		case LOG_LEVEL_WARN:
			log_warnx("%s", line);
			break;
		case LOG_LEVEL_INFO:
			log_info("%s", line);
			break;
		default:
			log_debug("%s", line);
			break;
		}
		return;
	}
	for (i = 0; line[i] != '\0'; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	c->depth++;
	c->cb->log(c, c->user, level, line);
	c->depth--;
}

/* Enter/leave one of our lws callbacks; a deferred free runs at the end. */
void
cl_enter(struct wa_client *c)
{

	c->depth++;
}

void
cl_leave(struct wa_client *c)
{

	if (--c->depth == 0 && c->free_pending)
		client_destroy(c);
}

/* Microseconds from a millisecond setting. */
lws_usec_t
cl_ms(unsigned int v)
{

	return (lws_usec_t)v * LWS_US_PER_MS;
}

/* A fresh IQ id, "<r0>.<r1>-<n>" like whatsmeow's (spec 8.3). */
static void
iq_id(struct wa_client *c, char id[IQ_ID_LEN])
{

	snprintf(id, IQ_ID_LEN, "%u.%u-%u", c->id_rand[0], c->id_rand[1],
	    ++c->id_count);
}

/*
 * Done with out or scratch until the next frame: keep an allocation of
 * up to BUF_KEEP bytes for reuse, free a larger one.  A single large
 * frame (the 812 pre-keys uploaded after <success>, over 32 KB) would
 * otherwise pin its high-water mark, 64 KiB in each buffer, for the
 * life of an idle connection.
 */
static void
buf_done(struct buf *b)
{

	if (b->cap > BUF_KEEP)
		buf_free(b);
	else
		buf_reset(b);
}

/*
 * Encode, encrypt and queue one node.  Returns 0, or -1 (logged) and
 * the connection is then ended with WA_REASON_PROTOCOL by the caller.
 */
static int
send_node(struct wa_client *c, const struct wa_node *n)
{
	int	 rc = -1;

	if (c->conn == NULL || !c->hs_done)
		return -1;
	buf_reset(&c->out);
	buf_reset(&c->scratch);
	if (wa_frame_pack(n, &c->out) == -1)
		goto out;
	if (wa_noise_transport_encrypt(&c->tr, (const uint8_t *)c->out.data,
	    c->out.len, &c->scratch) == -1)
		goto out;
	if (wa_conn_send(c->conn, c->scratch.data, c->scratch.len) == -1)
		goto out;
	rc = 0;
out:
	wa_memzero(c->out.data, c->out.len);
	buf_done(&c->out);
	buf_done(&c->scratch);
	return rc;
}

/* As send_node(), then free n; on failure end the connection. */
int
cl_send_free(struct wa_client *c, struct wa_node *n)
{
	int	 rc;

	rc = send_node(c, n);
	wa_node_free(n);
	if (rc == -1)
		cl_client_end(c, WA_REASON_PROTOCOL, 0, 0, 0);
	return rc;
}

/* A new <iq> to the server: id (filled), type, xmlns (may be NULL). */
struct wa_node *
cl_iq_new(struct wa_client *c, char id[IQ_ID_LEN], const char *type,
    const char *xmlns)
{
	struct wa_node	*n;

	iq_id(c, id);
	n = wa_node_new("iq");
	wa_node_set_attr(n, "id", id);
	wa_node_set_attr(n, "to", SERVER_JID);
	wa_node_set_attr(n, "type", type);
	if (xmlns != NULL)
		wa_node_set_attr(n, "xmlns", xmlns);
	return n;
}

/* Reply <iq to=from type=result id=id/> (spec 6.2). */
struct wa_node *
cl_iq_result(const char *id, const char *from)
{
	struct wa_node	*n;

	n = wa_node_new("iq");
	wa_node_set_attr(n, "to", from != NULL ? from : SERVER_JID);
	wa_node_set_attr(n, "type", "result");
	wa_node_set_attr(n, "id", id);
	return n;
}

/* Reply <iq type=error><error code text/></iq> (spec 6.5 step 8). */
struct wa_node *
cl_iq_error(const char *id, const char *from, int code, const char *text)
{
	struct wa_node	*n, *e;

	n = cl_iq_result(id, from);
	wa_node_set_attr(n, "type", "error");
	e = wa_node_add_child(n, "error");
	wa_node_set_attrf(e, "code", "%d", code);
	wa_node_set_attr(e, "text", text);
	return n;
}

/* Cancel every timer except sul_end. */
static void
timers_cancel(struct wa_client *c)
{

	lws_sul_cancel(&c->sul_open);
	lws_sul_cancel(&c->sul_hs);
	lws_sul_cancel(&c->sul_qr);
	lws_sul_cancel(&c->sul_ka);
	lws_sul_cancel(&c->sul_ka_to);
	lws_sul_cancel(&c->sul_logout);
}

void
cl_refs_free(struct wa_client *c)
{
	size_t	 i;

	for (i = 0; i < c->nrefs; i++) {
		wa_memzero(c->refs[i], c->ref_len[i]);
		free(c->refs[i]);
		c->refs[i] = NULL;
	}
	c->nrefs = 0;
	c->qr_shown = 0;
}

/*
 * Drop the connection and everything that belongs to one connection;
 * keeps the credentials and the attempt's mode.
 */
void
cl_conn_reset(struct wa_client *c)
{

	timers_cancel(c);
	cl_send_conn_reset(c);
	wa_conn_close(c->conn);
	c->conn = NULL;
	wa_handshake_clear(&c->hs);
	wa_noise_transport_clear(&c->tr);
	c->hs_done = 0;
	c->got_node = 0;
	c->last_frame = 0;
	buf_free(&c->scratch);
	buf_free(&c->out);
	cl_refs_free(c);
	c->paired_now = 0;
	c->active_iq[0] = c->ka_iq[0] = c->logout_iq[0] = '\0';
	c->prekey_iq[0] = c->groups_iq[0] = '\0';
	c->pk_phase = PK_NONE;
	c->pk_first = c->pk_n = 0;
	c->pk_last_upload = 0;
	c->logout_sent = 0;
}

/* Forget the attempt: connection, pairing state, credentials. */
static void
attempt_reset(struct wa_client *c)
{

	cl_conn_reset(c);
	wa_creds_free(c->creds);
	c->creds = NULL;
	c->mode = MODE_NONE;
	c->use_code = 0;
	c->phone[0] = '\0';
	c->code_state = CODE_NONE;
	wa_memzero(c->code, sizeof(c->code));
	wa_memzero(&c->code_eph, sizeof(c->code_eph));
	free(c->code_ref);
	c->code_ref = NULL;
	c->code_ref_len = 0;
	c->code_iq[0] = '\0';
	c->logout_wanted = 0;
	free(c->push_name);
	c->push_name = NULL;
	c->server_time = 0;
}

/* sul_end: report the end recorded by cl_client_end(). */
static void
end_report(lws_sorted_usec_list_t *sul)
{
	struct wa_client	*c = lws_container_of(sul, struct wa_client,
				    sul_end);
	enum wa_reason		 reason = c->end_reason;
	int			 code = c->end_code;
	int			 intentional = c->end_intentional;
	int			 logged_out = c->end_logged_out;

	cl_enter(c);
	attempt_reset(c);
	c->end_reason = WA_REASON_NONE;
	cl_wlog(c, LOG_LEVEL_INFO, "closed: %s (code %d)%s",
	    wa_reason_name(reason), code, intentional ? ", intentional" : "");
	/* Still CLOSING here: a new attempt only from closed. */
	if (logged_out && c->cb != NULL && c->cb->logged_out != NULL &&
	    !c->free_pending)
		c->cb->logged_out(c, c->user, reason, code);
	c->state = WA_STATE_IDLE;
	if (c->cb != NULL && c->cb->closed != NULL && !c->free_pending)
		c->cb->closed(c, c->user, reason, code, intentional);
	cl_leave(c);
}

/*
 * End the attempt: close the connection now, report logged_out (if
 * logged_out) and closed from the event loop.  Only the first end
 * counts.
 */
void
cl_client_end(struct wa_client *c, enum wa_reason reason, int code,
    int intentional, int logged_out)
{

	if (c->state == WA_STATE_IDLE || c->state == WA_STATE_CLOSING)
		return;
	cl_conn_reset(c);
	c->state = WA_STATE_CLOSING;
	c->end_reason = reason;
	c->end_code = code;
	c->end_intentional = intentional;
	c->end_logged_out = logged_out;
	lws_sul_schedule(c->lws, 0, &c->sul_end, end_report, 1);
}

/* The encoded credentials: out (WA_CREDS_ENC_MAX); 0 or -1 (logged). */
int
cl_creds_blob(struct wa_client *c, uint8_t *out, size_t *len)
{

	return wa_creds_encode(c->creds, out, WA_CREDS_ENC_MAX, len);
}

/* Tell the caller the credentials changed (after a LID or name). */
void
cl_creds_changed(struct wa_client *c)
{
	uint8_t	 blob[WA_CREDS_ENC_MAX];
	size_t	 len;

	if (c->cb == NULL || c->cb->creds_changed == NULL || c->free_pending ||
	    c->creds == NULL)
		return;
	if (cl_creds_blob(c, blob, &len) == -1)
		return;
	c->cb->creds_changed(c, c->user, blob, len);
	wa_memzero(blob, sizeof(blob));
}

/* The phone number: the JID's user up to '.', ':' or '@'. */
char *
cl_jid_phone(const char *jid)
{

	return xstrndup(jid, strcspn(jid, ".:@"));
}

/* sul_hs: no first node within the handshake timeout (spec 1.5). */
static void
hs_timeout(lws_sorted_usec_list_t *sul)
{
	struct wa_client	*c = lws_container_of(sul, struct wa_client,
				    sul_hs);

	cl_enter(c);
	cl_wlog(c, LOG_LEVEL_WARN, "handshake timed out after %u ms",
	    c->hs_timeout_ms);
	cl_client_end(c, WA_REASON_TIMEOUT, 0, 0, 0);
	cl_leave(c);
}

/*
 * sul_open: start a connection for the current mode.  A timer, so that
 * a start_* call or the 515 restart never reports from inside itself.
 */
void
cl_conn_start(lws_sorted_usec_list_t *sul)
{
	struct wa_client	*c = lws_container_of(sul, struct wa_client,
				    sul_open);
	struct wa_conn_cfg	 cfg;
	enum wa_conn_end	 fail;
	char			 err[CAUSE_LEN];

	cl_enter(c);
	memset(&cfg, 0, sizeof(cfg));
	cfg.lws = c->lws;
	cfg.url = c->url;
	cfg.proxy = c->proxy;
	cfg.origin = c->origin;
	cfg.insecure = c->insecure;
	cfg.max_frame = WA_FRAME_RX_MAX_DEFAULT;
	c->state = WA_STATE_CONNECTING;
	c->end_cause[0] = '\0';
	wa_random(c->id_rand, sizeof(c->id_rand));
	c->id_count = 0;
	cl_wlog(c, LOG_LEVEL_DEBUG, "connecting to %s (%s)", c->url,
	    c->mode == MODE_LOGIN ? "login" : "registration");
	cfg.err = err;
	cfg.errlen = sizeof(err);
	err[0] = '\0';
	fail = WA_CONN_END_CONNECT_FAILED;
	cfg.fail = &fail;
	c->conn = wa_conn_open(&cfg, &client_conn_cbs, c);
	if (c->conn == NULL) {
		cause_set(c, fail, err[0] != '\0' ? err :
		    "could not start the connection");
		cl_client_end(c, end_reason(fail), 0, 0, 0);
	}
	else
		lws_sul_schedule(c->lws, 0, &c->sul_hs, hs_timeout,
		    cl_ms(c->hs_timeout_ms));
	cl_leave(c);
}

/* conn.c: the WebSocket is up; send ClientHello (spec 2.3). */
static void
on_open(void *arg)
{
	struct wa_client	*c = arg;

	cl_enter(c);
	wa_handshake_init(&c->hs, c->creds->noise_key.priv, c->root);
	buf_reset(&c->out);
	if (wa_handshake_start(&c->hs, NULL, &c->out) == -1 ||
	    wa_conn_send(c->conn, c->out.data, c->out.len) == -1)
		cl_client_end(c, WA_REASON_PROTOCOL, 0, 0, 0);
	buf_done(&c->out);
	cl_leave(c);
}

/* 1 if s contains any of the NULL-terminated words, ignoring case. */
static int
has_word(const char *s, ...)
{
	va_list		 ap;
	const char	*w;
	int		 hit = 0;

	va_start(ap, s);
	while (!hit && (w = va_arg(ap, const char *)) != NULL)
		hit = strcasestr(s, w) != NULL;
	va_end(ap);
	return hit;
}

/*
 * The operator's words for what conn.c saw (wa.h
 * wa_client_end_cause()): conn.c passes lws's words, sharpened where
 * lws 4.1 is vague ("Unable to connect: Connection refused",
 * "getaddrinfo failed: ...", "TLS certificate verify failed", "HTTP
 * 404 on upgrade", "timed out waiting for the server"); name the cause
 * by its family and keep the host for a lookup failure.
 */
static void
cause_set(struct wa_client *c, enum wa_conn_end why, const char *detail)
{
	const char	*h;
	size_t		 hl;
	int		 status;

	if (detail == NULL)
		detail = "";
	if (why != WA_CONN_END_CONNECT_FAILED) {
		/* conn.c words proxy failures for the operator itself. */
		snprintf(c->end_cause, sizeof(c->end_cause), "%s", detail);
		return;
	}
	/* wa_client_new() checked the scheme: the host follows its
	 * colon and two slashes. */
	h = c->url + strcspn(c->url, ":");
	h = strncmp(h, ":/", 2) == 0 ? h + 3 : c->url;
	hl = strcspn(h, ":/");
	if (has_word(detail, "getaddrinfo", "dns", "resolv", "lookup",
	    "unknown host", NULL))
		snprintf(c->end_cause, sizeof(c->end_cause), "%.*s: name "
		    "lookup failed", (int)(hl > 100 ? 100 : hl), h);
	else if (has_word(detail, "refused", " 111", ":111", NULL))
		snprintf(c->end_cause, sizeof(c->end_cause),
		    "connection refused");
	else if (has_word(detail, "certificate", "verify", "x509", NULL))
		snprintf(c->end_cause, sizeof(c->end_cause),
		    "TLS certificate verify failed");
	else if (has_word(detail, "tls", "ssl", NULL))
		snprintf(c->end_cause, sizeof(c->end_cause),
		    "TLS handshake failed (%s)", detail);
	else if (has_word(detail, "timed out", "timeout", " 110", NULL))
		snprintf(c->end_cause, sizeof(c->end_cause), "timed out");
	else if (sscanf(detail, "HTTP %d", &status) == 1 ||
	    has_word(detail, "upgrade", "not 101", NULL)) {
		if (sscanf(detail, "HTTP %d", &status) == 1)
			snprintf(c->end_cause, sizeof(c->end_cause),
			    "HTTP %d on upgrade", status);
		else
			snprintf(c->end_cause, sizeof(c->end_cause),
			    "HTTP upgrade refused (%s)", detail);
	} else
		snprintf(c->end_cause, sizeof(c->end_cause), "%s", detail);
}

/* The client's reason for a connection that could not be made. */
static enum wa_reason
end_reason(enum wa_conn_end why)
{

	switch (why) {
	case WA_CONN_END_PROXY_REFUSED:
		return WA_REASON_PROXY_REFUSED;
	case WA_CONN_END_PROXY_UNREACHABLE:
		return WA_REASON_PROXY_UNREACHABLE;
	default:
		return WA_REASON_CONNECT_FAILED;
	}
}

/* conn.c: the connection ended under us. */
static void
on_end(void *arg, enum wa_conn_end why, const char *detail)
{
	struct wa_client	*c = arg;

	cl_enter(c);
	c->conn = NULL;		/* conn.c frees it */
	cl_wlog(c, LOG_LEVEL_INFO, "connection ended: %s", detail);
	cause_set(c, why, detail);
	if (c->paired_now) {
		/* Pairing went through; the 515 just got lost. */
		c->paired_now = 0;
		cl_conn_reset(c);
		c->mode = MODE_LOGIN;
		lws_sul_schedule(c->lws, 0, &c->sul_open, cl_conn_start, 1);
	} else if (why == WA_CONN_END_CONNECT_FAILED ||
	    why == WA_CONN_END_PROXY_REFUSED ||
	    why == WA_CONN_END_PROXY_UNREACHABLE)
		cl_client_end(c, end_reason(why), 0, 0, 0);
	else if (why == WA_CONN_END_FRAMING)
		cl_client_end(c, WA_REASON_PROTOCOL, 0, 0, 0);
	else if (c->logout_sent)
		cl_client_end(c, WA_REASON_LOGGED_OUT, 0, 1, 1);
	else
		cl_client_end(c, WA_REASON_CONNECTION_LOST, 0, 0, 0);
	cl_leave(c);
}

/* Map a handshake error to a close reason: certificate or protocol. */
static enum wa_reason
hs_reason(enum wa_hs_err err)
{

	switch (err) {
	case WA_HS_ECERT:
	case WA_HS_EROOTSIG:
	case WA_HS_ELEAFSIG:
	case WA_HS_EISSUER:
	case WA_HS_EEXPIRED:
	case WA_HS_ELEAFKEY:
		return WA_REASON_BAD_CERT;
	default:
		return WA_REASON_PROTOCOL;
	}
}

/*
 * The ClientPayload for this connection (spec 4.5): registration with
 * our keys when unpaired, else login with our phone and device.
 */
static int
payload_build(struct wa_client *c, struct buf *out)
{
	struct wa_payload_cfg	 pc;
	struct wa_creds		*cr = c->creds;

	memset(&pc, 0, sizeof(pc));
	pc.version = c->version;
	pc.os = c->device_name;
	if (!cr->is_paired) {
		pc.registration_id = cr->registration_id;
		pc.identity_pub = cr->identity_key.pub;
		pc.spk_id = cr->signed_pre_key_id;
		pc.spk_pub = cr->signed_pre_key.pub;
		pc.spk_sig = cr->signed_pre_key_sig;
		return wa_payload_registration(&pc, out);
	}
	if (wa_payload_jid_parse(cr->jid, &pc.username, &pc.device) == -1)
		return -1;
	return wa_payload_login(&pc, out);
}

/* The server's handshake message: verify, answer with ClientFinish. */
static void
handshake_frame(struct wa_client *c, const uint8_t *f, size_t len)
{
	struct buf	 payload;

	if (wa_handshake_server_hello(&c->hs, f, len) == -1) {
		/* noise.c logged the reason. */
		cl_wlog(c, LOG_LEVEL_DEBUG, "server handshake refused: %s",
		    wa_handshake_strerror(c->hs.err));
		cl_client_end(c, hs_reason(c->hs.err), 0, 0, 0);
		return;
	}
	buf_init(&payload);
	buf_reset(&c->out);
	if (payload_build(c, &payload) == -1 ||
	    wa_handshake_finish(&c->hs, (const uint8_t *)payload.data,
	    payload.len, &c->out, &c->tr) == -1 ||
	    wa_conn_send(c->conn, c->out.data, c->out.len) == -1) {
		buf_free(&payload);
		cl_client_end(c, WA_REASON_PROTOCOL, 0, 0, 0);
		return;
	}
	buf_free(&payload);
	buf_done(&c->out);
	cl_transport_ready(c);
}

/*
 * The handshake is done: nodes may flow.  The keepalive starts here,
 * also while pairing (whatsmeow client.go connect starts keepAliveLoop
 * right after doHandshake, before any pairing or login).
 */
void
cl_transport_ready(struct wa_client *c)
{

	c->hs_done = 1;
	c->state = c->creds->is_paired ? WA_STATE_LOGGING_IN :
	    WA_STATE_PAIRING;
	c->ka_last_ok = lws_now_usecs();
	cl_ka_schedule(c);
}

/*
 * 1 if n comes from the server itself: from="s.whatsapp.net" (what the
 * binary decoder gives for the server JID, with or without its empty
 * user's "@").  whatsmeow pair.go handleIQ drops any IQ whose from is
 * not types.ServerJID.
 */
int
cl_from_server(const struct wa_node *n)
{
	const char	*f = wa_node_attr(n, "from");

	return f != NULL && (strcmp(f, SERVER_JID) == 0 ||
	    strcmp(f, &SERVER_JID[1]) == 0);
}

/*
 * <ib><unified_session id=N/></ib>: whatsmeow client.go
 * sendUnifiedSession, sent after pairing and on connect; N =
 * (now + server offset + 3 days) mod 7 days, in milliseconds
 * (getUnifiedSessionID).
 */
void
cl_unified_session_send(struct wa_client *c)
{
	const long long	 day = 24LL * 3600 * 1000;
	struct timespec	 ts;
	struct wa_node	*n;
	long long	 now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	n = wa_node_new("ib");
	wa_node_set_attrf(wa_node_add_child(n, "unified_session"), "id",
	    "%lld", ((now + c->time_offset_ms + 3 * day) % (7 * day) +
	    7 * day) % (7 * day));
	(void)cl_send_free(c, n);
}

/* conn.c: one frame. */
void
cl_on_frame(void *arg, const uint8_t *f, size_t len)
{
	struct wa_client	*c = arg;
	struct wa_node		*n = NULL;
	char			 err[128];

	cl_enter(c);
	if (c->conn == NULL)
		goto out;
	if (!c->hs_done) {
		handshake_frame(c, f, len);
		goto out;
	}
	buf_reset(&c->scratch);
	if (wa_noise_transport_decrypt(&c->tr, f, len, &c->scratch) == -1) {
		cl_client_end(c, WA_REASON_PROTOCOL, 0, 0, 0);
		goto out;
	}
	/* It came from the server: the connection is alive (wa.h). */
	c->last_frame = time(NULL);
	if (wa_frame_decode((const unsigned char *)c->scratch.data,
	    c->scratch.len, &n, err, sizeof(err)) == -1) {
		cl_wlog(c, LOG_LEVEL_WARN, "bad node from server: %s", err);
		cl_client_end(c, WA_REASON_PROTOCOL, 0, 0, 0);
		goto out;
	}
	wa_memzero(c->scratch.data, c->scratch.len);
	buf_done(&c->scratch);
	if (!c->got_node) {
		c->got_node = 1;
		lws_sul_cancel(&c->sul_hs);
	}
	cl_node_handle(c, n);
	wa_node_free(n);
out:
	cl_leave(c);
}

/* Integer value of an attribute ("515"), or 0 if absent or not one. */
int
cl_attr_int(const struct wa_node *n, const char *key)
{
	const char	*s;
	char		*end;
	long		 v;

	if ((s = wa_node_attr(n, key)) == NULL)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < 0 || v > 99999)
		return 0;
	return (int)v;
}

/* 1 if n has attribute key equal to val. */
int
cl_attr_is(const struct wa_node *n, const char *key, const char *val)
{
	const char	*s;

	return (s = wa_node_attr(n, key)) != NULL && strcmp(s, val) == 0;
}

/* The only child of n if it has exactly one, else NULL. */
struct wa_node *
cl_only_child(const struct wa_node *n)
{

	if (n->content != WA_CONTENT_CHILDREN || n->nchildren != 1)
		return NULL;
	return n->children[0];
}

/* n has bytes or text content of exactly len bytes (0: any length). */
int
cl_has_bytes(const struct wa_node *n, size_t len)
{

	if (n == NULL || (n->content != WA_CONTENT_BYTES &&
	    n->content != WA_CONTENT_TEXT) || n->nbytes == 0)
		return 0;
	return len == 0 || n->nbytes == len;
}

/*
 * Create an idle client from cfg; see wa.h.  Returns NULL (logged) when
 * cfg has no lws context or an unusable URL.
 */
struct wa_client *
wa_client_new(const struct wa_config *cfg)
{
	struct wa_client	*c;
	const char		*url;

	if (cfg == NULL || cfg->lws == NULL) {
		log_warnx("%s: no lws context", __func__);
		return NULL;
	}
	url = cfg->url != NULL ? cfg->url : WA_DEFAULT_URL;
	if (wa_conn_url_check(url) == -1)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->lws = cfg->lws;
	c->url = xstrdup(url);
	c->proxy = cfg->proxy != NULL && *cfg->proxy != '\0' ?
	    xstrdup(cfg->proxy) : NULL;
	c->origin = xstrdup(cfg->origin != NULL ? cfg->origin :
	    WA_DEFAULT_ORIGIN);
	c->version = xstrdup(cfg->version != NULL ? cfg->version :
	    WA_DEFAULT_VERSION);
	c->version_source = xstrdup(cfg->version_source != NULL ?
	    cfg->version_source : "built-in");
	c->presence_available = cfg->presence_available;
	c->device_name = xstrdup(cfg->device_name != NULL ?
	    cfg->device_name : WA_PAYLOAD_OS);
	c->platform_display = xstrdup(cfg->platform_display != NULL ?
	    cfg->platform_display : "Chrome (Linux)");
	cl_platform_id_set(c);
	memcpy(c->root, cfg->root_key != NULL ? cfg->root_key :
	    wa_noise_root_key, WA_ROOT_KEY_LEN);
	c->ka_min_ms = cfg->keepalive_min_ms ? cfg->keepalive_min_ms :
	    WA_KEEPALIVE_MIN_MS;
	c->ka_max_ms = cfg->keepalive_max_ms ? cfg->keepalive_max_ms :
	    (cfg->keepalive_min_ms ? cfg->keepalive_min_ms :
	    WA_KEEPALIVE_MAX_MS);
	c->ka_timeout_ms = cfg->keepalive_timeout_ms ?
	    cfg->keepalive_timeout_ms : WA_KEEPALIVE_TIMEOUT_MS;
	c->ka_dead_ms = cfg->keepalive_dead_ms ? cfg->keepalive_dead_ms :
	    WA_KEEPALIVE_DEAD_MS;
	c->hs_timeout_ms = cfg->handshake_timeout_ms ?
	    cfg->handshake_timeout_ms : WA_HANDSHAKE_TIMEOUT_MS;
	c->send_timeout_ms = cfg->send_timeout_ms ? cfg->send_timeout_ms :
	    WA_SEND_TIMEOUT_MS;
	c->qr_first_ms = cfg->qr_first_ms ? cfg->qr_first_ms :
	    WA_QR_FIRST_MS;
	c->qr_next_ms = cfg->qr_next_ms ? cfg->qr_next_ms : WA_QR_NEXT_MS;
	c->insecure = cfg->allow_insecure_tls;
	c->user = cfg->user;
	c->cb = cfg->cb;
	c->store = cfg->store;
	c->state = WA_STATE_IDLE;
	return c;
}

static void
client_destroy(struct wa_client *c)
{

	attempt_reset(c);
	lws_sul_cancel(&c->sul_end);
	cl_send_destroy(c);
	free(c->url);
	if (c->proxy != NULL) {
		explicit_bzero(c->proxy, strlen(c->proxy));
		free(c->proxy);
	}
	free(c->origin);
	free(c->version);
	free(c->version_source);
	free(c->device_name);
	free(c->platform_display);
	wa_memzero(c, sizeof(*c));
	free(c);
}

/*
 * Free a client; see wa.h.  Closes any connection without further
 * events; from inside a callback the memory goes when it returns.
 */
void
wa_client_free(struct wa_client *c)
{

	if (c == NULL)
		return;
	if (c->depth > 0) {
		if (!c->free_pending) {
			c->free_pending = 1;
			cl_conn_reset(c);
			lws_sul_cancel(&c->sul_end);
			c->state = WA_STATE_IDLE;
		}
		return;
	}
	client_destroy(c);
}

/* Common part of the start_* calls: must be idle. */
int
cl_start_check(struct wa_client *c, const char *fn)
{

	if (c->free_pending || c->state != WA_STATE_IDLE) {
		log_warnx("%s: client is %s", fn, wa_state_name(c->state));
		return -1;
	}
	return 0;
}

/* Login with a credentials blob; see wa.h.  0, or -1 (logged). */
int
wa_client_start_login(struct wa_client *c, const uint8_t *creds, size_t len)
{

	if (cl_start_check(c, __func__) == -1)
		return -1;
	if ((c->creds = wa_creds_new()) == NULL)
		return -1;
	if (wa_creds_decode(c->creds, creds, len) == -1)
		goto fail;
	if (!c->creds->is_paired) {
		log_warnx("%s: credentials are not paired", __func__);
		goto fail;
	}
	c->mode = MODE_LOGIN;
	c->state = WA_STATE_CONNECTING;
	lws_sul_schedule(c->lws, 0, &c->sul_open, cl_conn_start, 1);
	return 0;
fail:
	wa_creds_free(c->creds);
	c->creds = NULL;
	return -1;
}

/* Stop; see wa.h. */
void
wa_client_stop(struct wa_client *c, int intentional)
{

	if (c == NULL)
		return;
	cl_client_end(c, WA_REASON_STOPPED, 0, intentional ? 1 : 0, 0);
}

/* Close as dead (WA_REASON_TIMEOUT, unintentional); see wa.h. */
void
wa_client_drop(struct wa_client *c, const char *cause)
{

	if (c == NULL || c->state == WA_STATE_IDLE ||
	    c->state == WA_STATE_CLOSING)
		return;
	cl_client_end(c, WA_REASON_TIMEOUT, 0, 0, 0);
	snprintf(c->end_cause, sizeof(c->end_cause), "%s",
	    cause != NULL ? cause : "");
}

/* Current state. */
enum wa_state
wa_client_state(const struct wa_client *c)
{

	return c->state;
}

/* Own device JID if known; borrowed. */
const char *
wa_client_jid(const struct wa_client *c)
{

	if (c->creds == NULL || !c->creds->is_paired)
		return NULL;
	return c->creds->jid;
}

/*
 * Unix seconds of the last inbound frame of the current connection
 * that decrypted; 0 before the first or without a connection.
 */
time_t
wa_client_last_frame(const struct wa_client *c)
{

	return c->last_frame;
}

/* Set the version for the next connections; see wa.h.  0 or -1. */
int
wa_client_set_version(struct wa_client *c, const char *version,
    const char *source)
{

	if (version == NULL || !waversion_valid(version)) {
		log_warnx("%s: version must be N.N.N, not \"%.40s\"",
		    __func__, version != NULL ? version : "(null)");
		return -1;
	}
	free(c->version);
	free(c->version_source);
	c->version = xstrdup(version);
	c->version_source = xstrdup(source != NULL ? source : "built-in");
	return 0;
}

/* The version in use and where it came from; borrowed. */
const char *
wa_client_version(const struct wa_client *c)
{

	return c->version;
}

const char *
wa_client_version_source(const struct wa_client *c)
{

	return c->version_source;
}

/* What the client saw when the last connection ended; borrowed. */
const char *
wa_client_end_cause(const struct wa_client *c)
{

	return c->end_cause;
}
