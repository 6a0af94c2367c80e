/*
 * Unit tests for daemon/wa/payload.c: the registration and login
 * ClientPayloads and DeviceProps byte for byte against
 * wa-md-protocol.md Appendix A (vectors.json "client_payload"), the
 * default HistorySyncConfig and version handling decoded field by
 * field, and the refusals (bad version, bad JID, missing keys).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "wa-md.pb-c.h"

#include "buf.h"
#include "crypto.h"
#include "keys.h"
#include "payload.h"
#include "t.h"
#include "wa_vec.h"

static uint8_t	 ident_pub[32], spk_pub[32], spk_sig[64];

/* The vector's registration inputs (spec Appendix A). */
static int
vec_cfg(struct wa_payload_cfg *cfg)
{

	memset(cfg, 0, sizeof(*cfg));
	if (vec_fixed("keys.client_identity.pub", ident_pub, 32) != 0 ||
	    vec_fixed("keys.client_signed_prekey.pub", spk_pub, 32) != 0 ||
	    vec_fixed("client_payload.signed_prekey_signature", spk_sig,
	    64) != 0)
		return 0;
	cfg->version = vec_str("client_payload.version");
	cfg->os = "wadesk";
	cfg->omit_history_sync = 1;
	cfg->registration_id = 0x1234;
	cfg->identity_pub = ident_pub;
	cfg->spk_id = 1;
	cfg->spk_pub = spk_pub;
	cfg->spk_sig = spk_sig;
	cfg->username = 15551234567ULL;
	cfg->device = 12;
	return cfg->version != NULL;
}

static int
vec_eq(const struct buf *got, const char *path)
{
	struct buf	 b;
	int		 ok;

	buf_init(&b);
	ok = vec_bytes(path, &b) == 0 && T_INTEQ(got->len, b.len) &&
	    T_MEMEQ(got->data, b.data, b.len);
	buf_free(&b);
	return ok;
}

static int
version_parse_good(void)
{
	uint32_t	 v[3];

	return T_INTEQ(wa_payload_version_parse("2.3000.1045649367", v), 0) &&
	    T_INTEQ(v[0], 2) && T_INTEQ(v[1], 3000) &&
	    T_INTEQ(v[2], 1045649367) &&
	    T_INTEQ(wa_payload_version_parse("0.0.4294967295", v), 0) &&
	    T_INTEQ(v[2], 4294967295LL);
}

static int
version_parse_bad(void)
{
	static const char *const bad[] = {
		"", "2", "2.3000", "2.3000.", "2..1", "2.3000.1.", "2.3000.1.4",
		"2.3000.x", " 2.1.1", "-2.1.1", "+2.1.1", "2.3000.4294967296",
		"2.3000.99999999999999999999999", "2.3000.1 ",
	};
	uint32_t		 v[3];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!T_INTEQ(wa_payload_version_parse(bad[i], v), -1)) {
			fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
			return 0;
		}
	return T_INTEQ(wa_payload_version_parse(NULL, v), -1);
}

static int
jid_parse(void)
{
	static const char *const bad[] = {
		"", "@s.whatsapp.net", "abc@s.whatsapp.net",
		"1:@s.whatsapp.net",
		"1:2", "1@", "1:4294967296@s.whatsapp.net", ":1@s",
		"99999999999999999999@s", "1:2:3@s",
	};
	uint64_t		 u;
	uint32_t		 d;
	size_t			 i;

	if (!T_INTEQ(wa_payload_jid_parse("15551234567:12@s.whatsapp.net", &u,
	    &d), 0) || !T_INTEQ(u, 15551234567LL) || !T_INTEQ(d, 12) ||
	    !T_INTEQ(wa_payload_jid_parse("15551234567@s.whatsapp.net", &u,
	    &d), 0) || !T_INTEQ(d, 0))
		return 0;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!T_INTEQ(wa_payload_jid_parse(bad[i], &u, &d), -1)) {
			fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
			return 0;
		}
	return 1;
}

/* The vector signature is the identity key's over 05 || spk pub. */
static int
signed_prekey_signature_verifies(void)
{
	struct wa_payload_cfg	 cfg;
	uint8_t			 msg[33];

	if (!vec_cfg(&cfg))
		return 0;
	msg[0] = 0x05;
	memcpy(msg + 1, spk_pub, 32);
	if (!T_INTEQ(wa_xeddsa_verify(ident_pub, msg, 33, spk_sig), 1))
		return 0;
	msg[1] ^= 1;
	return T_INTEQ(wa_xeddsa_verify(ident_pub, msg, 33, spk_sig), 0);
}

static int
device_props_vector(void)
{
	struct wa_payload_cfg	 cfg;
	struct buf		 b;
	int			 ok;

	buf_init(&b);
	ok = vec_cfg(&cfg);
	if (ok) {
		wa_payload_device_props(&cfg, &b);
		ok = vec_eq(&b, "client_payload.device_props");
	}
	buf_free(&b);
	return ok;
}

static int
registration_vector(void)
{
	struct wa_payload_cfg	 cfg;
	struct buf		 b;
	int			 ok;

	buf_init(&b);
	ok = vec_cfg(&cfg) && wa_payload_registration(&cfg, &b) == 0 &&
	    T_INTEQ(b.len, 263) && vec_eq(&b, "client_payload.registration");
	buf_free(&b);
	return ok;
}

static int
login_vector(void)
{
	struct wa_payload_cfg	 cfg;
	struct buf		 b;
	int			 ok;

	buf_init(&b);
	ok = vec_cfg(&cfg) && wa_payload_login(&cfg, &b) == 0 &&
	    vec_eq(&b, "client_payload.login");
	buf_free(&b);
	return ok;
}

/* With no version given, the default is used, also in buildHash. */
static int
default_version_and_build_hash(void)
{
	struct wa_payload_cfg	 cfg;
	struct buf		 a, b;
	int			 ok;

	buf_init(&a);
	buf_init(&b);
	ok = vec_cfg(&cfg) && T_STREQ(cfg.version, WA_PAYLOAD_VERSION) &&
	    wa_payload_registration(&cfg, &a) == 0;
	cfg.version = NULL;
	ok = ok && wa_payload_registration(&cfg, &b) == 0 &&
	    T_INTEQ(a.len, b.len) && T_MEMEQ(a.data, b.data, a.len);
	buf_free(&a);
	buf_free(&b);
	return ok;
}

/*
 * Another version, the whatsmeow DeviceProps with HistorySyncConfig and
 * a push name: decode and check each field.
 */
static int
custom_fields_decoded(void)
{
	static const char	 ver[] = "2.3000.1043857760";
	struct wa_payload_cfg	 cfg;
	struct buf		 b;
	Wamd__ClientPayload	*cp = NULL;
	Wamd__DeviceProps	*dp = NULL;
	Wamd__DeviceProps__HistorySyncConfig *h;
	uint8_t			 md5[16];
	int			 ok = 0;

	buf_init(&b);
	if (!vec_cfg(&cfg))
		goto out;
	cfg.version = ver;
	cfg.os = "Shop desk";
	cfg.omit_history_sync = 0;
	cfg.push_name = "Shop";
	cfg.registration_id = 0xdeadbeef;
	cfg.spk_id = 0x0a0b0c;
	if (wa_payload_registration(&cfg, &b) != 0 ||
	    (cp = wamd__client_payload__unpack(NULL, b.len,
	    (uint8_t *)b.data)) == NULL)
		goto out;
	wa_md5(ver, strlen(ver), md5);
	if (!T_TRUE(cp->useragent != NULL && cp->useragent->appversion !=
	    NULL) || !T_INTEQ(cp->useragent->appversion->tertiary,
	    1043857760) || !T_STREQ(cp->pushname, "Shop") ||
	    !T_TRUE(cp->has_username == 0 && cp->has_device == 0) ||
	    !T_TRUE(cp->devicepairingdata != NULL))
		goto out;
	if (!T_MEMEQ(cp->devicepairingdata->buildhash.data, md5, 16) ||
	    !T_MEMEQ(cp->devicepairingdata->eregid.data, "\xde\xad\xbe\xef",
	    4) || !T_MEMEQ(cp->devicepairingdata->eskeyid.data,
	    "\x0a\x0b\x0c", 3) ||
	    !T_INTEQ(cp->devicepairingdata->eskeyid.len, 3))
		goto out;
	if ((dp = wamd__device_props__unpack(NULL,
	    cp->devicepairingdata->deviceprops.len,
	    cp->devicepairingdata->deviceprops.data)) == NULL ||
	    !T_STREQ(dp->os, "Shop desk") ||
	    !T_TRUE((h = dp->historysyncconfig) != NULL))
		goto out;
	ok = T_INTEQ(h->storagequotamb, 10240) &&
	    T_INTEQ(h->thumbnailsyncdayslimit, 60) &&
	    T_TRUE(h->has_supportcallloghistory &&
	    h->supportcallloghistory) &&
	    T_TRUE(h->has_supportgrouphistory && h->supportgrouphistory) &&
	    T_TRUE(h->has_supporthatchhistory && h->supporthatchhistory) &&
	    T_TRUE(!h->has_fullsyncdayslimit && !h->has_supportguestchat) &&
	    T_TRUE(dp->has_requirefullsync && !dp->requirefullsync);
out:
	if (dp != NULL)
		wamd__device_props__free_unpacked(dp, NULL);
	if (cp != NULL)
		wamd__client_payload__free_unpacked(cp, NULL);
	buf_free(&b);
	return ok;
}

static int
refusals(void)
{
	struct wa_payload_cfg	 cfg;
	struct buf		 b;
	int			 ok;

	buf_init(&b);
	if (!vec_cfg(&cfg))
		return 0;
	cfg.spk_id = 0x1000000;
	ok = T_INTEQ(wa_payload_registration(&cfg, &b), -1);
	vec_cfg(&cfg);
	cfg.identity_pub = NULL;
	ok = ok && T_INTEQ(wa_payload_registration(&cfg, &b), -1);
	vec_cfg(&cfg);
	cfg.version = "2.3000";
	ok = ok && T_INTEQ(wa_payload_registration(&cfg, &b), -1) &&
	    T_INTEQ(wa_payload_login(&cfg, &b), -1);
	vec_cfg(&cfg);
	cfg.username = 0;
	ok = ok && T_INTEQ(wa_payload_login(&cfg, &b), -1) &&
	    T_INTEQ(b.len, 0);
	buf_free(&b);
	return ok;
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(version_parse_good),
		T_CASE(version_parse_bad),
		T_CASE(jid_parse),
		T_CASE(signed_prekey_signature_verifies),
		T_CASE(device_props_vector),
		T_CASE(registration_vector),
		T_CASE(login_vector),
		T_CASE(default_version_and_build_hash),
		T_CASE(custom_fields_decoded),
		T_CASE(refusals),
	};

	return t_run(cases, T_NCASES(cases));
}
