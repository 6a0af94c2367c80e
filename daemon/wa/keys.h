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
#define WA_DJB_TYPE		0x05	/* "DJB" key type prefix, spec 9.2 */

/* An X25519 key pair.  priv is clamped (spec 9.1); pub = X25519(priv, 9). */
struct	wa_keypair {
	uint8_t	 pub[WA_KEY_LEN];	/* Montgomery u, little-endian */
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
int	wa_xeddsa_sign(const uint8_t priv[32], const uint8_t *msg, size_t len,
	    uint8_t sig[64]);

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
int	wa_xeddsa_verify(const uint8_t pub[32], const uint8_t *msg, size_t len,
	    const uint8_t sig[64]);

#endif /* !WADESK_WA_KEYS_H */
