/*
 * A scripted stand-in for daemon/wa (the wa.h interface) that links
 * into a test-only build of the daemon, build/.../tests/daemon/
 * wadeskd-fake.  It lets tests/daemon/run.sh check the daemon's own
 * work (commands, rows, events, credentials, timers, restarts) without
 * the WhatsApp client; the same script runs against the real client
 * and tests/wasim when that is built.  Nothing here is used by wadeskd.
 *
 * Control is through files in $FAKE_WA_DIR, polled every 100 ms by
 * every live client (names use the phone number, digits):
 *   scan            "<qr> <phone>": the phone scans that QR -> paired,
 *                   then connected (the 515 is internal, as in wa.h)
 *   code            "<code> <phone>": the code was typed on the phone
 *   logout.P        phone removes its device(s): logged_out + closed
 *   ban.P           closes live sessions; logins fail 403 while present
 *   conflict.P, drop.P, garbage.P, silence.P   one-shot faults
 *   outdated        the next login fails 405 (one shot)
 *   stall-login.P   the next login of phone P never ends: no connected,
 *                   no close (one shot; the daemon's deadline must act)
 * and it writes linked.P.D (device D of phone P linked) and
 * removed.P.D (that device was logged out by our own logout).
 * QR refs rotate every $FAKE_WA_QR_MS (default 1000) ms, six in all,
 * then the connection closes with WA_REASON_QR_EXHAUSTED.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "msg.h"
#include "wa.h"

struct	wa_client {
	struct wa_config	 cfg;
	lws_sorted_usec_list_t	 sul;
	enum wa_state		 state;
	int			 qr_n;
	uint64_t		 next_qr_ms;
	int			 by_code;
	char			 phone[32];	/* linked phone, digits */
	int			 dev;
	char			 jid[64];
	char			 qr[64];
	int			 intentional;	/* closing on request */
	enum wa_reason		 close_reason;
	int			 logout_pending;
	int			 silenced_ms;
	int			 stalled;	/* stall-login: wait forever */
	uint64_t		 connect_at;
	int			 in_cb;
	int			 free_me;
	char			 version[32];	/* wa_client_set_version */
	char			 version_source[300];
};

static int	fake_seq;

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *
dir(void)
{
	const char	*d = getenv("FAKE_WA_DIR");

	return d != NULL ? d : "/tmp";
}

/* 1 if the control file exists; "consume" removes it. */
static int
ctl(const char *name, const char *phone, int consume)
{
	char	 p[512];

	if (phone != NULL)
		snprintf(p, sizeof(p), "%s/%s.%s", dir(), name, phone);
	else
		snprintf(p, sizeof(p), "%s/%s", dir(), name);
	if (access(p, F_OK) != 0)
		return 0;
	if (consume)
		unlink(p);
	return 1;
}

static void
mark(const char *name, const char *phone, int dev, int on)
{
	char	 p[512];
	FILE	*f;

	snprintf(p, sizeof(p), "%s/%s.%s.%d", dir(), name, phone, dev);
	if (!on) {
		unlink(p);
		return;
	}
	if ((f = fopen(p, "w")) != NULL)
		fclose(f);
}

static void	poll_cb(lws_sorted_usec_list_t *);

static void
arm(struct wa_client *c, int ms)
{

	lws_sul_schedule(c->cfg.lws, 0, &c->sul, poll_cb, ms * 1000);
}

static void
closed(struct wa_client *c, enum wa_reason r)
{
	int	 intent = c->intentional;

	c->state = WA_STATE_IDLE;
	c->intentional = 0;
	c->logout_pending = 0;
	lws_sul_cancel(&c->sul);
	c->in_cb++;
	if (c->cfg.cb->closed != NULL)
		c->cfg.cb->closed(c, c->cfg.user, r, 0, intent);
	c->in_cb--;
}

static void
logged_out(struct wa_client *c, enum wa_reason r, int code)
{

	c->in_cb++;
	if (c->cfg.cb->logged_out != NULL)
		c->cfg.cb->logged_out(c, c->cfg.user, r, code);
	c->in_cb--;
}

static void
connected(struct wa_client *c)
{
	struct wa_connected	 ci;

	c->state = WA_STATE_CONNECTED;
	memset(&ci, 0, sizeof(ci));
	ci.jid = c->jid;
	ci.phone = c->phone;
	ci.push_name = "Fake Phone";
	c->in_cb++;
	if (c->cfg.cb->connected != NULL)
		c->cfg.cb->connected(c, c->cfg.user, &ci);
	c->in_cb--;
}

/* Our own logout went through: the device is gone. */
static void
do_logout(struct wa_client *c)
{

	c->logout_pending = 0;
	mark("linked", c->phone, c->dev, 0);
	mark("removed", c->phone, c->dev, 1);
	logged_out(c, WA_REASON_LOGGED_OUT, 0);
	c->intentional = 1;
	if (c->state != WA_STATE_IDLE)
		closed(c, WA_REASON_LOGGED_OUT);
}

/* Next free device number of "phone". */
static int
next_dev(const char *phone)
{
	char	 p[512];
	int	 d;

	for (d = 1; d < 1000; d++) {
		snprintf(p, sizeof(p), "%s/dev.%s.%d", dir(), phone, d);
		if (access(p, F_OK) != 0) {
			FILE	*f = fopen(p, "w");

			if (f != NULL)
				fclose(f);
			return d;
		}
	}
	return d;
}

static void
paired(struct wa_client *c, const char *phone)
{
	struct wa_paired	 p;
	char			 creds[128];

	snprintf(c->phone, sizeof(c->phone), "%s", phone);
	c->dev = next_dev(phone);
	snprintf(c->jid, sizeof(c->jid), "%s:%d@s.whatsapp.net", phone,
	    c->dev);
	snprintf(creds, sizeof(creds), "fake %s %d", phone, c->dev);
	mark("linked", phone, c->dev, 1);
	memset(&p, 0, sizeof(p));
	p.jid = c->jid;
	p.phone = c->phone;
	p.platform = "android";
	p.creds = (const uint8_t *)creds;
	p.creds_len = strlen(creds);
	c->state = WA_STATE_LOGGING_IN;
	c->in_cb++;
	if (c->cfg.cb->paired != NULL)
		c->cfg.cb->paired(c, c->cfg.user, &p);
	c->in_cb--;
	c->connect_at = now_ms() + 150;
}

/* Read "<a> <b>" from control file "name"; 1 if read (consumed). */
static int
read_pair(const char *name, char *a, size_t alen, char *b, size_t blen)
{
	char	 p[512], line[256], *sp;
	FILE	*f;

	snprintf(p, sizeof(p), "%s/%s", dir(), name);
	if ((f = fopen(p, "r")) == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		return 0;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if ((sp = strchr(line, ' ')) == NULL)
		return 0;
	*sp++ = '\0';
	snprintf(a, alen, "%.100s", line);
	snprintf(b, blen, "%.40s", sp);
	return 1;
}

static void
pairing_poll(struct wa_client *c)
{
	char	 a[128], ph[64], p[512];
	int	 ttl;

	if (read_pair("scan", a, sizeof(a), ph, sizeof(ph)) &&
	    strcmp(a, c->qr) == 0) {
		snprintf(p, sizeof(p), "%s/scan", dir());
		unlink(p);
		paired(c, ph);
		return;
	}
	if (c->by_code && read_pair("code", a, sizeof(a), ph, sizeof(ph)) &&
	    strcmp(a, "FAKE-CODE") == 0) {
		snprintf(p, sizeof(p), "%s/code", dir());
		unlink(p);
		paired(c, ph);
		return;
	}
	if (now_ms() < c->next_qr_ms)
		return;
	ttl = getenv("FAKE_WA_QR_MS") != NULL ?
	    atoi(getenv("FAKE_WA_QR_MS")) : 1000;
	if (c->qr_n == 6) {
		closed(c, WA_REASON_QR_EXHAUSTED);
		return;
	}
	c->qr_n++;
	snprintf(c->qr, sizeof(c->qr), "2@fake%d,%d", fake_seq, c->qr_n);
	c->next_qr_ms = now_ms() + (uint64_t)ttl;
	c->in_cb++;
	if (c->cfg.cb->qr != NULL)
		c->cfg.cb->qr(c, c->cfg.user, c->qr, c->qr_n,
		    time(NULL) + ttl / 1000 + 1);
	c->in_cb--;
}

static void
connected_poll(struct wa_client *c)
{

	if (c->logout_pending)
		do_logout(c);
	else if (ctl("logout", c->phone, 0)) {
		mark("linked", c->phone, c->dev, 0);
		logged_out(c, WA_REASON_LOGGED_OUT, 401);
		if (c->state != WA_STATE_IDLE)
			closed(c, WA_REASON_LOGGED_OUT);
	} else if (ctl("ban", c->phone, 0))
		closed(c, WA_REASON_CONNECTION_LOST);
	else if (ctl("conflict", c->phone, 1))
		closed(c, WA_REASON_REPLACED);
	else if (ctl("drop", c->phone, 1))
		closed(c, WA_REASON_CONNECTION_LOST);
	else if (ctl("garbage", c->phone, 1))
		closed(c, WA_REASON_PROTOCOL);
	else if (ctl("silence", c->phone, 1))
		c->silenced_ms = 1500;
	else if (c->silenced_ms > 0 && (c->silenced_ms -= 100) <= 0)
		closed(c, WA_REASON_TIMEOUT);
}

/* A login: the checks the server would make. */
static void
login_poll(struct wa_client *c)
{
	char	 p[512];

	if (now_ms() < c->connect_at || c->stalled)
		return;
	snprintf(p, sizeof(p), "%s/linked.%s.%d", dir(), c->phone, c->dev);
	if (ctl("stall-login", c->phone, 1))
		c->stalled = 1;
	else if (ctl("outdated", NULL, 1))
		closed(c, WA_REASON_OUTDATED);
	else if (access(p, F_OK) != 0) {
		logged_out(c, WA_REASON_LOGGED_OUT, 401);
		if (c->state != WA_STATE_IDLE)
			closed(c, WA_REASON_LOGGED_OUT);
	} else if (ctl("ban", c->phone, 0)) {
		logged_out(c, WA_REASON_BANNED, 403);
		if (c->state != WA_STATE_IDLE)
			closed(c, WA_REASON_BANNED);
	} else
		connected(c);
}

static void
poll_cb(lws_sorted_usec_list_t *sul)
{
	struct wa_client	*c = lws_container_of(sul, struct wa_client,
				    sul);

	switch (c->state) {
	case WA_STATE_PAIRING:
		pairing_poll(c);
		break;
	case WA_STATE_LOGGING_IN:
		login_poll(c);
		break;
	case WA_STATE_CONNECTED:
		connected_poll(c);
		break;
	case WA_STATE_CLOSING:
		closed(c, c->close_reason);
		break;
	default:
		break;
	}
	if (c->free_me && c->in_cb == 0) {
		lws_sul_cancel(&c->sul);
		free(c);
		return;
	}
	if (c->state != WA_STATE_IDLE)
		arm(c, 100);
}

struct wa_client *
wa_client_new(const struct wa_config *cfg)
{
	struct wa_client	*c;

	if (cfg->lws == NULL)
		return NULL;
	c = calloc(1, sizeof(*c));
	c->cfg = *cfg;
	return c;
}

void
wa_client_free(struct wa_client *c)
{

	if (c == NULL)
		return;
	if (c->state != WA_STATE_IDLE) {
		c->intentional = 1;
		closed(c, WA_REASON_STOPPED);
	}
	lws_sul_cancel(&c->sul);
	if (c->in_cb > 0) {
		c->free_me = 1;
		arm(c, 1);
		return;
	}
	free(c);
}

int
wa_client_start_pair(struct wa_client *c)
{

	if (c->state != WA_STATE_IDLE)
		return -1;
	fake_seq++;
	c->state = WA_STATE_PAIRING;
	c->qr_n = 0;
	c->next_qr_ms = 0;
	arm(c, 50);
	return 0;
}

int
wa_client_start_pair_code(struct wa_client *c, const char *phone)
{

	if (wa_client_start_pair(c) == -1)
		return -1;
	c->by_code = 1;
	c->in_cb++;
	if (c->cfg.cb->pair_code != NULL)
		c->cfg.cb->pair_code(c, c->cfg.user, "FAKE-CODE");
	c->in_cb--;
	return 0;
}

int
wa_client_start_login(struct wa_client *c, const uint8_t *creds, size_t len)
{
	char	 buf[128];

	if (c->state != WA_STATE_IDLE || len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, creds, len);
	buf[len] = '\0';
	if (sscanf(buf, "fake %31s %d", c->phone, &c->dev) != 2)
		return -1;
	snprintf(c->jid, sizeof(c->jid), "%s:%d@s.whatsapp.net", c->phone,
	    c->dev);
	c->state = WA_STATE_LOGGING_IN;
	c->connect_at = now_ms() + 100;
	arm(c, 50);
	return 0;
}

void
wa_client_stop(struct wa_client *c, int intentional)
{

	if (c->state == WA_STATE_IDLE)
		return;
	c->intentional = intentional;
	c->close_reason = WA_REASON_STOPPED;
	c->state = WA_STATE_CLOSING;
	arm(c, 1);
}

/* As wa.h: closed(WA_REASON_TIMEOUT, intentional 0) from the loop. */
void
wa_client_drop(struct wa_client *c, const char *cause)
{

	if (c->state == WA_STATE_IDLE || c->state == WA_STATE_CLOSING)
		return;
	c->intentional = 0;
	c->close_reason = WA_REASON_TIMEOUT;
	c->state = WA_STATE_CLOSING;
	arm(c, 1);
}

int
wa_client_logout(struct wa_client *c)
{

	if (c->state == WA_STATE_LOGGING_IN) {
		c->logout_pending = 1;
		return 0;
	}
	if (c->state != WA_STATE_CONNECTED)
		return -1;
	c->logout_pending = 1;
	return 0;
}

enum wa_state
wa_client_state(const struct wa_client *c)
{

	return c->state;
}

const char *
wa_client_jid(const struct wa_client *c)
{

	return c->jid[0] != '\0' ? c->jid : NULL;
}

/* The stand-in sees no frames: last_frame_at keeps the connect time. */
time_t
wa_client_last_frame(const struct wa_client *c)
{

	return 0;
}

const char *
wa_reason_name(enum wa_reason reason)
{

	return "fake";
}

const char *
wa_state_name(enum wa_state state)
{

	return "fake";
}

int
wa_client_set_version(struct wa_client *c, const char *version,
    const char *source)
{

	if (version == NULL || strlen(version) >= sizeof(c->version))
		return -1;
	snprintf(c->version, sizeof(c->version), "%s", version);
	snprintf(c->version_source, sizeof(c->version_source), "%s",
	    source != NULL ? source : "built-in");
	return 0;
}

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

/* The fake has no transport: no cause beyond the reason. */
const char *
wa_client_end_cause(const struct wa_client *c)
{

	return "";
}

/* The scripted stand-in has no groups to list: the daemon treats the
 * query as not sent (a sync_groups command ends "not connected"). */
int
wa_client_groups_sync(struct wa_client *c)
{

	return -1;
}

/* The fake has no Signal layer: every send is refused (issue 9). */
int
wa_client_send_text(struct wa_client *c, const char *to, const char *text,
    const char *id, void *tag)
{

	return -1;
}

/* A fixed-shape id, so send.c links without daemon/wa/msg.c. */
void
wa_msg_id(char out[WA_MSG_ID_LEN], const char *own_user, time_t now)
{

	snprintf(out, WA_MSG_ID_LEN, "3EB0%018llX", (unsigned long long)now);
}
