/*
 * Unit tests for daemon/wa/pair.c and paircode.c: the QR string,
 * pair-success verification and the reply, and the pairing code, each
 * against the spec's vectors (Appendix A, via wa_vec.h) byte for byte,
 * plus refusals of tampered input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wa-md.pb-c.h"

#include "buf.h"
#include "crypto.h"
#include "keys.h"
#include "pair.h"
#include "t.h"
#include "wa_vec.h"

/* clamp(SHA-256(label)), the vectors' key derivation (gen.py). */
static int
seed_pair(const char *label, struct wa_keypair *kp)
{
	uint8_t		 k[32];

	crypto_hash_sha256(k, (const uint8_t *)label, strlen(label));
	return wa_keypair_from_private(kp, k);
}

/* A key pair from vectors keys.<name>, checked for consistency. */
static int
vec_pair(const char *name, struct wa_keypair *kp)
{
	char		 path[96];
	uint8_t		 priv[32], pub[32];

	snprintf(path, sizeof(path), "keys.%s.priv", name);
	if (vec_fixed(path, priv, 32) == -1)
		return -1;
	snprintf(path, sizeof(path), "keys.%s.pub", name);
	if (vec_fixed(path, pub, 32) == -1 ||
	    wa_keypair_from_private(kp, priv) == -1 ||
	    memcmp(kp->pub, pub, 32) != 0)
		return -1;
	return 0;
}

static int
qr_string_vectors(void)
{
	struct wa_keypair	 noise, ident;
	uint8_t			 adv[32];
	const char		*ref, *want, *legacy;
	char			*s = NULL, *l = NULL;
	int			 ok;

	if (vec_pair("client_noise_static", &noise) == -1 ||
	    vec_pair("client_identity", &ident) == -1 ||
	    vec_fixed("qr.adv_secret", adv, 32) == -1 ||
	    (ref = vec_str("qr.ref")) == NULL ||
	    (want = vec_str("qr.qr_string")) == NULL ||
	    (legacy = vec_str("qr.legacy_qr_string")) == NULL)
		return 0;
	s = wa_qr_string((const uint8_t *)ref, strlen(ref), noise.pub,
	    ident.pub, adv, WA_QR_PLATFORM_WEB);
	l = wa_qr_string((const uint8_t *)ref, strlen(ref), noise.pub,
	    ident.pub, adv, NULL);
	ok = T_STREQ(s, want) && T_STREQ(l, legacy);
	free(s);
	free(l);
	return ok;
}

static int
qr_string_refuses(void)
{
	static const char *const	 refs[] = {
		"", "2@a,b", "2@a b", "2@a\n", "2@\x80",
	};
	static const char *const	 plats[] = { "", "123", "A", "-" };
	uint8_t				 k[32], big[WA_QR_REF_MAX + 1];
	char				*s;
	size_t				 i;
	int				 ok;

	memset(k, 7, sizeof(k));
	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
		if (!T_TRUE(wa_qr_string((const uint8_t *)refs[i],
		    strlen(refs[i]), k, k, k, "9") == NULL))
			return 0;
	for (i = 0; i < sizeof(plats) / sizeof(plats[0]); i++)
		if (!T_TRUE(wa_qr_string((const uint8_t *)"2@x", 3, k, k, k,
		    plats[i]) == NULL))
			return 0;
	memset(big, 'a', sizeof(big));
	if (!T_TRUE(wa_qr_string(big, sizeof(big), k, k, k, "9") == NULL) ||
	    !T_TRUE(wa_qr_string(NULL, 3, k, k, k, "9") == NULL))
		return 0;
	/* The ref is bounded by its length, not a NUL. */
	s = wa_qr_string((const uint8_t *)"2@xyz", 3, k, k, k, "e");
	ok = T_TRUE(s != NULL) &&
	    T_TRUE(strncmp(s, WA_QR_PREFIX "2@x,",
	    strlen(WA_QR_PREFIX) + 4) == 0) &&
	    T_TRUE(strcmp(s + strlen(s) - 2, ",e") == 0);
	free(s);
	return ok;
}

/* The pair-success fixture: identity, ADV secret, container bytes. */
struct	fixture {
	struct wa_keypair	 ident;
	struct wa_keypair	 acct;
	uint8_t			 adv[32];
	struct buf		 container;
};

static int
fixture_load(struct fixture *f)
{

	buf_init(&f->container);
	return vec_pair("client_identity", &f->ident) == 0 &&
	    seed_pair("primary-account-signature-key", &f->acct) == 0 &&
	    vec_fixed("qr.adv_secret", f->adv, 32) == 0 &&
	    vec_bytes("pair_success.device_identity_container",
	    &f->container) == 0;
}

static int
pair_success_vector(void)
{
	struct fixture		 f;
	struct wa_pair_result	 r;
	struct buf		 want, signed_id;
	uint8_t			 z[64], sig[64], akey[32];
	int			 ok = 0;

	buf_init(&want);
	buf_init(&signed_id);
	memset(z, 0, sizeof(z));
	if (!fixture_load(&f) ||
	    vec_fixed("pair_success.device_signature", sig, 64) == -1 ||
	    vec_fixed("pair_success.account_signature_key", akey, 32) == -1 ||
	    vec_bytes("pair_success.pair_device_sign_device_identity_content",
	    &want) == -1 ||
	    vec_bytes("pair_success.adv_signed_device_identity",
	    &signed_id) == -1)
		goto out;
	if (!T_INTEQ(wa_pair_success_verify_z((uint8_t *)f.container.data,
	    f.container.len, f.adv, &f.ident, z, &r), WA_PAIR_OK))
		goto out;
	ok = T_MEMEQ(r.device_sig, sig, 64) &&
	    T_MEMEQ(r.account_sig_key, akey, 32) &&
	    T_INTEQ(r.reply_len, want.len) &&
	    T_MEMEQ(r.reply, want.data, want.len) &&
	    T_INTEQ(r.key_index, 5) && T_INTEQ(r.raw_id, 123456) &&
	    T_INTEQ(r.timestamp, 1750000000) && T_INTEQ(r.is_hosted, 0) &&
	    T_INTEQ(r.is_hosted_hmac, 0) &&
	    /* Stored account = signed identity + field 4 (0x22, 64). */
	    T_INTEQ(r.account_len, signed_id.len + 2 + 64) &&
	    T_MEMEQ(r.account, signed_id.data, signed_id.len) &&
	    T_MEMEQ(r.account + signed_id.len, "\x22\x40", 2) &&
	    T_MEMEQ(r.account + signed_id.len + 2, sig, 64);
out:
	buf_free(&f.container);
	buf_free(&want);
	buf_free(&signed_id);
	return ok;
}

/* With random Z the device signature differs but verifies. */
static int
pair_success_random_z(void)
{
	struct fixture		 f;
	struct wa_pair_result	 r;
	struct buf		 det, m;
	uint8_t			 vsig[64];
	int			 ok = 0;

	buf_init(&det);
	buf_init(&m);
	if (!fixture_load(&f) ||
	    vec_fixed("pair_success.device_signature", vsig, 64) == -1 ||
	    vec_bytes("pair_success.adv_device_identity_details", &det) == -1)
		goto out;
	if (!T_INTEQ(wa_pair_success_verify((uint8_t *)f.container.data,
	    f.container.len, f.adv, &f.ident, &r), WA_PAIR_OK))
		goto out;
	buf_append(&m, "\x06\x01", 2);
	buf_append(&m, det.data, det.len);
	buf_append(&m, f.ident.pub, 32);
	buf_append(&m, f.acct.pub, 32);
	ok = T_TRUE(memcmp(r.device_sig, vsig, 64) != 0) &&
	    T_INTEQ(wa_xeddsa_verify(f.ident.pub, (uint8_t *)m.data, m.len,
	    r.device_sig), 1) &&
	    T_MEMEQ(r.reply + r.reply_len - 64, r.device_sig, 64);
out:
	buf_free(&f.container);
	buf_free(&det);
	buf_free(&m);
	return ok;
}

/*
 * Build a container: ADVDeviceIdentity (device_type < 0: absent),
 * signed by acct with the given prefix (sig bit "flip" flipped), under
 * an HMAC with adv (hosted container prefix if hosted_hmac).
 */
static void
container_build(struct buf *out, const struct wa_keypair *acct,
    const struct wa_keypair *ident, const uint8_t adv[32], int device_type,
    const uint8_t prefix[2], int flip, int hosted_hmac, size_t keylen)
{
	Wamd__ADVDeviceIdentity			 di =
	    WAMD__ADVDEVICE_IDENTITY__INIT;
	Wamd__ADVSignedDeviceIdentity		 sdi =
	    WAMD__ADVSIGNED_DEVICE_IDENTITY__INIT;
	Wamd__ADVSignedDeviceIdentityHMAC	 c =
	    WAMD__ADVSIGNED_DEVICE_IDENTITY_HMAC__INIT;
	uint8_t					 det[64], sdb[512];
	uint8_t					 mac[32], sig[64];
	uint8_t					 hm[520], cb[600];
	struct buf				 m;
	size_t					 dn, sn, cn;

	di.has_rawid = 1;
	di.rawid = 42;
	di.has_keyindex = 1;
	di.keyindex = 9;
	if (device_type >= 0) {
		di.has_devicetype = 1;
		di.devicetype = (Wamd__ADVEncryptionType)device_type;
	}
	dn = wamd__advdevice_identity__pack(&di, det);

	buf_init(&m);
	buf_append(&m, prefix, 2);
	buf_append(&m, det, dn);
	buf_append(&m, ident->pub, 32);
	if (wa_xeddsa_sign(acct->priv, (uint8_t *)m.data, m.len, sig) != 0)
		abort();
	buf_free(&m);
	if (flip >= 0)
		sig[flip / 8] ^= 1 << (flip % 8);

	sdi.has_details = 1;
	sdi.details.data = det;
	sdi.details.len = dn;
	sdi.has_accountsignaturekey = 1;
	sdi.accountsignaturekey.data = (uint8_t *)acct->pub;
	sdi.accountsignaturekey.len = keylen;
	sdi.has_accountsignature = 1;
	sdi.accountsignature.data = sig;
	sdi.accountsignature.len = 64;
	sn = wamd__advsigned_device_identity__pack(&sdi, sdb);

	memcpy(hm, "\x06\x05", 2);
	memcpy(hm + 2, sdb, sn);
	if (hosted_hmac)
		wa_hmac_sha256(adv, 32, hm, sn + 2, mac);
	else
		wa_hmac_sha256(adv, 32, sdb, sn, mac);
	c.has_details = 1;
	c.details.data = sdb;
	c.details.len = sn;
	c.has_hmac = 1;
	c.hmac.data = mac;
	c.hmac.len = 32;
	if (hosted_hmac) {
		c.has_accounttype = 1;
		c.accounttype = WAMD__ADVENCRYPTION_TYPE__HOSTED;
	}
	cn = wamd__advsigned_device_identity_hmac__pack(&c, cb);
	buf_reset(out);
	buf_append(out, cb, cn);
}

/* verify(container) == want, with out zeroed on failure. */
static int
verify_is(const struct buf *c, const uint8_t adv[32],
    const struct wa_keypair *ident, enum wa_pair_err want)
{
	struct wa_pair_result	 r;
	static const uint8_t	 zero[sizeof(r)];

	memset(&r, 0xa5, sizeof(r));
	if (!T_INTEQ(wa_pair_success_verify((const uint8_t *)c->data, c->len,
	    adv, ident, &r), want))
		return 0;
	if (want != WA_PAIR_OK)
		return T_MEMEQ(&r, zero, sizeof(r));
	return T_INTEQ(r.key_index, 9) && T_INTEQ(r.raw_id, 42);
}

static const uint8_t	 P_E2EE[2] = { 6, 0 }, P_HOSTED[2] = { 6, 5 };

/* The account-signature prefix follows ADVDeviceIdentity.deviceType. */
static int
pair_success_prefix_rule(void)
{
	struct wa_keypair	 acct, ident;
	struct buf		 c;
	uint8_t			 adv[32];
	int			 ok;

	buf_init(&c);
	randombytes_buf(adv, sizeof(adv));
	if (wa_keypair_generate(&acct) != 0 ||
	    wa_keypair_generate(&ident) != 0)
		return 0;
	container_build(&c, &acct, &ident, adv, -1, P_E2EE, -1, 0, 32);
	ok = verify_is(&c, adv, &ident, WA_PAIR_OK);
	container_build(&c, &acct, &ident, adv, 0, P_E2EE, -1, 0, 32);
	ok = ok && verify_is(&c, adv, &ident, WA_PAIR_OK);
	container_build(&c, &acct, &ident, adv, 1, P_HOSTED, -1, 0, 32);
	ok = ok && verify_is(&c, adv, &ident, WA_PAIR_OK);
	/* Hosted HMAC container, E2EE device: 06 05 HMAC, 06 00 sig. */
	container_build(&c, &acct, &ident, adv, 0, P_E2EE, -1, 1, 32);
	ok = ok && verify_is(&c, adv, &ident, WA_PAIR_OK);
	/* Wrong prefix for the device type either way. */
	container_build(&c, &acct, &ident, adv, 1, P_E2EE, -1, 0, 32);
	ok = ok && verify_is(&c, adv, &ident, WA_PAIR_SIGNATURE_MISMATCH);
	container_build(&c, &acct, &ident, adv, 0, P_HOSTED, -1, 1, 32);
	ok = ok && verify_is(&c, adv, &ident, WA_PAIR_SIGNATURE_MISMATCH);
	buf_free(&c);
	return ok;
}

static int
pair_success_bad_signature(void)
{
	struct wa_keypair	 acct, ident, other;
	struct buf		 c;
	uint8_t			 adv[32];
	int			 ok, bit;

	buf_init(&c);
	randombytes_buf(adv, sizeof(adv));
	if (wa_keypair_generate(&acct) != 0 ||
	    wa_keypair_generate(&ident) != 0 ||
	    wa_keypair_generate(&other) != 0)
		return 0;
	ok = 1;
	for (bit = 0; ok && bit < 512; bit += 37) {
		container_build(&c, &acct, &ident, adv, 0, P_E2EE, bit, 0, 32);
		ok = verify_is(&c, adv, &ident, WA_PAIR_SIGNATURE_MISMATCH);
	}
	/* Signed for another identity key than ours. */
	container_build(&c, &acct, &other, adv, 0, P_E2EE, -1, 0, 32);
	ok = ok && verify_is(&c, adv, &ident, WA_PAIR_SIGNATURE_MISMATCH);
	/* An account key of 31 bytes. */
	container_build(&c, &acct, &ident, adv, 0, P_E2EE, -1, 0, 31);
	ok = ok && verify_is(&c, adv, &ident, WA_PAIR_SIGNATURE_MISMATCH);
	buf_free(&c);
	return ok;
}

static int
pair_success_bad_hmac(void)
{
	struct fixture		 f;
	struct buf		 c;
	uint8_t			 adv2[32], hosted[32];
	size_t			 i, hoff;
	int			 ok = 0;

	buf_init(&c);
	if (!fixture_load(&f) ||
	    vec_fixed("pair_success.hmac_if_hosted", hosted, 32) == -1)
		goto out;
	/* The hmac is the container's last field: 12 20 <32 bytes>. */
	hoff = f.container.len - 32;
	if (!T_MEMEQ(f.container.data + hoff - 2, "\x12\x20", 2))
		goto out;
	for (i = 0; i < 256; i += 5) {
		buf_reset(&c);
		buf_append(&c, f.container.data, f.container.len);
		c.data[hoff + i / 8] ^= 1 << (i % 8);
		if (!verify_is(&c, f.adv, &f.ident, WA_PAIR_HMAC_MISMATCH))
			goto out;
	}
	/* Another ADV secret. */
	memcpy(adv2, f.adv, 32);
	adv2[31] ^= 0x80;
	if (!verify_is(&f.container, adv2, &f.ident, WA_PAIR_HMAC_MISMATCH))
		goto out;
	/* accountType HOSTED (field 3 = 1) needs the 06 05 HMAC... */
	buf_reset(&c);
	buf_append(&c, f.container.data, f.container.len);
	buf_append(&c, "\x18\x01", 2);
	if (!verify_is(&c, f.adv, &f.ident, WA_PAIR_HMAC_MISMATCH))
		goto out;
	/* ... which the vectors give; then the rest verifies. */
	memcpy(c.data + hoff, hosted, 32);
	if (!T_INTEQ(wa_pair_success_verify((uint8_t *)c.data, c.len, f.adv,
	    &f.ident, &(struct wa_pair_result){ 0 }), WA_PAIR_OK))
		goto out;
	/* A truncated hmac (31 bytes). */
	buf_reset(&c);
	buf_append(&c, f.container.data, f.container.len - 1);
	c.data[hoff - 1] = 31;
	ok = verify_is(&c, f.adv, &f.ident, WA_PAIR_HMAC_MISMATCH);
out:
	buf_free(&f.container);
	buf_free(&c);
	return ok;
}

static int
pair_success_malformed(void)
{
	struct fixture		 f;
	struct buf		 c;
	uint8_t			 big[WA_PAIR_IDENTITY_MAX + 1];
	struct wa_pair_result	 r;
	size_t			 i;
	enum wa_pair_err	 e;
	int			 ok = 0;

	buf_init(&c);
	if (!fixture_load(&f))
		goto out;
	if (!T_INTEQ(wa_pair_success_verify(NULL, 0, f.adv, &f.ident, &r),
	    WA_PAIR_MALFORMED))
		goto out;
	memset(big, 0, sizeof(big));
	if (!T_INTEQ(wa_pair_success_verify(big, sizeof(big), f.adv, &f.ident,
	    &r), WA_PAIR_MALFORMED))
		goto out;
	/* Not protobuf: a field with wire type 7. */
	if (!T_INTEQ(wa_pair_success_verify((const uint8_t *)"\x0f\x01", 2,
	    f.adv, &f.ident, &r), WA_PAIR_MALFORMED))
		goto out;
	/* Only an hmac, no details. */
	if (!T_INTEQ(wa_pair_success_verify(
	    (const uint8_t *)f.container.data + f.container.len - 34, 34,
	    f.adv, &f.ident, &r), WA_PAIR_MALFORMED))
		goto out;
	/* Every truncation fails, one way or another. */
	for (i = 1; i < f.container.len; i++) {
		e = wa_pair_success_verify((uint8_t *)f.container.data, i,
		    f.adv, &f.ident, &r);
		if (!T_TRUE(e == WA_PAIR_MALFORMED ||
		    e == WA_PAIR_HMAC_MISMATCH))
			goto out;
	}
	ok = 1;
out:
	buf_free(&f.container);
	buf_free(&c);
	return ok;
}

/* Details that are HMAC-authentic but not an ADVSignedDeviceIdentity. */
static int
pair_success_bad_details(void)
{
	Wamd__ADVSignedDeviceIdentityHMAC	 c =
	    WAMD__ADVSIGNED_DEVICE_IDENTITY_HMAC__INIT;
	struct wa_keypair			 ident;
	struct wa_pair_result			 r;
	uint8_t					 adv[32], mac[32];
	uint8_t					 cb[128];
	uint8_t					 det[] = {
		0x0a, 0x05, 1
	};
	size_t					 n;

	randombytes_buf(adv, sizeof(adv));
	if (wa_keypair_generate(&ident) != 0)
		return 0;
	wa_hmac_sha256(adv, 32, det, sizeof(det), mac);
	c.has_details = 1;
	c.details.data = det;
	c.details.len = sizeof(det);
	c.has_hmac = 1;
	c.hmac.data = mac;
	c.hmac.len = 32;
	n = wamd__advsigned_device_identity_hmac__pack(&c, cb);
	return T_INTEQ(wa_pair_success_verify(cb, n, adv, &ident, &r),
	    WA_PAIR_MALFORMED);
}

static int
pair_err_mapping(void)
{

	return T_INTEQ(wa_pair_err_code(WA_PAIR_OK), 0) &&
	    T_INTEQ(wa_pair_err_code(WA_PAIR_HMAC_MISMATCH), 401) &&
	    T_INTEQ(wa_pair_err_code(WA_PAIR_SIGNATURE_MISMATCH), 401) &&
	    T_INTEQ(wa_pair_err_code(WA_PAIR_MALFORMED), 500) &&
	    T_INTEQ(wa_pair_err_code(WA_PAIR_INTERNAL), 500) &&
	    T_STREQ(wa_pair_err_text(WA_PAIR_HMAC_MISMATCH),
	    "hmac-mismatch") &&
	    T_STREQ(wa_pair_err_text(WA_PAIR_SIGNATURE_MISMATCH),
	    "signature-mismatch") &&
	    T_STREQ(wa_pair_err_text(WA_PAIR_MALFORMED), "internal-error") &&
	    T_STREQ(wa_pair_err_text(WA_PAIR_INTERNAL), "internal-error");
}

static int
paircode_vector(void)
{
	struct wa_keypair	 eph;
	uint8_t			 raw[5], salt[32], iv[16], w[80];
	uint8_t			 want[80];
	uint8_t			 pub[32];
	char			 code[9], disp[10];
	const char		*wcode, *wdisp;

	if (vec_fixed("pairing_code.code_bytes", raw, 5) == -1 ||
	    (wcode = vec_str("pairing_code.code")) == NULL ||
	    (wdisp = vec_str("pairing_code.display")) == NULL ||
	    vec_fixed("pairing_code.companion_salt", salt, 32) == -1 ||
	    vec_fixed("pairing_code.companion_iv", iv, 16) == -1 ||
	    vec_fixed("pairing_code.wrapped_companion_ephemeral_pub", want,
	    80) == -1 ||
	    seed_pair("companion-link-ephemeral", &eph) == -1)
		return 0;
	wa_paircode_encode(raw, code);
	return T_STREQ(code, wcode) &&
	    T_INTEQ(wa_paircode_display(code, disp), 0) &&
	    T_STREQ(disp, wdisp) &&
	    T_INTEQ(wa_paircode_wrap_with(code, eph.pub, salt, iv, w), 0) &&
	    T_MEMEQ(w, want, 80) &&
	    T_INTEQ(wa_paircode_unwrap(code, w, sizeof(w), pub), 0) &&
	    T_MEMEQ(pub, eph.pub, 32);
}

static int
paircode_finish_vector(void)
{
	struct wa_keypair		 eph, ident, pe;
	struct wa_paircode_finish	 f;
	struct buf			 pw;
	uint8_t				 pe_pub[32], shared[32];
	uint8_t				 es_want[32], is_want[32];
	uint8_t				 pid[32], advr[32], kbs[32];
	uint8_t				 kbn[12];
	uint8_t				 bundle[156], adv[32];
	const char			*code;
	int				 ok = 0;

	buf_init(&pw);
	if ((code = vec_str("pairing_code.code")) == NULL ||
	    seed_pair("companion-link-ephemeral", &eph) == -1 ||
	    vec_pair("client_identity", &ident) == -1 ||
	    vec_bytes("pairing_code.primary_wrapped_ephemeral_pub", &pw) ==
	    -1 ||
	    vec_fixed("pairing_code.primary_identity_pub", pid, 32) == -1 ||
	    vec_fixed("pairing_code.adv_random", advr, 32) == -1 ||
	    vec_fixed("pairing_code.key_bundle_salt", kbs, 32) == -1 ||
	    vec_fixed("pairing_code.key_bundle_nonce", kbn, 12) == -1 ||
	    vec_fixed("pairing_code.wrapped_key_bundle", bundle, 156) == -1 ||
	    vec_fixed("pairing_code.adv_secret", adv, 32) == -1)
		goto out;
	/* The intermediate values: the primary's unwrapped key, eph_shared
	 * and identity_shared. */
	if (vec_fixed("pairing_code.ephemeral_shared", es_want, 32) == -1 ||
	    vec_fixed("pairing_code.identity_shared", is_want, 32) == -1 ||
	    seed_pair("primary-link-ephemeral", &pe) == -1 ||
	    !T_INTEQ(wa_paircode_unwrap(code, (uint8_t *)pw.data, pw.len,
	    pe_pub), 0) || !T_MEMEQ(pe_pub, pe.pub, 32) ||
	    wa_x25519(shared, eph.priv, pe_pub) != 0 ||
	    !T_MEMEQ(shared, es_want, 32) ||
	    wa_x25519(shared, ident.priv, pid) != 0 ||
	    !T_MEMEQ(shared, is_want, 32))
		goto out;
	ok = T_INTEQ(wa_paircode_finish_with(code, &eph, &ident,
	    (uint8_t *)pw.data, pw.len, pid, advr, kbs, kbn, &f), 0) &&
	    T_MEMEQ(f.bundle, bundle, 156) && T_MEMEQ(f.adv_secret, adv, 32);
	/* A longer wrapped key is accepted (whatsmeow reads 80 bytes)... */
	buf_append(&pw, "xx", 2);
	ok = ok && T_INTEQ(wa_paircode_finish_with(code, &eph, &ident,
	    (uint8_t *)pw.data, pw.len, pid, advr, kbs, kbn, &f), 0) &&
	    T_MEMEQ(f.adv_secret, adv, 32);
	/* ... a shorter one is not, nor another code. */
	ok = ok && T_INTEQ(wa_paircode_finish_with(code, &eph, &ident,
	    (uint8_t *)pw.data, 79, pid, advr, kbs, kbn, &f), -1) &&
	    T_INTEQ(wa_paircode_finish_with("119K5DT6", &eph, &ident,
	    (uint8_t *)pw.data, 80, pid, advr, kbs, kbn, &f), 0) &&
	    T_TRUE(memcmp(f.adv_secret, adv, 32) != 0);
out:
	buf_free(&pw);
	return ok;
}

/*
 * Both sides of a code pairing with random keys: the primary decrypts
 * the bundle and derives the same ADV secret.
 */
static int
paircode_both_sides(void)
{
	struct wa_keypair		 ce, ident, pe, pident;
	struct wa_paircode_finish	 f;
	uint8_t				 cw[80], pw[80], ce_pub[32];
	uint8_t				 es[32], is[32], key[32], pt[96];
	uint8_t				 ikm[96], adv[32];
	char				 code[9];

	if (wa_paircode_generate(code) != 0 ||
	    wa_keypair_generate(&ce) != 0 || wa_keypair_generate(&ident) != 0 ||
	    wa_keypair_generate(&pe) != 0 || wa_keypair_generate(&pident) != 0)
		return 0;
	/* Companion hello; the primary unwraps it with the typed code. */
	if (!T_INTEQ(wa_paircode_wrap(code, ce.pub, cw), 0) ||
	    !T_INTEQ(wa_paircode_unwrap(code, cw, 80, ce_pub), 0) ||
	    !T_MEMEQ(ce_pub, ce.pub, 32) ||
	    !T_INTEQ(wa_paircode_wrap(code, pe.pub, pw), 0) ||
	    !T_INTEQ(wa_paircode_finish(code, &ce, &ident, pw, 80,
	    pident.pub, &f), 0))
		return 0;
	/* Primary side, independently. */
	if (wa_x25519(es, pe.priv, ce_pub) != 0 ||
	    wa_hkdf_sha256(f.bundle, 32, es, 32, (const uint8_t *)
	    "link_code_pairing_key_bundle_encryption_key", 43, key, 32) != 0 ||
	    !T_INTEQ(wa_aes256_gcm_decrypt(key, f.bundle + 32, NULL, 0,
	    f.bundle + 44, 112, pt), 0) ||
	    !T_MEMEQ(pt, ident.pub, 32) || !T_MEMEQ(pt + 32, pident.pub, 32) ||
	    wa_x25519(is, pident.priv, ident.pub) != 0)
		return 0;
	memcpy(ikm, es, 32);
	memcpy(ikm + 32, is, 32);
	memcpy(ikm + 64, pt + 64, 32);
	if (wa_hkdf_sha256(NULL, 0, ikm, 96, (const uint8_t *)"adv_secret",
	    10, adv, 32) != 0)
		return 0;
	return T_MEMEQ(f.adv_secret, adv, 32);
}

static int
paircode_refuses(void)
{
	static const char *const	 bad[] = {
		"119K5DT", "119K5DT55", "119k5DT5", "119K5DTI", "119K5DTO",
		"119K5DTU", "019K5DT5", "119K-5DT", "",
	};
	struct wa_keypair		 ce, ident;
	struct wa_paircode_finish	 f;
	static const uint8_t		 zero[sizeof(f)];
	uint8_t				 w[80], pub[32], low[32];
	char				 disp[10];
	size_t				 i;

	if (wa_keypair_generate(&ce) != 0 || wa_keypair_generate(&ident) != 0)
		return 0;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!T_INTEQ(wa_paircode_is_valid(bad[i]), 0) ||
		    !T_INTEQ(wa_paircode_wrap(bad[i], ce.pub, w), -1) ||
		    !T_INTEQ(wa_paircode_display(bad[i], disp), -1))
			return 0;
	if (!T_INTEQ(wa_paircode_is_valid(NULL), 0) ||
	    !T_INTEQ(wa_paircode_is_valid("ZZZZ1111"), 1) ||
	    !T_INTEQ(wa_paircode_unwrap("ZZZZ1111", NULL, 80, pub), -1))
		return 0;
	/* A low-order primary ephemeral key (u = 0) or identity key. */
	memset(low, 0, sizeof(low));
	if (wa_paircode_wrap("ZZZZ1111", low, w) != 0 ||
	    !T_INTEQ(wa_paircode_finish("ZZZZ1111", &ce, &ident, w, 80,
	    ident.pub, &f), -1) || !T_MEMEQ(&f, zero, sizeof(f)))
		return 0;
	if (wa_paircode_wrap("ZZZZ1111", ident.pub, w) != 0 ||
	    !T_INTEQ(wa_paircode_finish("ZZZZ1111", &ce, &ident, w, 80,
	    low, &f), -1))
		return 0;
	return T_MEMEQ(&f, zero, sizeof(f));
}

static int
paircode_generate_distinct(void)
{
	char	 a[9], b[9];
	int	 i, same = 0;

	for (i = 0; i < 50; i++) {
		if (wa_paircode_generate(a) != 0 ||
		    wa_paircode_generate(b) != 0 ||
		    !T_INTEQ(wa_paircode_is_valid(a), 1))
			return 0;
		same += strcmp(a, b) == 0;
	}
	return T_INTEQ(same, 0);
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(qr_string_vectors),
		T_CASE(qr_string_refuses),
		T_CASE(pair_success_vector),
		T_CASE(pair_success_random_z),
		T_CASE(pair_success_prefix_rule),
		T_CASE(pair_success_bad_signature),
		T_CASE(pair_success_bad_hmac),
		T_CASE(pair_success_malformed),
		T_CASE(pair_success_bad_details),
		T_CASE(pair_err_mapping),
		T_CASE(paircode_vector),
		T_CASE(paircode_finish_vector),
		T_CASE(paircode_both_sides),
		T_CASE(paircode_refuses),
		T_CASE(paircode_generate_distinct),
	};

	if (sodium_init() < 0)
		return 1;
	return t_run(cases, T_NCASES(cases));
}
