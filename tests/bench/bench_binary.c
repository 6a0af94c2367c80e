/*
 * Throughput of the binary node codec over a mix of stanzas shaped like
 * the traffic of a linked device: messages with enc payloads, receipts,
 * acks, pings, device-list notifications, a usync result with 50 users,
 * pair-device refs and one larger media-like payload.  Prints decode
 * and encode MB/s (bytes of encoded node per second) and nodes per
 * second, each measured for about one second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"

#include "binary.h"

#define	NMIX	8

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = seed >> 16;
	}
}

static struct wa_node *
mix(int i)
{
	struct wa_node	*n, *c, *d, *u;
	unsigned char	 p[16384];
	int		 k, j;

	switch (i) {
	case 0:
		n = wa_node_new("message");
		wa_node_set_attr(n, "from", "120363041234567890@g.us");
		wa_node_set_attr(n, "participant",
		    "15551234567:12@s.whatsapp.net");
		wa_node_set_attr(n, "id", "3EB0A1B2C3D4E5F60718");
		wa_node_set_attr(n, "type", "text");
		wa_node_set_attr(n, "t", "1700000123");
		wa_node_set_attr(n, "notify", "Ann");
		c = wa_node_add_child(n, "enc");
		wa_node_set_attr(c, "v", "2");
		wa_node_set_attr(c, "type", "skmsg");
		fill(p, 180, 1);
		wa_node_set_bytes(c, p, 180);
		return n;
	case 1:
		n = wa_node_new("receipt");
		wa_node_set_attr(n, "from", "15551234567@s.whatsapp.net");
		wa_node_set_attr(n, "id", "3EB0A1B2C3D4E5F60718");
		wa_node_set_attr(n, "type", "read");
		wa_node_set_attr(n, "t", "1700000124");
		c = wa_node_add_child(n, "list");
		for (k = 0; k < 5; k++) {
			d = wa_node_add_child(c, "item");
			wa_node_set_attrf(d, "id", "3EB0A1B2C3D4E5F6071%d", k);
		}
		return n;
	case 2:
		n = wa_node_new("ack");
		wa_node_set_attr(n, "class", "message");
		wa_node_set_attr(n, "id", "3EB0A1B2C3D4E5F60718");
		wa_node_set_attr(n, "to", "15551234567:3@s.whatsapp.net");
		wa_node_set_attr(n, "type", "text");
		return n;
	case 3:
		n = wa_node_new("iq");
		wa_node_set_attr(n, "to", "@s.whatsapp.net");
		wa_node_set_attr(n, "xmlns", "w:p");
		wa_node_set_attr(n, "type", "get");
		wa_node_set_attr(n, "id", "12345.6789-42");
		wa_node_add_child(n, "ping");
		return n;
	case 4:
		n = wa_node_new("notification");
		wa_node_set_attr(n, "from", "15551234567@s.whatsapp.net");
		wa_node_set_attr(n, "type", "devices");
		wa_node_set_attr(n, "id", "1234567890");
		wa_node_set_attr(n, "t", "1700000125");
		c = wa_node_add_child(n, "add");
		wa_node_set_attr(c, "device_hash", "2:abcdEFGH");
		d = wa_node_add_child(c, "device");
		wa_node_set_attr(d, "jid", "15551234567:7@s.whatsapp.net");
		d = wa_node_add_child(c, "key-index-list");
		wa_node_set_attr(d, "ts", "1700000000");
		fill(p, 120, 4);
		wa_node_set_bytes(d, p, 120);
		return n;
	case 5:
		n = wa_node_new("iq");
		wa_node_set_attr(n, "from", "@s.whatsapp.net");
		wa_node_set_attr(n, "type", "result");
		wa_node_set_attr(n, "id", "12345.6789-43");
		c = wa_node_add_child(n, "usync");
		c = wa_node_add_child(c, "list");
		for (k = 0; k < 50; k++) {
			u = wa_node_add_child(c, "user");
			wa_node_set_attrf(u, "jid", "1555%07d@s.whatsapp.net",
			    k * 7919);
			d = wa_node_add_child(u, "devices");
			d = wa_node_add_child(d, "device-list");
			for (j = 0; j < 3; j++) {
				struct wa_node	*e;

				e = wa_node_add_child(d, "device");
				wa_node_set_attrf(e, "id", "%d", j);
				if (j > 0)
					wa_node_set_attr(e, "key-index", "1");
			}
		}
		return n;
	case 6:
		n = wa_node_new("iq");
		wa_node_set_attr(n, "from", "@s.whatsapp.net");
		wa_node_set_attr(n, "type", "set");
		wa_node_set_attr(n, "id", "1700000126");
		wa_node_set_attr(n, "xmlns", "md");
		c = wa_node_add_child(n, "pair-device");
		for (k = 0; k < 6; k++) {
			d = wa_node_add_child(c, "ref");
			fill(p, 60, k);
			wa_node_set_bytes(d, p, 60);
		}
		return n;
	default:
		n = wa_node_new("message");
		wa_node_set_attr(n, "from", "15551234567@s.whatsapp.net");
		wa_node_set_attr(n, "id", "3EB0FFFF0000");
		wa_node_set_attr(n, "type", "media");
		c = wa_node_add_child(n, "enc");
		wa_node_set_attr(c, "v", "2");
		wa_node_set_attr(c, "type", "msg");
		fill(p, sizeof(p), 9);
		wa_node_set_bytes(c, p, sizeof(p));
		return n;
	}
}

int
main(void)
{
	struct wa_node	*nodes[NMIX], *d;
	struct buf	 enc[NMIX], out;
	size_t		 total = 0, iters, done;
	double		 t0, t;
	char		 err[128];
	int		 i;

	log_init("bench_binary", LOG_LEVEL_WARN);
	for (i = 0; i < NMIX; i++) {
		nodes[i] = mix(i);
		buf_init(&enc[i]);
		if (wa_binary_encode(nodes[i], &enc[i]) == -1)
			fatalx("encode mix %d", i);
		total += enc[i].len;
	}
	buf_init(&out);

	/* Decode: whole mix per iteration until a second has passed. */
	iters = 0;
	t0 = now();
	do {
		for (done = 0; done < 200; done++)
			for (i = 0; i < NMIX; i++) {
				if (wa_binary_decode((unsigned char *)
				    enc[i].data, enc[i].len, &d, err,
				    sizeof(err)) == -1)
					fatalx("decode mix %d: %s", i, err);
				wa_node_free(d);
			}
		iters += 200;
	} while ((t = now() - t0) < 1.0);
	printf("binary decode: %.1f MB/s, %.0f stanzas/s (%d-stanza mix, "
	    "%zu bytes)\n", iters * total / t / 1e6, iters * NMIX / t, NMIX,
	    total);

	iters = 0;
	t0 = now();
	do {
		for (done = 0; done < 200; done++)
			for (i = 0; i < NMIX; i++) {
				buf_reset(&out);
				if (wa_binary_encode(nodes[i], &out) == -1)
					fatalx("encode mix %d", i);
			}
		iters += 200;
	} while ((t = now() - t0) < 1.0);
	printf("binary encode: %.1f MB/s, %.0f stanzas/s\n",
	    iters * total / t / 1e6, iters * NMIX / t);

	for (i = 0; i < NMIX; i++) {
		wa_node_free(nodes[i]);
		buf_free(&enc[i]);
	}
	buf_free(&out);
	return 0;
}
