/*
 * QR code to PNG for the dashboard (DESIGN.md: GET /accounts/{id}/qr.png
 * renders the account's qr_code per request).  libqrencode turns the
 * string into a square of modules; we scale each module to a block of
 * pixels, surround it with a white quiet zone and let libpng write a
 * 1-bit greyscale image into a struct buf through png_set_write_fn().
 * The cache below serves repeat requests for the same qr_version from
 * memory.  Nothing here is static and mutable, so threads may render
 * concurrently; each thread needs its own struct qrpng_cache.
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

#include "buf.h"
#include "log.h"
#include "qrpng.h"
#include "xalloc.h"

/*
 * libpng error callback: log and unwind to the setjmp() in qrpng_write().
 * libpng aborts the process if this returns, so it must not.
 */
static void
pngcb_error(png_structp png, png_const_charp msg)
{

	log_warnx("qrpng_write: libpng: %s", msg);
	png_longjmp(png, 1);
}

static void
pngcb_warning(png_structp png, png_const_charp msg)
{

	log_warnx("qrpng_write: libpng warning: %s", msg);
}

/* png_set_write_fn() sink: append to the struct buf given as io_ptr. */
static void
pngcb_write(png_structp png, png_bytep data, size_t len)
{

	buf_append(png_get_io_ptr(png), data, len);
}

/*
 * A no-op flush.  Passing NULL to png_set_write_fn() would install
 * libpng's default, which calls fflush() on io_ptr as if it were a FILE.
 */
static void
pngcb_flush(png_structp png)
{
}

/*
 * Fill "row" (rowlen bytes, 1 bit per pixel, most significant bit
 * first, 1 = white) with module row "y" of the image, counted from the
 * top of the quiet zone.  Dark modules come from bit 0 of qr->data, per
 * qrencode.h's description of struct QRcode.
 */
static void
row_fill(unsigned char *row, size_t rowlen, const QRcode *qr, unsigned int y,
    unsigned int scale, unsigned int margin)
{
	const unsigned char	*line;
	unsigned int		 w, x, p, end;

	memset(row, 0xff, rowlen);
	w = (unsigned int)qr->width;
	if (y < margin || y >= margin + w)
		return;
	line = qr->data + (size_t)(y - margin) * w;
	for (x = 0; x < w; x++) {
		if ((line[x] & 1) == 0)
			continue;
		p = (margin + x) * scale;
		for (end = p + scale; p < end; p++)
			row[p >> 3] &= (unsigned char)~(0x80u >> (p & 7));
	}
}

/*
 * Check the arguments and encode "text": level M, 8-bit mode, smallest
 * version that fits.  Returns the symbol (free with QRcode_free) or
 * NULL, logged, on bad input.
 */
static QRcode *
encode(const char *text, size_t len, unsigned int scale, unsigned int margin)
{
	QRcode	*qr;

	if (text == NULL || len == 0) {
		log_warnx("qrpng_write: empty text");
		return NULL;
	}
	if (len > QRPNG_TEXT_MAX) {
		log_warnx("qrpng_write: text of %zu bytes, limit %d", len,
		    QRPNG_TEXT_MAX);
		return NULL;
	}
	if (scale < 1 || scale > QRPNG_SCALE_MAX || margin > QRPNG_MARGIN_MAX) {
		log_warnx("qrpng_write: scale %u or margin %u out of range",
		    scale, margin);
		return NULL;
	}
	qr = QRcode_encodeData((int)len, (const unsigned char *)text, 0,
	    QR_ECLEVEL_M);
	if (qr == NULL)
		log_warn("qrpng_write: QRcode_encodeData (%zu bytes)", len);
	return qr;
}

/*
 * Write "qr" as a PNG of "px" pixels square into "out", using "row"
 * (rowlen bytes) as scratch.  Returns 0, or -1 after libpng logged an
 * error through pngcb_error(); "out" may then hold a partial image.
 */
static int
render(struct buf *out, const QRcode *qr, unsigned char *row, size_t rowlen,
    unsigned int scale, unsigned int margin)
{
	png_structp	 png = NULL;
	png_infop	 info = NULL;
	unsigned int	 side, px, y, i;
	volatile int	 rc = -1;

	side = (unsigned int)qr->width + 2 * margin;
	px = side * scale;
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, pngcb_error,
	    pngcb_warning);
	if (png == NULL) {
		log_warnx("qrpng_write: png_create_write_struct");
		return -1;
	}
	if ((info = png_create_info_struct(png)) == NULL) {
		log_warnx("qrpng_write: png_create_info_struct");
		goto out;
	}
	/* Only "rc" changes after this point, and it is volatile. */
	if (setjmp(png_jmpbuf(png)))
		goto out;
	png_set_write_fn(png, out, pngcb_write, pngcb_flush);
	png_set_IHDR(png, info, px, px, 1, PNG_COLOR_TYPE_GRAY,
	    PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
	    PNG_FILTER_TYPE_DEFAULT);
	png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
	png_write_info(png, info);
	for (y = 0; y < side; y++) {
		row_fill(row, rowlen, qr, y, scale, margin);
		for (i = 0; i < scale; i++)
			png_write_row(png, row);
	}
	png_write_end(png, NULL);
	rc = 0;
out:
	png_destroy_write_struct(&png, &info);
	return rc;
}

/*
 * Render "len" bytes of "text" (any bytes, NUL included; not logged,
 * since a qr_code holds a pairing ref) as a QR code in PNG format,
 * appended to "out": error-correction level M, 8-bit mode, the smallest
 * version that fits, "scale" pixels per module (1..QRPNG_SCALE_MAX;
 * QRPNG_SCALE_DEFAULT is 6) and a quiet zone of "margin" modules on
 * every side (0..QRPNG_MARGIN_MAX; ISO/IEC 18004 asks for 4,
 * QRPNG_MARGIN_DEFAULT).  The image is square, 1-bit greyscale, not
 * interlaced, (modules + 2 * margin) * scale pixels wide.
 * If "dim" is not NULL it receives the version, module count and pixel
 * width, e.g. for <img width>; it is untouched on error.  "out" stays
 * owned by the caller; the PNG is appended after whatever it held.
 * Returns 0 on success, or -1 (logged; "out" left as it was) on empty
 * text, text over QRPNG_TEXT_MAX bytes, scale or margin out of range,
 * or a libqrencode or libpng failure.
 */
int
qrpng_write(struct buf *out, const char *text, size_t len,
    unsigned int scale, unsigned int margin, struct qrpng_dim *dim)
{
	QRcode		*qr;
	unsigned char	*row;
	size_t		 start, rowlen;
	unsigned int	 px;
	int		 rc;

	start = out->len;
	if ((qr = encode(text, len, scale, margin)) == NULL)
		return -1;
	px = ((unsigned int)qr->width + 2 * margin) * scale;
	rowlen = (px + 7) / 8;
	row = xmalloc(rowlen);
	rc = render(out, qr, row, rowlen, scale, margin);
	if (rc == 0 && dim != NULL) {
		dim->version = (unsigned int)qr->version;
		dim->modules = (unsigned int)qr->width;
		dim->px = px;
	}
	if (rc == -1 && out->len != start) {
		/* Drop a half-written image. */
		out->len = start;
		out->data[start] = '\0';
	}
	free(row);
	QRcode_free(qr);
	return rc;
}

/*
 * Make "c" (caller-owned) an empty cache.  Undo with qrpng_cache_free().
 */
void
qrpng_cache_init(struct qrpng_cache *c)
{
	size_t	 i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < QRPNG_CACHE_SLOTS; i++)
		buf_init(&c->slots[i].png);
}

/*
 * Release everything "c" holds; it may be initialised again afterwards.
 * Pointers handed out by qrpng_cache_get() die here.
 */
void
qrpng_cache_free(struct qrpng_cache *c)
{
	size_t	 i;

	for (i = 0; i < QRPNG_CACHE_SLOTS; i++) {
		free(c->slots[i].text);
		buf_free(&c->slots[i].png);
	}
	memset(c, 0, sizeof(*c));
}

/*
 * Choose the slot for "account_id": its own if it has one, otherwise an
 * empty one, otherwise the least recently used.
 */
static struct qrpng_slot *
slot_find(struct qrpng_cache *c, int64_t account_id)
{
	struct qrpng_slot	*s, *victim = NULL;
	size_t			 i;

	for (i = 0; i < QRPNG_CACHE_SLOTS; i++) {
		s = &c->slots[i];
		if (s->text == NULL) {
			if (victim == NULL || victim->text != NULL)
				victim = s;
			continue;
		}
		if (s->account_id == account_id)
			return s;
		if (victim == NULL ||
		    (victim->text != NULL && s->used < victim->used))
			victim = s;
	}
	return victim;
}

/*
 * Give the PNG of "text" (a NUL-terminated qr_code) for version
 * "qr_version" of account "account_id", rendered by qrpng_write() at
 * QRPNG_SCALE_DEFAULT and QRPNG_MARGIN_DEFAULT.  A slot is reused only
 * if account, version and text all match, so a new qr_version, or a
 * reused version with different text, is never served a stale image.
 * Each account has at most one slot (a new version replaces the old);
 * with more than QRPNG_CACHE_SLOTS accounts the least recently used
 * slot is evicted.
 * On success "*png" and "*len" point at the PNG, borrowed from the
 * cache until the next qrpng_cache_get() or qrpng_cache_free() on "c".
 * Returns 0 on success, -1 (logged by qrpng_write(); the account's slot
 * emptied) when the text cannot be rendered.
 */
int
qrpng_cache_get(struct qrpng_cache *c, int64_t account_id,
    int64_t qr_version, const char *text, const unsigned char **png,
    size_t *len)
{
	struct qrpng_slot	*s;
	size_t			 textlen;

	*png = NULL;
	*len = 0;
	c->tick++;
	/* Bounded: anything longer is rejected by qrpng_write() anyway. */
	textlen = text == NULL ? 0 : strnlen(text, QRPNG_TEXT_MAX + 1);
	s = slot_find(c, account_id);
	if (s->text != NULL && s->account_id == account_id &&
	    s->qr_version == qr_version && s->textlen == textlen &&
	    memcmp(s->text, text, textlen) == 0) {
		c->hits++;
		goto done;
	}

	c->misses++;
	free(s->text);
	s->text = NULL;
	buf_reset(&s->png);
	if (qrpng_write(&s->png, text, textlen, QRPNG_SCALE_DEFAULT,
	    QRPNG_MARGIN_DEFAULT, NULL) == -1)
		return -1;
	s->account_id = account_id;
	s->qr_version = qr_version;
	s->text = xstrndup(text, textlen);
	s->textlen = textlen;
done:
	s->used = c->tick;
	*png = (const unsigned char *)s->png.data;
	*len = s->png.len;
	return 0;
}
