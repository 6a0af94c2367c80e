/*
 * frame.h: the framing layer under the Noise transport (spec 1.2-1.3).
 * The WebSocket carries a byte stream of frames, each a 3-byte
 * big-endian length followed by that many payload bytes; the client's
 * very first frame is preceded by the 4-byte connection header
 * 'W' 'A' 6 3.  Frames may be split across WebSocket messages (even
 * inside the length) and several may share one message, so the
 * receiver reassembles.  Pure byte handling, no libwebsockets, so it
 * can be unit tested and fuzzed on its own.
 */
#ifndef WADESK_WA_FRAME_H
#define WADESK_WA_FRAME_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* Connection header, spec 1.3 (whatsmeow socket/constants.go
 * WAConnHeader, Baileys NOISE_WA_HEADER). */
#define	WA_FRAME_HDR_LEN	4
#define	WA_FRAME_MAGIC		6	/* WAMagicValue */
#define	WA_FRAME_DICT_VERSION	3	/* token.DictVersion */

#define	WA_FRAME_LEN_BYTES	3	/* length prefix, big-endian */
#define	WA_FRAME_MAX		0xffffffu /* largest 3-byte length */

/*
 * Default hard limit on an inbound frame: 4 MiB.  whatsmeow accepts up
 * to 16 MiB (FrameMaxSize, spec 1.1), but nothing a companion needs for
 * pairing and staying linked comes close, and the limit bounds what a
 * hostile peer can make one connection allocate.
 */
#define	WA_FRAME_RX_MAX_DEFAULT	(4u << 20)

/*
 * Reassembly state for one connection's inbound stream.  Caller-owned;
 * set up with wa_frame_rx_init() and released with wa_frame_rx_free().
 */
struct	wa_frame_rx {
	uint8_t		*data;		/* buffered bytes, NULL when empty */
	size_t		 len;		/* bytes in data */
	size_t		 off;		/* bytes of data already consumed */
	size_t		 cap;		/* bytes allocated */
	size_t		 max;		/* largest frame payload accepted */
	int		 failed;	/* 1 after an oversized frame */
};

/*
 * Outbound state: whether the connection header went out yet.
 * Zero-initialise (or wa_frame_tx_init()) once per connection.
 */
struct	wa_frame_tx {
	int		 hdr_sent;	/* 1 once the 'WA' header is sent */
};

void	wa_frame_rx_init(struct wa_frame_rx *rx, size_t max);
void	wa_frame_rx_free(struct wa_frame_rx *rx);
int	wa_frame_rx_push(struct wa_frame_rx *rx, const void *data,
	    size_t len) __attribute__((warn_unused_result));
int	wa_frame_rx_next(struct wa_frame_rx *rx, const uint8_t **frame,
	    size_t *len) __attribute__((warn_unused_result));
size_t	wa_frame_rx_pending(const struct wa_frame_rx *rx);

void	wa_frame_tx_init(struct wa_frame_tx *tx);
int	wa_frame_encode(struct wa_frame_tx *tx, const void *payload,
	    size_t len, struct buf *out) __attribute__((warn_unused_result));

#endif /* !WADESK_WA_FRAME_H */
