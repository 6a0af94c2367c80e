/*
 * Unit tests for daemon/wa/keys.c: key pairs, the libsignal curve25519
 * signature scheme against the spec's vectors (Appendix A, read at run
 * time from ../shared/protocol/vectors/vectors.json or $WADESK_VECTORS),
 * and credentials serialization.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "keys.h"
#include "t.h"

#define VECTORS_DEFAULT	"../shared/protocol/vectors/vectors.json"

static struct json_object	*vectors;

/* Load the vectors once; NULL (with a message) if they cannot be read. */
static struct json_object *
vec_root(void)
{
	const char	*path;

	if (vectors != NULL)
		return vectors;
	if ((path = getenv("WADESK_VECTORS")) == NULL)
		path = VECTORS_DEFAULT;
	if ((vectors = json_object_from_file(path)) == NULL)
		fprintf(stderr, "cannot read vectors %s: %s\n", path,
		    json_util_get_last_err());
	return vectors;
}

/* The string at "section.name", or NULL (with a message). */
static const char *
vec_str(const char *section, const char *name)
{
	struct json_object	*root, *sec, *v;

	if ((root = vec_root()) == NULL)
		return NULL;
	if (!json_object_object_get_ex(root, section, &sec) ||
	    !json_object_object_get_ex(sec, name, &v) ||
	    !json_object_is_type(v, json_type_string)) {
		fprintf(stderr, "vector %s.%s missing\n", section, name);
		return NULL;
	}
	return json_object_get_string(v);
}

/* Hex vector "section.name" into out; returns its length or -1. */
static int
vec_hex(const char *section, const char *name, uint8_t *out, size_t outsz)
{
	const char	*hex;
	size_t		 n;

	if ((hex = vec_str(section, name)) == NULL)
		return -1;
	if (sodium_hex2bin(out, outsz, hex, strlen(hex), NULL, &n,
	    NULL) != 0) {
		fprintf(stderr, "vector %s.%s: bad hex or too long\n",
		    section, name);
		return -1;
	}
	return (int)n;
}

/* A key pair from vectors "keys.<name>.priv/pub". */
static int
vec_key(const char *name, uint8_t priv[32], uint8_t pub[32])
{
	struct json_object	*root, *keys, *k, *v;
	size_t			 n;
	const char		*hex;

	if ((root = vec_root()) == NULL ||
	    !json_object_object_get_ex(root, "keys", &keys) ||
	    !json_object_object_get_ex(keys, name, &k))
		return -1;
	if (!json_object_object_get_ex(k, "priv", &v) ||
	    (hex = json_object_get_string(v)) == NULL ||
	    sodium_hex2bin(priv, 32, hex, strlen(hex), NULL, &n, NULL) != 0 ||
	    n != 32)
		return -1;
	if (!json_object_object_get_ex(k, "pub", &v) ||
	    (hex = json_object_get_string(v)) == NULL ||
	    sodium_hex2bin(pub, 32, hex, strlen(hex), NULL, &n, NULL) != 0 ||
	    n != 32)
		return -1;
	return 0;
}

/* clamp(SHA-256(label)), the vectors' key derivation (gen.py). */
static void
seed_key(const char *label, uint8_t priv[32])
{

	crypto_hash_sha256(priv, (const uint8_t *)label, strlen(label));
	priv[0] &= 248;
	priv[31] &= 127;
	priv[31] |= 64;
}

/*
 * Sign msg with priv (Z = 0), compare with want, verify with pub, and
 * check that one flipped bit in the message, the signature or the key
 * makes verification fail.
 */
static int
sig_vector(const uint8_t priv[32], const uint8_t pub[32], const uint8_t *msg,
    size_t len, const uint8_t want[64])
{
	uint8_t		 z[64], sig[64], m2[512], s2[64], p2[32];
	size_t		 i;
	int		 ok;

	memset(z, 0, sizeof(z));
	ok = T_INTEQ(wa_xeddsa_sign_z(priv, msg, len, z, sig), 0) &&
	    T_MEMEQ(sig, want, 64) &&
	    T_INTEQ(wa_xeddsa_verify(pub, msg, len, want), 1);
	if (!ok || len > sizeof(m2))
		return 0;
	for (i = 0; i < len * 8; i += 7) {
		memcpy(m2, msg, len);
		m2[i / 8] ^= 1 << (i % 8);
		if (!T_INTEQ(wa_xeddsa_verify(pub, m2, len, want), 0))
			return 0;
	}
	for (i = 0; i < 512; i++) {
		memcpy(s2, want, 64);
		s2[i / 8] ^= 1 << (i % 8);
		if (!T_INTEQ(wa_xeddsa_verify(pub, msg, len, s2), 0))
			return 0;
	}
	for (i = 0; i < 255; i++) {
		memcpy(p2, pub, 32);
		p2[i / 8] ^= 1 << (i % 8);
		if (!T_INTEQ(wa_xeddsa_verify(p2, msg, len, want), 0))
			return 0;
	}
	return 1;
}

static int
keypair_vectors_match(void)
{
	static const char *const names[] = {
		"client_ephemeral", "client_noise_static", "server_ephemeral",
		"server_static", "test_root", "test_intermediate",
		"client_identity", "client_signed_prekey",
	};
	struct wa_keypair	 kp;
	uint8_t			 priv[32], pub[32];
	size_t			 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!T_INTEQ(vec_key(names[i], priv, pub), 0) ||
		    !T_INTEQ(wa_keypair_from_private(&kp, priv), 0) ||
		    !T_MEMEQ(kp.priv, priv, 32) || !T_MEMEQ(kp.pub, pub, 32))
			return 0;
	}
	return 1;
}

static int
keypair_generate_clamped(void)
{
	struct wa_keypair	 a, b, c;

	if (!T_INTEQ(wa_keypair_generate(&a), 0) ||
	    !T_INTEQ(wa_keypair_generate(&b), 0))
		return 0;
	if (!T_INTEQ(wa_keypair_from_private(&c, a.priv), 0))
		return 0;
	return T_TRUE((a.priv[0] & 7) == 0) &&
	    T_TRUE((a.priv[31] & 0xc0) == 0x40) &&
	    T_MEMEQ(c.pub, a.pub, 32) &&
	    T_TRUE(memcmp(a.priv, b.priv, 32) != 0) &&
	    T_TRUE(memcmp(a.pub, b.pub, 32) != 0);
}

static int
sig_signed_prekey_vector(void)
{
	uint8_t		 ipriv[32], ipub[32], spriv[32], spub[32];
	uint8_t		 msg[33], want[64];

	if (vec_key("client_identity", ipriv, ipub) != 0 ||
	    vec_key("client_signed_prekey", spriv, spub) != 0 ||
	    vec_hex("client_payload", "signed_prekey_signature", want,
	    sizeof(want)) != 64)
		return 0;
	msg[0] = WA_DJB_TYPE;
	memcpy(msg + 1, spub, 32);
	return sig_vector(ipriv, ipub, msg, sizeof(msg), want);
}

static int
sig_certchain_vectors(void)
{
	uint8_t		 rpriv[32], rpub[32], ipriv[32], ipub[32];
	uint8_t		 det[256], want[64];
	int		 n;

	if (vec_key("test_root", rpriv, rpub) != 0 ||
	    vec_key("test_intermediate", ipriv, ipub) != 0)
		return 0;
	if ((n = vec_hex("certchain", "intermediate_details", det,
	    sizeof(det))) < 0 ||
	    vec_hex("certchain", "intermediate_sig", want, 64) != 64 ||
	    !sig_vector(rpriv, rpub, det, (size_t)n, want))
		return 0;
	if ((n = vec_hex("certchain", "leaf_details", det,
	    sizeof(det))) < 0 ||
	    vec_hex("certchain", "leaf_sig", want, 64) != 64 ||
	    !sig_vector(ipriv, ipub, det, (size_t)n, want))
		return 0;
	return 1;
}

static int
sig_account_and_device_vectors(void)
{
	struct wa_keypair	 acct;
	uint8_t			 ipriv[32], ipub[32], seed[32], det[64];
	uint8_t			 akey[32], want[64], msg[256];
	size_t			 mlen;
	int			 n;

	seed_key("primary-account-signature-key", seed);
	if (vec_key("client_identity", ipriv, ipub) != 0 ||
	    wa_keypair_from_private(&acct, seed) != 0 ||
	    (n = vec_hex("pair_success", "adv_device_identity_details", det,
	    sizeof(det))) < 0 ||
	    vec_hex("pair_success", "account_signature_key", akey, 32) != 32 ||
	    !T_MEMEQ(acct.pub, akey, 32))
		return 0;

	/* Account signature: 06 00 || details || identity pub (spec 6.5). */
	msg[0] = 0x06;
	msg[1] = 0x00;
	memcpy(msg + 2, det, (size_t)n);
	memcpy(msg + 2 + n, ipub, 32);
	mlen = 2 + (size_t)n + 32;
	if (vec_hex("pair_success", "account_signature", want, 64) != 64 ||
	    !sig_vector(acct.priv, acct.pub, msg, mlen, want))
		return 0;

	/* Device signature: 06 01 || details || ipub || account key. */
	msg[1] = 0x01;
	memcpy(msg + mlen, akey, 32);
	mlen += 32;
	if (vec_hex("pair_success", "device_signature", want, 64) != 64)
		return 0;
	return sig_vector(ipriv, ipub, msg, mlen, want);
}

static int
sig_random_roundtrip(void)
{
	struct wa_keypair	 kp, other;
	uint8_t			 msg[100], sig[64], sig2[64];
	int			 i;

	for (i = 0; i < 64; i++) {
		if (wa_keypair_generate(&kp) != 0 ||
		    wa_keypair_generate(&other) != 0)
			return 0;
		randombytes_buf(msg, sizeof(msg));
		if (!T_INTEQ(wa_xeddsa_sign(kp.priv, msg, (size_t)i, sig), 0) ||
		    !T_INTEQ(wa_xeddsa_verify(kp.pub, msg, (size_t)i, sig),
		    1) ||
		    !T_INTEQ(wa_xeddsa_verify(other.pub, msg, (size_t)i, sig),
		    0))
			return 0;
		/* Random Z: a second signature differs but verifies too. */
		if (!T_INTEQ(wa_xeddsa_sign(kp.priv, msg, (size_t)i, sig2), 0) ||
		    !T_TRUE(memcmp(sig, sig2, 64) != 0) ||
		    !T_INTEQ(wa_xeddsa_verify(kp.pub, msg, (size_t)i, sig2),
		    1))
			return 0;
	}
	return 1;
}

/* Both Edwards sign bits occur among random keys, and both verify. */
static int
sig_both_sign_bits(void)
{
	struct wa_keypair	 kp;
	uint8_t			 sig[64];
	int			 seen[2] = { 0, 0 }, i;

	for (i = 0; i < 200 && !(seen[0] && seen[1]); i++) {
		if (wa_keypair_generate(&kp) != 0 ||
		    wa_xeddsa_sign(kp.priv, (const uint8_t *)"m", 1, sig) != 0 ||
		    !T_INTEQ(wa_xeddsa_verify(kp.pub, (const uint8_t *)"m", 1,
		    sig), 1))
			return 0;
		seen[sig[63] >> 7] = 1;
	}
	return T_TRUE(seen[0] && seen[1]);
}

/*
 * Malformed input: S >= L (S + L is the classic malleability), a
 * public key u >= p, u = p - 1 (no Edwards image), u = 0 and 1 (small
 * order), an empty message with a NULL pointer.
 */
static int
sig_refuses_malformed(void)
{
	/* L = 2^252 + 27742317777372353535851937790883648493, LE. */
	static const uint8_t	L[32] = {
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
		0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
	};
	struct wa_keypair	 kp;
	uint8_t			 sig[64], bad[64], pub[32];
	unsigned int		 carry, i, t;

	if (wa_keypair_generate(&kp) != 0 ||
	    wa_xeddsa_sign(kp.priv, NULL, 0, sig) != 0 ||
	    !T_INTEQ(wa_xeddsa_verify(kp.pub, NULL, 0, sig), 1))
		return 0;

	/* S' = S + L keeps the sign bit in sig[63] bit 7 unchanged. */
	memcpy(bad, sig, 64);
	bad[63] &= 0x7f;
	for (carry = 0, i = 0; i < 32; i++) {
		t = bad[32 + i] + L[i] + carry;
		bad[32 + i] = t & 0xff;
		carry = t >> 8;
	}
	bad[63] |= sig[63] & 0x80;
	if (!T_INTEQ(wa_xeddsa_verify(kp.pub, NULL, 0, bad), 0))
		return 0;

	/* u = p = 2^255 - 19 and u = p - 1. */
	memset(pub, 0xff, 32);
	pub[0] = 0xed;
	pub[31] = 0x7f;
	if (!T_INTEQ(wa_xeddsa_verify(pub, NULL, 0, sig), 0))
		return 0;
	pub[0] = 0xec;
	if (!T_INTEQ(wa_xeddsa_verify(pub, NULL, 0, sig), 0))
		return 0;
	memset(pub, 0, 32);
	if (!T_INTEQ(wa_xeddsa_verify(pub, NULL, 0, sig), 0))
		return 0;
	pub[0] = 1;
	if (!T_INTEQ(wa_xeddsa_verify(pub, NULL, 0, sig), 0))
		return 0;
	/* All-zero and all-ones signatures. */
	memset(bad, 0, 64);
	if (!T_INTEQ(wa_xeddsa_verify(kp.pub, NULL, 0, bad), 0))
		return 0;
	memset(bad, 0xff, 64);
	return T_INTEQ(wa_xeddsa_verify(kp.pub, NULL, 0, bad), 0);
}

/* An unclamped private key signs as its clamped self. */
static int
sig_unclamped_key(void)
{
	struct wa_keypair	 kp;
	uint8_t			 raw[32], z[64], s1[64], s2[64];

	randombytes_buf(raw, sizeof(raw));
	raw[0] |= 7;
	raw[31] |= 0x80;
	memset(z, 0, sizeof(z));
	if (wa_keypair_from_private(&kp, raw) != 0 ||
	    wa_xeddsa_sign_z(raw, (const uint8_t *)"x", 1, z, s1) != 0 ||
	    wa_xeddsa_sign_z(kp.priv, (const uint8_t *)"x", 1, z, s2) != 0)
		return 0;
	return T_MEMEQ(s1, s2, 64) &&
	    T_INTEQ(wa_xeddsa_verify(kp.pub, (const uint8_t *)"x", 1, s1), 1);
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(keypair_vectors_match),
		T_CASE(keypair_generate_clamped),
		T_CASE(sig_signed_prekey_vector),
		T_CASE(sig_certchain_vectors),
		T_CASE(sig_account_and_device_vectors),
		T_CASE(sig_random_roundtrip),
		T_CASE(sig_both_sign_bits),
		T_CASE(sig_refuses_malformed),
		T_CASE(sig_unclamped_key),
	};
	int				 rc;

	if (sodium_init() < 0)
		return 1;
	rc = t_run(cases, T_NCASES(cases));
	if (vectors != NULL)
		json_object_put(vectors);
	return rc;
}
