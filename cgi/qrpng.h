/*
 * The QR PNG renderer behind GET /accounts/{id}/qr.png: it encodes an
 * account's qr_code string with libqrencode and writes it as a 1-bit
 * greyscale PNG with libpng into a struct buf, with no temporary files.
 * A small per-worker cache keeps the last PNG of up to QRPNG_CACHE_SLOTS
 * accounts so that the page's polling is served from memory.
 *
 * Thread safety: qrpng_write() keeps no static mutable state, and both
 * libraries are safe per call (Debian's libqrencode is built with
 * pthread), so any number of threads may render at once.  A struct
 * qrpng_cache is not locked: give each worker thread its own.
 */
#ifndef WADESK_QRPNG_H
#define WADESK_QRPNG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define	QRPNG_SCALE_DEFAULT	6	/* pixels per module */
#define	QRPNG_MARGIN_DEFAULT	4	/* quiet zone, modules (ISO 18004) */
#define	QRPNG_SCALE_MAX		32	/* pixels per module */
#define	QRPNG_MARGIN_MAX	16	/* modules */
#define	QRPNG_TEXT_MAX		1000	/* bytes; version 40-M holds 2331 */
#define	QRPNG_CACHE_SLOTS	64	/* accounts one worker remembers */

struct	qrpng_dim {
	unsigned int	 version;	/* QR version chosen, 1..40 */
	unsigned int	 modules;	/* symbol width, modules, no margin */
	unsigned int	 px;		/* image width = height, pixels */
};

struct	qrpng_slot {
	int64_t		 account_id;	/* accounts.id */
	int64_t		 qr_version;	/* accounts.qr_version rendered */
	char		*text;		/* qr_code rendered; NULL if empty */
	size_t		 textlen;	/* bytes in text */
	struct buf	 png;		/* the PNG file's bytes */
	uint64_t	 used;		/* cache tick of last use, for LRU */
};

struct	qrpng_cache {
	struct qrpng_slot slots[QRPNG_CACHE_SLOTS]; /* LRU, one per account */
	uint64_t	 tick;		/* bumped on every get */
	unsigned long	 hits;		/* gets served from memory */
	unsigned long	 misses;	/* gets that rendered */
};

int	qrpng_write(struct buf *out, const char *text, size_t len,
	    unsigned int scale, unsigned int margin, struct qrpng_dim *dim)
	    __attribute__((warn_unused_result));
void	qrpng_cache_init(struct qrpng_cache *c);
void	qrpng_cache_free(struct qrpng_cache *c);
int	qrpng_cache_get(struct qrpng_cache *c, int64_t account_id,
	    int64_t qr_version, const char *text, const unsigned char **png,
	    size_t *len)
	    __attribute__((warn_unused_result));

#endif /* !WADESK_QRPNG_H */
