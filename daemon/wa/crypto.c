/*
 * Crypto building blocks for the WhatsApp client (see crypto.h).  Each
 * function wraps one libsodium or OpenSSL primitive; nothing here knows
 * about the protocol.  The choice of library per primitive follows
 * wa-md-protocol.md section 11: libsodium for SHA-256, HMAC, X25519 and
 * randomness; OpenSSL 3 for HKDF (EVP_KDF "HKDF"), AES-256-GCM and
 * AES-256-CTR (EVP), PBKDF2 (PKCS5_PBKDF2_HMAC) and MD5.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <sodium.h>

#include "log.h"
#include "crypto.h"

/* Log the first queued OpenSSL error with the calling function's name. */
static void
ossl_warn(const char *func, const char *what)
{
	char		 msg[256];
	unsigned long	 e;

	e = ERR_get_error();
	if (e == 0)
		log_warnx("%s: %s failed", func, what);
	else {
		ERR_error_string_n(e, msg, sizeof(msg));
		log_warnx("%s: %s: %s", func, what, msg);
	}
	ERR_clear_error();
}

/*
 * SHA-256 of "len" bytes at "msg" into "out" (32 bytes).  Cannot fail.
 */
void
wa_sha256(const void *msg, size_t len, uint8_t out[WA_SHA256_LEN])
{

	crypto_hash_sha256(out, msg, len);
}

/*
 * SHA-256 of "alen" bytes at "a" followed by "blen" bytes at "b" into
 * "out" (32 bytes), without building the concatenation (Noise MixHash).
 * Either pointer may be NULL when its length is 0.  Cannot fail.
 */
void
wa_sha256_concat(const void *a, size_t alen, const void *b, size_t blen,
    uint8_t out[WA_SHA256_LEN])
{
	crypto_hash_sha256_state	 st;

	crypto_hash_sha256_init(&st);
	if (alen > 0)
		crypto_hash_sha256_update(&st, a, alen);
	if (blen > 0)
		crypto_hash_sha256_update(&st, b, blen);
	crypto_hash_sha256_final(&st, out);
}

/*
 * MD5 of "len" bytes at "msg" into "out" (16 bytes).  Used only for
 * ClientPayload's buildHash (wa-md-protocol.md 4.3), not for security.
 * An OpenSSL failure here means a broken library: fatal.
 */
void
wa_md5(const void *msg, size_t len, uint8_t out[WA_MD5_LEN])
{
	unsigned int	 n = 0;

	if (EVP_Digest(msg, len, out, &n, EVP_md5(), NULL) != 1 ||
	    n != WA_MD5_LEN)
		fatalx("%s: EVP_Digest(md5) failed", __func__);
}

/*
 * HMAC-SHA256 with a key of any length ("keylen" bytes, may be 0) over
 * "len" bytes of "msg" into "out" (32 bytes).  Cannot fail.
 */
void
wa_hmac_sha256(const uint8_t *key, size_t keylen, const void *msg,
    size_t len, uint8_t out[WA_SHA256_LEN])
{
	crypto_auth_hmacsha256_state	 st;

	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, msg, len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

/*
 * RFC 5869 HKDF-SHA256: extract with "salt" (any length, may be empty:
 * then HashLen zeros, which HMAC treats identically), expand with
 * "info" (may be empty) to "outlen" bytes at "out", 1 .. 255 * 32.
 * Empty "ikm" is allowed (Noise Split uses it, wa-md-protocol.md 2.3).
 * Returns 0, or -1 (logged) on a bad length or an OpenSSL failure.
 */
int
wa_hkdf_sha256(const uint8_t *salt, size_t saltlen, const uint8_t *ikm,
    size_t ikmlen, const uint8_t *info, size_t infolen, uint8_t *out,
    size_t outlen)
{
	static uint8_t	 empty[1];
	EVP_KDF		*kdf = NULL;
	EVP_KDF_CTX	*ctx = NULL;
	OSSL_PARAM	 p[5];
	char		 md[] = "SHA256";
	int		 rc = -1;

	if (outlen == 0 || outlen > 255 * WA_SHA256_LEN) {
		log_warnx("%s: bad output length %zu", __func__, outlen);
		return -1;
	}
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, md, 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    ikmlen == 0 ? empty : (void *)(uintptr_t)ikm, ikmlen);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    saltlen == 0 ? empty : (void *)(uintptr_t)salt, saltlen);
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    infolen == 0 ? empty : (void *)(uintptr_t)info, infolen);
	p[4] = OSSL_PARAM_construct_end();

	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL ||
	    (ctx = EVP_KDF_CTX_new(kdf)) == NULL ||
	    EVP_KDF_derive(ctx, out, outlen, p) != 1) {
		ossl_warn(__func__, "HKDF");
		goto out;
	}
	rc = 0;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

/*
 * The AES-256-GCM implementation and a context for it, fetched and
 * made on first use and kept for the life of the thread (issue 8:
 * every frame of every connection is sealed or opened here).  Passing
 * EVP_aes_256_gcm() to EVP_CipherInit_ex() instead makes OpenSSL 3
 * fetch the provider's implementation again on each call (a locked
 * name lookup; EVP_CIPHER_fetch(3), "Performance" in crypto(7)), and
 * a new context allocates the provider's state each time; a context
 * initialised again with a key and IV starts a fresh operation
 * (EVP_EncryptInit(3)).  Per thread so that a caller on any thread is
 * safe.  Returns the context, or NULL (logged) if OpenSSL cannot.
 */
static _Thread_local EVP_CIPHER	*gcm_cipher;
static _Thread_local EVP_CIPHER_CTX	*gcm_ctx;

static EVP_CIPHER_CTX *
gcm_ctx_get(void)
{

	if (gcm_cipher == NULL &&
	    (gcm_cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) ==
	    NULL) {
		ossl_warn("gcm", "EVP_CIPHER_fetch");
		return NULL;
	}
	if (gcm_ctx == NULL && (gcm_ctx = EVP_CIPHER_CTX_new()) == NULL) {
		ossl_warn("gcm", "EVP_CIPHER_CTX_new");
		return NULL;
	}
	return gcm_ctx;
}

/*
 * One AES-256-GCM pass.  "enc" 1 seals "len" bytes of "in" into "out"
 * and writes the tag to "tag"; "enc" 0 opens and checks "tag".
 * Returns 0, -1 on an OpenSSL failure (logged), or -2 on a tag
 * mismatch (not logged).  The last key's schedule stays in the
 * thread's context until the next pass overwrites it (a freed context
 * was wiped); the keys that matter live as long in their owners
 * (noise.c's transport keys, the credentials key).
 */
static int
gcm_run(int enc, const uint8_t *key, const uint8_t *iv, const uint8_t *aad,
    size_t aadlen, const uint8_t *in, size_t len, uint8_t *out,
    uint8_t *tag)
{
	EVP_CIPHER_CTX	*ctx;
	int		 n, rc = -1;

	if (len > INT_MAX || aadlen > INT_MAX) {
		log_warnx("gcm: input too long (%zu bytes)", len);
		return -1;
	}
	if ((ctx = gcm_ctx_get()) == NULL)
		return -1;
	if (EVP_CipherInit_ex(ctx, gcm_cipher, NULL, key, iv, enc) != 1 ||
	    (aadlen > 0 &&
	    EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1) ||
	    (len > 0 && EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)) {
		ossl_warn("gcm", "EVP_CipherUpdate");
		goto out;
	}
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
	    WA_GCM_TAG_LEN, tag) != 1) {
		ossl_warn("gcm", "set tag");
		goto out;
	}
	if (EVP_CipherFinal_ex(ctx, out + len, &n) != 1) {
		ERR_clear_error();
		rc = enc ? -1 : -2;
		if (enc)
			log_warnx("gcm: EVP_CipherFinal_ex failed");
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
	    WA_GCM_TAG_LEN, tag) != 1) {
		ossl_warn("gcm", "get tag");
		goto out;
	}
	rc = 0;
out:
	return rc;
}

/*
 * AES-256-GCM seal: "ptlen" bytes of "pt" under "key" (32 bytes) and
 * "iv" (12 bytes), authenticating "aadlen" bytes of "aad" (may be NULL
 * when 0).  Writes ptlen + 16 bytes to "out": ciphertext then tag
 * (the "combined" layout WhatsApp uses, wa-md-protocol.md 2.2).  "out"
 * may equal "pt".  Returns 0, or -1 (logged).
 */
int
wa_aes256_gcm_encrypt(const uint8_t key[WA_AES256_KEY_LEN],
    const uint8_t iv[WA_GCM_IV_LEN], const uint8_t *aad, size_t aadlen,
    const uint8_t *pt, size_t ptlen, uint8_t *out)
{

	return gcm_run(1, key, iv, aad, aadlen, pt, ptlen, out, out + ptlen);
}

/*
 * AES-256-GCM open: "ctlen" bytes of "ct" (ciphertext then 16-byte
 * tag) under "key" and "iv", with "aad" as for encryption.  Writes
 * ctlen - 16 bytes of plaintext to "out" ("out" may equal "ct").
 * Returns 0; -1 if "ctlen" < 16 or the tag does not verify (not
 * logged: the caller knows what it was decrypting), or on an OpenSSL
 * failure (logged).  On -1 the contents of "out" are unspecified and
 * must not be used.
 */
int
wa_aes256_gcm_decrypt(const uint8_t key[WA_AES256_KEY_LEN],
    const uint8_t iv[WA_GCM_IV_LEN], const uint8_t *aad, size_t aadlen,
    const uint8_t *ct, size_t ctlen, uint8_t *out)
{
	uint8_t	 tag[WA_GCM_TAG_LEN];
	size_t	 len;

	if (ctlen < WA_GCM_TAG_LEN)
		return -1;
	len = ctlen - WA_GCM_TAG_LEN;
	memcpy(tag, ct + len, sizeof(tag));
	if (gcm_run(0, key, iv, aad, aadlen, ct, len, out, tag) != 0) {
		sodium_memzero(out, len);
		return -1;
	}
	return 0;
}

/*
 * AES-256-CTR over "len" bytes of "in" into "out" (may be the same
 * buffer), "key" 32 bytes, "iv" the full 16-byte initial counter block
 * incremented as a 128-bit big-endian number (standard CTR, as the
 * pairing-code wrapping needs, wa-md-protocol.md 7.1).  Encryption and
 * decryption are the same operation.  Returns 0, or -1 (logged).
 */
int
wa_aes256_ctr(const uint8_t key[WA_AES256_KEY_LEN],
    const uint8_t iv[WA_CTR_IV_LEN], const uint8_t *in, size_t len,
    uint8_t *out)
{
	EVP_CIPHER_CTX	*ctx;
	int		 n, rc = -1;

	if (len > INT_MAX) {
		log_warnx("%s: input too long (%zu bytes)", __func__, len);
		return -1;
	}
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
		ossl_warn(__func__, "EVP_CIPHER_CTX_new");
		return -1;
	}
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), NULL, key, iv) != 1 ||
	    (len > 0 && EVP_EncryptUpdate(ctx, out, &n, in, (int)len) != 1) ||
	    EVP_EncryptFinal_ex(ctx, out + len, &n) != 1) {
		ossl_warn(__func__, "AES-256-CTR");
		goto out;
	}
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/*
 * PBKDF2-HMAC-SHA256 of "passlen" bytes of "pass" with "salt",
 * "iterations" rounds (>= 1), "outlen" bytes into "out".  The
 * pairing code uses 131072 rounds (wa-md-protocol.md 7.1).
 * Returns 0, or -1 (logged).
 */
int
wa_pbkdf2_sha256(const void *pass, size_t passlen, const uint8_t *salt,
    size_t saltlen, unsigned int iterations, uint8_t *out, size_t outlen)
{

	if (passlen > INT_MAX || saltlen > INT_MAX || outlen > INT_MAX ||
	    iterations == 0 || iterations > INT_MAX || outlen == 0) {
		log_warnx("%s: bad argument", __func__);
		return -1;
	}
	if (PKCS5_PBKDF2_HMAC(pass, (int)passlen, salt, (int)saltlen,
	    (int)iterations, EVP_sha256(), (int)outlen, out) != 1) {
		ossl_warn(__func__, "PKCS5_PBKDF2_HMAC");
		return -1;
	}
	return 0;
}

/*
 * Fill "len" bytes at "out" from the system CSPRNG (libsodium).
 * Cannot fail; the daemon must have called sodium_init() (wa_x25519
 * and friends also work before it, as libsodium initialises lazily).
 */
void
wa_random(void *out, size_t len)
{

	randombytes_buf(out, len);
}

/*
 * X25519 (RFC 7748): "out" = priv * pub, all 32 bytes.  Returns 0, or
 * -1 if the result is all zero (pub is a low-order point, which a
 * hostile peer may send); that case is not logged here and "out" is
 * zeroed.
 */
int
wa_x25519(uint8_t out[WA_X25519_LEN], const uint8_t priv[WA_X25519_LEN],
    const uint8_t pub[WA_X25519_LEN])
{

	if (crypto_scalarmult_curve25519(out, priv, pub) != 0) {
		sodium_memzero(out, WA_X25519_LEN);
		return -1;
	}
	return 0;
}

/*
 * X25519 public key of "priv": "pub" = priv * 9, both 32 bytes.  The
 * private key is clamped by the operation itself; cannot fail for a
 * clamped key (callers generate keys clamped, wa-md-protocol.md 9.1).
 */
void
wa_x25519_base(uint8_t pub[WA_X25519_LEN], const uint8_t priv[WA_X25519_LEN])
{

	if (crypto_scalarmult_curve25519_base(pub, priv) != 0)
		fatalx("%s: crypto_scalarmult_curve25519_base failed",
		    __func__);
}

/*
 * Constant-time comparison of "len" bytes.  Returns 1 if equal, 0 if
 * not (a predicate).
 */
int
wa_ct_equal(const void *a, const void *b, size_t len)
{

	return sodium_memcmp(a, b, len) == 0;
}

/*
 * Wipe "len" bytes at "p" in a way the compiler cannot elide; for key
 * material on the stack.
 */
void
wa_memzero(void *p, size_t len)
{

	sodium_memzero(p, len);
}
