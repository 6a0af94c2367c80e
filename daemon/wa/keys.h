/*
 * Keys and signatures of a WhatsApp multi-device companion: X25519 key
 * pairs, the curve25519 signature scheme libsignal uses ("XEdDSA" as
 * libsignal implements it), the signed pre-key, the registration id,
 * the ADV secret, and struct wa_creds, everything a companion needs to
 * log in again, with a strict versioned binary serialization.
 *
 * Spec: /work/shared/protocol/wa-md-protocol.md sections 6.6 and 9.
 * Secrets: wipe every copy with sodium_memzero(); struct wa_creds lives
 * in sodium_malloc() memory (wa_creds_new/wa_creds_free).
 */
#ifndef WADESK_WA_KEYS_H
#define WADESK_WA_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define WA_KEY_LEN		32	/* X25519 public or private key */
#define WA_SIG_LEN		64	/* curve25519 signature R || S */
#define WA_SIG_RANDOM_LEN	64	/* the scheme's random Z */
#define WA_ADV_SECRET_LEN	32
#define WA_DJB_TYPE		0x05	/* key type prefix, spec 9.2 */

/* An X25519 key pair.  priv is clamped (spec 9.1); pub = X25519(priv, 9). */
struct	wa_keypair {
	uint8_t	 pub[WA_KEY_LEN];	/* Montgomery u, LE */
	uint8_t	 priv[WA_KEY_LEN];	/* clamped scalar; secret */
};

/*
 * Fill kp with a fresh key pair: 32 bytes from the libsodium CSPRNG,
 * clamped (priv[0] &= 248, priv[31] &= 127, priv[31] |= 64; whatsmeow
 * util/keys/keypair.go, spec 9.1), pub = X25519 base point multiple.
 * Returns 0, or -1 (logged) if libsodium cannot initialise.
 */
int	wa_keypair_generate(struct wa_keypair *kp);

/*
 * Fill kp->pub from a 32-byte private key, which is clamped into
 * kp->priv first.  priv may alias kp->priv.  Returns 0, or -1 (logged)
 * if the X25519 result is all zero (cannot happen for a clamped key).
 */
int	wa_keypair_from_private(struct wa_keypair *kp,
	    const uint8_t priv[WA_KEY_LEN]);

/*
 * Sign len bytes of msg with the X25519 private key priv, using the
 * curve25519 signature scheme of libsignal (libsignal-protocol-c
 * curve_sigs.c curve25519_sign; go.mau.fi/libsignal ecc; spec 9.3):
 * Z is 64 fresh random bytes.  The key is clamped before use, so the
 * signature always matches the X25519 public key of priv.  Writes the
 * 64-byte signature R || S with the Edwards sign bit in sig[63] bit 7.
 * msg may be NULL when len is 0.  Returns 0, or -1 (logged; sig zeroed).
 */
int	wa_xeddsa_sign(const uint8_t priv[32], const uint8_t *msg,
	    size_t len, uint8_t sig[64]);

/*
 * As wa_xeddsa_sign, with the 64-byte random Z supplied by the caller.
 * Deterministic; for test vectors (spec Appendix A uses Z = 64 zero
 * bytes).  Production code calls wa_xeddsa_sign.
 */
int	wa_xeddsa_sign_z(const uint8_t priv[32], const uint8_t *msg,
	    size_t len, const uint8_t z[WA_SIG_RANDOM_LEN], uint8_t sig[64]);

/*
 * Verify a libsignal curve25519 signature (spec 9.3): convert the
 * Montgomery u of pub to the Edwards y, take the sign bit from
 * sig[63], then check it as Ed25519 with libsodium.  Returns 1 if sig
 * is valid for msg and pub, 0 otherwise: a bad signature, a
 * non-canonical S (>= L), R or A not a valid point or of small order,
 * u >= 2^255 - 19 or u = -1 (no Edwards image).  Never logs: a bad
 * signature is data, not a failure.  msg may be NULL when len is 0.
 */
int	wa_xeddsa_verify(const uint8_t pub[32], const uint8_t *msg,
	    size_t len, const uint8_t sig[64])
	    __attribute__((warn_unused_result));

/*
 * Sign a signed pre-key: sig = Sign(identity_priv, 05 || spk_pub), the
 * 33-byte message of spec 9.2 (whatsmeow KeyPair.Sign, Baileys
 * signedKeyPair).  Returns 0, or -1 (logged).
 */
int	wa_prekey_sign(const uint8_t identity_priv[WA_KEY_LEN],
	    const uint8_t spk_pub[WA_KEY_LEN], uint8_t sig[WA_SIG_LEN]);

/* 1 if sig is identity_pub's signature of 05 || spk_pub, else 0. */
int	wa_prekey_verify(const uint8_t identity_pub[WA_KEY_LEN],
	    const uint8_t spk_pub[WA_KEY_LEN], const uint8_t sig[WA_SIG_LEN])
	    __attribute__((warn_unused_result));

/*
 * A fresh registration id, uniform in 1..16380 (libsignal's range, as
 * spec 9.4 recommends; wire form 4 bytes BE).  0 only if libsodium
 * cannot initialise (logged).
 */
uint32_t wa_registration_id_generate(void);

/* 32 fresh random bytes (spec 9.4).  Returns 0, or -1 (logged). */
int	wa_adv_secret_generate(uint8_t secret[WA_ADV_SECRET_LEN]);

/* Capacities of the strings and the account in struct wa_creds. */
#define WA_CREDS_JID_MAX	128	/* jid, lid: bytes incl. NUL */
#define WA_CREDS_PLATFORM_MAX	64	/* platform: bytes incl. NUL */
#define WA_CREDS_NAME_MAX	256	/* push/business name, incl. NUL */
#define WA_CREDS_ACCOUNT_MAX	1024	/* account identity bytes */
#define WA_CREDS_SPK_ID		1	/* signed pre-key id (9.1) */
#define WA_CREDS_ENC_MAX	4096	/* wa_creds_encode bound */

/*
 * Everything a companion needs to log in again (spec 6.6).  Lives in
 * sodium_malloc() memory: allocate with wa_creds_new().  Strings are
 * NUL-terminated UTF-8, "" when absent.  The fields after adv_secret
 * are set by pairing (wa_creds_set_account) and later messages.
 */
struct	wa_creds {
	struct wa_keypair noise_key;	/* Noise static key (spec 2.6) */
	struct wa_keypair identity_key;	/* Signal identity (spec 9.1) */
	struct wa_keypair signed_pre_key; /* signed pre-key (spec 9.1) */
	uint32_t	 signed_pre_key_id; /* uint24, 1..2^24-1 */
	uint8_t		 signed_pre_key_sig[WA_SIG_LEN]; /* spec 9.2 */
	uint32_t	 registration_id; /* 1..16380 when generated */
	uint8_t		 adv_secret[WA_ADV_SECRET_LEN]; /* QR or derived
					   by the pairing code (7.3) */
	int		 is_paired;	/* 1 once pair-success applied */
	char		 jid[WA_CREDS_JID_MAX]; /* own device JID
					   "15551234567:12@s.whatsapp.net" */
	char		 lid[WA_CREDS_JID_MAX]; /* own LID "...:12@lid" */
	uint8_t		 account_sig_key[WA_KEY_LEN]; /* primary's
					   account signature key */
	uint8_t		 account[WA_CREDS_ACCOUNT_MAX]; /* serialized
					   ADVSignedDeviceIdentity with
					   accountSignatureKey and our
					   deviceSignature (spec 6.5 step 7) */
	size_t		 account_len;	/* bytes used in account */
	char		 platform[WA_CREDS_PLATFORM_MAX]; /* <platform
					   name> of the primary */
	char		 push_name[WA_CREDS_NAME_MAX];
	char		 business_name[WA_CREDS_NAME_MAX]; /* <biz name> */
	uint32_t	 next_prekey_id; /* next one-time pre-key id,
					   1..2^24-1; 0: none made yet
					   (whatsmeow sqlstore's counter) */
	uint32_t	 prekeys_uploaded; /* one-time pre-keys the server
					   accepted, ever (whatsmeow
					   UploadedPreKeyCount) */
};

/*
 * Allocate zeroed credentials in guarded sodium_malloc() memory.
 * Returns NULL (logged) if that fails.  Free with wa_creds_free().
 */
struct wa_creds	*wa_creds_new(void);

/* Wipe and free; NULL is a no-op. */
void	wa_creds_free(struct wa_creds *c);

/*
 * Fill c with fresh unpaired credentials: Noise, identity and signed
 * pre-key pairs, signed pre-key id 1 and its signature, registration
 * id, ADV secret; the paired fields are cleared.  Returns 0, or -1
 * (logged; c is then wiped).
 */
int	wa_creds_generate(struct wa_creds *c);

/*
 * Record a verified pairing (spec 6.5, 6.6): the device JID, the LID
 * (NULL or "" if none), the primary's platform and business name (NULL
 * or "" if absent), the account identity bytes (1..WA_CREDS_ACCOUNT_MAX)
 * and the account signature key.  Strings must be valid UTF-8 without
 * control characters and fit their fields.  Sets is_paired.  Returns
 * 0, or -1 (logged; c unchanged).
 */
int	wa_creds_set_account(struct wa_creds *c, const char *jid,
	    const char *lid, const char *platform, const char *business_name,
	    const uint8_t *account, size_t account_len,
	    const uint8_t account_sig_key[WA_KEY_LEN]);

/* Set the LID or the push name (NULL or "" clears).  0, or -1 (logged)
 * for text that is too long or not clean UTF-8; c is then unchanged. */
int	wa_creds_set_lid(struct wa_creds *c, const char *lid);
int	wa_creds_set_push_name(struct wa_creds *c, const char *name);

/*
 * Serialize c into out (outsz bytes; WA_CREDS_ENC_MAX always suffices)
 * and store the length in *lenp.  Format version 1: "WACR", 0x01, the
 * length of what follows (2 bytes BE), then records tag (1 byte),
 * length (2 bytes BE), value, in ascending tag order; private keys
 * only (public keys are derived on decode).  The
 * output holds secrets: wipe it after use.  Returns 0, or -1 (logged)
 * if c is inconsistent or out too small.
 */
int	wa_creds_encode(const struct wa_creds *c, uint8_t *out, size_t outsz,
	    size_t *lenp);

/*
 * Parse what wa_creds_encode wrote, strictly: magic and version, every
 * record known, in ascending order, of the exact or bounded length,
 * required records present, the signed pre-key signature valid, the
 * paired records all present or all absent, strings clean UTF-8.  c is
 * zeroed first.  Returns 0, or -1 (logged; c wiped).
 */
int	wa_creds_decode(struct wa_creds *c, const uint8_t *in, size_t len)
	    __attribute__((warn_unused_result));

/*
 * 1 if s (len bytes) is valid UTF-8 with no C0 control characters and
 * no DEL, else 0.  Used for every string from the server we store.
 */
int	wa_text_is_clean(const char *s, size_t len);

#endif /* !WADESK_WA_KEYS_H */
