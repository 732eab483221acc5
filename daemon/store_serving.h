/*
 * store_serving.h - the serving rows of the store (store_serving.c):
 * models, endpoint configurations, endpoints and their model-server
 * instances. Same conventions as store.h: 0 or a negative code
 * (TD_ENOTFOUND, TD_EEXIST for a name taken in any case, TD_EDB); rows
 * come back as structs whose strings the caller owns and releases with
 * the matching *_clear(); row callbacks own the row they get.
 */
#ifndef TD_STORE_SERVING_H
#define TD_STORE_SERVING_H

#include <stdint.h>

struct store;
struct store_list_q;

/* A model or an endpoint configuration: a name and its request. */
struct store_named {
	int64_t	 id;
	char	*name;
	char	*request;
	double	 creation_time;
	double	 last_modified;
};

enum store_named_kind {
	STORE_MODEL,
	STORE_ENDPOINT_CONFIG,
};

void store_named_clear(struct store_named *r);
int store_named_insert(struct store *st, enum store_named_kind k,
    const char *name, const char *request, double now);
int store_named_get(struct store *st, enum store_named_kind k,
    const char *name, struct store_named *out);
/* TD_ENOTFOUND when no such row. */
int store_named_delete(struct store *st, enum store_named_kind k,
    const char *name);
typedef int (*store_named_fn)(struct store_named *r, void *arg);
int store_named_list(struct store *st, enum store_named_kind k,
    const struct store_list_q *q, store_named_fn fn, void *arg, char **next);

struct store_ep {
	int64_t	 id;
	char	*name;
	char	*request;
	char	*status;
	char	*failure_reason;
	char	*config_name;
	char	*deployment;
	long	 generation;
	char	*pending_config_name;	/* NULL: no update in progress */
	char	*pending_deployment;
	long	 pending_generation;	/* 0 = none */
	double	 pending_start;		/* 0 = unset */
	long	 last_generation;
	double	 creation_time;
	double	 last_modified;
};

void store_ep_clear(struct store_ep *e);
/* Inserts every column of e but id; *id gets the new id. */
int store_ep_insert(struct store *st, const struct store_ep *e, int64_t *id);
int store_ep_get(struct store *st, const char *name, struct store_ep *out);
/* Writes every mutable column of e (by id). */
int store_ep_update(struct store *st, const struct store_ep *e);
/* Deletes the endpoint and its instance rows. */
int store_ep_delete(struct store *st, int64_t id);
typedef int (*store_ep_fn)(struct store_ep *e, void *arg);
/* Every endpoint, in id order. */
int store_ep_each(struct store *st, store_ep_fn fn, void *arg);
int store_ep_list(struct store *st, const struct store_list_q *q,
    store_ep_fn fn, void *arg, char **next);

struct store_inst {
	int64_t		 endpoint_id;
	long		 generation;
	char		*variant;
	long		 idx;
	long		 pid;
	long long	 start_ticks;
	int		 port;
};

void store_inst_clear(struct store_inst *i);
/* Inserts or replaces the row of (endpoint, generation, variant, idx). */
int store_inst_put(struct store *st, const struct store_inst *i);
/* Deleting a missing row is not an error. */
int store_inst_delete(struct store *st, int64_t endpoint_id, long generation,
    const char *variant, long idx);
typedef int (*store_inst_fn)(struct store_inst *i, void *arg);
/* Every instance row of an endpoint. */
int store_inst_each(struct store *st, int64_t endpoint_id, store_inst_fn fn,
    void *arg);

#endif
