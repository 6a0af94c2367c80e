/*
 * Operator passwords: Argon2id via libsodium crypto_pwhash_str, with
 * the "interactive" limits.  Shared by wadesk.fcgi and wadeskctl.
 */
#ifndef WADESK_PW_H
#define WADESK_PW_H

#include <stddef.h>

#define	PW_MIN_LEN	8	/* bytes */
#define	PW_MAX_LEN	256	/* bytes */
#define	PW_HASH_MAX	128	/* crypto_pwhash_STRBYTES */

int	pw_hash(const char *pw, char out[PW_HASH_MAX]);
int	pw_verify(const char *hash, const char *pw);
int	pw_acceptable(const char *pw);

#endif /* !WADESK_PW_H */
