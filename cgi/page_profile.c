/*
 * Your settings: GET /settings/profile, POST /settings/profile/timezone
 * and POST /settings/profile/password, for the signed-in operator
 * themself (any role).  The time zone is the one a new reminder's form
 * starts in (operators.timezone, sql/019); changing the password needs
 * the current one, is throttled like sign-in (login_failures: a stolen
 * session cannot guess the password at leisure), and signs out every
 * other session of the operator while this one stays.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cgi.h"
#include "db.h"
#include "db_web.h"
#include "log.h"
#include "pw.h"
#include "recur.h"

struct	profile {
	struct req	*r;
	PGresult	*res;		/* WS_PROFILE_GET, one row */
	const char	*tz;		/* to refill the zone field, or NULL */
	const char	*err_tz;	/* the zone form's error, or NULL */
	const char	*err_pw;	/* the password form's error, or NULL */
};

static int
profile_key(struct tout *o, enum tkey key, void *arg)
{
	const struct profile	*s = arg;

	switch (key) {
	case TKEY_USERNAME:
		tmpl_text(o, PQgetvalue(s->res, 0, 0));
		return 0;
	case TKEY_ROLE:
		tmpl_text(o, PQgetvalue(s->res, 0, 1));
		return 0;
	case TKEY_TIMEZONE:
		tmpl_text(o, s->tz != NULL ? s->tz : PQgetvalue(s->res, 0, 2));
		return 0;
	case TKEY_CREATED:
		return present_time(o, PQgetvalue(s->res, 0, 3));
	case TKEY_CSRF:
		tmpl_text(o, s->r->csrf);
		return 0;
	case TKEY_ERR_TIMEZONE:
		tmpl_text(o, s->err_tz);
		return 0;
	case TKEY_ERROR:
		tmpl_text(o, s->err_pw);
		return 0;
	default:
		return -1;
	}
}

/*
 * Render the page with HTTP status "code", the zone field showing "tz"
 * (NULL: the stored zone) and the two forms' errors (NULL: none).  503
 * when the database does not answer, 404 when the operator row is gone.
 */
static void
profile_render(struct req *r, int code, const char *tz, const char *err_tz,
    const char *err_pw)
{
	struct profile	 s;
	const char	*p[1];
	char		 sid[24];

	memset(&s, 0, sizeof(s));
	s.r = r;
	s.tz = tz;
	s.err_tz = err_tz;
	s.err_pw = err_pw;
	snprintf(sid, sizeof(sid), "%" PRId64, r->operator_id);
	p[0] = sid;
	if ((s.res = db_exec(r->w->db, WS_PROFILE_GET, p)) == NULL) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	if (PQntuples(s.res) != 1) {
		PQclear(s.res);
		http_error(r, 404, NULL);
		return;
	}
	r->status = code;
	http_page(r, "Your settings", TMPL_PROFILE, profile_key, &s);
	if (r->status != 500)
		r->status = code;
	PQclear(s.res);
}

/* GET /settings/profile: the operator's own settings. */
void
page_profile(struct req *r)
{

	profile_render(r, 200, NULL, NULL, NULL);
}

/*
 * POST /settings/profile/timezone (tz, an IANA zone name libical knows,
 * 1 to 64 bytes): 303 to the page with "Saved."; 422 with the page and
 * a sentence for an unknown zone; 503 when the database is down.
 */
void
page_profile_timezone(struct req *r)
{
	const char	*tz = kv_get(&r->form, "tz"), *p[2];
	char		 sid[24];
	int		 rc;

	if (tz == NULL || *tz == '\0' || strlen(tz) > 64 ||
	    !recur_zone_valid(tz)) {
		profile_render(r, 422, tz != NULL && strlen(tz) <= 64 ? tz :
		    NULL, "That is not a time zone this server knows. Use a "
		    "name from the IANA list, such as Europe/Berlin, "
		    "America/New_York or UTC.", NULL);
		return;
	}
	snprintf(sid, sizeof(sid), "%" PRId64, r->operator_id);
	p[0] = sid;
	p[1] = tz;
	if ((rc = db_exec_cmd(r->w->db, WS_PROFILE_TIMEZONE, p)) == -1) {
		http_error(r, 503, "The database is unavailable; the time "
		    "zone was not changed. Try again in a moment.");
		return;
	}
	http_redirect(r, "/settings/profile?notice=saved");
}

/*
 * 1 when "pw" is operator r->operator_id's current password, 0 when not
 * (or the operator is disabled), -1 when the database does not answer.
 */
static int
current_ok(struct req *r, const char *pw)
{
	PGresult	*res;
	const char	*p[1];
	char		 sid[24];
	int		 ok;

	snprintf(sid, sizeof(sid), "%" PRId64, r->operator_id);
	p[0] = sid;
	if ((res = db_exec(r->w->db, WS_PROFILE_HASH, p)) == NULL)
		return -1;
	ok = PQntuples(res) == 1 && pw_verify(PQgetvalue(res, 0, 0), pw);
	PQclear(res);
	return ok;
}

/* Store "hash" and sign out the operator's other sessions, in one go. */
static int
password_store(struct req *r, const char *hash)
{
	const char	*p[2];
	char		 sid[24];

	snprintf(sid, sizeof(sid), "%" PRId64, r->operator_id);
	p[0] = sid;
	p[1] = hash;
	if (db_tx_begin(r->w->db) == -1)
		return -1;
	if (db_exec_cmd(r->w->db, WS_OPERATOR_PASSWORD, p) == -1)
		goto fail;
	p[1] = r->token_hash;
	if (db_exec_cmd(r->w->db, WS_SESSIONS_DROP_OTHERS, p) == -1 ||
	    db_tx_commit(r->w->db) == -1)
		goto fail;
	return 0;
fail:
	db_tx_rollback(r->w->db);
	return -1;
}

/*
 * POST /settings/profile/password (current, password, confirm): 303 to
 * the page with "Saved." and the other sessions ended; 403 with the page
 * for a wrong current password (counted as a failed sign-in); 422 for a
 * new password out of 8..256 bytes or a confirmation that differs; 429
 * while throttled; 503 when the database is down (nothing changed).
 */
void
page_profile_password(struct req *r)
{
	const char	*cur, *pw, *again;
	char		 hash[PW_HASH_MAX];
	int		 rc = 0, limited = 0;

	cur = kv_get(&r->form, "current");
	pw = kv_get(&r->form, "password");
	again = kv_get(&r->form, "confirm");
	if (pw == NULL || !pw_acceptable(pw)) {
		profile_render(r, 422, NULL, NULL, "A password has 8 to 256 "
		    "characters; yours was not changed.");
		return;
	}
	if (again == NULL || strcmp(pw, again) != 0) {
		profile_render(r, 422, NULL, NULL, "The two new passwords "
		    "differ; type the same one twice. Yours was not changed.");
		return;
	}
	if (login_throttled(r, r->username, &limited) == -1)
		rc = -1;
	else if (limited) {
		log_info("password change throttled for address %s",
		    r->remote_addr);
		profile_render(r, 429, NULL, NULL, "Too many wrong passwords. "
		    "Wait a few minutes and try again.");
		return;
	}
	if (rc == -1 || (rc = current_ok(r, cur != NULL &&
	    strlen(cur) <= PW_MAX_LEN ? cur : "")) == -1) {
		http_error(r, 503, "The database is unavailable; your password "
		    "was not changed. Try again in a moment.");
		return;
	}
	if (rc == 0) {
		login_failure_add(r, r->username);
		profile_render(r, 403, NULL, NULL, "The current password is "
		    "wrong; yours was not changed.");
		return;
	}
	if (pw_hash(pw, hash) == -1) {
		http_error(r, 500, NULL);
		return;
	}
	if (password_store(r, hash) == -1) {
		http_error(r, 503, "The database is unavailable; your password "
		    "was not changed. Try again in a moment.");
		return;
	}
	http_redirect(r, "/settings/profile?notice=saved");
}
