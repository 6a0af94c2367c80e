/*
 * Dispatch of the nodes the server sends after the handshake (whatsmeow
 * client.go handler table): IQ requests and the answers to ours, acks
 * (spec 8.7), and the hand-off to the pairing and login parts.  Shared
 * state and helpers: client_int.h.
 */
#include "client_int.h"

/*
 * Acknowledge a message, receipt, notification, call, status or
 * appdata stanza (spec 8.7; whatsmeow receipt.go sendAck: id, to = the
 * stanza's from, class = its tag, type except for message, participant
 * and recipient when present, error when not 0: the Nack codes 487
 * parsing, 488 unrecognized stanza, 491 invalid protobuf).
 */
void
cl_ack_send(struct wa_client *c, const struct wa_node *n, int error)
{
	struct wa_node	*a;
	const char	*id, *from, *v;

	id = wa_node_attr(n, "id");
	from = wa_node_attr(n, "from");
	if (id == NULL || from == NULL)
		return;
	a = wa_node_new("ack");
	wa_node_set_attr(a, "id", id);
	wa_node_set_attr(a, "to", from);
	wa_node_set_attr(a, "class", n->tag);
	if (strcmp(n->tag, "message") != 0 &&
	    (v = wa_node_attr(n, "type")) != NULL)
		wa_node_set_attr(a, "type", v);
	if ((v = wa_node_attr(n, "participant")) != NULL)
		wa_node_set_attr(a, "participant", v);
	if ((v = wa_node_attr(n, "recipient")) != NULL)
		wa_node_set_attr(a, "recipient", v);
	if (error != 0)
		wa_node_set_attrf(a, "error", "%d", error);
	(void)cl_send_free(c, a);
}

/* 1 if id answers the outstanding request whose id is in slot. */
static int
answers(const char *slot, const char *id)
{

	return slot[0] != '\0' && strcmp(slot, id) == 0;
}

/*
 * A result or error IQ: match it to what we asked.  Every request we
 * send goes to the server, so an answer from anyone else is refused
 * and logged (the check whatsmeow pair.go handleIQ makes on requests).
 */
static void
iq_answer(struct wa_client *c, const struct wa_node *n)
{
	const char	*id = wa_node_attr(n, "id");
	const char	*from = wa_node_attr(n, "from");

	if (id == NULL)
		return;
	/* The groups query goes to "@g.us" and is answered from there
	 * (whatsmeow sendIQ: the answer comes from the JID asked). */
	if (!cl_from_server(n) && !(answers(c->groups_iq, id) &&
	    from != NULL && (strcmp(from, "@g.us") == 0 ||
	    strcmp(from, "g.us") == 0))) {
		cl_wlog(c, LOG_LEVEL_WARN, "refusing IQ %s answer %.40s from "
		    "%.60s, not the server", wa_node_attr(n, "type"), id,
		    from != NULL ? from : "(nobody)");
		return;
	}
	if (cl_send_iq_answer(c, n))
		return;		/* a usync, key or group query of a send */
	if (answers(c->ka_iq, id))
		cl_ka_pong(c);
	else if (answers(c->active_iq, id)) {
		c->active_iq[0] = '\0';
		if (!cl_attr_is(n, "type", "result"))
			cl_wlog(c, LOG_LEVEL_WARN, "active IQ refused");
		cl_connected_report(c);
	} else if (answers(c->code_iq, id))
		cl_code_hello_result(c, n);
	else if (answers(c->prekey_iq, id))
		cl_prekey_answer(c, n);
	else if (answers(c->logout_iq, id))
		cl_logout_answer(c, n);
	else if (answers(c->groups_iq, id))
		cl_groups_answer(c, n);
}

/*
 * An <iq> from the server (spec 6.2, 6.5; whatsmeow pair.go handleIQ:
 * exactly one child and from = the server JID, else dropped; we log
 * the refusal).
 */
static void
iq_handle(struct wa_client *c, const struct wa_node *n)
{
	const struct wa_node	*ch;
	const char		*from;

	if (cl_attr_is(n, "type", "result") || cl_attr_is(n, "type", "error")) {
		iq_answer(c, n);
		return;
	}
	if ((ch = cl_only_child(n)) == NULL || !cl_attr_is(n, "type", "set"))
		return;
	if (!cl_from_server(n)) {
		from = wa_node_attr(n, "from");
		cl_wlog(c, LOG_LEVEL_WARN, "refusing <%s> IQ from %.60s, not "
		    "the server", ch->tag, from != NULL ? from : "(nobody)");
		return;
	}
	if (strcmp(ch->tag, "pair-device") == 0)
		cl_pair_device(c, n, ch);
	else if (strcmp(ch->tag, "pair-success") == 0)
		cl_pair_success(c, n, ch);
}

/* Dispatch one node from the server (whatsmeow client.go nodeHandlers). */
void
cl_node_handle(struct wa_client *c, struct wa_node *n)
{

	cl_wlog(c, LOG_LEVEL_DEBUG, "recv <%s>", n->tag);
	if (strcmp(n->tag, "iq") == 0)
		iq_handle(c, n);
	else if (strcmp(n->tag, "success") == 0)
		cl_success(c, n);
	else if (strcmp(n->tag, "failure") == 0)
		cl_failure(c, n);
	else if (strcmp(n->tag, "stream:error") == 0)
		cl_stream_error(c, n);
	else if (strcmp(n->tag, "xmlstreamend") == 0) {
		if (c->paired_now)
			cl_restart_login(c);
		else
			cl_client_end(c, c->logout_sent ? WA_REASON_LOGGED_OUT :
			    WA_REASON_CONNECTION_LOST, 0, c->logout_sent,
			    c->logout_sent);
	} else if (strcmp(n->tag, "notification") == 0) {
		cl_ack_send(c, n, 0);
		if (cl_attr_is(n, "type", "link_code_companion_reg"))
			cl_code_primary_hello(c, n);
		else if (cl_attr_is(n, "type", "encrypt") && c->conn != NULL)
			cl_prekey_notification(c, n);
		else if (cl_attr_is(n, "type", "w:gp2") && c->conn != NULL)
			cl_group_notification(c, n);
		else if (c->conn != NULL)
			cl_send_notification(c, n);	/* devices, mex */
	} else if (strcmp(n->tag, "ib") == 0)
		cl_ib_handle(c, n);
	else if (strcmp(n->tag, "message") == 0)
		cl_message(c, n);
	else if (strcmp(n->tag, "ack") == 0)
		cl_send_ack(c, n);
	else if (strcmp(n->tag, "receipt") == 0 &&
	    cl_attr_is(n, "type", "retry")) {
		cl_send_retry(c, n);	/* our message, again (client_send.c) */
		if (c->conn != NULL)
			cl_ack_send(c, n, 0);
	} else if (strcmp(n->tag, "receipt") == 0 || strcmp(n->tag, "call") == 0 ||
	    strcmp(n->tag, "status") == 0 || strcmp(n->tag, "appdata") == 0)
		cl_ack_send(c, n, 0);
}
