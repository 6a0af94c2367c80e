/*
 * Unit tests for daemon/wa/noise.c and cert.c: the Noise XX handshake
 * and certificate chain against wa-md-protocol.md Appendix A
 * (vectors.json "noise" and "certchain"), byte for byte at every step,
 * then the refusals: wrong root, bad signatures, swapped leaf key,
 * broken serials, expiry, tampered ciphertext, malformed messages,
 * steps out of order.  A small responder (the server side of the same
 * state machine, built from layer 1 of noise.h) makes ServerHellos
 * carrying altered certificate chains, and checks ClientFinish.
 *
 * "t_noise --bench [N]" instead prints the client's handshake CPU time
 * per connection (make bench).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wa-md.pb-c.h"

#include "buf.h"
#include "log.h"
#include "crypto.h"
#include "keys.h"
#include "noise.h"
#include "t.h"
#include "wa_vec.h"

/* Vector keys and data, loaded once by keys_load(). */
static uint8_t	 ce_priv[32], cs_priv[32], cs_pub[32];
static uint8_t	 se_priv[32], se_pub[32], ss_priv[32], ss_pub[32];
static uint8_t	 root_priv[32], root_pub[32], int_priv[32], int_pub[32];

static int
keys_load(void)
{

	return vec_fixed("keys.client_ephemeral.priv", ce_priv, 32) == 0 &&
	    vec_fixed("keys.client_noise_static.priv", cs_priv, 32) == 0 &&
	    vec_fixed("keys.client_noise_static.pub", cs_pub, 32) == 0 &&
	    vec_fixed("keys.server_ephemeral.priv", se_priv, 32) == 0 &&
	    vec_fixed("keys.server_ephemeral.pub", se_pub, 32) == 0 &&
	    vec_fixed("keys.server_static.priv", ss_priv, 32) == 0 &&
	    vec_fixed("keys.server_static.pub", ss_pub, 32) == 0 &&
	    vec_fixed("keys.test_root.priv", root_priv, 32) == 0 &&
	    vec_fixed("keys.test_root.pub", root_pub, 32) == 0 &&
	    vec_fixed("keys.test_intermediate.priv", int_priv, 32) == 0 &&
	    vec_fixed("keys.test_intermediate.pub", int_pub, 32) == 0;
}

/* Compare "len" bytes at "got" with the hex vector at "path". */
static int
vec_eq(const void *got, size_t len, const char *path)
{
	struct buf	 b;
	int		 ok;

	buf_init(&b);
	ok = vec_bytes(path, &b) == 0 && T_INTEQ(len, b.len) &&
	    T_MEMEQ(got, b.data, len);
	if (!ok)
		fprintf(stderr, "  (vector %s)\n", path);
	buf_free(&b);
	return ok;
}

/*
 * The responder: the server side of spec 2.3 with the vector's server
 * keys.  resp_hello() answers the client ephemeral "ce" with a
 * ServerHello carrying "chain" as its certificate payload.
 */
struct	resp {
	struct wa_noise	 ns;
	uint8_t		 ce[32];	/* client ephemeral */
	uint8_t		 eph_priv[32];	/* server ephemeral */
	uint8_t		 eph_pub[32];
};

static void
pb_append(const ProtobufCMessage *m, struct buf *out)
{
	uint8_t	*tmp;
	size_t	 len;

	len = protobuf_c_message_get_packed_size(m);
	tmp = malloc(len + 1);
	protobuf_c_message_pack(m, tmp);
	buf_append(out, tmp, len);
	free(tmp);
}

/* Build a ServerHello for "client_hello"; 0 on success. */
static int
resp_hello(struct resp *r, const struct buf *client_hello,
    const uint8_t *chain, size_t chainlen, struct buf *out)
{
	Wamd__HandshakeMessage			*in;
	Wamd__HandshakeMessage			 m =
	    WAMD__HANDSHAKE_MESSAGE__INIT;
	Wamd__HandshakeMessage__ServerHello	 sh =
	    WAMD__HANDSHAKE_MESSAGE__SERVER_HELLO__INIT;
	struct buf				 cs, cp;
	uint8_t					 dh[32];
	int					 rc = -1;

	in = wamd__handshake_message__unpack(NULL, client_hello->len,
	    (uint8_t *)client_hello->data);
	if (in == NULL || in->clienthello == NULL ||
	    in->clienthello->ephemeral.len != 32) {
		if (in != NULL)
			wamd__handshake_message__free_unpacked(in, NULL);
		return -1;
	}
	memcpy(r->ce, in->clienthello->ephemeral.data, 32);
	wamd__handshake_message__free_unpacked(in, NULL);
	buf_init(&cs);
	buf_init(&cp);
	wa_noise_init(&r->ns, (const uint8_t *)WA_NOISE_PROLOGUE,
	    WA_NOISE_PROLOGUE_LEN);
	wa_noise_mix_hash(&r->ns, r->ce, 32);
	wa_noise_mix_hash(&r->ns, r->eph_pub, 32);
	if (wa_x25519(dh, r->eph_priv, r->ce) != 0 ||
	    wa_noise_mix_key(&r->ns, dh, 32) != 0 ||
	    wa_noise_encrypt_and_hash(&r->ns, ss_pub, 32, &cs) != 0 ||
	    wa_x25519(dh, ss_priv, r->ce) != 0 ||
	    wa_noise_mix_key(&r->ns, dh, 32) != 0 ||
	    wa_noise_encrypt_and_hash(&r->ns, chain, chainlen, &cp) != 0)
		goto out;
	sh.has_ephemeral = sh.has_static_ = sh.has_payload = 1;
	sh.ephemeral.data = r->eph_pub;
	sh.ephemeral.len = 32;
	sh.static_.data = (uint8_t *)cs.data;
	sh.static_.len = cs.len;
	sh.payload.data = (uint8_t *)cp.data;
	sh.payload.len = cp.len;
	m.serverhello = &sh;
	buf_reset(out);
	pb_append(&m.base, out);
	rc = 0;
out:
	buf_free(&cs);
	buf_free(&cp);
	return rc;
}

/*
 * Consume ClientFinish: decrypt the client static (must be "want_s")
 * and the payload into "payload", Split into the server's view "tr"
 * (send = o2, recv = o1).  0 on success.
 */
static int
resp_finish(struct resp *r, const struct buf *msg, const uint8_t *want_s,
    struct buf *payload, struct wa_noise_transport *tr)
{
	Wamd__HandshakeMessage		*in;
	struct wa_noise_transport	 t;
	struct buf			 s;
	uint8_t				 dh[32];
	int				 rc = -1;

	in = wamd__handshake_message__unpack(NULL, msg->len,
	    (uint8_t *)msg->data);
	if (in == NULL)
		return -1;
	buf_init(&s);
	if (in->clientfinish == NULL ||
	    wa_noise_decrypt_and_hash(&r->ns, in->clientfinish->static_.data,
	    in->clientfinish->static_.len, &s) != 0 || s.len != 32 ||
	    memcmp(s.data, want_s, 32) != 0 ||
	    wa_x25519(dh, r->eph_priv, (uint8_t *)s.data) != 0 ||
	    wa_noise_mix_key(&r->ns, dh, 32) != 0 ||
	    wa_noise_decrypt_and_hash(&r->ns, in->clientfinish->payload.data,
	    in->clientfinish->payload.len, payload) != 0 ||
	    wa_noise_split(&r->ns, &t) != 0)
		goto out;
	tr->send = t.recv;
	tr->recv = t.send;
	rc = 0;
out:
	buf_free(&s);
	wamd__handshake_message__free_unpacked(in, NULL);
	return rc;
}

/* One certificate's Details fields, and how to sign it. */
struct	cert_spec {
	uint32_t	 serial;
	uint32_t	 issuer;
	const uint8_t	*key;		/* 32 bytes */
	uint64_t	 not_before;
	uint64_t	 not_after;
	const uint8_t	*signer;	/* private key */
	int		 flip_sig;	/* 1: corrupt the signature */
};

static void
cert_build(const struct cert_spec *cs, Wamd__CertChain__NoiseCertificate *c,
    struct buf *details, uint8_t sig[64])
{
	Wamd__CertChain__NoiseCertificate__Details	 d =
	    WAMD__CERT_CHAIN__NOISE_CERTIFICATE__DETAILS__INIT;
	static const uint8_t				 z[64];

	d.has_serial = d.has_issuerserial = d.has_key = 1;
	d.has_notbefore = d.has_notafter = 1;
	d.serial = cs->serial;
	d.issuerserial = cs->issuer;
	d.key.data = (uint8_t *)(uintptr_t)cs->key;
	d.key.len = 32;
	d.notbefore = cs->not_before;
	d.notafter = cs->not_after;
	buf_reset(details);
	pb_append(&d.base, details);
	if (wa_xeddsa_sign_z(cs->signer, (uint8_t *)details->data,
	    details->len, z, sig) != 0)
		memset(sig, 0, 64);
	if (cs->flip_sig)
		sig[5] ^= 0x10;
	c->has_details = c->has_signature = 1;
	c->details.data = (uint8_t *)details->data;
	c->details.len = details->len;
	c->signature.data = sig;
	c->signature.len = 64;
}

/* The vector's chain: intermediate 7 (issuer 0), leaf 99 (issuer 7). */
static void
chain_specs(struct cert_spec *in, struct cert_spec *lf)
{

	in->serial = 7;
	in->issuer = 0;
	in->key = int_pub;
	in->not_before = 1700000000;
	in->not_after = 4102444800ULL;
	in->signer = root_priv;
	in->flip_sig = 0;
	*lf = *in;
	lf->serial = 99;
	lf->issuer = 7;
	lf->key = ss_pub;
	lf->signer = int_priv;
}

static void
chain_build(const struct cert_spec *in, const struct cert_spec *lf,
    struct buf *out)
{
	Wamd__CertChain				 cc = WAMD__CERT_CHAIN__INIT;
	Wamd__CertChain__NoiseCertificate	 ci =
	    WAMD__CERT_CHAIN__NOISE_CERTIFICATE__INIT;
	Wamd__CertChain__NoiseCertificate	 cl =
	    WAMD__CERT_CHAIN__NOISE_CERTIFICATE__INIT;
	struct buf				 di, dl;
	uint8_t					 si[64], sl[64];

	buf_init(&di);
	buf_init(&dl);
	cert_build(in, &ci, &di, si);
	cert_build(lf, &cl, &dl, sl);
	cc.intermediate = &ci;
	cc.leaf = &cl;
	buf_reset(out);
	pb_append(&cc.base, out);
	buf_free(&di);
	buf_free(&dl);
}

/*
 * Run the client through ClientHello and a responder ServerHello built
 * with the given chain specs; return the client's result and leave the
 * handshake in "hs" for inspection.
 */
static int
run_with_chain(struct wa_handshake *hs, const struct cert_spec *in,
    const struct cert_spec *lf, const uint8_t *root)
{
	struct resp	 r;
	struct buf	 hello, sh, chain;
	int		 rc = -2;

	buf_init(&hello);
	buf_init(&sh);
	buf_init(&chain);
	memcpy(r.eph_priv, se_priv, 32);
	memcpy(r.eph_pub, se_pub, 32);
	wa_handshake_init(hs, cs_priv, root);
	chain_build(in, lf, &chain);
	if (wa_handshake_start(hs, NULL, &hello) == 0 &&
	    resp_hello(&r, &hello, (uint8_t *)chain.data, chain.len,
	    &sh) == 0)
		rc = wa_handshake_server_hello(hs, (uint8_t *)sh.data, sh.len);
	buf_free(&hello);
	buf_free(&sh);
	buf_free(&chain);
	return rc;
}

static int
h0_after_prologue(void)
{
	struct wa_noise	 ns;

	wa_noise_init(&ns, (const uint8_t *)WA_NOISE_PROLOGUE,
	    WA_NOISE_PROLOGUE_LEN);
	return T_INTEQ(ns.has_k, 0) &&
	    T_MEMEQ(ns.ck, WA_NOISE_NAME, 32) &&
	    vec_eq(ns.h, 32, "noise.steps.h0_after_prologue");
}

/*
 * Layer 1 alone, step by step as spec 2.3 lists them, against every
 * intermediate value of the vector.
 */
static int
symmetric_steps(void)
{
	struct wa_noise			 ns;
	struct wa_noise_transport	 tr;
	struct buf			 ct, pt, payload;
	uint8_t				 ce_pub[32], dh[32];
	int				 ok = 0;

	buf_init(&ct);
	buf_init(&pt);
	buf_init(&payload);
	wa_x25519_base(ce_pub, ce_priv);
	wa_noise_init(&ns, (const uint8_t *)WA_NOISE_PROLOGUE, 4);
	wa_noise_mix_hash(&ns, ce_pub, 32);
	if (!vec_eq(ns.h, 32, "noise.steps.h_after_client_e"))
		goto out;
	wa_noise_mix_hash(&ns, se_pub, 32);
	if (wa_x25519(dh, ce_priv, se_pub) != 0 ||
	    wa_noise_mix_key(&ns, dh, 32) != 0 ||
	    !vec_eq(ns.ck, 32, "noise.steps.ck_after_ee") ||
	    !vec_eq(ns.k, 32, "noise.steps.k_after_ee"))
		goto out;
	if (vec_bytes("noise.ct_server_static", &ct) != 0 ||
	    wa_noise_decrypt_and_hash(&ns, (uint8_t *)ct.data, ct.len,
	    &pt) != 0 || !vec_eq(pt.data, pt.len, "keys.server_static.pub"))
		goto out;
	if (wa_x25519(dh, ce_priv, ss_pub) != 0 ||
	    wa_noise_mix_key(&ns, dh, 32) != 0 ||
	    !vec_eq(ns.ck, 32, "noise.steps.ck_after_es") ||
	    !vec_eq(ns.k, 32, "noise.steps.k_after_es"))
		goto out;
	if (vec_bytes("noise.ct_server_cert", &ct) != 0 ||
	    wa_noise_decrypt_and_hash(&ns, (uint8_t *)ct.data, ct.len,
	    &pt) != 0 || !vec_eq(pt.data, pt.len, "certchain.certchain"))
		goto out;
	if (wa_noise_encrypt_and_hash(&ns, cs_pub, 32, &ct) != 0 ||
	    !T_INTEQ(ns.n, 2) ||
	    !vec_eq(ct.data, ct.len, "noise.ct_client_static"))
		goto out;
	if (wa_x25519(dh, cs_priv, se_pub) != 0 ||
	    wa_noise_mix_key(&ns, dh, 32) != 0 ||
	    !vec_eq(ns.ck, 32, "noise.steps.ck_after_se") ||
	    !vec_eq(ns.k, 32, "noise.steps.k_after_se"))
		goto out;
	if (vec_bytes("client_payload.registration", &payload) != 0 ||
	    wa_noise_encrypt_and_hash(&ns, (uint8_t *)payload.data,
	    payload.len, &ct) != 0 ||
	    !vec_eq(ct.data, ct.len, "noise.ct_client_payload") ||
	    !vec_eq(ns.h, 32, "noise.final_h"))
		goto out;
	ok = wa_noise_split(&ns, &tr) == 0 &&
	    vec_eq(tr.send.key, 32, "noise.client_write_key") &&
	    vec_eq(tr.recv.key, 32, "noise.client_read_key") &&
	    T_INTEQ(tr.send.n, 0) && T_INTEQ(tr.recv.n, 0);
out:
	buf_free(&ct);
	buf_free(&pt);
	buf_free(&payload);
	return ok;
}

/* The handshake API on the vector: every message byte for byte. */
static int
vector_handshake(void)
{
	struct wa_handshake		 hs;
	struct wa_noise_transport	 tr;
	struct buf			 out, in, payload, frame;
	int				 ok = 0;

	buf_init(&out);
	buf_init(&in);
	buf_init(&payload);
	buf_init(&frame);
	wa_handshake_init(&hs, cs_priv, root_pub);
	if (!T_MEMEQ(hs.s_pub, cs_pub, 32) ||
	    wa_handshake_start(&hs, ce_priv, &out) != 0 ||
	    !vec_eq(out.data, out.len, "noise.client_hello_proto"))
		goto out;
	/* The first WebSocket message: header, 3-byte length, hello. */
	buf_append(&frame, WA_NOISE_PROLOGUE, 4);
	buf_putc(&frame, 0);
	buf_putc(&frame, 0);
	buf_putc(&frame, (int)out.len);
	buf_append(&frame, out.data, out.len);
	if (!vec_eq(frame.data, frame.len, "noise.first_ws_message"))
		goto out;
	/* The server's WebSocket message is its 3-byte length, then it. */
	if (vec_bytes("noise.server_hello_ws_message", &in) != 0 ||
	    !T_TRUE(in.len > 3) || !T_INTEQ(((size_t)(uint8_t)in.data[0] <<
	    16 | (size_t)(uint8_t)in.data[1] << 8 | (uint8_t)in.data[2]),
	    in.len - 3) ||
	    !T_INTEQ(wa_handshake_server_hello(&hs, (uint8_t *)in.data + 3,
	    in.len - 3), 0) || !T_INTEQ(hs.state, WA_HS_STATE_VERIFIED) ||
	    !T_MEMEQ(hs.rs, ss_pub, 32) || !T_MEMEQ(hs.re, se_pub, 32) ||
	    !vec_eq(hs.ns.ck, 32, "noise.steps.ck_after_es"))
		goto out;
	buf_reset(&out);
	if (vec_bytes("client_payload.registration", &payload) != 0 ||
	    wa_handshake_finish(&hs, (uint8_t *)payload.data, payload.len,
	    &out, &tr) != 0 ||
	    !vec_eq(out.data, out.len, "noise.client_finish_proto") ||
	    !vec_eq(hs.ns.h, 32, "noise.final_h") ||
	    !vec_eq(tr.send.key, 32, "noise.client_write_key") ||
	    !vec_eq(tr.recv.key, 32, "noise.client_read_key"))
		goto out;
	/* ClientFinish framed: 3-byte length, then the message. */
	buf_reset(&frame);
	buf_putc(&frame, (int)(out.len >> 16));
	buf_putc(&frame, (int)(out.len >> 8) & 0xff);
	buf_putc(&frame, (int)out.len & 0xff);
	buf_append(&frame, out.data, out.len);
	ok = vec_eq(frame.data, frame.len, "noise.client_finish_ws_message") &&
	    T_INTEQ(hs.state, WA_HS_STATE_DONE);
out:
	wa_handshake_clear(&hs);
	buf_free(&out);
	buf_free(&in);
	buf_free(&payload);
	buf_free(&frame);
	return ok;
}

/* Transport frames 0 and 1, and the reverse direction. */
static int
transport_frames(void)
{
	struct wa_noise_transport	 c, s;
	struct buf			 pt, ct, back;
	int				 ok = 0;

	buf_init(&pt);
	buf_init(&ct);
	buf_init(&back);
	memset(&c, 0, sizeof(c));
	if (vec_fixed("noise.client_write_key", c.send.key, 32) != 0 ||
	    vec_fixed("noise.client_read_key", c.recv.key, 32) != 0 ||
	    vec_bytes("noise.transport_plaintext", &pt) != 0)
		goto out;
	s.send = c.recv;
	s.recv = c.send;
	if (wa_noise_transport_encrypt(&c, (uint8_t *)pt.data, pt.len,
	    &ct) != 0 || !vec_eq(ct.data, ct.len,
	    "noise.transport_ct_counter0"))
		goto out;
	/* Framed: 3-byte length, then the ciphertext. */
	buf_reset(&back);
	buf_putc(&back, 0);
	buf_putc(&back, 0);
	buf_putc(&back, (int)ct.len);
	buf_append(&back, ct.data, ct.len);
	if (!vec_eq(back.data, back.len, "noise.transport_ws_message_counter0"))
		goto out;
	if (wa_noise_transport_decrypt(&s, (uint8_t *)ct.data, ct.len,
	    &back) != 0 || !T_INTEQ(back.len, pt.len) ||
	    !T_MEMEQ(back.data, pt.data, pt.len))
		goto out;
	if (wa_noise_transport_encrypt(&c, (uint8_t *)pt.data, pt.len,
	    &ct) != 0 || !vec_eq(ct.data, ct.len,
	    "noise.transport_ct_counter1") || !T_INTEQ(c.send.n, 2))
		goto out;
	/* Server to client uses the other key and its own counter. */
	if (wa_noise_transport_encrypt(&s, (uint8_t *)"hi", 2, &ct) != 0 ||
	    wa_noise_transport_decrypt(&c, (uint8_t *)ct.data, ct.len,
	    &back) != 0 || !T_STREQ(buf_str(&back), "hi"))
		goto out;
	/* Replaying frame 0 to the server fails: its counter moved on. */
	ok = T_INTEQ(wa_noise_transport_decrypt(&s, (uint8_t *)ct.data,
	    ct.len, &back), -1) && T_INTEQ(back.len, 0) &&
	    T_INTEQ(wa_noise_transport_decrypt(&s, (uint8_t *)ct.data, 15,
	    &back), -1);
out:
	buf_free(&pt);
	buf_free(&ct);
	buf_free(&back);
	return ok;
}

/* A flipped ciphertext bit anywhere in a transport frame is refused. */
static int
transport_tampered(void)
{
	struct wa_noise_transport	 c, s;
	struct buf			 ct, back;
	size_t				 i;
	int				 ok = 1;

	buf_init(&ct);
	buf_init(&back);
	memset(&c, 0, sizeof(c));
	memset(c.send.key, 0x42, 32);
	for (i = 0; ok && i < 20; i++) {
		s.recv = c.send;
		if (wa_noise_transport_encrypt(&c, (uint8_t *)"abcd", 4,
		    &ct) != 0)
			return 0;
		c.send.n--;
		ct.data[i] ^= 0x01;
		ok = T_INTEQ(wa_noise_transport_decrypt(&s,
		    (uint8_t *)ct.data, ct.len, &back), -1);
	}
	buf_free(&ct);
	buf_free(&back);
	return ok;
}

/* Client and responder agree end to end with a random ephemeral. */
static int
round_trip_random_ephemeral(void)
{
	struct wa_handshake		 hs;
	struct wa_noise_transport	 ctr, str;
	struct resp			 r;
	struct buf			 hello, sh, chain, fin, got, ct;
	int				 ok = 0;

	buf_init(&hello);
	buf_init(&sh);
	buf_init(&chain);
	buf_init(&fin);
	buf_init(&got);
	buf_init(&ct);
	wa_random(r.eph_priv, 32);
	wa_x25519_base(r.eph_pub, r.eph_priv);
	wa_handshake_init(&hs, cs_priv, root_pub);
	if (vec_bytes("certchain.certchain", &chain) != 0 ||
	    wa_handshake_start(&hs, NULL, &hello) != 0 ||
	    !T_INTEQ(hello.len, 36) ||
	    !T_MEMEQ(hello.data, "\x12\x22\x0a\x20", 4) ||
	    !T_MEMEQ(hello.data + 4, hs.e_pub, 32) ||
	    resp_hello(&r, &hello, (uint8_t *)chain.data, chain.len,
	    &sh) != 0 ||
	    !T_INTEQ(wa_handshake_server_hello(&hs, (uint8_t *)sh.data,
	    sh.len), 0) ||
	    wa_handshake_finish(&hs, (const uint8_t *)"payload", 7, &fin,
	    &ctr) != 0 ||
	    !T_INTEQ(resp_finish(&r, &fin, cs_pub, &got, &str), 0) ||
	    !T_STREQ(buf_str(&got), "payload"))
		goto out;
	ok = wa_noise_transport_encrypt(&str, (uint8_t *)"node", 4,
	    &ct) == 0 && wa_noise_transport_decrypt(&ctr, (uint8_t *)ct.data,
	    ct.len, &got) == 0 && T_STREQ(buf_str(&got), "node");
out:
	wa_handshake_clear(&hs);
	buf_free(&hello);
	buf_free(&sh);
	buf_free(&chain);
	buf_free(&fin);
	buf_free(&got);
	buf_free(&ct);
	return ok;
}

/* The responder's chain builder reproduces the vector chain exactly. */
static int
chain_builder_matches_vector(void)
{
	struct cert_spec	 in, lf;
	struct buf		 chain;
	int			 ok;

	buf_init(&chain);
	chain_specs(&in, &lf);
	chain_build(&in, &lf, &chain);
	ok = vec_eq(chain.data, chain.len, "certchain.certchain");
	buf_free(&chain);
	return ok;
}

/* Expect run_with_chain() to fail with "want"; 1 if it does. */
static int
refused(const struct cert_spec *in, const struct cert_spec *lf,
    const uint8_t *root, enum wa_hs_err want)
{
	struct wa_handshake	 hs;
	int			 rc, ok;

	rc = run_with_chain(&hs, in, lf, root);
	ok = T_INTEQ(rc, -1) && T_INTEQ(hs.err, want) &&
	    T_INTEQ(hs.state, WA_HS_STATE_FAILED);
	if (ok)
		fprintf(stderr, "  refused as expected: %s\n",
		    wa_handshake_strerror(hs.err));
	wa_handshake_clear(&hs);
	return ok;
}

static int
accepts_good_chain(void)
{
	struct wa_handshake	 hs;
	struct cert_spec	 in, lf;
	int			 ok;

	chain_specs(&in, &lf);
	ok = T_INTEQ(run_with_chain(&hs, &in, &lf, root_pub), 0) &&
	    T_INTEQ(hs.err, WA_HS_OK);
	wa_handshake_clear(&hs);
	return ok;
}

/* WhatsApp's real root (the default) must refuse the test chain. */
static int
refuses_wrong_root(void)
{
	struct cert_spec	 in, lf;
	struct wa_handshake	 hs;
	struct buf		 sh;
	int			 ok;

	chain_specs(&in, &lf);
	if (!refused(&in, &lf, NULL, WA_HS_EROOTSIG))
		return 0;
	/* And the vector ServerHello with the default root. */
	buf_init(&sh);
	wa_handshake_init(&hs, cs_priv, NULL);
	ok = T_MEMEQ(hs.root, wa_noise_root_key, 32) &&
	    wa_handshake_start(&hs, ce_priv, &sh) == 0 &&
	    vec_bytes("noise.server_hello_proto", &sh) == 0 &&
	    T_INTEQ(wa_handshake_server_hello(&hs, (uint8_t *)sh.data,
	    sh.len), -1) && T_INTEQ(hs.err, WA_HS_EROOTSIG);
	wa_handshake_clear(&hs);
	buf_free(&sh);
	return ok;
}

static int
refuses_bad_intermediate_signature(void)
{
	struct cert_spec	 in, lf;

	chain_specs(&in, &lf);
	in.flip_sig = 1;
	if (!refused(&in, &lf, root_pub, WA_HS_EROOTSIG))
		return 0;
	/* Signed by the wrong key (self-signed intermediate). */
	in.flip_sig = 0;
	in.signer = int_priv;
	return refused(&in, &lf, root_pub, WA_HS_EROOTSIG);
}

static int
refuses_bad_leaf_signature(void)
{
	struct cert_spec	 in, lf;

	chain_specs(&in, &lf);
	lf.flip_sig = 1;
	if (!refused(&in, &lf, root_pub, WA_HS_ELEAFSIG))
		return 0;
	/* A leaf signed by the root directly is not chained either. */
	lf.flip_sig = 0;
	lf.signer = root_priv;
	return refused(&in, &lf, root_pub, WA_HS_ELEAFSIG);
}

/* A validly signed leaf for another key (here the client's). */
static int
refuses_swapped_leaf_key(void)
{
	struct cert_spec	 in, lf;

	chain_specs(&in, &lf);
	lf.key = cs_pub;
	return refused(&in, &lf, root_pub, WA_HS_ELEAFKEY);
}

static int
refuses_issuer_mismatch(void)
{
	struct cert_spec	 in, lf;

	chain_specs(&in, &lf);
	in.issuer = 1;
	if (!refused(&in, &lf, root_pub, WA_HS_EISSUER))
		return 0;
	chain_specs(&in, &lf);
	lf.issuer = 8;
	return refused(&in, &lf, root_pub, WA_HS_EISSUER);
}

static int
refuses_expired(void)
{
	struct cert_spec	 in, lf;
	time_t			 now;

	now = time(NULL);
	chain_specs(&in, &lf);
	in.not_after = (uint64_t)now - 10;
	if (!refused(&in, &lf, root_pub, WA_HS_EEXPIRED))
		return 0;
	chain_specs(&in, &lf);
	lf.not_before = (uint64_t)now + 3600;
	if (!refused(&in, &lf, root_pub, WA_HS_EEXPIRED))
		return 0;
	chain_specs(&in, &lf);
	lf.not_after = 0;
	return refused(&in, &lf, root_pub, WA_HS_EEXPIRED);
}

/* The vector chain at the edges of its validity, with hs.now. */
static int
validity_bounds_inclusive(void)
{
	static const struct {
		time_t		 now;
		int		 rc;
	} cases[] = {
		{ 1700000000, 0 }, { 4102444800LL, 0 },
		{ 1699999999, -1 }, { 4102444801LL, -1 },
	};
	struct wa_handshake	 hs;
	struct buf		 b;
	size_t			 i;
	int			 ok = 1;

	buf_init(&b);
	for (i = 0; ok && i < sizeof(cases) / sizeof(cases[0]); i++) {
		wa_handshake_init(&hs, cs_priv, root_pub);
		hs.now = cases[i].now;
		ok = wa_handshake_start(&hs, ce_priv, &b) == 0 &&
		    vec_bytes("noise.server_hello_proto", &b) == 0 &&
		    T_INTEQ(wa_handshake_server_hello(&hs, (uint8_t *)b.data,
		    b.len), cases[i].rc) &&
		    (cases[i].rc == 0 || T_INTEQ(hs.err, WA_HS_EEXPIRED));
		wa_handshake_clear(&hs);
	}
	buf_free(&b);
	return ok;
}

/* wa_cert_verify on hand-broken chains: missing and short parts. */
static int
cert_malformed(void)
{
	static const uint8_t	 junk[] = { 0x0a, 0x05, 0x01 };
	struct cert_spec	 in, lf;
	struct buf		 chain;
	int			 ok;

	buf_init(&chain);
	chain_specs(&in, &lf);
	chain_build(&in, &lf, &chain);
	ok = T_INTEQ(wa_cert_verify((uint8_t *)chain.data, chain.len,
	    ss_pub, root_pub, time(NULL)), WA_HS_OK) &&
	    T_INTEQ(wa_cert_verify((uint8_t *)chain.data, chain.len - 1,
	    ss_pub, root_pub, time(NULL)), WA_HS_ECERT) &&
	    T_INTEQ(wa_cert_verify(junk, sizeof(junk), ss_pub, root_pub,
	    time(NULL)), WA_HS_ECERT) &&
	    T_INTEQ(wa_cert_verify(NULL, 0, ss_pub, root_pub, time(NULL)),
	    WA_HS_ECERT);
	/* Only the leaf (field 1, the first 0x78 bytes of the chain). */
	ok = ok && T_INTEQ(chain.data[0], 0x0a) &&
	    T_INTEQ(wa_cert_verify((uint8_t *)chain.data,
	    2 + (uint8_t)chain.data[1], ss_pub, root_pub, time(NULL)),
	    WA_HS_ECERT);
	buf_free(&chain);
	return ok;
}

/* Flip one byte of the vector ServerHello at "off"; expect "want". */
static int
tampered_at(size_t off, enum wa_hs_err want)
{
	struct wa_handshake	 hs;
	struct buf		 b;
	int			 ok;

	buf_init(&b);
	wa_handshake_init(&hs, cs_priv, root_pub);
	ok = wa_handshake_start(&hs, ce_priv, &b) == 0 &&
	    vec_bytes("noise.server_hello_proto", &b) == 0 &&
	    T_TRUE(off < b.len);
	if (ok) {
		b.data[off] ^= 0x04;
		ok = T_INTEQ(wa_handshake_server_hello(&hs, (uint8_t *)b.data,
		    b.len), -1) && T_INTEQ(hs.err, want);
	}
	wa_handshake_clear(&hs);
	buf_free(&b);
	return ok;
}

/*
 * Layout of the vector ServerHello: 1a d7 02 (field 3, 343 bytes),
 * 0a 20 <ephemeral 32>, 12 30 <static 48>, 1a <len 2> <payload 256>.
 */
static int
refuses_tampered_ciphertext(void)
{

	return tampered_at(3 + 2 + 32 + 2 + 5, WA_HS_EDECRYPT) &&
	    tampered_at(3 + 2 + 32 + 2 + 47, WA_HS_EDECRYPT) &&
	    tampered_at(3 + 2 + 32 + 2 + 48 + 3 + 100, WA_HS_EDECRYPT) &&
	    tampered_at(3 + 2 + 32 + 2 + 48 + 3 + 255, WA_HS_EDECRYPT) &&
	    /* A changed ephemeral changes ee: the static fails to open. */
	    tampered_at(3 + 2 + 7, WA_HS_EDECRYPT);
}

/* Feed "len" bytes of "msg" after a good start; expect "want". */
static int
hello_refused(const void *msg, size_t len, enum wa_hs_err want)
{
	struct wa_handshake	 hs;
	struct buf		 b;
	int			 ok;

	buf_init(&b);
	wa_handshake_init(&hs, cs_priv, root_pub);
	ok = wa_handshake_start(&hs, ce_priv, &b) == 0 &&
	    T_INTEQ(wa_handshake_server_hello(&hs, msg, len), -1) &&
	    T_INTEQ(hs.err, want);
	wa_handshake_clear(&hs);
	buf_free(&b);
	return ok;
}

static int
refuses_malformed_server_hello(void)
{
	static const uint8_t	 empty_sh[] = { 0x1a, 0x00 };
	static const uint8_t	 bad_varint[] = { 0x1a, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct buf		 v, big;
	int			 ok;

	buf_init(&v);
	buf_init(&big);
	if (vec_bytes("noise.server_hello_proto", &v) != 0)
		return 0;
	buf_append(&big, v.data, v.len);
	while (big.len <= WA_HS_MSG_MAX)
		buf_append(&big, v.data, v.len);
	ok = hello_refused(v.data, v.len - 1, WA_HS_EMALFORMED) &&
	    hello_refused(v.data, 10, WA_HS_EMALFORMED) &&
	    hello_refused(empty_sh, sizeof(empty_sh), WA_HS_EMALFORMED) &&
	    hello_refused(bad_varint, sizeof(bad_varint), WA_HS_EMALFORMED) &&
	    hello_refused("", 0, WA_HS_EMALFORMED) &&
	    hello_refused(big.data, big.len, WA_HS_ETOOLONG);
	/* A ClientHello where a ServerHello belongs. */
	if (ok && vec_bytes("noise.client_hello_proto", &v) == 0)
		ok = hello_refused(v.data, v.len, WA_HS_EMALFORMED);
	buf_free(&v);
	buf_free(&big);
	return ok;
}

/* Wrong field sizes inside an otherwise valid ServerHello. */
static int
refuses_wrong_sizes(void)
{
	Wamd__HandshakeMessage			 m =
	    WAMD__HANDSHAKE_MESSAGE__INIT;
	Wamd__HandshakeMessage__ServerHello	 sh =
	    WAMD__HANDSHAKE_MESSAGE__SERVER_HELLO__INIT;
	uint8_t					 k[64];
	struct buf				 b;
	int					 ok;

	memset(k, 0x11, sizeof(k));
	buf_init(&b);
	sh.has_ephemeral = sh.has_static_ = sh.has_payload = 1;
	sh.ephemeral.data = sh.static_.data = sh.payload.data = k;
	sh.ephemeral.len = 31;
	sh.static_.len = 48;
	sh.payload.len = 16;
	m.serverhello = &sh;
	pb_append(&m.base, &b);
	ok = hello_refused(b.data, b.len, WA_HS_EMALFORMED);
	sh.ephemeral.len = 32;
	sh.static_.len = 47;
	buf_reset(&b);
	pb_append(&m.base, &b);
	ok = ok && hello_refused(b.data, b.len, WA_HS_EMALFORMED);
	sh.static_.len = 48;
	sh.has_payload = 0;
	buf_reset(&b);
	pb_append(&m.base, &b);
	ok = ok && hello_refused(b.data, b.len, WA_HS_EMALFORMED);
	/* Sizes right, content garbage: the static does not open. */
	sh.has_payload = 1;
	buf_reset(&b);
	pb_append(&m.base, &b);
	ok = ok && hello_refused(b.data, b.len, WA_HS_EDECRYPT);
	/* A low-order server ephemeral (all zero) gives no secret. */
	memset(k, 0, 32);
	buf_reset(&b);
	pb_append(&m.base, &b);
	ok = ok && hello_refused(b.data, b.len, WA_HS_EDH);
	buf_free(&b);
	return ok;
}

static int
refuses_out_of_order(void)
{
	struct wa_handshake		 hs;
	struct wa_noise_transport	 tr;
	struct buf			 b;
	int				 ok;

	buf_init(&b);
	wa_handshake_init(&hs, cs_priv, root_pub);
	ok = T_INTEQ(wa_handshake_finish(&hs, NULL, 0, &b, &tr), -1) &&
	    T_INTEQ(hs.err, WA_HS_ESTATE);
	wa_handshake_init(&hs, cs_priv, root_pub);
	ok = ok && T_INTEQ(wa_handshake_server_hello(&hs,
	    (const uint8_t *)"x", 1), -1) && T_INTEQ(hs.err, WA_HS_ESTATE);
	/* After a failure nothing continues. */
	ok = ok && T_INTEQ(wa_handshake_start(&hs, NULL, &b), -1) &&
	    T_INTEQ(b.len, 0);
	wa_handshake_clear(&hs);
	buf_free(&b);
	return ok && T_STREQ(wa_handshake_strerror(WA_HS__MAX),
	    "unknown handshake error");
}

/*
 * Benchmark: the client's CPU time per handshake on the vector data
 * (ClientHello, ServerHello with the two certificate signatures,
 * ClientFinish), averaged over "n" runs.
 */
static int
bench(int n)
{
	struct wa_handshake		 hs;
	struct wa_noise_transport	 tr;
	struct buf			 sh, pl, out;
	struct timespec			 t0, t1;
	double				 us;
	int				 i;

	buf_init(&sh);
	buf_init(&pl);
	buf_init(&out);
	if (!keys_load() || vec_bytes("noise.server_hello_proto", &sh) != 0 ||
	    vec_bytes("client_payload.registration", &pl) != 0)
		return 1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	for (i = 0; i < n; i++) {
		buf_reset(&out);
		wa_handshake_init(&hs, cs_priv, root_pub);
		if (wa_handshake_start(&hs, ce_priv, &out) != 0 ||
		    wa_handshake_server_hello(&hs, (uint8_t *)sh.data,
		    sh.len) != 0 || wa_handshake_finish(&hs,
		    (uint8_t *)pl.data, pl.len, &out, &tr) != 0)
			return 1;
		wa_handshake_clear(&hs);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / n;
	printf("noise handshake (client, incl. cert chain): %.1f us CPU "
	    "per connection (%d runs)\n", us, n);
	buf_free(&sh);
	buf_free(&pl);
	buf_free(&out);
	return 0;
}

static int
vectors_loaded(void)
{

	return keys_load();
}

int
main(int argc, char *argv[])
{
	static const struct t_case	 cases[] = {
		T_CASE(vectors_loaded),
		T_CASE(h0_after_prologue),
		T_CASE(symmetric_steps),
		T_CASE(vector_handshake),
		T_CASE(transport_frames),
		T_CASE(transport_tampered),
		T_CASE(round_trip_random_ephemeral),
		T_CASE(chain_builder_matches_vector),
		T_CASE(accepts_good_chain),
		T_CASE(refuses_wrong_root),
		T_CASE(refuses_bad_intermediate_signature),
		T_CASE(refuses_bad_leaf_signature),
		T_CASE(refuses_swapped_leaf_key),
		T_CASE(refuses_issuer_mismatch),
		T_CASE(refuses_expired),
		T_CASE(validity_bounds_inclusive),
		T_CASE(cert_malformed),
		T_CASE(refuses_tampered_ciphertext),
		T_CASE(refuses_malformed_server_hello),
		T_CASE(refuses_wrong_sizes),
		T_CASE(refuses_out_of_order),
	};

	if (argc >= 2 && strcmp(argv[1], "--bench") == 0) {
		log_init("t_noise", LOG_LEVEL_ERROR);
		return bench(argc >= 3 ? atoi(argv[2]) : 2000);
	}
	return t_run(cases, T_NCASES(cases));
}
