/*
 * t_signal: the libsignal crypto provider (daemon/wa/signal_crypto.c)
 * against known-answer vectors (RFC 4231 HMAC-SHA256, FIPS 180-2
 * SHA-512, NIST SP 800-38A AES-CBC/CTR), and libsignal-protocol-c
 * running on it over the store adapter (signal_store.c) with in-memory
 * stores: an Alice/Bob pairwise session both ways (pkmsg, then msg),
 * a group sender key, replays and a changed identity refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <group_cipher.h>
#include <group_session_builder.h>
#include <protocol.h>
#include <session_builder.h>
#include <session_cipher.h>
#include <signal_protocol.h>

#include "keys.h"
#include "memstore.h"
#include "wasignal.h"
#include "t.h"

static void
unhex(const char *h, uint8_t *out, size_t n)
{
	size_t	 got = 0;

	if (sodium_hex2bin(out, n, h, strlen(h), NULL, &got, NULL) != 0 ||
	    got != n)
		abort();
}

static int
hmac_kat(void)
{
	const signal_crypto_provider	*p = wa_signal_crypto();
	uint8_t				 want[32];
	signal_buffer			*out = NULL;
	void				*ctx = NULL;
	const char			*msg = "what do ya want for nothing?";
	int				 ok;

	/* RFC 4231 test case 2, fed in two pieces. */
	unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	    want, 32);
	ok = T_INTEQ(p->hmac_sha256_init_func(&ctx, (const uint8_t *)"Jefe",
	    4, NULL), 0) &&
	    T_INTEQ(p->hmac_sha256_update_func(ctx, (const uint8_t *)msg, 10,
	    NULL), 0) &&
	    T_INTEQ(p->hmac_sha256_update_func(ctx, (const uint8_t *)msg + 10,
	    strlen(msg) - 10, NULL), 0) &&
	    T_INTEQ(p->hmac_sha256_final_func(ctx, &out, NULL), 0) &&
	    T_INTEQ(signal_buffer_len(out), 32) &&
	    T_MEMEQ(signal_buffer_data(out), want, 32);
	p->hmac_sha256_cleanup_func(ctx, NULL);
	signal_buffer_free(out);
	return ok;
}

static int
sha512_kat(void)
{
	const signal_crypto_provider	*p = wa_signal_crypto();
	uint8_t				 want[64];
	signal_buffer			*a = NULL, *b = NULL;
	void				*ctx = NULL;
	int				 ok;

	/* FIPS 180-2 "abc"; the context is reusable after final. */
	unhex("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	    want, 64);
	ok = T_INTEQ(p->sha512_digest_init_func(&ctx, NULL), 0) &&
	    T_INTEQ(p->sha512_digest_update_func(ctx, (const uint8_t *)"abc",
	    3, NULL), 0) &&
	    T_INTEQ(p->sha512_digest_final_func(ctx, &a, NULL), 0) &&
	    T_INTEQ(p->sha512_digest_update_func(ctx, (const uint8_t *)"abc",
	    3, NULL), 0) &&
	    T_INTEQ(p->sha512_digest_final_func(ctx, &b, NULL), 0) &&
	    T_INTEQ(signal_buffer_len(a), 64) &&
	    T_MEMEQ(signal_buffer_data(a), want, 64) &&
	    T_MEMEQ(signal_buffer_data(b), want, 64);
	p->sha512_digest_cleanup_func(ctx, NULL);
	signal_buffer_free(a);
	signal_buffer_free(b);
	return ok;
}

/* SP 800-38A F.2.1/F.2.5 (CBC) and F.5.5 (CTR), first block. */
static int
aes_kat(void)
{
	const signal_crypto_provider	*p = wa_signal_crypto();
	uint8_t		 k256[32], k128[16], iv[16], ctriv[16], pt[16];
	uint8_t		 c256[16], c128[16], cctr[16];
	signal_buffer	*o1 = NULL, *o2 = NULL, *o3 = NULL, *back = NULL;
	int		 ok;

	unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
	    k256, 32);
	unhex("2b7e151628aed2a6abf7158809cf4f3c", k128, 16);
	unhex("000102030405060708090a0b0c0d0e0f", iv, 16);
	unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", ctriv, 16);
	unhex("6bc1bee22e409f96e93d7e117393172a", pt, 16);
	unhex("f58c4c04d6e5f1ba779eabfb5f7bfbd6", c256, 16);
	unhex("7649abac8119b246cee98e9b12e9197d", c128, 16);
	unhex("601ec313775789a5b7a7f504bbf3d228", cctr, 16);
	ok = T_INTEQ(p->encrypt_func(&o1, SG_CIPHER_AES_CBC_PKCS5, k256, 32,
	    iv, 16, pt, 16, NULL), 0) &&
	    /* a full block of PKCS#5 padding follows a whole block */
	    T_INTEQ(signal_buffer_len(o1), 32) &&
	    T_MEMEQ(signal_buffer_data(o1), c256, 16) &&
	    T_INTEQ(p->decrypt_func(&back, SG_CIPHER_AES_CBC_PKCS5, k256, 32,
	    iv, 16, signal_buffer_data(o1), 32, NULL), 0) &&
	    T_INTEQ(signal_buffer_len(back), 16) &&
	    T_MEMEQ(signal_buffer_data(back), pt, 16) &&
	    T_INTEQ(p->encrypt_func(&o2, SG_CIPHER_AES_CBC_PKCS5, k128, 16,
	    iv, 16, pt, 16, NULL), 0) &&
	    T_MEMEQ(signal_buffer_data(o2), c128, 16) &&
	    T_INTEQ(p->encrypt_func(&o3, SG_CIPHER_AES_CTR_NOPADDING, k256,
	    32, ctriv, 16, pt, 16, NULL), 0) &&
	    T_INTEQ(signal_buffer_len(o3), 16) &&
	    T_MEMEQ(signal_buffer_data(o3), cctr, 16);
	signal_buffer_free(o1);
	signal_buffer_free(o2);
	signal_buffer_free(o3);
	signal_buffer_free(back);
	return ok;
}

/* Bad padding, bad lengths and unknown ciphers are refused. */
static int
aes_refusals(void)
{
	const signal_crypto_provider	*p = wa_signal_crypto();
	uint8_t		 k[32], iv[16], ct[16];
	signal_buffer	*o = NULL, *e = NULL;
	int		 ok;

	unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
	    k, 32);
	unhex("000102030405060708090a0b0c0d0e0f", iv, 16);
	/* The KAT block decrypts to ...2a: not valid padding. */
	unhex("f58c4c04d6e5f1ba779eabfb5f7bfbd6", ct, 16);
	ok = T_TRUE(p->decrypt_func(&o, SG_CIPHER_AES_CBC_PKCS5, k, 32, iv,
	    16, ct, 16, NULL) < 0) && T_TRUE(o == NULL) &&
	    T_TRUE(p->decrypt_func(&o, SG_CIPHER_AES_CBC_PKCS5, k, 32, iv,
	    16, ct, 15, NULL) < 0) &&
	    T_TRUE(p->decrypt_func(&o, SG_CIPHER_AES_CBC_PKCS5, k, 32, iv,
	    16, ct, 0, NULL) < 0) &&
	    T_TRUE(p->encrypt_func(&o, SG_CIPHER_AES_CBC_PKCS5, k, 31, iv,
	    16, ct, 16, NULL) < 0) &&
	    T_TRUE(p->encrypt_func(&o, SG_CIPHER_AES_CBC_PKCS5, k, 32, iv,
	    12, ct, 16, NULL) < 0) &&
	    T_TRUE(p->encrypt_func(&o, 7, k, 32, iv, 16, ct, 16, NULL) < 0) &&
	    /* the empty plaintext is one block of padding */
	    T_INTEQ(p->encrypt_func(&e, SG_CIPHER_AES_CBC_PKCS5, k, 32, iv,
	    16, ct, 0, NULL), 0) && T_INTEQ(signal_buffer_len(e), 16);
	signal_buffer_free(e);
	return ok;
}

/* One side of a conversation. */
struct	party {
	struct wa_creds			*cr;
	struct memstore			 ms;
	signal_context			*ctx;
	signal_protocol_store_context	*sc;
	uint8_t				 pk_pub[32];	/* one-time pre-key */
};

static int
party_new(struct party *p, uint32_t pkid)
{
	struct wa_keypair	 kp;
	char			 key[16];

	memset(p, 0, sizeof(*p));
	ms_init(&p->ms);
	if ((p->cr = wa_creds_new()) == NULL ||
	    wa_creds_generate(p->cr) == -1 ||
	    wa_signal_context_new(&p->ctx) == -1 ||
	    wa_signal_store_new(p->ctx, &p->ms.st, p->cr, &p->sc) == -1 ||
	    wa_keypair_generate(&kp) == -1)
		return 0;
	snprintf(key, sizeof(key), "%u", pkid);
	ms_put(&p->ms, WA_STORE_PREKEY, key, kp.priv, 32);
	memcpy(p->pk_pub, kp.pub, 32);
	sodium_memzero(&kp, sizeof(kp));
	return 1;
}

static void
party_free(struct party *p)
{

	if (p->sc != NULL)
		signal_protocol_store_context_destroy(p->sc);
	if (p->ctx != NULL)
		signal_context_destroy(p->ctx);
	wa_creds_free(p->cr);
	ms_free(&p->ms);
}

/* "from" builds a session to "to" (device 1 of "toname") from to's
 * bundle, as we do after an <iq xmlns="encrypt"> fetch. */
static int
build(struct party *from, struct party *to, const signal_protocol_address *a,
    uint32_t pkid)
{
	session_pre_key_bundle	*b = NULL;
	session_builder		*sb = NULL;
	int			 rc;

	if (wa_signal_bundle(from->ctx, to->cr->registration_id, 1, pkid,
	    to->pk_pub, to->cr->signed_pre_key_id, to->cr->signed_pre_key.pub,
	    to->cr->signed_pre_key_sig, to->cr->identity_key.pub, &b) == -1)
		return -1;
	rc = session_builder_create(&sb, from->sc, a, from->ctx);
	if (rc == 0)
		rc = session_builder_process_pre_key_bundle(sb, b);
	session_builder_free(sb);
	SIGNAL_UNREF(b);
	return rc;
}

/* Encrypt "text" from p to a; *type gets the message type. */
static signal_buffer *
enc(struct party *p, const signal_protocol_address *a, const char *text,
    int *type)
{
	session_cipher		*c = NULL;
	ciphertext_message	*m = NULL;
	signal_buffer		*out = NULL;

	if (session_cipher_create(&c, p->sc, a, p->ctx) == 0 &&
	    session_cipher_encrypt(c, (const uint8_t *)text, strlen(text),
	    &m) == 0) {
		*type = ciphertext_message_get_type(m);
		out = signal_buffer_copy(ciphertext_message_get_serialized(m));
	}
	SIGNAL_UNREF(m);
	session_cipher_free(c);
	return out;
}

/* Decrypt a pkmsg (type PRE_KEY) or msg; returns the libsignal code. */
static int
dec(struct party *p, const signal_protocol_address *a, int type,
    const signal_buffer *in, signal_buffer **plain)
{
	session_cipher		*c = NULL;
	pre_key_signal_message	*pm = NULL;
	signal_message		*m = NULL;
	int			 rc;

	*plain = NULL;
	if ((rc = session_cipher_create(&c, p->sc, a, p->ctx)) != 0)
		return rc;
	if (type == CIPHERTEXT_PREKEY_TYPE) {
		rc = pre_key_signal_message_deserialize(&pm,
		    signal_buffer_const_data(in), signal_buffer_len(in), p->ctx);
		if (rc == 0)
			rc = session_cipher_decrypt_pre_key_signal_message(c,
			    pm, NULL, plain);
	} else {
		rc = signal_message_deserialize(&m,
		    signal_buffer_const_data(in), signal_buffer_len(in), p->ctx);
		if (rc == 0)
			rc = session_cipher_decrypt_signal_message(c, m, NULL,
			    plain);
	}
	SIGNAL_UNREF(pm);
	SIGNAL_UNREF(m);
	session_cipher_free(c);
	return rc;
}

static int
is_text(const signal_buffer *b, const char *want)
{

	return b != NULL && signal_buffer_len(b) == strlen(want) &&
	    memcmp(signal_buffer_const_data(b), want, strlen(want)) == 0;
}

static int
pairwise_round_trip(void)
{
	struct party		 alice, bob;
	signal_protocol_address	 to_bob = { "15550002", 8, 1 };
	signal_protocol_address	 to_alice = { "15550001", 8, 3 };
	signal_buffer		*c1 = NULL, *c2 = NULL, *c3 = NULL;
	signal_buffer		*p1 = NULL, *p2 = NULL, *p3 = NULL, *pr = NULL;
	int			 t1 = 0, t2 = 0, t3 = 0, ok = 0;

	if (!party_new(&alice, 11) || !party_new(&bob, 7))
		goto out;
	ok = T_INTEQ(build(&alice, &bob, &to_bob, 7), 0) &&
	    T_TRUE((c1 = enc(&alice, &to_bob, "hello bob", &t1)) != NULL) &&
	    T_INTEQ(t1, CIPHERTEXT_PREKEY_TYPE) &&
	    T_INTEQ(dec(&bob, &to_alice, t1, c1, &p1), 0) &&
	    T_TRUE(is_text(p1, "hello bob")) &&
	    /* the one-time pre-key is gone; the session and Alice's
	     * identity are stored */
	    T_INTEQ(ms_count(&bob.ms, WA_STORE_PREKEY), 0) &&
	    T_INTEQ(ms_count(&bob.ms, WA_STORE_SESSION), 1) &&
	    T_INTEQ(ms_count(&bob.ms, WA_STORE_IDENTITY), 1) &&
	    T_TRUE((c2 = enc(&bob, &to_alice, "hi alice", &t2)) != NULL) &&
	    T_INTEQ(t2, CIPHERTEXT_SIGNAL_TYPE) &&
	    T_INTEQ(dec(&alice, &to_bob, t2, c2, &p2), 0) &&
	    T_TRUE(is_text(p2, "hi alice")) &&
	    T_TRUE((c3 = enc(&alice, &to_bob, "second", &t3)) != NULL) &&
	    T_INTEQ(t3, CIPHERTEXT_SIGNAL_TYPE) &&
	    T_INTEQ(dec(&bob, &to_alice, t3, c3, &p3), 0) &&
	    T_TRUE(is_text(p3, "second")) &&
	    /* a replayed msg is refused, the session survives */
	    T_INTEQ(dec(&bob, &to_alice, t3, c3, &pr),
	    SG_ERR_DUPLICATE_MESSAGE);
out:
	signal_buffer_free(c1);
	signal_buffer_free(c2);
	signal_buffer_free(c3);
	signal_buffer_bzero_free(p1);
	signal_buffer_bzero_free(p2);
	signal_buffer_bzero_free(p3);
	signal_buffer_bzero_free(pr);
	party_free(&alice);
	party_free(&bob);
	return ok;
}

/* A known identity that changes is untrusted (whatsmeow sqlstore). */
static int
changed_identity_refused(void)
{
	struct party		 alice, bob;
	signal_protocol_address	 to_bob = { "15550002", 8, 1 };
	signal_protocol_address	 to_alice = { "15550001", 8, 3 };
	uint8_t			 other[33];
	signal_buffer		*c1 = NULL, *p1 = NULL;
	int			 t1 = 0, ok = 0;

	if (!party_new(&alice, 11) || !party_new(&bob, 7))
		goto out;
	other[0] = 5;
	randombytes_buf(other + 1, 32);
	ms_put(&bob.ms, WA_STORE_IDENTITY, "15550001.3", other, 33);
	ok = T_INTEQ(build(&alice, &bob, &to_bob, 7), 0) &&
	    T_TRUE((c1 = enc(&alice, &to_bob, "x", &t1)) != NULL) &&
	    T_INTEQ(dec(&bob, &to_alice, t1, c1, &p1),
	    SG_ERR_UNTRUSTED_IDENTITY) &&
	    T_INTEQ(ms_count(&bob.ms, WA_STORE_SESSION), 0);
out:
	signal_buffer_free(c1);
	signal_buffer_bzero_free(p1);
	party_free(&alice);
	party_free(&bob);
	return ok;
}

/* A storage failure surfaces as an error, not as "no session". */
static int
store_failure_surfaces(void)
{
	struct party		 alice, bob;
	signal_protocol_address	 to_bob = { "15550002", 8, 1 };
	signal_protocol_address	 to_alice = { "15550001", 8, 3 };
	signal_buffer		*c1 = NULL, *p1 = NULL;
	int			 t1 = 0, ok = 0;

	if (!party_new(&alice, 11) || !party_new(&bob, 7))
		goto out;
	ok = T_INTEQ(build(&alice, &bob, &to_bob, 7), 0) &&
	    T_TRUE((c1 = enc(&alice, &to_bob, "x", &t1)) != NULL);
	bob.ms.fail = 1;
	ok = ok && T_TRUE(dec(&bob, &to_alice, t1, c1, &p1) < 0) &&
	    T_TRUE(p1 == NULL);
	bob.ms.fail = 0;
	/* the message still opens once the store is back */
	ok = ok && T_INTEQ(dec(&bob, &to_alice, t1, c1, &p1), 0) &&
	    T_TRUE(is_text(p1, "x"));
out:
	signal_buffer_free(c1);
	signal_buffer_bzero_free(p1);
	party_free(&alice);
	party_free(&bob);
	return ok;
}

static int
group_round_trip(void)
{
	struct party				 alice, bob;
	signal_protocol_sender_key_name		 name = {
		"120363000000000001@g.us", 23, { "15550001", 8, 3 } };
	group_session_builder			*ga = NULL, *gb = NULL;
	sender_key_distribution_message		*skdm = NULL, *skdm2 = NULL;
	group_cipher				*ca = NULL, *cb = NULL;
	ciphertext_message			*m = NULL;
	sender_key_message			*skm = NULL;
	signal_buffer				*ser, *plain = NULL;
	int					 ok = 0;

	if (!party_new(&alice, 11) || !party_new(&bob, 7))
		goto out;
	ok = T_INTEQ(group_session_builder_create(&ga, alice.sc, alice.ctx),
	    0) &&
	    T_INTEQ(group_session_builder_create_session(ga, &skdm, &name), 0);
	if (!ok)
		goto out;
	/* the SKDM travels serialized (inside a pairwise message) */
	ser = ciphertext_message_get_serialized((ciphertext_message *)skdm);
	ok = T_INTEQ(sender_key_distribution_message_deserialize(&skdm2,
	    signal_buffer_data(ser), signal_buffer_len(ser), bob.ctx), 0) &&
	    T_INTEQ(group_session_builder_create(&gb, bob.sc, bob.ctx), 0) &&
	    T_INTEQ(group_session_builder_process_session(gb, &name, skdm2),
	    0) &&
	    T_INTEQ(group_cipher_create(&ca, alice.sc, &name, alice.ctx), 0) &&
	    T_INTEQ(group_cipher_encrypt(ca, (const uint8_t *)"to the group",
	    12, &m), 0) &&
	    T_INTEQ(ciphertext_message_get_type(m),
	    CIPHERTEXT_SENDERKEY_TYPE);
	if (!ok)
		goto out;
	ser = ciphertext_message_get_serialized(m);
	ok = T_INTEQ(sender_key_message_deserialize(&skm,
	    signal_buffer_data(ser), signal_buffer_len(ser), bob.ctx), 0) &&
	    T_INTEQ(group_cipher_create(&cb, bob.sc, &name, bob.ctx), 0) &&
	    T_INTEQ(group_cipher_decrypt(cb, skm, NULL, &plain), 0) &&
	    T_TRUE(is_text(plain, "to the group")) &&
	    T_INTEQ(ms_count(&bob.ms, WA_STORE_SENDER_KEY), 1);
out:
	signal_buffer_bzero_free(plain);
	SIGNAL_UNREF(skm);
	SIGNAL_UNREF(m);
	SIGNAL_UNREF(skdm);
	SIGNAL_UNREF(skdm2);
	group_cipher_free(ca);
	group_cipher_free(cb);
	group_session_builder_free(ga);
	group_session_builder_free(gb);
	party_free(&alice);
	party_free(&bob);
	return ok;
}

int
main(void)
{
	static const struct t_case	 cases[] = {
		T_CASE(hmac_kat),
		T_CASE(sha512_kat),
		T_CASE(aes_kat),
		T_CASE(aes_refusals),
		T_CASE(pairwise_round_trip),
		T_CASE(changed_identity_refused),
		T_CASE(store_failure_surfaces),
		T_CASE(group_round_trip),
	};

	if (sodium_init() == -1)
		return 1;
	return t_run(cases, T_NCASES(cases));
}
