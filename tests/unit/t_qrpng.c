/*
 * Unit tests for cgi/qrpng.c: the PNG's header and every pixel against
 * libqrencode's own symbol, the smallest-version and level-M choice,
 * input limits, the cache's hit/miss/staleness rules, and concurrent
 * rendering.  Run as "t_qrpng --write FILE" it instead renders stdin at
 * the default size into FILE, for tests/qr/check.sh (zbarimg).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

#include "buf.h"
#include "log.h"
#include "qrpng.h"
#include "t.h"

/* The shape of a real pairing string: ref,noise key,identity key,adv. */
static const char pairing[] =
    "2@Xx9+/aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefghijklmnopqrstu"
    "vwxyzABCDEFGHIJKLMNOPQRST+/Q,"
    "q1ZyXjH7n0aP4tq2lB9w8sFm3cR5vK6dJ0eU1oY2iT4=,"
    "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGw=,"
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

static const unsigned char sig_png[8] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
};

static uint32_t
be32(const unsigned char *p)
{

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * Check the signature and IHDR of "b": "px" square, bit depth 1,
 * greyscale, no interlace.
 */
static int
header_ok(const struct buf *b, unsigned int px)
{
	const unsigned char	*p = (const unsigned char *)b->data;

	return T_TRUE(b->len > 33) &&
	    T_MEMEQ(p, sig_png, sizeof(sig_png)) &&
	    T_INTEQ(be32(p + 8), 13) &&
	    T_MEMEQ(p + 12, "IHDR", 4) &&
	    T_INTEQ(be32(p + 16), px) &&
	    T_INTEQ(be32(p + 20), px) &&
	    T_INTEQ(p[24], 1) &&	/* bit depth */
	    T_INTEQ(p[25], 0) &&	/* colour type: greyscale */
	    T_INTEQ(p[28], 0);		/* no interlace */
}

static int
signature_and_ihdr(void)
{
	struct buf		 b;
	struct qrpng_dim	 d;
	int			 ok;

	buf_init(&b);
	memset(&d, 0, sizeof(d));
	ok = T_INTEQ(qrpng_write(&b, pairing, strlen(pairing),
	    QRPNG_SCALE_DEFAULT, QRPNG_MARGIN_DEFAULT, &d), 0) &&
	    T_INTEQ(d.modules, 17 + 4 * d.version) &&
	    T_INTEQ(d.px, (d.modules + 2 * 4) * 6) &&
	    header_ok(&b, d.px);
	buf_free(&b);
	return ok;
}

/*
 * Decode "b" with libpng's simplified API and compare every pixel with
 * the module map libqrencode gives for the same text at level M.
 */
static int
pixels_match(const struct buf *b, const char *text, size_t len,
    unsigned int scale, unsigned int margin)
{
	png_image		 img;
	QRcode			*qr;
	unsigned char		*pix = NULL;
	unsigned int		 x, y, mx, my, w;
	int			 dark, want, ok = 0;

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	qr = QRcode_encodeData((int)len, (const unsigned char *)text, 0,
	    QR_ECLEVEL_M);
	if (!T_TRUE(qr != NULL))
		return 0;
	w = (unsigned int)qr->width;
	if (!T_TRUE(png_image_begin_read_from_memory(&img, b->data, b->len)))
		goto out;
	img.format = PNG_FORMAT_GRAY;
	if (!T_INTEQ(img.width, (w + 2 * margin) * scale) ||
	    !T_INTEQ(img.height, img.width))
		goto out;
	pix = malloc(PNG_IMAGE_SIZE(img));
	if (!T_TRUE(png_image_finish_read(&img, NULL, pix, 0, NULL)))
		goto out;
	for (y = 0; y < img.height; y++) {
		for (x = 0; x < img.width; x++) {
			mx = x / scale;
			my = y / scale;
			want = mx >= margin && my >= margin &&
			    mx < margin + w && my < margin + w &&
			    (qr->data[(my - margin) * w + mx - margin] & 1);
			dark = pix[(size_t)y * img.width + x] == 0;
			if (dark != want || (!dark &&
			    pix[(size_t)y * img.width + x] != 255)) {
				fprintf(stderr, "pixel %u,%u: %d, want %s\n",
				    x, y, pix[(size_t)y * img.width + x],
				    want ? "dark" : "light");
				goto out;
			}
		}
	}
	ok = 1;
out:
	png_image_free(&img);
	free(pix);
	QRcode_free(qr);
	return ok;
}

static int
pixels_are_the_modules(void)
{
	struct buf	 b;
	int		 ok;

	buf_init(&b);
	ok = T_INTEQ(qrpng_write(&b, pairing, strlen(pairing),
	    QRPNG_SCALE_DEFAULT, QRPNG_MARGIN_DEFAULT, NULL), 0) &&
	    pixels_match(&b, pairing, strlen(pairing), 6, 4);
	buf_reset(&b);
	/* Odd sizes: pixels straddle byte boundaries; no quiet zone. */
	ok = ok && T_INTEQ(qrpng_write(&b, "hello", 5, 3, 0, NULL), 0) &&
	    pixels_match(&b, "hello", 5, 3, 0);
	buf_reset(&b);
	ok = ok && T_INTEQ(qrpng_write(&b, "a\0b", 3, 1, 1, NULL), 0) &&
	    pixels_match(&b, "a\0b", 3, 1, 1);
	buf_free(&b);
	return ok;
}

/* Render "n" bytes of 'A' and return the version chosen, or -1. */
static int
version_for(size_t n)
{
	struct buf		 b;
	struct qrpng_dim	 d;
	char			 text[QRPNG_TEXT_MAX];
	int			 v = -1;

	memset(text, 'A', sizeof(text));
	buf_init(&b);
	if (qrpng_write(&b, text, n, 1, 0, &d) == 0)
		v = (int)d.version;
	buf_free(&b);
	return v;
}

/*
 * ISO/IEC 18004 table 7, byte mode at level M: version 1 holds 14
 * bytes (level L would hold 17), version 10 holds 213, version 11 251.
 * So this checks both "smallest version" and "level M, 8-bit mode".
 */
static int
smallest_version_level_m(void)
{

	return T_INTEQ(version_for(1), 1) &&
	    T_INTEQ(version_for(14), 1) &&
	    T_INTEQ(version_for(15), 2) &&
	    T_INTEQ(version_for(213), 10) &&
	    T_INTEQ(version_for(214), 11) &&
	    T_INTEQ(version_for(strlen(pairing)), 11);
}

static int
rejects_bad_input(void)
{
	struct buf		 b;
	struct qrpng_dim	 d;
	char			 big[QRPNG_TEXT_MAX + 1];
	int			 ok;

	memset(big, 'x', sizeof(big));
	memset(&d, 0x5a, sizeof(d));
	buf_init(&b);
	buf_puts(&b, "keep");
	ok = T_INTEQ(qrpng_write(&b, "", 0, 6, 4, &d), -1) &&
	    T_INTEQ(qrpng_write(&b, NULL, 0, 6, 4, &d), -1) &&
	    T_INTEQ(qrpng_write(&b, big, sizeof(big), 6, 4, &d), -1) &&
	    T_INTEQ(qrpng_write(&b, "x", 1, 0, 4, &d), -1) &&
	    T_INTEQ(qrpng_write(&b, "x", 1, QRPNG_SCALE_MAX + 1, 4, &d), -1) &&
	    T_INTEQ(qrpng_write(&b, "x", 1, 6, QRPNG_MARGIN_MAX + 1, &d), -1) &&
	    T_STREQ(buf_str(&b), "keep") && T_INTEQ(b.len, 4) &&
	    T_INTEQ(d.px, 0x5a5a5a5a);
	/* The limit itself is accepted, at the largest sizes allowed. */
	buf_reset(&b);
	ok = ok && T_INTEQ(qrpng_write(&b, big, QRPNG_TEXT_MAX,
	    QRPNG_SCALE_MAX, QRPNG_MARGIN_MAX, &d), 0) &&
	    header_ok(&b, d.px) &&
	    T_INTEQ(d.px, (d.modules + 2 * QRPNG_MARGIN_MAX) * QRPNG_SCALE_MAX);
	buf_free(&b);
	return ok;
}

static int
appends_and_is_deterministic(void)
{
	struct buf	 a, b;
	int		 ok;

	buf_init(&a);
	buf_init(&b);
	buf_puts(&a, "head");
	ok = T_INTEQ(qrpng_write(&a, pairing, strlen(pairing), 6, 4, NULL),
	    0) && T_INTEQ(qrpng_write(&b, pairing, strlen(pairing), 6, 4,
	    NULL), 0) &&
	    T_INTEQ(a.len, b.len + 4) && T_MEMEQ(a.data, "head", 4) &&
	    T_MEMEQ(a.data + 4, b.data, b.len);
	buf_free(&a);
	buf_free(&b);
	return ok;
}

/* Does "png"/"len" equal a fresh default render of "text"? */
static int
is_render_of(const unsigned char *png, size_t len, const char *text)
{
	struct buf	 b;
	int		 ok;

	buf_init(&b);
	ok = T_INTEQ(qrpng_write(&b, text, strlen(text), QRPNG_SCALE_DEFAULT,
	    QRPNG_MARGIN_DEFAULT, NULL), 0) && T_INTEQ(len, b.len) &&
	    T_MEMEQ(png, b.data, len);
	buf_free(&b);
	return ok;
}

static int
cache_same_version_hits(void)
{
	struct qrpng_cache	*c;
	const unsigned char	*p1, *p2;
	size_t			 l1, l2;
	int			 ok;

	c = malloc(sizeof(*c));
	qrpng_cache_init(c);
	ok = T_INTEQ(qrpng_cache_get(c, 7, 3, pairing, &p1, &l1), 0) &&
	    T_INTEQ(c->misses, 1) && T_INTEQ(c->hits, 0) &&
	    is_render_of(p1, l1, pairing) &&
	    T_INTEQ(qrpng_cache_get(c, 7, 3, pairing, &p2, &l2), 0) &&
	    T_INTEQ(c->misses, 1) && T_INTEQ(c->hits, 1) &&
	    T_TRUE(p1 == p2) && T_INTEQ(l1, l2) &&
	    is_render_of(p2, l2, pairing);
	qrpng_cache_free(c);
	free(c);
	return ok;
}

static int
cache_new_version_rerenders(void)
{
	struct qrpng_cache	*c;
	const unsigned char	*p;
	size_t			 l;
	struct buf		 first;
	int			 ok;

	c = malloc(sizeof(*c));
	qrpng_cache_init(c);
	buf_init(&first);
	ok = T_INTEQ(qrpng_cache_get(c, 7, 3, "2@one,a,b,c", &p, &l), 0);
	if (ok)
		buf_append(&first, p, l);
	ok = ok && T_INTEQ(qrpng_cache_get(c, 7, 4, "2@two,a,b,c", &p, &l),
	    0) && T_INTEQ(c->misses, 2) && T_INTEQ(c->hits, 0) &&
	    is_render_of(p, l, "2@two,a,b,c") &&
	    T_TRUE(l != first.len || memcmp(p, first.data, l) != 0);
	/* A version seen before is a fresh request, not a hit. */
	ok = ok && T_INTEQ(qrpng_cache_get(c, 7, 3, "2@one,a,b,c", &p, &l),
	    0) && T_INTEQ(c->misses, 3) &&
	    T_INTEQ(l, first.len) && T_MEMEQ(p, first.data, l);
	buf_free(&first);
	qrpng_cache_free(c);
	free(c);
	return ok;
}

static int
cache_checks_text(void)
{
	struct qrpng_cache	*c;
	const unsigned char	*p;
	size_t			 l;
	int			 ok;

	c = malloc(sizeof(*c));
	qrpng_cache_init(c);
	ok = T_INTEQ(qrpng_cache_get(c, 9, 5, "2@old,a,b,c", &p, &l), 0) &&
	    T_INTEQ(qrpng_cache_get(c, 9, 5, "2@new,a,b,c", &p, &l), 0) &&
	    T_INTEQ(c->misses, 2) && T_INTEQ(c->hits, 0) &&
	    is_render_of(p, l, "2@new,a,b,c") &&
	    /* A prefix of the cached text is different text too. */
	    T_INTEQ(qrpng_cache_get(c, 9, 5, "2@new,a,b,", &p, &l), 0) &&
	    T_INTEQ(c->misses, 3) && is_render_of(p, l, "2@new,a,b,");
	qrpng_cache_free(c);
	free(c);
	return ok;
}

static int
cache_accounts_and_lru(void)
{
	struct qrpng_cache	*c;
	const unsigned char	*p;
	size_t			 l;
	int64_t			 id;
	int			 ok = 1;

	c = malloc(sizeof(*c));
	qrpng_cache_init(c);
	/* Same text, two accounts: two slots, both then hit. */
	ok = T_INTEQ(qrpng_cache_get(c, 1, 1, "same", &p, &l), 0) &&
	    T_INTEQ(qrpng_cache_get(c, 2, 1, "same", &p, &l), 0) &&
	    T_INTEQ(c->misses, 2) &&
	    T_INTEQ(qrpng_cache_get(c, 1, 1, "same", &p, &l), 0) &&
	    T_INTEQ(qrpng_cache_get(c, 2, 1, "same", &p, &l), 0) &&
	    T_INTEQ(c->hits, 2);
	/* Fill the rest, touching account 1 so that 2 is the oldest. */
	for (id = 3; ok && id <= QRPNG_CACHE_SLOTS; id++)
		ok = T_INTEQ(qrpng_cache_get(c, id, 1, "same", &p, &l), 0);
	ok = ok && T_INTEQ(qrpng_cache_get(c, 1, 1, "same", &p, &l), 0) &&
	    T_INTEQ(c->hits, 3) &&
	    T_INTEQ(qrpng_cache_get(c, 1000, 1, "same", &p, &l), 0) &&
	    T_INTEQ(c->misses, QRPNG_CACHE_SLOTS + 1);
	/* 1 survived; 2 was evicted; 3 still there. */
	ok = ok && T_INTEQ(qrpng_cache_get(c, 1, 1, "same", &p, &l), 0) &&
	    T_INTEQ(c->hits, 4) &&
	    T_INTEQ(qrpng_cache_get(c, 3, 1, "same", &p, &l), 0) &&
	    T_INTEQ(c->hits, 5) &&
	    T_INTEQ(qrpng_cache_get(c, 2, 1, "same", &p, &l), 0) &&
	    T_INTEQ(c->misses, QRPNG_CACHE_SLOTS + 2) &&
	    is_render_of(p, l, "same");
	qrpng_cache_free(c);
	free(c);
	return ok;
}

static int
cache_bad_text(void)
{
	struct qrpng_cache	*c;
	const unsigned char	*p;
	size_t			 l;
	char			*big;
	int			 ok;

	c = malloc(sizeof(*c));
	big = malloc(QRPNG_TEXT_MAX + 2);
	memset(big, 'y', QRPNG_TEXT_MAX + 1);
	big[QRPNG_TEXT_MAX + 1] = '\0';
	qrpng_cache_init(c);
	ok = T_INTEQ(qrpng_cache_get(c, 4, 1, "good", &p, &l), 0) &&
	    T_INTEQ(qrpng_cache_get(c, 4, 2, "", &p, &l), -1) &&
	    T_TRUE(p == NULL) && T_INTEQ(l, 0) &&
	    T_INTEQ(qrpng_cache_get(c, 4, 3, NULL, &p, &l), -1) &&
	    T_INTEQ(qrpng_cache_get(c, 4, 4, big, &p, &l), -1) &&
	    /* The failed slot holds nothing stale for the old version. */
	    T_INTEQ(qrpng_cache_get(c, 4, 1, "good", &p, &l), 0) &&
	    T_INTEQ(c->hits, 0) && is_render_of(p, l, "good");
	qrpng_cache_free(c);
	free(big);
	free(c);
	return ok;
}

struct	worker {
	const struct buf	*want;	/* the single-threaded render */
	int			 ok;	/* 1 if every render matched */
};

static void *
worker_run(void *arg)
{
	struct worker	*w = arg;
	struct buf	 b;
	int		 i;

	buf_init(&b);
	w->ok = 1;
	for (i = 0; i < 20 && w->ok; i++) {
		buf_reset(&b);
		w->ok = qrpng_write(&b, pairing, strlen(pairing), 6, 4,
		    NULL) == 0 && b.len == w->want->len &&
		    memcmp(b.data, w->want->data, b.len) == 0;
	}
	buf_free(&b);
	return NULL;
}

static int
threads_render_alike(void)
{
	struct buf	 want;
	struct worker	 w[4];
	pthread_t	 th[4];
	size_t		 i, n = 0;
	int		 ok;

	buf_init(&want);
	ok = T_INTEQ(qrpng_write(&want, pairing, strlen(pairing), 6, 4,
	    NULL), 0);
	for (i = 0; ok && i < 4; i++, n++) {
		w[i].want = &want;
		w[i].ok = 0;
		ok = T_INTEQ(pthread_create(&th[i], NULL, worker_run, &w[i]),
		    0);
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		ok = ok && T_TRUE(w[i].ok);
	}
	buf_free(&want);
	return ok;
}

/* Test mode: render stdin at the default size into "path". */
static int
write_file(const char *path)
{
	struct buf		 in, png;
	struct qrpng_dim	 d;
	FILE			*f;
	char			 chunk[4096];
	size_t			 n;
	int			 rc = 1;

	buf_init(&in);
	buf_init(&png);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		buf_append(&in, chunk, n);
	if (qrpng_write(&png, in.data, in.len, QRPNG_SCALE_DEFAULT,
	    QRPNG_MARGIN_DEFAULT, &d) == -1)
		goto out;
	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		goto out;
	}
	if (fwrite(png.data, 1, png.len, f) != png.len || fclose(f) != 0) {
		perror(path);
		goto out;
	}
	printf("version %u, %u modules, %u px, %zu bytes\n", d.version,
	    d.modules, d.px, png.len);
	rc = 0;
out:
	buf_free(&in);
	buf_free(&png);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct t_case	 cases[] = {
		T_CASE(signature_and_ihdr),
		T_CASE(pixels_are_the_modules),
		T_CASE(smallest_version_level_m),
		T_CASE(rejects_bad_input),
		T_CASE(appends_and_is_deterministic),
		T_CASE(cache_same_version_hits),
		T_CASE(cache_new_version_rerenders),
		T_CASE(cache_checks_text),
		T_CASE(cache_accounts_and_lru),
		T_CASE(cache_bad_text),
		T_CASE(threads_render_alike),
	};

	log_init("t_qrpng", LOG_LEVEL_WARN);
	if (argc == 3 && strcmp(argv[1], "--write") == 0)
		return write_file(argv[2]);
	return t_run(cases, T_NCASES(cases));
}
