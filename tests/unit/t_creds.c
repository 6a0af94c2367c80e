/*
 * Tests for daemon/creds.c: crypto_secretbox sealing of credentials
 * blobs, refusal of tampered rows, wrong keys and malformed sizes, and
 * the key file loader (exact length only).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon.h"
#include "t.h"

static const uint8_t	key1[CREDS_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t	key2[CREDS_KEY_LEN] = { 8, 7, 6, 5, 4, 3, 2, 1 };
static const uint8_t	blob[] = "noise key, identity key, adv secret...";

static int
seal_open_roundtrip(void)
{
	uint8_t		 nonce[CREDS_NONCE_LEN], *sealed, *plain;
	size_t		 slen, len;
	int		 ok;

	if (creds_seal(key1, blob, sizeof(blob), nonce, &sealed, &slen) != 0)
		return 0;
	ok = T_INTEQ(slen, sizeof(blob) + CREDS_MAC_LEN) &&
	    T_TRUE(memmem(sealed, slen, "identity", 8) == NULL) &&
	    T_INTEQ(creds_open(key1, nonce, sizeof(nonce), sealed, slen,
	    &plain, &len), 0) && T_INTEQ(len, sizeof(blob)) &&
	    T_MEMEQ(plain, blob, sizeof(blob));
	if (ok)
		creds_plain_free(plain, len);
	free(sealed);
	return ok;
}

static int
nonces_differ(void)
{
	uint8_t		 n1[CREDS_NONCE_LEN], n2[CREDS_NONCE_LEN];
	uint8_t		*s1, *s2;
	size_t		 l1, l2;
	int		 ok;

	if (creds_seal(key1, blob, sizeof(blob), n1, &s1, &l1) != 0 ||
	    creds_seal(key1, blob, sizeof(blob), n2, &s2, &l2) != 0)
		return 0;
	ok = T_TRUE(memcmp(n1, n2, sizeof(n1)) != 0) &&
	    T_TRUE(memcmp(s1, s2, l1) != 0);
	free(s1);
	free(s2);
	return ok;
}

static int
wrong_key_and_tamper_refused(void)
{
	uint8_t		 nonce[CREDS_NONCE_LEN], *sealed, *plain = NULL;
	size_t		 slen, len = 0;
	int		 ok;

	if (creds_seal(key1, blob, sizeof(blob), nonce, &sealed, &slen) != 0)
		return 0;
	ok = T_INTEQ(creds_open(key2, nonce, sizeof(nonce), sealed, slen,
	    &plain, &len), -1) && T_TRUE(plain == NULL);
	sealed[3] ^= 1;
	ok = ok && T_INTEQ(creds_open(key1, nonce, sizeof(nonce), sealed,
	    slen, &plain, &len), -1);
	sealed[3] ^= 1;
	nonce[0] ^= 1;
	ok = ok && T_INTEQ(creds_open(key1, nonce, sizeof(nonce), sealed,
	    slen, &plain, &len), -1);
	free(sealed);
	return ok;
}

static int
malformed_sizes_refused(void)
{
	uint8_t		 nonce[CREDS_NONCE_LEN] = { 0 }, box[64] = { 0 };
	uint8_t		*plain = NULL, *sealed = NULL;
	size_t		 len = 0, slen = 0;

	return T_INTEQ(creds_open(key1, nonce, 23, box, sizeof(box), &plain,
	    &len), -1) &&
	    T_INTEQ(creds_open(key1, nonce, sizeof(nonce), box, CREDS_MAC_LEN,
	    &plain, &len), -1) &&
	    T_INTEQ(creds_open(key1, nonce, sizeof(nonce), box, 0, &plain,
	    &len), -1) &&
	    T_INTEQ(creds_seal(key1, blob, 0, nonce, &sealed, &slen), -1) &&
	    T_TRUE(plain == NULL && sealed == NULL);
}

/* Write "n" bytes to a fresh temporary file; returns its path. */
static char *
keyfile(size_t n)
{
	static char	 path[64];
	uint8_t		 b[64];
	int		 fd;

	memset(b, 0x5a, sizeof(b));
	snprintf(path, sizeof(path), "/tmp/t_creds.XXXXXX");
	if ((fd = mkstemp(path)) == -1)
		return NULL;
	if (write(fd, b, n) != (ssize_t)n) {
		close(fd);
		return NULL;
	}
	close(fd);
	return path;
}

static int
key_file_exact_length(void)
{
	struct daemon	 d;
	char		*p;
	int		 ok = 1;

	memset(&d, 0, sizeof(d));
	if ((p = keyfile(CREDS_KEY_LEN)) == NULL)
		return 0;
	ok = T_INTEQ(creds_key_load(&d, p), 0) && T_TRUE(d.cred_key != NULL) &&
	    T_TRUE(d.cred_key[0] == 0x5a && d.cred_key[31] == 0x5a);
	creds_key_free(&d);
	unlink(p);
	if ((p = keyfile(CREDS_KEY_LEN - 1)) == NULL)
		return 0;
	ok = ok && T_INTEQ(creds_key_load(&d, p), -1) &&
	    T_TRUE(d.cred_key == NULL);
	unlink(p);
	if ((p = keyfile(CREDS_KEY_LEN + 1)) == NULL)
		return 0;
	ok = ok && T_INTEQ(creds_key_load(&d, p), -1);
	unlink(p);
	ok = ok && T_INTEQ(creds_key_load(&d, "/nonexistent/key"), -1);
	return ok;
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(seal_open_roundtrip),
		T_CASE(nonces_differ),
		T_CASE(wrong_key_and_tamper_refused),
		T_CASE(malformed_sizes_refused),
		T_CASE(key_file_exact_length),
	};

	if (sodium_init() < 0)
		return 1;
	return t_run(cases, T_NCASES(cases));
}
