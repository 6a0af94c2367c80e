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
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "binary.h"
#include "buf.h"
#include "conn.h"
#include "crypto.h"
#include "frame.h"
#include "keys.h"
#include "log.h"
#include "noise.h"
#include "pair.h"
#include "payload.h"
#include "wa.h"
#include "wheel.h"
#include "xalloc.h"

#define	SERVER_JID		"@s.whatsapp.net"	/* spec 5.6 */
#define	QR_REFS_MAX		16	/* refs kept from one pair-device */
#define	IQ_ID_LEN		32	/* "<r0>.<r1>-<counter>" */
#define	PHONE_MAX		20	/* digits of a phone number */
#define	BUF_KEEP		4096	/* out/scratch kept between frames */
#define	PREKEY_MIN		5	/* upload below this many (8.8) */
#define	PREKEY_INITIAL		812	/* upload when the server has 0 */
#define	PREKEY_BATCH		50	/* upload otherwise */
#define	PREKEY_ID_MAX		0xffffffu /* ids are 3 bytes */

/* What the current connection attempt is for. */
enum	mode {
	MODE_NONE,			/* idle */
	MODE_PAIR,			/* registration: QR and/or code */
	MODE_LOGIN			/* login with paired credentials */
};

/* Where the pairing-code exchange is (spec 7). */
enum	code_state {
	CODE_NONE,			/* not requested or not yet sent */
	CODE_HELLO_SENT,		/* companion_hello sent, no ref */
	CODE_WAITING,			/* code shown, waiting for phone */
	CODE_FINISH_SENT		/* companion_finish sent */
};

struct	wa_client {
	/* Configuration (copied from struct wa_config). */
	struct lws_context	*lws;		/* borrowed */
	char			*url;
	char			*origin;
	char			*version;	/* "2.3000.N" */
	char			*device_name;	/* DeviceProps.os */
	char			*platform_display; /* "Chrome (Linux)" */
	char			 platform_id[4]; /* from the display */
	uint8_t			 root[WA_ROOT_KEY_LEN]; /* pinned root */
	unsigned int		 ka_min_ms, ka_max_ms; /* ping interval */
	unsigned int		 ka_timeout_ms;	/* per ping */
	unsigned int		 ka_dead_ms;	/* no pong this long: dead */
	unsigned int		 hs_timeout_ms;	/* to the first node */
	unsigned int		 qr_first_ms, qr_next_ms;
	int			 insecure;	/* accept any TLS cert */
	void			*user;
	const struct wa_callbacks *cb;

	/* The attempt. */
	enum wa_state		 state;
	enum mode		 mode;
	int			 use_code;	/* pairing code requested */
	char			 phone[PHONE_MAX + 1]; /* for the code */
	struct wa_creds		*creds;		/* sodium memory */

	/* The connection. */
	struct wa_conn		*conn;		/* NULL when none */
	struct wa_handshake	 hs;		/* Noise handshake */
	struct wa_noise_transport tr;		/* after the handshake */
	int			 hs_done;	/* ClientFinish sent */
	int			 got_node;	/* a node arrived */
	time_t			 last_frame;	/* unix s of the last frame
						   that decrypted, 0: none */
	struct buf		 scratch;	/* plaintext/ciphertext */
	struct buf		 out;		/* outbound encoding */
	uint8_t			 id_rand[2];	/* IQ id prefix */
	unsigned int		 id_count;	/* IQ id counter */

	/* QR pairing. */
	char			*refs[QR_REFS_MAX]; /* pair-device refs */
	size_t			 ref_len[QR_REFS_MAX];
	size_t			 nrefs;
	size_t			 qr_shown;	/* refs shown so far */
	int			 paired_now;	/* pair-device-sign sent */

	/* Pairing code. */
	enum code_state		 code_state;
	char			 code[WA_PAIRCODE_LEN + 1];
	struct wa_keypair	 code_eph;	/* secret */
	uint8_t			*code_ref;	/* link_code_pairing_ref */
	size_t			 code_ref_len;
	char			 code_iq[IQ_ID_LEN];

	/* Logged in. */
	char			 active_iq[IQ_ID_LEN];
	char			 ka_iq[IQ_ID_LEN]; /* outstanding ping */
	lws_usec_t		 ka_last_ok;	/* last pong or success */
	char			 prekey_iq[IQ_ID_LEN]; /* count or upload */
	char			 logout_iq[IQ_ID_LEN];
	int			 logout_wanted;	/* logout after success */
	int			 logout_sent;
	char			*push_name;	/* <success display_name> */
	time_t			 server_time;	/* <success t> */

	/* The end, reported by sul_end. */
	enum wa_reason		 end_reason;
	int			 end_code;
	int			 end_intentional;
	int			 end_logged_out; /* also report logged_out */

	int			 depth;		/* nesting of our callbacks */
	int			 free_pending;	/* wa_client_free() deferred */

	lws_sorted_usec_list_t	 sul_open;	/* (re)connect */
	lws_sorted_usec_list_t	 sul_end;	/* report closed */
	lws_sorted_usec_list_t	 sul_hs;	/* handshake timeout */
	lws_sorted_usec_list_t	 sul_qr;	/* QR rotation */
	lws_sorted_usec_list_t	 sul_ka;	/* next ping */
	lws_sorted_usec_list_t	 sul_ka_to;	/* ping answer timeout */
	lws_sorted_usec_list_t	 sul_logout;	/* logout answer timeout */
};

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
static void	client_end(struct wa_client *, enum wa_reason, int, int, int);
static void	conn_start(lws_sorted_usec_list_t *);
static void	on_open(void *);
static void	on_frame(void *, const uint8_t *, size_t);
static void	on_end(void *, enum wa_conn_end, const char *);

static const struct wa_conn_cbs	 client_conn_cbs = {
	on_open, on_frame, on_end
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
static void __attribute__((format(printf, 3, 4)))
wlog(struct wa_client *c, enum log_level level, const char *fmt, ...)
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
static void
enter(struct wa_client *c)
{

	c->depth++;
}

static void
leave(struct wa_client *c)
{

	if (--c->depth == 0 && c->free_pending)
		client_destroy(c);
}

/* Microseconds from a millisecond setting. */
static lws_usec_t
ms(unsigned int v)
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
static int
send_free(struct wa_client *c, struct wa_node *n)
{
	int	 rc;

	rc = send_node(c, n);
	wa_node_free(n);
	if (rc == -1)
		client_end(c, WA_REASON_PROTOCOL, 0, 0, 0);
	return rc;
}

/* A new <iq> to the server: id (filled), type, xmlns (may be NULL). */
static struct wa_node *
iq_new(struct wa_client *c, char id[IQ_ID_LEN], const char *type,
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
static struct wa_node *
iq_result(const char *id, const char *from)
{
	struct wa_node	*n;

	n = wa_node_new("iq");
	wa_node_set_attr(n, "to", from != NULL ? from : SERVER_JID);
	wa_node_set_attr(n, "type", "result");
	wa_node_set_attr(n, "id", id);
	return n;
}

/* Reply <iq type=error><error code text/></iq> (spec 6.5 step 8). */
static struct wa_node *
iq_error(const char *id, const char *from, int code, const char *text)
{
	struct wa_node	*n, *e;

	n = iq_result(id, from);
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

static void
refs_free(struct wa_client *c)
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
static void
conn_reset(struct wa_client *c)
{

	timers_cancel(c);
	wa_conn_close(c->conn);
	c->conn = NULL;
	wa_handshake_clear(&c->hs);
	wa_noise_transport_clear(&c->tr);
	c->hs_done = 0;
	c->got_node = 0;
	c->last_frame = 0;
	buf_free(&c->scratch);
	buf_free(&c->out);
	refs_free(c);
	c->paired_now = 0;
	c->active_iq[0] = c->ka_iq[0] = c->logout_iq[0] = '\0';
	c->prekey_iq[0] = '\0';
	c->logout_sent = 0;
}

/* Forget the attempt: connection, pairing state, credentials. */
static void
attempt_reset(struct wa_client *c)
{

	conn_reset(c);
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

/* sul_end: report the end recorded by client_end(). */
static void
end_report(lws_sorted_usec_list_t *sul)
{
	struct wa_client	*c = lws_container_of(sul, struct wa_client,
				    sul_end);
	enum wa_reason		 reason = c->end_reason;
	int			 code = c->end_code;
	int			 intentional = c->end_intentional;
	int			 logged_out = c->end_logged_out;

	enter(c);
	attempt_reset(c);
	c->end_reason = WA_REASON_NONE;
	wlog(c, LOG_LEVEL_INFO, "closed: %s (code %d)%s",
	    wa_reason_name(reason), code, intentional ? ", intentional" : "");
	/* Still CLOSING here: a new attempt only from closed. */
	if (logged_out && c->cb != NULL && c->cb->logged_out != NULL &&
	    !c->free_pending)
		c->cb->logged_out(c, c->user, reason, code);
	c->state = WA_STATE_IDLE;
	if (c->cb != NULL && c->cb->closed != NULL && !c->free_pending)
		c->cb->closed(c, c->user, reason, code, intentional);
	leave(c);
}

/*
 * End the attempt: close the connection now, report logged_out (if
 * logged_out) and closed from the event loop.  Only the first end
 * counts.
 */
static void
client_end(struct wa_client *c, enum wa_reason reason, int code,
    int intentional, int logged_out)
{

	if (c->state == WA_STATE_IDLE || c->state == WA_STATE_CLOSING)
		return;
	conn_reset(c);
	c->state = WA_STATE_CLOSING;
	c->end_reason = reason;
	c->end_code = code;
	c->end_intentional = intentional;
	c->end_logged_out = logged_out;
	lws_sul_schedule(c->lws, 0, &c->sul_end, end_report, 1);
}

/* The encoded credentials: out (WA_CREDS_ENC_MAX); 0 or -1 (logged). */
static int
creds_blob(struct wa_client *c, uint8_t *out, size_t *len)
{

	return wa_creds_encode(c->creds, out, WA_CREDS_ENC_MAX, len);
}

/* Tell the caller the credentials changed (after a LID or name). */
static void
creds_changed(struct wa_client *c)
{
	uint8_t	 blob[WA_CREDS_ENC_MAX];
	size_t	 len;

	if (c->cb == NULL || c->cb->creds_changed == NULL)
		return;
	if (creds_blob(c, blob, &len) == -1)
		return;
	c->cb->creds_changed(c, c->user, blob, len);
	wa_memzero(blob, sizeof(blob));
}

/* The phone number: the JID's user up to '.', ':' or '@'. */
static char *
jid_phone(const char *jid)
{

	return xstrndup(jid, strcspn(jid, ".:@"));
}

/* sul_hs: no first node within the handshake timeout (spec 1.5). */
static void
hs_timeout(lws_sorted_usec_list_t *sul)
{
	struct wa_client	*c = lws_container_of(sul, struct wa_client,
				    sul_hs);

	enter(c);
	wlog(c, LOG_LEVEL_WARN, "handshake timed out after %u ms",
	    c->hs_timeout_ms);
	client_end(c, WA_REASON_TIMEOUT, 0, 0, 0);
	leave(c);
}

/*
 * sul_open: start a connection for the current mode.  A timer, so that
 * a start_* call or the 515 restart never reports from inside itself.
 */
static void
conn_start(lws_sorted_usec_list_t *sul)
{
	struct wa_client	*c = lws_container_of(sul, struct wa_client,
				    sul_open);
	struct wa_conn_cfg	 cfg;

	enter(c);
	memset(&cfg, 0, sizeof(cfg));
	cfg.lws = c->lws;
	cfg.url = c->url;
	cfg.origin = c->origin;
	cfg.insecure = c->insecure;
	cfg.max_frame = WA_FRAME_RX_MAX_DEFAULT;
	c->state = WA_STATE_CONNECTING;
	wa_random(c->id_rand, sizeof(c->id_rand));
	c->id_count = 0;
	wlog(c, LOG_LEVEL_DEBUG, "connecting to %s (%s)", c->url,
	    c->mode == MODE_LOGIN ? "login" : "registration");
	c->conn = wa_conn_open(&cfg, &client_conn_cbs, c);
	if (c->conn == NULL)
		client_end(c, WA_REASON_CONNECT_FAILED, 0, 0, 0);
	else
		lws_sul_schedule(c->lws, 0, &c->sul_hs, hs_timeout,
		    ms(c->hs_timeout_ms));
	leave(c);
}

/* conn.c: the WebSocket is up; send ClientHello (spec 2.3). */
static void
on_open(void *arg)
{
	struct wa_client	*c = arg;

	enter(c);
	wa_handshake_init(&c->hs, c->creds->noise_key.priv, c->root);
	buf_reset(&c->out);
	if (wa_handshake_start(&c->hs, NULL, &c->out) == -1 ||
	    wa_conn_send(c->conn, c->out.data, c->out.len) == -1)
		client_end(c, WA_REASON_PROTOCOL, 0, 0, 0);
	buf_done(&c->out);
	leave(c);
}

/* conn.c: the connection ended under us. */
static void
on_end(void *arg, enum wa_conn_end why, const char *detail)
{
	struct wa_client	*c = arg;

	enter(c);
	c->conn = NULL;		/* conn.c frees it */
	wlog(c, LOG_LEVEL_INFO, "connection ended: %s", detail);
	if (c->paired_now) {
		/* Pairing went through; the 515 just got lost. */
		c->paired_now = 0;
		conn_reset(c);
		c->mode = MODE_LOGIN;
		lws_sul_schedule(c->lws, 0, &c->sul_open, conn_start, 1);
	} else if (why == WA_CONN_END_CONNECT_FAILED)
		client_end(c, WA_REASON_CONNECT_FAILED, 0, 0, 0);
	else if (why == WA_CONN_END_FRAMING)
		client_end(c, WA_REASON_PROTOCOL, 0, 0, 0);
	else if (c->logout_sent)
		client_end(c, WA_REASON_LOGGED_OUT, 0, 1, 1);
	else
		client_end(c, WA_REASON_CONNECTION_LOST, 0, 0, 0);
	leave(c);
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
		wlog(c, LOG_LEVEL_DEBUG, "server handshake refused: %s",
		    wa_handshake_strerror(c->hs.err));
		client_end(c, hs_reason(c->hs.err), 0, 0, 0);
		return;
	}
	buf_init(&payload);
	buf_reset(&c->out);
	if (payload_build(c, &payload) == -1 ||
	    wa_handshake_finish(&c->hs, (const uint8_t *)payload.data,
	    payload.len, &c->out, &c->tr) == -1 ||
	    wa_conn_send(c->conn, c->out.data, c->out.len) == -1) {
		buf_free(&payload);
		client_end(c, WA_REASON_PROTOCOL, 0, 0, 0);
		return;
	}
	buf_free(&payload);
	buf_done(&c->out);
	c->hs_done = 1;
	c->state = c->creds->is_paired ? WA_STATE_LOGGING_IN :
	    WA_STATE_PAIRING;
}

static void	node_handle(struct wa_client *, struct wa_node *);

/* conn.c: one frame. */
static void
on_frame(void *arg, const uint8_t *f, size_t len)
{
	struct wa_client	*c = arg;
	struct wa_node		*n = NULL;
	char			 err[128];

	enter(c);
	if (c->conn == NULL)
		goto out;
	if (!c->hs_done) {
		handshake_frame(c, f, len);
		goto out;
	}
	buf_reset(&c->scratch);
	if (wa_noise_transport_decrypt(&c->tr, f, len, &c->scratch) == -1) {
		client_end(c, WA_REASON_PROTOCOL, 0, 0, 0);
		goto out;
	}
	/* It came from the server: the connection is alive (wa.h). */
	c->last_frame = time(NULL);
	if (wa_frame_decode((const unsigned char *)c->scratch.data,
	    c->scratch.len, &n, err, sizeof(err)) == -1) {
		wlog(c, LOG_LEVEL_WARN, "bad node from server: %s", err);
		client_end(c, WA_REASON_PROTOCOL, 0, 0, 0);
		goto out;
	}
	wa_memzero(c->scratch.data, c->scratch.len);
	buf_done(&c->scratch);
	if (!c->got_node) {
		c->got_node = 1;
		lws_sul_cancel(&c->sul_hs);
	}
	node_handle(c, n);
	wa_node_free(n);
out:
	leave(c);
}

/* Integer value of an attribute ("515"), or 0 if absent or not one. */
static int
attr_int(const struct wa_node *n, const char *key)
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
static int
attr_is(const struct wa_node *n, const char *key, const char *val)
{
	const char	*s;

	return (s = wa_node_attr(n, key)) != NULL && strcmp(s, val) == 0;
}

/* The only child of n if it has exactly one, else NULL. */
static struct wa_node *
only_child(const struct wa_node *n)
{

	if (n->content != WA_CONTENT_CHILDREN || n->nchildren != 1)
		return NULL;
	return n->children[0];
}

/* n has bytes or text content of exactly len bytes (0: any length). */
static int
has_bytes(const struct wa_node *n, size_t len)
{

	if (n == NULL || (n->content != WA_CONTENT_BYTES &&
	    n->content != WA_CONTENT_TEXT) || n->nbytes == 0)
		return 0;
	return len == 0 || n->nbytes == len;
}

/*
 * Acknowledge a message, receipt, notification or call (spec 8.7, as
 * whatsmeow: id, to = the stanza's from, class = its tag, type except
 * for message, participant and recipient when present).
 */
static void
ack_send(struct wa_client *c, const struct wa_node *n)
{
	struct wa_node	*a;
	const char	*id, *from, *v;

	id = wa_node_attr(n, "id");
	from = wa_node_attr(n, "from");
	if (id == NULL || from == NULL)
		return;
	a = wa_node_new("ack");
	wa_node_set_attr(a, "id", id);
	wa_node_set_attr(a, "to", from);
	wa_node_set_attr(a, "class", n->tag);
	if (strcmp(n->tag, "message") != 0 &&
	    (v = wa_node_attr(n, "type")) != NULL)
		wa_node_set_attr(a, "type", v);
	if ((v = wa_node_attr(n, "participant")) != NULL)
		wa_node_set_attr(a, "participant", v);
	if ((v = wa_node_attr(n, "recipient")) != NULL)
		wa_node_set_attr(a, "recipient", v);
	(void)send_free(c, a);
}

/* sul_qr: show the next ref, or end when they ran out (spec 6.4). */
static void
qr_next(lws_sorted_usec_list_t *sul)
{
	struct wa_client	*c = lws_container_of(sul, struct wa_client,
				    sul_qr);
	unsigned int		 dur;
	char			*qr;
	size_t			 i;

	enter(c);
	if (c->state != WA_STATE_PAIRING || c->paired_now)
		goto out;
	if (c->qr_shown >= c->nrefs) {
		/*
		 * whatsmeow's QR channel and Baileys both give up here;
		 * a pending pairing code keeps the socket (spec 7.3
		 * "Timing", pitfall 6), the caller's window decides.
		 */
		if (c->code_state == CODE_NONE)
			client_end(c, WA_REASON_QR_EXHAUSTED, 0, 0, 0);
		goto out;
	}
	i = c->qr_shown++;
	dur = i == 0 ? c->qr_first_ms : c->qr_next_ms;
	qr = wa_qr_string((const uint8_t *)c->refs[i], c->ref_len[i],
	    c->creds->noise_key.pub, c->creds->identity_key.pub,
	    c->creds->adv_secret, WA_QR_PLATFORM_WEB);
	if (qr == NULL) {
		client_end(c, WA_REASON_PROTOCOL, 0, 0, 0);
		goto out;
	}
	lws_sul_schedule(c->lws, 0, &c->sul_qr, qr_next, ms(dur));
	wlog(c, LOG_LEVEL_DEBUG, "QR %zu of %zu", i + 1, c->nrefs);
	if (c->cb != NULL && c->cb->qr != NULL)
		c->cb->qr(c, c->user, qr, (int)i + 1,
		    time(NULL) + (time_t)((dur + 999) / 1000));
	wa_memzero(qr, strlen(qr));
	free(qr);
out:
	leave(c);
}

static void	code_hello_send(struct wa_client *);

/*
 * <iq type=set><pair-device><ref>..</ref>x6</pair-device></iq>: ack at
 * once, keep the refs, show the first (spec 6.2, 6.4); then ask for a
 * pairing code if that is what we are here for (spec 7: after the
 * first pair-device, as whatsmeow advises).
 */
static void
pair_device(struct wa_client *c, const struct wa_node *iq,
    const struct wa_node *pd)
{
	const struct wa_node	*r;
	size_t			 i;

	if (send_free(c, iq_result(wa_node_attr(iq, "id"),
	    wa_node_attr(iq, "from"))) == -1)
		return;
	if (c->mode != MODE_PAIR || c->paired_now)
		return;
	refs_free(c);
	for (i = 0; pd->content == WA_CONTENT_CHILDREN &&
	    i < pd->nchildren && c->nrefs < QR_REFS_MAX; i++) {
		r = pd->children[i];
		if (strcmp(r->tag, "ref") != 0 || !has_bytes(r, 0) ||
		    r->nbytes > WA_QR_REF_MAX)
			continue;	/* whatsmeow skips these */
		c->refs[c->nrefs] = xmalloc(r->nbytes + 1);
		memcpy(c->refs[c->nrefs], r->bytes, r->nbytes);
		c->refs[c->nrefs][r->nbytes] = '\0';
		c->ref_len[c->nrefs++] = r->nbytes;
	}
	if (c->nrefs == 0) {
		wlog(c, LOG_LEVEL_WARN, "pair-device without usable refs");
		client_end(c, WA_REASON_PROTOCOL, 0, 0, 0);
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

	wlog(c, LOG_LEVEL_WARN, "pair-success refused: %s",
	    wa_pair_err_text(err));
	if (send_free(c, iq_error(wa_node_attr(iq, "id"),
	    wa_node_attr(iq, "from"), code, wa_pair_err_text(err))) == 0)
		client_end(c, WA_REASON_PAIR_FAILED, code, 0, 0);
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
	if (creds_blob(c, blob, &len) == -1)
		return;
	phone = jid_phone(c->creds->jid);
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
static void
pair_success(struct wa_client *c, const struct wa_node *iq,
    const struct wa_node *ps)
{
	const struct wa_node	*di, *dev, *pl, *biz;
	struct wa_pair_result	 res;
	struct wa_node		*r, *s, *d;
	enum wa_pair_err	 err;
	const char		*jid;

	if (c->mode != MODE_PAIR || c->paired_now) {
		wlog(c, LOG_LEVEL_WARN, "unexpected pair-success");
		return;
	}
	di = wa_node_child(ps, "device-identity");
	dev = wa_node_child(ps, "device");
	pl = wa_node_child(ps, "platform");
	biz = wa_node_child(ps, "biz");
	jid = dev != NULL ? wa_node_attr(dev, "jid") : NULL;
	if (!has_bytes(di, 0) || jid == NULL) {
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
	wlog(c, LOG_LEVEL_INFO, "paired as %s", c->creds->jid);
	/* Persist before replying (spec 6.5 step 9, whatsmeow). */
	paired_report(c);
	if (c->free_pending || c->state != WA_STATE_PAIRING) {
		wa_memzero(&res, sizeof(res));
		return;
	}
	r = iq_result(wa_node_attr(iq, "id"), wa_node_attr(iq, "from"));
	s = wa_node_add_child(r, "pair-device-sign");
	d = wa_node_add_child(s, "device-identity");
	wa_node_set_attrf(d, "key-index", "%u", res.key_index);
	wa_node_set_bytes(d, res.reply, res.reply_len);
	wa_memzero(&res, sizeof(res));
	(void)send_free(c, r);
}

static void	ka_send(lws_sorted_usec_list_t *);
static void	ka_schedule(struct wa_client *);

/*
 * sul_ka_to: a ping went unanswered within the timeout (spec 8.3).  A
 * miss; the connection is dead once nothing was answered for
 * keepalive_dead_ms (whatsmeow keepalive.go: 3 minutes).
 */
static void
ka_timeout(lws_sorted_usec_list_t *sul)
{
	struct wa_client	*c = lws_container_of(sul, struct wa_client,
				    sul_ka_to);
	lws_usec_t		 quiet;

	enter(c);
	c->ka_iq[0] = '\0';
	quiet = lws_now_usecs() - c->ka_last_ok;
	wlog(c, LOG_LEVEL_WARN, "keepalive timeout (%lld ms without answer)",
	    (long long)(quiet / LWS_US_PER_MS));
	if (quiet >= ms(c->ka_dead_ms))
		client_end(c, WA_REASON_TIMEOUT, 0, 0, 0);
	else
		ka_schedule(c);	/* whatsmeow: next ping after the interval */
	leave(c);
}

/* Schedule the next ping at a jittered interval (whatsmeow). */
static void
ka_schedule(struct wa_client *c)
{
	uint32_t	 r;
	unsigned int	 span, d;

	span = c->ka_max_ms > c->ka_min_ms ? c->ka_max_ms - c->ka_min_ms : 0;
	wa_random(&r, sizeof(r));
	d = c->ka_min_ms + (span > 0 ? r % span : 0);
	wa_wheel_schedule(c->lws, &c->sul_ka, ka_send, ms(d));
}

/* sul_ka: send <iq xmlns=w:p type=get><ping/></iq> (spec 8.3). */
static void
ka_send(lws_sorted_usec_list_t *sul)
{
	struct wa_client	*c = lws_container_of(sul, struct wa_client,
				    sul_ka);
	struct wa_node		*n;

	enter(c);
	if (c->state != WA_STATE_CONNECTED &&
	    c->state != WA_STATE_LOGGING_IN)
		goto out;
	n = iq_new(c, c->ka_iq, "get", "w:p");
	(void)wa_node_add_child(n, "ping");
	if (send_free(c, n) == 0)
		wa_wheel_schedule(c->lws, &c->sul_ka_to, ka_timeout,
		    ms(c->ka_timeout_ms));
out:
	leave(c);
}

/* A pong: the connection is alive. */
static void
ka_pong(struct wa_client *c)
{

	c->ka_iq[0] = '\0';
	c->ka_last_ok = lws_now_usecs();
	lws_sul_cancel(&c->sul_ka_to);
	ka_schedule(c);
}

/* sul_logout: no answer to remove-companion-device in time. */
static void
logout_timeout(lws_sorted_usec_list_t *sul)
{
	struct wa_client	*c = lws_container_of(sul, struct wa_client,
				    sul_logout);

	enter(c);
	wlog(c, LOG_LEVEL_WARN, "logout: no answer from the server");
	client_end(c, WA_REASON_TIMEOUT, 0, 1, 0);
	leave(c);
}

/*
 * Send <iq xmlns=md type=set><remove-companion-device jid=own
 * reason=user_initiated/></iq> (spec 8.9, whatsmeow client.go Logout)
 * and wait for its result or the 401 that follows it.
 */
static void
logout_send(struct wa_client *c)
{
	struct wa_node	*n, *r;

	n = iq_new(c, c->logout_iq, "set", "md");
	r = wa_node_add_child(n, "remove-companion-device");
	wa_node_set_attr(r, "jid", c->creds->jid);
	wa_node_set_attr(r, "reason", "user_initiated");
	if (send_free(c, n) == -1)
		return;
	c->logout_sent = 1;
	lws_sul_schedule(c->lws, 0, &c->sul_logout, logout_timeout,
	    ms(c->hs_timeout_ms));
}

/* Report connected: the active IQ was answered (spec 8.2). */
static void
connected_report(struct wa_client *c)
{
	struct wa_connected	 info;
	char			*phone;

	c->state = WA_STATE_CONNECTED;
	wlog(c, LOG_LEVEL_INFO, "connected as %s", c->creds->jid);
	if (c->cb == NULL || c->cb->connected == NULL)
		return;
	phone = jid_phone(c->creds->jid);
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
static void
success(struct wa_client *c, const struct wa_node *n)
{
	const char	*lid, *name;
	struct wa_node	*iq;
	long long	 t;

	if (c->mode != MODE_LOGIN || !c->creds->is_paired ||
	    c->state != WA_STATE_LOGGING_IN) {
		/* whatsmeow 5f04eac6: ignore when not paired. */
		wlog(c, LOG_LEVEL_WARN, "ignoring <success> while %s",
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
			wlog(c, LOG_LEVEL_WARN, "server LID %s differs from "
			    "stored %s", lid, c->creds->lid);
		else if (wa_creds_set_lid(c->creds, lid) == 0)
			creds_changed(c);
	}
	if (c->free_pending || c->state != WA_STATE_LOGGING_IN)
		return;
	c->ka_last_ok = lws_now_usecs();
	ka_schedule(c);
	if (c->logout_wanted) {
		c->logout_wanted = 0;
		logout_send(c);
		return;
	}
	iq = iq_new(c, c->active_iq, "set", "passive");
	(void)wa_node_add_child(iq, "active");
	if (send_free(c, iq) == -1)
		return;
	iq = iq_new(c, c->prekey_iq, "get", "encrypt");
	(void)wa_node_add_child(iq, "count");
	(void)send_free(c, iq);
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
	if (!attr_is(iq, "type", "result") || cnt == NULL) {
		wlog(c, LOG_LEVEL_WARN, "pre-key count refused");
		return;
	}
	have = attr_int(cnt, "value");
	if (have >= PREKEY_MIN)
		return;
	want = have == 0 ? PREKEY_INITIAL : PREKEY_BATCH;
	wa_random(&base, sizeof(base));
	base = 1 + base % (PREKEY_ID_MAX - PREKEY_INITIAL);
	n = iq_new(c, c->prekey_iq, "set", "encrypt");
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
	wlog(c, LOG_LEVEL_DEBUG, "server has %d pre-keys; uploading %d",
	    have, i);
	(void)send_free(c, n);
}

/*
 * <failure reason=N/> after the handshake (spec 8.5, whatsmeow
 * ConnectFailureReason): 401 and 406 mean logged out, 403 banned with
 * the credentials gone, 402 a temporary ban, 405 an outdated client.
 */
static void
failure(struct wa_client *c, const struct wa_node *n)
{
	int	 code = attr_int(n, "reason");

	wlog(c, LOG_LEVEL_WARN, "login failure %d", code);
	switch (code) {
	case 401:
	case 406:
		client_end(c, WA_REASON_LOGGED_OUT, code, 0, 1);
		break;
	case 403:
		client_end(c, WA_REASON_BANNED, code, 0, 1);
		break;
	case 402:
		client_end(c, WA_REASON_BANNED, code, 0, 0);
		break;
	case 405:
		client_end(c, WA_REASON_OUTDATED, code, 0, 0);
		break;
	default:
		client_end(c, code >= 500 && code <= 599 ?
		    WA_REASON_SERVER_ERROR : WA_REASON_UNKNOWN, code, 0, 0);
		break;
	}
}

/* 515 after pair-device-sign: reconnect and log in (spec 6.5 step 9). */
static void
restart_login(struct wa_client *c)
{

	wlog(c, LOG_LEVEL_INFO, "restart required after pairing; logging in");
	conn_reset(c);
	c->mode = MODE_LOGIN;
	c->state = WA_STATE_CONNECTING;
	lws_sul_schedule(c->lws, 0, &c->sul_open, conn_start, 1);
}

/*
 * <stream:error code=N><conflict type=T/></stream:error> (spec 8.4):
 * 515 restart, 401 or device_removed logged out, replaced 440 (Baileys'
 * number for it), 5xx server error.
 */
static void
stream_error(struct wa_client *c, const struct wa_node *n)
{
	const struct wa_node	*cf;
	const char		*type = NULL;
	int			 code = attr_int(n, "code");

	if ((cf = wa_node_child(n, "conflict")) != NULL)
		type = wa_node_attr(cf, "type");
	wlog(c, LOG_LEVEL_INFO, "stream error %d%s%s", code,
	    type != NULL ? " " : "", type != NULL ? type : "");
	if (code == 515) {
		if (c->paired_now)
			restart_login(c);
		else
			client_end(c, WA_REASON_RESTART_REQUIRED, 515, 0, 0);
	} else if (code == 401 ||
	    (type != NULL && strcmp(type, "device_removed") == 0))
		client_end(c, WA_REASON_LOGGED_OUT, 401, c->logout_sent, 1);
	else if (type != NULL && strcmp(type, "replaced") == 0)
		client_end(c, WA_REASON_REPLACED, 440, 0, 0);
	else if (code == 403)
		client_end(c, WA_REASON_BANNED, code, 0, 0);
	else if (code >= 500 && code <= 599)
		client_end(c, WA_REASON_SERVER_ERROR, code, 0, 0);
	else
		client_end(c, WA_REASON_UNKNOWN, code, 0, 0);
}

/* The platform id that matches the display's browser (spec 6.3, 7.2). */
static void
platform_id_set(struct wa_client *c)
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
		client_end(c, WA_REASON_PAIR_FAILED, 0, 0, 0);
		return;
	}
	n = iq_new(c, c->code_iq, "set", "md");
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
	if (send_free(c, n) == 0)
		c->code_state = CODE_HELLO_SENT;
}

/* The result of companion_hello: keep the ref, show the code. */
static void
code_hello_result(struct wa_client *c, const struct wa_node *iq)
{
	const struct wa_node	*reg, *ref;
	char			 disp[WA_PAIRCODE_LEN + 2];

	c->code_iq[0] = '\0';
	reg = wa_node_child(iq, "link_code_companion_reg");
	ref = reg != NULL ? wa_node_child(reg, "link_code_pairing_ref") :
	    NULL;
	if (!attr_is(iq, "type", "result") || !has_bytes(ref, 0) ||
	    ref->nbytes > WA_QR_REF_MAX) {
		const struct wa_node *e = wa_node_child(iq, "error");

		wlog(c, LOG_LEVEL_WARN, "pairing code request refused "
		    "(%d)", e != NULL ? attr_int(e, "code") : 0);
		client_end(c, WA_REASON_PAIR_FAILED,
		    e != NULL ? attr_int(e, "code") : 0, 0, 0);
		return;
	}
	c->code_ref = xmalloc(ref->nbytes);
	memcpy(c->code_ref, ref->bytes, ref->nbytes);
	c->code_ref_len = ref->nbytes;
	c->code_state = CODE_WAITING;
	if (wa_paircode_display(c->code, disp) == -1) {
		client_end(c, WA_REASON_PAIR_FAILED, 0, 0, 0);
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
static void
code_primary_hello(struct wa_client *c, const struct wa_node *n)
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
	if (!has_bytes(ref, c->code_ref_len) ||
	    memcmp(ref->bytes, c->code_ref, c->code_ref_len) != 0) {
		wlog(c, LOG_LEVEL_WARN, "primary_hello for another ref");
		return;
	}
	if (!has_bytes(wr, 0) || wr->nbytes < WA_PAIRCODE_WRAPPED_LEN ||
	    !has_bytes(pid, WA_KEY_LEN)) {
		wlog(c, LOG_LEVEL_WARN, "malformed primary_hello");
		client_end(c, WA_REASON_PAIR_FAILED, 0, 0, 0);
		return;
	}
	if (wa_paircode_finish(c->code, &c->code_eph, &c->creds->identity_key,
	    wr->bytes, wr->nbytes, pid->bytes, &fin) == -1) {
		client_end(c, WA_REASON_PAIR_FAILED, 0, 0, 0);
		return;
	}
	memcpy(c->creds->adv_secret, fin.adv_secret, WA_ADV_SECRET_LEN);
	iq = iq_new(c, id, "set", "md");
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
	if (send_free(c, iq) == 0)
		c->code_state = CODE_FINISH_SENT;
}

/* 1 if id answers the outstanding request whose id is in slot. */
static int
answers(const char *slot, const char *id)
{

	return slot[0] != '\0' && strcmp(slot, id) == 0;
}

/* The answer to a pre-key count or upload. */
static void
prekey_answer(struct wa_client *c, const struct wa_node *n)
{

	if (wa_node_child(n, "count") != NULL) {
		prekey_count(c, n);
		return;
	}
	c->prekey_iq[0] = '\0';
	if (!attr_is(n, "type", "result"))
		wlog(c, LOG_LEVEL_WARN, "pre-key request refused");
}

/* The answer to our logout: result, or an error code. */
static void
logout_answer(struct wa_client *c, const struct wa_node *n)
{
	const struct wa_node	*e;

	if (attr_is(n, "type", "result")) {
		client_end(c, WA_REASON_LOGGED_OUT, 0, 1, 1);
		return;
	}
	e = wa_node_child(n, "error");
	client_end(c, WA_REASON_UNKNOWN, e != NULL ? attr_int(e, "code") : 0,
	    1, 0);
}

/* A result or error IQ: match it to what we asked. */
static void
iq_answer(struct wa_client *c, const struct wa_node *n)
{
	const char	*id = wa_node_attr(n, "id");

	if (id == NULL)
		return;
	if (answers(c->ka_iq, id))
		ka_pong(c);
	else if (answers(c->active_iq, id)) {
		c->active_iq[0] = '\0';
		if (!attr_is(n, "type", "result"))
			wlog(c, LOG_LEVEL_WARN, "active IQ refused");
		connected_report(c);
	} else if (answers(c->code_iq, id))
		code_hello_result(c, n);
	else if (answers(c->prekey_iq, id))
		prekey_answer(c, n);
	else if (answers(c->logout_iq, id))
		logout_answer(c, n);
}

/* An <iq> from the server (spec 6.2, 6.5; whatsmeow handleIQ). */
static void
iq_handle(struct wa_client *c, const struct wa_node *n)
{
	const struct wa_node	*ch;

	if (attr_is(n, "type", "result") || attr_is(n, "type", "error")) {
		iq_answer(c, n);
		return;
	}
	if ((ch = only_child(n)) == NULL || !attr_is(n, "type", "set"))
		return;
	if (strcmp(ch->tag, "pair-device") == 0)
		pair_device(c, n, ch);
	else if (strcmp(ch->tag, "pair-success") == 0)
		pair_success(c, n, ch);
}

/* Dispatch one node from the server. */
static void
node_handle(struct wa_client *c, struct wa_node *n)
{

	wlog(c, LOG_LEVEL_DEBUG, "recv <%s>", n->tag);
	if (strcmp(n->tag, "iq") == 0)
		iq_handle(c, n);
	else if (strcmp(n->tag, "success") == 0)
		success(c, n);
	else if (strcmp(n->tag, "failure") == 0)
		failure(c, n);
	else if (strcmp(n->tag, "stream:error") == 0)
		stream_error(c, n);
	else if (strcmp(n->tag, "xmlstreamend") == 0) {
		if (c->paired_now)
			restart_login(c);
		else
			client_end(c, c->logout_sent ? WA_REASON_LOGGED_OUT :
			    WA_REASON_CONNECTION_LOST, 0, c->logout_sent,
			    c->logout_sent);
	} else if (strcmp(n->tag, "notification") == 0) {
		ack_send(c, n);
		if (attr_is(n, "type", "link_code_companion_reg"))
			code_primary_hello(c, n);
	} else if (strcmp(n->tag, "message") == 0 ||
	    strcmp(n->tag, "receipt") == 0 || strcmp(n->tag, "call") == 0)
		ack_send(c, n);
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
	c->origin = xstrdup(cfg->origin != NULL ? cfg->origin :
	    WA_DEFAULT_ORIGIN);
	c->version = xstrdup(cfg->version != NULL ? cfg->version :
	    WA_DEFAULT_VERSION);
	c->device_name = xstrdup(cfg->device_name != NULL ?
	    cfg->device_name : WA_PAYLOAD_OS);
	c->platform_display = xstrdup(cfg->platform_display != NULL ?
	    cfg->platform_display : "Chrome (Linux)");
	platform_id_set(c);
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
	c->qr_first_ms = cfg->qr_first_ms ? cfg->qr_first_ms :
	    WA_QR_FIRST_MS;
	c->qr_next_ms = cfg->qr_next_ms ? cfg->qr_next_ms : WA_QR_NEXT_MS;
	c->insecure = cfg->allow_insecure_tls;
	c->user = cfg->user;
	c->cb = cfg->cb;
	c->state = WA_STATE_IDLE;
	return c;
}

static void
client_destroy(struct wa_client *c)
{

	attempt_reset(c);
	lws_sul_cancel(&c->sul_end);
	free(c->url);
	free(c->origin);
	free(c->version);
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
			conn_reset(c);
			lws_sul_cancel(&c->sul_end);
			c->state = WA_STATE_IDLE;
		}
		return;
	}
	client_destroy(c);
}

/* Common part of the start_* calls: must be idle. */
static int
start_check(struct wa_client *c, const char *fn)
{

	if (c->free_pending || c->state != WA_STATE_IDLE) {
		log_warnx("%s: client is %s", fn, wa_state_name(c->state));
		return -1;
	}
	return 0;
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
	lws_sul_schedule(c->lws, 0, &c->sul_open, conn_start, 1);
	return 0;
}

/* QR pairing; see wa.h.  0, or -1 (logged). */
int
wa_client_start_pair(struct wa_client *c)
{

	if (start_check(c, __func__) == -1)
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

	if (start_check(c, __func__) == -1)
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

/* Login with a credentials blob; see wa.h.  0, or -1 (logged). */
int
wa_client_start_login(struct wa_client *c, const uint8_t *creds, size_t len)
{

	if (start_check(c, __func__) == -1)
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
	lws_sul_schedule(c->lws, 0, &c->sul_open, conn_start, 1);
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
	client_end(c, WA_REASON_STOPPED, 0, intentional ? 1 : 0, 0);
}

/* Logout; see wa.h.  0, or -1 (logged). */
int
wa_client_logout(struct wa_client *c)
{

	if (c->free_pending) {
		log_warnx("%s: client is being freed", __func__);
		return -1;
	}
	if (c->mode == MODE_PAIR && c->paired_now) {
		/* Paired, the 515 and login still to come. */
		c->logout_wanted = 1;
		return 0;
	}
	if (c->mode != MODE_LOGIN) {
		log_warnx("%s: not logged in", __func__);
		return -1;
	}
	switch (c->state) {
	case WA_STATE_CONNECTED:
		if (!c->logout_sent)
			logout_send(c);
		return 0;
	case WA_STATE_CONNECTING:
	case WA_STATE_LOGGING_IN:
		c->logout_wanted = 1;
		return 0;
	default:
		log_warnx("%s: client is %s", __func__,
		    wa_state_name(c->state));
		return -1;
	}
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
