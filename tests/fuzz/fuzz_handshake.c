/*
 * libFuzzer target for the Noise handshake's parsers of untrusted
 * bytes (daemon/wa/noise.c, cert.c).  The first input byte picks a
 * mode:
 *
 *   0  the rest is the server's HandshakeMessage, fed to
 *      wa_handshake_server_hello() after a real ClientHello;
 *   1  the rest is the certificate chain plaintext: an in-process
 *      responder with fixed keys encrypts it into a correct ServerHello,
 *      so the bytes reach the CertChain and Details parsers.  The
 *      ciphertext is valid, so any failure must be a certificate
 *      error: a decryption or malformed-message error aborts;
 *   2  the rest is a transport frame for wa_noise_transport_decrypt(),
 *      which must refuse it (nobody can forge the tag);
 *   3  the rest describes two certificates (serials, key choice,
 *      validity, which fields to omit, whether to corrupt the
 *      signature); the harness signs them with fixed root and
 *      intermediate keys, so wa_cert_verify() gets past the signatures
 *      into every later check.  A chain it accepts must satisfy every
 *      rule of spec 3.2, or the target aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wa-md.pb-c.h"

#include "buf.h"
#include "crypto.h"
#include "keys.h"
#include "log.h"
#include "noise.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t	 cs_priv[32], ce_priv[32], se_priv[32], se_pub[32];
static uint8_t	 ss_priv[32], ss_pub[32], root[32];
static uint8_t	 rk_priv[32], rk_pub[32], ik_priv[32], ik_pub[32];

#define	CERT_NOW	1750000000	/* the clock of mode 3 */

/* One certificate as mode 3 reads it from the input. */
struct	fcert {
	uint32_t	 serial;
	uint32_t	 issuer;
	uint8_t		 keysel;	/* 0: the right key, 1: another,
					   2: from the input, 3: 31 bytes */
	uint8_t		 key[32];
	uint64_t	 nb, na;	/* validity */
	uint8_t		 flags;		/* CF_* */
};
#define	CF_NO_KEY	0x01
#define	CF_NO_AFTER	0x02
#define	CF_BAD_SIG	0x04
#define	CF_NO_SERIAL	0x08
#define	CF_NO_ISSUER	0x10
#define	FCERT_LEN	(4 + 4 + 1 + 32 + 4 + 4 + 1)

static void
key_from_label(const char *label, uint8_t priv[32], uint8_t *pub)
{

	wa_sha256(label, strlen(label), priv);
	priv[0] &= 248;
	priv[31] &= 127;
	priv[31] |= 64;
	if (pub != NULL)
		wa_x25519_base(pub, priv);
}

/* The server side of spec 2.3 up to ServerHello, carrying "chain". */
static int
server_hello(const uint8_t ce_pub[32], const uint8_t *chain, size_t len,
    struct buf *out)
{
	Wamd__HandshakeMessage			 m =
	    WAMD__HANDSHAKE_MESSAGE__INIT;
	Wamd__HandshakeMessage__ServerHello	 sh =
	    WAMD__HANDSHAKE_MESSAGE__SERVER_HELLO__INIT;
	struct wa_noise				 ns;
	struct buf				 c1, c2;
	uint8_t					 dh[32], *tmp;
	size_t					 n;
	int					 rc = -1;

	buf_init(&c1);
	buf_init(&c2);
	wa_noise_init(&ns, (const uint8_t *)WA_NOISE_PROLOGUE,
	    WA_NOISE_PROLOGUE_LEN);
	wa_noise_mix_hash(&ns, ce_pub, 32);
	wa_noise_mix_hash(&ns, se_pub, 32);
	if (wa_x25519(dh, se_priv, ce_pub) != 0 ||
	    wa_noise_mix_key(&ns, dh, 32) != 0 ||
	    wa_noise_encrypt_and_hash(&ns, ss_pub, 32, &c1) != 0 ||
	    wa_x25519(dh, ss_priv, ce_pub) != 0 ||
	    wa_noise_mix_key(&ns, dh, 32) != 0 ||
	    wa_noise_encrypt_and_hash(&ns, chain, len, &c2) != 0)
		goto out;
	sh.has_ephemeral = sh.has_static_ = sh.has_payload = 1;
	sh.ephemeral.data = se_pub;
	sh.ephemeral.len = 32;
	sh.static_.data = (uint8_t *)c1.data;
	sh.static_.len = c1.len;
	sh.payload.data = (uint8_t *)c2.data;
	sh.payload.len = c2.len;
	m.serverhello = &sh;
	n = wamd__handshake_message__get_packed_size(&m);
	tmp = malloc(n);
	wamd__handshake_message__pack(&m, tmp);
	buf_append(out, tmp, n);
	free(tmp);
	rc = 0;
out:
	buf_free(&c1);
	buf_free(&c2);
	return rc;
}

static void
run_server_hello(const uint8_t *data, size_t size, int wrap)
{
	struct wa_handshake	 hs;
	struct buf		 hello, sh;
	int			 rc;

	buf_init(&hello);
	buf_init(&sh);
	wa_handshake_init(&hs, cs_priv, root);
	if (wa_handshake_start(&hs, ce_priv, &hello) != 0)
		abort();
	if (!wrap)
		rc = wa_handshake_server_hello(&hs, data, size);
	else if (size > WA_HS_MSG_MAX - 128)
		rc = -2;
	else {
		if (server_hello(hs.e_pub, data, size, &sh) != 0)
			abort();
		rc = wa_handshake_server_hello(&hs, (uint8_t *)sh.data,
		    sh.len);
		if (rc != 0 && (hs.err == WA_HS_EDECRYPT ||
		    hs.err == WA_HS_EMALFORMED || hs.err == WA_HS_EDH))
			abort();
	}
	if (rc == -1 && hs.state != WA_HS_STATE_FAILED)
		abort();
	wa_handshake_clear(&hs);
	buf_free(&hello);
	buf_free(&sh);
}

static uint32_t
get32(const uint8_t *p)
{

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Read one certificate description; validity is around CERT_NOW. */
static void
fcert_read(const uint8_t *p, const uint8_t *right, const uint8_t *other,
    struct fcert *c)
{

	c->serial = get32(p) % 4;
	c->issuer = get32(p + 4) % 4;
	c->keysel = p[8] % 4;
	if (c->keysel == 0)
		memcpy(c->key, right, 32);
	else if (c->keysel == 1)
		memcpy(c->key, other, 32);
	else
		memcpy(c->key, p + 9, 32);
	c->nb = (uint64_t)CERT_NOW - 100 + get32(p + 41) % 200;
	c->na = (uint64_t)CERT_NOW - 100 + get32(p + 45) % 200;
	c->flags = p[49];
}

/* Serialize "c"'s Details and sign them with "signer" into "cert". */
static void
fcert_build(const struct fcert *c, const uint8_t *signer, struct buf *d,
    uint8_t sig[64], Wamd__CertChain__NoiseCertificate *cert)
{
	Wamd__CertChain__NoiseCertificate__Details	 det =
	    WAMD__CERT_CHAIN__NOISE_CERTIFICATE__DETAILS__INIT;
	static const uint8_t				 z[64];
	uint8_t						*tmp;
	size_t						 n;

	det.has_serial = !(c->flags & CF_NO_SERIAL);
	det.serial = c->serial;
	det.has_issuerserial = !(c->flags & CF_NO_ISSUER);
	det.issuerserial = c->issuer;
	det.has_key = !(c->flags & CF_NO_KEY);
	det.key.data = (uint8_t *)(uintptr_t)c->key;
	det.key.len = c->keysel == 3 ? 31 : 32;
	det.has_notbefore = 1;
	det.notbefore = c->nb;
	det.has_notafter = !(c->flags & CF_NO_AFTER);
	det.notafter = c->na;
	n = protobuf_c_message_get_packed_size(&det.base);
	tmp = malloc(n + 1);
	protobuf_c_message_pack(&det.base, tmp);
	buf_append(d, tmp, n);
	free(tmp);
	if (wa_xeddsa_sign_z(signer, (uint8_t *)d->data, d->len, z, sig) != 0)
		abort();
	if (c->flags & CF_BAD_SIG)
		sig[9] ^= 0x20;
	cert->has_details = cert->has_signature = 1;
	cert->details.data = (uint8_t *)d->data;
	cert->details.len = d->len;
	cert->signature.data = sig;
	cert->signature.len = 64;
}

/* Would spec 3.2 accept this pair?  The oracle for mode 3. */
static int
fcert_acceptable(const struct fcert *in, const struct fcert *lf)
{
	uint32_t	 in_serial, in_issuer, lf_issuer;

	in_serial = in->flags & CF_NO_SERIAL ? 0 : in->serial;
	in_issuer = in->flags & CF_NO_ISSUER ? 0 : in->issuer;
	lf_issuer = lf->flags & CF_NO_ISSUER ? 0 : lf->issuer;
	if ((in->flags | lf->flags) & (CF_BAD_SIG | CF_NO_KEY | CF_NO_AFTER))
		return 0;
	if (in->keysel == 3 || lf->keysel == 3 ||
	    memcmp(in->key, ik_pub, 32) != 0 ||
	    memcmp(lf->key, ss_pub, 32) != 0)
		return 0;
	return in_issuer == 0 && lf_issuer == in_serial &&
	    in->nb <= CERT_NOW && CERT_NOW <= in->na &&
	    lf->nb <= CERT_NOW && CERT_NOW <= lf->na;
}

static void
run_cert(const uint8_t *data, size_t size)
{
	Wamd__CertChain				 cc = WAMD__CERT_CHAIN__INIT;
	Wamd__CertChain__NoiseCertificate	 ci =
	    WAMD__CERT_CHAIN__NOISE_CERTIFICATE__INIT;
	Wamd__CertChain__NoiseCertificate	 cl =
	    WAMD__CERT_CHAIN__NOISE_CERTIFICATE__INIT;
	struct fcert				 in, lf;
	struct buf				 di, dl, chain;
	uint8_t					 si[64], sl[64], *tmp;
	size_t					 n;
	enum wa_hs_err				 err;

	if (size < 2 * FCERT_LEN)
		return;
	fcert_read(data, ik_pub, ss_pub, &in);
	fcert_read(data + FCERT_LEN, ss_pub, ik_pub, &lf);
	buf_init(&di);
	buf_init(&dl);
	buf_init(&chain);
	fcert_build(&in, rk_priv, &di, si, &ci);
	fcert_build(&lf, ik_priv, &dl, sl, &cl);
	cc.intermediate = &ci;
	cc.leaf = &cl;
	n = protobuf_c_message_get_packed_size(&cc.base);
	tmp = malloc(n);
	protobuf_c_message_pack(&cc.base, tmp);
	buf_append(&chain, tmp, n);
	free(tmp);
	err = wa_cert_verify((uint8_t *)chain.data, chain.len, ss_pub, rk_pub,
	    CERT_NOW);
	if ((err == WA_HS_OK) != fcert_acceptable(&in, &lf))
		abort();
	buf_free(&di);
	buf_free(&dl);
	buf_free(&chain);
}

static void
run_transport(const uint8_t *data, size_t size)
{
	struct wa_noise_transport	 tr;
	struct buf			 out;

	memset(&tr, 0, sizeof(tr));
	memcpy(tr.recv.key, ss_pub, 32);
	buf_init(&out);
	if (wa_noise_transport_decrypt(&tr, data, size, &out) != -1 ||
	    out.len != 0 || tr.recv.n != 1)
		abort();
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;

	if (!init) {
		log_init("fuzz_handshake", LOG_LEVEL_ERROR);
		key_from_label("fuzz client static", cs_priv, NULL);
		key_from_label("fuzz client ephemeral", ce_priv, NULL);
		key_from_label("fuzz server ephemeral", se_priv, se_pub);
		key_from_label("fuzz server static", ss_priv, ss_pub);
		key_from_label("fuzz root", root, NULL);
		key_from_label("fuzz root key", rk_priv, rk_pub);
		key_from_label("fuzz intermediate key", ik_priv, ik_pub);
		init = 1;
	}
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		run_server_hello(data + 1, size - 1, 0);
		break;
	case 1:
		run_server_hello(data + 1, size - 1, 1);
		break;
	case 2:
		run_transport(data + 1, size - 1);
		break;
	default:
		run_cert(data + 1, size - 1);
		break;
	}
	return 0;
}
