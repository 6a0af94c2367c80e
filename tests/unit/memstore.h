/*
 * memstore.h: an in-memory struct wa_store (wa.h) for tests: a linked
 * list of (kind, key, value).  Header-only; every function static.
 */
#ifndef WADESK_T_MEMSTORE_H
#define WADESK_T_MEMSTORE_H

#include <stdlib.h>
#include <string.h>

#include "wa.h"

struct	ms_ent {
	struct ms_ent		*next;
	enum wa_store_kind	 kind;
	char			*key;
	uint8_t			*val;
	size_t			 len;
};

struct	memstore {
	struct wa_store		 st;		/* give &ms->st to the client */
	struct ms_ent		*head;
	int			 fail;		/* 1: every call fails */
	int			 gets, puts, dels; /* calls seen */
};

static inline int
ms_get(void *u, enum wa_store_kind kind, const char *key, uint8_t **val,
    size_t *len)
{
	struct memstore	*ms = u;
	struct ms_ent	*e;

	ms->gets++;
	if (ms->fail)
		return -1;
	for (e = ms->head; e != NULL; e = e->next)
		if (e->kind == kind && strcmp(e->key, key) == 0) {
			*val = malloc(e->len ? e->len : 1);
			memcpy(*val, e->val, e->len);
			*len = e->len;
			return 1;
		}
	return 0;
}

static inline int
ms_del(void *u, enum wa_store_kind kind, const char *key, int prefix)
{
	struct memstore	*ms = u;
	struct ms_ent	**pp, *e;
	int		 n = 0;

	ms->dels++;
	if (ms->fail)
		return -1;
	for (pp = &ms->head; (e = *pp) != NULL;) {
		if (e->kind == kind && (prefix ?
		    strncmp(e->key, key, strlen(key)) == 0 :
		    strcmp(e->key, key) == 0)) {
			*pp = e->next;
			free(e->key);
			free(e->val);
			free(e);
			n++;
		} else
			pp = &e->next;
	}
	return n;
}

static inline int
ms_put(void *u, enum wa_store_kind kind, const char *key, const uint8_t *val,
    size_t len)
{
	struct memstore	*ms = u;
	struct ms_ent	*e;

	if (ms->fail)
		return -1;
	ms_del(u, kind, key, 0);
	ms->dels--;
	ms->puts++;
	e = calloc(1, sizeof(*e));
	e->kind = kind;
	e->key = strdup(key);
	e->val = malloc(len ? len : 1);
	memcpy(e->val, val, len);
	e->len = len;
	e->next = ms->head;
	ms->head = e;
	return 0;
}

/* How many entries of "kind" there are. */
static inline int
ms_count(const struct memstore *ms, enum wa_store_kind kind)
{
	const struct ms_ent	*e;
	int			 n = 0;

	for (e = ms->head; e != NULL; e = e->next)
		n += e->kind == kind;
	return n;
}

static inline void
ms_init(struct memstore *ms)
{

	memset(ms, 0, sizeof(*ms));
	ms->st.get = ms_get;
	ms->st.put = ms_put;
	ms->st.del = ms_del;
	ms->st.user = ms;
}

static inline void
ms_free(struct memstore *ms)
{
	struct ms_ent	*e;

	while ((e = ms->head) != NULL) {
		ms->head = e->next;
		free(e->key);
		free(e->val);
		free(e);
	}
}

#endif /* !WADESK_T_MEMSTORE_H */
