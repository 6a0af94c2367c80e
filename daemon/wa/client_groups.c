/*
 * The account's groups: the participating query after login or on
 * demand, its answer, and w:gp2 notifications, reported up through
 * the groups and group_change callbacks (wa.h).  The parsing is in
 * groups.c (pure, fuzzed); this part only sends and dispatches.
 * Shared state and helpers: client_int.h.
 */
#include "client_int.h"
#include "groups.h"

/* Our phone and LID user parts from the credentials, into pn/lid. */
static void
self_get(const struct wa_client *c, char *pn, char *lid, size_t sz,
    struct wa_group_self *self)
{

	snprintf(pn, sz, "%.*s", (int)strcspn(c->creds->jid, ":@"),
	    c->creds->jid);
	snprintf(lid, sz, "%.*s", (int)strcspn(c->creds->lid, ":@"),
	    c->creds->lid);
	self->pn = pn;
	self->lid = lid;
}

int
wa_client_groups_sync(struct wa_client *c)
{
	struct wa_node	*iq;

	if (c->state != WA_STATE_CONNECTED || c->conn == NULL)
		return -1;
	iq = cl_iq_new(c, c->groups_iq, "get", "w:g2");
	wa_node_set_attr(iq, "to", WA_GROUP_SERVER_JID);
	wa_node_append_child(iq, wa_groups_query());
	if (cl_send_free(c, iq) == -1) {
		c->groups_iq[0] = '\0';
		return -1;
	}
	return 0;
}

/*
 * The answer to the participating query: a result with <groups>, or
 * an error IQ with <error code> (whatsmeow request.go parseIQError).
 */
void
cl_groups_answer(struct wa_client *c, const struct wa_node *n)
{
	struct wa_group_self	 self;
	struct wa_group		*v = NULL;
	const struct wa_node	*e;
	size_t			 nv = 0, skipped = 0;
	char			 pn[WA_CREDS_JID_MAX], lid[WA_CREDS_JID_MAX];
	char			 err[96];
	int			 code = 0;

	c->groups_iq[0] = '\0';
	if (cl_attr_is(n, "type", "error")) {
		e = wa_node_child(n, "error");
		code = e != NULL ? cl_attr_int(e, "code") : 0;
		if (code == 0)
			code = -1;
		cl_wlog(c, LOG_LEVEL_WARN, "groups query refused (%d)", code);
	} else {
		self_get(c, pn, lid, sizeof(pn), &self);
		if (wa_groups_parse(n, &self, &v, &nv, &skipped, err,
		    sizeof(err)) == -1) {
			cl_wlog(c, LOG_LEVEL_WARN, "groups answer: %s", err);
			code = -1;
		} else {
			cl_wlog(c, LOG_LEVEL_INFO, "%zu groups", nv);
			if (skipped > 0)
				cl_wlog(c, LOG_LEVEL_WARN, "groups answer: %zu "
				    "entries skipped (no group id)", skipped);
		}
	}
	if (c->cb != NULL && c->cb->groups != NULL)
		c->cb->groups(c, c->user, code == 0 ? v : NULL,
		    code == 0 ? nv : 0, code);
	free(v);
}

/* <notification type="w:gp2">, acked already (client_iq.c). */
void
cl_group_notification(struct wa_client *c, const struct wa_node *n)
{
	struct wa_group_self	 self;
	struct wa_group_change	*ch;
	char			 pn[WA_CREDS_JID_MAX], lid[WA_CREDS_JID_MAX];
	char			 err[96];
	int			 rc;

	if (c->creds == NULL)
		return;
	self_get(c, pn, lid, sizeof(pn), &self);
	ch = xmalloc(sizeof(*ch));
	rc = wa_group_notification_parse(n, &self, ch, err, sizeof(err));
	if (rc == -1)
		cl_wlog(c, LOG_LEVEL_WARN, "group notification: %s", err);
	else if (rc == 1 && c->cb != NULL && c->cb->group_change != NULL)
		c->cb->group_change(c, c->user, ch);
	free(ch);
}
