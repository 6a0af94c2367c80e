/*
 * wheel.h: far timers for thousands of connections on one lws_context.
 *
 * lws 4.1 keeps every lws_sul of a context in one list sorted by due
 * time and inserts by walking it from the head, so scheduling a timer
 * costs one step per timer due earlier.  A keepalive re-armed 20-30 s
 * ahead is due after nearly every other timer: with N connections each
 * re-arm walks about N entries, and idle CPU grows with N squared
 * (make bench: 9 % at 5,000 sessions, 3/4 of it in lws_dll2_add_sorted).
 * wa_wheel_schedule() parks such a timer in a slot of WA_WHEEL_SLOT_MS
 * instead (constant time); each slot in use has one lws_sul of its own,
 * which runs the slot's timers when it ends.
 */
#ifndef WADESK_WA_WHEEL_H
#define WADESK_WA_WHEEL_H

#include <libwebsockets.h>

#define	WA_WHEEL_SLOT_MS	100	/* a parked timer runs at most this
					   late */
#define	WA_WHEEL_SLOTS		1024	/* slots: the horizon is ~102 s */
#define	WA_WHEEL_MIN_MS		1000	/* nearer timers go to lws as is */

/*
 * Like lws_sul_schedule(ctx, 0, sul, cb, us): "cb" runs once, "us"
 * microseconds from now, from the lws loop, unless the timer is
 * cancelled (lws_sul_cancel()) or scheduled again first (either way,
 * also with lws_sul_schedule()).  A delay from WA_WHEEL_MIN_MS up to
 * the horizon is parked on the context's wheel and runs up to
 * WA_WHEEL_SLOT_MS late; any other delay, or when the wheel cannot be
 * made (logged once per try), goes to lws_sul_schedule() unchanged.
 * The wheel lives on a vhost "wa-wheel" added to the context on first
 * use and is freed with the context; as with any lws_sul, the caller
 * must cancel its timers (or free their owners) before destroying the
 * context.
 */
void	wa_wheel_schedule(struct lws_context *ctx, lws_sorted_usec_list_t *sul,
	    sul_cb_t cb, lws_usec_t us);

#endif /* !WADESK_WA_WHEEL_H */
