/*
 * WhatsApp's framing around Signal (msg.h): padding, message ids and
 * the waE2E.Message subset.  Pure: no state, no I/O, fuzzable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "log.h"
#include "msg.h"
#include "wa-e2e.pb-c.h"
#include "xalloc.h"

/* Append 1..15 padding bytes (msg.h; whatsmeow padMessage). */
void
wa_msg_pad(struct buf *b)
{
	uint8_t	 n, pad[WA_MSG_PAD_MAX];

	wa_random(&n, 1);
	n &= 0x0f;
	if (n == 0)
		n = 0x0f;
	memset(pad, n, n);
	buf_append(b, pad, n);
}

/* Check and strip the padding (msg.h; whatsmeow unpadMessage). */
int
wa_msg_unpad(const uint8_t *p, size_t len, size_t *outlen)
{
	size_t	 n, i;

	*outlen = 0;
	if (len == 0)
		return -1;
	n = p[len - 1];
	if (n > len)
		return -1;
	for (i = len - n; i < len; i++)
		if (p[i] != n)
			return -1;
	*outlen = len - n;
	return 0;
}

/* A "3EB0..." message id (msg.h; whatsmeow GenerateMessageID). */
void
wa_msg_id(char out[WA_MSG_ID_LEN], const char *own_user, time_t now)
{
	static const char	 hex[] = "0123456789ABCDEF";
	struct buf		 b;
	uint8_t			 ts[8], rnd[16], h[WA_SHA256_LEN];
	uint64_t		 t = (uint64_t)now;
	int			 i;

	for (i = 0; i < 8; i++)
		ts[i] = (uint8_t)(t >> (56 - 8 * i));
	wa_random(rnd, sizeof(rnd));
	buf_init(&b);
	buf_append(&b, ts, sizeof(ts));
	if (own_user != NULL && *own_user != '\0') {
		buf_puts(&b, own_user);
		buf_puts(&b, "@c.us");
	}
	buf_append(&b, rnd, sizeof(rnd));
	wa_sha256(b.data, b.len, h);
	buf_free(&b);
	memcpy(out, "3EB0", 4);
	for (i = 0; i < 9; i++) {
		out[4 + 2 * i] = hex[h[i] >> 4];
		out[5 + 2 * i] = hex[h[i] & 0x0f];
	}
	out[WA_MSG_ID_LEN - 1] = '\0';
}

/* Text of one (unwrapped) message, or NULL. */
static const char *
msg_text(const WaE2E__Message *pb)
{

	if (pb->conversation != NULL)
		return pb->conversation;
	if (pb->extendedtextmessage != NULL)
		return pb->extendedtextmessage->text;
	return NULL;
}

/* Decode a waE2E.Message (msg.h; whatsmeow processProtocolParts). */
int
wa_msg_decode(const uint8_t *p, size_t len, struct wa_msg *m)
{
	WaE2E__Message	*pb, *in;

	memset(m, 0, sizeof(*m));
	m->protocol = -1;
	if ((pb = wa_e2_e__message__unpack(NULL, len, p)) == NULL)
		return -1;
	m->pb = pb;
	in = pb;
	if (pb->devicesentmessage != NULL) {
		m->dsm_dest = pb->devicesentmessage->destinationjid;
		if (pb->devicesentmessage->message != NULL)
			in = pb->devicesentmessage->message;
	}
	m->text = msg_text(in);
	if (in->senderkeydistributionmessage != NULL &&
	    in->senderkeydistributionmessage->has_axolotlsenderkeydistributionmessage) {
		m->skdm_group = in->senderkeydistributionmessage->groupid;
		m->skdm = in->senderkeydistributionmessage->
		    axolotlsenderkeydistributionmessage.data;
		m->skdm_len = in->senderkeydistributionmessage->
		    axolotlsenderkeydistributionmessage.len;
	}
	if (in->protocolmessage != NULL)
		m->protocol = in->protocolmessage->has_type ?
		    (int)in->protocolmessage->type : WA_PROTO_REVOKE;
	return 0;
}

/* Release a decoded message (msg.h). */
void
wa_msg_free(struct wa_msg *m)
{

	if (m->pb != NULL)
		wa_e2_e__message__free_unpacked(m->pb, NULL);
	memset(m, 0, sizeof(*m));
	m->protocol = -1;
}

/* A padded conversation message, maybe device-sent (msg.h). */
int
wa_msg_encode_text(struct buf *out, const char *text, const char *dest)
{
	WaE2E__Message			 msg = WA_E2_E__MESSAGE__INIT;
	WaE2E__Message			 inner = WA_E2_E__MESSAGE__INIT;
	WaE2E__DeviceSentMessage	 dsm = WA_E2_E__DEVICE_SENT_MESSAGE__INIT;
	uint8_t				*tmp;
	size_t				 n;

	buf_reset(out);
	if (text == NULL || *text == '\0') {
		log_warnx("%s: empty text", __func__);
		return -1;
	}
	if (dest != NULL) {
		inner.conversation = (char *)text;
		dsm.destinationjid = (char *)dest;
		dsm.message = &inner;
		msg.devicesentmessage = &dsm;
	} else
		msg.conversation = (char *)text;
	n = wa_e2_e__message__get_packed_size(&msg);
	tmp = xmalloc(n > 0 ? n : 1);
	wa_e2_e__message__pack(&msg, tmp);
	buf_append(out, tmp, n);
	free(tmp);
	wa_msg_pad(out);
	return 0;
}
