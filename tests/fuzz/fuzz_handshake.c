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
 *      which must refuse it (nobody can forge the tag).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wa-md.pb-c.h"

#include "buf.h"
#include "crypto.h"
#include "log.h"
#include "noise.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t	 cs_priv[32], ce_priv[32], se_priv[32], se_pub[32];
static uint8_t	 ss_priv[32], ss_pub[32], root[32];

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
		init = 1;
	}
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		run_server_hello(data + 1, size - 1, 0);
		break;
	case 1:
		run_server_hello(data + 1, size - 1, 1);
		break;
	default:
		run_transport(data + 1, size - 1);
		break;
	}
	return 0;
}
