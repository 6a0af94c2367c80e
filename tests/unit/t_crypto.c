/*
 * Unit tests for daemon/wa/crypto.c: published test vectors (FIPS
 * 180-2, RFC 4231, RFC 5869, RFC 7748, RFC 1321) and the pairing-code
 * and transport vectors of wa-md-protocol.md Appendix A, which chain
 * PBKDF2, AES-CTR, X25519, HKDF and AES-GCM exactly as the protocol
 * uses them.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "t.h"
#include "wa_vec.h"

/* Compare "got" ("len" bytes) with the hex string "want". */
static int
hex_eq(const uint8_t *got, size_t len, const char *want)
{
	struct buf	 b;
	int		 ok;

	buf_init(&b);
	ok = hex_decode(want, &b) == 0 && T_INTEQ(b.len, len) &&
	    T_MEMEQ(got, b.data, len);
	buf_free(&b);
	return ok;
}

/* Compare "got" with the hex vector at "path". */
static int
vec_eq(const uint8_t *got, size_t len, const char *path)
{
	const char	*s;

	if ((s = vec_str(path)) == NULL)
		return 0;
	return hex_eq(got, len, s);
}

static int
sha256_abc(void)
{
	uint8_t	 d[WA_SHA256_LEN];

	wa_sha256("abc", 3, d);
	return hex_eq(d, sizeof(d), "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
}

static int
sha256_concat_equals_whole(void)
{
	uint8_t	 a[WA_SHA256_LEN], b[WA_SHA256_LEN];

	wa_sha256_concat("ab", 2, "c", 1, a);
	wa_sha256("abc", 3, b);
	if (!T_MEMEQ(a, b, sizeof(a)))
		return 0;
	wa_sha256_concat(NULL, 0, "abc", 3, a);
	return T_MEMEQ(a, b, sizeof(a));
}

static int
md5_build_hash(void)
{
	uint8_t		 d[WA_MD5_LEN];
	const char	*v;

	if ((v = vec_str("client_payload.version")) == NULL)
		return 0;
	wa_md5(v, strlen(v), d);
	if (!vec_eq(d, sizeof(d), "client_payload.build_hash_md5"))
		return 0;
	wa_md5("", 0, d);
	return hex_eq(d, sizeof(d), "d41d8cd98f00b204e9800998ecf8427e");
}

static int
hmac_rfc4231_case2(void)
{
	static const char	 msg[] = "what do ya want for nothing?";
	uint8_t			 d[WA_SHA256_LEN];

	wa_hmac_sha256((const uint8_t *)"Jefe", 4, msg, strlen(msg), d);
	return hex_eq(d, sizeof(d), "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
}

static int
hkdf_rfc5869_case1(void)
{
	uint8_t		 ikm[22], salt[13], info[10], okm[42];
	size_t		 i;

	memset(ikm, 0x0b, sizeof(ikm));
	for (i = 0; i < sizeof(salt); i++)
		salt[i] = (uint8_t)i;
	for (i = 0; i < sizeof(info); i++)
		info[i] = (uint8_t)(0xf0 + i);
	if (wa_hkdf_sha256(salt, sizeof(salt), ikm, sizeof(ikm), info,
	    sizeof(info), okm, sizeof(okm)) != 0)
		return 0;
	return hex_eq(okm, sizeof(okm), "3cb25f25faacd57a90434f64d0362f2a"
	    "2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

/* RFC 5869 case 3: empty salt and info. */
static int
hkdf_rfc5869_case3(void)
{
	uint8_t		 ikm[22], okm[42];

	memset(ikm, 0x0b, sizeof(ikm));
	if (wa_hkdf_sha256(NULL, 0, ikm, sizeof(ikm), NULL, 0, okm,
	    sizeof(okm)) != 0)
		return 0;
	return hex_eq(okm, sizeof(okm), "8da4e775a563c18f715f802a063c5a31"
	    "b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

static int
hkdf_bad_length(void)
{
	uint8_t		 okm[1];

	return T_INTEQ(wa_hkdf_sha256(NULL, 0, NULL, 0, NULL, 0, okm, 0), -1);
}

static int
x25519_rfc7748(void)
{
	struct buf	 a, b;
	uint8_t		 out[WA_X25519_LEN];
	int		 ok = 0;

	buf_init(&a);
	buf_init(&b);
	if (hex_decode("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a"
	    "2244ba449ac4", &a) == 0 && hex_decode("e6db6867583030db3594c1a4"
	    "24b15f7c726624ec26b3353b10a903a6d0ab1c4c", &b) == 0 &&
	    wa_x25519(out, (uint8_t *)a.data, (uint8_t *)b.data) == 0)
		ok = hex_eq(out, sizeof(out), "c3da55379de9c6908e94ea4df28d08"
		    "4f32eccf03491c71f754b4075577a28552");
	buf_free(&a);
	buf_free(&b);
	return ok;
}

/* A low-order point (here 0 and 1) must give -1 and a zeroed output. */
static int
x25519_rejects_low_order(void)
{
	uint8_t		 priv[WA_X25519_LEN], pub[WA_X25519_LEN];
	uint8_t		 out[WA_X25519_LEN], zero[WA_X25519_LEN];

	memset(priv, 0x77, sizeof(priv));
	memset(pub, 0, sizeof(pub));
	memset(zero, 0, sizeof(zero));
	memset(out, 0xaa, sizeof(out));
	if (!T_INTEQ(wa_x25519(out, priv, pub), -1) ||
	    !T_MEMEQ(out, zero, sizeof(out)))
		return 0;
	pub[0] = 1;
	return T_INTEQ(wa_x25519(out, priv, pub), -1);
}

/* Keys of the vectors are clamp(SHA256(label)), see vectors/README.md. */
static void
seed_key(const char *label, uint8_t priv[WA_X25519_LEN])
{

	wa_sha256(label, strlen(label), priv);
	priv[0] &= 248;
	priv[31] &= 127;
	priv[31] |= 64;
}

static int
x25519_base_matches_vector(void)
{
	uint8_t		 priv[WA_X25519_LEN], pub[WA_X25519_LEN];

	if (vec_fixed("keys.client_noise_static.priv", priv,
	    sizeof(priv)) != 0)
		return 0;
	wa_x25519_base(pub, priv);
	return vec_eq(pub, sizeof(pub), "keys.client_noise_static.pub");
}

/*
 * Pairing-code wrapping (wa-md-protocol.md 7.1): PBKDF2 of the code
 * gives the key, AES-CTR under it unwraps the companion's ephemeral
 * public key, which must equal X25519(clamp(SHA256(label))).
 */
static int
pbkdf2_ctr_pairing_code(void)
{
	struct buf	 w;
	uint8_t		 salt[32], key[32], pub[32], want[32], priv[32];
	const char	*code;
	int		 ok = 0;

	buf_init(&w);
	if ((code = vec_str("pairing_code.code")) == NULL ||
	    vec_fixed("pairing_code.companion_salt", salt, 32) != 0 ||
	    vec_bytes("pairing_code.wrapped_companion_ephemeral_pub",
	    &w) != 0 || !T_INTEQ(w.len, 80))
		goto out;
	if (wa_pbkdf2_sha256(code, strlen(code), salt, sizeof(salt), 131072,
	    key, sizeof(key)) != 0 ||
	    !vec_eq(key, sizeof(key), "pairing_code.pbkdf2_key"))
		goto out;
	if (wa_aes256_ctr(key, (uint8_t *)w.data + 32,
	    (uint8_t *)w.data + 48, 32, pub) != 0)
		goto out;
	seed_key("companion-link-ephemeral", priv);
	wa_x25519_base(want, priv);
	ok = T_MEMEQ(pub, want, sizeof(pub));
out:
	buf_free(&w);
	return ok;
}

/*
 * Key bundle (wa-md-protocol.md 7.3): HKDF with salt and info, then
 * AES-GCM without AAD opens to identity || primary identity || random;
 * then the ADV secret, an HKDF with an empty salt.
 */
static int
hkdf_gcm_key_bundle(void)
{
	static const char	 info[] =
	    "link_code_pairing_key_bundle_encryption_key";
	struct buf		 wb, ikm;
	uint8_t			 shared[32], key[32], pt[96], adv[32];
	int			 ok = 0;

	buf_init(&wb);
	buf_init(&ikm);
	if (vec_fixed("pairing_code.ephemeral_shared", shared, 32) != 0 ||
	    vec_bytes("pairing_code.wrapped_key_bundle", &wb) != 0 ||
	    !T_INTEQ(wb.len, 32 + 12 + 96 + 16))
		goto out;
	if (wa_hkdf_sha256((uint8_t *)wb.data, 32, shared, 32,
	    (const uint8_t *)info, strlen(info), key, 32) != 0 ||
	    !vec_eq(key, 32, "pairing_code.key_bundle_key"))
		goto out;
	if (!T_INTEQ(wa_aes256_gcm_decrypt(key, (uint8_t *)wb.data + 32,
	    NULL, 0, (uint8_t *)wb.data + 44, wb.len - 44, pt), 0) ||
	    !vec_eq(pt, 32, "keys.client_identity.pub") ||
	    !vec_eq(pt + 32, 32, "pairing_code.primary_identity_pub") ||
	    !vec_eq(pt + 64, 32, "pairing_code.adv_random"))
		goto out;
	buf_append(&ikm, shared, 32);
	if (vec_fixed("pairing_code.identity_shared", key, 32) != 0)
		goto out;
	buf_append(&ikm, key, 32);
	buf_append(&ikm, pt + 64, 32);
	if (wa_hkdf_sha256(NULL, 0, (uint8_t *)ikm.data, ikm.len,
	    (const uint8_t *)"adv_secret", 10, adv, sizeof(adv)) != 0)
		goto out;
	ok = vec_eq(adv, sizeof(adv), "pairing_code.adv_secret");
out:
	buf_free(&wb);
	buf_free(&ikm);
	return ok;
}

/* Transport frame 0 (Appendix A): seal, open, and refuse tampering. */
static int
gcm_transport_frame(void)
{
	struct buf	 pt;
	uint8_t		 key[32], iv[WA_GCM_IV_LEN], ct[64], back[64];
	int		 ok = 0;

	buf_init(&pt);
	memset(iv, 0, sizeof(iv));
	if (vec_fixed("noise.client_write_key", key, 32) != 0 ||
	    vec_bytes("noise.transport_plaintext", &pt) != 0 ||
	    !T_TRUE(pt.len + WA_GCM_TAG_LEN <= sizeof(ct)))
		goto out;
	if (wa_aes256_gcm_encrypt(key, iv, NULL, 0, (uint8_t *)pt.data,
	    pt.len, ct) != 0 || !vec_eq(ct, pt.len + WA_GCM_TAG_LEN,
	    "noise.transport_ct_counter0"))
		goto out;
	if (!T_INTEQ(wa_aes256_gcm_decrypt(key, iv, NULL, 0, ct,
	    pt.len + WA_GCM_TAG_LEN, back), 0) ||
	    !T_MEMEQ(back, pt.data, pt.len))
		goto out;
	ct[3] ^= 0x01;
	if (!T_INTEQ(wa_aes256_gcm_decrypt(key, iv, NULL, 0, ct,
	    pt.len + WA_GCM_TAG_LEN, back), -1))
		goto out;
	ct[3] ^= 0x01;
	/* Wrong AAD and truncated input must fail too. */
	if (!T_INTEQ(wa_aes256_gcm_decrypt(key, iv, key, 1, ct,
	    pt.len + WA_GCM_TAG_LEN, back), -1) ||
	    !T_INTEQ(wa_aes256_gcm_decrypt(key, iv, NULL, 0, ct, 15,
	    back), -1))
		goto out;
	/* In-place operation and an empty plaintext (tag only). */
	ok = T_INTEQ(wa_aes256_gcm_encrypt(key, iv, NULL, 0, NULL, 0, ct),
	    0) && T_INTEQ(wa_aes256_gcm_decrypt(key, iv, NULL, 0, ct,
	    WA_GCM_TAG_LEN, back), 0);
out:
	buf_free(&pt);
	return ok;
}

/*
 * crypto.c keeps one GCM context per thread and initialises it again
 * for each pass: a pass under another key, a refused open or a
 * truncated input must leave nothing behind that changes the next
 * (the transport vector again, byte for byte).
 */
static int
gcm_context_reuse(void)
{
	struct buf	 pt;
	uint8_t		 key[32], other[32], iv[WA_GCM_IV_LEN], ct[64], x[64];
	uint8_t		 back[64];
	int		 ok = 0;

	buf_init(&pt);
	memset(iv, 0, sizeof(iv));
	memset(other, 0x5a, sizeof(other));
	if (vec_fixed("noise.client_write_key", key, 32) != 0 ||
	    vec_bytes("noise.transport_plaintext", &pt) != 0 ||
	    !T_TRUE(pt.len + WA_GCM_TAG_LEN <= sizeof(ct)))
		goto out;
	if (!T_INTEQ(wa_aes256_gcm_encrypt(other, iv, key, 3,
	    (uint8_t *)pt.data, pt.len, x), 0) ||
	    !T_INTEQ(wa_aes256_gcm_decrypt(key, iv, NULL, 0, x,
	    pt.len + WA_GCM_TAG_LEN, back), -1) ||
	    !T_INTEQ(wa_aes256_gcm_decrypt(key, iv, NULL, 0, x, 15, back), -1))
		goto out;
	if (wa_aes256_gcm_encrypt(key, iv, NULL, 0, (uint8_t *)pt.data,
	    pt.len, ct) != 0 || !vec_eq(ct, pt.len + WA_GCM_TAG_LEN,
	    "noise.transport_ct_counter0"))
		goto out;
	/* And the other way round: an open right after a seal. */
	ok = T_INTEQ(wa_aes256_gcm_decrypt(other, iv, key, 3, x,
	    pt.len + WA_GCM_TAG_LEN, back), 0) &&
	    T_MEMEQ(back, pt.data, pt.len);
out:
	buf_free(&pt);
	return ok;
}

static int
ct_equal_and_random(void)
{
	uint8_t		 a[32], b[32];

	wa_random(a, sizeof(a));
	memcpy(b, a, sizeof(b));
	if (!T_INTEQ(wa_ct_equal(a, b, sizeof(a)), 1))
		return 0;
	b[31] ^= 0x80;
	if (!T_INTEQ(wa_ct_equal(a, b, sizeof(a)), 0))
		return 0;
	wa_random(b, sizeof(b));
	return T_INTEQ(wa_ct_equal(a, b, sizeof(a)), 0);
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(sha256_abc),
		T_CASE(sha256_concat_equals_whole),
		T_CASE(md5_build_hash),
		T_CASE(hmac_rfc4231_case2),
		T_CASE(hkdf_rfc5869_case1),
		T_CASE(hkdf_rfc5869_case3),
		T_CASE(hkdf_bad_length),
		T_CASE(x25519_rfc7748),
		T_CASE(x25519_rejects_low_order),
		T_CASE(x25519_base_matches_vector),
		T_CASE(pbkdf2_ctr_pairing_code),
		T_CASE(hkdf_gcm_key_bundle),
		T_CASE(gcm_transport_frame),
		T_CASE(gcm_context_reuse),
		T_CASE(ct_equal_and_random),
	};

	return t_run(cases, T_NCASES(cases));
}
