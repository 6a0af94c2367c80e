/*
 * The Noise XX handshake as WhatsApp runs it, client side, and the
 * transport cipher after it (see noise.h).  Spec:
 * /work/shared/protocol/wa-md-protocol.md section 2 (whatsmeow
 * socket/noisehandshake.go and handshake.go, Baileys
 * src/Utils/noise-handler.ts).  Names follow the Noise specification:
 * h, ck, k, n, MixHash, MixKey, EncryptAndHash, DecryptAndHash, Split.
 *
 * The one deviation from standard Noise (spec 2.4): the empty payload
 * of message 1 is not hashed, so after MixHash(e.pub) the next step is
 * MixHash(re).  A stock Noise library fails the first decryption.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wa-md.pb-c.h"

#include "buf.h"
#include "log.h"
#include "xalloc.h"
#include "crypto.h"
#include "noise.h"

/*
 * WhatsApp's root (spec 3.2; whatsmeow handshake.go WACertPubKey,
 * Baileys src/Defaults WA_CERT_DETAILS.PUBLIC_KEY).
 */
const uint8_t	wa_noise_root_key[WA_NOISE_KEY_LEN] = {
	0x14, 0x23, 0x75, 0x57, 0x4d, 0x0a, 0x58, 0x71,
	0x66, 0xaa, 0xe7, 0x1e, 0xbe, 0x51, 0x64, 0x37,
	0xc4, 0xa2, 0x8b, 0x73, 0xe3, 0x69, 0x5c, 0x6c,
	0xe1, 0xf7, 0xf9, 0x54, 0x5d, 0xa8, 0xee, 0x6b,
};

static const char *const hs_errstr[WA_HS__MAX] = {
	"no error",					/* WA_HS_OK */
	"handshake step out of order",			/* WA_HS_ESTATE */
	"malformed ServerHello",			/* WA_HS_EMALFORMED */
	"server key gives an all-zero shared secret",	/* WA_HS_EDH */
	"ServerHello decryption failed (tampered or wrong key)",
							/* WA_HS_EDECRYPT */
	"malformed or incomplete certificate chain",	/* WA_HS_ECERT */
	"intermediate certificate not signed by the root key",
							/* WA_HS_EROOTSIG */
	"leaf certificate not signed by the intermediate",
							/* WA_HS_ELEAFSIG */
	"certificate issuer serial mismatch",		/* WA_HS_EISSUER */
	"certificate expired or not yet valid",		/* WA_HS_EEXPIRED */
	"leaf certificate key is not the server static key",
							/* WA_HS_ELEAFKEY */
	"internal error",				/* WA_HS_EINTERNAL */
	"handshake message too long",			/* WA_HS_ETOOLONG */
};

/*
 * The AES-GCM nonce for counter "n": 8 zero bytes, then n as a 4-byte
 * big-endian number (spec 2.2; whatsmeow socket generateIV, Baileys
 * generateIV).  Writes 12 bytes to "iv".
 */
void
wa_noise_iv(uint32_t n, uint8_t iv[12])
{

	memset(iv, 0, 8);
	iv[8] = (uint8_t)(n >> 24);
	iv[9] = (uint8_t)(n >> 16);
	iv[10] = (uint8_t)(n >> 8);
	iv[11] = (uint8_t)n;
}

/*
 * InitializeSymmetric with WhatsApp's protocol name (32 bytes, so h is
 * the name itself, unhashed), ck = h, no key, n = 0; then MixHash of
 * "len" bytes of "prologue" (normally WA_NOISE_PROLOGUE, spec 2.1).
 */
void
wa_noise_init(struct wa_noise *ns, const uint8_t *prologue, size_t len)
{

	memset(ns, 0, sizeof(*ns));
	memcpy(ns->h, WA_NOISE_NAME, WA_NOISE_NAME_LEN);
	memcpy(ns->ck, ns->h, WA_NOISE_HASH_LEN);
	wa_noise_mix_hash(ns, prologue, len);
}

/* MixHash: h = SHA-256(h || data), "len" bytes of "data" (spec 2.2). */
void
wa_noise_mix_hash(struct wa_noise *ns, const void *data, size_t len)
{
	uint8_t	 h[WA_NOISE_HASH_LEN];

	wa_sha256_concat(ns->h, sizeof(ns->h), data, len, h);
	memcpy(ns->h, h, sizeof(h));
}

/*
 * MixKey: (ck, k) = HKDF-SHA256(salt = ck, ikm, info = "", 64 bytes),
 * n = 0 (spec 2.2; whatsmeow names the halves write/read).  "ikm" is
 * "len" bytes, normally a 32-byte X25519 result.  Returns 0, or -1
 * (logged by wa_hkdf_sha256).
 */
int
wa_noise_mix_key(struct wa_noise *ns, const uint8_t *ikm, size_t len)
{
	uint8_t	 out[2 * WA_NOISE_HASH_LEN];

	if (wa_hkdf_sha256(ns->ck, sizeof(ns->ck), ikm, len, NULL, 0, out,
	    sizeof(out)) != 0)
		return -1;
	memcpy(ns->ck, out, WA_NOISE_HASH_LEN);
	memcpy(ns->k, out + WA_NOISE_HASH_LEN, WA_NOISE_KEY_LEN);
	ns->n = 0;
	ns->has_k = 1;
	wa_memzero(out, sizeof(out));
	return 0;
}

/* Refuse to use nonce 2^32 - 1 and beyond: the IV holds only 32 bits. */
static int
nonce_ok(uint32_t n, const char *func)
{

	if (n == UINT32_MAX) {
		log_warnx("%s: nonce exhausted", func);
		return 0;
	}
	return 1;
}

/*
 * EncryptAndHash: replace the contents of "out" with AES-256-GCM(k,
 * IV(n), aad = h, "len" bytes of "pt") = len + 16 bytes, then n += 1 and
 * MixHash(ciphertext) (spec 2.2).  "out" must not alias "pt".
 * Returns 0, or -1 (logged) before the first MixKey, when n is
 * exhausted, or on an AES failure; the state is then unusable.
 */
int
wa_noise_encrypt_and_hash(struct wa_noise *ns, const uint8_t *pt,
    size_t len, struct buf *out)
{
	static const uint8_t	 tag[WA_NOISE_TAG_LEN];
	uint8_t			 iv[12];

	if (!ns->has_k) {
		log_warnx("%s: no key yet", __func__);
		return -1;
	}
	if (!nonce_ok(ns->n, __func__))
		return -1;
	buf_reset(out);
	if (len > 0)
		buf_append(out, pt, len);
	buf_append(out, tag, sizeof(tag));
	wa_noise_iv(ns->n, iv);
	if (wa_aes256_gcm_encrypt(ns->k, iv, ns->h, sizeof(ns->h),
	    (uint8_t *)out->data, len, (uint8_t *)out->data) != 0)
		return -1;
	ns->n++;
	wa_noise_mix_hash(ns, out->data, out->len);
	return 0;
}

/*
 * DecryptAndHash: replace the contents of "out" with the plaintext of
 * "len" bytes of "ct" (ciphertext then 16-byte tag) under k, IV(n),
 * aad = h; then n += 1 and MixHash(ct), the ciphertext (spec 2.2).
 * "out" must not alias "ct".  Returns 0, or -1 when the tag does not
 * verify or "len" < 16 (not logged: hostile input, the caller reports
 * it), or on a state error (logged).  On -1 "out" is empty.
 */
int
wa_noise_decrypt_and_hash(struct wa_noise *ns, const uint8_t *ct,
    size_t len, struct buf *out)
{
	uint8_t		 iv[12];

	buf_reset(out);
	if (!ns->has_k) {
		log_warnx("%s: no key yet", __func__);
		return -1;
	}
	if (!nonce_ok(ns->n, __func__) || len < WA_NOISE_TAG_LEN)
		return -1;
	buf_append(out, ct, len);
	wa_noise_iv(ns->n, iv);
	if (wa_aes256_gcm_decrypt(ns->k, iv, ns->h, sizeof(ns->h),
	    (uint8_t *)out->data, len, (uint8_t *)out->data) != 0) {
		buf_reset(out);
		return -1;
	}
	out->len = len - WA_NOISE_TAG_LEN;
	out->data[out->len] = '\0';
	ns->n++;
	wa_noise_mix_hash(ns, ct, len);
	return 0;
}

/*
 * Split: (o1, o2) = HKDF(salt = ck, ikm = "", 64 bytes); the client
 * sends with o1 and receives with o2, each with its own counter from 0
 * (spec 2.3, 2.5).  Returns 0, or -1 (logged).
 */
int
wa_noise_split(const struct wa_noise *ns, struct wa_noise_transport *tr)
{
	uint8_t	 out[2 * WA_NOISE_KEY_LEN];

	memset(tr, 0, sizeof(*tr));
	if (wa_hkdf_sha256(ns->ck, sizeof(ns->ck), NULL, 0, NULL, 0, out,
	    sizeof(out)) != 0)
		return -1;
	memcpy(tr->send.key, out, WA_NOISE_KEY_LEN);
	memcpy(tr->recv.key, out + WA_NOISE_KEY_LEN, WA_NOISE_KEY_LEN);
	wa_memzero(out, sizeof(out));
	return 0;
}

/*
 * Seal one outgoing frame: replace the contents of "out" with
 * AES-256-GCM(send key, IV(send counter), no AAD, "len" bytes of "pt"),
 * len + 16 bytes, and advance the send counter (spec 2.5).  "out" must
 * not alias "pt".  Returns 0, or -1 (logged) when the counter is
 * exhausted or AES fails.
 */
int
wa_noise_transport_encrypt(struct wa_noise_transport *tr, const uint8_t *pt,
    size_t len, struct buf *out)
{
	static const uint8_t	 tag[WA_NOISE_TAG_LEN];
	uint8_t			 iv[12];

	if (!nonce_ok(tr->send.n, __func__))
		return -1;
	buf_reset(out);
	if (len > 0)
		buf_append(out, pt, len);
	buf_append(out, tag, sizeof(tag));
	wa_noise_iv(tr->send.n, iv);
	if (wa_aes256_gcm_encrypt(tr->send.key, iv, NULL, 0,
	    (uint8_t *)out->data, len, (uint8_t *)out->data) != 0)
		return -1;
	tr->send.n++;
	return 0;
}

/*
 * Open one incoming frame: replace the contents of "out" with the
 * plaintext of "len" bytes of "ct" under the receive key and counter
 * (spec 2.5).  The counter advances even on failure, as in whatsmeow
 * socket/noisesocket.go; the connection should be closed anyway.
 * Returns 0, or -1 (logged) on a short frame, a tag mismatch or an
 * exhausted counter; "out" is then empty.
 */
int
wa_noise_transport_decrypt(struct wa_noise_transport *tr, const uint8_t *ct,
    size_t len, struct buf *out)
{
	uint8_t		 iv[12];
	uint32_t	 n;

	buf_reset(out);
	if (!nonce_ok(tr->recv.n, __func__))
		return -1;
	n = tr->recv.n++;
	if (len < WA_NOISE_TAG_LEN) {
		log_warnx("%s: frame %u too short (%zu bytes)", __func__,
		    (unsigned int)n, len);
		return -1;
	}
	buf_append(out, ct, len);
	wa_noise_iv(n, iv);
	if (wa_aes256_gcm_decrypt(tr->recv.key, iv, NULL, 0,
	    (uint8_t *)out->data, len, (uint8_t *)out->data) != 0) {
		buf_reset(out);
		log_warnx("%s: frame %u failed authentication", __func__,
		    (unsigned int)n);
		return -1;
	}
	out->len = len - WA_NOISE_TAG_LEN;
	out->data[out->len] = '\0';
	return 0;
}

/* Wipe both transport keys. */
void
wa_noise_transport_clear(struct wa_noise_transport *tr)
{

	wa_memzero(tr, sizeof(*tr));
}

/*
 * Set up a client handshake for one connection.  "static_priv" is the
 * companion's persistent Noise static private key (32 bytes, clamped;
 * spec 2.6), copied; its public key is derived.  "root_key" is the 32-
 * byte certificate root to pin, copied; NULL pins WhatsApp's own
 * (wa_noise_root_key).  Runs InitializeSymmetric and the prologue.
 */
void
wa_handshake_init(struct wa_handshake *hs,
    const uint8_t static_priv[WA_NOISE_KEY_LEN], const uint8_t *root_key)
{

	memset(hs, 0, sizeof(*hs));
	memcpy(hs->s_priv, static_priv, WA_NOISE_KEY_LEN);
	wa_x25519_base(hs->s_pub, hs->s_priv);
	memcpy(hs->root, root_key != NULL ? root_key : wa_noise_root_key,
	    WA_NOISE_KEY_LEN);
	wa_noise_init(&hs->ns, (const uint8_t *)WA_NOISE_PROLOGUE,
	    WA_NOISE_PROLOGUE_LEN);
	hs->state = WA_HS_STATE_INIT;
}

/* Wipe every key and the symmetric state. */
void
wa_handshake_clear(struct wa_handshake *hs)
{

	wa_memzero(hs, sizeof(*hs));
}

/*
 * The message for "err", a static string (never NULL, also for values
 * out of range).
 */
const char *
wa_handshake_strerror(enum wa_hs_err err)
{

	if ((unsigned int)err >= WA_HS__MAX)
		return "unknown handshake error";
	return hs_errstr[err];
}

/* Record "err", move to FAILED and log the reason once.  Returns -1. */
static int
hs_fail(struct wa_handshake *hs, const char *func, enum wa_hs_err err)
{

	hs->err = err;
	hs->state = WA_HS_STATE_FAILED;
	log_warnx("%s: %s", func, wa_handshake_strerror(err));
	return -1;
}

/* Append the protobuf encoding of HandshakeMessage "m" to "out". */
static void
pack_append(const Wamd__HandshakeMessage *m, struct buf *out)
{
	uint8_t	*tmp;
	size_t	 len;

	len = wamd__handshake_message__get_packed_size(m);
	tmp = xmalloc(len > 0 ? len : 1);
	if (wamd__handshake_message__pack(m, tmp) != len)
		fatalx("%s: protobuf-c packed a different size", __func__);
	buf_append(out, tmp, len);
	free(tmp);
}

/*
 * First step: take the ephemeral key "e_priv" (32 bytes, clamped and
 * copied; NULL makes a fresh one from the CSPRNG, the normal case, spec
 * 2.6), MixHash(e.pub), and append to "out" the protobuf
 * HandshakeMessage{clientHello{ephemeral = e.pub}}, 36 bytes (spec 3.1).
 * The caller frames it behind the 'W' 'A' 6 3 header.  Returns 0, or
 * -1 (logged, WA_HS_ESTATE) if called twice.
 */
int
wa_handshake_start(struct wa_handshake *hs, const uint8_t *e_priv,
    struct buf *out)
{
	Wamd__HandshakeMessage			 m =
	    WAMD__HANDSHAKE_MESSAGE__INIT;
	Wamd__HandshakeMessage__ClientHello	 ch =
	    WAMD__HANDSHAKE_MESSAGE__CLIENT_HELLO__INIT;

	if (hs->state != WA_HS_STATE_INIT)
		return hs_fail(hs, __func__, WA_HS_ESTATE);
	if (e_priv != NULL)
		memcpy(hs->e_priv, e_priv, WA_NOISE_KEY_LEN);
	else
		wa_random(hs->e_priv, WA_NOISE_KEY_LEN);
	hs->e_priv[0] &= 248;
	hs->e_priv[31] &= 127;
	hs->e_priv[31] |= 64;
	wa_x25519_base(hs->e_pub, hs->e_priv);
	wa_noise_mix_hash(&hs->ns, hs->e_pub, WA_NOISE_KEY_LEN);

	ch.has_ephemeral = 1;
	ch.ephemeral.data = hs->e_pub;
	ch.ephemeral.len = WA_NOISE_KEY_LEN;
	m.clienthello = &ch;
	pack_append(&m, out);
	hs->state = WA_HS_STATE_HELLO_SENT;
	return 0;
}

/* MixKey(X25519(priv, pub)), mapping failures to handshake errors. */
static enum wa_hs_err
mix_dh(struct wa_noise *ns, const uint8_t *priv, const uint8_t *pub)
{
	uint8_t		 dh[WA_NOISE_KEY_LEN];
	enum wa_hs_err	 err = WA_HS_OK;

	if (wa_x25519(dh, priv, pub) != 0)
		err = WA_HS_EDH;
	else if (wa_noise_mix_key(ns, dh, sizeof(dh)) != 0)
		err = WA_HS_EINTERNAL;
	wa_memzero(dh, sizeof(dh));
	return err;
}

/*
 * The ServerHello steps of spec 2.3 on an unpacked, size-checked
 * message: re, ee, DecryptAndHash(static), es, DecryptAndHash(payload),
 * then the certificate chain (cert.c).
 */
static enum wa_hs_err
server_hello_run(struct wa_handshake *hs,
    const Wamd__HandshakeMessage__ServerHello *sh)
{
	struct buf	 pt;
	enum wa_hs_err	 err;

	buf_init(&pt);
	memcpy(hs->re, sh->ephemeral.data, WA_NOISE_KEY_LEN);
	wa_noise_mix_hash(&hs->ns, hs->re, WA_NOISE_KEY_LEN);
	if ((err = mix_dh(&hs->ns, hs->e_priv, hs->re)) != WA_HS_OK)
		goto out;
	err = WA_HS_EDECRYPT;
	if (wa_noise_decrypt_and_hash(&hs->ns, sh->static_.data,
	    sh->static_.len, &pt) != 0)
		goto out;
	memcpy(hs->rs, pt.data, WA_NOISE_KEY_LEN);
	if ((err = mix_dh(&hs->ns, hs->e_priv, hs->rs)) != WA_HS_OK)
		goto out;
	err = WA_HS_EDECRYPT;
	if (wa_noise_decrypt_and_hash(&hs->ns, sh->payload.data,
	    sh->payload.len, &pt) != 0)
		goto out;
	err = wa_cert_verify((uint8_t *)pt.data, pt.len, hs->rs, hs->root,
	    hs->now != 0 ? hs->now : time(NULL));
out:
	if (pt.data != NULL)
		wa_memzero(pt.data, pt.cap);
	buf_free(&pt);
	return err;
}

/*
 * Second step: consume the server's HandshakeMessage ("len" bytes at
 * "msg", hostile, the frame payload without its length).  Checks the
 * size (at most WA_HS_MSG_MAX) before unpacking, requires serverHello
 * with a 32-byte ephemeral, a 48-byte encrypted static and an
 * encrypted payload, runs the handshake steps and verifies the
 * certificate chain against the pinned root (spec 2.3, 3.2).  Returns
 * 0 (state VERIFIED), or -1 with hs->err set and the reason logged once
 * (wa_handshake_strerror(hs->err)); the connection must then be closed.
 */
int
wa_handshake_server_hello(struct wa_handshake *hs, const uint8_t *msg,
    size_t len)
{
	Wamd__HandshakeMessage			*m;
	const Wamd__HandshakeMessage__ServerHello *sh;
	enum wa_hs_err				 err;

	if (hs->state != WA_HS_STATE_HELLO_SENT)
		return hs_fail(hs, __func__, WA_HS_ESTATE);
	if (len > WA_HS_MSG_MAX)
		return hs_fail(hs, __func__, WA_HS_ETOOLONG);
	if ((m = wamd__handshake_message__unpack(NULL, len, msg)) == NULL)
		return hs_fail(hs, __func__, WA_HS_EMALFORMED);
	sh = m->serverhello;
	if (sh == NULL || !sh->has_ephemeral ||
	    sh->ephemeral.len != WA_NOISE_KEY_LEN || !sh->has_static_ ||
	    sh->static_.len != WA_NOISE_KEY_LEN + WA_NOISE_TAG_LEN ||
	    !sh->has_payload || sh->payload.len < WA_NOISE_TAG_LEN)
		err = WA_HS_EMALFORMED;
	else
		err = server_hello_run(hs, sh);
	wamd__handshake_message__free_unpacked(m, NULL);
	if (err != WA_HS_OK)
		return hs_fail(hs, __func__, err);
	hs->state = WA_HS_STATE_VERIFIED;
	return 0;
}

/*
 * The ClientFinish steps of spec 2.3: EncryptAndHash(s.pub), se,
 * EncryptAndHash(payload); fills the two ciphertexts.
 */
static enum wa_hs_err
finish_run(struct wa_handshake *hs, const uint8_t *payload, size_t len,
    struct buf *c1, struct buf *c2)
{
	enum wa_hs_err	 err;

	if (wa_noise_encrypt_and_hash(&hs->ns, hs->s_pub, WA_NOISE_KEY_LEN,
	    c1) != 0)
		return WA_HS_EINTERNAL;
	if ((err = mix_dh(&hs->ns, hs->s_priv, hs->re)) != WA_HS_OK)
		return err;
	if (wa_noise_encrypt_and_hash(&hs->ns, payload, len, c2) != 0)
		return WA_HS_EINTERNAL;
	return WA_HS_OK;
}

/*
 * Last step: encrypt the companion's static key and "len" bytes of the
 * serialized ClientPayload "payload" (payload.h; at most
 * WA_HS_PAYLOAD_MAX), append the protobuf HandshakeMessage{clientFinish
 * {static, payload}} to "out", and Split into "tr" (caller-owned; wipe
 * with wa_noise_transport_clear()).  Every later frame in both
 * directions goes through "tr" (spec 2.5).  The ephemeral private key
 * is wiped.  Returns 0 (state DONE), or -1 with hs->err set (logged).
 */
int
wa_handshake_finish(struct wa_handshake *hs, const uint8_t *payload,
    size_t len, struct buf *out, struct wa_noise_transport *tr)
{
	Wamd__HandshakeMessage			 m =
	    WAMD__HANDSHAKE_MESSAGE__INIT;
	Wamd__HandshakeMessage__ClientFinish	 cf =
	    WAMD__HANDSHAKE_MESSAGE__CLIENT_FINISH__INIT;
	struct buf				 c1, c2;
	enum wa_hs_err				 err;

	if (hs->state != WA_HS_STATE_VERIFIED)
		return hs_fail(hs, __func__, WA_HS_ESTATE);
	if (len > WA_HS_PAYLOAD_MAX)
		return hs_fail(hs, __func__, WA_HS_ETOOLONG);
	buf_init(&c1);
	buf_init(&c2);
	if ((err = finish_run(hs, payload, len, &c1, &c2)) == WA_HS_OK &&
	    wa_noise_split(&hs->ns, tr) != 0)
		err = WA_HS_EINTERNAL;
	if (err == WA_HS_OK) {
		cf.has_static_ = 1;
		cf.static_.data = (uint8_t *)c1.data;
		cf.static_.len = c1.len;
		cf.has_payload = 1;
		cf.payload.data = (uint8_t *)c2.data;
		cf.payload.len = c2.len;
		m.clientfinish = &cf;
		pack_append(&m, out);
	}
	buf_free(&c1);
	buf_free(&c2);
	if (err != WA_HS_OK)
		return hs_fail(hs, __func__, err);
	wa_memzero(hs->e_priv, sizeof(hs->e_priv));
	hs->state = WA_HS_STATE_DONE;
	return 0;
}
