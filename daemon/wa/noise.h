/*
 * noise.h: the Noise XX handshake exactly as WhatsApp runs it, the
 * server certificate chain check, and the transport cipher that
 * follows.  Spec: /work/shared/protocol/wa-md-protocol.md sections 2
 * and 3 (whatsmeow socket/noisehandshake.go, socket/noisesocket.go,
 * handshake.go; Baileys src/Utils/noise-handler.ts).
 *
 * Three layers, each usable on its own:
 *
 *  1. struct wa_noise, the symmetric state with the Noise
 *     specification's names: h, ck, k, n; MixHash, MixKey,
 *     EncryptAndHash, DecryptAndHash, Split.
 *  2. struct wa_handshake, the client (initiator) flow, bytes in and
 *     bytes out: wa_handshake_start() gives the ClientHello
 *     HandshakeMessage, wa_handshake_server_hello() consumes and
 *     verifies the server's, wa_handshake_finish() gives ClientFinish
 *     and the transport keys.  The bytes are protobuf HandshakeMessage
 *     payloads; the 'W' 'A' 6 3 header and the 3-byte frame lengths
 *     are the framing layer's (frame.h).
 *  3. struct wa_noise_transport, the two AES-256-GCM directions with
 *     their own counters, for every frame after the handshake.
 *
 * Allocation only through struct buf outputs, xalloc (cannot fail)
 * and protobuf-c's unpack (freed before returning); no global state;
 * pure, so it can be fuzzed.  Key material is wiped by wa_handshake_clear() and
 * wa_noise_transport_clear().
 */
#ifndef WADESK_WA_NOISE_H
#define WADESK_WA_NOISE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct buf;

#define	WA_NOISE_HASH_LEN	32	/* SHA-256: h, ck */
#define	WA_NOISE_KEY_LEN	32	/* AES-256 key, X25519 keys */
#define	WA_NOISE_TAG_LEN	16	/* AES-GCM tag on every ciphertext */

/*
 * Protocol name, 32 bytes with its NUL padding, used as h as it is
 * (spec 2.1; whatsmeow socket/constants.go NoiseStartPattern).
 */
#define	WA_NOISE_NAME		"Noise_XX_25519_AESGCM_SHA256\0\0\0\0"
#define	WA_NOISE_NAME_LEN	32

/* The prologue: the connection header 'W' 'A' 6 3 (spec 1.3, 2.1). */
#define	WA_NOISE_PROLOGUE	"WA\x06\x03"
#define	WA_NOISE_PROLOGUE_LEN	4

/* Issuer serial the intermediate certificate must carry (spec 3.2). */
#define	WA_CERT_ROOT_SERIAL	0

/*
 * Largest ServerHello HandshakeMessage accepted before unpacking: the
 * real one is about 350 bytes (spec Appendix A); anything near this
 * limit is hostile.
 */
#define	WA_HS_MSG_MAX		8192

/* Largest ClientPayload accepted by wa_handshake_finish(). */
#define	WA_HS_PAYLOAD_MAX	65536

/*
 * WhatsApp's certificate root public key, 32 bytes, X25519 form (spec
 * 3.2; whatsmeow handshake.go WACertPubKey, Baileys
 * WA_CERT_DETAILS.PUBLIC_KEY).
 */
extern const uint8_t	wa_noise_root_key[WA_NOISE_KEY_LEN];

/* Symmetric handshake state (Noise specification section 5.2). */
struct	wa_noise {
	uint8_t		 h[WA_NOISE_HASH_LEN];	/* handshake hash */
	uint8_t		 ck[WA_NOISE_HASH_LEN];	/* chaining key */
	uint8_t		 k[WA_NOISE_KEY_LEN];	/* cipher key, once has_k */
	uint32_t	 n;		/* nonce; reset by MixKey; shared by
					   encrypt and decrypt (spec 2.2) */
	int		 has_k;		/* 1 after the first MixKey */
};

/* One transport direction: key and its own frame counter (spec 2.5). */
struct	wa_noise_cipher {
	uint8_t		 key[WA_NOISE_KEY_LEN];	/* AES-256-GCM key */
	uint32_t	 n;		/* frames so far in this direction */
};

/* Transport state after Split (spec 2.5). */
struct	wa_noise_transport {
	struct wa_noise_cipher	 send;	/* client write key: Split o1 */
	struct wa_noise_cipher	 recv;	/* client read key: Split o2 */
};

/* Why a handshake step failed; wa_handshake_strerror() names each. */
enum	wa_hs_err {
	WA_HS_OK,		/* no error */
	WA_HS_ESTATE,		/* step called out of order */
	WA_HS_EMALFORMED,	/* ServerHello not a valid HandshakeMessage,
				   missing field or wrong size */
	WA_HS_EDH,		/* peer key gives an all-zero X25519 result */
	WA_HS_EDECRYPT,		/* AES-GCM tag mismatch: tampered, or
				   the wrong key */
	WA_HS_ECERT,		/* certificate chain malformed or incomplete */
	WA_HS_EROOTSIG,		/* intermediate not signed by the root key */
	WA_HS_ELEAFSIG,		/* leaf not signed by the intermediate */
	WA_HS_EISSUER,		/* issuer serials do not chain */
	WA_HS_EEXPIRED,		/* now outside a certificate's validity */
	WA_HS_ELEAFKEY,		/* leaf key is not the server's static key */
	WA_HS_EINTERNAL,	/* a library call failed (logged) */
	WA_HS_ETOOLONG,		/* input exceeds WA_HS_MSG_MAX/_PAYLOAD_MAX */
	WA_HS__MAX
};

/* Where the client is in the handshake. */
enum	wa_hs_state {
	WA_HS_STATE_INIT,	/* after wa_handshake_init() */
	WA_HS_STATE_HELLO_SENT,	/* ClientHello built */
	WA_HS_STATE_VERIFIED,	/* ServerHello decrypted and verified */
	WA_HS_STATE_DONE,	/* ClientFinish built, keys split */
	WA_HS_STATE_FAILED,	/* any error: start a new connection */
	WA_HS_STATE__MAX
};

/*
 * One client handshake (one WebSocket connection).  Caller-owned; set
 * up by wa_handshake_init(), wiped by wa_handshake_clear().  Fields are
 * readable (tests compare them against vectors) but only the functions
 * below write them.
 */
struct	wa_handshake {
	struct wa_noise		 ns;		/* symmetric state */
	uint8_t			 e_priv[WA_NOISE_KEY_LEN]; /* ephemeral */
	uint8_t			 e_pub[WA_NOISE_KEY_LEN];
	uint8_t			 s_priv[WA_NOISE_KEY_LEN]; /* noise static */
	uint8_t			 s_pub[WA_NOISE_KEY_LEN];
	uint8_t			 re[WA_NOISE_KEY_LEN];	/* server ephemeral */
	uint8_t			 rs[WA_NOISE_KEY_LEN];	/* server static */
	uint8_t			 root[WA_NOISE_KEY_LEN]; /* pinned root key */
	time_t			 now;		/* cert validity clock, unix
						   seconds; 0: time(NULL) */
	enum wa_hs_state	 state;
	enum wa_hs_err		 err;		/* why state is FAILED */
};

/* Layer 1: the symmetric state (spec 2.1, 2.2). */
void	wa_noise_init(struct wa_noise *ns, const uint8_t *prologue,
	    size_t len);
void	wa_noise_mix_hash(struct wa_noise *ns, const void *data, size_t len);
int	wa_noise_mix_key(struct wa_noise *ns, const uint8_t *ikm, size_t len)
	    __attribute__((warn_unused_result));
int	wa_noise_encrypt_and_hash(struct wa_noise *ns, const uint8_t *pt,
	    size_t len, struct buf *out)
	    __attribute__((warn_unused_result));
int	wa_noise_decrypt_and_hash(struct wa_noise *ns, const uint8_t *ct,
	    size_t len, struct buf *out)
	    __attribute__((warn_unused_result));
int	wa_noise_split(const struct wa_noise *ns, struct wa_noise_transport *tr)
	    __attribute__((warn_unused_result));
void	wa_noise_iv(uint32_t n, uint8_t iv[12]);

/* Layer 3: transport frames (spec 2.5). */
int	wa_noise_transport_encrypt(struct wa_noise_transport *tr,
	    const uint8_t *pt, size_t len, struct buf *out)
	    __attribute__((warn_unused_result));
int	wa_noise_transport_decrypt(struct wa_noise_transport *tr,
	    const uint8_t *ct, size_t len, struct buf *out)
	    __attribute__((warn_unused_result));
void	wa_noise_transport_clear(struct wa_noise_transport *tr);

/* Layer 2: the client handshake (spec 2.3, 3). */
void	wa_handshake_init(struct wa_handshake *hs,
	    const uint8_t static_priv[WA_NOISE_KEY_LEN],
	    const uint8_t *root_key);
int	wa_handshake_start(struct wa_handshake *hs, const uint8_t *e_priv,
	    struct buf *out) __attribute__((warn_unused_result));
int	wa_handshake_server_hello(struct wa_handshake *hs,
	    const uint8_t *msg, size_t len)
	    __attribute__((warn_unused_result));
int	wa_handshake_finish(struct wa_handshake *hs, const uint8_t *payload,
	    size_t len, struct buf *out, struct wa_noise_transport *tr)
	    __attribute__((warn_unused_result));
void	wa_handshake_clear(struct wa_handshake *hs);
const char *wa_handshake_strerror(enum wa_hs_err err);

/* The certificate chain alone (cert.c; spec 3.2). */
enum wa_hs_err wa_cert_verify(const uint8_t *chain, size_t len,
	    const uint8_t server_static[WA_NOISE_KEY_LEN],
	    const uint8_t root_key[WA_NOISE_KEY_LEN], time_t now);

#endif /* !WADESK_WA_NOISE_H */
