/*
 * Keys and the libsignal curve25519 signature scheme (spec 9).
 *
 * Why libsodium + OpenSSL and not a ready-made library: Debian 12 has
 * two candidates, and neither serves.
 *  - libxeddsa (libxeddsa-dev 2.0.0) implements the XEdDSA paper as
 *    written: the signer negates its key so the Edwards sign bit is 0,
 *    and the verifier assumes sign bit 0.  libsignal instead carries the
 *    sign bit in sig[63] (spec 9.3), so libxeddsa would reject every
 *    libsignal signature made by a key whose Edwards point has x odd
 *    (about half of all keys, including WhatsApp's), and could not
 *    reproduce the vectors.
 *  - libsignal-protocol-c (libsignal-protocol-c-dev 2.3.3) has the exact
 *    scheme (curve_calculate_signature/curve_verify_signature), but it
 *    is GPLv3, needs a signal_context with a complete crypto provider
 *    (spec 11), draws Z from a callback, and its verifier only checks
 *    the top three bits of S, not S < L.
 * The scheme needs nothing beyond what libsodium 1.0.18 exposes (Ed25519
 * scalar and point arithmetic, SHA-512, strict Ed25519 verification)
 * except one field inversion mod 2^255 - 19 for the Montgomery u ->
 * Edwards y map, which OpenSSL's BN does (spec 11, validated by
 * /work/shared/protocol/vectors/xeddsa_sodium_check.c).
 */
#include <string.h>

#include <openssl/bn.h>
#include <sodium.h>

#include "log.h"
#include "keys.h"

static int
sodium_ready(void)
{

	if (sodium_init() < 0) {
		log_warnx("%s: sodium_init failed", __func__);
		return -1;
	}
	return 0;
}

static void
key_clamp(uint8_t k[WA_KEY_LEN])
{

	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;
}

int
wa_keypair_from_private(struct wa_keypair *kp, const uint8_t priv[WA_KEY_LEN])
{

	if (sodium_ready() == -1)
		return -1;
	memmove(kp->priv, priv, WA_KEY_LEN);
	key_clamp(kp->priv);
	if (crypto_scalarmult_curve25519_base(kp->pub, kp->priv) != 0) {
		log_warnx("%s: X25519 failed", __func__);
		sodium_memzero(kp, sizeof(*kp));
		return -1;
	}
	return 0;
}

int
wa_keypair_generate(struct wa_keypair *kp)
{

	if (sodium_ready() == -1)
		return -1;
	randombytes_buf(kp->priv, WA_KEY_LEN);
	return wa_keypair_from_private(kp, kp->priv);
}

/* SHA-512 of up to four parts, any of which may be empty. */
static void
sha512_parts(uint8_t out[64], const uint8_t *p1, size_t n1,
    const uint8_t *p2, size_t n2, const uint8_t *p3, size_t n3,
    const uint8_t *p4, size_t n4)
{
	crypto_hash_sha512_state	 st;

	crypto_hash_sha512_init(&st);
	if (n1 > 0)
		crypto_hash_sha512_update(&st, p1, n1);
	if (n2 > 0)
		crypto_hash_sha512_update(&st, p2, n2);
	if (n3 > 0)
		crypto_hash_sha512_update(&st, p3, n3);
	if (n4 > 0)
		crypto_hash_sha512_update(&st, p4, n4);
	crypto_hash_sha512_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

/*
 * Steps follow spec 9.3 "Sign" (libsignal-protocol-c curve_sigs.c
 * curve25519_sign, go.mau.fi/libsignal ecc/SignCurve25519.go).
 */
int
wa_xeddsa_sign_z(const uint8_t priv[32], const uint8_t *msg, size_t len,
    const uint8_t z[WA_SIG_RANDOM_LEN], uint8_t sig[64])
{
	uint8_t		 k[32], wide[64], a[32], A[32], r[32], R[32];
	uint8_t		 h[64], hr[32], S[32], pre[32];
	int		 rc = -1;

	if (sodium_ready() == -1)
		goto out;
	if (msg == NULL && len > 0) {
		log_warnx("%s: NULL message", __func__);
		goto out;
	}
	memcpy(k, priv, sizeof(k));
	key_clamp(k);

	/* a = k mod L; A = k.B (k < 2^255, so no reduction is needed). */
	memset(wide, 0, sizeof(wide));
	memcpy(wide, k, sizeof(k));
	crypto_core_ed25519_scalar_reduce(a, wide);
	if (crypto_scalarmult_ed25519_base_noclamp(A, k) != 0) {
		log_warnx("%s: A = k.B failed", __func__);
		goto out;
	}

	/* r = SHA-512(FE || FF x 31 || k || M || Z) mod L; R = r.B. */
	pre[0] = 0xfe;
	memset(pre + 1, 0xff, sizeof(pre) - 1);
	sha512_parts(h, pre, sizeof(pre), k, sizeof(k), msg, len,
	    z, WA_SIG_RANDOM_LEN);
	crypto_core_ed25519_scalar_reduce(r, h);
	if (crypto_scalarmult_ed25519_base_noclamp(R, r) != 0) {
		log_warnx("%s: R = r.B failed", __func__);
		goto out;
	}

	/* h = SHA-512(R || A || M) mod L; S = r + h.a mod L. */
	sha512_parts(h, R, sizeof(R), A, sizeof(A), msg, len, NULL, 0);
	crypto_core_ed25519_scalar_reduce(hr, h);
	crypto_core_ed25519_scalar_mul(S, hr, a);
	crypto_core_ed25519_scalar_add(S, S, r);

	memcpy(sig, R, 32);
	memcpy(sig + 32, S, 32);
	sig[63] = (sig[63] & 0x7f) | (A[31] & 0x80);
	rc = 0;
out:
	if (rc == -1)
		memset(sig, 0, 64);
	sodium_memzero(k, sizeof(k));
	sodium_memzero(wide, sizeof(wide));
	sodium_memzero(a, sizeof(a));
	sodium_memzero(r, sizeof(r));
	sodium_memzero(h, sizeof(h));
	sodium_memzero(hr, sizeof(hr));
	return rc;
}

int
wa_xeddsa_sign(const uint8_t priv[32], const uint8_t *msg, size_t len,
    uint8_t sig[64])
{
	uint8_t		 z[WA_SIG_RANDOM_LEN];
	int		 rc;

	if (sodium_ready() == -1) {
		memset(sig, 0, 64);
		return -1;
	}
	randombytes_buf(z, sizeof(z));
	rc = wa_xeddsa_sign_z(priv, msg, len, z, sig);
	sodium_memzero(z, sizeof(z));
	return rc;
}

static void
bytes_reverse32(uint8_t dst[32], const uint8_t src[32])
{
	size_t	 i;

	for (i = 0; i < 32; i++)
		dst[i] = src[31 - i];
}

/*
 * Edwards y = (u - 1) / (u + 1) mod p for the Montgomery u of a
 * Curve25519 public key (RFC 7748 section 4.1; the top bit of u is
 * ignored, as in libsignal and X25519).  Returns 1 and fills y (32
 * bytes, little-endian, canonical), 0 if u is not a canonical field
 * element or u + 1 = 0, or -1 (logged) if OpenSSL cannot allocate.
 */
static int
mont_u_to_ed_y(uint8_t y[32], const uint8_t pub[32])
{
	BN_CTX		*ctx = NULL;
	BIGNUM		*p, *u, *num, *den, *res;
	uint8_t		 le[32], be[32];
	int		 rc = -1;

	memcpy(le, pub, sizeof(le));
	le[31] &= 0x7f;
	bytes_reverse32(be, le);

	if ((ctx = BN_CTX_new()) == NULL)
		goto oom;
	BN_CTX_start(ctx);
	p = BN_CTX_get(ctx);
	u = BN_CTX_get(ctx);
	num = BN_CTX_get(ctx);
	den = BN_CTX_get(ctx);
	res = BN_CTX_get(ctx);
	if (res == NULL || BN_bin2bn(be, sizeof(be), u) == NULL ||
	    !BN_set_bit(p, 255) || !BN_sub_word(p, 19))
		goto oom;
	if (BN_cmp(u, p) >= 0) {
		rc = 0;
		goto out;
	}
	if (!BN_mod_sub(num, u, BN_value_one(), p, ctx) ||
	    !BN_mod_add(den, u, BN_value_one(), p, ctx))
		goto oom;
	if (BN_is_zero(den)) {
		rc = 0;
		goto out;
	}
	if (BN_mod_inverse(den, den, p, ctx) == NULL ||
	    !BN_mod_mul(res, num, den, p, ctx) ||
	    BN_bn2binpad(res, be, sizeof(be)) != (int)sizeof(be))
		goto oom;
	bytes_reverse32(y, be);
	rc = 1;
	goto out;
oom:
	log_warnx("%s: OpenSSL BN failure", __func__);
	rc = -1;
out:
	if (ctx != NULL) {
		BN_CTX_end(ctx);
		BN_CTX_free(ctx);
	}
	return rc;
}

/*
 * Steps follow spec 9.3 "Verify" (libsignal-protocol-c curve_sigs.c
 * curve25519_verify).  libsodium's crypto_sign_ed25519_verify_detached
 * (1.0.18, without ED25519_COMPAT) rejects S >= L, a small-order R, a
 * non-canonical or small-order A and an A not on the curve.
 */
int
wa_xeddsa_verify(const uint8_t pub[32], const uint8_t *msg, size_t len,
    const uint8_t sig[64])
{
	uint8_t		 A[32], s[64];

	if (pub == NULL || sig == NULL || (msg == NULL && len > 0))
		return 0;
	if (sodium_ready() == -1)
		return 0;
	if (mont_u_to_ed_y(A, pub) != 1)
		return 0;
	A[31] = (A[31] & 0x7f) | (sig[63] & 0x80);
	memcpy(s, sig, sizeof(s));
	s[63] &= 0x7f;
	return crypto_sign_ed25519_verify_detached(s, msg == NULL ?
	    (const uint8_t *)"" : msg, len, A) == 0 ? 1 : 0;
}
