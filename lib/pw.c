/*
 * Password hashing; see pw.h.  Call sodium_init() before use.
 */
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "pw.h"

/*
 * Hash "pw" (NUL-terminated, PW_MIN_LEN..PW_MAX_LEN bytes) into "out"
 * as an "$argon2id$..." string.  Returns 0, or -1 on a bad length or
 * when the hash could not be computed (out of memory; logged).
 */
int
pw_hash(const char *pw, char out[PW_HASH_MAX])
{

	if (!pw_acceptable(pw))
		return -1;
	if (crypto_pwhash_str(out, pw, strlen(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		log_warnx("%s: crypto_pwhash_str failed", __func__);
		return -1;
	}
	return 0;
}

/*
 * Check "pw" against "hash" from pw_hash().  Returns 1 on a match and 0
 * otherwise (wrong password, malformed hash, or a length out of range).
 */
int
pw_verify(const char *hash, const char *pw)
{
	size_t	 len = strlen(pw);

	if (len == 0 || len > PW_MAX_LEN)
		return 0;
	return crypto_pwhash_str_verify(hash, pw, len) == 0;
}

/* 1 if "pw" has an acceptable length (PW_MIN_LEN..PW_MAX_LEN), else 0. */
int
pw_acceptable(const char *pw)
{
	size_t	 len = strlen(pw);

	return len >= PW_MIN_LEN && len <= PW_MAX_LEN;
}
