/*
 * test_store_serving.c - the serving rows of the store (store_serving.c)
 * on a real SQLite file with the real migrations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "daemon/store.h"
#include "daemon/store_serving.h"
#include "t.h"
#include "util.h"

static char dir[] = "/tmp/test-store-serving-XXXXXX";

static struct store *
open_store(void)
{
	char path[256], err[256];
	struct store *st = NULL;

	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/tunerd.db", dir);
	if (store_open(path, &st, err, sizeof(err)) != 0)
		T_FAIL("store_open: %s", err);
	T_ASSERT(store_schema_version(st) >= 2);
	return st;
}

static void
close_store(struct store *st)
{
	store_close(st);
	T_EQ_INT(td_rm_rf(dir), 0);
}

static void
t_named_insert_get_delete(void)
{
	struct store *st = open_store();
	struct store_named r;

	T_EQ_INT(store_named_insert(st, STORE_MODEL, "Boston", "{\"a\":1}",
	    10.5), 0);
	/* Names are unique in any case, and found in any case. */
	T_EQ_INT(store_named_insert(st, STORE_MODEL, "boston", "{}", 11),
	    TD_EEXIST);
	T_EQ_INT(store_named_get(st, STORE_MODEL, "BOSTON", &r), 0);
	T_EQ_STR(r.name, "Boston");
	T_EQ_STR(r.request, "{\"a\":1}");
	T_NEAR(r.creation_time, 10.5, 0);
	store_named_clear(&r);
	/* Models and configurations are separate name spaces. */
	T_EQ_INT(store_named_get(st, STORE_ENDPOINT_CONFIG, "Boston", &r),
	    TD_ENOTFOUND);
	T_EQ_INT(store_named_insert(st, STORE_ENDPOINT_CONFIG, "Boston", "{}",
	    12), 0);
	T_EQ_INT(store_named_delete(st, STORE_MODEL, "boston"), 0);
	T_EQ_INT(store_named_delete(st, STORE_MODEL, "boston"), TD_ENOTFOUND);
	T_EQ_INT(store_named_get(st, STORE_MODEL, "Boston", &r), TD_ENOTFOUND);
	T_EQ_INT(store_named_get(st, STORE_ENDPOINT_CONFIG, "Boston", &r), 0);
	store_named_clear(&r);
	store_named_clear(NULL);
	close_store(st);
}

struct names {
	char	buf[512];
};

static int
collect_name(struct store_named *r, void *arg)
{
	struct names *n = arg;
	size_t len = strlen(n->buf);

	snprintf(n->buf + len, sizeof(n->buf) - len, "%s,", r->name);
	store_named_clear(r);
	return 0;
}

static void
t_named_list_pages(void)
{
	static const char *const names[] = { "m-c", "m-a", "x-e", "m-b", "m-d" };
	struct store *st = open_store();
	struct store_list_q q = { 0 };
	struct names got = { "" };
	char *next = NULL, *tok;
	size_t i;

	for (i = 0; i < 5; i++)
		T_EQ_INT(store_named_insert(st, STORE_MODEL, names[i], "{}",
		    100 + (double)i), 0);
	q.sort_by = "Name";
	q.limit = 2;
	T_EQ_INT(store_named_list(st, STORE_MODEL, &q, collect_name, &got,
	    &next), 0);
	T_EQ_STR(got.buf, "m-a,m-b,");
	T_ASSERT(next != NULL);
	tok = next;
	q.token = tok;
	T_EQ_INT(store_named_list(st, STORE_MODEL, &q, collect_name, &got,
	    &next), 0);
	T_EQ_STR(got.buf, "m-a,m-b,m-c,m-d,");
	free(tok);
	tok = next;
	q.token = tok;
	T_EQ_INT(store_named_list(st, STORE_MODEL, &q, collect_name, &got,
	    &next), 0);
	T_EQ_STR(got.buf, "m-a,m-b,m-c,m-d,x-e,");
	T_ASSERT(next == NULL);
	free(tok);
	/* Newest first by default for SageMaker's List*; a filter narrows. */
	memset(&q, 0, sizeof(q));
	q.limit = 10;
	q.descending = 1;
	q.name_contains = "M-";
	got.buf[0] = '\0';
	T_EQ_INT(store_named_list(st, STORE_MODEL, &q, collect_name, &got,
	    &next), 0);
	T_EQ_STR(got.buf, "m-d,m-b,m-a,m-c,");
	/* A token that is no token is refused. */
	q.token = "garbage";
	T_EQ_INT(store_named_list(st, STORE_MODEL, &q, collect_name, &got,
	    &next), TD_EINVAL);
	close_store(st);
}

static void
fill_ep(struct store_ep *e, const char *name)
{
	memset(e, 0, sizeof(*e));
	e->name = (char *)name;
	e->request = "{}";
	e->status = "Creating";
	e->config_name = "cfg";
	e->deployment = "{\"Variants\":[]}";
	e->generation = 1;
	e->last_generation = 1;
	e->creation_time = e->last_modified = 50;
}

static int
count_ep(struct store_ep *e, void *arg)
{
	(*(int *)arg)++;
	store_ep_clear(e);
	return 0;
}

static int
collect_inst(struct store_inst *i, void *arg)
{
	struct names *n = arg;
	size_t len = strlen(n->buf);

	snprintf(n->buf + len, sizeof(n->buf) - len, "%ld/%s/%ld:%ld@%d,",
	    i->generation, i->variant, i->idx, i->pid, i->port);
	store_inst_clear(i);
	return 0;
}

static void
t_endpoints_and_instances(void)
{
	struct store *st = open_store();
	struct store_ep e, got;
	struct store_inst in = { 0 };
	struct store_list_q q = { 0 };
	struct names n = { "" };
	int64_t id = 0;
	char *next = NULL;
	int count = 0;

	fill_ep(&e, "ep1");
	T_EQ_INT(store_ep_insert(st, &e, &id), 0);
	T_ASSERT(id > 0);
	T_EQ_INT(store_ep_insert(st, &e, NULL), TD_EEXIST);
	fill_ep(&e, "ep2");
	e.status = "InService";
	T_EQ_INT(store_ep_insert(st, &e, NULL), 0);
	T_EQ_INT(store_ep_get(st, "EP1", &got), 0);
	T_EQ_STR(got.status, "Creating");
	T_ASSERT(got.pending_config_name == NULL);
	T_EQ_INT(got.pending_generation, 0);
	/* An update in progress, then saved and read back. */
	free(got.status);
	got.status = strdup("Updating");
	got.pending_config_name = strdup("cfg2");
	got.pending_deployment = strdup("{}");
	got.pending_generation = 2;
	got.last_generation = 2;
	got.pending_start = 60;
	T_EQ_INT(store_ep_update(st, &got), 0);
	store_ep_clear(&got);
	T_EQ_INT(store_ep_get(st, "ep1", &got), 0);
	T_EQ_STR(got.status, "Updating");
	T_EQ_STR(got.pending_config_name, "cfg2");
	T_EQ_INT(got.pending_generation, 2);
	T_NEAR(got.pending_start, 60, 0);
	store_ep_clear(&got);
	/* ListEndpoints' StatusEquals. */
	q.status = "InService";
	q.limit = 10;
	T_EQ_INT(store_ep_list(st, &q, count_ep, &count, &next), 0);
	T_EQ_INT(count, 1);
	count = 0;
	T_EQ_INT(store_ep_each(st, count_ep, &count), 0);
	T_EQ_INT(count, 2);
	/* Instances: put replaces the same key; each is ordered. */
	in.endpoint_id = id;
	in.generation = 1;
	in.variant = "AllTraffic";
	in.idx = 2;
	in.pid = 200;
	in.start_ticks = 7;
	in.port = 9002;
	T_EQ_INT(store_inst_put(st, &in), 0);
	in.idx = 1;
	in.pid = 100;
	in.port = 9001;
	T_EQ_INT(store_inst_put(st, &in), 0);
	in.pid = 101;
	T_EQ_INT(store_inst_put(st, &in), 0);
	T_EQ_INT(store_inst_each(st, id, collect_inst, &n), 0);
	T_EQ_STR(n.buf, "1/AllTraffic/1:101@9001,1/AllTraffic/2:200@9002,");
	T_EQ_INT(store_inst_delete(st, id, 1, "AllTraffic", 2), 0);
	T_EQ_INT(store_inst_delete(st, id, 1, "AllTraffic", 2), 0);
	n.buf[0] = '\0';
	T_EQ_INT(store_inst_each(st, id, collect_inst, &n), 0);
	T_EQ_STR(n.buf, "1/AllTraffic/1:101@9001,");
	/* Deleting the endpoint takes its instance rows along. */
	T_EQ_INT(store_ep_delete(st, id), 0);
	T_EQ_INT(store_ep_delete(st, id), TD_ENOTFOUND);
	n.buf[0] = '\0';
	T_EQ_INT(store_inst_each(st, id, collect_inst, &n), 0);
	T_EQ_STR(n.buf, "");
	T_EQ_INT(store_ep_get(st, "ep1", &got), TD_ENOTFOUND);
	got.id = id;
	T_EQ_INT(store_ep_update(st, &got), TD_ENOTFOUND);
	close_store(st);
}

T_MAIN(T_CASE(t_named_insert_get_delete), T_CASE(t_named_list_pages),
    T_CASE(t_endpoints_and_instances))
