/*
 * Admin pages: GET/POST /settings/operators (list, add) and
 * POST /settings/operators/{id}/password and .../disable.  Resetting a
 * password or disabling an operator ends that operator's sessions.
 * An admin cannot disable themself (so the last admin cannot lock
 * everyone out by accident).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgi.h"
#include "db.h"
#include "db_web.h"
#include "log.h"
#include "pw.h"

struct	ops {
	struct req	*r;
	PGresult	*res;
	int		 row;
	const char	*error;
	const char	*username;	/* to refill the add form */
};

static int
row_key(struct tout *o, enum tkey key, void *arg)
{
	const struct ops	*s = arg;
	int			 disabled;

	disabled = db_get_bool(s->res, s->row, 3);
	switch (key) {
	case TKEY_ID:
		tmpl_text(o, PQgetvalue(s->res, s->row, 0));
		return 0;
	case TKEY_USERNAME:
		tmpl_text(o, PQgetvalue(s->res, s->row, 1));
		return 0;
	case TKEY_ROLE:
		tmpl_text(o, PQgetvalue(s->res, s->row, 2));
		return 0;
	case TKEY_DISABLED:
		tmpl_text(o, disabled ? "disabled" : "active");
		return 0;
	case TKEY_TOGGLE:
		tmpl_text(o, disabled ? "Enable" : "Disable");
		return 0;
	case TKEY_VALUE:
		tmpl_text(o, disabled ? "0" : "1");
		return 0;
	case TKEY_CREATED:
		return present_time(o, PQgetvalue(s->res, s->row, 4));
	case TKEY_CSRF:
		tmpl_text(o, s->r->csrf);
		return 0;
	default:
		return -1;
	}
}

static int
ops_key(struct tout *o, enum tkey key, void *arg)
{
	struct ops	*s = arg;
	int		 n;

	switch (key) {
	case TKEY_ROWS:
		n = PQntuples(s->res);
		for (s->row = 0; s->row < n; s->row++)
			if (tmpl_partial(o, TMPL_OPERATOR_ROW, row_key, s) == -1)
				return -1;
		return 0;
	case TKEY_CSRF:
		tmpl_text(o, s->r->csrf);
		return 0;
	case TKEY_ERROR:
		tmpl_text(o, s->error);
		return 0;
	case TKEY_USERNAME:
		tmpl_text(o, s->username);
		return 0;
	default:
		return -1;
	}
}

/* Render the operators page with "code" and an optional error. */
static void
ops_render(struct req *r, int code, const char *error, const char *username)
{
	struct ops	 s;

	memset(&s, 0, sizeof(s));
	s.r = r;
	s.error = error;
	s.username = username;
	if ((s.res = db_exec(r->w->db, WS_OPERATORS_LIST, NULL)) == NULL) {
		http_error(r, 503, NULL);
		return;
	}
	r->status = code;
	http_page(r, "Operators", TMPL_OPERATORS, ops_key, &s);
	if (r->status != 500)
		r->status = code;
	PQclear(s.res);
}

/* GET /settings/operators (admin): the list and the add form. */
void
page_operators_list(struct req *r)
{

	ops_render(r, 200, NULL, NULL);
}

/* 1 if "u" is a valid username: [A-Za-z0-9._-]{1,64}. */
static int
username_valid(const char *u)
{
	size_t	 len = u == NULL ? 0 : strlen(u);

	return len >= 1 && len <= 64 && strspn(u, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

/*
 * POST /settings/operators (username, password, role): 303 back; 422
 * for a bad field; 409 when the username is taken.
 */
void
page_operators_add(struct req *r)
{
	PGresult	*res;
	const char	*u, *pw, *role, *p[3];
	char		 hash[PW_HASH_MAX];

	u = kv_get(&r->form, "username");
	pw = kv_get(&r->form, "password");
	role = kv_get(&r->form, "role");
	if (!username_valid(u)) {
		ops_render(r, 422, "A username has 1 to 64 letters, digits, "
		    "dots, dashes or underscores.", NULL);
		return;
	}
	if (pw == NULL || !pw_acceptable(pw)) {
		ops_render(r, 422, "A password has 8 to 256 characters.", u);
		return;
	}
	if (role == NULL || (strcmp(role, "admin") != 0 &&
	    strcmp(role, "operator") != 0)) {
		ops_render(r, 422, "The role is admin or operator.", u);
		return;
	}
	if (pw_hash(pw, hash) == -1) {
		http_error(r, 500, NULL);
		return;
	}
	p[0] = u;
	p[1] = hash;
	p[2] = role;
	if ((res = db_exec(r->w->db, WS_OPERATOR_INSERT, p)) == NULL) {
		http_error(r, 503, NULL);
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		ops_render(r, 409, "That username is taken.", u);
		return;
	}
	PQclear(res);
	http_redirect(r, "/settings/operators?notice=saved");
}

/* Run "stmt" on operator r->id with "arg", then drop their sessions. */
static int
operator_update(struct req *r, size_t stmt, const char *arg)
{
	PGresult	*res;
	const char	*p[2];
	char		 sid[24];
	int		 found;

	snprintf(sid, sizeof(sid), "%" PRId64, r->id);
	p[0] = sid;
	p[1] = arg;
	if (db_tx_begin(r->w->db) == -1 ||
	    (res = db_exec(r->w->db, stmt, p)) == NULL)
		goto fail;
	found = PQntuples(res) == 1;
	PQclear(res);
	if (found && db_exec_cmd(r->w->db, WS_OPERATOR_SESSIONS_DROP,
	    p) == -1)
		goto fail;
	if (db_tx_commit(r->w->db) == -1)
		goto fail;
	return found;
fail:
	db_tx_rollback(r->w->db);
	return -1;
}

/* POST /settings/operators/{id}/password (password): 303; 404; 422. */
void
page_operator_password(struct req *r)
{
	const char	*pw = kv_get(&r->form, "password");
	char		 hash[PW_HASH_MAX];
	int		 rc;

	if (pw == NULL || !pw_acceptable(pw)) {
		ops_render(r, 422, "A password has 8 to 256 characters.", NULL);
		return;
	}
	if (pw_hash(pw, hash) == -1) {
		http_error(r, 500, NULL);
		return;
	}
	if ((rc = operator_update(r, WS_OPERATOR_PASSWORD, hash)) == -1)
		http_error(r, 503, NULL);
	else if (rc == 0)
		http_error(r, 404, NULL);
	else
		http_redirect(r, "/settings/operators?notice=saved");
}

/* POST /settings/operators/{id}/disable (value=1|0): 303; 404; 409. */
void
page_operator_disable(struct req *r)
{
	const char	*v = kv_get(&r->form, "value");
	int		 rc;

	if (v == NULL || (strcmp(v, "1") != 0 && strcmp(v, "0") != 0)) {
		ops_render(r, 422, "Bad value.", NULL);
		return;
	}
	if (r->id == r->operator_id && v[0] == '1') {
		ops_render(r, 409, "You cannot disable yourself.", NULL);
		return;
	}
	if ((rc = operator_update(r, WS_OPERATOR_DISABLE,
	    v[0] == '1' ? "true" : "false")) == -1)
		http_error(r, 503, NULL);
	else if (rc == 0)
		http_error(r, 404, NULL);
	else
		http_redirect(r, "/settings/operators?notice=saved");
}
