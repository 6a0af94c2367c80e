/*
 * libFuzzer target for daemon/wa/frame.c, the first parser that sees
 * bytes from the network.  The input is cut into WebSocket-sized
 * chunks (the first byte of each chunk gives its length) and fed to
 * the reassembler; every frame it returns must be the right slice of
 * the stream, and a failed stream must stay failed.  Also round-trips
 * each frame through wa_frame_encode().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "frame.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 init;
	struct wa_frame_rx	 rx;
	struct wa_frame_tx	 tx;
	struct buf		 out;
	struct buf		 stream;
	const uint8_t		*f;
	size_t			 i, chunk, n, used = 0;
	int			 rc = 0;

	if (!init) {
		log_init("fuzz_frame", LOG_LEVEL_ERROR);
		init = 1;
	}
	if (size < 1)
		return 0;
	buf_init(&out);
	buf_init(&stream);
	wa_frame_rx_init(&rx, data[0] & 1 ? 512 : 0);
	wa_frame_tx_init(&tx);
	tx.hdr_sent = 1;
	for (i = 1; i < size && rc != -1; i += chunk) {
		chunk = 1 + data[i] % 64;
		i++;
		if (chunk > size - i)
			chunk = size - i;
		if (chunk == 0)
			break;
		buf_append(&stream, data + i, chunk);
		if (wa_frame_rx_push(&rx, data + i, chunk) == -1)
			abort();
		while ((rc = wa_frame_rx_next(&rx, &f, &n)) == 1) {
			if (used + 3 + n > stream.len ||
			    memcmp(f, stream.data + used + 3, n) != 0)
				abort();
			buf_reset(&out);
			if (wa_frame_encode(&tx, f, n, &out) == -1 ||
			    out.len != n + 3 ||
			    memcmp(out.data, stream.data + used, n + 3) != 0)
				abort();
			used += 3 + n;
		}
	}
	if (rc == -1 && (wa_frame_rx_push(&rx, "x", 1) != -1 ||
	    wa_frame_rx_next(&rx, &f, &n) != -1))
		abort();
	if (rc != -1 && used + wa_frame_rx_pending(&rx) != stream.len)
		abort();
	wa_frame_rx_free(&rx);
	buf_free(&out);
	buf_free(&stream);
	return 0;
}
