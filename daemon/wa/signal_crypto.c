/*
 * The crypto provider libsignal-protocol-c calls into (wasignal.h): the
 * nine callbacks of signal_protocol.h struct signal_crypto_provider.
 * Randomness comes from libsodium (as everywhere in daemon/wa, see
 * crypto.c); HMAC-SHA256, SHA-512 and AES from OpenSSL 3's EVP layer
 * (EVP_MAC "HMAC", EVP_sha512, EVP_aes_*_cbc/ctr).  The shapes follow
 * the reference provider of libsignal-protocol-c's tests/test_common.c:
 * HMAC and digest contexts are opaque pointers owned by libsignal
 * between init and cleanup; outputs are signal_buffers libsignal frees;
 * AES-CBC uses PKCS#5 padding (OpenSSL's default block padding) and
 * AES-CTR none; the key length picks AES-128/192/256 and the IV is one
 * 16-byte block.  Errors are negative SG_ERR_* codes, as libsignal
 * expects; a CBC padding failure on decrypt is an expected outcome on
 * hostile input and is not logged here (libsignal reports it upward as
 * SG_ERR_UNKNOWN and the message layer logs it with its context).
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include "crypto.h"
#include "log.h"
#include "wasignal.h"

#define	AES_BLOCK	16

static int
sg_random(uint8_t *data, size_t len, void *user)
{

	wa_random(data, len);
	return 0;
}

static int
sg_hmac_init(void **ctxp, const uint8_t *key, size_t keylen, void *user)
{
	OSSL_PARAM	 params[2];
	EVP_MAC		*mac;
	EVP_MAC_CTX	*ctx;

	*ctxp = NULL;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return SG_ERR_UNKNOWN;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (ctx == NULL)
		return SG_ERR_NOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, keylen, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		ERR_clear_error();
		return SG_ERR_UNKNOWN;
	}
	*ctxp = ctx;
	return 0;
}

static int
sg_hmac_update(void *ctx, const uint8_t *data, size_t len, void *user)
{

	if (EVP_MAC_update(ctx, data, len) != 1) {
		ERR_clear_error();
		return SG_ERR_UNKNOWN;
	}
	return 0;
}

static int
sg_hmac_final(void *ctx, signal_buffer **out, void *user)
{
	uint8_t		 md[WA_SHA256_LEN];
	size_t		 n = 0;

	*out = NULL;
	if (EVP_MAC_final(ctx, md, &n, sizeof(md)) != 1 || n != sizeof(md)) {
		ERR_clear_error();
		return SG_ERR_UNKNOWN;
	}
	if ((*out = signal_buffer_create(md, n)) == NULL)
		return SG_ERR_NOMEM;
	return 0;
}

static void
sg_hmac_cleanup(void *ctx, void *user)
{

	EVP_MAC_CTX_free(ctx);
}

static int
sg_sha512_init(void **ctxp, void *user)
{
	EVP_MD_CTX	*ctx;

	*ctxp = NULL;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return SG_ERR_NOMEM;
	if (EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		ERR_clear_error();
		return SG_ERR_UNKNOWN;
	}
	*ctxp = ctx;
	return 0;
}

static int
sg_sha512_update(void *ctx, const uint8_t *data, size_t len, void *user)
{

	if (EVP_DigestUpdate(ctx, data, len) != 1) {
		ERR_clear_error();
		return SG_ERR_UNKNOWN;
	}
	return 0;
}

/* Finish and re-initialise the context for reuse, as the provider
 * contract says ("prepare the context for reuse"). */
static int
sg_sha512_final(void *ctx, signal_buffer **out, void *user)
{
	uint8_t		 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;

	*out = NULL;
	if (EVP_DigestFinal_ex(ctx, md, &n) != 1 ||
	    EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) != 1) {
		ERR_clear_error();
		return SG_ERR_UNKNOWN;
	}
	if ((*out = signal_buffer_create(md, n)) == NULL)
		return SG_ERR_NOMEM;
	return 0;
}

static void
sg_sha512_cleanup(void *ctx, void *user)
{

	EVP_MD_CTX_free(ctx);
}

/* The EVP cipher for libsignal's cipher code and key length, or NULL. */
static const EVP_CIPHER *
sg_cipher(int cipher, size_t keylen)
{

	if (cipher == SG_CIPHER_AES_CBC_PKCS5) {
		switch (keylen) {
		case 16: return EVP_aes_128_cbc();
		case 24: return EVP_aes_192_cbc();
		case 32: return EVP_aes_256_cbc();
		}
	} else if (cipher == SG_CIPHER_AES_CTR_NOPADDING) {
		switch (keylen) {
		case 16: return EVP_aes_128_ctr();
		case 24: return EVP_aes_192_ctr();
		case 32: return EVP_aes_256_ctr();
		}
	}
	return NULL;
}

/* One AES pass in direction "enc" (1 encrypt, 0 decrypt). */
static int
sg_aes(signal_buffer **out, int cipher, const uint8_t *key, size_t keylen,
    const uint8_t *iv, size_t ivlen, const uint8_t *in, size_t inlen,
    int enc)
{
	const EVP_CIPHER	*ev;
	EVP_CIPHER_CTX		*ctx;
	uint8_t			*buf;
	int			 n1 = 0, n2 = 0, rc = SG_ERR_UNKNOWN;

	*out = NULL;
	if ((ev = sg_cipher(cipher, keylen)) == NULL || ivlen != AES_BLOCK ||
	    inlen > INT_MAX - AES_BLOCK)
		return SG_ERR_INVAL;
	if (!enc && cipher == SG_CIPHER_AES_CBC_PKCS5 &&
	    (inlen == 0 || inlen % AES_BLOCK != 0))
		return SG_ERR_INVAL;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return SG_ERR_NOMEM;
	/* Plain heap, wiped before free: the result goes on into a
	 * malloc'd signal_buffer anyway, so sodium_malloc's guard pages
	 * protected nothing here and cost an mmap, two mprotects and a
	 * munmap per message (a third of bench_recv's time in the
	 * kernel). */
	buf = malloc(inlen + AES_BLOCK);
	if (buf == NULL) {
		EVP_CIPHER_CTX_free(ctx);
		return SG_ERR_NOMEM;
	}
	if (EVP_CipherInit_ex(ctx, ev, NULL, key, iv, enc) == 1 &&
	    EVP_CipherUpdate(ctx, buf, &n1, in, (int)inlen) == 1 &&
	    EVP_CipherFinal_ex(ctx, buf + n1, &n2) == 1) {
		if ((*out = signal_buffer_create(buf, (size_t)n1 + n2)) == NULL)
			rc = SG_ERR_NOMEM;
		else
			rc = 0;
	}
	ERR_clear_error();
	sodium_memzero(buf, inlen + AES_BLOCK);
	free(buf);
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

static int
sg_encrypt(signal_buffer **out, int cipher, const uint8_t *key,
    size_t keylen, const uint8_t *iv, size_t ivlen, const uint8_t *in,
    size_t inlen, void *user)
{

	return sg_aes(out, cipher, key, keylen, iv, ivlen, in, inlen, 1);
}

static int
sg_decrypt(signal_buffer **out, int cipher, const uint8_t *key,
    size_t keylen, const uint8_t *iv, size_t ivlen, const uint8_t *in,
    size_t inlen, void *user)
{

	return sg_aes(out, cipher, key, keylen, iv, ivlen, in, inlen, 0);
}

/* libsignal's own log lines (SG_LOG_*) into lib/log.h. */
static void
sg_log(int level, const char *msg, size_t len, void *user)
{
	int	 n = len > 400 ? 400 : (int)len;

	if (level <= SG_LOG_WARNING)
		log_warnx("libsignal: %.*s", n, msg);
	else
		log_debug("libsignal: %.*s", n, msg);
}

/* The provider table (wasignal.h). */
const signal_crypto_provider *
wa_signal_crypto(void)
{
	static const signal_crypto_provider	 p = {
		.random_func = sg_random,
		.hmac_sha256_init_func = sg_hmac_init,
		.hmac_sha256_update_func = sg_hmac_update,
		.hmac_sha256_final_func = sg_hmac_final,
		.hmac_sha256_cleanup_func = sg_hmac_cleanup,
		.sha512_digest_init_func = sg_sha512_init,
		.sha512_digest_update_func = sg_sha512_update,
		.sha512_digest_final_func = sg_sha512_final,
		.sha512_digest_cleanup_func = sg_sha512_cleanup,
		.encrypt_func = sg_encrypt,
		.decrypt_func = sg_decrypt,
		.user_data = NULL,
	};

	return &p;
}

/* Install wa_signal_crypto() on ctx (wasignal.h). */
int
wa_signal_crypto_install(signal_context *ctx)
{

	if (sodium_init() == -1 ||
	    signal_context_set_crypto_provider(ctx, wa_signal_crypto()) != 0) {
		log_warnx("%s: cannot install the crypto provider", __func__);
		return -1;
	}
	return 0;
}

/* A context with our provider and log hook (wasignal.h). */
int
wa_signal_context_new(signal_context **out)
{

	*out = NULL;
	if (signal_context_create(out, NULL) != 0) {
		log_warnx("%s: signal_context_create failed", __func__);
		return -1;
	}
	if (wa_signal_crypto_install(*out) == -1 ||
	    signal_context_set_log_function(*out, sg_log) != 0) {
		signal_context_destroy(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}
