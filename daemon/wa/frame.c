/*
 * Framing under the Noise transport; see frame.h.  The receiver keeps
 * one growable buffer per connection: WebSocket messages are appended
 * with wa_frame_rx_push() and whole frames are taken out with
 * wa_frame_rx_next().  The length prefix is checked against the hard
 * limit as soon as its three bytes are known, before the payload is
 * buffered, so a hostile length never makes us allocate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "frame.h"
#include "log.h"
#include "xalloc.h"

/*
 * Set up "rx" for a new connection with a limit of "max" payload bytes
 * per frame (0 or more than WA_FRAME_MAX means WA_FRAME_MAX, the most a
 * 3-byte length can express).  Owns nothing until the first push.
 */
void
wa_frame_rx_init(struct wa_frame_rx *rx, size_t max)
{

	memset(rx, 0, sizeof(*rx));
	rx->max = (max == 0 || max > WA_FRAME_MAX) ? WA_FRAME_MAX : max;
}

/* Release the buffer and reset "rx" to empty with the same limit. */
void
wa_frame_rx_free(struct wa_frame_rx *rx)
{
	size_t	 max = rx->max;

	free(rx->data);
	wa_frame_rx_init(rx, max);
}

/* Bytes buffered but not yet returned as frames. */
size_t
wa_frame_rx_pending(const struct wa_frame_rx *rx)
{

	return rx->len - rx->off;
}

/*
 * Read the 3-byte big-endian length at "p" (spec 1.2).
 */
static size_t
frame_len(const uint8_t *p)
{

	return ((size_t)p[0] << 16) | ((size_t)p[1] << 8) | (size_t)p[2];
}

/*
 * Append "len" bytes of one inbound WebSocket message to the stream.
 * Consumed bytes are dropped first, so the buffer holds at most one
 * partial frame plus this message.  Returns 0, or -1 if the stream
 * already failed (oversized frame): the connection must be closed.
 * A frame returned by wa_frame_rx_next() is invalid after this call.
 */
int
wa_frame_rx_push(struct wa_frame_rx *rx, const void *data, size_t len)
{
	size_t	 left, ncap;

	if (rx->failed)
		return -1;
	if (len == 0)
		return 0;
	left = rx->len - rx->off;
	if (rx->off > 0) {
		if (left > 0)
			memmove(rx->data, rx->data + rx->off, left);
		rx->len = left;
		rx->off = 0;
	}
	if (len > SIZE_MAX / 2 - rx->len) {
		log_warnx("%s: message too large", __func__);
		rx->failed = 1;
		return -1;
	}
	if (rx->len + len > rx->cap) {
		ncap = rx->cap == 0 ? 1024 : rx->cap;
		while (ncap < rx->len + len)
			ncap *= 2;
		rx->data = xreallocarray(rx->data, ncap, 1);
		rx->cap = ncap;
	}
	memcpy(rx->data + rx->len, data, len);
	rx->len += len;
	return 0;
}

/*
 * Take the next complete frame out of the stream.  Returns 1 and sets
 * *frame and *len to the payload (borrowed from rx, valid until the next
 * push, next or free; a zero-length payload is a valid frame), 0 when
 * more bytes are needed, or -1 (logged) when the announced length
 * exceeds the limit; the stream is then failed for good.
 */
int
wa_frame_rx_next(struct wa_frame_rx *rx, const uint8_t **frame,
    size_t *len)
{
	size_t	 avail, n;

	*frame = NULL;
	*len = 0;
	if (rx->failed)
		return -1;
	avail = rx->len - rx->off;
	if (avail < WA_FRAME_LEN_BYTES)
		return 0;
	n = frame_len(rx->data + rx->off);
	if (n > rx->max) {
		log_warnx("%s: frame of %zu bytes exceeds the limit of %zu",
		    __func__, n, rx->max);
		rx->failed = 1;
		return -1;
	}
	if (avail - WA_FRAME_LEN_BYTES < n)
		return 0;
	*frame = rx->data + rx->off + WA_FRAME_LEN_BYTES;
	*len = n;
	rx->off += WA_FRAME_LEN_BYTES + n;
	if (rx->off == rx->len) {
		/* Nothing left over: next push starts at the front. */
		rx->off = 0;
		rx->len = 0;
		/* The payload stays readable: memory is not touched. */
	}
	return 1;
}

/* Reset "tx" for a new connection: the header goes out again. */
void
wa_frame_tx_init(struct wa_frame_tx *tx)
{

	memset(tx, 0, sizeof(*tx));
}

/*
 * Append one outbound frame to "out": the connection header 'W' 'A' 6 3
 * if this is the connection's first frame (spec 1.3: in the same
 * WebSocket message as the first frame), then the 3-byte big-endian
 * length and the payload.  Returns 0, or -1 (logged) if the payload
 * does not fit a 3-byte length (whatsmeow refuses >= 1 << 24); then
 * nothing is appended.
 */
int
wa_frame_encode(struct wa_frame_tx *tx, const void *payload, size_t len,
    struct buf *out)
{
	static const uint8_t	 hdr[WA_FRAME_HDR_LEN] = {
		'W', 'A', WA_FRAME_MAGIC, WA_FRAME_DICT_VERSION
	};
	uint8_t			 lb[WA_FRAME_LEN_BYTES];

	if (len > WA_FRAME_MAX) {
		log_warnx("%s: payload of %zu bytes too large", __func__, len);
		return -1;
	}
	if (!tx->hdr_sent) {
		buf_append(out, hdr, sizeof(hdr));
		tx->hdr_sent = 1;
	}
	lb[0] = (len >> 16) & 0xff;
	lb[1] = (len >> 8) & 0xff;
	lb[2] = len & 0xff;
	buf_append(out, lb, sizeof(lb));
	if (len > 0)
		buf_append(out, payload, len);
	return 0;
}
