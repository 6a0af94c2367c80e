/*
 * The server certificate chain carried, encrypted, in ServerHello's
 * payload (wa-md-protocol.md 3.2; whatsmeow handshake.go
 * verifyServerCert, the strictest reference, whose every check this
 * repeats).  The chain is a CertChain protobuf: a leaf and an
 * intermediate NoiseCertificate, each serialized Details bytes plus a
 * 64-byte curve25519 signature over exactly those bytes.  The root
 * key signs the intermediate, the intermediate's key signs the leaf,
 * and the leaf's key must be the server's Noise static key.
 * Signatures are checked with wa_xeddsa_verify() (keys.c).
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "wa-md.pb-c.h"

#include "crypto.h"
#include "keys.h"
#include "noise.h"

#define	CERT_SIG_LEN	64	/* curve25519 signature, spec 9.3 */

/* Unpack serialized Details, or NULL (nested: no generated unpack). */
static Wamd__CertChain__NoiseCertificate__Details *
details_unpack(const ProtobufCBinaryData *b)
{

	return (Wamd__CertChain__NoiseCertificate__Details *)
	    protobuf_c_message_unpack(
	    &wamd__cert_chain__noise_certificate__details__descriptor, NULL,
	    b->len, b->data);
}

/* Present, with details and a 64-byte signature (spec 3.2 step 1). */
static int
cert_complete(const Wamd__CertChain__NoiseCertificate *c)
{

	return c != NULL && c->has_details && c->has_signature &&
	    c->signature.len == CERT_SIG_LEN;
}

/* Signature of "c" over its raw Details bytes valid for "key"? */
static int
cert_signed_by(const Wamd__CertChain__NoiseCertificate *c,
    const uint8_t key[WA_NOISE_KEY_LEN])
{

	return wa_xeddsa_verify(key, c->details.data, c->details.len,
	    c->signature.data) == 1;
}

/*
 * notBefore <= now <= notAfter, in unix seconds (spec 3.2 steps 5, 8;
 * whatsmeow 75186f80).  Absent bounds read as 0, as proto2 gives them,
 * so a certificate without notAfter has expired.
 */
static int
cert_valid_at(const Wamd__CertChain__NoiseCertificate__Details *d, time_t now)
{

	if (now < 0)
		return 0;
	return d->notbefore <= (uint64_t)now && (uint64_t)now <= d->notafter;
}

/*
 * Verify the serialized CertChain "chain" ("len" bytes, hostile) for
 * the server static key "server_static" (32 bytes, from the handshake)
 * against the pinned "root_key" (32 bytes) at unix time "now", in the
 * order of spec 3.2 steps 1-8.  Returns WA_HS_OK, or the first failed
 * check: WA_HS_ECERT (malformed, missing part, bad size),
 * WA_HS_EROOTSIG, WA_HS_ELEAFSIG, WA_HS_EISSUER, WA_HS_EEXPIRED,
 * WA_HS_ELEAFKEY, WA_HS_ETOOLONG.  Not logged: the caller reports the
 * reason with its context (wa_handshake_strerror()).
 */
enum wa_hs_err
wa_cert_verify(const uint8_t *chain, size_t len,
    const uint8_t server_static[WA_NOISE_KEY_LEN],
    const uint8_t root_key[WA_NOISE_KEY_LEN], time_t now)
{
	Wamd__CertChain	*cc = NULL;
	Wamd__CertChain__NoiseCertificate__Details *id = NULL, *ld = NULL;
	const Wamd__CertChain__NoiseCertificate *leaf, *inter;
	enum wa_hs_err	 err = WA_HS_ECERT;

	if (len > WA_HS_MSG_MAX)
		return WA_HS_ETOOLONG;
	if ((cc = wamd__cert_chain__unpack(NULL, len, chain)) == NULL)
		goto out;
	leaf = cc->leaf;
	inter = cc->intermediate;
	if (!cert_complete(leaf) || !cert_complete(inter))
		goto out;
	if (!cert_signed_by(inter, root_key)) {
		err = WA_HS_EROOTSIG;
		goto out;
	}
	if ((id = details_unpack(&inter->details)) == NULL)
		goto out;
	if (id->issuerserial != WA_CERT_ROOT_SERIAL) {
		err = WA_HS_EISSUER;
		goto out;
	}
	if (!id->has_key || id->key.len != WA_NOISE_KEY_LEN)
		goto out;
	if (!cert_signed_by(leaf, id->key.data)) {
		err = WA_HS_ELEAFSIG;
		goto out;
	}
	if (!cert_valid_at(id, now)) {
		err = WA_HS_EEXPIRED;
		goto out;
	}
	if ((ld = details_unpack(&leaf->details)) == NULL)
		goto out;
	if (ld->issuerserial != id->serial) {
		err = WA_HS_EISSUER;
		goto out;
	}
	if (!ld->has_key || ld->key.len != WA_NOISE_KEY_LEN ||
	    !wa_ct_equal(ld->key.data, server_static, WA_NOISE_KEY_LEN)) {
		err = WA_HS_ELEAFKEY;
		goto out;
	}
	err = cert_valid_at(ld, now) ? WA_HS_OK : WA_HS_EEXPIRED;
out:
	if (ld != NULL)
		protobuf_c_message_free_unpacked(&ld->base, NULL);
	if (id != NULL)
		protobuf_c_message_free_unpacked(&id->base, NULL);
	if (cc != NULL)
		wamd__cert_chain__free_unpacked(cc, NULL);
	return err;
}
