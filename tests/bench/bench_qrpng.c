/*
 * Benchmark for cgi/qrpng.c ("make bench"): microseconds per PNG render
 * of a pairing-sized string at the default size, and per cache hit for
 * the same qr_version, as the dashboard's qr.png handler would see them.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "qrpng.h"

#define	RENDERS	300
#define	HITS	200000

/* A 227-byte string shaped like a WhatsApp pairing QR. */
static const char pairing[] =
    "2@kq8Vw1Zt+J3pL0xYb7Rm/N5cA9sHd2EgUf6Ti4Ko1Xe3Ww8Qr0Bn5My7Pa2Lc9"
    "SvHj4Dz6Gu1Ft3Ck8Ri0Oy5Ne+/A,"
    "3rW0kQ9sVd8Pq2uX4Lm7Zt1Hy6Bc5Nf0Ja3Eg8Ki2Ow=,"
    "Tn7Yb2Cs5Hq0Mv3Xd8Lk1Pf6Ga9Zr4Je0Uw2Ql7Ic5O=,"
    "Fa1Dm6Kx9Vh4Bp0Zs3Ry8Wj2Nq5Tu7Ce1Lg6Oi0Xk9H=";

static double
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int
main(void)
{
	struct qrpng_cache	 c;
	struct buf		 b;
	const unsigned char	*png;
	size_t			 len, sum = 0;
	double			 t0, render_us, hit_us;
	int			 i;

	log_init("bench_qrpng", LOG_LEVEL_WARN);
	buf_init(&b);
	t0 = now_us();
	for (i = 0; i < RENDERS; i++) {
		buf_reset(&b);
		if (qrpng_write(&b, pairing, strlen(pairing),
		    QRPNG_SCALE_DEFAULT, QRPNG_MARGIN_DEFAULT, NULL) == -1)
			return 1;
	}
	render_us = (now_us() - t0) / RENDERS;

	qrpng_cache_init(&c);
	if (qrpng_cache_get(&c, 1, 1, pairing, &png, &len) == -1)
		return 1;
	t0 = now_us();
	for (i = 0; i < HITS; i++) {
		if (qrpng_cache_get(&c, 1 + i % 8, 1, pairing, &png,
		    &len) == -1)
			return 1;
		sum += len;
	}
	hit_us = (now_us() - t0) / HITS;
	if (c.misses != 8)
		fprintf(stderr, "bench_qrpng: %lu misses, want 8\n", c.misses);
	printf("qrpng: %zu-byte text, %zu-byte PNG: render %.1f us, "
	    "cache hit %.3f us (%.0fx)\n", strlen(pairing), b.len, render_us,
	    hit_us, render_us / hit_us);
	qrpng_cache_free(&c);
	buf_free(&b);
	return sum == 0;
}
