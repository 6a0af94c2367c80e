/*
 * t_wheel: the far-timer wheel (daemon/wa/wheel.c) on a real
 * lws_context without sockets.  Every parked timer runs once, never
 * early and at most a slot late; lws_sul_cancel() and
 * lws_sul_schedule() work on parked timers; a callback may re-arm
 * itself or cancel a timer due in the same slot; near and far delays
 * go to lws as they are; destroying the context unlinks what is still
 * parked.  About 4 s (the wheel only takes delays of a second or more).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "log.h"
#include "t.h"
#include "wheel.h"

#define	SLACK_US	(60 * LWS_US_PER_MS)	/* a loaded machine */
#define	LATE_US		((lws_usec_t)WA_WHEEL_SLOT_MS * LWS_US_PER_MS + \
			    SLACK_US)
#define	MIN_US		((lws_usec_t)WA_WHEEL_MIN_MS * LWS_US_PER_MS)

struct	tmr {
	lws_sorted_usec_list_t	 sul;
	lws_usec_t		 due;		/* absolute, lws_now_usecs() */
	lws_usec_t		 ran;		/* when it last ran, or 0 */
	int			 runs;
	int			 rearm;		/* re-arm itself this often */
	struct tmr		*victim;	/* cancel this one when run */
};

static struct lws_context	*ctx;

static struct lws_context *
ctx_new(void)
{
	struct lws_context_creation_info	 info;

	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	lws_set_log_level(LLL_ERR, NULL);
	return lws_create_context(&info);
}

static void
tm_run(lws_sorted_usec_list_t *sul)
{
	struct tmr	*t = lws_container_of(sul, struct tmr, sul);

	t->ran = lws_now_usecs();
	t->runs++;
	if (t->victim != NULL)
		lws_sul_cancel(&t->victim->sul);
	if (t->rearm > 0 && t->runs < t->rearm) {
		t->due = t->ran + MIN_US;
		wa_wheel_schedule(ctx, &t->sul, tm_run, MIN_US);
	}
}

static void
tm_park(struct tmr *t, lws_usec_t us)
{

	t->due = lws_now_usecs() + us;
	wa_wheel_schedule(ctx, &t->sul, tm_run, us);
}

/* Keeps lws_service() returning while no test timer is due. */
static lws_sorted_usec_list_t	 wake;

static void
wake_cb(lws_sorted_usec_list_t *sul)
{

	lws_sul_schedule(ctx, 0, &wake, wake_cb, 5 * LWS_US_PER_MS);
}

/* Serve the loop until "done" says so or "ms" passed. */
static void
serve(int (*done)(void *), void *arg, int ms)
{
	lws_usec_t	 end;

	end = lws_now_usecs() + (lws_usec_t)ms * LWS_US_PER_MS;
	lws_sul_schedule(ctx, 0, &wake, wake_cb, 5 * LWS_US_PER_MS);
	while (lws_now_usecs() < end && !done(arg))
		lws_service(ctx, 0);
	lws_sul_cancel(&wake);
}

/* Ran exactly once, not before it was due, and not too late. */
static int
ran_once_in_time(const struct tmr *t)
{

	return T_INTEQ(t->runs, 1) && T_TRUE(t->ran >= t->due) &&
	    T_TRUE(t->ran - t->due <= LATE_US);
}

struct	many {
	struct tmr	*t;
	int		 n;
};

static int
many_done(void *arg)
{
	struct many	*m = arg;
	int		 i;

	for (i = 0; i < m->n; i++)
		if (m->t[i].runs == 0)
			return 0;
	return 1;
}

/* 3,000 timers over 0.9 s of delays, spread over many slots. */
static int
many_in_time(void)
{
	struct many	 m;
	int		 i, ok = 1;

	m.n = 3000;
	m.t = calloc((size_t)m.n, sizeof(*m.t));
	for (i = 0; i < m.n; i++)
		tm_park(&m.t[i], MIN_US + (lws_usec_t)(i * 7919 % 900) *
		    LWS_US_PER_MS);
	serve(many_done, &m, 3000);
	for (i = 0; i < m.n && ok; i++)
		ok = ran_once_in_time(&m.t[i]);
	free(m.t);
	return ok;
}

static int
three_done(void *arg)
{
	struct tmr	*t = arg;

	return t[1].runs > 0 && t[2].runs > 0 && t[3].runs > 0;
}

/*
 * [0] cancelled while parked; [1] moved from the wheel to lws (near);
 * [2] parked again later; [3] cancels [4], due in the same slot.
 */
static int
cancel_and_rearm(void)
{
	struct tmr	 t[5];

	memset(t, 0, sizeof(t));
	tm_park(&t[0], MIN_US + 200 * LWS_US_PER_MS);
	tm_park(&t[1], MIN_US + 200 * LWS_US_PER_MS);
	tm_park(&t[2], MIN_US);
	tm_park(&t[3], MIN_US + 300 * LWS_US_PER_MS);
	t[4].due = t[3].due;
	wa_wheel_schedule(ctx, &t[4].sul, tm_run, MIN_US +
	    300 * LWS_US_PER_MS);
	t[3].victim = &t[4];
	lws_sul_cancel(&t[0].sul);
	t[1].due = lws_now_usecs() + 20 * LWS_US_PER_MS;
	lws_sul_schedule(ctx, 0, &t[1].sul, tm_run, 20 * LWS_US_PER_MS);
	tm_park(&t[2], MIN_US + 500 * LWS_US_PER_MS);
	/* [2] runs last, after [0] and [4] would have, were they parked. */
	serve(three_done, t, 3000);
	return T_INTEQ(t[0].runs, 0) && ran_once_in_time(&t[1]) &&
	    T_TRUE(t[1].ran - t[1].due < MIN_US) &&
	    ran_once_in_time(&t[2]) && ran_once_in_time(&t[3]) &&
	    T_INTEQ(t[4].runs, 0);
}

static int
rearmed_done(void *arg)
{

	return ((struct tmr *)arg)->runs >= 2;
}

/* A callback that parks itself again, as the keepalive does. */
static int
rearm_from_callback(void)
{
	struct tmr	 t;
	lws_usec_t	 t0;

	memset(&t, 0, sizeof(t));
	t.rearm = 2;
	t0 = lws_now_usecs();
	tm_park(&t, MIN_US);
	serve(rearmed_done, &t, 3500);
	return T_INTEQ(t.runs, 2) && T_TRUE(t.ran >= t.due) &&
	    T_TRUE(t.ran - t0 >= 2 * MIN_US) &&
	    T_TRUE(t.ran - t.due <= LATE_US);
}

/* Under a second, or beyond the horizon: lws' own list, not a slot. */
static int
near_and_far_go_to_lws(void)
{
	struct tmr	 p, q, r;
	int		 ok;

	memset(&p, 0, sizeof(p));
	memset(&q, 0, sizeof(q));
	memset(&r, 0, sizeof(r));
	tm_park(&p, MIN_US + 500 * LWS_US_PER_MS);
	tm_park(&q, (lws_usec_t)WA_WHEEL_SLOTS * WA_WHEEL_SLOT_MS *
	    LWS_US_PER_MS);
	tm_park(&r, 5 * LWS_US_PER_MS);
	ok = T_TRUE(p.sul.list.owner != NULL) &&
	    T_TRUE(q.sul.list.owner != p.sul.list.owner) &&
	    T_TRUE(r.sul.list.owner == q.sul.list.owner);
	lws_sul_cancel(&p.sul);
	lws_sul_cancel(&q.sul);
	lws_sul_cancel(&r.sul);
	return ok;
}

/* The context's end unlinks parked timers: cancelling later is safe. */
static int
context_end(void)
{
	struct lws_context	*c2;
	struct tmr		 t;
	int			 ok;

	memset(&t, 0, sizeof(t));
	if ((c2 = ctx_new()) == NULL)
		return T_TRUE(0);
	t.due = lws_now_usecs() + 2 * MIN_US;
	wa_wheel_schedule(c2, &t.sul, tm_run, 2 * MIN_US);
	ok = T_TRUE(!lws_dll2_is_detached(&t.sul.list));
	lws_context_destroy(c2);
	ok = ok && T_TRUE(lws_dll2_is_detached(&t.sul.list)) &&
	    T_INTEQ(t.runs, 0);
	lws_sul_cancel(&t.sul);
	return ok;
}

int
main(void)
{
	static const struct t_case	cases[] = {
		T_CASE(many_in_time),
		T_CASE(cancel_and_rearm),
		T_CASE(rearm_from_callback),
		T_CASE(near_and_far_go_to_lws),
		T_CASE(context_end),
	};
	int				rc;

	log_init("t_wheel", LOG_LEVEL_WARN);
	if ((ctx = ctx_new()) == NULL) {
		fprintf(stderr, "t_wheel: lws_create_context failed\n");
		return 1;
	}
	rc = t_run(cases, T_NCASES(cases));
	lws_context_destroy(ctx);
	return rc;
}
