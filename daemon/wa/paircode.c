/*
 * Pairing with a phone-number code (spec 7): the code, the wrapped
 * companion ephemeral key of companion_hello, and the key bundle and
 * new ADV secret of companion_finish.  Protocol facts from whatsmeow
 * pair-code.go (PairPhone, handleCodePairNotification) and Baileys
 * src/Socket/socket.ts / messages-recv.ts, as restated by the spec;
 * the primitives come from crypto.h.
 */
#include <string.h>

#include <sodium.h>

#include "crypto.h"
#include "log.h"
#include "keys.h"
#include "pair.h"

/* whatsmeow pair-code.go: base32 with this alphabet (spec 7.1). */
static const char	 CODE_ALPHABET[] = "123456789ABCDEFGHJKLMNPQRSTVWXYZ";

/* HKDF info strings (spec 7.3 steps 5 and 9). */
static const char	 INFO_BUNDLE[] =
    "link_code_pairing_key_bundle_encryption_key";
static const char	 INFO_ADV[] = "adv_secret";

void
wa_paircode_encode(const uint8_t raw[WA_PAIRCODE_RAW_LEN],
    char code[WA_PAIRCODE_LEN + 1])
{
	uint64_t	 bits = 0;
	int		 i;

	for (i = 0; i < WA_PAIRCODE_RAW_LEN; i++)
		bits = bits << 8 | raw[i];
	for (i = 0; i < WA_PAIRCODE_LEN; i++)
		code[i] = CODE_ALPHABET[(bits >> (35 - 5 * i)) & 31];
	code[WA_PAIRCODE_LEN] = '\0';
}

int
wa_paircode_generate(char code[WA_PAIRCODE_LEN + 1])
{
	uint8_t		 raw[WA_PAIRCODE_RAW_LEN];

	if (sodium_init() < 0) {
		log_warnx("%s: sodium_init failed", __func__);
		return -1;
	}
	wa_random(raw, sizeof(raw));
	wa_paircode_encode(raw, code);
	sodium_memzero(raw, sizeof(raw));
	return 0;
}

int
wa_paircode_is_valid(const char *code)
{
	int	 i;

	if (code == NULL)
		return 0;
	for (i = 0; i < WA_PAIRCODE_LEN; i++)
		if (code[i] == '\0' || strchr(CODE_ALPHABET, code[i]) == NULL)
			return 0;
	return code[WA_PAIRCODE_LEN] == '\0';
}

int
wa_paircode_display(const char *code, char out[WA_PAIRCODE_LEN + 2])
{

	if (!wa_paircode_is_valid(code)) {
		log_warnx("%s: not a pairing code", __func__);
		return -1;
	}
	memcpy(out, code, 4);
	out[4] = '-';
	memcpy(out + 5, code + 4, 4);
	out[9] = '\0';
	return 0;
}

/* key = PBKDF2-HMAC-SHA256(code, salt, 131072, 32) (spec 7.1 step 4). */
static int
code_key(const char *code, const uint8_t salt[WA_PAIRCODE_SALT_LEN],
    uint8_t key[WA_AES256_KEY_LEN])
{

	if (!wa_paircode_is_valid(code)) {
		log_warnx("wa_paircode: not a pairing code");
		return -1;
	}
	return wa_pbkdf2_sha256(code, WA_PAIRCODE_LEN, salt,
	    WA_PAIRCODE_SALT_LEN, WA_PAIRCODE_ITERATIONS, key,
	    WA_AES256_KEY_LEN);
}

int
wa_paircode_wrap_with(const char *code, const uint8_t eph_pub[WA_KEY_LEN],
    const uint8_t salt[WA_PAIRCODE_SALT_LEN],
    const uint8_t iv[WA_PAIRCODE_IV_LEN],
    uint8_t wrapped[WA_PAIRCODE_WRAPPED_LEN])
{
	uint8_t		 key[WA_AES256_KEY_LEN];
	int		 rc = -1;

	if (code_key(code, salt, key) == -1)
		goto out;
	memcpy(wrapped, salt, WA_PAIRCODE_SALT_LEN);
	memcpy(wrapped + WA_PAIRCODE_SALT_LEN, iv, WA_PAIRCODE_IV_LEN);
	if (wa_aes256_ctr(key, iv, eph_pub, WA_KEY_LEN, wrapped +
	    WA_PAIRCODE_SALT_LEN + WA_PAIRCODE_IV_LEN) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		memset(wrapped, 0, WA_PAIRCODE_WRAPPED_LEN);
	sodium_memzero(key, sizeof(key));
	return rc;
}

int
wa_paircode_wrap(const char *code, const uint8_t eph_pub[WA_KEY_LEN],
    uint8_t wrapped[WA_PAIRCODE_WRAPPED_LEN])
{
	uint8_t		 salt[WA_PAIRCODE_SALT_LEN];
	uint8_t		 iv[WA_PAIRCODE_IV_LEN];

	wa_random(salt, sizeof(salt));
	wa_random(iv, sizeof(iv));
	return wa_paircode_wrap_with(code, eph_pub, salt, iv, wrapped);
}

int
wa_paircode_unwrap(const char *code, const uint8_t *wrapped, size_t len,
    uint8_t pub[WA_KEY_LEN])
{
	uint8_t		 key[WA_AES256_KEY_LEN];
	int		 rc = -1;

	if (wrapped == NULL || len < WA_PAIRCODE_WRAPPED_LEN) {
		log_warnx("%s: wrapped key of %zu bytes", __func__, len);
		goto out;
	}
	if (code_key(code, wrapped, key) == -1 ||
	    wa_aes256_ctr(key, wrapped + WA_PAIRCODE_SALT_LEN,
	    wrapped + WA_PAIRCODE_SALT_LEN + WA_PAIRCODE_IV_LEN, WA_KEY_LEN,
	    pub) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		memset(pub, 0, WA_KEY_LEN);
	sodium_memzero(key, sizeof(key));
	return rc;
}

/*
 * Steps 5 to 7 of spec 7.3: the encrypted key bundle.  Returns 0, or
 * -1 (logged).
 */
static int
finish_bundle(const uint8_t eph_shared[WA_X25519_LEN],
    const uint8_t identity_pub[WA_KEY_LEN],
    const uint8_t primary_identity_pub[WA_KEY_LEN],
    const uint8_t adv_random[WA_PAIRCODE_ADV_RANDOM_LEN],
    const uint8_t kb_salt[WA_PAIRCODE_KB_SALT_LEN],
    const uint8_t kb_nonce[WA_PAIRCODE_KB_NONCE_LEN],
    uint8_t bundle[WA_PAIRCODE_BUNDLE_LEN])
{
	uint8_t		 key[WA_AES256_KEY_LEN], pt[3 * WA_KEY_LEN];
	int		 rc = -1;

	if (wa_hkdf_sha256(kb_salt, WA_PAIRCODE_KB_SALT_LEN, eph_shared,
	    WA_X25519_LEN, (const uint8_t *)INFO_BUNDLE,
	    sizeof(INFO_BUNDLE) - 1, key, sizeof(key)) == -1)
		goto out;
	memcpy(pt, identity_pub, WA_KEY_LEN);
	memcpy(pt + WA_KEY_LEN, primary_identity_pub, WA_KEY_LEN);
	memcpy(pt + 2 * WA_KEY_LEN, adv_random, WA_KEY_LEN);
	memcpy(bundle, kb_salt, WA_PAIRCODE_KB_SALT_LEN);
	memcpy(bundle + WA_PAIRCODE_KB_SALT_LEN, kb_nonce,
	    WA_PAIRCODE_KB_NONCE_LEN);
	if (wa_aes256_gcm_encrypt(key, kb_nonce, NULL, 0, pt, sizeof(pt),
	    bundle + WA_PAIRCODE_KB_SALT_LEN + WA_PAIRCODE_KB_NONCE_LEN) == -1)
		goto out;
	rc = 0;
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(pt, sizeof(pt));
	return rc;
}

int
wa_paircode_finish_with(const char *code, const struct wa_keypair *eph,
    const struct wa_keypair *identity, const uint8_t *primary_wrapped,
    size_t primary_wrapped_len,
    const uint8_t primary_identity_pub[WA_KEY_LEN],
    const uint8_t adv_random[WA_PAIRCODE_ADV_RANDOM_LEN],
    const uint8_t kb_salt[WA_PAIRCODE_KB_SALT_LEN],
    const uint8_t kb_nonce[WA_PAIRCODE_KB_NONCE_LEN],
    struct wa_paircode_finish *out)
{
	uint8_t		 pe_pub[WA_KEY_LEN], ikm[3 * WA_X25519_LEN];
	int		 rc = -1;

	memset(out, 0, sizeof(*out));
	memset(ikm, 0, sizeof(ikm));
	if (wa_paircode_unwrap(code, primary_wrapped, primary_wrapped_len,
	    pe_pub) == -1)
		goto out;
	/* ikm = eph_shared || identity_shared || adv_random (step 9). */
	if (wa_x25519(ikm, eph->priv, pe_pub) == -1) {
		log_warnx("%s: primary ephemeral key is of low order",
		    __func__);
		goto out;
	}
	if (wa_x25519(ikm + WA_X25519_LEN, identity->priv,
	    primary_identity_pub) == -1) {
		log_warnx("%s: primary identity key is of low order",
		    __func__);
		goto out;
	}
	memcpy(ikm + 2 * WA_X25519_LEN, adv_random, WA_X25519_LEN);
	if (finish_bundle(ikm, identity->pub, primary_identity_pub,
	    adv_random, kb_salt, kb_nonce, out->bundle) == -1)
		goto out;
	/* No salt: HKDF's default of 32 zero bytes (RFC 5869). */
	if (wa_hkdf_sha256(NULL, 0, ikm, sizeof(ikm),
	    (const uint8_t *)INFO_ADV, sizeof(INFO_ADV) - 1, out->adv_secret,
	    WA_ADV_SECRET_LEN) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		sodium_memzero(out, sizeof(*out));
	sodium_memzero(ikm, sizeof(ikm));
	return rc;
}

int
wa_paircode_finish(const char *code, const struct wa_keypair *eph,
    const struct wa_keypair *identity, const uint8_t *primary_wrapped,
    size_t primary_wrapped_len,
    const uint8_t primary_identity_pub[WA_KEY_LEN],
    struct wa_paircode_finish *out)
{
	uint8_t		 adv_random[WA_PAIRCODE_ADV_RANDOM_LEN];
	uint8_t		 kb_salt[WA_PAIRCODE_KB_SALT_LEN];
	uint8_t		 kb_nonce[WA_PAIRCODE_KB_NONCE_LEN];
	int		 rc;

	wa_random(adv_random, sizeof(adv_random));
	wa_random(kb_salt, sizeof(kb_salt));
	wa_random(kb_nonce, sizeof(kb_nonce));
	rc = wa_paircode_finish_with(code, eph, identity, primary_wrapped,
	    primary_wrapped_len, primary_identity_pub, adv_random, kb_salt,
	    kb_nonce, out);
	sodium_memzero(adv_random, sizeof(adv_random));
	return rc;
}
