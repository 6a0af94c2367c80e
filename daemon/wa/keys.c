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
#include <sys/types.h>

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

int
wa_prekey_sign(const uint8_t identity_priv[WA_KEY_LEN],
    const uint8_t spk_pub[WA_KEY_LEN], uint8_t sig[WA_SIG_LEN])
{
	uint8_t		 msg[1 + WA_KEY_LEN];

	msg[0] = WA_DJB_TYPE;
	memcpy(msg + 1, spk_pub, WA_KEY_LEN);
	return wa_xeddsa_sign(identity_priv, msg, sizeof(msg), sig);
}

int
wa_prekey_verify(const uint8_t identity_pub[WA_KEY_LEN],
    const uint8_t spk_pub[WA_KEY_LEN], const uint8_t sig[WA_SIG_LEN])
{
	uint8_t		 msg[1 + WA_KEY_LEN];

	msg[0] = WA_DJB_TYPE;
	memcpy(msg + 1, spk_pub, WA_KEY_LEN);
	return wa_xeddsa_verify(identity_pub, msg, sizeof(msg), sig);
}

uint32_t
wa_registration_id_generate(void)
{

	if (sodium_ready() == -1)
		return 0;
	return randombytes_uniform(16380) + 1;
}

int
wa_adv_secret_generate(uint8_t secret[WA_ADV_SECRET_LEN])
{

	if (sodium_ready() == -1)
		return -1;
	randombytes_buf(secret, WA_ADV_SECRET_LEN);
	return 0;
}

struct wa_creds *
wa_creds_new(void)
{
	struct wa_creds	*c;

	if (sodium_ready() == -1)
		return NULL;
	if ((c = sodium_malloc(sizeof(*c))) == NULL) {
		log_warn("%s: sodium_malloc", __func__);
		return NULL;
	}
	sodium_memzero(c, sizeof(*c));
	return c;
}

void
wa_creds_free(struct wa_creds *c)
{

	if (c != NULL)
		sodium_free(c);	/* wipes the whole allocation */
}

int
wa_creds_generate(struct wa_creds *c)
{

	sodium_memzero(c, sizeof(*c));
	if (wa_keypair_generate(&c->noise_key) == -1 ||
	    wa_keypair_generate(&c->identity_key) == -1 ||
	    wa_keypair_generate(&c->signed_pre_key) == -1 ||
	    wa_prekey_sign(c->identity_key.priv, c->signed_pre_key.pub,
	    c->signed_pre_key_sig) == -1 ||
	    (c->registration_id = wa_registration_id_generate()) == 0 ||
	    wa_adv_secret_generate(c->adv_secret) == -1) {
		sodium_memzero(c, sizeof(*c));
		return -1;
	}
	c->signed_pre_key_id = WA_CREDS_SPK_ID;
	return 0;
}

int
wa_text_is_clean(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, n, k;
	uint32_t		 cp, min;

	for (i = 0; i < len; i += n) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		if (p[i] < 0x80) {
			n = 1;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			n = 2;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			n = 3;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			n = 4;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (n > len - i)
			return 0;
		for (k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

/*
 * Check s for a field of size cap (bytes incl. NUL).  NULL counts as
 * "".  Returns its length, or -1 (logged as "what") if it is too long
 * or not clean text.
 */
static ssize_t
text_check(const char *what, const char *s, size_t cap)
{
	size_t	 len;

	if (s == NULL)
		return 0;
	len = strnlen(s, cap);
	if (len == cap) {
		log_warnx("wa_creds: %s too long", what);
		return -1;
	}
	if (!wa_text_is_clean(s, len)) {
		log_warnx("wa_creds: %s is not clean UTF-8", what);
		return -1;
	}
	return (ssize_t)len;
}

/* Copy a checked string (NULL is ""); dst has room by text_check. */
static void
text_copy(char *dst, const char *s, size_t len)
{

	if (len > 0)
		memcpy(dst, s, len);
	dst[len] = '\0';
}

/* A JID-shaped string: non-empty, one '@', no spaces. */
static int
jid_is_plausible(const char *s, size_t len)
{
	const char	*at;

	if (len == 0 || (at = memchr(s, '@', len)) == NULL ||
	    at == s || at == s + len - 1 || memchr(at + 1, '@',
	    len - (size_t)(at + 1 - s)) != NULL || memchr(s, ' ', len) != NULL)
		return 0;
	return 1;
}

int
wa_creds_set_account(struct wa_creds *c, const char *jid, const char *lid,
    const char *platform, const char *business_name, const uint8_t *account,
    size_t account_len, const uint8_t account_sig_key[WA_KEY_LEN])
{
	ssize_t		 nj, nl, np, nb;

	if ((nj = text_check("jid", jid, WA_CREDS_JID_MAX)) == -1 ||
	    (nl = text_check("lid", lid, WA_CREDS_JID_MAX)) == -1 ||
	    (np = text_check("platform", platform,
	    WA_CREDS_PLATFORM_MAX)) == -1 ||
	    (nb = text_check("business name", business_name,
	    WA_CREDS_NAME_MAX)) == -1)
		return -1;
	if (!jid_is_plausible(jid, (size_t)nj) ||
	    (nl > 0 && !jid_is_plausible(lid, (size_t)nl))) {
		log_warnx("%s: malformed jid or lid", __func__);
		return -1;
	}
	if (account == NULL || account_len == 0 ||
	    account_len > WA_CREDS_ACCOUNT_MAX) {
		log_warnx("%s: account identity of %zu bytes", __func__,
		    account_len);
		return -1;
	}
	text_copy(c->jid, jid, (size_t)nj);
	text_copy(c->lid, lid, (size_t)nl);
	text_copy(c->platform, platform, (size_t)np);
	text_copy(c->business_name, business_name, (size_t)nb);
	memcpy(c->account, account, account_len);
	memset(c->account + account_len, 0, WA_CREDS_ACCOUNT_MAX - account_len);
	c->account_len = account_len;
	memcpy(c->account_sig_key, account_sig_key, WA_KEY_LEN);
	c->is_paired = 1;
	return 0;
}

int
wa_creds_set_lid(struct wa_creds *c, const char *lid)
{
	ssize_t		 n;

	if ((n = text_check("lid", lid, WA_CREDS_JID_MAX)) == -1)
		return -1;
	if (n > 0 && !jid_is_plausible(lid, (size_t)n)) {
		log_warnx("%s: malformed lid", __func__);
		return -1;
	}
	text_copy(c->lid, lid, (size_t)n);
	return 0;
}

int
wa_creds_set_push_name(struct wa_creds *c, const char *name)
{
	ssize_t		 n;

	if ((n = text_check("push name", name, WA_CREDS_NAME_MAX)) == -1)
		return -1;
	text_copy(c->push_name, name, (size_t)n);
	return 0;
}

/*
 * The serialization (version 1).  Records in ascending tag order; the
 * paired group (JID, account key, account) is all or nothing, and the
 * optional strings require it.
 */
#define CREDS_MAGIC		"WACR"
#define CREDS_VERSION		1
#define CREDS_HDR_LEN		7	/* magic, version, body length */

enum	creds_tag {
	CT_NONE,
	CT_NOISE_PRIV,		/* 32 */
	CT_IDENTITY_PRIV,	/* 32 */
	CT_SPK_PRIV,		/* 32 */
	CT_SPK_ID,		/* 4, BE, 1..2^24-1 */
	CT_SPK_SIG,		/* 64 */
	CT_REG_ID,		/* 4, BE */
	CT_ADV_SECRET,		/* 32 */
	CT_JID,			/* 1..127 */
	CT_ACCOUNT_KEY,		/* 32 */
	CT_ACCOUNT,		/* 1..WA_CREDS_ACCOUNT_MAX */
	CT_LID,			/* 1..127 */
	CT_PLATFORM,		/* 1..63 */
	CT_PUSH_NAME,		/* 1..255 */
	CT_BUSINESS_NAME,	/* 1..255 */
	CT_PREKEY_NEXT,		/* 4, BE, 1..2^24 */
	CT_PREKEY_COUNT,	/* 4, BE */
	CT__MAX
};

/* The longest encoding: every record at its maximum length. */
_Static_assert(CREDS_HDR_LEN + 3 * (CT__MAX - 1) + 3 * WA_KEY_LEN + 4 +
    WA_SIG_LEN + 4 + WA_ADV_SECRET_LEN + 2 * (WA_CREDS_JID_MAX - 1) +
    WA_KEY_LEN + WA_CREDS_ACCOUNT_MAX + (WA_CREDS_PLATFORM_MAX - 1) +
    2 * (WA_CREDS_NAME_MAX - 1) + 2 * 4 <= WA_CREDS_ENC_MAX,
    "WA_CREDS_ENC_MAX too small");

#define CT_REQUIRED	((1u << CT_NOISE_PRIV) | (1u << CT_IDENTITY_PRIV) | \
	    (1u << CT_SPK_PRIV) | (1u << CT_SPK_ID) | (1u << CT_SPK_SIG) | \
	    (1u << CT_REG_ID) | (1u << CT_ADV_SECRET))
#define CT_PAIRED	((1u << CT_JID) | (1u << CT_ACCOUNT_KEY) | \
	    (1u << CT_ACCOUNT))

struct	enc {
	uint8_t		*p;	/* output */
	size_t		 cap;	/* bytes available */
	size_t		 len;	/* bytes written */
	int		 overflow; /* 1 once a record did not fit */
};

static void
enc_record(struct enc *e, enum creds_tag tag, const void *v, size_t n)
{

	if (n == 0)
		return;
	if (n > 0xffff || e->cap - e->len < 3 + n) {
		e->overflow = 1;
		return;
	}
	e->p[e->len] = (uint8_t)tag;
	e->p[e->len + 1] = (uint8_t)(n >> 8);
	e->p[e->len + 2] = (uint8_t)n;
	memcpy(e->p + e->len + 3, v, n);
	e->len += 3 + n;
}

static void
be32_put(uint8_t b[4], uint32_t v)
{

	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static uint32_t
be32_get(const uint8_t b[4])
{

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

/* The string fields must be terminated and clean to be encoded. */
static int
creds_text_ok(const struct wa_creds *c)
{

	return text_check("jid", c->jid, sizeof(c->jid)) != -1 &&
	    text_check("lid", c->lid, sizeof(c->lid)) != -1 &&
	    text_check("platform", c->platform, sizeof(c->platform)) != -1 &&
	    text_check("push name", c->push_name,
	    sizeof(c->push_name)) != -1 &&
	    text_check("business name", c->business_name,
	    sizeof(c->business_name)) != -1;
}

int
wa_creds_encode(const struct wa_creds *c, uint8_t *out, size_t outsz,
    size_t *lenp)
{
	struct enc	 e;
	uint8_t		 b[4];

	*lenp = 0;
	if (!creds_text_ok(c))
		return -1;
	if (c->signed_pre_key_id == 0 || c->signed_pre_key_id > 0xffffff) {
		log_warnx("%s: signed pre-key id %u out of range", __func__,
		    c->signed_pre_key_id);
		return -1;
	}
	if (c->is_paired && (c->jid[0] == '\0' || c->account_len == 0 ||
	    c->account_len > WA_CREDS_ACCOUNT_MAX)) {
		log_warnx("%s: paired without jid or account", __func__);
		return -1;
	}
	if (outsz < CREDS_HDR_LEN) {
		log_warnx("%s: output buffer too small", __func__);
		return -1;
	}
	memcpy(out, CREDS_MAGIC, 4);
	out[4] = CREDS_VERSION;
	e.p = out;
	e.cap = outsz;
	e.len = CREDS_HDR_LEN;
	e.overflow = 0;
	enc_record(&e, CT_NOISE_PRIV, c->noise_key.priv, WA_KEY_LEN);
	enc_record(&e, CT_IDENTITY_PRIV, c->identity_key.priv, WA_KEY_LEN);
	enc_record(&e, CT_SPK_PRIV, c->signed_pre_key.priv, WA_KEY_LEN);
	be32_put(b, c->signed_pre_key_id);
	enc_record(&e, CT_SPK_ID, b, 4);
	enc_record(&e, CT_SPK_SIG, c->signed_pre_key_sig, WA_SIG_LEN);
	be32_put(b, c->registration_id);
	enc_record(&e, CT_REG_ID, b, 4);
	enc_record(&e, CT_ADV_SECRET, c->adv_secret, WA_ADV_SECRET_LEN);
	if (c->is_paired) {
		enc_record(&e, CT_JID, c->jid, strlen(c->jid));
		enc_record(&e, CT_ACCOUNT_KEY, c->account_sig_key, WA_KEY_LEN);
		enc_record(&e, CT_ACCOUNT, c->account, c->account_len);
		enc_record(&e, CT_LID, c->lid, strlen(c->lid));
		enc_record(&e, CT_PLATFORM, c->platform, strlen(c->platform));
		enc_record(&e, CT_PUSH_NAME, c->push_name,
		    strlen(c->push_name));
		enc_record(&e, CT_BUSINESS_NAME, c->business_name,
		    strlen(c->business_name));
		if (c->next_prekey_id != 0) {
			be32_put(b, c->next_prekey_id);
			enc_record(&e, CT_PREKEY_NEXT, b, 4);
		}
		if (c->prekeys_uploaded != 0) {
			be32_put(b, c->prekeys_uploaded);
			enc_record(&e, CT_PREKEY_COUNT, b, 4);
		}
	}
	if (e.overflow) {
		log_warnx("%s: output buffer too small", __func__);
		sodium_memzero(out, outsz);
		return -1;
	}
	out[5] = (uint8_t)((e.len - CREDS_HDR_LEN) >> 8);
	out[6] = (uint8_t)(e.len - CREDS_HDR_LEN);
	*lenp = e.len;
	return 0;
}

/* Store one decoded string record; 0, or -1 (logged). */
static int
dec_text(const char *what, char *dst, size_t cap, const uint8_t *v,
    size_t n, int is_jid)
{

	if (n >= cap || !wa_text_is_clean((const char *)v, n) ||
	    (is_jid && !jid_is_plausible((const char *)v, n))) {
		log_warnx("wa_creds_decode: bad %s", what);
		return -1;
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

/* Apply one record of length n (> 0); 0, or -1 (logged). */
static int
dec_record(struct wa_creds *c, enum creds_tag tag, const uint8_t *v,
    size_t n)
{
	static const size_t	 fixed[CT__MAX] = {
		[CT_NOISE_PRIV] = WA_KEY_LEN, [CT_IDENTITY_PRIV] = WA_KEY_LEN,
		[CT_SPK_PRIV] = WA_KEY_LEN, [CT_SPK_ID] = 4,
		[CT_SPK_SIG] = WA_SIG_LEN, [CT_REG_ID] = 4,
		[CT_ADV_SECRET] = WA_ADV_SECRET_LEN,
		[CT_ACCOUNT_KEY] = WA_KEY_LEN,
		[CT_PREKEY_NEXT] = 4, [CT_PREKEY_COUNT] = 4,
	};

	if (fixed[tag] != 0 && n != fixed[tag]) {
		log_warnx("wa_creds_decode: record %d has %zu bytes",
		    (int)tag, n);
		return -1;
	}
	if ((tag == CT_NOISE_PRIV || tag == CT_IDENTITY_PRIV ||
	    tag == CT_SPK_PRIV) &&
	    ((v[0] & 7) != 0 || (v[31] & 0xc0) != 0x40)) {
		log_warnx("wa_creds_decode: private key %d not clamped",
		    (int)tag);
		return -1;
	}
	switch (tag) {
	case CT_NOISE_PRIV:
		return wa_keypair_from_private(&c->noise_key, v);
	case CT_IDENTITY_PRIV:
		return wa_keypair_from_private(&c->identity_key, v);
	case CT_SPK_PRIV:
		return wa_keypair_from_private(&c->signed_pre_key, v);
	case CT_SPK_ID:
		c->signed_pre_key_id = be32_get(v);
		if (c->signed_pre_key_id == 0 ||
		    c->signed_pre_key_id > 0xffffff) {
			log_warnx("wa_creds_decode: bad signed pre-key id");
			return -1;
		}
		return 0;
	case CT_SPK_SIG:
		memcpy(c->signed_pre_key_sig, v, n);
		return 0;
	case CT_REG_ID:
		c->registration_id = be32_get(v);
		return 0;
	case CT_ADV_SECRET:
		memcpy(c->adv_secret, v, n);
		return 0;
	case CT_JID:
		return dec_text("jid", c->jid, sizeof(c->jid), v, n, 1);
	case CT_ACCOUNT_KEY:
		memcpy(c->account_sig_key, v, n);
		return 0;
	case CT_ACCOUNT:
		if (n > WA_CREDS_ACCOUNT_MAX) {
			log_warnx("wa_creds_decode: account too long");
			return -1;
		}
		memcpy(c->account, v, n);
		c->account_len = n;
		return 0;
	case CT_LID:
		return dec_text("lid", c->lid, sizeof(c->lid), v, n, 1);
	case CT_PLATFORM:
		return dec_text("platform", c->platform, sizeof(c->platform),
		    v, n, 0);
	case CT_PUSH_NAME:
		return dec_text("push name", c->push_name,
		    sizeof(c->push_name), v, n, 0);
	case CT_BUSINESS_NAME:
		return dec_text("business name", c->business_name,
		    sizeof(c->business_name), v, n, 0);
	case CT_PREKEY_NEXT:
		c->next_prekey_id = be32_get(v);
		if (c->next_prekey_id == 0 ||
		    c->next_prekey_id > 0x1000000) {
			log_warnx("wa_creds_decode: bad pre-key counter");
			return -1;
		}
		return 0;
	case CT_PREKEY_COUNT:
		c->prekeys_uploaded = be32_get(v);
		return 0;
	default:
		log_warnx("wa_creds_decode: unknown record %d", (int)tag);
		return -1;
	}
}

int
wa_creds_decode(struct wa_creds *c, const uint8_t *in, size_t len)
{
	size_t		 off, n;
	unsigned int	 tag, last = CT_NONE, seen = 0;

	sodium_memzero(c, sizeof(*c));
	if (in == NULL || len < CREDS_HDR_LEN ||
	    memcmp(in, CREDS_MAGIC, 4) != 0) {
		log_warnx("%s: not a credentials blob", __func__);
		goto fail;
	}
	if (in[4] != CREDS_VERSION) {
		log_warnx("%s: unsupported version %u", __func__, in[4]);
		goto fail;
	}
	if (((size_t)in[5] << 8 | in[6]) != len - CREDS_HDR_LEN) {
		log_warnx("%s: length mismatch (truncated?)", __func__);
		goto fail;
	}
	for (off = CREDS_HDR_LEN; off < len; off += 3 + n) {
		if (len - off < 3) {
			log_warnx("%s: truncated record header", __func__);
			goto fail;
		}
		tag = in[off];
		n = (size_t)in[off + 1] << 8 | in[off + 2];
		if (tag <= last || tag >= CT__MAX) {
			log_warnx("%s: record %u out of order or unknown",
			    __func__, tag);
			goto fail;
		}
		if (n == 0 || n > len - off - 3) {
			log_warnx("%s: record %u: bad length %zu", __func__,
			    tag, n);
			goto fail;
		}
		if (dec_record(c, (enum creds_tag)tag, in + off + 3, n) == -1)
			goto fail;
		last = tag;
		seen |= 1u << tag;
	}
	if ((seen & CT_REQUIRED) != CT_REQUIRED) {
		log_warnx("%s: required record missing", __func__);
		goto fail;
	}
	if ((seen & CT_PAIRED) != 0 && (seen & CT_PAIRED) != CT_PAIRED) {
		log_warnx("%s: incomplete pairing records", __func__);
		goto fail;
	}
	if ((seen & CT_PAIRED) == 0 && (seen >> CT_LID) != 0) {
		log_warnx("%s: pairing details without pairing", __func__);
		goto fail;
	}
	if (wa_prekey_verify(c->identity_key.pub, c->signed_pre_key.pub,
	    c->signed_pre_key_sig) != 1) {
		log_warnx("%s: signed pre-key signature does not verify",
		    __func__);
		goto fail;
	}
	c->is_paired = (seen & CT_PAIRED) != 0;
	return 0;
fail:
	sodium_memzero(c, sizeof(*c));
	return -1;
}
