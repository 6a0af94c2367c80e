/*
 * Webhook pages (README.md "Webhooks", sql/010): GET/POST
 * /settings/webhooks (the operator's endpoints, the add form),
 * GET /settings/webhooks/{id} (its deliveries with every attempt's
 * status and latency), POST .../{id}/enable, .../{id}/delete and
 * /settings/webhooks/deliveries/{id}/redeliver.  Every operator,
 * admins included, sees and changes only their own endpoints; another
 * operator's answers 404.
 *
 * A new endpoint's secret is made here, shown once in the answer to
 * the POST, and stored only sealed (crypto_box_seal) to the public key
 * wadesk-webhookd publishes in webhook_keys: this program cannot open
 * it again, only the sender can.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cgi.h"
#include "db.h"
#include "db_web.h"
#include "log.h"
#include "xalloc.h"

#define	URL_MAX		2000
#define	SECRET_PREFIX	"whsec_"	/* webhook/hook.h HOOK_SECRET_PREFIX */
#define	SECRET_RAW	32

/* The filter's event kinds (sql/010's CHECK), in the form's order. */
static const char *const hook_kinds[] = {
	"account.status", "account.qr", "account.paired",
	"account.logged_out", "account.banned", "account.restricted",
	"message.received", "message.sent", "reminder.run",
};
#define	NKINDS	(sizeof(hook_kinds) / sizeof(hook_kinds[0]))

/* Columns of WS_HOOK_LIST / WS_HOOK_GET (HOOK_COLS). */
enum	hcol { HC_ID, HC_URL, HC_EVENTS, HC_ENABLED, HC_HINT, HC_ACCOUNT,
	HC_LABEL, HC_CREATED, HC_PENDING, HC_DEAD };
/* Columns of WS_HOOK_DELIVERIES. */
enum	dcol { DC_ID, DC_KIND, DC_EVENT, DC_STATE, DC_ATTEMPTS, DC_STATUS,
	DC_LATENCY, DC_ERROR, DC_CREATED, DC_LABEL, DC_TRIES, DC_REDO,
	DC_NEXT };

struct	hooks {
	struct req	*r;
	PGresult	*res;		/* endpoints, or the one endpoint */
	PGresult	*sub;		/* accounts, or deliveries */
	int		 row;
	const char	*error;
	const char	*url;		/* to refill the add form */
	const char	*secret;	/* shown once, after an add */
};

static const char *
col(PGresult *res, int row, int c)
{

	return PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
}

static int
row_key(struct tout *o, enum tkey key, void *arg)
{
	const struct hooks	*h = arg;
	PGresult		*res = h->res;
	int			 on, i = h->row;

	on = db_get_bool(res, i, HC_ENABLED);
	switch (key) {
	case TKEY_ID:
		tmpl_text(o, col(res, i, HC_ID));
		return 0;
	case TKEY_URL:
		tmpl_text(o, col(res, i, HC_URL));
		return 0;
	case TKEY_EVENTS:
		tmpl_text(o, col(res, i, HC_EVENTS));
		return 0;
	case TKEY_LABEL:
		tmpl_text(o, col(res, i, HC_ACCOUNT) == NULL ?
		    "all my accounts" : col(res, i, HC_LABEL));
		return 0;
	case TKEY_VALUE:
		tmpl_text(o, col(res, i, HC_HINT));
		return 0;
	case TKEY_STATE:
		tmpl_text(o, on ? "enabled" : "disabled");
		return 0;
	case TKEY_TOGGLE:
		tmpl_text(o, on ? "Disable" : "Enable");
		return 0;
	case TKEY_TYPE:
		tmpl_text(o, on ? "0" : "1");
		return 0;
	case TKEY_COUNT:
		tmpl_text(o, col(res, i, HC_PENDING));
		return 0;
	case TKEY_TOTAL:
		tmpl_text(o, col(res, i, HC_DEAD));
		return 0;
	case TKEY_CREATED:
		return present_time(o, col(res, i, HC_CREATED));
	case TKEY_CSRF:
		tmpl_text(o, h->r->csrf);
		return 0;
	default:
		return -1;
	}
}

static int
option_key(struct tout *o, enum tkey key, void *arg)
{
	const struct hooks	*h = arg;

	switch (key) {
	case TKEY_ID:
		tmpl_text(o, PQgetvalue(h->sub, h->row, 0));
		return 0;
	case TKEY_LABEL:
		tmpl_text(o, PQgetvalue(h->sub, h->row, 1));
		return 0;
	default:
		return -1;
	}
}

static int
list_key(struct tout *o, enum tkey key, void *arg)
{
	struct hooks	*h = arg;
	int		 n;

	switch (key) {
	case TKEY_ROWS:
		n = PQntuples(h->res);
		for (h->row = 0; h->row < n; h->row++)
			if (tmpl_partial(o, TMPL_WEBHOOK_ROW, row_key, h) == -1)
				return -1;
		return 0;
	case TKEY_OPTIONS:
		n = PQntuples(h->sub);
		for (h->row = 0; h->row < n; h->row++)
			if (tmpl_partial(o, TMPL_OPTION, option_key, h) == -1)
				return -1;
		return 0;
	case TKEY_SECRET:
		if (h->secret == NULL)
			return 0;
		return tmpl_partial(o, TMPL_WEBHOOK_SECRET, list_key, h);
	case TKEY_VALUE:
		tmpl_text(o, h->secret);
		return 0;
	case TKEY_COUNT:
		tmpl_textf(o, "%d", PQntuples(h->res));
		return 0;
	case TKEY_URL:
		tmpl_text(o, h->url);
		return 0;
	case TKEY_ERROR:
		tmpl_text(o, h->error);
		return 0;
	case TKEY_CSRF:
		tmpl_text(o, h->r->csrf);
		return 0;
	default:
		return -1;
	}
}

/*
 * Render the list page with HTTP status "code", an error sentence (or
 * NULL), the URL to refill and the secret to show once (or NULL).
 */
static void
list_render(struct req *r, int code, const char *error, const char *url,
    const char *secret)
{
	struct hooks	 h;
	const char	*p[1];
	char		 op[24];

	memset(&h, 0, sizeof(h));
	h.r = r;
	h.error = error;
	h.url = url;
	h.secret = secret;
	snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
	p[0] = op;
	if ((h.res = db_exec(r->w->db, WS_HOOK_LIST, p)) == NULL ||
	    (h.sub = db_exec(r->w->db, WS_HOOK_ACCOUNTS, p)) == NULL) {
		PQclear(h.res);
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	r->status = code;
	http_page(r, "Webhooks", TMPL_WEBHOOKS, list_key, &h);
	if (r->status != 500)
		r->status = code;
	PQclear(h.res);
	PQclear(h.sub);
}

/* GET /settings/webhooks: the operator's endpoints and the add form. */
void
page_webhooks_list(struct req *r)
{

	list_render(r, 200, NULL, NULL, NULL);
}

/*
 * 1 if "u" is an acceptable endpoint URL: http:// or https://, a host
 * of letters, digits, dots and dashes (or an [IPv6] literal), an
 * optional :port of 1 to 65535, then an optional path and query of
 * printable ASCII without spaces, quotes, angle brackets or a
 * fragment; at most URL_MAX bytes.
 */
static int
url_valid(const char *u)
{
	const char	*p, *h;
	size_t		 n, i;
	long		 port;
	char		*end;

	if (u == NULL || (n = strlen(u)) == 0 || n > URL_MAX)
		return 0;
	if (strncmp(u, "https://", 8) == 0)
		p = u + 8;
	else if (strncmp(u, "http://", 7) == 0)
		p = u + 7;
	else
		return 0;
	h = p;
	if (*p == '[') {
		p += 1 + strspn(p + 1, "0123456789abcdefABCDEF:.");
		if (*p++ != ']' || p - h < 4)
			return 0;
	} else {
		p += strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"
		    "UVWXYZ0123456789.-");
		if (p == h || *h == '.' || *h == '-')
			return 0;
	}
	if (*p == ':') {
		port = strtol(p + 1, &end, 10);
		if (end == p + 1 || port < 1 || port > 65535)
			return 0;
		p = end;
	}
	if (*p != '\0' && *p != '/' && *p != '?')
		return 0;
	for (i = 0; p[i] != '\0'; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f || strchr("\"'<>\\#`{}|^",
		    p[i]) != NULL)
			return 0;
	return 1;
}

/*
 * The form's "event" checkboxes as a PostgreSQL text[] literal
 * ("{account.status,account.qr}") in "out"; each must be a known kind.
 * Returns the count (0: none ticked), or -1 for an unknown kind.
 */
static int
events_param(const struct req *r, struct buf *out)
{
	size_t	 i, k;
	int	 n = 0;

	buf_putc(out, '{');
	for (i = 0; i < r->form.n; i++) {
		if (strcmp(r->form.kv[i].key, "event") != 0)
			continue;
		for (k = 0; k < NKINDS; k++)
			if (strcmp(r->form.kv[i].val, hook_kinds[k]) == 0)
				break;
		if (k == NKINDS)
			return -1;
		if (n++ > 0)
			buf_putc(out, ',');
		buf_puts(out, hook_kinds[k]);
	}
	buf_putc(out, '}');
	return n;
}

/*
 * A new secret in "secret" ("whsec_" + base64url of 32 random bytes)
 * and, in "sealed_hex", its crypto_box_seal to public key "pk" as a
 * bytea literal ("\\x..." text).  The caller owns "sealed_hex".
 */
static char *
secret_make(const unsigned char *pk, char *secret, size_t secretsz)
{
	unsigned char	 raw[SECRET_RAW];
	unsigned char	 sealed[crypto_box_SEALBYTES + 64];
	char		*hex;
	size_t		 n, plen;

	randombytes_buf(raw, sizeof(raw));
	n = strlen(SECRET_PREFIX);
	memcpy(secret, SECRET_PREFIX, n);
	sodium_bin2base64(secret + n, secretsz - n, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	plen = strlen(secret);
	if (plen > 64 || crypto_box_seal(sealed, (unsigned char *)secret,
	    plen, pk) != 0)
		return NULL;
	hex = xmalloc(2 + 2 * (plen + crypto_box_SEALBYTES) + 1);
	memcpy(hex, "\\x", 2);
	sodium_bin2hex(hex + 2, 2 * (plen + crypto_box_SEALBYTES) + 1, sealed,
	    plen + crypto_box_SEALBYTES);
	return hex;
}

/* The sender's public key (32 bytes) into "pk": 1, 0 none yet, -1 db. */
static int
sender_key(struct req *r, unsigned char *pk)
{
	PGresult	*res;
	unsigned char	*raw;
	size_t		 len = 0;
	int		 rc = 0;

	if ((res = db_exec(r->w->db, WS_HOOK_KEY, NULL)) == NULL)
		return -1;
	if (PQntuples(res) == 1 && (raw = PQunescapeBytea((const unsigned
	    char *)PQgetvalue(res, 0, 0), &len)) != NULL) {
		if (len == crypto_box_PUBLICKEYBYTES) {
			memcpy(pk, raw, len);
			rc = 1;
		}
		PQfreemem(raw);
	}
	PQclear(res);
	return rc;
}

/*
 * POST /settings/webhooks (url, event..., account): 200 with the list
 * and the new secret shown once; 422 for a bad URL, no event ticked or
 * a foreign account; 503 when the sender has never started (no key to
 * seal to) or the database fails.
 */
void
page_webhooks_add(struct req *r)
{
	PGresult	*res;
	struct buf	 ev;
	const char	*url, *acc, *p[7];
	unsigned char	 pk[crypto_box_PUBLICKEYBYTES];
	char		 op[24], secret[96], pkhex[2 + 64 + 1], *sealed = NULL;
	int		 n, rc;

	url = kv_get(&r->form, "url");
	acc = kv_get(&r->form, "account");
	if (acc != NULL && *acc == '\0')
		acc = NULL;
	buf_init(&ev);
	if (!url_valid(url)) {
		list_render(r, 422, "The URL must start with http:// or "
		    "https://, name a host, and have no spaces, quotes or "
		    "#fragment (at most 2000 characters).", url, NULL);
		goto out;
	}
	if ((n = events_param(r, &ev)) <= 0) {
		list_render(r, 422, n == 0 ? "Tick at least one event." :
		    "Unknown event kind.", url, NULL);
		goto out;
	}
	if (acc != NULL && (strspn(acc, "0123456789") != strlen(acc) ||
	    strlen(acc) > 18 || acc[0] == '0')) {
		list_render(r, 422, "Pick one of your accounts, or all.", url,
		    NULL);
		goto out;
	}
	if ((rc = sender_key(r, pk)) != 1) {
		list_render(r, 503, rc == 0 ? "The webhook sender "
		    "(wadesk-webhookd) has not started yet, so there is no "
		    "key to seal the secret to: start it, then add the "
		    "endpoint again." : "The database is unavailable.", url,
		    NULL);
		goto out;
	}
	if ((sealed = secret_make(pk, secret, sizeof(secret))) == NULL) {
		http_error(r, 500, NULL);
		goto out;
	}
	memcpy(pkhex, "\\x", 2);
	sodium_bin2hex(pkhex + 2, sizeof(pkhex) - 2, pk, sizeof(pk));
	snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
	p[0] = op;
	p[1] = acc;
	p[2] = url;
	p[3] = buf_str(&ev);
	p[4] = sealed;
	p[5] = pkhex;
	p[6] = secret + strlen(secret) - 4;
	if ((res = db_exec(r->w->db, WS_HOOK_INSERT, p)) == NULL) {
		http_error(r, 503, "The database is unavailable.");
		goto out;
	}
	n = PQntuples(res);
	PQclear(res);
	if (n != 1)
		list_render(r, 422, "Pick one of your accounts, or all.", url,
		    NULL);
	else
		list_render(r, 200, NULL, NULL, secret);
out:
	sodium_memzero(secret, sizeof(secret));
	free(sealed);
	buf_free(&ev);
}

static int
delivery_key(struct tout *o, enum tkey key, void *arg)
{
	const struct hooks	*h = arg;
	PGresult		*res = h->sub;
	const char		*v;
	int			 i = h->row;

	switch (key) {
	case TKEY_ID:
		tmpl_text(o, col(res, i, DC_ID));
		return 0;
	case TKEY_KIND:
		tmpl_text(o, col(res, i, DC_KIND));
		return 0;
	case TKEY_CODE:
		tmpl_text(o, col(res, i, DC_EVENT));
		return 0;
	case TKEY_LABEL:
		tmpl_text(o, col(res, i, DC_LABEL));
		return 0;
	case TKEY_STATE:
		tmpl_text(o, col(res, i, DC_STATE));
		return 0;
	case TKEY_COUNT:
		tmpl_text(o, col(res, i, DC_ATTEMPTS));
		return 0;
	case TKEY_STATUS:
		v = col(res, i, DC_STATUS);
		tmpl_text(o, v != NULL ? v : col(res, i, DC_LATENCY) != NULL ?
		    "no answer" : "not tried yet");
		return 0;
	case TKEY_LATENCY:
		if ((v = col(res, i, DC_LATENCY)) != NULL)
			tmpl_textf(o, "%s ms", v);
		return 0;
	case TKEY_DETAIL:
		v = col(res, i, DC_TRIES);
		tmpl_text(o, v != NULL ? v : "none");
		return 0;
	case TKEY_ERROR:
		tmpl_text(o, col(res, i, DC_ERROR));
		return 0;
	case TKEY_NEXT:
		if (strcmp(col(res, i, DC_STATE), "pending") == 0) {
			tmpl_text(o, "next attempt ");
			return present_time(o, col(res, i, DC_NEXT));
		}
		return 0;
	case TKEY_TYPE:
		if ((v = col(res, i, DC_REDO)) != NULL)
			tmpl_textf(o, "redelivery of #%s", v);
		return 0;
	case TKEY_CREATED:
		return present_time(o, col(res, i, DC_CREATED));
	case TKEY_ACTION:
		if (strcmp(col(res, i, DC_STATE), "pending") == 0)
			return 0;
		return tmpl_partial(o, TMPL_REDELIVER, delivery_key, arg);
	case TKEY_CSRF:
		tmpl_text(o, h->r->csrf);
		return 0;
	default:
		return -1;
	}
}

static int
show_key(struct tout *o, enum tkey key, void *arg)
{
	struct hooks	*h = arg;
	int		 n;

	switch (key) {
	case TKEY_ROWS:
		n = PQntuples(h->sub);
		for (h->row = 0; h->row < n; h->row++)
			if (tmpl_partial(o, TMPL_DELIVERY_ROW, delivery_key,
			    h) == -1)
				return -1;
		return 0;
	default:
		h->row = 0;
		return row_key(o, key, h);
	}
}

/* GET /settings/webhooks/{id}: the endpoint and its deliveries; 404. */
void
page_webhook_show(struct req *r)
{
	struct hooks	 h;
	const char	*p[2];
	char		 sid[24], op[24];

	memset(&h, 0, sizeof(h));
	h.r = r;
	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
	p[0] = sid;
	p[1] = op;
	if ((h.res = db_exec(r->w->db, WS_HOOK_GET, p)) == NULL) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	if (PQntuples(h.res) != 1) {
		PQclear(h.res);
		http_error(r, 404, NULL);
		return;
	}
	if ((h.sub = db_exec(r->w->db, WS_HOOK_DELIVERIES, p)) == NULL) {
		PQclear(h.res);
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	http_page(r, "Webhook deliveries", TMPL_WEBHOOK, show_key, &h);
	PQclear(h.res);
	PQclear(h.sub);
}

/* Run "stmt" (id, operator[, arg]) returning a row when it applied. */
static void
endpoint_change(struct req *r, size_t stmt, const char *arg)
{
	PGresult	*res;
	const char	*p[3];
	char		 sid[24], op[24];
	int		 n;

	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
	p[0] = sid;
	p[1] = op;
	p[2] = arg;
	if ((res = db_exec(r->w->db, stmt, p)) == NULL) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	n = PQntuples(res);
	PQclear(res);
	if (n != 1)
		http_error(r, 404, NULL);
	else
		http_redirect(r, "/settings/webhooks?notice=saved");
}

/*
 * POST /settings/webhooks/{id}/enable (value=1|0): 303; 404; 422.
 * Events that happen while an endpoint is disabled are not queued for
 * it; deliveries already queued wait and resume when it is enabled.
 */
void
page_webhook_enable(struct req *r)
{
	const char	*v = kv_get(&r->form, "value");

	if (v == NULL || (strcmp(v, "1") != 0 && strcmp(v, "0") != 0)) {
		list_render(r, 422, "Bad value.", NULL, NULL);
		return;
	}
	endpoint_change(r, WS_HOOK_ENABLE, v[0] == '1' ? "true" : "false");
}

/* POST /settings/webhooks/{id}/delete: 303 (its deliveries go too); 404. */
void
page_webhook_delete(struct req *r)
{

	endpoint_change(r, WS_HOOK_DELETE, NULL);
}

/*
 * POST /settings/webhooks/deliveries/{id}/redeliver: queue the event
 * again for the same endpoint as a new delivery (same event id, so a
 * receiver that de-duplicates sees it as the one it had); 303 back to
 * the endpoint; 404 for another operator's; 409 while it is pending.
 */
void
page_webhook_redeliver(struct req *r)
{
	PGresult	*res;
	const char	*p[2];
	char		 sid[24], op[24], *loc;
	int		 done;

	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
	p[0] = sid;
	p[1] = op;
	if ((res = db_exec(r->w->db, WS_HOOK_REDELIVER, p)) == NULL) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		http_error(r, 404, NULL);
		return;
	}
	done = strcmp(PQgetvalue(res, 0, 2), "1") == 0;
	loc = xasprintf("/settings/webhooks/%s?notice=redelivery",
	    PQgetvalue(res, 0, 0));
	PQclear(res);
	if (done)
		http_redirect(r, loc);
	else
		http_error(r, 409, "This delivery is still pending: it is "
		    "retried by itself; Redeliver works once it is delivered "
		    "or dead.");
	free(loc);
}
