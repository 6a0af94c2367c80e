/*
 * GET/POST /login and POST /logout.
 *
 * The sign-in form is protected against login CSRF by a pre-session
 * token: GET sets a random "wadesk_login" cookie and puts the same
 * value in the form; POST requires both to match.  Failed sign-ins are
 * recorded per username and per client address; past
 * WADESK_LOGIN_MAX_USER / WADESK_LOGIN_MAX_ADDR failures within
 * WADESK_LOGIN_WINDOW_S the answer is 429 until the window passes,
 * whatever the password.  Unknown usernames cost the same Argon2id
 * verification as known ones, so timing does not reveal them.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "cgi.h"
#include "conf.h"
#include "db.h"
#include "db_web.h"
#include "log.h"
#include "pw.h"

struct	login {
	const char	*csrf;		/* pre-session token for the form */
	const char	*username;	/* to refill the field */
	const char	*next;		/* where to go after signing in */
	const char	*error;		/* message, or NULL */
};

static pthread_once_t	 dummy_once = PTHREAD_ONCE_INIT;
static char		 dummy_hash[PW_HASH_MAX];

static void
dummy_init(void)
{

	if (pw_hash("wadesk-timing-equaliser", dummy_hash) == -1)
		fatalx("cannot compute the dummy password hash");
}

static int
login_key(struct tout *o, enum tkey key, void *arg)
{
	const struct login	*l = arg;

	switch (key) {
	case TKEY_CSRF:
		tmpl_text(o, l->csrf);
		return 0;
	case TKEY_USERNAME:
		tmpl_text(o, l->username);
		return 0;
	case TKEY_NEXT:
		tmpl_text(o, l->next);
		return 0;
	case TKEY_ERROR:
		if (l->error != NULL)
			tmpl_text(o, l->error);
		return 0;
	default:
		return -1;
	}
}

/* A safe local "next" path, or "/". */
static const char *
next_path(const char *next)
{

	if (next == NULL || next[0] != '/' || next[1] == '/' ||
	    next[1] == '\\' || strpbrk(next, "\r\n") != NULL)
		return "/";
	return next;
}

static void
login_render(struct req *r, int code, const char *username,
    const char *error)
{
	struct login	 l;
	char		 tok[TOKEN_HEX + 1];
	const char	*cookie;

	cookie = kv_get(&r->cookies, "wadesk_login");
	if (cookie == NULL || strlen(cookie) != TOKEN_HEX ||
	    strspn(cookie, "0123456789abcdef") != TOKEN_HEX) {
		auth_hex_token(tok);
		http_cookie(r, "wadesk_login", tok, 3600);
		cookie = tok;
	}
	l.csrf = cookie;
	l.username = username != NULL ? username : "";
	l.next = next_path(kv_get(r->method == METHOD_POST ? &r->form :
	    &r->query, "next"));
	l.error = error;
	r->status = code;
	http_page(r, "Sign in", TMPL_LOGIN, login_key, &l);
	if (r->status == 500)
		return;
	r->status = code;
}

/* GET /login: the form (or the dashboard when already signed in). */
void
page_login_form(struct req *r)
{

	if (auth_session_load(r) == 1) {
		http_redirect(r, "/");
		return;
	}
	login_render(r, 200, NULL, NULL);
}

/*
 * Sign-in throttle (shared with page_profile.c): *limited = 1 when
 * "username" or r->remote_addr failed WADESK_LOGIN_MAX_USER /
 * WADESK_LOGIN_MAX_ADDR times within the window, else 0.  0, or -1 when
 * the database does not answer (*limited untouched).
 */
int
login_throttled(struct req *r, const char *username, int *limited)
{
	const struct conf	*c = r->w->conf;
	PGresult		*res;
	const char		*p[3];
	char			 win[16];
	int			 nuser = 0, naddr = 0;

	snprintf(win, sizeof(win), "%d", c->login_window_s);
	p[0] = username;
	p[1] = r->remote_addr;
	p[2] = win;
	if ((res = db_exec(r->w->db, WS_LOGIN_FAILURES, p)) == NULL)
		return -1;
	if (db_get_int(res, 0, 0, &nuser) == -1 ||
	    db_get_int(res, 0, 1, &naddr) == -1) {
		PQclear(res);
		return -1;
	}
	PQclear(res);
	*limited = nuser >= c->login_max_user || naddr >= c->login_max_addr;
	return 0;
}

/*
 * Count a wrong password for "username" from r->remote_addr (purging
 * failures older than the window).  Best effort: a database error only
 * loses the count.
 */
void
login_failure_add(struct req *r, const char *username)
{
	const char	*p[3];
	char		 win[16];

	snprintf(win, sizeof(win), "%d", r->w->conf->login_window_s);
	p[0] = username;
	p[1] = r->remote_addr;
	p[2] = win;
	(void)db_exec_cmd(r->w->db, WS_LOGIN_FAILURE_ADD, p);
}

/* Check "username"/"password"; 1 and the id on success, 0 wrong, -1 error. */
static int
credentials_ok(struct req *r, const char *username, const char *password,
    int64_t *id)
{
	PGresult	*res;
	const char	*p[1];
	int		 ok;

	pthread_once(&dummy_once, dummy_init);
	p[0] = username;
	if ((res = db_exec(r->w->db, WS_OPERATOR_BY_NAME, p)) == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		(void)pw_verify(dummy_hash, password);
		PQclear(res);
		return 0;
	}
	ok = pw_verify(PQgetvalue(res, 0, 1), password) &&
	    !db_get_bool(res, 0, 2) && db_get_int64(res, 0, 0, id) == 0;
	PQclear(res);
	return ok;
}

/* Create the session row and cookie for operator "id". */
static int
session_start(struct req *r, int64_t id)
{
	const struct conf	*c = r->w->conf;
	const char		*p[4];
	char			 tok[TOKEN_HEX + 1], hash[TOKEN_HEX + 1];
	char			 csrf[TOKEN_HEX + 1], sid[24], max[16];

	auth_hex_token(tok);
	auth_token_hash(tok, hash);
	auth_hex_token(csrf);
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	snprintf(max, sizeof(max), "%d", c->session_max_s);
	p[0] = hash;
	p[1] = sid;
	p[2] = csrf;
	p[3] = max;
	if (db_exec_cmd(r->w->db, WS_SESSION_INSERT, p) == -1)
		return -1;
	snprintf(max, sizeof(max), "%d", c->session_idle_s);
	p[0] = max;
	(void)db_exec_cmd(r->w->db, WS_SESSION_PURGE, p);
	http_cookie(r, "wadesk_session", tok, c->session_max_s);
	http_cookie(r, "wadesk_login", "", 0);
	return 0;
}

/*
 * POST /login: 303 to "next" on success; 401 with the form on a wrong
 * username or password; 403 without the pre-session token; 429 when
 * throttled; 503 when the database is down.
 */
void
page_login_submit(struct req *r)
{
	const char	*user, *pw, *p[1];
	int64_t		 id = 0;
	int		 limited = 0, rc;

	if (!auth_streq(kv_get(&r->form, "csrf"),
	    kv_get(&r->cookies, "wadesk_login"))) {
		login_render(r, 403, NULL, "The sign-in form expired; "
		    "please try again.");
		return;
	}
	user = kv_get(&r->form, "username");
	pw = kv_get(&r->form, "password");
	if (user == NULL || pw == NULL || *user == '\0' ||
	    strlen(user) > 64 || strlen(pw) > PW_MAX_LEN) {
		login_render(r, 400, user, "Enter a username and password.");
		return;
	}
	if (db_ensure(r->w->db) == -1 ||
	    login_throttled(r, user, &limited) == -1) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	if (limited) {
		log_info("sign-in throttled for address %s", r->remote_addr);
		login_render(r, 429, user, "Too many failed sign-ins. "
		    "Wait a few minutes and try again.");
		return;
	}
	if ((rc = credentials_ok(r, user, pw, &id)) == -1) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	p[0] = user;
	if (rc == 0) {
		login_failure_add(r, user);
		login_render(r, 401, user, "Wrong username or password.");
		return;
	}
	(void)db_exec_cmd(r->w->db, WS_LOGIN_FAILURE_CLEAR, p);
	if (session_start(r, id) == -1) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	http_redirect(r, next_path(kv_get(&r->form, "next")));
}

/* POST /logout: end this session; 303 to /login. */
void
page_logout(struct req *r)
{
	const char	*p[1];

	p[0] = r->token_hash;
	if (db_exec_cmd(r->w->db, WS_SESSION_DELETE, p) == -1) {
		http_error(r, 503, "The database is unavailable.");
		return;
	}
	http_cookie(r, "wadesk_session", "", 0);
	http_redirect(r, "/login?notice=signed_out");
}
