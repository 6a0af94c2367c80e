/*
 * libFuzzer target for pair-success handling (daemon/wa/pair.c) and
 * the other parsers of daemon/wa/keys.c.  The first input byte picks a
 * mode:
 *
 *   0  the rest is the <device-identity> content, verified as is with
 *      a fixed ADV secret: it must never verify (nobody can forge the
 *      HMAC);
 *   1  the rest is an ADVSignedDeviceIdentity: the harness wraps it in
 *      a container with a correct HMAC, so the bytes reach the inner
 *      parsers and the account-signature check with arbitrary keys and
 *      signatures; it must never verify either (the account signature
 *      cannot be forged);
 *   2  the rest is an ADVDeviceIdentity: the harness signs it with a
 *      fixed account key (06 00 prefix) and wraps it correctly, so the
 *      whole path runs to the reply.  It must verify exactly when the
 *      bytes parse and deviceType is not HOSTED, and the reply and the
 *      device signature must then be consistent;
 *   3  the rest is a credentials blob for wa_creds_decode; a blob that
 *      decodes must encode back to the same bytes;
 *   4  the rest is a pair-device ref for wa_qr_string.
 *
 * Any violated expectation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wa-md.pb-c.h"

#include "crypto.h"
#include "keys.h"
#include "log.h"
#include "pair.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wa_keypair	 ident, acct;
static uint8_t			 adv[32];
static struct wa_creds		*creds;
static int			 ready;

static void
setup(void)
{
	uint8_t		 k[32];

	if (ready)
		return;
	if (sodium_init() < 0)
		abort();
	log_init("fuzz_pair_success", LOG_LEVEL_ERROR);
	wa_sha256("fuzz-identity", 13, k);
	if (wa_keypair_from_private(&ident, k) != 0)
		abort();
	wa_sha256("fuzz-account", 12, k);
	if (wa_keypair_from_private(&acct, k) != 0)
		abort();
	wa_sha256("fuzz-adv", 8, adv);
	if ((creds = wa_creds_new()) == NULL)
		abort();
	ready = 1;
}

/* Wrap details in a container with a correct (E2EE) HMAC; verify. */
static enum wa_pair_err
verify_wrapped(const uint8_t *details, size_t len, struct wa_pair_result *r)
{
	Wamd__ADVSignedDeviceIdentityHMAC	 c =
	    WAMD__ADVSIGNED_DEVICE_IDENTITY_HMAC__INIT;
	uint8_t					 mac[32], *buf;
	size_t					 n;
	enum wa_pair_err			 e;

	wa_hmac_sha256(adv, sizeof(adv), details, len, mac);
	c.has_details = 1;
	c.details.data = (uint8_t *)details;
	c.details.len = len;
	c.has_hmac = 1;
	c.hmac.data = mac;
	c.hmac.len = sizeof(mac);
	n = wamd__advsigned_device_identity_hmac__get_packed_size(&c);
	if ((buf = malloc(n)) == NULL)
		abort();
	wamd__advsigned_device_identity_hmac__pack(&c, buf);
	e = wa_pair_success_verify(buf, n, adv, &ident, r);
	free(buf);
	return e;
}

static void
mode_signed(const uint8_t *di, size_t len)
{
	Wamd__ADVSignedDeviceIdentity	 sdi =
	    WAMD__ADVSIGNED_DEVICE_IDENTITY__INIT;
	Wamd__ADVDeviceIdentity		*p;
	struct wa_pair_result		 r;
	uint8_t				*m, *buf, sig[64];
	size_t				 n;
	int				 expect;

	if ((m = malloc(2 + len + 64)) == NULL)
		abort();
	m[0] = 0x06;
	m[1] = 0x00;
	if (len > 0)
		memcpy(m + 2, di, len);
	memcpy(m + 2 + len, ident.pub, 32);
	if (wa_xeddsa_sign(acct.priv, m, 2 + len + 32, sig) != 0)
		abort();
	sdi.has_details = 1;
	sdi.details.data = (uint8_t *)di;
	sdi.details.len = len;
	sdi.has_accountsignaturekey = 1;
	sdi.accountsignaturekey.data = acct.pub;
	sdi.accountsignaturekey.len = 32;
	sdi.has_accountsignature = 1;
	sdi.accountsignature.data = sig;
	sdi.accountsignature.len = 64;
	n = wamd__advsigned_device_identity__get_packed_size(&sdi);
	if ((buf = malloc(n)) == NULL)
		abort();
	wamd__advsigned_device_identity__pack(&sdi, buf);

	p = wamd__advdevice_identity__unpack(NULL, len, di);
	/* The stored account adds 66 bytes (field 4) and must fit. */
	expect = p != NULL && !(p->has_devicetype &&
	    p->devicetype == WAMD__ADVENCRYPTION_TYPE__HOSTED) &&
	    n + 66 <= WA_CREDS_ACCOUNT_MAX;
	if (verify_wrapped(buf, n, &r) == WA_PAIR_OK) {
		if (!expect || r.reply_len + 34 != r.account_len ||
		    memcmp(r.account_sig_key, acct.pub, 32) != 0 ||
		    r.key_index != (p->has_keyindex ? p->keyindex : 0))
			abort();
		/* The device signature covers 06 01 || det || id || acct. */
		m[1] = 0x01;
		memcpy(m + 2 + len + 32, acct.pub, 32);
		if (wa_xeddsa_verify(ident.pub, m, 2 + len + 64,
		    r.device_sig) != 1)
			abort();
	} else if (expect)
		abort();
	if (p != NULL)
		wamd__advdevice_identity__free_unpacked(p, NULL);
	free(buf);
	free(m);
}

static void
mode_creds(const uint8_t *in, size_t len)
{
	uint8_t		 out[WA_CREDS_ENC_MAX];
	size_t		 n;

	if (wa_creds_decode(creds, in, len) != 0)
		return;
	if (wa_creds_encode(creds, out, sizeof(out), &n) != 0 || n != len ||
	    memcmp(out, in, len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wa_pair_result	 r;
	char			*s;

	setup();
	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		if (wa_pair_success_verify(data + 1, size - 1, adv, &ident,
		    &r) == WA_PAIR_OK)
			abort();
		break;
	case 1:
		if (verify_wrapped(data + 1, size - 1, &r) == WA_PAIR_OK)
			abort();
		break;
	case 2:
		mode_signed(data + 1, size - 1);
		break;
	case 3:
		mode_creds(data + 1, size - 1);
		break;
	default:
		s = wa_qr_string(data + 1, size - 1, ident.pub, acct.pub, adv,
		    "9");
		free(s);
		break;
	}
	return 0;
}
