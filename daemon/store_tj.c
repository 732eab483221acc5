/*
 * store_tj.c - training-job rows and their metric series, the list
 * paging every List* operation shares (keyset NextTokens; every page is
 * bounded work, whatever the table's size: see "Bounded pages"), and the
 * cache of rendered answers per job (see "Answer cache").
 * Part of the store module (see store.c); SQL lives in store_int.h and,
 * for the dynamic list queries, here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "store.h"
#include "store_int.h"

void
store_tj_clear(struct store_tj *tj)
{
	if (tj == NULL)
		return;
	free(tj->name);
	free(tj->request);
	free(tj->status);
	free(tj->secondary);
	free(tj->transitions);
	free(tj->failure_reason);
	free(tj->final_metrics);
	free(tj->model_artifact);
	free(tj->launch_state);
	memset(tj, 0, sizeof(*tj));
}

/*
 * Answer cache. Two-way set-associative by a hash of the name (slots h
 * and h ^ 1: a put fills an empty one, else replaces h); an entry is dropped
 * by any write of its row (by id: store_tj_update(); by name:
 * store_tj_insert()). Dropping by id scans the slots: a few µs, and only
 * when the cache holds anything. Loop thread only, like the connection.
 */
struct tjc_entry {
	int64_t	 id;		/* 0 = empty */
	char	*name;
	char	*body;
	size_t	 len;
};

struct store_tjc {
	struct tjc_entry slot[STORE_TJC_SLOTS];
	size_t		 bytes;
	size_t		 used;
};

static uint32_t
tjc_hash(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h % STORE_TJC_SLOTS;
}

static void
tjc_entry_free(struct store_tjc *c, struct tjc_entry *e)
{
	if (e->id == 0)
		return;
	c->bytes -= e->len;
	c->used--;
	free(e->name);
	free(e->body);
	memset(e, 0, sizeof(*e));
}

static void
tjc_drop_id(struct store_tjc *c, int64_t id)
{
	size_t i;

	if (c == NULL || c->used == 0)
		return;
	for (i = 0; i < STORE_TJC_SLOTS; i++)
		if (c->slot[i].id == id)
			tjc_entry_free(c, &c->slot[i]);
}

/* The entry for name, or NULL. */
static struct tjc_entry *
tjc_find(struct store_tjc *c, const char *name)
{
	uint32_t h = tjc_hash(name);
	struct tjc_entry *e = &c->slot[h], *f = &c->slot[h ^ 1];

	if (e->id != 0 && strcmp(e->name, name) == 0)
		return e;
	if (f->id != 0 && strcmp(f->name, name) == 0)
		return f;
	return NULL;
}

static void
tjc_drop_name(struct store_tjc *c, const char *name)
{
	struct tjc_entry *e;

	if (c != NULL && name != NULL && (e = tjc_find(c, name)) != NULL)
		tjc_entry_free(c, e);
}

int
store_tj_cache_get(struct store *st, const char *name, const char **body,
    size_t *len)
{
	struct tjc_entry *e;

	if (st->tjc == NULL || (e = tjc_find(st->tjc, name)) == NULL)
		return TD_ENOTFOUND;
	*body = e->body;
	*len = e->len;
	return 0;
}

void
store_tj_cache_put(struct store *st, int64_t id, const char *name,
    const char *body, size_t len)
{
	struct tjc_entry *e;
	char *n, *b;

	if (id <= 0 || len > STORE_TJC_MAX_BODY ||
	    !sqlite3_get_autocommit(st->db))
		return;
	if (st->tjc == NULL && (st->tjc = calloc(1, sizeof(*st->tjc))) == NULL)
		return;
	if ((e = tjc_find(st->tjc, name)) == NULL) {
		uint32_t h = tjc_hash(name);

		e = &st->tjc->slot[h];
		if (e->id != 0 && st->tjc->slot[h ^ 1].id == 0)
			e = &st->tjc->slot[h ^ 1];
	}
	tjc_entry_free(st->tjc, e);
	if (st->tjc->bytes + len > STORE_TJC_MAX_BYTES)
		return;
	if ((n = strdup(name)) == NULL || (b = malloc(len + 1)) == NULL) {
		free(n);
		return;
	}
	memcpy(b, body, len);
	b[len] = '\0';
	e->id = id;
	e->name = n;
	e->body = b;
	e->len = len;
	st->tjc->bytes += len;
	st->tjc->used++;
}

void
store_tj_cache_clear(struct store *st)
{
	size_t i;

	if (st->tjc == NULL)
		return;
	for (i = 0; i < STORE_TJC_SLOTS; i++)
		tjc_entry_free(st->tjc, &st->tjc->slot[i]);
}

void
store__tjc_free(struct store_tjc *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < STORE_TJC_SLOTS; i++)
		tjc_entry_free(c, &c->slot[i]);
	free(c);
}

static void
tj_from_row(sqlite3_stmt *s, struct store_tj *tj)
{
	memset(tj, 0, sizeof(*tj));
	tj->id = sqlite3_column_int64(s, 0);
	tj->name = store__col_text(s, 1);
	tj->request = store__col_text(s, 2);
	tj->status = store__col_text(s, 3);
	tj->secondary = store__col_text(s, 4);
	tj->transitions = store__col_text(s, 5);
	tj->failure_reason = store__col_text(s, 6);
	tj->creation_time = sqlite3_column_double(s, 7);
	tj->last_modified = sqlite3_column_double(s, 8);
	tj->training_start = sqlite3_column_double(s, 9);
	tj->training_end = sqlite3_column_double(s, 10);
	tj->final_metrics = store__col_text(s, 11);
	tj->model_artifact = store__col_text(s, 12);
	tj->launch_state = store__col_text(s, 13);
	tj->worker_pid = (long)sqlite3_column_int64(s, 14);
	tj->events_seq = (long)sqlite3_column_int64(s, 15);
	tj->attempt = (long)sqlite3_column_int64(s, 16);
	tj->stop_requested = sqlite3_column_int(s, 17);
	tj->tuning_job_id = sqlite3_column_int64(s, 18);
}

int
store_tj_insert(struct store *st, const char *name, const char *request,
    double now, int64_t tuning_job_id, int64_t *id)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TJ_INSERT);
	int rc;

	if (s == NULL)
		return TD_EDB;
	store__bind_text(s, 1, name);
	store__bind_text(s, 2, request);
	sqlite3_bind_double(s, 3, now);
	if (tuning_job_id > 0)
		sqlite3_bind_int64(s, 4, tuning_job_id);
	else
		sqlite3_bind_null(s, 4);
	rc = store__done(st, s, sqlite3_step(s));
	if (rc == 0 && id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	tjc_drop_name(st->tjc, name);
	return rc;
}

static void
tj_get_fill(sqlite3_stmt *s, void *out)
{
	tj_from_row(s, out);
}

static int
tj_get(struct store *st, sqlite3_stmt *s, struct store_tj *out)
{
	return store__one(st, s, tj_get_fill, out);
}

int
store_tj_get(struct store *st, const char *name, struct store_tj *out)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TJ_GET);

	if (s == NULL)
		return TD_EDB;
	store__bind_text(s, 1, name);
	return tj_get(st, s, out);
}

int
store_tj_get_id(struct store *st, int64_t id, struct store_tj *out)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TJ_GET_ID);

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, id);
	return tj_get(st, s, out);
}

int
store_tj_update(struct store *st, const struct store_tj *tj)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TJ_UPDATE);

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, tj->id);
	store__bind_text(s, 2, tj->status);
	store__bind_text(s, 3, tj->secondary);
	store__bind_text(s, 4, tj->transitions ? tj->transitions : "[]");
	store__bind_text(s, 5, tj->failure_reason);
	sqlite3_bind_double(s, 6, tj->last_modified);
	store__bind_time(s, 7, tj->training_start);
	store__bind_time(s, 8, tj->training_end);
	store__bind_text(s, 9, tj->final_metrics);
	store__bind_text(s, 10, tj->model_artifact);
	store__bind_text(s, 11, tj->launch_state);
	sqlite3_bind_int64(s, 12, tj->worker_pid);
	sqlite3_bind_int64(s, 13, tj->events_seq);
	sqlite3_bind_int64(s, 14, tj->attempt);
	sqlite3_bind_int(s, 15, tj->stop_requested);
	/* Before the write: a failed or rolled-back write only costs a render. */
	tjc_drop_id(st->tjc, tj->id);
	return store__done(st, s, sqlite3_step(s));
}

static int
tj_each(struct store *st, sqlite3_stmt *s, store_tj_fn fn, void *arg)
{
	struct store_tj tj;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		tj_from_row(s, &tj);
		if ((rc = fn(&tj, arg)) != 0) {
			store__done(st, s, SQLITE_DONE);
			return rc;
		}
	}
	return store__done(st, s, rc);
}

int
store_tj_unfinished(struct store *st, store_tj_fn fn, void *arg)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TJ_UNFINISHED);

	if (s == NULL)
		return TD_EDB;
	return tj_each(st, s, fn, arg);
}

int
store_tj_queued(struct store *st, int limit, store_tj_fn fn, void *arg)
{
	sqlite3_stmt *s = store__stmt(st, STMT_TJ_QUEUED);

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int(s, 1, limit);
	return tj_each(st, s, fn, arg);
}

/*
 * NextToken: "<tag><sort value>~<id>" of the last row of the page, and
 * "<tag><status>~<creation time>~<id>" for a Status sort, where the tag
 * ("Ca~", "Nd~", ...) names the sort and order the token belongs to (a
 * token used with another is refused, not misread). Keyset pagination
 * keeps each page an index range scan at any table size: a Status sort is
 * ordered (status, creation_time, id), the order of the *_by_status
 * indexes, so neither the first page nor a deep one sorts the rows of a
 * status (1.2 s at a million jobs when it was (status, id)).
 */
static const char *
list_sort_col(const char *sort_by)
{
	if (sort_by != NULL && strcmp(sort_by, "Name") == 0)
		return "name";
	if (sort_by != NULL && strcmp(sort_by, "Status") == 0)
		return "status";
	return "creation_time";
}

int
store__list_sql(const char *table, const struct store_list_q *q,
    const char *cols, const char *extra_where, struct buf *sql)
{
	const char *col = list_sort_col(q->sort_by);
	const char *op = q->descending ? "<" : ">";
	const char *dir = q->descending ? "DESC" : "ASC";

	buf_printf(sql, "SELECT %s FROM %s WHERE 1", cols, table);
	if (extra_where != NULL)
		buf_printf(sql, " AND %s", extra_where);
	if (q->name_contains != NULL)
		buf_puts(sql, " AND instr(lower(name), lower(:nc)) > 0");
	if (q->status != NULL)
		buf_puts(sql, " AND status = :st");
	if (q->created_after > 0)
		buf_puts(sql, " AND creation_time > :ca");
	if (q->created_before > 0)
		buf_puts(sql, " AND creation_time < :cb");
	if (q->modified_after > 0)
		buf_puts(sql, " AND last_modified > :ma");
	if (q->modified_before > 0)
		buf_puts(sql, " AND last_modified < :mb");
	if (q->token != NULL && strcmp(col, "status") == 0)
		buf_printf(sql, " AND (status, creation_time, id) %s "
		    "(:tv, :tc, :ti)", op);
	else if (q->token != NULL)
		buf_printf(sql, " AND (%s, id) %s (:tv, :ti)", col, op);
	if (strcmp(col, "status") == 0)
		buf_printf(sql, " ORDER BY status %s, creation_time %s, id %s "
		    "LIMIT :lim", dir, dir, dir);
	else
		buf_printf(sql, " ORDER BY %s %s, id %s LIMIT :lim", col, dir,
		    dir);
	return 0;
}

static void
bind_named_text(sqlite3_stmt *s, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i > 0)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static void
bind_named_double(sqlite3_stmt *s, const char *name, double v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i > 0)
		sqlite3_bind_double(s, i, v);
}

/* A position in a sort order: what a NextToken holds. */
struct lpos {
	char	*text;		/* name or status; owned */
	double	 ct;		/* creation time */
	long long id;
};

/*
 * Parses q's NextToken into *p (p->text owned by the caller): "<value>~<id>",
 * "<status>~<creation time>~<id>" for a Status sort. TD_EINVAL if malformed.
 */
/* "Ca~", "Nd~", ...: the sort (CreationTime, Name, Status) and order. */
static const char *
list_token_tag(const struct store_list_q *q)
{
	static const char *const tags[3][2] = { { "Ca~", "Cd~" },
	    { "Na~", "Nd~" }, { "Sa~", "Sd~" } };
	const char *col = list_sort_col(q->sort_by);
	int k = strcmp(col, "name") == 0 ? 1 : strcmp(col, "status") == 0 ? 2 : 0;

	return tags[k][q->descending ? 1 : 0];
}

static int
list_token_parse(const struct store_list_q *q, struct lpos *p)
{
	const char *col = list_sort_col(q->sort_by);
	char *sep, *end;

	memset(p, 0, sizeof(*p));
	/* A token is bound to its sort and order: another's is an error. */
	if (strncmp(q->token, list_token_tag(q), 3) != 0)
		return TD_EINVAL;
	if ((p->text = strdup(q->token + 3)) == NULL)
		return TD_ENOMEM;
	if ((sep = strrchr(p->text, '~')) == NULL)
		goto bad;
	*sep = '\0';
	p->id = strtoll(sep + 1, &end, 10);
	if (*end != '\0' || p->id <= 0)
		goto bad;
	if (strcmp(col, "status") == 0) {
		if ((sep = strrchr(p->text, '~')) == NULL || sep[1] == '\0')
			goto bad;
		*sep = '\0';
		p->ct = strtod(sep + 1, &end);
		if (*end != '\0')
			goto bad;
	} else if (strcmp(col, "creation_time") == 0) {
		p->ct = strtod(p->text, &end);
		if (end == p->text || *end != '\0')
			goto bad;
	}
	return 0;
bad:
	free(p->text);
	p->text = NULL;
	return TD_EINVAL;
}

int
store__list_bind(sqlite3_stmt *s, const struct store_list_q *q)
{
	const char *col = list_sort_col(q->sort_by);
	struct lpos p;
	int i, rc;

	bind_named_text(s, ":nc", q->name_contains);
	bind_named_text(s, ":st", q->status);
	bind_named_double(s, ":ca", q->created_after);
	bind_named_double(s, ":cb", q->created_before);
	bind_named_double(s, ":ma", q->modified_after);
	bind_named_double(s, ":mb", q->modified_before);
	if ((i = sqlite3_bind_parameter_index(s, ":lim")) > 0)
		sqlite3_bind_int(s, i, q->limit + 1);
	if (q->token == NULL)
		return 0;
	if ((rc = list_token_parse(q, &p)) != 0)
		return rc;
	if (strcmp(col, "status") == 0)
		bind_named_double(s, ":tc", p.ct);
	if (strcmp(col, "creation_time") == 0)
		bind_named_double(s, ":tv", p.ct);
	else
		bind_named_text(s, ":tv", p.text);
	sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, ":ti"), p.id);
	free(p.text);
	return 0;
}

/* The NextToken of the row at (text or ct, id) in q's order; caller frees. */
static char *
list_token(const struct store_list_q *q, const char *text, double ct,
    int64_t id)
{
	const char *col = list_sort_col(q->sort_by);
	struct buf b = { 0 };

	buf_puts(&b, list_token_tag(q));
	if (strcmp(col, "creation_time") == 0)
		buf_printf(&b, "%.17g", ct);
	else if (strcmp(col, "name") == 0)
		buf_puts(&b, text);
	else
		buf_printf(&b, "%s~%.17g", text, ct);
	buf_printf(&b, "~%lld", (long long)id);
	return buf_steal(&b);
}

char *
store__list_token(sqlite3_stmt *s, const struct store_list_q *q,
    const int sort_idx[3])
{
	const char *col = list_sort_col(q->sort_by);
	const unsigned char *text = NULL;

	if (strcmp(col, "name") == 0)
		text = sqlite3_column_text(s, sort_idx[0]);
	else if (strcmp(col, "status") == 0)
		text = sqlite3_column_text(s, sort_idx[1]);
	return list_token(q, text ? (const char *)text : "",
	    sqlite3_column_double(s, sort_idx[2]), sqlite3_column_int64(s, 0));
}

static sqlite3_stmt *
list_prepare(struct store *st, const char *table, const struct store_list_q *q,
    const char *cols)
{
	struct buf sql = { 0 };
	sqlite3_stmt *s = NULL;

	store__list_sql(table, q, cols, NULL, &sql);
	s = store__prepare(st, sql.data);
	buf_free(&sql);
	return s;
}

/*
 * Bounded pages. A filter that the sort order's index does not serve
 * (NameContains, a substring; LastModified*, unindexed; StatusEquals or
 * CreationTime* under another sort) would make SQLite walk or sort every
 * row that passes the others: 0.8 s for a rare NameContains and 60 ms for
 * StatusEquals with SortBy Name at a million jobs, with the loop blocked.
 * Such a page walks the sort order instead, LIST_WINDOW rows at a time,
 * applying those filters here, and stops at a full page or at the end of
 * the window. A window that ends first answers the rows it found (maybe
 * none) with a NextToken after the last row it looked at: no call holds
 * the loop for more than one window (1-2 ms here) whatever the table's
 * size, and a caller that follows NextToken, as every client does, sees
 * every match once, in order. When the indexed filters among them leave at
 * most LIST_WINDOW rows, those are read through their index and sorted
 * here instead (list_small()): one call. (Indexes that would make such
 * searches fast overall are proposed in bench/README.md.)
 */
#define LIST_WINDOW 1000

struct wfilter {
	const char	*name_contains;
	const char	*status;
	double		 created_after, created_before;
	double		 modified_after, modified_before;
};

/*
 * Splits q: *wq keeps the filters the sort's index serves, *f gets the
 * rest. Returns 0 when nothing is left for f (the plain query is bounded).
 */
static int
list_split(const struct store_list_q *q, struct store_list_q *wq,
    struct wfilter *f)
{
	const char *col = list_sort_col(q->sort_by);

	*wq = *q;
	memset(f, 0, sizeof(*f));
	f->name_contains = q->name_contains;
	f->modified_after = q->modified_after;
	f->modified_before = q->modified_before;
	wq->name_contains = NULL;
	wq->modified_after = wq->modified_before = 0;
	/* (status, creation_time, id) serves StatusEquals under a Status or
	 * CreationTime sort; (creation_time, id) serves CreationTime* under
	 * a CreationTime sort. */
	if (strcmp(col, "name") == 0) {
		f->status = q->status;
		wq->status = NULL;
	}
	if (strcmp(col, "creation_time") != 0) {
		f->created_after = q->created_after;
		f->created_before = q->created_before;
		wq->created_after = wq->created_before = 0;
	}
	return f->name_contains != NULL || f->status != NULL ||
	    f->created_after > 0 || f->created_before > 0 ||
	    f->modified_after > 0 || f->modified_before > 0;
}

/* instr(lower(name), lower(needle)) > 0, as SQLite (ASCII case folding). */
static int
name_has(const char *name, const char *needle)
{
	size_t n = strlen(needle), i;
	const char *p;

	for (p = name; ; p++) {
		for (i = 0; i < n; i++) {
			unsigned char a = (unsigned char)p[i];
			unsigned char b = (unsigned char)needle[i];

			if (a == '\0')
				return 0;
			if (a >= 'A' && a <= 'Z')
				a = (unsigned char)(a + 32);
			if (b >= 'A' && b <= 'Z')
				b = (unsigned char)(b + 32);
			if (a != b)
				break;
		}
		if (i == n)
			return 1;
		if (*p == '\0')
			return 0;
	}
}

/* Window columns: 0 id, 1 name, 2 creation_time, 3 last_modified, 4 status. */
static int
wfilter_pass(const struct wfilter *f, sqlite3_stmt *w)
{
	const char *name = (const char *)sqlite3_column_text(w, 1);
	const char *status;
	double ct = sqlite3_column_double(w, 2);
	double lm = sqlite3_column_double(w, 3);

	if (f->name_contains != NULL &&
	    (name == NULL || !name_has(name, f->name_contains)))
		return 0;
	if (f->status != NULL && ((status = (const char *)
	    sqlite3_column_text(w, 4)) == NULL ||
	    strcmp(status, f->status) != 0))
		return 0;
	if ((f->created_after > 0 && !(ct > f->created_after)) ||
	    (f->created_before > 0 && !(ct < f->created_before)) ||
	    (f->modified_after > 0 && !(lm > f->modified_after)) ||
	    (f->modified_before > 0 && !(lm < f->modified_before)))
		return 0;
	return 1;
}

static int
list_window(struct store *st, const char *table, const char *cols,
    int has_status, const struct store_list_q *q,
    const struct store_list_q *wq0, const struct wfilter *f,
    int (*row)(sqlite3_stmt *s, void *arg), void *arg, char **next)
{
	static const int widx[3] = { 1, 4, 2 };
	const char *col = list_sort_col(q->sort_by);
	struct store_list_q wq = *wq0;
	sqlite3_stmt *w = NULL, *one = NULL;
	struct buf sql = { 0 }, pos = { 0 }, mpos = { 0 };
	int64_t *ids, pos_id = 0, mpos_id = 0;
	double pos_ct = 0, mpos_ct = 0;
	int rc = 0, src, n = 0, scanned = 0, more = 0, i;

	*next = NULL;
	if ((ids = calloc((size_t)q->limit + 1, sizeof(*ids))) == NULL)
		return TD_ENOMEM;
	wq.limit = LIST_WINDOW - 1;	/* the query fetches limit + 1 */
	w = list_prepare(st, table, &wq, has_status ?
	    "id, name, creation_time, last_modified, status" :
	    "id, name, creation_time, last_modified");
	buf_printf(&sql, "SELECT %s FROM %s WHERE id = ?1", cols, table);
	if (w == NULL || (one = store__prepare(st, sql.data)) == NULL) {
		rc = TD_EDB;
		goto out;
	}
	if ((rc = store__list_bind(w, &wq)) != 0)
		goto out;
	while ((src = sqlite3_step(w)) == SQLITE_ROW) {
		const unsigned char *text = NULL;

		scanned++;
		if (strcmp(col, "name") == 0 || strcmp(col, "status") == 0)
			text = sqlite3_column_text(w, strcmp(col, "name") == 0 ?
			    widx[0] : widx[1]);
		buf_reset(&pos);
		buf_puts(&pos, text != NULL ? (const char *)text : "");
		pos_ct = sqlite3_column_double(w, widx[2]);
		pos_id = sqlite3_column_int64(w, 0);
		if (!wfilter_pass(f, w))
			continue;
		if (n == q->limit) {
			more = 1;
			break;
		}
		ids[n++] = pos_id;
		buf_reset(&mpos);
		buf_puts(&mpos, pos.data != NULL ? pos.data : "");
		mpos_ct = pos_ct;
		mpos_id = pos_id;
	}
	if (src != SQLITE_DONE && src != SQLITE_ROW) {
		log_warnx("store: list: %s", sqlite3_errmsg(st->db));
		rc = TD_EDB;
		goto out;
	}
	for (i = 0; i < n && rc == 0; i++) {
		sqlite3_bind_int64(one, 1, ids[i]);
		if ((src = sqlite3_step(one)) == SQLITE_ROW)
			rc = row(one, arg);
		else if (src != SQLITE_DONE)
			rc = TD_EDB;
		sqlite3_reset(one);
	}
	if (rc == 0 && more)
		*next = list_token(q, mpos.data ? mpos.data : "", mpos_ct,
		    mpos_id);
	else if (rc == 0 && scanned == LIST_WINDOW)
		*next = list_token(q, pos.data ? pos.data : "", pos_ct, pos_id);
out:
	store__release(st, w);
	store__release(st, one);
	buf_free(&sql);
	buf_free(&pos);
	buf_free(&mpos);
	free(ids);
	return rc;
}

/* Rows the small-set path sorts here: the sort key and the id. */
struct lrow {
	struct lpos	 k;	/* k.id is the row id */
};

static int
lpos_cmp(const struct lpos *a, const struct lpos *b, const char *col)
{
	int c;

	if (strcmp(col, "creation_time") != 0 &&
	    (c = strcmp(a->text, b->text)) != 0)
		return c;
	if (strcmp(col, "name") != 0 && a->ct != b->ct)
		return a->ct < b->ct ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

static int
lrow_cmp(const void *x, const void *y, void *arg)
{
	const struct store_list_q *q = arg;
	int c = lpos_cmp(&((const struct lrow *)x)->k,
	    &((const struct lrow *)y)->k, list_sort_col(q->sort_by));

	return q->descending ? -c : c;
}

/* " AND ..." for the filters of f an index serves (status, creation time). */
static void
indexed_where(const struct wfilter *f, struct buf *sql)
{
	if (f->status != NULL)
		buf_puts(sql, " AND status = :st");
	if (f->created_after > 0)
		buf_puts(sql, " AND creation_time > :ca");
	if (f->created_before > 0)
		buf_puts(sql, " AND creation_time < :cb");
}

static void
indexed_bind(sqlite3_stmt *s, const struct wfilter *f)
{
	bind_named_text(s, ":st", f->status);
	bind_named_double(s, ":ca", f->created_after);
	bind_named_double(s, ":cb", f->created_before);
}

/*
 * How many rows the indexed filters of f leave, counting through their
 * index up to LIST_WINDOW + 1; negative on error.
 */
static int
list_small_count(struct store *st, const char *table, const struct wfilter *f)
{
	struct buf sql = { 0 };
	sqlite3_stmt *s = NULL;
	int n = TD_EDB;

	buf_printf(&sql, "SELECT count(*) FROM (SELECT 1 FROM %s WHERE 1",
	    table);
	indexed_where(f, &sql);
	buf_printf(&sql, " LIMIT %d)", LIST_WINDOW + 1);
	if ((s = store__prepare(st, sql.data)) != NULL) {
		indexed_bind(s, f);
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int(s, 0);
	}
	if (n < 0)
		log_warnx("store: %s: %s", sql.data, sqlite3_errmsg(st->db));
	store__release(st, s);
	buf_free(&sql);
	return n;
}

/*
 * When the filters an index serves leave at most LIST_WINDOW rows, they
 * are all read through that index, filtered and sorted here: one bounded
 * call, where the window would walk the whole sort order to find them
 * (StatusEquals InProgress with SortBy Name, say).
 */
static int
list_small(struct store *st, const char *table, const char *cols,
    int has_status, const struct store_list_q *q, const struct wfilter *f,
    int (*row)(sqlite3_stmt *s, void *arg), void *arg, char **next)
{
	const char *col = list_sort_col(q->sort_by);
	struct lpos tok = { 0 };
	struct lrow *rows = NULL;
	struct buf sql = { 0 };
	sqlite3_stmt *w = NULL, *one = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0, src;

	*next = NULL;
	if (q->token != NULL && (rc = list_token_parse(q, &tok)) != 0)
		return rc;
	buf_printf(&sql, "SELECT id, name, creation_time, last_modified%s "
	    "FROM %s WHERE 1", has_status ? ", status" : "", table);
	indexed_where(f, &sql);
	if ((w = store__prepare(st, sql.data)) == NULL) {
		rc = TD_EDB;
		goto out;
	}
	buf_reset(&sql);
	buf_printf(&sql, "SELECT %s FROM %s WHERE id = ?1", cols, table);
	if ((one = store__prepare(st, sql.data)) == NULL) {
		rc = TD_EDB;
		goto out;
	}
	indexed_bind(w, f);
	while ((src = sqlite3_step(w)) == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(w,
		    strcmp(col, "status") == 0 ? 4 : 1);
		struct lrow r;
		int c;

		if (!wfilter_pass(f, w))
			continue;
		r.k.text = text != NULL ? (char *)text : (char *)"";
		r.k.ct = sqlite3_column_double(w, 2);
		r.k.id = sqlite3_column_int64(w, 0);
		if (q->token != NULL && ((c = lpos_cmp(&r.k, &tok, col)) == 0 ||
		    (q->descending ? c > 0 : c < 0)))
			continue;
		if (n == cap) {
			struct lrow *nr;

			cap = cap ? cap * 2 : 64;
			if ((nr = realloc(rows, cap * sizeof(*rows))) == NULL) {
				rc = TD_ENOMEM;
				goto out;
			}
			rows = nr;
		}
		if ((r.k.text = strdup(r.k.text)) == NULL) {
			rc = TD_ENOMEM;
			goto out;
		}
		rows[n++] = r;
	}
	if (src != SQLITE_DONE) {
		log_warnx("store: list: %s", sqlite3_errmsg(st->db));
		rc = TD_EDB;
		goto out;
	}
	if (n > 1)
		qsort_r(rows, n, sizeof(*rows), lrow_cmp, (void *)q);
	for (i = 0; i < n && i < (size_t)q->limit && rc == 0; i++) {
		sqlite3_bind_int64(one, 1, rows[i].k.id);
		if ((src = sqlite3_step(one)) == SQLITE_ROW)
			rc = row(one, arg);
		else if (src != SQLITE_DONE)
			rc = TD_EDB;
		sqlite3_reset(one);
	}
	if (rc == 0 && n > (size_t)q->limit) {
		const struct lpos *k = &rows[q->limit - 1].k;

		*next = list_token(q, k->text, k->ct, k->id);
	}
out:
	for (i = 0; i < n; i++)
		free(rows[i].k.text);
	free(rows);
	free(tok.text);
	store__release(st, w);
	store__release(st, one);
	buf_free(&sql);
	return rc;
}

int
store__list_run(struct store *st, const char *table, const char *cols,
    const int sort_idx[3], const struct store_list_q *q,
    int (*row)(sqlite3_stmt *s, void *arg), void *arg, char **next)
{
	struct store_list_q wq;
	struct wfilter f;
	sqlite3_stmt *s;
	int rc = 0, src, n = 0, more = 0;
	char *last = NULL;

	*next = NULL;
	/* A table without status (models, endpoint configs) has
	 * sort_idx[1] == sort_idx[0]: proto refuses Status for it. */
	if (list_split(q, &wq, &f)) {
		int has_status = sort_idx[1] != sort_idx[0];

		/* Every filter of q, for the small-set path. */
		struct wfilter all = { q->name_contains, q->status,
		    q->created_after, q->created_before, q->modified_after,
		    q->modified_before };

		if (f.status != NULL || f.created_after > 0 ||
		    f.created_before > 0) {
			if ((n = list_small_count(st, table, &all)) < 0)
				return TD_EDB;
			if (n <= LIST_WINDOW)
				return list_small(st, table, cols,
				    has_status, q, &all, row, arg, next);
			n = 0;
		}
		return list_window(st, table, cols, has_status, q, &wq, &f,
		    row, arg, next);
	}
	if ((s = list_prepare(st, table, q, cols)) == NULL)
		return TD_EDB;
	if ((rc = store__list_bind(s, q)) != 0) {
		store__release(st, s);
		return rc;
	}
	/* The query fetches limit + 1 rows: a row past the page means a next page. */
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == q->limit) {
			more = 1;
			break;
		}
		if (n == q->limit - 1)
			last = store__list_token(s, q, sort_idx);
		n++;
		if ((rc = row(s, arg)) != 0)
			break;
	}
	if (rc == 0 && src != SQLITE_DONE && src != SQLITE_ROW) {
		log_warnx("store: list: %s", sqlite3_errmsg(st->db));
		rc = TD_EDB;
	}
	store__release(st, s);
	if (rc == 0 && more)
		*next = last;
	else
		free(last);
	return rc;
}

struct tj_list_arg {
	store_tj_fn	 fn;
	void		*arg;
};

static int
tj_list_row(sqlite3_stmt *s, void *arg)
{
	struct tj_list_arg *a = arg;
	struct store_tj tj;

	tj_from_row(s, &tj);
	return a->fn(&tj, a->arg);
}

int
store_tj_list(struct store *st, const struct store_list_q *q,
    store_tj_fn fn, void *arg, char **next)
{
	static const int sort_idx[3] = { 1, 3, 7 };
	struct tj_list_arg a = { fn, arg };

	return store__list_run(st, "training_jobs", TJ_COLS, sort_idx, q,
	    tj_list_row, &a, next);
}

struct tj_sum_arg {
	store_tj_sum_fn	 fn;
	void		*arg;
};

static const char *
col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *p = sqlite3_column_text(s, i);

	return p != NULL ? (const char *)p : NULL;
}

/* Columns of TJ_SUM_COLS. */
static int
tj_sum_row(sqlite3_stmt *s, void *arg)
{
	struct tj_sum_arg *a = arg;
	struct store_tj_sum r;

	r.id = sqlite3_column_int64(s, 0);
	r.name = col_str(s, 1);
	r.status = col_str(s, 2);
	r.secondary = col_str(s, 3);
	r.creation_time = sqlite3_column_double(s, 4);
	r.last_modified = sqlite3_column_double(s, 5);
	r.training_end = sqlite3_column_double(s, 6);
	return a->fn(&r, a->arg);
}

#define TJ_SUM_COLS "id, name, status, secondary_status, creation_time, " \
	"last_modified, training_end"

int
store_tj_list_sum(struct store *st, const struct store_list_q *q,
    store_tj_sum_fn fn, void *arg, char **next)
{
	static const int sort_idx[3] = { 1, 2, 4 };
	struct tj_sum_arg a = { fn, arg };

	return store__list_run(st, "training_jobs", TJ_SUM_COLS, sort_idx, q,
	    tj_sum_row, &a, next);
}

int
store_metric_add(struct store *st, int64_t job_id, const char *name,
    double t, double v)
{
	sqlite3_stmt *s = store__stmt(st, STMT_METRIC_ADD);

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, job_id);
	store__bind_text(s, 2, name);
	sqlite3_bind_double(s, 3, t);
	sqlite3_bind_double(s, 4, v);
	return store__done(st, s, sqlite3_step(s));
}

int
store_metrics_get(struct store *st, int64_t job_id, store_metric_fn fn,
    void *arg)
{
	sqlite3_stmt *s = store__stmt(st, STMT_METRICS_GET);
	int rc;

	if (s == NULL)
		return TD_EDB;
	sqlite3_bind_int64(s, 1, job_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rc = fn((const char *)sqlite3_column_text(s, 0),
		    sqlite3_column_double(s, 1), sqlite3_column_double(s, 2),
		    arg)) != 0) {
			store__done(st, s, SQLITE_DONE);
			return rc;
		}
	}
	return store__done(st, s, rc);
}
