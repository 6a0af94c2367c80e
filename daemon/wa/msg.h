/*
 * msg.h: WhatsApp's framing around the Signal ciphertexts (pure code,
 * no state): the random padding of every plaintext, message ids, and
 * the waE2E.Message subset of wa-e2e.proto.
 */
#ifndef WADESK_WA_MSG_H
#define WADESK_WA_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

#define	WA_MSG_ID_LEN		(4 + 18 + 1)	/* "3EB0" + 18 hex + NUL */
#define	WA_MSG_PAD_MAX		15		/* padding bytes at most */

/*
 * Append 1..15 padding bytes to "b", each equal to the count: one
 * random byte's low nibble, 0 taken as 15 (whatsmeow message.go
 * padMessage; Baileys Utils/generics.ts writeRandomPadMax16).
 */
void	wa_msg_pad(struct buf *b);

/*
 * Check and strip the padding of a decrypted plaintext "p" ("len"
 * bytes), for enc v="2" (whatsmeow message.go unpadMessage and
 * isValidPadding): the last byte n says how many trailing bytes are
 * padding and all n of them must equal n; n = 0 strips nothing, as
 * whatsmeow and Baileys (unpadRandomMax16) both accept.  Stores the
 * unpadded length in *outlen.  Returns 0, or -1 (not logged: peer
 * data) for an empty plaintext, n > len or a padding byte that differs.
 */
int	wa_msg_unpad(const uint8_t *p, size_t len, size_t *outlen)
	    __attribute__((warn_unused_result));

/*
 * A new message id into out: "3EB0" and the first 9 bytes of
 * SHA-256(unix time as 8 bytes BE || own user || "@c.us" || 16 random
 * bytes) in upper-case hex (whatsmeow send.go GenerateMessageID).
 * own_user may be NULL or "" before login (then it is left out, as
 * whatsmeow does with an empty own JID).
 */
void	wa_msg_id(char out[WA_MSG_ID_LEN], const char *own_user, time_t now);

/*
 * What wadesk takes from one decoded waE2E.Message.  Pointers borrow
 * from the decoded protobuf and live until wa_msg_free().
 */
struct	wa_msg {
	void		*pb;		/* WaE2E__Message, owned */
	const char	*text;		/* conversation or extendedTextMessage
					   .text (inside deviceSentMessage
					   when present), or NULL */
	const char	*dsm_dest;	/* deviceSentMessage.destinationJID:
					   the chat our phone wrote to, or
					   NULL */
	const char	*skdm_group;	/* senderKeyDistributionMessage
					   .groupID, or NULL */
	const uint8_t	*skdm;		/* ...axolotlSenderKeyDistribution-
					   Message (libsignal bytes) */
	size_t		 skdm_len;	/* 0: none */
	int		 protocol;	/* ProtocolMessage.type, -1: none */
};

/* ProtocolMessage.Type values we act on (wa-e2e.proto). */
#define	WA_PROTO_REVOKE			0
#define	WA_PROTO_HISTORY_SYNC		5
#define	WA_PROTO_APP_STATE_KEY_SHARE	6

/*
 * Decode the unpadded plaintext "p" (len bytes) as waE2E.Message into
 * *m, unwrapping deviceSentMessage.message (whatsmeow message.go
 * processProtocolParts and events.Message UnwrapRaw).  Returns 0 (free
 * with wa_msg_free()), or -1 (not logged; *m cleared) when it is not a
 * valid protobuf of that schema.
 */
int	wa_msg_decode(const uint8_t *p, size_t len, struct wa_msg *m)
	    __attribute__((warn_unused_result));

/* Release what wa_msg_decode() holds; a cleared *m is a no-op. */
void	wa_msg_free(struct wa_msg *m);

/*
 * Encode a text message (waE2E.Message.conversation, as whatsmeow
 * SendMessage with a plain Conversation and Baileys for text without
 * preview do), wrapped in deviceSentMessage{destinationJID: dest,
 * message} when dest is not NULL (our own other devices, whatsmeow
 * send.go), then padded (wa_msg_pad) into "out" (reset first).
 * Returns 0, or -1 (logged) for a text that is empty.
 */
int	wa_msg_encode_text(struct buf *out, const char *text,
	    const char *dest);

#endif /* !WADESK_WA_MSG_H */
