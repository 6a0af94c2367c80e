/*
 * Crypto building blocks for the WhatsApp client: hashes, HMAC, HKDF,
 * AES-256-GCM/CTR, PBKDF2, MD5, randomness and X25519.  A thin layer
 * over libsodium (hashes, HMAC, X25519, randomness) and OpenSSL's
 * libcrypto (AES, PBKDF2, MD5), chosen per wa-md-protocol.md section 11
 * (Debian 12: libsodium 1.0.18 has no HKDF and AES-GCM only with
 * AES-NI, so those come from OpenSSL 3).
 *
 * All sizes are in bytes.  Output buffers are caller-owned.  Functions
 * that can fail return 0 on success and -1 on failure; a failure
 * inside OpenSSL is logged here, while an authentication failure of
 * wa_aes256_gcm_decrypt() or a low-order point in wa_x25519() is an
 * expected outcome on hostile input and is left to the caller to log
 * with its context.
 */
#ifndef WADESK_WA_CRYPTO_H
#define WADESK_WA_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define	WA_SHA256_LEN	32	/* SHA-256 digest, HMAC-SHA256 tag */
#define	WA_MD5_LEN	16	/* MD5 digest */
#define	WA_AES256_KEY_LEN 32	/* AES-256 key */
#define	WA_GCM_IV_LEN	12	/* AES-GCM nonce */
#define	WA_GCM_TAG_LEN	16	/* AES-GCM tag, appended to ciphertext */
#define	WA_CTR_IV_LEN	16	/* AES-CTR initial counter block */
#define	WA_X25519_LEN	32	/* X25519 private key, public key, secret */

void	wa_sha256(const void *msg, size_t len, uint8_t out[WA_SHA256_LEN]);
void	wa_sha256_concat(const void *a, size_t alen, const void *b,
	    size_t blen, uint8_t out[WA_SHA256_LEN]);
void	wa_md5(const void *msg, size_t len, uint8_t out[WA_MD5_LEN]);
void	wa_hmac_sha256(const uint8_t *key, size_t keylen, const void *msg,
	    size_t len, uint8_t out[WA_SHA256_LEN]);
int	wa_hkdf_sha256(const uint8_t *salt, size_t saltlen,
	    const uint8_t *ikm, size_t ikmlen, const uint8_t *info,
	    size_t infolen, uint8_t *out, size_t outlen)
	    __attribute__((warn_unused_result));
int	wa_aes256_gcm_encrypt(const uint8_t key[WA_AES256_KEY_LEN],
	    const uint8_t iv[WA_GCM_IV_LEN], const uint8_t *aad,
	    size_t aadlen, const uint8_t *pt, size_t ptlen, uint8_t *out)
	    __attribute__((warn_unused_result));
int	wa_aes256_gcm_decrypt(const uint8_t key[WA_AES256_KEY_LEN],
	    const uint8_t iv[WA_GCM_IV_LEN], const uint8_t *aad,
	    size_t aadlen, const uint8_t *ct, size_t ctlen, uint8_t *out)
	    __attribute__((warn_unused_result));
int	wa_aes256_ctr(const uint8_t key[WA_AES256_KEY_LEN],
	    const uint8_t iv[WA_CTR_IV_LEN], const uint8_t *in, size_t len,
	    uint8_t *out)
	    __attribute__((warn_unused_result));
int	wa_pbkdf2_sha256(const void *pass, size_t passlen,
	    const uint8_t *salt, size_t saltlen, unsigned int iterations,
	    uint8_t *out, size_t outlen)
	    __attribute__((warn_unused_result));
void	wa_random(void *out, size_t len);
int	wa_x25519(uint8_t out[WA_X25519_LEN],
	    const uint8_t priv[WA_X25519_LEN], const uint8_t pub[WA_X25519_LEN])
	    __attribute__((warn_unused_result));
void	wa_x25519_base(uint8_t pub[WA_X25519_LEN],
	    const uint8_t priv[WA_X25519_LEN]);
int	wa_ct_equal(const void *a, const void *b, size_t len);
void	wa_memzero(void *p, size_t len);

#endif /* !WADESK_WA_CRYPTO_H */
