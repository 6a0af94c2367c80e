/*
 * Web sessions and request authenticity.  The session cookie carries
 * 32 random bytes (hex); web_sessions stores only their SHA-256, so a
 * database leak yields no usable cookie.  Sessions expire when idle
 * (WADESK_SESSION_IDLE_S) and absolutely (WADESK_SESSION_MAX_S).  Every
 * session has its own CSRF token, which every POST form carries.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cgi.h"
#include "conf.h"
#include "db.h"
#include "db_web.h"
#include "log.h"
#include "xalloc.h"

/* Fill "out" with 32 fresh random bytes as 64 lower-case hex digits. */
void
auth_hex_token(char out[TOKEN_HEX + 1])
{
	unsigned char	 raw[TOKEN_HEX / 2];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, TOKEN_HEX + 1, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
}

/* Hex SHA-256 of the string "token", as stored in web_sessions. */
void
auth_token_hash(const char *token, char out[TOKEN_HEX + 1])
{
	unsigned char	 h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(out, TOKEN_HEX + 1, h, sizeof(h));
}

/*
 * Constant-time equality of two strings (the lengths are not secret).
 * Returns 1 if equal, 0 otherwise or when either is NULL.
 */
int
auth_streq(const char *a, const char *b)
{
	size_t	 la, lb;

	if (a == NULL || b == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb || la == 0)
		return 0;
	return sodium_memcmp(a, b, la) == 0;
}

/* 1 if "s" is exactly TOKEN_HEX lower-case hex digits. */
static int
is_token(const char *s)
{

	return s != NULL && strlen(s) == TOKEN_HEX &&
	    strspn(s, "0123456789abcdef") == TOKEN_HEX;
}

/*
 * Load the signed-in operator from the session cookie into "r"
 * (has_session, operator_id, username, is_admin, csrf, token_hash) and
 * push the idle expiry forward.  Returns 1 signed in, 0 no valid
 * session (no cookie, expired, disabled operator), -1 database error.
 */
int
auth_session_load(struct req *r)
{
	PGresult	*res;
	int		 rc;

	rc = auth_session_load_with(r, WS_SESSION_GET, NULL, &res);
	if (rc == 1) {
		present_outdated_set(r, res, 5);	/* the banner's columns */
		present_lost_set(r, res, 8);
		PQclear(res);
	}
	return rc;
}

/*
 * 1 if the request carries a well-formed wadesk_session cookie, with
 * its hash (hex) in r->token_hash; 0 otherwise.  No database work.
 */
int
auth_session_token(struct req *r)
{
	const char	*tok = kv_get(&r->cookies, "wadesk_session");

	if (!is_token(tok))
		return 0;
	auth_token_hash(tok, r->token_hash);
	return 1;
}

/*
 * Mark "r" signed in as operator "operator_id" ("username" copied,
 * "csrf" TOKEN_HEX hex characters), as a live session row says; for an
 * answer remembered from such a row (cgi/qrmemo.h).
 */
void
auth_session_set(struct req *r, int64_t operator_id, const char *username,
    int is_admin, const char *csrf)
{

	free(r->username);
	r->operator_id = operator_id;
	r->username = xstrdup(username);
	r->is_admin = is_admin;
	memcpy(r->csrf, csrf, TOKEN_HEX);
	r->csrf[TOKEN_HEX] = '\0';
	r->has_session = 1;
}

/*
 * auth_session_load() through statement "stmt", whose parameters are
 * ($1 token hash, $2 idle seconds[, $3 "arg"]) and whose first five
 * columns are WS_SESSION_GET's, so a hot route can check the session
 * and fetch its own columns in one round trip.  On 1, "*out" (when
 * not NULL) holds the result row for the caller to PQclear().
 */
int
auth_session_load_with(struct req *r, size_t stmt, const char *arg,
    PGresult **out)
{
	const struct conf	*c = r->w->conf;
	PGresult		*res;
	const char		*tok, *p[3];
	char			 idle[16];
	int64_t			 id;
	int			 rc = 0, stale = 0;

	if (out != NULL)
		*out = NULL;
	tok = kv_get(&r->cookies, "wadesk_session");
	if (!is_token(tok))
		return 0;
	if (db_ensure(r->w->db) == -1)
		return -1;
	auth_token_hash(tok, r->token_hash);
	snprintf(idle, sizeof(idle), "%d", c->session_idle_s);
	p[0] = r->token_hash;
	p[1] = idle;
	p[2] = arg;
	if ((res = db_exec(r->w->db, stmt, p)) == NULL)
		return -1;
	if (PQntuples(res) == 1 && db_get_int64(res, 0, 0, &id) == 0 &&
	    strlen(PQgetvalue(res, 0, 3)) == TOKEN_HEX) {
		auth_session_set(r, id, PQgetvalue(res, 0, 1),
		    db_get_bool(res, 0, 2), PQgetvalue(res, 0, 3));
		rc = 1;
		stale = db_get_bool(res, 0, 4);
	}
	if (rc == 1 && out != NULL)
		*out = res;
	else
		PQclear(res);
	/* Idle expiry has minutes of slack: write at most every 15 s. */
	if (rc == 1 && stale &&
	    db_exec_cmd(r->w->db, WS_SESSION_TOUCH, p) == -1) {
		if (out != NULL) {
			PQclear(*out);
			*out = NULL;
		}
		return -1;
	}
	return rc;
}

/* 1 if the POST form's "csrf" field equals the session's token. */
int
auth_csrf_ok(struct req *r)
{

	return r->has_session && auth_streq(kv_get(&r->form, "csrf"),
	    r->csrf);
}

/*
 * 1 if the request carries "Authorization: Bearer <key>" matching
 * "key" (compared in constant time); 0 otherwise or if "key" is unset.
 */
int
auth_bearer_ok(const struct req *r, const char *key)
{
	const char	*h = r->authorization;

	if (key == NULL || h == NULL || strncmp(h, "Bearer ", 7) != 0)
		return 0;
	return auth_streq(h + 7, key);
}
