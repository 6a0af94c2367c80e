/*
 * GET/POST /settings/api-keys and POST /settings/api-keys/{id}/revoke:
 * an operator's own API keys (lib/apikey.h, sql/009_api.sql).  Every
 * operator manages their own keys here, admins included, and only
 * with a signed-in session and the form's CSRF token: an API key can
 * never reach these pages (they answer a Bearer request with the
 * sign-in redirect), so no key can make or revoke keys.  A new key is
 * shown once, on the page the POST answers; only its hash is kept.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apikey.h"
#include "cgi.h"
#include "db.h"
#include "db_web.h"
#include "log.h"
#include "xalloc.h"

struct	keys {
	struct req	*r;
	PGresult	*res;		/* WS_APIKEYS_FOR_OPERATOR */
	int		 row;
	const char	*error;		/* form error, or NULL */
	const char	*name;		/* to refill the form */
	const char	*accounts;	/* to refill the form */
	const char	*key;		/* the new key, shown once, or NULL */
};

static int
revoke_key(struct tout *o, enum tkey key, void *arg)
{
	const struct keys	*k = arg;

	switch (key) {
	case TKEY_ID:
		tmpl_text(o, PQgetvalue(k->res, k->row, 0));
		return 0;
	case TKEY_CSRF:
		tmpl_text(o, k->r->csrf);
		return 0;
	default:
		return -1;
	}
}

static int
row_key(struct tout *o, enum tkey key, void *arg)
{
	struct keys	*k = arg;
	struct buf	 b;
	unsigned int	 mask;
	const char	*v;

	switch (key) {
	case TKEY_NAME:
		tmpl_text(o, PQgetvalue(k->res, k->row, 1));
		return 0;
	case TKEY_PREFIX:
		tmpl_text(o, PQgetvalue(k->res, k->row, 2));
		return 0;
	case TKEY_SCOPES:
		if (apikey_scopes_parse(PQgetvalue(k->res, k->row, 3),
		    &mask) == -1)
			return -1;
		buf_init(&b);
		apikey_scopes_write(&b, mask, ", ");
		tmpl_text(o, buf_str(&b));
		buf_free(&b);
		return 0;
	case TKEY_ACCOUNTS:
		if (PQgetisnull(k->res, k->row, 4)) {
			tmpl_text(o, "all");
			return 0;
		}
		v = PQgetvalue(k->res, k->row, 4);
		/* "{1,2}" -> "1, 2" */
		buf_init(&b);
		for (v++; *v != '\0' && *v != '}'; v++)
			if (*v == ',')
				buf_puts(&b, ", ");
			else
				buf_putc(&b, *v);
		tmpl_text(o, buf_str(&b));
		buf_free(&b);
		return 0;
	case TKEY_CREATED:
		return present_time(o, PQgetvalue(k->res, k->row, 5));
	case TKEY_LAST_USED:
		if (PQgetisnull(k->res, k->row, 6)) {
			tmpl_text(o, "never");
			return 0;
		}
		return present_time(o, PQgetvalue(k->res, k->row, 6));
	case TKEY_STATE:
		if (!PQgetisnull(k->res, k->row, 7)) {
			tmpl_text(o, "Revoked ");
			return present_time(o, PQgetvalue(k->res, k->row, 7));
		}
		return tmpl_partial(o, TMPL_APIKEY_REVOKE, revoke_key, k);
	default:
		return -1;
	}
}

static int
new_key(struct tout *o, enum tkey key, void *arg)
{
	const struct keys	*k = arg;

	switch (key) {
	case TKEY_NAME:
		tmpl_text(o, k->name);
		return 0;
	case TKEY_KEY:
		tmpl_text(o, k->key);
		return 0;
	default:
		return -1;
	}
}

static int
keys_key(struct tout *o, enum tkey key, void *arg)
{
	struct keys	*k = arg;
	int		 n;

	switch (key) {
	case TKEY_ROWS:
		n = PQntuples(k->res);
		for (k->row = 0; k->row < n; k->row++)
			if (tmpl_partial(o, TMPL_APIKEY_ROW, row_key, k) == -1)
				return -1;
		return 0;
	case TKEY_KEY:
		if (k->key == NULL)
			return 0;
		return tmpl_partial(o, TMPL_APIKEY_NEW, new_key, k);
	case TKEY_CSRF:
		tmpl_text(o, k->r->csrf);
		return 0;
	case TKEY_ERROR:
		tmpl_text(o, k->error);
		return 0;
	case TKEY_NAME:
		tmpl_text(o, k->key == NULL ? k->name : "");
		return 0;
	case TKEY_ACCOUNTS:
		tmpl_text(o, k->key == NULL ? k->accounts : "");
		return 0;
	default:
		return -1;
	}
}

/* Render the page with status "code" (after k->... are set). */
static void
keys_page(struct req *r, struct keys *k, int code)
{
	const char	*p[1];
	char		 op[24];

	snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
	p[0] = op;
	if ((k->res = db_exec(r->w->db, WS_APIKEYS_FOR_OPERATOR, p)) == NULL) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	http_page(r, "API keys", TMPL_APIKEYS, keys_key, k);
	if (r->status != 500)
		r->status = code;
	PQclear(k->res);
}

/* GET /settings/api-keys: the operator's keys and the create form. */
void
page_apikeys_list(struct req *r)
{
	struct keys	 k;

	memset(&k, 0, sizeof(k));
	k.r = r;
	k.name = "";
	k.accounts = "";
	keys_page(r, &k, 200);
}

/*
 * POST /settings/api-keys (name, scope... , accounts): 200 with the
 * page showing the new key once; 422 with the form again for a bad
 * name, no or an unknown scope, or an account list that is malformed
 * or names an account the operator does not see.
 */
void
page_apikeys_create(struct req *r)
{
	struct keys	 k;
	struct buf	 scopes, ids;
	PGresult	*res;
	const char	*p[6], *adm;
	char		 key[APIKEY_LEN + 1], prefix[APIKEY_PREFIX_HEX + 1];
	char		 hash[APIKEY_HASH_HEX + 1], op[24];
	unsigned int	 mask = 0, bit;
	size_t		 i;
	int		 n = 0;
	int64_t		 seen;

	memset(&k, 0, sizeof(k));
	k.r = r;
	k.name = kv_get(&r->form, "name");
	k.accounts = kv_get(&r->form, "accounts");
	if (k.accounts == NULL)
		k.accounts = "";
	buf_init(&scopes);
	buf_init(&ids);
	for (i = 0; i < r->form.n; i++) {
		if (strcmp(r->form.kv[i].key, "scope") != 0)
			continue;
		if ((bit = apikey_scope_bit(r->form.kv[i].val)) == 0) {
			k.error = "Unknown scope.";
			break;
		}
		mask |= bit;
	}
	if (k.name == NULL || !label_valid(k.name))
		k.error = "A key's name has 1 to 100 characters and no "
		    "control characters.";
	else if (k.error == NULL && mask == 0)
		k.error = "Choose at least one scope.";
	else if (k.error == NULL &&
	    (n = apikey_ids_literal(k.accounts, &ids)) == -1)
		k.error = "List accounts by their numbers, separated by "
		    "commas (at most 100), or leave the field empty for all.";
	if (k.error == NULL && ids.len > 0) {
		page_visibility(r, op, &adm);
		p[0] = buf_str(&ids);
		p[1] = op;
		p[2] = adm;
		if ((res = db_exec(r->w->db, WS_APIKEY_ACCOUNTS_VISIBLE,
		    p)) == NULL)
			goto fail;
		if (db_get_int64(res, 0, 0, &seen) == -1 || seen != n)
			k.error = "The list names an account that is not "
			    "yours (or does not exist).";
		PQclear(res);
	}
	if (k.error != NULL) {
		if (k.name == NULL || strlen(k.name) > 200)
			k.name = "";
		if (strlen(k.accounts) > 1000)
			k.accounts = "";
		keys_page(r, &k, 422);
		goto out;
	}
	buf_putc(&scopes, '{');
	apikey_scopes_write(&scopes, mask, ",");
	buf_putc(&scopes, '}');
	(void)apikey_new(key, prefix, hash);
	snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
	p[0] = op;
	p[1] = k.name;
	p[2] = prefix;
	p[3] = hash;
	p[4] = buf_str(&scopes);
	p[5] = ids.len > 0 ? buf_str(&ids) : NULL;
	if ((res = db_exec(r->w->db, WS_APIKEY_INSERT, p)) == NULL)
		goto fail;
	PQclear(res);
	log_info("operator %s made API key %s", r->username, prefix);
	k.key = key;
	keys_page(r, &k, 200);
	goto out;
fail:
	http_error(r, 503, "The database is unavailable.");
out:
	explicit_bzero(key, sizeof(key));
	buf_free(&scopes);
	buf_free(&ids);
}

/* POST /settings/api-keys/{id}/revoke: 303 back; 404 unless own, live. */
void
page_apikey_revoke(struct req *r)
{
	PGresult	*res;
	const char	*p[2];
	char		 sid[24], op[24];

	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	snprintf(op, sizeof(op), "%" PRId64, r->operator_id);
	p[0] = sid;
	p[1] = op;
	if ((res = db_exec(r->w->db, WS_APIKEY_REVOKE, p)) == NULL) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		http_error(r, 404, "No such key, or it is revoked already.");
		return;
	}
	PQclear(res);
	http_redirect(r, "/settings/api-keys?notice=revoked");
}
