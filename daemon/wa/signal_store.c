/*
 * libsignal's store callback tables (signal_protocol.h) over struct
 * wa_store (wa.h), for one account.  Our identity key pair, the
 * registration id and the signed pre-key come from the credentials
 * (keys.h struct wa_creds), as whatsmeow keeps them in its device
 * store (store/signal.go GetIdentityKeyPair, GetLocalRegistrationID,
 * LoadSignedPreKey).  One-time pre-keys are stored as their bare
 * 32-byte private halves (what the upload handed up through wa.h
 * prekeys_new) and turned into libsignal records on load; sessions,
 * remote identities and sender keys are libsignal's own serialized
 * records.  Trust follows whatsmeow's sqlstore IsTrustedIdentity: an
 * unknown identity is trusted (saved after the session is built), a
 * known one only if it is the same key; message.go handles the
 * untrusted case by clearing the identity and the session (client_msg.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curve.h>
#include <key_helper.h>
#include <sender_key.h>
#include <session_pre_key.h>
#include <signal_protocol.h>

#include "crypto.h"
#include "log.h"
#include "wasignal.h"
#include "xalloc.h"

#define	KEY_MAX		300	/* store keys, incl. NUL (wa.h: 256) */

/* What every callback gets as user_data. */
struct	sst {
	signal_context		*ctx;		/* borrowed */
	const struct wa_store	*st;		/* borrowed */
	const struct wa_creds	*cr;		/* borrowed */
};

/* "name.device" of a Signal address (wasignal.h). */
int
wa_signal_addr_key(const signal_protocol_address *a, char *out, size_t outsz)
{
	int	 n;

	if (a->name_len > 200 || memchr(a->name, '\0', a->name_len) != NULL)
		return -1;
	n = snprintf(out, outsz, "%.*s.%" PRId32, (int)a->name_len, a->name,
	    a->device_id);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/* Load kind/key into a fresh signal_buffer: 1, 0 absent, <0 error. */
static int
sst_load(const struct sst *s, enum wa_store_kind kind, const char *key,
    signal_buffer **out)
{
	uint8_t		*v = NULL;
	size_t		 len = 0;
	int		 rc;

	*out = NULL;
	rc = s->st->get(s->st->user, kind, key, &v, &len);
	if (rc != 1)
		return rc == 0 ? 0 : SG_ERR_UNKNOWN;
	*out = signal_buffer_create(v, len);
	wa_memzero(v, len);
	free(v);
	return *out == NULL ? SG_ERR_NOMEM : 1;
}

static int
sst_put(const struct sst *s, enum wa_store_kind kind, const char *key,
    const uint8_t *v, size_t len)
{

	return s->st->put(s->st->user, kind, key, v, len) == 0 ? 0 :
	    SG_ERR_UNKNOWN;
}

/* ---- sessions ---- */

static int
ss_load(signal_buffer **rec, signal_buffer **urec,
    const signal_protocol_address *a, void *u)
{
	char	 key[KEY_MAX];

	*urec = NULL;
	if (wa_signal_addr_key(a, key, sizeof(key)) == -1)
		return SG_ERR_INVAL;
	return sst_load(u, WA_STORE_SESSION, key, rec);
}

/* Device lists come from usync (whatsmeow usync.go), never from the
 * session store, and libsignal itself never asks: refuse. */
static int
ss_sub_devices(signal_int_list **l, const char *name, size_t len, void *u)
{

	*l = NULL;
	return SG_ERR_UNKNOWN;
}

static int
ss_store(const signal_protocol_address *a, uint8_t *rec, size_t len,
    uint8_t *urec, size_t ulen, void *u)
{
	char	 key[KEY_MAX];

	if (wa_signal_addr_key(a, key, sizeof(key)) == -1)
		return SG_ERR_INVAL;
	return sst_put(u, WA_STORE_SESSION, key, rec, len);
}

static int
ss_contains(const signal_protocol_address *a, void *u)
{
	signal_buffer	*b = NULL;
	char		 key[KEY_MAX];
	int		 rc;

	if (wa_signal_addr_key(a, key, sizeof(key)) == -1)
		return 0;
	rc = sst_load(u, WA_STORE_SESSION, key, &b);
	signal_buffer_bzero_free(b);
	return rc == 1;
}

static int
ss_delete(const signal_protocol_address *a, void *u)
{
	const struct sst	*s = u;
	char			 key[KEY_MAX];
	int			 n;

	if (wa_signal_addr_key(a, key, sizeof(key)) == -1)
		return SG_ERR_INVAL;
	n = s->st->del(s->st->user, WA_STORE_SESSION, key, 0);
	return n < 0 ? SG_ERR_UNKNOWN : n > 0;
}

static int
ss_delete_all(const char *name, size_t len, void *u)
{
	const struct sst	*s = u;
	char			 key[KEY_MAX];
	int			 n;

	if (len > 200 || memchr(name, '\0', len) != NULL)
		return SG_ERR_INVAL;
	snprintf(key, sizeof(key), "%.*s.", (int)len, name);
	n = s->st->del(s->st->user, WA_STORE_SESSION, key, 1);
	return n < 0 ? SG_ERR_UNKNOWN : n;
}

/* ---- one-time pre-keys ---- */

/* A libsignal pre-key record for "id" from the 32-byte private half. */
static int
pk_record(signal_context *ctx, uint32_t id, const uint8_t *priv, size_t len,
    signal_buffer **out)
{
	ec_private_key		*sk = NULL;
	ec_public_key		*pk = NULL;
	ec_key_pair		*kp = NULL;
	session_pre_key		*rec = NULL;
	int			 rc;

	*out = NULL;
	if (len != WA_KEY_LEN)
		return SG_ERR_INVALID_KEY;
	if ((rc = curve_decode_private_point(&sk, priv, len, ctx)) == 0 &&
	    (rc = curve_generate_public_key(&pk, sk)) == 0 &&
	    (rc = ec_key_pair_create(&kp, pk, sk)) == 0 &&
	    (rc = session_pre_key_create(&rec, id, kp)) == 0)
		rc = session_pre_key_serialize(out, rec);
	SIGNAL_UNREF(rec);
	SIGNAL_UNREF(kp);
	SIGNAL_UNREF(pk);
	SIGNAL_UNREF(sk);
	return rc;
}

static int
pks_load(signal_buffer **rec, uint32_t id, void *u)
{
	const struct sst	*s = u;
	signal_buffer		*b = NULL;
	char			 key[16];
	int			 rc;

	*rec = NULL;
	snprintf(key, sizeof(key), "%" PRIu32, id);
	if ((rc = sst_load(s, WA_STORE_PREKEY, key, &b)) != 1)
		return rc == 0 ? SG_ERR_INVALID_KEY_ID : rc;
	rc = pk_record(s->ctx, id, signal_buffer_data(b),
	    signal_buffer_len(b), rec);
	signal_buffer_bzero_free(b);
	return rc;
}

/* Keep the private half only, as the upload path does. */
static int
pks_store(uint32_t id, uint8_t *rec, size_t len, void *u)
{
	const struct sst	*s = u;
	session_pre_key		*pk = NULL;
	signal_buffer		*priv = NULL;
	char			 key[16];
	int			 rc;

	if ((rc = session_pre_key_deserialize(&pk, rec, len, s->ctx)) != 0)
		return rc;
	rc = ec_private_key_serialize(&priv,
	    ec_key_pair_get_private(session_pre_key_get_key_pair(pk)));
	SIGNAL_UNREF(pk);
	if (rc != 0)
		return rc;
	snprintf(key, sizeof(key), "%" PRIu32, id);
	rc = sst_put(s, WA_STORE_PREKEY, key, signal_buffer_data(priv),
	    signal_buffer_len(priv));
	signal_buffer_bzero_free(priv);
	return rc;
}

static int
pks_contains(uint32_t id, void *u)
{
	signal_buffer	*b = NULL;
	char		 key[16];
	int		 rc;

	snprintf(key, sizeof(key), "%" PRIu32, id);
	rc = sst_load(u, WA_STORE_PREKEY, key, &b);
	signal_buffer_bzero_free(b);
	return rc == 1;
}

/* After a pre-key message used it (whatsmeow RemovePreKey). */
static int
pks_remove(uint32_t id, void *u)
{
	const struct sst	*s = u;
	char			 key[16];

	snprintf(key, sizeof(key), "%" PRIu32, id);
	return s->st->del(s->st->user, WA_STORE_PREKEY, key, 0) < 0 ?
	    SG_ERR_UNKNOWN : 0;
}

/* ---- the signed pre-key: from the credentials only ---- */

static int
spk_load(signal_buffer **rec, uint32_t id, void *u)
{
	const struct sst	*s = u;
	ec_private_key		*sk = NULL;
	ec_public_key		*pk = NULL;
	ec_key_pair		*kp = NULL;
	session_signed_pre_key	*spk = NULL;
	int			 rc;

	*rec = NULL;
	if (id != s->cr->signed_pre_key_id)
		return SG_ERR_INVALID_KEY_ID;
	if ((rc = curve_decode_private_point(&sk,
	    s->cr->signed_pre_key.priv, WA_KEY_LEN, s->ctx)) == 0 &&
	    (rc = curve_generate_public_key(&pk, sk)) == 0 &&
	    (rc = ec_key_pair_create(&kp, pk, sk)) == 0 &&
	    (rc = session_signed_pre_key_create(&spk, id, 0, kp,
	    s->cr->signed_pre_key_sig, WA_SIG_LEN)) == 0)
		rc = session_signed_pre_key_serialize(rec, spk);
	SIGNAL_UNREF(spk);
	SIGNAL_UNREF(kp);
	SIGNAL_UNREF(pk);
	SIGNAL_UNREF(sk);
	return rc;
}

/* The signed pre-key is made at pairing and never rotated (whatsmeow
 * does not rotate it either): libsignal never stores one. */
static int
spk_store(uint32_t id, uint8_t *rec, size_t len, void *u)
{

	return SG_ERR_UNKNOWN;
}

static int
spk_contains(uint32_t id, void *u)
{
	const struct sst	*s = u;

	return id == s->cr->signed_pre_key_id;
}

static int
spk_remove(uint32_t id, void *u)
{

	return 0;
}

/* ---- identities ---- */

static int
id_pair(signal_buffer **pub, signal_buffer **priv, void *u)
{
	const struct sst	*s = u;
	uint8_t			 p[1 + WA_KEY_LEN];

	p[0] = WA_DJB_TYPE;
	memcpy(p + 1, s->cr->identity_key.pub, WA_KEY_LEN);
	*pub = signal_buffer_create(p, sizeof(p));
	*priv = signal_buffer_create(s->cr->identity_key.priv, WA_KEY_LEN);
	if (*pub == NULL || *priv == NULL) {
		signal_buffer_free(*pub);
		signal_buffer_bzero_free(*priv);
		*pub = *priv = NULL;
		return SG_ERR_NOMEM;
	}
	return 0;
}

static int
id_regid(void *u, uint32_t *regid)
{
	const struct sst	*s = u;

	*regid = s->cr->registration_id;
	return 0;
}

static int
id_save(const signal_protocol_address *a, uint8_t *key, size_t len, void *u)
{
	const struct sst	*s = u;
	char			 k[KEY_MAX];

	if (wa_signal_addr_key(a, k, sizeof(k)) == -1)
		return SG_ERR_INVAL;
	if (key == NULL)
		return s->st->del(s->st->user, WA_STORE_IDENTITY, k, 0) < 0 ?
		    SG_ERR_UNKNOWN : 0;
	return sst_put(s, WA_STORE_IDENTITY, k, key, len);
}

static int
id_trusted(const signal_protocol_address *a, uint8_t *key, size_t len,
    void *u)
{
	signal_buffer	*b = NULL;
	char		 k[KEY_MAX];
	int		 rc;

	if (wa_signal_addr_key(a, k, sizeof(k)) == -1)
		return SG_ERR_INVAL;
	if ((rc = sst_load(u, WA_STORE_IDENTITY, k, &b)) <= 0)
		return rc == 0 ? 1 : rc;
	rc = signal_buffer_len(b) == len &&
	    wa_ct_equal(signal_buffer_data(b), key, len);
	signal_buffer_free(b);
	return rc;
}

/* ---- sender keys ---- */

static int
sk_key(const signal_protocol_sender_key_name *n, char *out, size_t outsz)
{
	char	 addr[KEY_MAX];
	int	 w;

	if (n->group_id_len > 200 ||
	    memchr(n->group_id, '\0', n->group_id_len) != NULL ||
	    memchr(n->group_id, '\n', n->group_id_len) != NULL ||
	    wa_signal_addr_key(&n->sender, addr, sizeof(addr)) == -1)
		return -1;
	w = snprintf(out, outsz, "%.*s\n%s", (int)n->group_id_len,
	    n->group_id, addr);
	return w < 0 || (size_t)w >= outsz ? -1 : 0;
}

static int
sk_store(const signal_protocol_sender_key_name *n, uint8_t *rec, size_t len,
    uint8_t *urec, size_t ulen, void *u)
{
	char	 key[2 * KEY_MAX];

	if (sk_key(n, key, sizeof(key)) == -1 || strlen(key) > 256)
		return SG_ERR_INVAL;
	return sst_put(u, WA_STORE_SENDER_KEY, key, rec, len);
}

static int
sk_load(signal_buffer **rec, signal_buffer **urec,
    const signal_protocol_sender_key_name *n, void *u)
{
	char	 key[2 * KEY_MAX];

	*urec = NULL;
	if (sk_key(n, key, sizeof(key)) == -1)
		return SG_ERR_INVAL;
	return sst_load(u, WA_STORE_SENDER_KEY, key, rec);
}

static void
sst_destroy(void *u)
{

	free(u);
}

/* The five store tables over "store" and "creds" (wasignal.h). */
int
wa_signal_store_new(signal_context *ctx, const struct wa_store *store,
    const struct wa_creds *creds, signal_protocol_store_context **out)
{
	signal_protocol_session_store		 ss = {
		ss_load, ss_sub_devices, ss_store, ss_contains, ss_delete,
		ss_delete_all, sst_destroy, NULL };
	signal_protocol_pre_key_store		 pks = {
		pks_load, pks_store, pks_contains, pks_remove, NULL, NULL };
	signal_protocol_signed_pre_key_store	 spks = {
		spk_load, spk_store, spk_contains, spk_remove, NULL, NULL };
	signal_protocol_identity_key_store	 ids = {
		id_pair, id_regid, id_save, id_trusted, NULL, NULL };
	signal_protocol_sender_key_store	 sks = {
		sk_store, sk_load, NULL, NULL };
	signal_protocol_store_context		*sc = NULL;
	struct sst				*s;

	*out = NULL;
	s = xcalloc(1, sizeof(*s));
	s->ctx = ctx;
	s->st = store;
	s->cr = creds;
	ss.user_data = pks.user_data = spks.user_data = ids.user_data =
	    sks.user_data = s;
	if (signal_protocol_store_context_create(&sc, ctx) != 0) {
		free(s);
		log_warnx("%s: store context", __func__);
		return -1;
	}
	/* The session store owns "s" (its destroy frees it). */
	if (signal_protocol_store_context_set_session_store(sc, &ss) != 0 ||
	    signal_protocol_store_context_set_pre_key_store(sc, &pks) != 0 ||
	    signal_protocol_store_context_set_signed_pre_key_store(sc,
	    &spks) != 0 ||
	    signal_protocol_store_context_set_identity_key_store(sc,
	    &ids) != 0 ||
	    signal_protocol_store_context_set_sender_key_store(sc,
	    &sks) != 0) {
		signal_protocol_store_context_destroy(sc);
		log_warnx("%s: setting the stores failed", __func__);
		return -1;
	}
	*out = sc;
	return 0;
}

/* A 05-prefixed public key object from 32 raw bytes. */
static int
pub_decode(signal_context *ctx, const uint8_t *raw, ec_public_key **out)
{
	uint8_t	 p[1 + WA_KEY_LEN];

	p[0] = WA_DJB_TYPE;
	memcpy(p + 1, raw, WA_KEY_LEN);
	return curve_decode_point(out, p, sizeof(p), ctx);
}

/* A pre-key bundle from raw keys (wasignal.h). */
int
wa_signal_bundle(signal_context *ctx, uint32_t regid, int device,
    uint32_t prekey_id, const uint8_t *prekey_pub, uint32_t spk_id,
    const uint8_t spk_pub[WA_KEY_LEN], const uint8_t spk_sig[WA_SIG_LEN],
    const uint8_t identity_pub[WA_KEY_LEN], session_pre_key_bundle **out)
{
	ec_public_key	*pk = NULL, *spk = NULL, *ik = NULL;
	int		 rc;

	*out = NULL;
	rc = pub_decode(ctx, spk_pub, &spk);
	if (rc == 0)
		rc = pub_decode(ctx, identity_pub, &ik);
	if (rc == 0 && prekey_pub != NULL)
		rc = pub_decode(ctx, prekey_pub, &pk);
	if (rc == 0)
		rc = session_pre_key_bundle_create(out, regid, device,
		    prekey_pub != NULL ? prekey_id : 0, pk, spk_id, spk,
		    spk_sig, WA_SIG_LEN, ik);
	SIGNAL_UNREF(pk);
	SIGNAL_UNREF(spk);
	SIGNAL_UNREF(ik);
	return rc == 0 ? 0 : -1;
}
