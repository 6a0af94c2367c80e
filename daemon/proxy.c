/*
 * The account's proxy (issue 13, sql/017): the pages seal the URL,
 * which may hold a password, with libsodium's crypto_box_seal to a
 * public key this daemon publishes in proxy_keys; only the daemon can
 * open it.  The key pair is derived from the credentials key
 * (WADESK_CRED_KEY_FILE, creds.c), so every daemon of a fleet, which
 * shares that file, has the same pair and a new credentials key
 * starts a new one (old settings then say so: proxy_unreadable).  The
 * secret half lives in sodium_malloc memory, read-only, and an opened
 * URL is wiped as soon as the connection has it (conn.c copies what
 * lws needs into its vhost).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon.h"
#include "log.h"
#include "xalloc.h"

/* BLAKE2b personalisation-by-message: what this derived key is for. */
static const char	 proxy_ctx[] = "wadesk proxy seal v1";

/*
 * Derive the proxy key pair from d->cred_key (loaded): seed =
 * BLAKE2b-256 keyed with the credentials key over proxy_ctx, then
 * crypto_box_seed_keypair.  Returns 0, or -1 (logged).
 */
int
proxy_key_init(struct daemon *d)
{
	unsigned char	 seed[crypto_box_SEEDBYTES];

	if (d->cred_key == NULL)
		return -1;
	if ((d->proxy_sk = sodium_malloc(crypto_box_SECRETKEYBYTES)) == NULL)
		fatalx("%s: sodium_malloc", __func__);
	if (crypto_generichash(seed, sizeof(seed),
	    (const unsigned char *)proxy_ctx, sizeof(proxy_ctx) - 1,
	    d->cred_key, CREDS_KEY_LEN) != 0 ||
	    crypto_box_seed_keypair(d->proxy_pk, d->proxy_sk, seed) != 0) {
		sodium_memzero(seed, sizeof(seed));
		log_warnx("%s: cannot derive the proxy key", __func__);
		proxy_key_free(d);
		return -1;
	}
	sodium_memzero(seed, sizeof(seed));
	sodium_mprotect_readonly(d->proxy_sk);
	return 0;
}

/* Wipe and release the proxy secret key; safe when none is there. */
void
proxy_key_free(struct daemon *d)
{

	if (d->proxy_sk != NULL)
		sodium_free(d->proxy_sk);
	d->proxy_sk = NULL;
}

/* Publish the public key (at each database connect).  0, or -1. */
int
proxy_key_publish(struct daemon *d)
{
	char		 hex[2 + 2 * sizeof(d->proxy_pk) + 1];
	const char	*p[1];

	memcpy(hex, "\\x", 2);
	sodium_bin2hex(hex + 2, sizeof(hex) - 2, d->proxy_pk,
	    sizeof(d->proxy_pk));
	p[0] = hex;
	return db_exec_cmd(d->db, DS_PROXY_KEY_PUT, p);
}

/*
 * Account "id"'s proxy URL, opened.  Returns 1 with "*url" (a
 * NUL-terminated string to release with proxy_url_free()), 0 for a
 * direct connection ("*url" NULL), -1 on a database error, or -2 when
 * the setting cannot be opened with our key (sealed to another one, or
 * damaged): the caller must not connect directly then.
 */
int
proxy_load(struct daemon *d, int64_t id, char **url)
{
	PGresult	*res;
	unsigned char	*sealed = NULL, *pk = NULL;
	const char	*p[1];
	char		 sid[24];
	size_t		 slen = 0, pklen = 0;
	int		 rc = -2;

	*url = NULL;
	if (d->db == NULL)
		return -1;
	snprintf(sid, sizeof(sid), "%" PRId64, id);
	p[0] = sid;
	if ((res = db_exec(d->db, DS_ACCOUNT_PROXY_GET, p)) == NULL)
		return -1;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		return 0;
	}
	sealed = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 0),
	    &slen);
	pk = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 1),
	    &pklen);
	PQclear(res);
	if (sealed == NULL || pk == NULL || d->proxy_sk == NULL ||
	    pklen != sizeof(d->proxy_pk) ||
	    sodium_memcmp(pk, d->proxy_pk, pklen) != 0 ||
	    slen <= crypto_box_SEALBYTES || slen > 4096)
		goto out;
	*url = xmalloc(slen - crypto_box_SEALBYTES + 1);
	if (crypto_box_seal_open((unsigned char *)*url, sealed, slen,
	    d->proxy_pk, d->proxy_sk) != 0) {
		free(*url);
		*url = NULL;
		goto out;
	}
	(*url)[slen - crypto_box_SEALBYTES] = '\0';
	if (strlen(*url) != slen - crypto_box_SEALBYTES) {
		proxy_url_free(*url);
		*url = NULL;
		goto out;
	}
	rc = 1;
out:
	if (rc == -2)
		log_warnx("account %" PRId64 ": the proxy setting cannot be "
		    "opened with this daemon's key", id);
	PQfreemem(sealed);
	PQfreemem(pk);
	return rc;
}

/* Wipe and free a URL from proxy_load(); NULL is a no-op. */
void
proxy_url_free(char *url)
{

	if (url == NULL)
		return;
	sodium_memzero(url, strlen(url));
	free(url);
}
