/*
 * Credentials at rest: the wa credentials blob of each account is
 * sealed with libsodium crypto_secretbox_easy (XSalsa20-Poly1305) under
 * a 32-byte key read from WADESK_CRED_KEY_FILE (raw bytes, as
 * "wadeskctl keygen" writes them) and stored in account_credentials
 * (nonce, sealed).  The key and every opened blob live in sodium_malloc
 * memory and are never logged (STYLE.md 2.5).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon.h"
#include "log.h"
#include "xalloc.h"

/*
 * Read the sealing key from "path" into d->cred_key (sodium_malloc,
 * read-only afterwards).  The file must hold exactly CREDS_KEY_LEN
 * bytes.  Returns 0, or -1 (logged; the key is never printed).
 */
int
creds_key_load(struct daemon *d, const char *path)
{
	uint8_t		 extra;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("%s: %s", __func__, path);
		return -1;
	}
	if ((d->cred_key = sodium_malloc(CREDS_KEY_LEN)) == NULL)
		fatalx("%s: sodium_malloc", __func__);
	while (got < CREDS_KEY_LEN) {
		n = read(fd, d->cred_key + got, CREDS_KEY_LEN - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != CREDS_KEY_LEN || read(fd, &extra, 1) != 0) {
		log_warnx("%s: %s: want exactly %d bytes", __func__, path,
		    CREDS_KEY_LEN);
		close(fd);
		creds_key_free(d);
		return -1;
	}
	close(fd);
	sodium_mprotect_readonly(d->cred_key);
	return 0;
}

/* Wipe and release the sealing key; safe when none is loaded. */
void
creds_key_free(struct daemon *d)
{

	if (d->cred_key != NULL)
		sodium_free(d->cred_key);
	d->cred_key = NULL;
}

/*
 * Seal "len" bytes of "plain" under "key" (CREDS_KEY_LEN bytes) with a
 * fresh random nonce written to "nonce".  "*sealed" (len +
 * CREDS_MAC_LEN bytes, in *sealedlen) is the caller's to free().
 * Returns 0, or -1 (logged) for an empty or oversized input.
 */
int
creds_seal(const uint8_t *key, const uint8_t *plain, size_t len,
    uint8_t nonce[CREDS_NONCE_LEN], uint8_t **sealed, size_t *sealedlen)
{

	*sealed = NULL;
	*sealedlen = 0;
	if (len == 0 || len > 1024 * 1024) {
		log_warnx("%s: bad length %zu", __func__, len);
		return -1;
	}
	randombytes_buf(nonce, CREDS_NONCE_LEN);
	*sealed = xmalloc(len + CREDS_MAC_LEN);
	crypto_secretbox_easy(*sealed, plain, len, nonce, key);
	*sealedlen = len + CREDS_MAC_LEN;
	return 0;
}

/*
 * Open "sealed" ("sealedlen" bytes) with "nonce" (must be
 * CREDS_NONCE_LEN bytes: "noncelen" comes from the database) under
 * "key".  "*plain" is sodium_malloc memory the caller releases with
 * creds_plain_free(*plain, *len).  Returns 0, or -1 (logged) when the
 * nonce is the wrong size, the box is too short or the MAC fails (a
 * wrong key or tampered row).
 */
int
creds_open(const uint8_t *key, const uint8_t *nonce, size_t noncelen,
    const uint8_t *sealed, size_t sealedlen, uint8_t **plain, size_t *len)
{
	uint8_t	*p;

	*plain = NULL;
	*len = 0;
	if (noncelen != CREDS_NONCE_LEN || sealedlen <= CREDS_MAC_LEN ||
	    sealedlen > 1024 * 1024 + CREDS_MAC_LEN) {
		log_warnx("%s: malformed sealed credentials", __func__);
		return -1;
	}
	if ((p = sodium_malloc(sealedlen - CREDS_MAC_LEN)) == NULL)
		fatalx("%s: sodium_malloc", __func__);
	if (crypto_secretbox_open_easy(p, sealed, sealedlen, nonce,
	    key) != 0) {
		log_warnx("%s: credentials do not open (wrong key?)",
		    __func__);
		sodium_free(p);
		return -1;
	}
	*plain = p;
	*len = sealedlen - CREDS_MAC_LEN;
	return 0;
}

/* Release an opened blob (sodium_free wipes it); NULL is a no-op. */
void
creds_plain_free(uint8_t *plain, size_t len)
{

	if (plain != NULL)
		sodium_free(plain);
}

/* "\x" + hex of "p": bytea input in text format.  Caller frees. */
static char *
bytea_hex(const uint8_t *p, size_t len)
{
	char	*s;

	s = xmalloc(2 + len * 2 + 1);
	s[0] = '\\';
	s[1] = 'x';
	sodium_bin2hex(s + 2, len * 2 + 1, p, len);
	return s;
}

/*
 * Seal and store the credentials of account "id" (insert or replace).
 * Returns 0 or -1 (logged).
 */
int
creds_store(struct daemon *d, int64_t id, const uint8_t *plain, size_t len)
{
	uint8_t		 nonce[CREDS_NONCE_LEN], *sealed = NULL;
	size_t		 sealedlen;
	const char	*p[3];
	char		 sid[24], *hn = NULL, *hs = NULL;
	int		 rc = -1;

	if (d->db == NULL) {
		log_warnx("%s: no database", __func__);
		return -1;
	}
	if (creds_seal(d->cred_key, plain, len, nonce, &sealed,
	    &sealedlen) == -1)
		return -1;
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	hn = bytea_hex(nonce, sizeof(nonce));
	hs = bytea_hex(sealed, sealedlen);
	p[0] = sid;
	p[1] = hn;
	p[2] = hs;
	rc = db_exec_cmd(d->db, DS_CREDS_PUT, p);
	free(hn);
	free(hs);
	free(sealed);
	return rc;
}

/*
 * Seal and store one batch of fresh one-time pre-keys of account "id"
 * (wa.h prekeys_new: consecutive ids keys[0].id..keys[n-1].id): the
 * plaintext is, per key, its 3-byte big-endian id and its 32-byte
 * private half, sealed like the credentials (sql/005 account_prekeys).
 * Returns 0 or -1 (logged).
 */
int
creds_prekeys_store(struct daemon *d, int64_t id, const struct wa_prekey *keys,
    size_t n)
{
	uint8_t		 nonce[CREDS_NONCE_LEN], *plain, *sealed = NULL;
	size_t		 i, len, sealedlen;
	const char	*p[5];
	char		 sid[24], first[16], last[16], *hn, *hs;
	int		 rc;

	if (d->db == NULL || n == 0 || n > 16384) {
		log_warnx("%s: no database or %zu keys", __func__, n);
		return -1;
	}
	len = n * (3 + sizeof(keys[0].priv));
	if ((plain = sodium_malloc(len)) == NULL) {
		log_warnx("%s: sodium_malloc", __func__);
		return -1;
	}
	for (i = 0; i < n; i++) {
		plain[i * 35] = (uint8_t)(keys[i].id >> 16);
		plain[i * 35 + 1] = (uint8_t)(keys[i].id >> 8);
		plain[i * 35 + 2] = (uint8_t)keys[i].id;
		memcpy(plain + i * 35 + 3, keys[i].priv, sizeof(keys[i].priv));
	}
	rc = creds_seal(d->cred_key, plain, len, nonce, &sealed, &sealedlen);
	sodium_free(plain);
	if (rc == -1)
		return -1;
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	snprintf(first, sizeof(first), "%u", keys[0].id);
	snprintf(last, sizeof(last), "%u", keys[n - 1].id);
	hn = bytea_hex(nonce, sizeof(nonce));
	hs = bytea_hex(sealed, sealedlen);
	p[0] = sid;
	p[1] = first;
	p[2] = last;
	p[3] = hn;
	p[4] = hs;
	rc = db_exec_cmd(d->db, DS_PREKEYS_PUT, p);
	free(hn);
	free(hs);
	free(sealed);
	return rc;
}

/*
 * Load and open the credentials of account "id".  Returns 1 with
 * "*plain" (free with creds_plain_free()) and "*len", 0 when the
 * account has none, -1 on error (logged).
 */
int
creds_load(struct daemon *d, int64_t id, uint8_t **plain, size_t *len)
{
	PGresult	*res;
	unsigned char	*nonce = NULL, *sealed = NULL;
	size_t		 nlen = 0, slen = 0;
	const char	*p[1];
	char		 sid[24];
	int		 rc = -1;

	*plain = NULL;
	*len = 0;
	if (d->db == NULL) {
		log_warnx("%s: no database", __func__);
		return -1;
	}
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	p[0] = sid;
	if ((res = db_exec(d->db, DS_CREDS_GET, p)) == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		rc = 0;
		goto out;
	}
	nonce = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 0),
	    &nlen);
	sealed = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 1),
	    &slen);
	if (nonce == NULL || sealed == NULL) {
		log_warnx("%s: account %" PRId64 ": bad bytea", __func__, id);
		goto out;
	}
	if (creds_open(d->cred_key, nonce, nlen, sealed, slen, plain,
	    len) == 0)
		rc = 1;
out:
	if (nonce != NULL)
		PQfreemem(nonce);
	if (sealed != NULL)
		PQfreemem(sealed);
	PQclear(res);
	return rc;
}
