/*
 * Far timers on a wheel; see wheel.h.  Slot k (of WA_WHEEL_SLOTS) holds
 * the parked timers due in the slot-length window that ends at some
 * multiple of WA_WHEEL_SLOT_MS congruent to k, in an lws_dll2 list of
 * their own: a parked timer's list node is on the slot's owner instead
 * of lws' sorted list, so lws_sul_cancel() and lws_sul_schedule(),
 * which start by unlinking the node from whatever owner holds it, work
 * on parked timers unchanged.  The slot's own lws_sul is due when the
 * window ends and runs every parked timer that is due by then, as
 * lws' own service does: unlinked, "us" zeroed, then its callback.
 * The horizon is shorter than one turn, so a slot never holds two
 * windows at once except for a late-running one, whose timers not yet
 * due stay parked and re-arm the slot.
 */
#include <stdint.h>
#include <string.h>

#include <libwebsockets.h>

#include "log.h"
#include "wheel.h"

#define	WHEEL_NAME	"wa-wheel"
#define	SLOT_US		((lws_usec_t)WA_WHEEL_SLOT_MS * LWS_US_PER_MS)
/* One slot short of a full turn: a window is never confused with the
 * window one turn later. */
#define	HORIZON_US	(SLOT_US * (WA_WHEEL_SLOTS - 1))

struct	wheel;

struct	slot {
	struct wheel		*w;
	lws_dll2_owner_t	 timers;	/* parked lws_sul list nodes */
	lws_sorted_usec_list_t	 sul;		/* due at the window's end */
};

struct	wheel {
	struct lws_context	*ctx;
	struct slot		 slot[WA_WHEEL_SLOTS];
};

static int	wheel_lws_cb(struct lws *, enum lws_callback_reasons, void *,
		    void *, size_t);

static const struct lws_protocols	wheel_protocols[] = {
	{ WHEEL_NAME, wheel_lws_cb, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* Unlink every parked timer and the slot timers (the wheel goes). */
static void
wheel_clear(struct wheel *w)
{
	struct lws_dll2	*d;
	int		 i;

	for (i = 0; i < WA_WHEEL_SLOTS; i++) {
		lws_sul_cancel(&w->slot[i].sul);
		while ((d = lws_dll2_get_head(&w->slot[i].timers)) != NULL) {
			lws_dll2_remove(d);
			((lws_sorted_usec_list_t *)d)->us = 0;
		}
	}
}

/* The vhost's protocol: only its end matters to us. */
static int
wheel_lws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct lws_vhost	*vh;
	struct wheel		*w;

	if (reason != LWS_CALLBACK_PROTOCOL_DESTROY)
		return 0;
	vh = lws_get_vhost(wsi);
	w = lws_protocol_vh_priv_get(vh,
	    lws_vhost_name_to_protocol(vh, WHEEL_NAME));
	if (w != NULL)
		wheel_clear(w);
	return 0;
}

/* Run the parked timers of this slot that are due; re-arm for the rest. */
static void
slot_run(lws_sorted_usec_list_t *sul)
{
	struct slot		*s = lws_container_of(sul, struct slot, sul);
	lws_sorted_usec_list_t	*t;
	lws_dll2_owner_t	 due;
	struct lws_dll2		*d, *next;
	lws_usec_t		 now, first = 0;

	now = lws_now_usecs();
	lws_dll2_owner_clear(&due);
	for (d = lws_dll2_get_head(&s->timers); d != NULL; d = next) {
		next = d->next;
		t = (lws_sorted_usec_list_t *)d;
		if (t->us <= now) {
			lws_dll2_remove(d);
			lws_dll2_add_tail(d, &due);
		} else if (first == 0 || t->us < first)
			first = t->us;
	}
	if (first != 0)
		lws_sul_schedule(s->w->ctx, 0, &s->sul, slot_run,
		    (first + SLOT_US - 1) / SLOT_US * SLOT_US - now);
	/*
	 * A callback may cancel or re-arm any timer, also one still on
	 * "due" (that unlinks it from there): always take the head.
	 */
	while ((d = lws_dll2_get_head(&due)) != NULL) {
		lws_dll2_remove(d);
		t = (lws_sorted_usec_list_t *)d;
		t->us = 0;
		t->cb(t);
	}
}

/* The context's wheel, made on first use; NULL (logged) if it cannot. */
static struct wheel *
wheel_get(struct lws_context *ctx)
{
	struct lws_context_creation_info	 info;
	const struct lws_protocols		*prot;
	struct lws_vhost			*vh;
	struct wheel				*w;
	int					 i;

	if ((vh = lws_get_vhost_by_name(ctx, WHEEL_NAME)) == NULL) {
		memset(&info, 0, sizeof(info));
		info.port = CONTEXT_PORT_NO_LISTEN;
		info.protocols = wheel_protocols;
		info.vhost_name = WHEEL_NAME;
		if ((vh = lws_create_vhost(ctx, &info)) == NULL) {
			log_warnx("%s: cannot create the %s vhost", __func__,
			    WHEEL_NAME);
			return NULL;
		}
		/*
		 * lws 4.1 only tells a vhost's protocols of its end
		 * (LWS_CALLBACK_PROTOCOL_DESTROY, where the wheel lets go
		 * of its timers) once they were initialised, which
		 * otherwise waits for the first lws_service().
		 */
		if (lws_protocol_init(ctx) != 0) {
			log_warnx("%s: cannot start the %s vhost", __func__,
			    WHEEL_NAME);
			return NULL;
		}
	}
	if ((prot = lws_vhost_name_to_protocol(vh, WHEEL_NAME)) == NULL)
		return NULL;
	if ((w = lws_protocol_vh_priv_get(vh, prot)) != NULL)
		return w;
	if ((w = lws_protocol_vh_priv_zalloc(vh, prot, sizeof(*w))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return NULL;
	}
	w->ctx = ctx;
	for (i = 0; i < WA_WHEEL_SLOTS; i++)
		w->slot[i].w = w;
	return w;
}

void
wa_wheel_schedule(struct lws_context *ctx, lws_sorted_usec_list_t *sul,
    sul_cb_t cb, lws_usec_t us)
{
	struct wheel	*w;
	struct slot	*s;
	lws_usec_t	 now, end;

	if (us < (lws_usec_t)WA_WHEEL_MIN_MS * LWS_US_PER_MS ||
	    us >= HORIZON_US || (w = wheel_get(ctx)) == NULL) {
		lws_sul_schedule(ctx, 0, sul, cb, us);
		return;
	}
	now = lws_now_usecs();
	lws_sul_cancel(sul);
	sul->cb = cb;
	sul->us = now + us;
	end = (sul->us + SLOT_US - 1) / SLOT_US;	/* window's end */
	s = &w->slot[end % WA_WHEEL_SLOTS];
	lws_dll2_add_tail(&sul->list, &s->timers);
	if (lws_dll2_is_detached(&s->sul.list))
		lws_sul_schedule(ctx, 0, &s->sul, slot_run,
		    end * SLOT_US - now);
}
