/*
 * Keepalive (spec 8.3, whatsmeow keepalive.go) and logout (spec 8.9,
 * whatsmeow client.go Logout).  Shared state and helpers: client_int.h.
 */
#include "client_int.h"
#include "wheel.h"

static void	ka_send(lws_sorted_usec_list_t *);

/*
 * sul_ka_to: a ping went unanswered within the timeout (spec 8.3).  A
 * miss; the connection is dead once nothing was answered for
 * keepalive_dead_ms (whatsmeow keepalive.go: 3 minutes).
 */
static void
ka_timeout(lws_sorted_usec_list_t *sul)
{
	struct wa_client	*c = lws_container_of(sul, struct wa_client,
				    sul_ka_to);
	lws_usec_t		 quiet;

	cl_enter(c);
	c->ka_iq[0] = '\0';
	quiet = lws_now_usecs() - c->ka_last_ok;
	cl_wlog(c, LOG_LEVEL_WARN, "keepalive timeout (%lld ms without answer)",
	    (long long)(quiet / LWS_US_PER_MS));
	if (quiet >= cl_ms(c->ka_dead_ms))
		cl_client_end(c, WA_REASON_TIMEOUT, 0, 0, 0);
	else
		cl_ka_schedule(c);	/* whatsmeow: next ping after the interval */
	cl_leave(c);
}

/*
 * 32 bits for the keepalive jitter, without a system call: a
 * splitmix64 sequence (Steele, Lea and Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014) per thread, seeded
 * once from wa_random().  The jitter only spreads the pings over time,
 * as whatsmeow's does with math/rand (keepalive.go), a generator that
 * is not cryptographic either; issue 8: wa_random() costs a
 * getrandom(2) per ping, thousands a minute at 5,000 sessions.
 */
static uint32_t
ka_jitter_random(void)
{
	static _Thread_local uint64_t	 state;
	static _Thread_local int	 seeded;
	uint64_t			 z;

	if (!seeded) {
		wa_random(&state, sizeof(state));
		seeded = 1;
	}
	z = (state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

/* Schedule the next ping at a jittered interval (whatsmeow). */
void
cl_ka_schedule(struct wa_client *c)
{
	uint32_t	 r;
	unsigned int	 span, d;

	span = c->ka_max_ms > c->ka_min_ms ? c->ka_max_ms - c->ka_min_ms : 0;
	r = ka_jitter_random();
	d = c->ka_min_ms + (span > 0 ? r % span : 0);
	wa_wheel_schedule(c->lws, &c->sul_ka, ka_send, cl_ms(d));
}

/*
 * sul_ka: send the empty <iq xmlns=w:p type=get to=s.whatsapp.net/>
 * (whatsmeow keepalive.go sendKeepAlive: no <ping/> child), from the
 * end of the handshake on, pairing windows included.
 */
static void
ka_send(lws_sorted_usec_list_t *sul)
{
	struct wa_client	*c = lws_container_of(sul, struct wa_client,
				    sul_ka);
	struct wa_node		*n;

	cl_enter(c);
	if (c->state != WA_STATE_CONNECTED &&
	    c->state != WA_STATE_LOGGING_IN && c->state != WA_STATE_PAIRING)
		goto out;
	n = cl_iq_new(c, c->ka_iq, "get", "w:p");
	if (cl_send_free(c, n) == 0)
		wa_wheel_schedule(c->lws, &c->sul_ka_to, ka_timeout,
		    cl_ms(c->ka_timeout_ms));
out:
	cl_leave(c);
}

/* A pong: the connection is alive. */
void
cl_ka_pong(struct wa_client *c)
{

	c->ka_iq[0] = '\0';
	c->ka_last_ok = lws_now_usecs();
	lws_sul_cancel(&c->sul_ka_to);
	cl_ka_schedule(c);
}

/* sul_logout: no answer to remove-companion-device in time. */
static void
logout_timeout(lws_sorted_usec_list_t *sul)
{
	struct wa_client	*c = lws_container_of(sul, struct wa_client,
				    sul_logout);

	cl_enter(c);
	cl_wlog(c, LOG_LEVEL_WARN, "logout: no answer from the server");
	cl_client_end(c, WA_REASON_TIMEOUT, 0, 1, 0);
	cl_leave(c);
}

/*
 * Send <iq xmlns=md type=set><remove-companion-device jid=own
 * reason=user_initiated/></iq> (spec 8.9, whatsmeow client.go Logout)
 * and wait for its result or the 401 that follows it.
 */
void
cl_logout_send(struct wa_client *c)
{
	struct wa_node	*n, *r;

	n = cl_iq_new(c, c->logout_iq, "set", "md");
	r = wa_node_add_child(n, "remove-companion-device");
	wa_node_set_attr(r, "jid", c->creds->jid);
	wa_node_set_attr(r, "reason", "user_initiated");
	if (cl_send_free(c, n) == -1)
		return;
	c->logout_sent = 1;
	lws_sul_schedule(c->lws, 0, &c->sul_logout, logout_timeout,
	    cl_ms(c->hs_timeout_ms));
}

/* The answer to our logout: result, or an error code. */
void
cl_logout_answer(struct wa_client *c, const struct wa_node *n)
{
	const struct wa_node	*e;

	if (cl_attr_is(n, "type", "result")) {
		cl_client_end(c, WA_REASON_LOGGED_OUT, 0, 1, 1);
		return;
	}
	e = wa_node_child(n, "error");
	cl_client_end(c, WA_REASON_UNKNOWN, e != NULL ? cl_attr_int(e, "code") : 0,
	    1, 0);
}

/* Logout; see wa.h.  0, or -1 (logged). */
int
wa_client_logout(struct wa_client *c)
{

	if (c->free_pending) {
		log_warnx("%s: client is being freed", __func__);
		return -1;
	}
	if (c->mode == MODE_PAIR && c->paired_now) {
		/* Paired, the 515 and login still to come. */
		c->logout_wanted = 1;
		return 0;
	}
	if (c->mode != MODE_LOGIN) {
		log_warnx("%s: not logged in", __func__);
		return -1;
	}
	switch (c->state) {
	case WA_STATE_CONNECTED:
		if (!c->logout_sent)
			cl_logout_send(c);
		return 0;
	case WA_STATE_CONNECTING:
	case WA_STATE_LOGGING_IN:
		c->logout_wanted = 1;
		return 0;
	default:
		log_warnx("%s: client is %s", __func__,
		    wa_state_name(c->state));
		return -1;
	}
}
