/*
 * libFuzzer target for cgi/qrpng.c: arbitrary bytes (a hostile or
 * corrupt qr_code) must render or be refused, never crash or leak.
 * The first byte picks scale and margin, in and out of range; the rest
 * is the text.  A rendered image must carry the size qrpng_write()
 * reported, and the cache must hand back the same bytes on a repeat.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "qrpng.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t
be32(const unsigned char *p)
{

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 init;
	static struct qrpng_cache cache;
	struct qrpng_dim	 d;
	struct buf		 b, again;
	const unsigned char	*png;
	char			*text;
	size_t			 len;
	unsigned int		 scale, margin;

	if (!init) {
		log_init("fuzz_qrpng", LOG_LEVEL_ERROR);
		qrpng_cache_init(&cache);
		init = 1;
	}
	if (size == 0)
		return 0;
	/* Scale 0..4 (0 is out of range), margin 0..7; kept small for speed. */
	scale = data[0] % 5;
	margin = (data[0] >> 3) % 8;
	if (data[0] == 0xff)
		margin = QRPNG_MARGIN_MAX + 1;
	buf_init(&b);
	if (qrpng_write(&b, (const char *)data + 1, size - 1, scale, margin,
	    &d) == 0) {
		if (b.len < 24 || be32((unsigned char *)b.data + 16) != d.px ||
		    d.px != (d.modules + 2 * margin) * scale)
			abort();
	} else if (b.len != 0)
		abort();
	buf_free(&b);

	/* The cache sees the text up to its first NUL. */
	text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	buf_init(&again);
	if (qrpng_cache_get(&cache, data[0] % 4, (int64_t)size, text, &png,
	    &len) == 0) {
		buf_append(&again, png, len);
		if (qrpng_cache_get(&cache, data[0] % 4, (int64_t)size, text,
		    &png, &len) != 0 || len != again.len ||
		    memcmp(png, again.data, len) != 0)
			abort();
	}
	buf_free(&again);
	free(text);
	return 0;
}
