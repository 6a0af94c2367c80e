/*
 * wasignal.h: what daemon/wa adds around libsignal-protocol-c (Debian's
 * libsignal-protocol-c 2.3.3), the Signal protocol library that does
 * every ratchet step for us.  Three pieces:
 *
 *	signal_crypto.c	the crypto provider libsignal calls into
 *			(random, HMAC-SHA256, SHA-512, AES-CBC/CTR) on
 *			OpenSSL 3 libcrypto and libsodium
 *	signal_store.c	libsignal's five store callback tables on top
 *			of struct wa_store (wa.h), the small key-value
 *			interface the caller implements (the daemon
 *			over PostgreSQL; tests in memory)
 *	msg.c		WhatsApp's framing around Signal: random
 *			padding, message ids, waE2E.Message decoding
 *
 * Nothing here touches the database.  Same threading rule as wa.h:
 * one thread; libsignal's locking hooks are left unset.
 */
#ifndef WADESK_WA_WASIGNAL_H
#define WADESK_WA_WASIGNAL_H

#include <stddef.h>
#include <stdint.h>

#include <signal_protocol.h>

#include "keys.h"
#include "wa.h"

/*
 * Create a libsignal context with our crypto provider installed and
 * libsignal's log lines routed to lib/log.h.  The caller owns *out and
 * releases it with signal_context_destroy().  Returns 0, or -1 (logged).
 */
int	wa_signal_context_new(signal_context **out);

/*
 * The crypto provider itself (static storage, never NULL), for
 * wa_signal_crypto_install() and the known-answer tests.
 */
const signal_crypto_provider	*wa_signal_crypto(void);

/*
 * Install the crypto provider (random from libsodium, HMAC-SHA256 and
 * SHA-512 from OpenSSL EVP_MAC / EVP_MD, AES-CBC with PKCS#5 padding
 * and AES-CTR without padding from OpenSSL EVP for 16-, 24- and 32-byte
 * keys; the shapes signal_protocol.h signal_crypto_provider asks for,
 * matching libsignal-protocol-c's own tests/test_common.c provider) on
 * "ctx".  Returns 0, or -1 (logged).
 */
int	wa_signal_crypto_install(signal_context *ctx);

/*
 * One account's stores for libsignal, created over "store" (borrowed;
 * must outlive the result) with our own identity from "creds"
 * (borrowed likewise: identity key pair, registration id, the signed
 * pre-key and its signature).  The caller owns *out and releases it
 * with signal_protocol_store_context_destroy().  Returns 0, or -1
 * (logged).
 *
 * Mapping (whatsmeow store/signal.go; Baileys Signal/libsignal.ts
 * signalStorage):
 *	identity key pair, registration id	creds (never stored)
 *	signed pre-key			creds (id WA_CREDS_SPK_ID)
 *	one-time pre-keys		WA_STORE_PREKEY, name the decimal id,
 *					value the 32-byte private half
 *					(what wa.h prekeys_new handed up)
 *	sessions			WA_STORE_SESSION, "name.device"
 *	remote identities		WA_STORE_IDENTITY, "name.device",
 *					value the 33-byte 05-prefixed key
 *	sender keys			WA_STORE_SENDER_KEY,
 *					"group\nname.device"
 */
int	wa_signal_store_new(signal_context *ctx, const struct wa_store *store,
	    const struct wa_creds *creds,
	    signal_protocol_store_context **out);

/*
 * The store key "name.device" of a Signal address (whatsmeow
 * JID.SignalAddress().String(); Baileys jidToSignalProtocolAddress) into
 * out (outsz bytes).  Returns 0, or -1 if it does not fit.
 */
int	wa_signal_addr_key(const signal_protocol_address *a, char *out,
	    size_t outsz);

/*
 * A libsignal pre-key bundle from the raw 32-byte keys WhatsApp sends
 * in an <iq xmlns="encrypt"> result (whatsmeow prekeys.go
 * nodeToPreKeyBundle: <registration> 4 bytes BE, <identity>, <skey>
 * id/value/signature, optional <key> id/value; Baileys
 * parseAndInjectE2ESessions): the 05 type byte is added here.
 * prekey_pub may be NULL (no one-time pre-key left on the server).
 * The caller owns *out (SIGNAL_UNREF).  Returns 0, or -1 (not logged:
 * the keys are the peer's data).
 */
int	wa_signal_bundle(signal_context *ctx, uint32_t regid, int device,
	    uint32_t prekey_id, const uint8_t *prekey_pub, uint32_t spk_id,
	    const uint8_t spk_pub[WA_KEY_LEN], const uint8_t spk_sig[WA_SIG_LEN],
	    const uint8_t identity_pub[WA_KEY_LEN],
	    session_pre_key_bundle **out);

#endif /* !WADESK_WA_WASIGNAL_H */
