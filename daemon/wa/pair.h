/*
 * Pairing cryptography of a WhatsApp multi-device companion, as pure
 * functions on bytes (the client builds and parses the nodes):
 *  - the QR string for a pair-device ref (spec 6.3);
 *  - pair-success verification and the pair-device-sign reply
 *    (spec 6.5);
 *  - the phone-number pairing code: the code, the wrapped ephemeral
 *    key of companion_hello, and companion_finish from primary_hello
 *    (spec 7).
 *
 * Spec: /work/shared/protocol/wa-md-protocol.md sections 6, 7, 9.
 */
#ifndef WADESK_WA_PAIR_H
#define WADESK_WA_PAIR_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

/* QR (spec 6.3). */
#define WA_QR_PREFIX		"https://wa.me/settings/linked_devices#"
#define WA_QR_REF_MAX		512	/* longest ref, bytes */
#define WA_QR_PLATFORM_WEB	"9"	/* whatsmeow default type */

/*
 * The QR string for one pair-device ref: WA_QR_PREFIX, then ref, the
 * Noise static public key, the identity public key and the ADV secret
 * (each base64, standard alphabet with padding, 44 characters) and the
 * companion platform id, comma-separated (whatsmeow makeQRData since
 * 876de1e9, Baileys buildPairingQRData).  With platform_id NULL, the
 * legacy form: the first four fields only, no prefix.
 *
 * ref is the <ref> content as received (reflen bytes, not
 * NUL-terminated); it must be 1..WA_QR_REF_MAX printable ASCII bytes
 * without a comma.  platform_id must be 1..2 characters of [0-9a-z]
 * (whatsmeow PairClientType: "1" Chrome ... "9" other web client, "c"
 * macOS, "e" Android).  Returns a NUL-terminated string the caller
 * frees with free(), or NULL (logged) for a bad ref or platform id.
 * The result lets a phone link this device: never log it.
 */
char	*wa_qr_string(const uint8_t *ref, size_t reflen,
	    const uint8_t noise_pub[WA_KEY_LEN],
	    const uint8_t identity_pub[WA_KEY_LEN],
	    const uint8_t adv_secret[WA_ADV_SECRET_LEN],
	    const char *platform_id);

/* pair-success (spec 6.5). */
#define WA_PAIR_IDENTITY_MAX	2048	/* longest <device-identity> */

/*
 * Outcome of wa_pair_success_verify.  The error replies are
 * whatsmeow's (spec 6.5 steps 2, 5 and 8): see wa_pair_err_code and
 * wa_pair_err_text.
 */
enum	wa_pair_err {
	WA_PAIR_OK,			/* verified; result filled */
	WA_PAIR_MALFORMED,		/* not decodable, too long, or a
					   required field missing: 500
					   internal-error */
	WA_PAIR_HMAC_MISMATCH,		/* HMAC with our ADV secret fails:
					   401 hmac-mismatch */
	WA_PAIR_SIGNATURE_MISMATCH,	/* account key/signature wrong
					   size or not valid: 401
					   signature-mismatch */
	WA_PAIR_INTERNAL,		/* our own failure (signing,
					   encoding): 500 internal-error */
	WA_PAIR__MAX
};

/* What a verified pair-success yields. */
struct	wa_pair_result {
	uint32_t	 key_index;	/* ADVDeviceIdentity.keyIndex (0 if
					   absent): <device-identity
					   key-index="..."> */
	uint32_t	 raw_id;	/* ADVDeviceIdentity.rawId */
	uint64_t	 timestamp;	/* ADVDeviceIdentity.timestamp (s) */
	int		 is_hosted;	/* deviceType == HOSTED (06 05) */
	int		 is_hosted_hmac; /* container accountType is
					   HOSTED */
	uint8_t		 account_sig_key[WA_KEY_LEN]; /* the primary's
					   account signature key */
	uint8_t		 device_sig[WA_SIG_LEN]; /* our device
					   signature */
	uint8_t		 account[WA_CREDS_ACCOUNT_MAX]; /* to store
					   (step 7): ADVSignedDevice-
					   Identity with accountSignature-
					   Key and our deviceSignature */
	size_t		 account_len;
	uint8_t		 reply[WA_CREDS_ACCOUNT_MAX]; /* content of
					   <device-identity> in pair-
					   device-sign (step 8): the same
					   without accountSignatureKey */
	size_t		 reply_len;
};

/*
 * Verify the <device-identity> content of a pair-success (len bytes of
 * a serialized ADVSignedDeviceIdentityHMAC) and produce the reply:
 *  1. len must be 1..WA_PAIR_IDENTITY_MAX, then the container decodes
 *     with details present;
 *  2. HMAC-SHA256(adv_secret, [06 05 if accountType == HOSTED] ||
 *     details) must equal its hmac, compared in constant time;
 *  3. details decode as ADVSignedDeviceIdentity, whose details decode as
 *     ADVDeviceIdentity;
 *  4. accountSignatureKey (32 bytes) must have signed
 *     [06 05 if deviceType == HOSTED, else 06 00] || details ||
 *     identity->pub with accountSignature (64 bytes);
 *  5. device signature = Sign(identity->priv, 06 01 || details ||
 *     identity->pub || accountSignatureKey).
 * Per whatsmeow pair.go handlePair and Baileys
 * configureSuccessfulPairing (spec 6.5; the deviceType prefix rule per
 * whatsmeow 8a86a551).  On WA_PAIR_OK out is filled; otherwise out is
 * zeroed and the failure is logged here (the caller only replies).
 * Hostile input never crashes: every length is checked before use.
 */
enum wa_pair_err wa_pair_success_verify(const uint8_t *identity_bytes,
	    size_t len, const uint8_t adv_secret[WA_ADV_SECRET_LEN],
	    const struct wa_keypair *identity, struct wa_pair_result *out)
	    __attribute__((warn_unused_result));

/*
 * As wa_pair_success_verify, with the device signature's random Z
 * supplied (deterministic; for the vectors, which use Z = 0).
 */
enum wa_pair_err wa_pair_success_verify_z(const uint8_t *identity_bytes,
	    size_t len, const uint8_t adv_secret[WA_ADV_SECRET_LEN],
	    const struct wa_keypair *identity,
	    const uint8_t z[WA_SIG_RANDOM_LEN], struct wa_pair_result *out)
	    __attribute__((warn_unused_result));

/* The <error code=...> of the error reply: 401 or 500; 0 for OK. */
int		 wa_pair_err_code(enum wa_pair_err err);

/* The <error text=...>: "hmac-mismatch", "signature-mismatch",
 * "internal-error"; "" for OK.  Static storage. */
const char	*wa_pair_err_text(enum wa_pair_err err);

/* Pairing code (spec 7). */
#define WA_PAIRCODE_LEN		8	/* characters, no dash */
#define WA_PAIRCODE_RAW_LEN	5	/* random bytes behind a code */
#define WA_PAIRCODE_SALT_LEN	32
#define WA_PAIRCODE_IV_LEN	16
#define WA_PAIRCODE_WRAPPED_LEN	80	/* salt || iv || CTR(pub) */
#define WA_PAIRCODE_ITERATIONS	131072	/* PBKDF2 rounds, 2 << 16 */
#define WA_PAIRCODE_KB_SALT_LEN	32
#define WA_PAIRCODE_KB_NONCE_LEN 12
#define WA_PAIRCODE_ADV_RANDOM_LEN 32
#define WA_PAIRCODE_BUNDLE_LEN	156	/* salt, nonce, GCM ct+tag */

/*
 * The 8-character code for 5 raw bytes: 40 bits as 8 symbols of 5 bits,
 * most significant first, over "123456789ABCDEFGHJKLMNPQRSTVWXYZ"
 * (whatsmeow pair-code.go base32 with that alphabet, Baileys
 * bytesToCrockford).  Writes code[0..7] and a NUL.
 */
void	wa_paircode_encode(const uint8_t raw[WA_PAIRCODE_RAW_LEN],
	    char code[WA_PAIRCODE_LEN + 1]);

/* A fresh random code.  Returns 0, or -1 (logged). */
int	wa_paircode_generate(char code[WA_PAIRCODE_LEN + 1]);

/* 1 if code is exactly 8 characters of the alphabet above, else 0. */
int	wa_paircode_is_valid(const char *code);

/* "XXXX-XXXX" for a valid code (whatsmeow's display form).  Returns 0,
 * or -1 (logged) if code is not valid. */
int	wa_paircode_display(const char *code, char out[WA_PAIRCODE_LEN + 2]);

/*
 * Wrap the companion's ephemeral public key for companion_hello (spec
 * 7.1): key = PBKDF2-HMAC-SHA256(code, salt, 131072, 32); wrapped =
 * salt (32) || iv (16) || AES-256-CTR(key, iv, eph_pub) (32).  Salt
 * and iv are random.  Returns 0, or -1 (logged; bad code or crypto).
 */
int	wa_paircode_wrap(const char *code, const uint8_t eph_pub[WA_KEY_LEN],
	    uint8_t wrapped[WA_PAIRCODE_WRAPPED_LEN]);

/* As wa_paircode_wrap with the salt and iv supplied (deterministic). */
int	wa_paircode_wrap_with(const char *code,
	    const uint8_t eph_pub[WA_KEY_LEN],
	    const uint8_t salt[WA_PAIRCODE_SALT_LEN],
	    const uint8_t iv[WA_PAIRCODE_IV_LEN],
	    uint8_t wrapped[WA_PAIRCODE_WRAPPED_LEN]);

/*
 * Unwrap a wrapped ephemeral key (the inverse of wa_paircode_wrap; spec
 * 7.3 step 2).  len must be at least 80 (whatsmeow uses the first 80
 * bytes and ignores the rest).  Returns 0, or -1 (logged).
 */
int	wa_paircode_unwrap(const char *code, const uint8_t *wrapped,
	    size_t len, uint8_t pub[WA_KEY_LEN]);

/* What companion_finish needs (spec 7.3 steps 7, 9). */
struct	wa_paircode_finish {
	uint8_t	 bundle[WA_PAIRCODE_BUNDLE_LEN]; /* <link_code_pairing_
					   wrapped_key_bundle> */
	uint8_t	 adv_secret[WA_ADV_SECRET_LEN]; /* the new ADV secret:
					   replaces the stored one; secret */
};

/*
 * companion_finish from a primary_hello (spec 7.3; whatsmeow
 * pair-code.go handleCodePairNotification): unwrap the primary's
 * ephemeral key with the code; eph_shared = X25519(eph->priv, it);
 * kb_key = HKDF(eph_shared, salt kb_salt, "link_code_pairing_key_
 * bundle_encryption_key"); bundle = kb_salt || kb_nonce ||
 * AES-256-GCM(kb_key, kb_nonce, identity->pub || primary_identity_pub
 * || adv_random); identity_shared = X25519(identity->priv,
 * primary_identity_pub); adv_secret = HKDF(eph_shared ||
 * identity_shared || adv_random, no salt, "adv_secret").  eph is the
 * companion ephemeral pair wrapped in companion_hello; primary_wrapped
 * is the <link_code_pairing_wrapped_primary_ephemeral_pub> content
 * (>= 80 bytes).  The random values are fresh.  The caller checks the
 * pairing ref.  Returns 0, or -1 (logged; out zeroed) for a bad code,
 * short input, a low-order key or a crypto failure.
 */
int	wa_paircode_finish(const char *code, const struct wa_keypair *eph,
	    const struct wa_keypair *identity, const uint8_t *primary_wrapped,
	    size_t primary_wrapped_len,
	    const uint8_t primary_identity_pub[WA_KEY_LEN],
	    struct wa_paircode_finish *out);

/* As wa_paircode_finish with adv_random, kb_salt and kb_nonce
 * supplied (deterministic; for the vectors). */
int	wa_paircode_finish_with(const char *code,
	    const struct wa_keypair *eph, const struct wa_keypair *identity,
	    const uint8_t *primary_wrapped, size_t primary_wrapped_len,
	    const uint8_t primary_identity_pub[WA_KEY_LEN],
	    const uint8_t adv_random[WA_PAIRCODE_ADV_RANDOM_LEN],
	    const uint8_t kb_salt[WA_PAIRCODE_KB_SALT_LEN],
	    const uint8_t kb_nonce[WA_PAIRCODE_KB_NONCE_LEN],
	    struct wa_paircode_finish *out);

#endif /* !WADESK_WA_PAIR_H */
