/*
 * ClientPayload builders (see payload.h).  Field values restate
 * wa-md-protocol.md section 4, which reads whatsmeow
 * store/clientpayload.go (2026-08-21): the base payload with
 * UserAgent{WEB, version, "000", "000", "0.1", "", "Desktop", "0.1",
 * RELEASE, "en", "US"}, WebInfo{WEB_BROWSER}, WIFI_UNKNOWN and
 * USER_ACTIVATED; then registration adds passive = false, pull = false
 * and DevicePairingRegistrationData, and login adds username, device,
 * passive = true, pull = true, lc = 1 and lidDbMigrated = true.  Proto2
 * presence is explicit: every value the references set is marked
 * present, including false, 0 and "".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wa-md.pb-c.h"

#include "buf.h"
#include "log.h"
#include "xalloc.h"
#include "crypto.h"
#include "payload.h"

/* UserAgent constants (spec 4.1, whatsmeow BaseClientPayload). */
#define	UA_MCC		"000"
#define	UA_MNC		"000"
#define	UA_OS_VERSION	"0.1"
#define	UA_MANUFACTURER	""
#define	UA_DEVICE	"Desktop"
#define	UA_OS_BUILD	"0.1"
#define	UA_LANGUAGE	"en"
#define	UA_COUNTRY	"US"

#define	KEY_TYPE_DJB	0x05	/* eKeytype, spec 4.3 */

/* Borrow a constant string where protobuf-c wants "char *". */
#define	PB_STR(s)	((char *)(uintptr_t)(s))

/*
 * Parse "n" decimal digits at "s" (no sign, no space, at least one
 * digit) into "out", refusing values above "max".  Returns 0 or -1.
 */
static int
parse_dec(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * Parse a WhatsApp Web version "P.S.T" ("2.3000.1045649367") into
 * v[0..2], each a decimal uint32 (spec 4.1: AppVersion primary,
 * secondary, tertiary).  Returns 0, or -1 (logged) if "s" is not three
 * dot-separated decimal numbers below 2^32.
 */
int
wa_payload_version_parse(const char *s, uint32_t v[3])
{
	const char	*p, *dot;
	uint64_t	 x;
	int		 i;

	if (s == NULL || strlen(s) > WA_PAYLOAD_VERSION_MAX)
		goto bad;
	for (p = s, i = 0; i < 3; i++) {
		dot = i < 2 ? strchr(p, '.') : p + strlen(p);
		if (dot == NULL ||
		    parse_dec(p, (size_t)(dot - p), UINT32_MAX, &x) != 0)
			goto bad;
		v[i] = (uint32_t)x;
		p = dot + 1;
	}
	return 0;
bad:
	log_warnx("%s: bad WhatsApp Web version \"%s\" (want P.S.T)",
	    __func__, s == NULL ? "(null)" : s);
	return -1;
}

/*
 * Parse a device JID "user[:device]@server" ("15551234567:12@s.
 * whatsapp.net") into the user as an integer and the device id (0 when
 * absent), as whatsmeow's getLoginPayload takes them from the stored
 * JID (spec 4.5).  Returns 0, or -1 (logged) on anything else.
 */
int
wa_payload_jid_parse(const char *jid, uint64_t *user, uint32_t *device)
{
	const char	*at, *colon;
	uint64_t	 d = 0;

	if (jid == NULL || (at = strchr(jid, '@')) == NULL ||
	    at[1] == '\0')
		goto bad;
	colon = memchr(jid, ':', (size_t)(at - jid));
	if (parse_dec(jid, (size_t)((colon != NULL ? colon : at) - jid),
	    UINT64_MAX, user) != 0)
		goto bad;
	if (colon != NULL && parse_dec(colon + 1, (size_t)(at - colon - 1),
	    UINT32_MAX, &d) != 0)
		goto bad;
	*device = (uint32_t)d;
	return 0;
bad:
	log_warnx("%s: not a device JID", __func__);
	return -1;
}

/* Append the protobuf encoding of "m" to "out". */
static void
pack_append(const ProtobufCMessage *m, struct buf *out)
{
	uint8_t	*tmp;
	size_t	 len;

	len = protobuf_c_message_get_packed_size(m);
	tmp = xmalloc(len > 0 ? len : 1);
	if (protobuf_c_message_pack(m, tmp) != len)
		fatalx("%s: protobuf-c packed a different size", __func__);
	buf_append(out, tmp, len);
	free(tmp);
}

/*
 * HistorySyncConfig as whatsmeow sends it (spec 4.4, "Values sent",
 * whatsmeow 2026-08; store/clientpayload.go DeviceProps).
 */
static void
history_sync_fill(Wamd__DeviceProps__HistorySyncConfig *h)
{

	h->has_storagequotamb = 1;
	h->storagequotamb = 10240;
	h->has_inlineinitialpayloadine2eemsg = 1;
	h->inlineinitialpayloadine2eemsg = 1;
	h->has_supportcallloghistory = 1;
	h->supportcallloghistory = 1;
	h->has_supportbotuseragentchathistory = 1;
	h->supportbotuseragentchathistory = 1;
	h->has_supportcagreactionsandpolls = 1;
	h->supportcagreactionsandpolls = 1;
	h->has_supportbizhostedmsg = 1;
	h->supportbizhostedmsg = 1;
	h->has_supportrecentsyncchunkmessagecounttuning = 1;
	h->supportrecentsyncchunkmessagecounttuning = 1;
	h->has_supporthostedgroupmsg = 1;
	h->supporthostedgroupmsg = 1;
	h->has_supportfbidbotchathistory = 1;
	h->supportfbidbotchathistory = 1;
	h->has_supportmessageassociation = 1;
	h->supportmessageassociation = 1;
	h->has_supportgrouphistory = 1;
	h->supportgrouphistory = 1;
	h->has_thumbnailsyncdayslimit = 1;
	h->thumbnailsyncdayslimit = 60;
	h->has_supportmanushistory = 1;
	h->supportmanushistory = 1;
	h->has_supporthatchhistory = 1;
	h->supporthatchhistory = 1;
}

/*
 * Append the serialized DeviceProps (spec 4.4) to "out": os = cfg->os
 * (default WA_PAYLOAD_OS), version 0.1.0, platformType UNKNOWN,
 * requireFullSync false, and whatsmeow's HistorySyncConfig unless
 * cfg->omit_history_sync.  Cannot fail.
 */
void
wa_payload_device_props(const struct wa_payload_cfg *cfg, struct buf *out)
{
	Wamd__DeviceProps			 dp = WAMD__DEVICE_PROPS__INIT;
	Wamd__DeviceProps__AppVersion		 v =
	    WAMD__DEVICE_PROPS__APP_VERSION__INIT;
	Wamd__DeviceProps__HistorySyncConfig	 h =
	    WAMD__DEVICE_PROPS__HISTORY_SYNC_CONFIG__INIT;

	dp.os = PB_STR(cfg->os != NULL ? cfg->os : WA_PAYLOAD_OS);
	v.has_primary = v.has_secondary = v.has_tertiary = 1;
	v.primary = 0;
	v.secondary = 1;
	v.tertiary = 0;
	dp.version = &v;
	dp.has_platformtype = 1;
	dp.platformtype = WAMD__DEVICE_PROPS__PLATFORM_TYPE__UNKNOWN;
	dp.has_requirefullsync = 1;
	dp.requirefullsync = 0;
	if (!cfg->omit_history_sync) {
		history_sync_fill(&h);
		dp.historysyncconfig = &h;
	}
	pack_append(&dp.base, out);
}

/*
 * The parts every payload shares (whatsmeow BaseClientPayload): the
 * caller's ClientPayload "cp" gets "ua", "av" and "wi" filled and
 * linked.  "v" is the parsed version.
 */
static void
base_fill(const struct wa_payload_cfg *cfg, const uint32_t v[3],
    Wamd__ClientPayload *cp, Wamd__ClientPayload__UserAgent *ua,
    Wamd__ClientPayload__UserAgent__AppVersion *av,
    Wamd__ClientPayload__WebInfo *wi)
{

	av->has_primary = av->has_secondary = av->has_tertiary = 1;
	av->primary = v[0];
	av->secondary = v[1];
	av->tertiary = v[2];
	ua->has_platform = 1;
	ua->platform = WAMD__CLIENT_PAYLOAD__USER_AGENT__PLATFORM__WEB;
	ua->appversion = av;
	ua->mcc = PB_STR(UA_MCC);
	ua->mnc = PB_STR(UA_MNC);
	ua->osversion = PB_STR(UA_OS_VERSION);
	ua->manufacturer = PB_STR(UA_MANUFACTURER);
	ua->device = PB_STR(UA_DEVICE);
	ua->osbuildnumber = PB_STR(UA_OS_BUILD);
	ua->has_releasechannel = 1;
	ua->releasechannel =
	    WAMD__CLIENT_PAYLOAD__USER_AGENT__RELEASE_CHANNEL__RELEASE;
	ua->localelanguageiso6391 = PB_STR(UA_LANGUAGE);
	ua->localecountryiso31661alpha2 = PB_STR(UA_COUNTRY);
	wi->has_websubplatform = 1;
	wi->websubplatform =
	    WAMD__CLIENT_PAYLOAD__WEB_INFO__WEB_SUB_PLATFORM__WEB_BROWSER;
	cp->useragent = ua;
	cp->webinfo = wi;
	cp->pushname = PB_STR(cfg->push_name);
	cp->has_connecttype = 1;
	cp->connecttype = WAMD__CLIENT_PAYLOAD__CONNECT_TYPE__WIFI_UNKNOWN;
	cp->has_connectreason = 1;
	cp->connectreason =
	    WAMD__CLIENT_PAYLOAD__CONNECT_REASON__USER_ACTIVATED;
}

/* Set "b" to "len" bytes at "p" (borrowed), marked present. */
static void
bin_set(protobuf_c_boolean *has, ProtobufCBinaryData *b, const void *p,
    size_t len)
{

	*has = 1;
	b->data = (uint8_t *)(uintptr_t)p;
	b->len = len;
}

/*
 * Append the registration ClientPayload for an unpaired companion to
 * "out" (spec 4.3, 4.5; whatsmeow getRegistrationPayload): the base
 * payload, passive = false, pull = false, and
 * DevicePairingRegistrationData{eRegid = registration id as 4 bytes
 * BE, eKeytype = 05, eIdent, eSkeyId = 3 bytes BE, eSkeyVal, eSkeySig,
 * buildHash = MD5("P.S.T"), deviceProps}.  Needs cfg->identity_pub,
 * spk_pub (32 bytes each) and spk_sig (64 bytes).  Returns 0, or -1
 * (logged) on a bad version, a missing key or spk_id >= 2^24.
 */
int
wa_payload_registration(const struct wa_payload_cfg *cfg, struct buf *out)
{
	Wamd__ClientPayload				 cp =
	    WAMD__CLIENT_PAYLOAD__INIT;
	Wamd__ClientPayload__UserAgent			 ua =
	    WAMD__CLIENT_PAYLOAD__USER_AGENT__INIT;
	Wamd__ClientPayload__UserAgent__AppVersion	 av =
	    WAMD__CLIENT_PAYLOAD__USER_AGENT__APP_VERSION__INIT;
	Wamd__ClientPayload__WebInfo			 wi =
	    WAMD__CLIENT_PAYLOAD__WEB_INFO__INIT;
	Wamd__ClientPayload__DevicePairingRegistrationData rd =
	    WAMD__CLIENT_PAYLOAD__DEVICE_PAIRING_REGISTRATION_DATA__INIT;
	struct buf					 props;
	uint32_t					 v[3];
	uint8_t						 regid[4], skid[3];
	uint8_t						 ktype = KEY_TYPE_DJB;
	uint8_t						 hash[WA_MD5_LEN];
	char						 vs[48];

	if (cfg->identity_pub == NULL || cfg->spk_pub == NULL ||
	    cfg->spk_sig == NULL) {
		log_warnx("%s: identity or signed pre-key missing", __func__);
		return -1;
	}
	if (cfg->spk_id > 0xffffff) {
		log_warnx("%s: signed pre-key id %u does not fit 3 bytes",
		    __func__, (unsigned int)cfg->spk_id);
		return -1;
	}
	if (wa_payload_version_parse(cfg->version != NULL ? cfg->version :
	    WA_PAYLOAD_VERSION, v) != 0)
		return -1;
	base_fill(cfg, v, &cp, &ua, &av, &wi);
	cp.has_passive = 1;
	cp.passive = 0;
	cp.has_pull = 1;
	cp.pull = 0;

	regid[0] = (uint8_t)(cfg->registration_id >> 24);
	regid[1] = (uint8_t)(cfg->registration_id >> 16);
	regid[2] = (uint8_t)(cfg->registration_id >> 8);
	regid[3] = (uint8_t)cfg->registration_id;
	skid[0] = (uint8_t)(cfg->spk_id >> 16);
	skid[1] = (uint8_t)(cfg->spk_id >> 8);
	skid[2] = (uint8_t)cfg->spk_id;
	snprintf(vs, sizeof(vs), "%u.%u.%u", (unsigned int)v[0],
	    (unsigned int)v[1], (unsigned int)v[2]);
	wa_md5(vs, strlen(vs), hash);
	buf_init(&props);
	wa_payload_device_props(cfg, &props);

	bin_set(&rd.has_eregid, &rd.eregid, regid, sizeof(regid));
	bin_set(&rd.has_ekeytype, &rd.ekeytype, &ktype, 1);
	bin_set(&rd.has_eident, &rd.eident, cfg->identity_pub, 32);
	bin_set(&rd.has_eskeyid, &rd.eskeyid, skid, sizeof(skid));
	bin_set(&rd.has_eskeyval, &rd.eskeyval, cfg->spk_pub, 32);
	bin_set(&rd.has_eskeysig, &rd.eskeysig, cfg->spk_sig, 64);
	bin_set(&rd.has_buildhash, &rd.buildhash, hash, sizeof(hash));
	bin_set(&rd.has_deviceprops, &rd.deviceprops, props.data, props.len);
	cp.devicepairingdata = &rd;
	pack_append(&cp.base, out);
	buf_free(&props);
	return 0;
}

/*
 * Append the login ClientPayload for a paired companion to "out"
 * (spec 4.5; whatsmeow getLoginPayload): the base payload, username =
 * cfg->username, device = cfg->device, passive = true, pull = true,
 * lc = 1, lidDbMigrated = true.  Returns 0, or -1 (logged) on a bad
 * version or a zero username.
 */
int
wa_payload_login(const struct wa_payload_cfg *cfg, struct buf *out)
{
	Wamd__ClientPayload				 cp =
	    WAMD__CLIENT_PAYLOAD__INIT;
	Wamd__ClientPayload__UserAgent			 ua =
	    WAMD__CLIENT_PAYLOAD__USER_AGENT__INIT;
	Wamd__ClientPayload__UserAgent__AppVersion	 av =
	    WAMD__CLIENT_PAYLOAD__USER_AGENT__APP_VERSION__INIT;
	Wamd__ClientPayload__WebInfo			 wi =
	    WAMD__CLIENT_PAYLOAD__WEB_INFO__INIT;
	uint32_t					 v[3];

	if (cfg->username == 0) {
		log_warnx("%s: no username (phone number)", __func__);
		return -1;
	}
	if (wa_payload_version_parse(cfg->version != NULL ? cfg->version :
	    WA_PAYLOAD_VERSION, v) != 0)
		return -1;
	base_fill(cfg, v, &cp, &ua, &av, &wi);
	cp.has_username = 1;
	cp.username = cfg->username;
	cp.has_device = 1;
	cp.device = cfg->device;
	cp.has_passive = 1;
	cp.passive = 1;
	cp.has_pull = 1;
	cp.pull = 1;
	cp.has_lc = 1;
	cp.lc = 1;
	cp.has_liddbmigrated = 1;
	cp.liddbmigrated = 1;
	pack_append(&cp.base, out);
	return 0;
}
