/*
 * API keys (issue 13; sql/009_api.sql): the key format, the stored
 * hash, scopes and account limits, and the lookup by prefix.  Shared by
 * wadesk.fcgi (cgi/api.c, the settings page) and wadeskctl.
 *
 * A key is "wdk_" + 12 lower-case hex (the prefix: public, unique, the
 * lookup) + "_" + 64 lower-case hex (the secret: 32 bytes from
 * libsodium's randombytes_buf).  Only the secret's SHA-256 is stored,
 * and it is compared in constant time (sodium_memcmp).
 */
#ifndef WADESK_APIKEY_H
#define WADESK_APIKEY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct db;

#define	APIKEY_PREFIX_HEX	12
#define	APIKEY_SECRET_HEX	64
#define	APIKEY_HASH_HEX		64
#define	APIKEY_LEN		(4 + APIKEY_PREFIX_HEX + 1 + APIKEY_SECRET_HEX)
#define	APIKEY_NAME_MAX		100	/* bytes, as the CHECK says */
#define	APIKEY_IDS_MAX		100	/* accounts one key may be limited to */

/* Scopes, one bit each; the names are the ones sql/009's CHECK lists. */
#define	SCOPES(X) \
	X(ACCOUNTS_READ, "accounts:read") \
	X(ACCOUNTS_WRITE, "accounts:write") \
	X(MESSAGES_SEND, "messages:send") \
	X(WEBHOOKS_MANAGE, "webhooks:manage")

enum	apikey_scope_idx {
#define	SCOPE_IDX(n, s)	SCOPE_IDX_##n,
	SCOPES(SCOPE_IDX)
#undef	SCOPE_IDX
	SCOPE__MAX
};

enum	apikey_scope {
#define	SCOPE_BIT(n, s)	SCOPE_##n = 1u << SCOPE_IDX_##n,
	SCOPES(SCOPE_BIT)
#undef	SCOPE_BIT
};

/* A key that authenticated, and the operator it acts as. */
struct	apikey {
	int64_t		 id;		/* api_keys.id */
	int64_t		 operator_id;
	int		 is_admin;
	char		*username;	/* owned */
	unsigned int	 scopes;	/* enum apikey_scope bits */
	int64_t		*account_ids;	/* owned; NULL: all the operator's */
	size_t		 naccount_ids;
	int		 rate_per_min;
	char		 prefix[APIKEY_PREFIX_HEX + 1];
};

int		 apikey_new(char key[APIKEY_LEN + 1],
		    char prefix[APIKEY_PREFIX_HEX + 1],
		    char hash[APIKEY_HASH_HEX + 1]);
int		 apikey_split(const char *key,
		    char prefix[APIKEY_PREFIX_HEX + 1],
		    char secret[APIKEY_SECRET_HEX + 1]);
void		 apikey_hash(const char *secret, char out[APIKEY_HASH_HEX + 1]);
int		 apikey_secret_ok(const char *secret, const char *stored_hex);
unsigned int	 apikey_scope_bit(const char *name);
const char	*apikey_scope_name(enum apikey_scope_idx i);
int		 apikey_scopes_parse(const char *pgarray, unsigned int *mask);
void		 apikey_scopes_write(struct buf *b, unsigned int mask,
		    const char *sep);
int		 apikey_ids_parse(const char *pgarray, int64_t **ids,
		    size_t *n);
int		 apikey_ids_literal(const char *list, struct buf *out);
int		 apikey_allows(const struct apikey *k, int64_t account_id);
int		 apikey_lookup(struct db *db, size_t stmt, const char *key,
		    struct apikey *k);
void		 apikey_free(struct apikey *k);

#endif /* !WADESK_APIKEY_H */
