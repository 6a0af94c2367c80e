/*
 * QR pairing: the QR string (spec 6.3) and pair-success verification
 * with the pair-device-sign reply (spec 6.5).  Protocol facts from
 * whatsmeow pair.go (handlePair, verifyDeviceIdentityAccountSignature,
 * generateDeviceSignature, makeQRData) and Baileys
 * src/Utils/validate-connection.ts (configureSuccessfulPairing), as
 * restated by the spec.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wa-md.pb-c.h"

#include "crypto.h"
#include "log.h"
#include "xalloc.h"
#include "keys.h"
#include "pair.h"

/* Signature and HMAC prefixes (spec 6.5; whatsmeow pair.go). */
static const uint8_t	 PREFIX_HOSTED[2] = { 0x06, 0x05 };
static const uint8_t	 PREFIX_ACCOUNT[2] = { 0x06, 0x00 };
static const uint8_t	 PREFIX_DEVICE[2] = { 0x06, 0x01 };

#define B64_KEY_LEN	44	/* base64 of 32 bytes, with padding */

/* 1 if ref is 1..WA_QR_REF_MAX printable ASCII bytes without ','. */
static int
qr_ref_ok(const uint8_t *ref, size_t len)
{
	size_t	 i;

	if (ref == NULL || len == 0 || len > WA_QR_REF_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (ref[i] < 0x21 || ref[i] > 0x7e || ref[i] == ',')
			return 0;
	return 1;
}

/* 1 if id is 1..2 characters of [0-9a-z]. */
static int
qr_platform_ok(const char *id)
{
	size_t	 i, n;

	n = strnlen(id, 3);
	if (n == 0 || n > 2)
		return 0;
	for (i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'z')))
			return 0;
	return 1;
}

char *
wa_qr_string(const uint8_t *ref, size_t reflen,
    const uint8_t noise_pub[WA_KEY_LEN],
    const uint8_t identity_pub[WA_KEY_LEN],
    const uint8_t adv_secret[WA_ADV_SECRET_LEN], const char *platform_id)
{
	char		 noise[B64_KEY_LEN + 1], ident[B64_KEY_LEN + 1];
	char		 adv[B64_KEY_LEN + 1], *s;

	if (!qr_ref_ok(ref, reflen)) {
		log_warnx("%s: bad pair-device ref (%zu bytes)", __func__,
		    reflen);
		return NULL;
	}
	if (platform_id != NULL && !qr_platform_ok(platform_id)) {
		log_warnx("%s: bad platform id", __func__);
		return NULL;
	}
	sodium_bin2base64(noise, sizeof(noise), noise_pub, WA_KEY_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(ident, sizeof(ident), identity_pub, WA_KEY_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(adv, sizeof(adv), adv_secret, WA_ADV_SECRET_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	if (platform_id == NULL)
		s = xasprintf("%.*s,%s,%s,%s", (int)reflen,
		    (const char *)ref, noise, ident, adv);
	else
		s = xasprintf("%s%.*s,%s,%s,%s,%s", WA_QR_PREFIX,
		    (int)reflen, (const char *)ref, noise, ident, adv,
		    platform_id);
	sodium_memzero(adv, sizeof(adv));
	return s;
}

int
wa_pair_err_code(enum wa_pair_err err)
{

	switch (err) {
	case WA_PAIR_OK:
		return 0;
	case WA_PAIR_HMAC_MISMATCH:
	case WA_PAIR_SIGNATURE_MISMATCH:
		return 401;
	default:
		return 500;
	}
}

const char *
wa_pair_err_text(enum wa_pair_err err)
{

	switch (err) {
	case WA_PAIR_OK:
		return "";
	case WA_PAIR_HMAC_MISMATCH:
		return "hmac-mismatch";
	case WA_PAIR_SIGNATURE_MISMATCH:
		return "signature-mismatch";
	default:
		return "internal-error";
	}
}

/*
 * Verify the container's HMAC (spec 6.5 step 2).  Returns WA_PAIR_OK
 * or WA_PAIR_HMAC_MISMATCH (logged).
 */
static enum wa_pair_err
pair_check_hmac(const Wamd__ADVSignedDeviceIdentityHMAC *c,
    const uint8_t adv_secret[WA_ADV_SECRET_LEN], int *is_hosted)
{
	uint8_t		 mac[WA_SHA256_LEN], *m;
	size_t		 off;
	int		 ok;

	*is_hosted = c->has_accounttype &&
	    c->accounttype == WAMD__ADVENCRYPTION_TYPE__HOSTED;
	if (!c->has_hmac || c->hmac.len != WA_SHA256_LEN) {
		log_warnx("wa_pair_success_verify: hmac missing or %zu bytes",
		    c->has_hmac ? c->hmac.len : 0);
		return WA_PAIR_HMAC_MISMATCH;
	}
	off = *is_hosted ? sizeof(PREFIX_HOSTED) : 0;
	m = xmalloc(off + c->details.len + 1);
	memcpy(m, PREFIX_HOSTED, off);
	if (c->details.len > 0)
		memcpy(m + off, c->details.data, c->details.len);
	wa_hmac_sha256(adv_secret, WA_ADV_SECRET_LEN, m,
	    off + c->details.len, mac);
	free(m);
	ok = wa_ct_equal(mac, c->hmac.data, WA_SHA256_LEN);
	sodium_memzero(mac, sizeof(mac));
	if (!ok) {
		log_warnx("wa_pair_success_verify: hmac mismatch");
		return WA_PAIR_HMAC_MISMATCH;
	}
	return WA_PAIR_OK;
}

/*
 * Build prefix || details || a || b into a fresh buffer (b may be
 * NULL); the caller frees it.  *lenp gets the length.
 */
static uint8_t *
sig_message(const uint8_t prefix[2], const ProtobufCBinaryData *details,
    const uint8_t *a, const uint8_t *b, size_t *lenp)
{
	uint8_t		*m;
	size_t		 n;

	n = 2 + details->len + WA_KEY_LEN + (b != NULL ? WA_KEY_LEN : 0);
	m = xmalloc(n);
	memcpy(m, prefix, 2);
	if (details->len > 0)
		memcpy(m + 2, details->data, details->len);
	memcpy(m + 2 + details->len, a, WA_KEY_LEN);
	if (b != NULL)
		memcpy(m + 2 + details->len + WA_KEY_LEN, b, WA_KEY_LEN);
	*lenp = n;
	return m;
}

/*
 * Steps 4 and 5 of spec 6.5 on an unpacked ADVSignedDeviceIdentity:
 * check the account signature, then make our device signature.
 */
static enum wa_pair_err
pair_sign(const Wamd__ADVSignedDeviceIdentity *sdi, int is_hosted,
    const struct wa_keypair *identity, const uint8_t z[WA_SIG_RANDOM_LEN],
    struct wa_pair_result *out)
{
	uint8_t		*m;
	size_t		 mlen;
	int		 rc;

	if (!sdi->has_accountsignaturekey ||
	    sdi->accountsignaturekey.len != WA_KEY_LEN ||
	    !sdi->has_accountsignature ||
	    sdi->accountsignature.len != WA_SIG_LEN) {
		log_warnx("wa_pair_success_verify: account key or signature "
		    "missing or of the wrong size");
		return WA_PAIR_SIGNATURE_MISMATCH;
	}
	m = sig_message(is_hosted ? PREFIX_HOSTED : PREFIX_ACCOUNT,
	    &sdi->details, identity->pub, NULL, &mlen);
	rc = wa_xeddsa_verify(sdi->accountsignaturekey.data, m, mlen,
	    sdi->accountsignature.data);
	free(m);
	if (rc != 1) {
		log_warnx("wa_pair_success_verify: account signature does "
		    "not verify");
		return WA_PAIR_SIGNATURE_MISMATCH;
	}
	memcpy(out->account_sig_key, sdi->accountsignaturekey.data,
	    WA_KEY_LEN);

	m = sig_message(PREFIX_DEVICE, &sdi->details, identity->pub,
	    out->account_sig_key, &mlen);
	if (z != NULL)
		rc = wa_xeddsa_sign_z(identity->priv, m, mlen, z,
		    out->device_sig);
	else
		rc = wa_xeddsa_sign(identity->priv, m, mlen, out->device_sig);
	free(m);
	return rc == 0 ? WA_PAIR_OK : WA_PAIR_INTERNAL;
}

/*
 * Pack sdi into dst (WA_CREDS_ACCOUNT_MAX bytes).  Returns 0, or -1
 * (logged) if it does not fit.
 */
static int
pair_pack(const Wamd__ADVSignedDeviceIdentity *sdi, uint8_t *dst,
    size_t *lenp, const char *what)
{
	size_t	 n;

	n = wamd__advsigned_device_identity__get_packed_size(sdi);
	if (n > WA_CREDS_ACCOUNT_MAX) {
		log_warnx("wa_pair_success_verify: %s of %zu bytes too long",
		    what, n);
		return -1;
	}
	*lenp = wamd__advsigned_device_identity__pack(sdi, dst);
	return *lenp == n ? 0 : -1;
}

/* Steps 3 to 8 once the HMAC is good. */
static enum wa_pair_err
pair_identity(const ProtobufCBinaryData *details,
    const struct wa_keypair *identity, const uint8_t *z,
    struct wa_pair_result *out)
{
	Wamd__ADVSignedDeviceIdentity	*sdi = NULL;
	Wamd__ADVDeviceIdentity		*di = NULL;
	ProtobufCBinaryData		 key;
	enum wa_pair_err		 err = WA_PAIR_MALFORMED;

	sdi = wamd__advsigned_device_identity__unpack(NULL, details->len,
	    details->data);
	if (sdi == NULL || !sdi->has_details) {
		log_warnx("wa_pair_success_verify: bad signed identity");
		goto out;
	}
	di = wamd__advdevice_identity__unpack(NULL, sdi->details.len,
	    sdi->details.data);
	if (di == NULL) {
		log_warnx("wa_pair_success_verify: bad device identity");
		goto out;
	}
	out->key_index = di->has_keyindex ? di->keyindex : 0;
	out->raw_id = di->has_rawid ? di->rawid : 0;
	out->timestamp = di->has_timestamp ? di->timestamp : 0;
	out->is_hosted = di->has_devicetype &&
	    di->devicetype == WAMD__ADVENCRYPTION_TYPE__HOSTED;

	if ((err = pair_sign(sdi, out->is_hosted, identity, z, out)) !=
	    WA_PAIR_OK)
		goto out;

	/* Step 7: store it with our device signature. */
	sdi->has_devicesignature = 1;
	sdi->devicesignature.data = out->device_sig;
	sdi->devicesignature.len = WA_SIG_LEN;
	err = WA_PAIR_INTERNAL;
	if (pair_pack(sdi, out->account, &out->account_len, "account") == -1)
		goto restore;
	/* Step 8: the reply omits accountSignatureKey (field 2). */
	key = sdi->accountsignaturekey;
	sdi->has_accountsignaturekey = 0;
	sdi->accountsignaturekey.data = NULL;
	sdi->accountsignaturekey.len = 0;
	if (pair_pack(sdi, out->reply, &out->reply_len, "reply") == 0)
		err = WA_PAIR_OK;
	sdi->has_accountsignaturekey = 1;
	sdi->accountsignaturekey = key;
restore:
	/* free_unpacked must not free our stack buffer. */
	sdi->has_devicesignature = 0;
	sdi->devicesignature.data = NULL;
	sdi->devicesignature.len = 0;
out:
	if (di != NULL)
		wamd__advdevice_identity__free_unpacked(di, NULL);
	if (sdi != NULL)
		wamd__advsigned_device_identity__free_unpacked(sdi, NULL);
	return err;
}

enum wa_pair_err
wa_pair_success_verify_z(const uint8_t *identity_bytes, size_t len,
    const uint8_t adv_secret[WA_ADV_SECRET_LEN],
    const struct wa_keypair *identity, const uint8_t z[WA_SIG_RANDOM_LEN],
    struct wa_pair_result *out)
{
	Wamd__ADVSignedDeviceIdentityHMAC	*c = NULL;
	enum wa_pair_err			 err = WA_PAIR_MALFORMED;
	int					 hosted;

	memset(out, 0, sizeof(*out));
	if (identity_bytes == NULL || len == 0 ||
	    len > WA_PAIR_IDENTITY_MAX) {
		log_warnx("%s: device identity of %zu bytes", __func__, len);
		goto out;
	}
	c = wamd__advsigned_device_identity_hmac__unpack(NULL, len,
	    identity_bytes);
	if (c == NULL || !c->has_details) {
		log_warnx("%s: bad device identity container", __func__);
		goto out;
	}
	if ((err = pair_check_hmac(c, adv_secret, &hosted)) != WA_PAIR_OK)
		goto out;
	err = pair_identity(&c->details, identity, z, out);
	out->is_hosted_hmac = hosted;
out:
	if (c != NULL)
		wamd__advsigned_device_identity_hmac__free_unpacked(c, NULL);
	if (err != WA_PAIR_OK)
		memset(out, 0, sizeof(*out));
	return err;
}

enum wa_pair_err
wa_pair_success_verify(const uint8_t *identity_bytes, size_t len,
    const uint8_t adv_secret[WA_ADV_SECRET_LEN],
    const struct wa_keypair *identity, struct wa_pair_result *out)
{

	return wa_pair_success_verify_z(identity_bytes, len, adv_secret,
	    identity, NULL, out);
}
