/*
 * API keys; see apikey.h.  Everything here reads untrusted bytes (the
 * Authorization header) or PostgreSQL's text output, so every parser
 * states its exact grammar and refuses anything else.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "apikey.h"
#include "db.h"
#include "xalloc.h"

static const char *const scope_names[SCOPE__MAX] = {
#define	SCOPE_NAME(n, s)	s,
	SCOPES(SCOPE_NAME)
#undef	SCOPE_NAME
};

/* 1 if the "n" bytes at "s" are all lower-case hex digits. */
static int
is_hex(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/*
 * A fresh key into "key" (APIKEY_LEN characters and a NUL, shown to
 * the operator once), its prefix into "prefix" and the hex SHA-256 of
 * its secret into "hash" (what api_keys stores).  libsodium must be
 * initialised (sodium_init).  Returns 0; it cannot fail.
 */
int
apikey_new(char key[APIKEY_LEN + 1], char prefix[APIKEY_PREFIX_HEX + 1],
    char hash[APIKEY_HASH_HEX + 1])
{
	unsigned char	 p[APIKEY_PREFIX_HEX / 2], s[APIKEY_SECRET_HEX / 2];
	char		 secret[APIKEY_SECRET_HEX + 1];

	randombytes_buf(p, sizeof(p));
	randombytes_buf(s, sizeof(s));
	sodium_bin2hex(prefix, APIKEY_PREFIX_HEX + 1, p, sizeof(p));
	sodium_bin2hex(secret, sizeof(secret), s, sizeof(s));
	memcpy(key, "wdk_", 4);
	memcpy(key + 4, prefix, APIKEY_PREFIX_HEX);
	key[4 + APIKEY_PREFIX_HEX] = '_';
	memcpy(key + 5 + APIKEY_PREFIX_HEX, secret, APIKEY_SECRET_HEX);
	key[APIKEY_LEN] = '\0';
	apikey_hash(secret, hash);
	sodium_memzero(s, sizeof(s));
	sodium_memzero(secret, sizeof(secret));
	return 0;
}

/*
 * Split "key" (exactly "wdk_" 12-hex "_" 64-hex, lower case, nothing
 * before or after) into "prefix" and "secret".  Returns 0, or -1 when
 * "key" is NULL or not of that form.
 */
int
apikey_split(const char *key, char prefix[APIKEY_PREFIX_HEX + 1],
    char secret[APIKEY_SECRET_HEX + 1])
{

	if (key == NULL || strlen(key) != APIKEY_LEN ||
	    strncmp(key, "wdk_", 4) != 0 || key[4 + APIKEY_PREFIX_HEX] != '_' ||
	    !is_hex(key + 4, APIKEY_PREFIX_HEX) ||
	    !is_hex(key + 5 + APIKEY_PREFIX_HEX, APIKEY_SECRET_HEX))
		return -1;
	memcpy(prefix, key + 4, APIKEY_PREFIX_HEX);
	prefix[APIKEY_PREFIX_HEX] = '\0';
	memcpy(secret, key + 5 + APIKEY_PREFIX_HEX, APIKEY_SECRET_HEX);
	secret[APIKEY_SECRET_HEX] = '\0';
	return 0;
}

/* The hex SHA-256 of the string "secret" into "out". */
void
apikey_hash(const char *secret, char out[APIKEY_HASH_HEX + 1])
{
	unsigned char	 h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)secret, strlen(secret));
	sodium_bin2hex(out, APIKEY_HASH_HEX + 1, h, sizeof(h));
}

/*
 * 1 if the SHA-256 of "secret" equals "stored_hex" (64 hex digits, as
 * api_keys.secret_hash holds it), compared as bytes in constant time
 * with sodium_memcmp; 0 otherwise, or if "stored_hex" is malformed.
 */
int
apikey_secret_ok(const char *secret, const char *stored_hex)
{
	unsigned char	 want[crypto_hash_sha256_BYTES];
	unsigned char	 got[crypto_hash_sha256_BYTES];
	size_t		 n = 0;
	int		 ok;

	if (secret == NULL || stored_hex == NULL ||
	    strlen(stored_hex) != APIKEY_HASH_HEX ||
	    sodium_hex2bin(want, sizeof(want), stored_hex, APIKEY_HASH_HEX,
	    NULL, &n, NULL) != 0 || n != sizeof(want))
		return 0;
	crypto_hash_sha256(got, (const unsigned char *)secret, strlen(secret));
	ok = sodium_memcmp(got, want, sizeof(got)) == 0;
	sodium_memzero(got, sizeof(got));
	return ok;
}

/* The bit of scope "name" ("accounts:read", ...), or 0 if unknown. */
unsigned int
apikey_scope_bit(const char *name)
{
	size_t	 i;

	if (name == NULL)
		return 0;
	for (i = 0; i < SCOPE__MAX; i++)
		if (strcmp(name, scope_names[i]) == 0)
			return 1u << i;
	return 0;
}

/* The name of scope index "i" (static). */
const char *
apikey_scope_name(enum apikey_scope_idx i)
{

	return (size_t)i < SCOPE__MAX ? scope_names[i] : "unknown";
}

/*
 * Parse PostgreSQL's text form of a text[] of scope names ("{a,b}",
 * no quoting: scope names need none) into "mask".  Returns 0, or -1 on
 * another shape or an unknown name (mask then undefined).
 */
int
apikey_scopes_parse(const char *pgarray, unsigned int *mask)
{
	const char	*p, *end;
	char		 name[32];
	size_t		 len;
	unsigned int	 bit;

	*mask = 0;
	if (pgarray == NULL || pgarray[0] != '{')
		return -1;
	len = strlen(pgarray);
	if (len < 2 || pgarray[len - 1] != '}' ||
	    (len > 2 && pgarray[len - 2] == ','))
		return -1;
	if (len == 2)
		return 0;
	for (p = pgarray + 1; p < pgarray + len - 1; p = end + 1) {
		end = p + strcspn(p, ",}");
		if ((size_t)(end - p) >= sizeof(name) || end == p)
			return -1;
		memcpy(name, p, (size_t)(end - p));
		name[end - p] = '\0';
		if ((bit = apikey_scope_bit(name)) == 0)
			return -1;
		*mask |= bit;
	}
	return 0;
}

/*
 * Append the scopes of "mask" to "b" by name in table order, "sep"
 * between them ("," for a PostgreSQL array literal inside braces the
 * caller adds, ", " for a page).
 */
void
apikey_scopes_write(struct buf *b, unsigned int mask, const char *sep)
{
	size_t	 i;
	int	 first = 1;

	for (i = 0; i < SCOPE__MAX; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (!first)
			buf_puts(b, sep);
		buf_puts(b, scope_names[i]);
		first = 0;
	}
}

/*
 * Parse PostgreSQL's text form of a bigint[] ("{1,22,3}") into a new
 * array "*ids" of "*n" positive ids (the caller frees it).  Returns 0,
 * or -1 on any other shape (nothing to free then).
 */
int
apikey_ids_parse(const char *pgarray, int64_t **ids, size_t *n)
{
	const char	*p;
	char		*end;
	size_t		 len, cap = 0;
	long long	 v;

	*ids = NULL;
	*n = 0;
	if (pgarray == NULL || pgarray[0] != '{')
		return -1;
	len = strlen(pgarray);
	if (len < 3 || pgarray[len - 1] != '}')
		return -1;
	for (p = pgarray + 1; ; p = end + 1) {
		if (*p < '1' || *p > '9')
			goto bad;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno != 0 || v <= 0 || (*end != ',' && *end != '}'))
			goto bad;
		if (*n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			*ids = xreallocarray(*ids, cap, sizeof(**ids));
		}
		(*ids)[(*n)++] = (int64_t)v;
		if (*end == '}')
			break;
	}
	if (end != pgarray + len - 1)
		goto bad;
	return 0;
bad:
	free(*ids);
	*ids = NULL;
	*n = 0;
	return -1;
}

/* 1 if key "k" may touch account "account_id" (its list or all). */
int
apikey_allows(const struct apikey *k, int64_t account_id)
{
	size_t	 i;

	if (k->account_ids == NULL)
		return 1;
	for (i = 0; i < k->naccount_ids; i++)
		if (k->account_ids[i] == account_id)
			return 1;
	return 0;
}

/*
 * Authenticate "key" (the Bearer token) through prepared statement
 * "stmt" of "db", which takes $1 the prefix and returns at most one
 * row: id, secret_hash, scopes (text[]), account_ids (bigint[] or
 * NULL), rate_per_min, revoked (bool), operator id, username, is_admin
 * (bool), operator disabled (bool).  Fills "k" (apikey_free() it) and
 * returns 1 for a live key of an enabled operator; 0 for a malformed,
 * unknown, wrong, revoked or disabled-operator key (one answer for
 * all, so none can be told apart); -1 on a database error.  The secret
 * is checked before anything else about the row is looked at.
 */
int
apikey_lookup(struct db *db, size_t stmt, const char *key, struct apikey *k)
{
	char		 prefix[APIKEY_PREFIX_HEX + 1];
	char		 secret[APIKEY_SECRET_HEX + 1];
	const char	*p[1];
	PGresult	*res;
	int		 rc = 0;

	memset(k, 0, sizeof(*k));
	if (apikey_split(key, prefix, secret) == -1)
		return 0;
	p[0] = prefix;
	if ((res = db_exec(db, stmt, p)) == NULL) {
		sodium_memzero(secret, sizeof(secret));
		return -1;
	}
	if (PQntuples(res) != 1 || PQnfields(res) != 10 ||
	    !apikey_secret_ok(secret, PQgetvalue(res, 0, 1)) ||
	    db_get_bool(res, 0, 5) || db_get_bool(res, 0, 9))
		goto out;
	if (db_get_int64(res, 0, 0, &k->id) == -1 ||
	    db_get_int64(res, 0, 6, &k->operator_id) == -1 ||
	    db_get_int(res, 0, 4, &k->rate_per_min) == -1 ||
	    apikey_scopes_parse(PQgetvalue(res, 0, 2), &k->scopes) == -1 ||
	    (!PQgetisnull(res, 0, 3) && apikey_ids_parse(PQgetvalue(res, 0, 3),
	    &k->account_ids, &k->naccount_ids) == -1))
		goto out;
	k->is_admin = db_get_bool(res, 0, 8);
	k->username = xstrdup(PQgetvalue(res, 0, 7));
	memcpy(k->prefix, prefix, sizeof(prefix));
	rc = 1;
out:
	sodium_memzero(secret, sizeof(secret));
	PQclear(res);
	if (rc != 1)
		apikey_free(k);
	return rc;
}

/* Release what "k" owns and clear it. */
void
apikey_free(struct apikey *k)
{

	free(k->username);
	free(k->account_ids);
	memset(k, 0, sizeof(*k));
}

/*
 * Parse "list", account ids separated by commas and/or blanks ("3, 7
 * 12"), into a PostgreSQL bigint[] literal appended to "out"
 * ("{3,7,12}").  Returns the number of ids (0 for an empty or blank
 * list: nothing appended), or -1 for anything else or more than
 * APIKEY_IDS_MAX ids.
 */
int
apikey_ids_literal(const char *list, struct buf *out)
{
	struct buf	 b;
	const char	*p = list;
	char		*end;
	long long	 v;
	int		 n = 0;

	buf_init(&b);
	buf_putc(&b, '{');
	for (;;) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (*p < '1' || *p > '9' || n == APIKEY_IDS_MAX)
			goto bad;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno != 0 || v <= 0 ||
		    (*end != '\0' && strchr(" ,\t", *end) == NULL))
			goto bad;
		buf_printf(&b, "%s%lld", n > 0 ? "," : "", v);
		n++;
		p = end;
	}
	buf_putc(&b, '}');
	if (n > 0)
		buf_puts(out, buf_str(&b));
	buf_free(&b);
	return n;
bad:
	buf_free(&b);
	return -1;
}
