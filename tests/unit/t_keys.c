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
		if (!T_INTEQ(wa_xeddsa_sign(kp.priv, msg, (size_t)i, sig2),
		    0) ||
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
		    wa_xeddsa_sign(kp.priv, (const uint8_t *)"m", 1,
		    sig) != 0 ||
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

static int
prekey_and_ids(void)
{
	struct wa_keypair	 id, spk;
	uint8_t			 sig[64];
	uint32_t		 r;
	int			 i, distinct = 0;

	if (wa_keypair_generate(&id) != 0 || wa_keypair_generate(&spk) != 0 ||
	    !T_INTEQ(wa_prekey_sign(id.priv, spk.pub, sig), 0) ||
	    !T_INTEQ(wa_prekey_verify(id.pub, spk.pub, sig), 1) ||
	    !T_INTEQ(wa_prekey_verify(spk.pub, spk.pub, sig), 0) ||
	    !T_INTEQ(wa_prekey_verify(id.pub, id.pub, sig), 0))
		return 0;
	for (i = 0; i < 1000; i++) {
		r = wa_registration_id_generate();
		if (!T_TRUE(r >= 1 && r <= 16380))
			return 0;
		if (r > 255)
			distinct = 1;
	}
	return T_TRUE(distinct);
}

/* Credentials from the vectors' keys, unpaired. */
static int
creds_from_vectors(struct wa_creds *c)
{
	uint8_t		 priv[32], pub[32];

	memset(c, 0, sizeof(*c));
	if (vec_key("client_noise_static", priv, pub) != 0 ||
	    wa_keypair_from_private(&c->noise_key, priv) != 0 ||
	    vec_key("client_identity", priv, pub) != 0 ||
	    wa_keypair_from_private(&c->identity_key, priv) != 0 ||
	    vec_key("client_signed_prekey", priv, pub) != 0 ||
	    wa_keypair_from_private(&c->signed_pre_key, priv) != 0 ||
	    vec_hex("client_payload", "signed_prekey_signature",
	    c->signed_pre_key_sig, 64) != 64 ||
	    vec_hex("qr", "adv_secret", c->adv_secret, 32) != 32)
		return -1;
	c->signed_pre_key_id = 1;
	c->registration_id = 0x1234;
	return 0;
}

static int
creds_eq(const struct wa_creds *a, const struct wa_creds *b)
{

	return T_MEMEQ(&a->noise_key, &b->noise_key, sizeof(a->noise_key)) &&
	    T_MEMEQ(&a->identity_key, &b->identity_key,
	    sizeof(a->identity_key)) &&
	    T_MEMEQ(&a->signed_pre_key, &b->signed_pre_key,
	    sizeof(a->signed_pre_key)) &&
	    T_INTEQ(a->signed_pre_key_id, b->signed_pre_key_id) &&
	    T_MEMEQ(a->signed_pre_key_sig, b->signed_pre_key_sig, 64) &&
	    T_INTEQ(a->registration_id, b->registration_id) &&
	    T_MEMEQ(a->adv_secret, b->adv_secret, 32) &&
	    T_INTEQ(a->is_paired, b->is_paired) &&
	    T_STREQ(a->jid, b->jid) && T_STREQ(a->lid, b->lid) &&
	    T_MEMEQ(a->account_sig_key, b->account_sig_key, 32) &&
	    T_INTEQ(a->account_len, b->account_len) &&
	    T_MEMEQ(a->account, b->account, a->account_len) &&
	    T_STREQ(a->platform, b->platform) &&
	    T_STREQ(a->push_name, b->push_name) &&
	    T_STREQ(a->business_name, b->business_name);
}

/* The documented layout: header, then tag/length/value records. */
static int
creds_encoding_layout(void)
{
	struct wa_creds	*c;
	uint8_t		 out[WA_CREDS_ENC_MAX], want[64];
	size_t		 len;
	int		 ok = 0;

	if ((c = wa_creds_new()) == NULL)
		return 0;
	if (creds_from_vectors(c) != 0 ||
	    !T_INTEQ(wa_creds_encode(c, out, sizeof(out), &len), 0))
		goto out;
	/* 7 + 3 keys (35) + id (7) + sig (67) + reg id (7) + adv (35). */
	ok = T_INTEQ(len, 7 + 3 * 35 + 7 + 67 + 7 + 35) &&
	    T_MEMEQ(out, "WACR\x01\x00\xdd\x01\x00\x20", 10) &&
	    T_MEMEQ(out + 10, c->noise_key.priv, 32) &&
	    T_MEMEQ(out + 42, "\x02\x00\x20", 3) &&
	    T_MEMEQ(out + 112, "\x04\x00\x04\x00\x00\x00\x01\x05\x00\x40",
	    10) &&
	    T_MEMEQ(out + 186, "\x06\x00\x04\x00\x00\x12\x34\x07\x00\x20",
	    10) && T_MEMEQ(out + 196, c->adv_secret, 32);
	if (ok && vec_hex("client_payload", "signed_prekey_signature", want,
	    64) == 64)
		ok = T_MEMEQ(out + 122, want, 64);
out:
	wa_creds_free(c);
	return ok;
}

static int
creds_roundtrip(void)
{
	struct wa_creds	*a, *b;
	uint8_t		 out[WA_CREDS_ENC_MAX], acct[200];
	size_t		 len, len2;
	int		 ok = 0;

	a = wa_creds_new();
	b = wa_creds_new();
	if (a == NULL || b == NULL)
		goto out;
	if (!T_INTEQ(wa_creds_generate(a), 0) ||
	    !T_INTEQ(a->signed_pre_key_id, 1) ||
	    !T_INTEQ(wa_prekey_verify(a->identity_key.pub,
	    a->signed_pre_key.pub, a->signed_pre_key_sig), 1) ||
	    !T_INTEQ(wa_creds_encode(a, out, sizeof(out), &len), 0) ||
	    !T_INTEQ(wa_creds_decode(b, out, len), 0) || !creds_eq(a, b))
		goto out;

	/* Paired, with every optional string. */
	randombytes_buf(acct, sizeof(acct));
	if (!T_INTEQ(wa_creds_set_account(a, "15551234567:12@s.whatsapp.net",
	    "18234235214236:12@lid", "smba", "Caf\xc3\xa9 \xe2\x82\xac",
	    acct, sizeof(acct), a->noise_key.pub), 0) ||
	    !T_INTEQ(wa_creds_set_push_name(a, "Ann \xf0\x9f\x98\x80"), 0) ||
	    !T_INTEQ(wa_creds_encode(a, out, sizeof(out), &len), 0) ||
	    !T_INTEQ(wa_creds_decode(b, out, len), 0) || !creds_eq(a, b) ||
	    !T_INTEQ(b->is_paired, 1))
		goto out;

	/* Maximal strings and account fit WA_CREDS_ENC_MAX. */
	memset(a->push_name, 'p', sizeof(a->push_name) - 1);
	memset(a->business_name, 'b', sizeof(a->business_name) - 1);
	memset(a->platform, 'x', sizeof(a->platform) - 1);
	memset(a->lid, '1', sizeof(a->lid) - 1);
	a->lid[10] = '@';
	memset(a->jid, '2', sizeof(a->jid) - 1);
	a->jid[10] = '@';
	a->account_len = WA_CREDS_ACCOUNT_MAX;
	if (!T_INTEQ(wa_creds_encode(a, out, sizeof(out), &len), 0) ||
	    !T_INTEQ(wa_creds_decode(b, out, len), 0) || !creds_eq(a, b))
		goto out;
	/* One byte short of room fails cleanly. */
	ok = T_INTEQ(wa_creds_encode(a, out, len - 1, &len2), -1) &&
	    T_INTEQ(len2, 0);
out:
	wa_creds_free(a);
	wa_creds_free(b);
	return ok;
}

/* Encode a, patch it with fn, and require decode to refuse it. */
static int
refused(const uint8_t *buf, size_t len)
{
	struct wa_creds	*b;
	int		 rc;

	if ((b = wa_creds_new()) == NULL)
		return 0;
	rc = wa_creds_decode(b, buf, len);
	/* A refused decode leaves nothing behind. */
	if (rc == -1 && (b->identity_key.priv[31] != 0 || b->is_paired))
		rc = 0;
	wa_creds_free(b);
	return rc == -1;
}

static int
creds_decode_strict(void)
{
	struct wa_creds	*a;
	uint8_t		 out[WA_CREDS_ENC_MAX];
	uint8_t		 bad[WA_CREDS_ENC_MAX + 8];
	uint8_t		 acct[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	size_t		 len, i, off;
	int		 ok = 0;

	if ((a = wa_creds_new()) == NULL)
		return 0;
	if (wa_creds_generate(a) != 0 ||
	    wa_creds_set_account(a, "1@s.whatsapp.net", "2@lid", "smbi", NULL,
	    acct, sizeof(acct), a->identity_key.pub) != 0 ||
	    wa_creds_encode(a, out, sizeof(out), &len) != 0)
		goto out;
	/* Every truncation, and trailing garbage. */
	for (i = 0; i < len; i++)
		if (!T_TRUE(refused(out, i)))
			goto out;
	memcpy(bad, out, len);
	bad[len] = 0x0f;
	if (!T_TRUE(refused(bad, len + 1)))
		goto out;
	/* Header: magic, version and length. */
	for (i = 0; i < 7; i++) {
		memcpy(bad, out, len);
		bad[i] ^= 0x01;
		if (!T_TRUE(refused(bad, len)))
			goto out;
	}
	/* Each record's tag and length bytes, and key and sig bytes. */
	for (off = 7; off < len;
	    off += 3 + ((size_t)out[off + 1] << 8 | out[off + 2])) {
		for (i = 0; i < 3; i++) {
			memcpy(bad, out, len);
			bad[off + i] ^= i == 0 ? 0x10 : 0x01;
			if (!T_TRUE(refused(bad, len)))
				goto out;
		}
		/*
		 * The identity key, signed pre-key and signature are tied
		 * by the signature; the id must stay below 2^24.  (The
		 * Noise key and the ADV secret are free-form secrets.)
		 */
		if (out[off] >= 2 && out[off] <= 5) {
			memcpy(bad, out, len);
			bad[off + 3 + (out[off] == 4 ? 0 : 1)] ^= 0x40;
			if (!T_TRUE(refused(bad, len)))
				goto out;
		}
	}
	/* An unclamped private key (record 1, first byte). */
	memcpy(bad, out, len);
	bad[10] |= 1;
	if (!T_TRUE(refused(bad, len)))
		goto out;
	/* Records swapped (out of order): move record 2 before record 1. */
	memcpy(bad, out, 7);
	memcpy(bad + 7, out + 42, 35);
	memcpy(bad + 42, out + 7, 35);
	memcpy(bad + 77, out + 77, len - 77);
	ok = T_TRUE(refused(bad, len));
out:
	wa_creds_free(a);
	return ok;
}

/* Rewrite the header's body length for a blob of len bytes. */
static void
fix_len(uint8_t *b, size_t len)
{

	b[5] = (uint8_t)((len - 7) >> 8);
	b[6] = (uint8_t)(len - 7);
}

/*
 * Pairing records must come as a group; strings must be clean.  Each
 * forged blob carries a correct body length, so only the rule under
 * test can refuse it.
 */
static int
creds_decode_groups(void)
{
	struct wa_creds	*a;
	uint8_t		 out[WA_CREDS_ENC_MAX], bad[WA_CREDS_ENC_MAX];
	uint8_t		 acct[4] = { 9, 9, 9, 9 };
	size_t		 len, base;
	int		 ok = 0;

	if ((a = wa_creds_new()) == NULL)
		return 0;
	if (wa_creds_generate(a) != 0 ||
	    wa_creds_encode(a, out, sizeof(out), &base) != 0 ||
	    wa_creds_set_account(a, "1@s.whatsapp.net", NULL, NULL, NULL,
	    acct, sizeof(acct), a->identity_key.pub) != 0 ||
	    wa_creds_encode(a, out, sizeof(out), &len) != 0)
		goto out;
	/* The unpaired prefix with its length fixed is accepted... */
	memcpy(bad, out, base);
	fix_len(bad, base);
	if (!T_INTEQ(len, base + 3 + 16 + 35 + 7) ||
	    !T_INTEQ(wa_creds_decode(a, bad, base), 0) ||
	    !T_INTEQ(a->is_paired, 0))
		goto out;
	/* ... but not with the JID record alone. */
	memcpy(bad, out, base + 3 + 16);
	fix_len(bad, base + 3 + 16);
	if (!T_TRUE(refused(bad, base + 3 + 16)))
		goto out;
	/* Unpaired base + a LID record (tag 11) alone. */
	memcpy(bad, out, base);
	memcpy(bad + base, "\x0b\x00\x05" "2@lid", 8);
	fix_len(bad, base + 8);
	if (!T_TRUE(refused(bad, base + 8)))
		goto out;
	/* Paired + a push name that is bad UTF-8 or has a control byte. */
	memcpy(bad, out, len);
	fix_len(bad, len + 5);
	memcpy(bad + len, "\x0d\x00\x02\xc3\x28", 5);
	if (!T_TRUE(refused(bad, len + 5)))
		goto out;
	memcpy(bad + len, "\x0d\x00\x02\x41\x0a", 5);
	if (!T_TRUE(refused(bad, len + 5)))
		goto out;
	/* ... and a good one is accepted. */
	memcpy(bad + len, "\x0d\x00\x02\x41\x42", 5);
	if (!T_INTEQ(wa_creds_decode(a, bad, len + 5), 0) ||
	    !T_STREQ(a->push_name, "AB") || !T_INTEQ(a->is_paired, 1))
		goto out;
	/* A duplicate record (the push name twice). */
	memcpy(bad + len + 5, "\x0d\x00\x02\x41\x42", 5);
	fix_len(bad, len + 10);
	if (!T_TRUE(refused(bad, len + 10)))
		goto out;
	/* An unknown tag after the last one. */
	memcpy(bad + len, "\x0f\x00\x01\x41", 4);
	fix_len(bad, len + 4);
	if (!T_TRUE(refused(bad, len + 4)))
		goto out;
	/* A JID without '@'. */
	memcpy(bad, out, len);
	bad[base + 3 + 1] = 'x';
	ok = T_TRUE(refused(bad, len));
out:
	wa_creds_free(a);
	return ok;
}

static int
creds_setters_validate(void)
{
	struct wa_creds	*c;
	char		 longs[WA_CREDS_NAME_MAX + 1];
	uint8_t		 acct[1] = { 0 }, big[WA_CREDS_ACCOUNT_MAX + 1];
	int		 ok = 0;

	if ((c = wa_creds_new()) == NULL || wa_creds_generate(c) != 0)
		goto out;
	memset(longs, 'a', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	memset(big, 0, sizeof(big));
	ok = T_INTEQ(wa_creds_set_account(c, NULL, NULL, NULL, NULL, acct, 1,
	    c->noise_key.pub), -1) &&
	    T_INTEQ(wa_creds_set_account(c, "nojid", NULL, NULL, NULL, acct, 1,
	    c->noise_key.pub), -1) &&
	    T_INTEQ(wa_creds_set_account(c, "1@s.whatsapp.net", "bad\x01@lid",
	    NULL, NULL, acct, 1, c->noise_key.pub), -1) &&
	    T_INTEQ(wa_creds_set_account(c, "1@s.whatsapp.net", NULL, NULL,
	    longs, acct, 1, c->noise_key.pub), -1) &&
	    T_INTEQ(wa_creds_set_account(c, "1@s.whatsapp.net", NULL, NULL,
	    NULL, big, sizeof(big), c->noise_key.pub), -1) &&
	    T_INTEQ(wa_creds_set_account(c, "1@s.whatsapp.net", NULL, NULL,
	    NULL, acct, 0, c->noise_key.pub), -1) &&
	    T_INTEQ(c->is_paired, 0) && T_STREQ(c->jid, "") &&
	    T_INTEQ(wa_creds_set_push_name(c, longs), -1) &&
	    T_INTEQ(wa_creds_set_push_name(c, "\xed\xa0\x80"), -1) &&
	    T_INTEQ(wa_creds_set_push_name(c, "\xc0\xaf"), -1) &&
	    T_INTEQ(wa_creds_set_lid(c, "x@lid"), 0) &&
	    T_STREQ(c->lid, "x@lid") &&
	    T_INTEQ(wa_creds_set_lid(c, NULL), 0) && T_STREQ(c->lid, "");
out:
	wa_creds_free(c);
	return ok;
}

static int
text_clean_cases(void)
{

	return T_INTEQ(wa_text_is_clean("", 0), 1) &&
	    T_INTEQ(wa_text_is_clean("abc", 3), 1) &&
	    T_INTEQ(wa_text_is_clean("\xe2\x82\xac", 3), 1) &&
	    T_INTEQ(wa_text_is_clean("\xf4\x8f\xbf\xbf", 4), 1) &&
	    T_INTEQ(wa_text_is_clean("\xf4\x90\x80\x80", 4), 0) &&
	    T_INTEQ(wa_text_is_clean("\xe2\x82", 2), 0) &&
	    T_INTEQ(wa_text_is_clean("\x80", 1), 0) &&
	    T_INTEQ(wa_text_is_clean("\xe0\x80\xaf", 3), 0) &&
	    T_INTEQ(wa_text_is_clean("a\0b", 3), 0) &&
	    T_INTEQ(wa_text_is_clean("\x1b[", 2), 0) &&
	    T_INTEQ(wa_text_is_clean("\x7f", 1), 0) &&
	    T_INTEQ(wa_text_is_clean("\xff", 1), 0);
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
		T_CASE(prekey_and_ids),
		T_CASE(creds_encoding_layout),
		T_CASE(creds_roundtrip),
		T_CASE(creds_decode_strict),
		T_CASE(creds_decode_groups),
		T_CASE(creds_setters_validate),
		T_CASE(text_clean_cases),
	};
	int				 rc;

	if (sodium_init() < 0)
		return 1;
	rc = t_run(cases, T_NCASES(cases));
	if (vectors != NULL)
		json_object_put(vectors);
	return rc;
}
