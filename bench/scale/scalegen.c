/*
 * scalegen.c - td-bench-scale: builds a large tunerd store through the
 * store layer (daemon/store*.c, the daemon's own code and migrations) and
 * reports how the store's queries behave on it.
 *
 *   td-bench-scale gen DB [-n JOBS] [-t TUNING_JOBS] [-k TRIALS_PER_JOB]
 *   td-bench-scale query DB [-r REPS]
 *   td-bench-scale fts DB [-r REPS]
 *
 * gen: JOBS finished training jobs (90% Completed, 7% Failed, 3% Stopped,
 * one every 10 s of creation time, realistic request and transition
 * documents), of which TUNING_JOBS x TRIALS_PER_JOB are the trials of
 * Completed tuning jobs; store_tj_insert / store_tj_update and the tuning
 * equivalents, 10,000 rows per transaction. Nothing is left to launch.
 *
 * query: runs every query shape the API issues (Describe, List with each
 * filter and sort, deep keyset pages, trial lists) through the store
 * functions, REPS times each, with sqlite3_trace_v2 capturing the SQL and
 * sqlite3_stmt_status the rows each statement stepped through; then
 * EXPLAIN QUERY PLAN of every captured statement. Prints one JSON object:
 * per query p50/p99 in microseconds, rows scanned per call, the plan,
 * whether it scans a table, and mid-table NextTokens for bench.py.
 *
 * fts: the experiment behind the proposed NameContains index. Adds an FTS5
 * trigram index over training_jobs.name (external content, kept by
 * triggers) to DB - it modifies DB: give it a copy - and prints the build
 * time, the bytes it adds per job, the cost it adds to each insert, and
 * NameContains pages through it.
 *
 * Owns nothing else; never passes or fails on time.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "store.h"
#include "store_int.h"
#include "util.h"

static const char *projects[] = { "boston", "mnist", "cifar10", "imdb",
    "churn", "fraud", "xgb-housing", "bert-ft" };
#define N_PROJECTS (sizeof(projects) / sizeof(projects[0]))

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static void
check(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "td-bench-scale: %s: %s\n", what, td_strerror(rc));
		exit(1);
	}
}

/* ---- gen ------------------------------------------------------------ */

static char *
job_request(const char *name, uint64_t h)
{
	struct buf b = { 0 };

	buf_printf(&b, "{\"TrainingJobName\":\"%s\",\"AlgorithmSpecification\":"
	    "{\"TrainingImage\":\"builtin:mlp\",\"TrainingInputMode\":\"File\","
	    "\"MetricDefinitions\":[{\"Name\":\"loss\",\"Regex\":\" loss: "
	    "([0-9\\\\.]+)\"},{\"Name\":\"val_loss\",\"Regex\":\" val_loss: "
	    "([0-9\\\\.]+)\"}]},\"RoleArn\":\"arn:aws:iam::000000000000:role/"
	    "tunerd-local\",\"HyperParameters\":{\"epochs\":\"%d\","
	    "\"batch_size\":\"%d\",\"learning_rate\":\"%.6f\"},"
	    "\"InputDataConfig\":[{\"ChannelName\":\"train\",\"DataSource\":"
	    "{\"S3DataSource\":{\"S3DataType\":\"S3Prefix\",\"S3Uri\":"
	    "\"file:///home/user/data/train\"}}},{\"ChannelName\":\"test\","
	    "\"DataSource\":{\"S3DataSource\":{\"S3DataType\":\"S3Prefix\","
	    "\"S3Uri\":\"file:///home/user/data/test\"}}}],\"OutputDataConfig\":"
	    "{\"S3OutputPath\":\"file:///home/user/out\"},\"ResourceConfig\":"
	    "{\"InstanceType\":\"ml.c5.xlarge\",\"InstanceCount\":1,"
	    "\"VolumeSizeInGB\":1},\"StoppingCondition\":"
	    "{\"MaxRuntimeInSeconds\":3600}}", name, 10 + (int)(h % 41),
	    64 + (int)((h >> 8) % 193), 0.001 + (double)((h >> 16) % 1000) / 5000);
	return buf_steal(&b);
}

static char *
transitions(double t0, double t1, const char *last)
{
	static const char *st[] = { "Pending", "Starting", "Downloading",
	    "Training", "Uploading" };
	struct buf b = { 0 };
	double step = (t1 - t0) / 5;
	int i;

	buf_putc(&b, '[');
	for (i = 0; i < 5; i++)
		buf_printf(&b, "{\"Status\":\"%s\",\"StartTime\":%.6f,"
		    "\"EndTime\":%.6f,\"StatusMessage\":\"%s\"},", st[i],
		    t0 + step * i, t0 + step * (i + 1), st[i]);
	buf_printf(&b, "{\"Status\":\"%s\",\"StartTime\":%.6f,\"EndTime\":%.6f,"
	    "\"StatusMessage\":\"Training job %s\"}]", last, t1, t1, last);
	return buf_steal(&b);
}

static void
finish_job(struct store *st, int64_t id, const char *name, double ctime,
    uint64_t h, int64_t tuning_id, double *objective)
{
	struct store_tj tj = { 0 };
	struct buf fm = { 0 }, art = { 0 };
	unsigned r = (unsigned)(h % 100);
	double val = 5 + (double)(h % 100000) / 1000;

	tj.id = id;
	tj.name = (char *)name;
	tj.status = (char *)(r < 90 ? "Completed" : r < 97 ? "Failed" : "Stopped");
	tj.secondary = tj.status;
	tj.creation_time = ctime;
	tj.training_start = ctime + 0.05;
	tj.training_end = ctime + 0.05 + (double)(h % 60);
	tj.last_modified = tj.training_end + 0.01;
	tj.transitions = transitions(ctime, tj.training_end, tj.status);
	if (r >= 90 && r < 97)
		tj.failure_reason = (char *)"AlgorithmError: the program exited "
		    "with status 1";
	buf_printf(&fm, "[{\"MetricName\":\"loss\",\"Value\":%.6f,\"Timestamp\":"
	    "%.3f},{\"MetricName\":\"val_loss\",\"Value\":%.6f,\"Timestamp\":"
	    "%.3f}]", val * 0.9, tj.training_end, val, tj.training_end);
	tj.final_metrics = fm.data;
	if (r < 90) {
		buf_printf(&art, "file:///home/user/out/%s/output/model.tar.gz",
		    name);
		tj.model_artifact = art.data;
	}
	tj.launch_state = (char *)"done";
	tj.worker_pid = 10000 + (long)(h % 50000);
	tj.events_seq = 9;
	tj.attempt = 1;
	tj.tuning_job_id = tuning_id;
	check(store_tj_update(st, &tj), "store_tj_update");
	*objective = r < 90 ? val : NAN;
	free(tj.transitions);
	buf_free(&fm);
	buf_free(&art);
}

static const char tuning_req[] = "{\"HyperParameterTuningJobName\":\"%s\","
    "\"HyperParameterTuningJobConfig\":{\"Strategy\":\"Bayesian\","
    "\"HyperParameterTuningJobObjective\":{\"Type\":\"Minimize\","
    "\"MetricName\":\"val_loss\"},\"ResourceLimits\":"
    "{\"MaxNumberOfTrainingJobs\":%ld,\"MaxParallelTrainingJobs\":5},"
    "\"ParameterRanges\":{\"ContinuousParameterRanges\":[{\"Name\":"
    "\"learning_rate\",\"MinValue\":\"0.001\",\"MaxValue\":\"0.2\","
    "\"ScalingType\":\"Logarithmic\"}]}}}";

static int
gen(const char *db, long n, long tunings, long per)
{
	struct store *st;
	char err[256], name[96];
	double base = td_now() - (double)n * 10, t0 = mono(), obj;
	long i, k = 0, trial_no = 0, batch = 0;
	int64_t id, tu_id = 0, best = 0;
	double best_v = INFINITY;
	struct store_tu tu = { 0 };

	if (tunings * per > n) {
		fprintf(stderr, "td-bench-scale: more trials than jobs\n");
		return 2;
	}
	if (store_open(db, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "td-bench-scale: %s\n", err);
		return 1;
	}
	check(store_begin(st), "begin");
	for (i = 0; i < n; i++) {
		uint64_t h = mix((uint64_t)i + 1);
		double ct = base + (double)i * 10 + (double)(h % 1000) / 1000;
		int is_trial = k < tunings && (i % (n / (tunings ? tunings : 1))) <
		    per;
		char *req;

		if (is_trial && trial_no == 0) {
			struct buf r = { 0 };

			snprintf(name, sizeof(name), "hpo-%s-%05ld",
			    projects[k % N_PROJECTS], k);
			buf_printf(&r, tuning_req, name, per);
			check(store_tu_insert(st, name, r.data, ct, &tu_id),
			    "store_tu_insert");
			buf_free(&r);
			best = 0;
			best_v = INFINITY;
		}
		if (is_trial)
			snprintf(name, sizeof(name), "hpo-%s-%05ld-%03ld-%08x",
			    projects[k % N_PROJECTS], k, trial_no + 1,
			    (unsigned)(h >> 32));
		else
			snprintf(name, sizeof(name), "%s-%07ld",
			    projects[h % N_PROJECTS], i);
		req = job_request(name, h);
		check(store_tj_insert(st, name, req, ct, is_trial ? tu_id : 0,
		    &id), "store_tj_insert");
		finish_job(st, id, name, ct, h, is_trial ? tu_id : 0, &obj);
		free(req);
		if (is_trial) {
			struct store_trial t = { 0 };
			char params[64];
			int64_t trial_id;

			snprintf(params, sizeof(params), "{\"learning_rate\":"
			    "\"%.6f\"}", 0.001 + (double)(h % 1000) / 5000);
			t.tuning_job_id = tu_id;
			t.trial_no = ++trial_no;
			t.name = name;
			t.params = params;
			t.training_job_id = id;
			t.creation_time = ct;
			check(store_trial_insert(st, &t, &trial_id),
			    "store_trial_insert");
			t.id = trial_id;
			t.status = (char *)(isnan(obj) ? "Failed" : "Completed");
			t.objective_status = (char *)(isnan(obj) ? "Failed" :
			    "Succeeded");
			t.objective = obj;
			t.start_time = ct + 0.05;
			t.end_time = ct + 1;
			check(store_trial_update(st, &t), "store_trial_update");
			if (!isnan(obj) && obj < best_v) {
				best_v = obj;
				best = trial_id;
			}
			if (trial_no == per) {
				check(store_tu_get_id(st, tu_id, &tu),
				    "store_tu_get_id");
				free(tu.status);
				tu.status = strdup("Completed");
				tu.end_time = ct + 2;
				tu.last_modified = ct + 2;
				tu.next_trial_no = per + 1;
				tu.suggestions_issued = per;
				tu.best_trial_id = best;
				check(store_tu_update(st, &tu), "store_tu_update");
				store_tu_clear(&tu);
				trial_no = 0;
				k++;
			}
		}
		if (++batch == 10000) {
			check(store_commit(st), "commit");
			check(store_begin(st), "begin");
			batch = 0;
			if (i % 100000 == 99999)
				fprintf(stderr, "td-bench-scale: %ld jobs, %.0f s\n",
				    i + 1, mono() - t0);
		}
	}
	check(store_commit(st), "commit");
	store_close(st);
	printf("{\"jobs\": %ld, \"tuning_jobs\": %ld, \"trials_per_job\": %ld, "
	    "\"seconds\": %.1f}\n", n, k, per, mono() - t0);
	return 0;
}

/* ---- query ---------------------------------------------------------- */

#define MAX_SQL 128

/* Every statement text seen, and which of them the current query ran. */
struct seen {
	char	*sql[MAX_SQL];
	int	 used[MAX_SQL];
	size_t	 n;
	uint64_t fullscan, steps, sorts;	/* of the current query */
};

static struct seen seen;

static int
on_trace(unsigned type, void *ctx, void *p, void *x)
{
	sqlite3_stmt *s = p;
	const char *sql = sqlite3_sql(s);
	size_t i;

	if (type != SQLITE_TRACE_PROFILE || sql == NULL)
		return 0;
	seen.fullscan += (uint64_t)sqlite3_stmt_status(s,
	    SQLITE_STMTSTATUS_FULLSCAN_STEP, 1);
	seen.steps += (uint64_t)sqlite3_stmt_status(s, SQLITE_STMTSTATUS_VM_STEP, 1);
	seen.sorts += (uint64_t)sqlite3_stmt_status(s, SQLITE_STMTSTATUS_SORT, 1);
	for (i = 0; i < seen.n; i++) {
		if (strcmp(seen.sql[i], sql) == 0) {
			seen.used[i] = 1;
			return 0;
		}
	}
	if (seen.n < MAX_SQL) {
		seen.used[seen.n] = 1;
		seen.sql[seen.n++] = strdup(sql);
	}
	return 0;
}

static int
drop_tj(struct store_tj *tj, void *arg)
{
	(*(long *)arg)++;
	store_tj_clear(tj);
	return 0;
}

static int
drop_trial(struct store_trial *t, void *arg)
{
	(*(long *)arg)++;
	store_trial_clear(t);
	return 0;
}

enum qkind { Q_DESCRIBE, Q_LIST, Q_TRIALS, Q_TUNING };

struct query {
	const char		*label;
	enum qkind		 kind;
	struct store_list_q	 q;
	struct store_trial_q	 tq;
	const char		*names;		/* "tj" / "tu": random names */
};

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * A NextToken as store__list_token() makes it, for the row at rank:
 * "<tag><value>~<id>", or "<tag><status>~<creation time>~<id>" for a
 * Status sort; the tag names the sort and order ("Ca~", "Nd~", ...).
 */
static char *
token_at(struct store *st, const char *col, const char *dir, long rank)
{
	struct buf sql = { 0 }, tok = { 0 };
	int status = strcmp(col, "status") == 0;
	sqlite3_stmt *s;

	buf_printf(&sql, "SELECT %s, id, creation_time FROM training_jobs "
	    "ORDER BY %s %s, %sid %s LIMIT 1 OFFSET %ld", col, col, dir,
	    status ? "creation_time, " : "", dir, rank);
	if (sqlite3_prepare_v2(st->db, sql.data, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		fprintf(stderr, "td-bench-scale: %s\n", sqlite3_errmsg(st->db));
		exit(1);
	}
	buf_printf(&tok, "%c%c~", status ? 'S' : strcmp(col, "name") == 0 ?
	    'N' : 'C', strcmp(dir, "DESC") == 0 ? 'd' : 'a');
	if (strcmp(col, "creation_time") == 0)
		buf_printf(&tok, "%.17g", sqlite3_column_double(s, 0));
	else
		buf_puts(&tok, (const char *)sqlite3_column_text(s, 0));
	if (status)
		buf_printf(&tok, "~%.17g", sqlite3_column_double(s, 2));
	buf_printf(&tok, "~%lld", (long long)sqlite3_column_int64(s, 1));
	sqlite3_finalize(s);
	buf_free(&sql);
	return buf_steal(&tok);
}

/*
 * A substring only one job's name has: the 7-digit number of a job that
 * is no trial, past the middle of the table.
 */
static char *
rare_substring(struct store *st, long jobs)
{
	struct buf sql = { 0 };
	sqlite3_stmt *s;
	char *out = NULL;

	buf_printf(&sql, "SELECT substr(name, -7) FROM training_jobs WHERE "
	    "tuning_job_id IS NULL AND id > %ld ORDER BY id LIMIT 1", jobs / 2);
	if (sqlite3_prepare_v2(st->db, sql.data, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		out = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	buf_free(&sql);
	return out != NULL ? out : strdup("nosuchjob");
}

static long
count_rows(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	long n = 0;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

static void
json_str(const char *s)
{
	struct buf b = { 0 };

	buf_json_str(&b, s, strlen(s));
	fputs(b.data, stdout);
	buf_free(&b);
}

/* Prints the plan of sql as a JSON array; *scan set when a table is scanned. */
static void
print_plan(struct store *st, const char *sql, int *scan, int *temp)
{
	struct buf q = { 0 };
	sqlite3_stmt *s;
	int first = 1;

	buf_printf(&q, "EXPLAIN QUERY PLAN %s", sql);
	*scan = *temp = 0;
	printf("[");
	if (sqlite3_prepare_v2(st->db, q.data, -1, &s, NULL) == SQLITE_OK) {
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *d = (const char *)sqlite3_column_text(s, 3);

			if (strncmp(d, "SCAN ", 5) == 0)
				*scan = 1;
			if (strstr(d, "TEMP B-TREE") != NULL)
				*temp = 1;
			printf("%s", first ? "" : ", ");
			json_str(d);
			first = 0;
		}
		sqlite3_finalize(s);
	}
	printf("]");
	buf_free(&q);
}

static int
query(const char *db, long reps)
{
	struct store *st;
	char err[256], **tj_names, **tu_names;
	long jobs, tunings, r;
	struct query qs[64];
	size_t nq = 0, k, j;
	char *tok_ct, *tok_name, *tok_status, *tok_ct_desc, *rare;
	double *lat = calloc((size_t)reps, sizeof(double));
	int64_t tu_id;

	if (store_open(db, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "td-bench-scale: %s\n", err);
		return 1;
	}
	jobs = count_rows(st, "SELECT max(id) FROM training_jobs");
	tunings = count_rows(st, "SELECT count(*) FROM tuning_jobs");
	tu_id = count_rows(st, "SELECT id FROM tuning_jobs ORDER BY id LIMIT 1 "
	    "OFFSET (SELECT count(*) / 2 FROM tuning_jobs)");
	tok_ct = token_at(st, "creation_time", "ASC", jobs / 2);
	tok_ct_desc = token_at(st, "creation_time", "DESC", jobs / 2);
	tok_name = token_at(st, "name", "ASC", jobs / 2);
	tok_status = token_at(st, "status", "ASC", jobs / 2);
	rare = rare_substring(st, jobs);
	memset(qs, 0, sizeof(qs));
#define LQ(lbl, ...) do { qs[nq].label = lbl; qs[nq].kind = Q_LIST;       \
	qs[nq].q = (struct store_list_q){ .limit = 100, __VA_ARGS__ };    \
	nq++; } while (0)
	qs[nq].label = "describe";
	qs[nq].kind = Q_DESCRIBE;
	nq++;
	LQ("list");
	LQ("list desc", .descending = 1);
	LQ("list NameContains common", .name_contains = "cifar");
	LQ("list NameContains rare", .name_contains = rare);
	LQ("list NameContains absent", .name_contains = "nosuchjob");
	LQ("list StatusEquals Failed", .status = "Failed");
	LQ("list StatusEquals InProgress (none)", .status = "InProgress");
	LQ("list CreationTimeAfter (last 1%)",
	    .created_after = td_now() - (double)jobs * 0.1);
	LQ("list CreationTimeBefore (first 1%)",
	    .created_before = td_now() - (double)jobs * 9.9);
	LQ("list SortBy Name", .sort_by = "Name");
	LQ("list SortBy Name desc", .sort_by = "Name", .descending = 1);
	LQ("list SortBy Status", .sort_by = "Status");
	LQ("list SortBy Status desc", .sort_by = "Status", .descending = 1);
	LQ("list page at 50% (CreationTime)", .token = tok_ct);
	LQ("list page at 50% (CreationTime desc)", .token = tok_ct_desc,
	    .descending = 1);
	LQ("list page at 50% (Name)", .sort_by = "Name", .token = tok_name);
	LQ("list page at 50% (Status)", .sort_by = "Status", .token = tok_status);
	LQ("list StatusEquals Stopped + SortBy Name", .status = "Stopped",
	    .sort_by = "Name");
	LQ("list StatusEquals InProgress + SortBy Name", .status = "InProgress",
	    .sort_by = "Name");
#undef LQ
	if (tunings > 0) {
		static const char *sorts[] = { "CreationTime", "Name", "Status",
		    "Objective" };

		for (k = 0; k < 4; k++) {
			qs[nq].label = sorts[k];
			qs[nq].kind = Q_TRIALS;
			qs[nq].tq = (struct store_trial_q){ .tuning_id = tu_id,
			    .sort_by = sorts[k], .limit = 100 };
			nq++;
		}
		qs[nq].label = "Objective, last page";
		qs[nq].kind = Q_TRIALS;
		qs[nq].tq = (struct store_trial_q){ .tuning_id = tu_id,
		    .sort_by = "Objective", .limit = 100, .offset = count_rows(st,
		    "SELECT count(*) FROM trials WHERE tuning_job_id = (SELECT "
		    "tuning_job_id FROM trials LIMIT 1)") - 100 };
		nq++;
		qs[nq].label = "tuning job (describe)";
		qs[nq].kind = Q_TUNING;
		nq++;
	}
	/* Random names to describe, picked before the trace starts. */
	tj_names = calloc((size_t)reps, sizeof(char *));
	tu_names = calloc((size_t)reps, sizeof(char *));
	for (r = 0; r < reps; r++) {
		uint64_t hsh = mix((uint64_t)(r * 7919 + 13));
		struct store_tj tj;
		struct store_tu tu;

		check(store_tj_get_id(st, (int64_t)(hsh % (uint64_t)jobs) + 1,
		    &tj), "store_tj_get_id");
		tj_names[r] = tj.name;
		tj.name = NULL;
		store_tj_clear(&tj);
		if (tunings > 0) {
			check(store_tu_get_id(st, (int64_t)(hsh %
			    (uint64_t)tunings) + 1, &tu), "store_tu_get_id");
			tu_names[r] = tu.name;
			tu.name = NULL;
			store_tu_clear(&tu);
		}
	}
	printf("{\"jobs\": %ld, \"tuning_jobs\": %ld, \"tokens\": {"
	    "\"CreationTime\": ", jobs, tunings);
	json_str(tok_ct);
	printf(", \"CreationTime desc\": ");
	json_str(tok_ct_desc);
	printf(", \"Name\": ");
	json_str(tok_name);
	printf(", \"Status\": ");
	json_str(tok_status);
	printf("}, \"sample_names\": [");
	for (r = 0; r < reps; r++) {
		printf("%s", r ? ", " : "");
		json_str(tj_names[r]);
	}
	printf("], \"rare_substring\": ");
	json_str(rare);
	printf(", \"sample_tuning_job\": ");
	json_str(tunings > 0 ? tu_names[0] : "");
	printf(", \"queries\": [\n");
	for (k = 0; k < nq; k++) {
		long rows = 0;
		int first = 1;

		seen.fullscan = seen.steps = seen.sorts = 0;
		memset(seen.used, 0, sizeof(seen.used));
		sqlite3_trace_v2(st->db, SQLITE_TRACE_PROFILE, on_trace, NULL);
		for (r = 0; r < reps; r++) {
			double t0 = mono();
			struct store_tj tj;
			struct store_tu tu;
			struct store_trial_counts tc;
			char *next = NULL;
			int more;

			switch (qs[k].kind) {
			case Q_DESCRIBE:
				check(store_tj_get(st, tj_names[r], &tj),
				    "store_tj_get");
				store_tj_clear(&tj);
				rows++;
				break;
			case Q_LIST:
				check(store_tj_list(st, &qs[k].q, drop_tj, &rows,
				    &next), "store_tj_list");
				free(next);
				break;
			case Q_TRIALS:
				check(store_trials_list(st, &qs[k].tq, drop_trial,
				    &rows, &more), "store_trials_list");
				break;
			case Q_TUNING:
				check(store_tu_get(st, tu_names[r], &tu),
				    "store_tu_get");
				check(store_trial_counts(st, tu.id, &tc), "counts");
				store_tu_clear(&tu);
				rows++;
				break;
			}
			lat[r] = (mono() - t0) * 1e6;
		}
		qsort(lat, (size_t)reps, sizeof(double), cmp_d);
		printf("  {\"label\": ");
		json_str(qs[k].label);
		printf(", \"kind\": \"%s\", \"p50_us\": %.1f, \"p99_us\": %.1f, "
		    "\"rows_per_call\": %.1f, \"fullscan_steps_per_call\": %.1f, "
		    "\"vm_steps_per_call\": %.1f, \"sorts_per_call\": %.1f, "
		    "\"plans\": [", qs[k].kind == Q_DESCRIBE ? "describe" :
		    qs[k].kind == Q_LIST ? "list" : qs[k].kind == Q_TRIALS ?
		    "trials" : "tuning", lat[reps / 2],
		    lat[(size_t)((double)(reps - 1) * 0.99 + 0.5)],
		    (double)rows / (double)reps,
		    (double)seen.fullscan / (double)reps,
		    (double)seen.steps / (double)reps,
		    (double)seen.sorts / (double)reps);
		/* The plan of every statement this query ran (trace off). */
		sqlite3_trace_v2(st->db, 0, NULL, NULL);
		for (j = 0; j < seen.n; j++) {
			int scan, temp;

			if (!seen.used[j] || strncmp(seen.sql[j], "SELECT", 6) != 0)
				continue;
			printf("%s{\"sql\": ", first ? "" : ", ");
			first = 0;
			json_str(seen.sql[j]);
			printf(", \"plan\": ");
			print_plan(st, seen.sql[j], &scan, &temp);
			printf(", \"scan\": %s, \"temp_btree\": %s}", scan ?
			    "true" : "false", temp ? "true" : "false");
		}
		printf("]}%s\n", k + 1 < nq ? "," : "");
	}
	printf("]}\n");
	sqlite3_trace_v2(st->db, 0, NULL, NULL);
	for (j = 0; j < seen.n; j++)
		free(seen.sql[j]);
	for (r = 0; r < reps; r++) {
		free(tj_names[r]);
		free(tu_names[r]);
	}
	free(tj_names);
	free(tu_names);
	free(rare);
	free(tok_ct);
	free(tok_ct_desc);
	free(tok_name);
	free(tok_status);
	free(lat);
	store_close(st);
	return 0;
}

/* ---- fts: the trigram index proposed for NameContains --------------- */

static void
exec_or_die(struct store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "td-bench-scale: %s: %s\n", sql, msg ? msg : "?");
		exit(1);
	}
}

static double
db_bytes(struct store *st)
{
	return (double)count_rows(st, "PRAGMA page_count") *
	    (double)count_rows(st, "PRAGMA page_size");
}

/* Seconds to insert n new jobs in one transaction, rolled back after. */
static double
insert_cost(struct store *st, long n)
{
	char name[64];
	double t0;
	long i;

	check(store_begin(st), "begin");
	t0 = mono();
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "fts-probe-%07ld", i);
		check(store_tj_insert(st, name, "{}", td_now(), 0, NULL),
		    "store_tj_insert");
	}
	t0 = mono() - t0;
	store_rollback(st);
	return t0;
}

/*
 * Adds an FTS5 trigram index over training_jobs.name to DB (modifies
 * it: run it on a copy) and measures NameContains through it.
 */
static int
fts(const char *db, long reps)
{
	const char *pats[] = { "cifar", NULL, "nosuchjob" };
	char *rare;
	struct store *st;
	char err[256];
	double before, after, t0, build_s, ins_plain, ins_fts;
	double *lat = calloc((size_t)reps, sizeof(double));
	long jobs, r;
	size_t k;

	if (store_open(db, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "td-bench-scale: %s\n", err);
		return 1;
	}
	jobs = count_rows(st, "SELECT count(*) FROM training_jobs");
	pats[1] = rare = rare_substring(st, jobs);
	ins_plain = insert_cost(st, 10000);
	before = db_bytes(st);
	t0 = mono();
	exec_or_die(st, "CREATE VIRTUAL TABLE tj_name_fts USING fts5(name, "
	    "content='training_jobs', content_rowid='id', tokenize='trigram');"
	    "INSERT INTO tj_name_fts(tj_name_fts) VALUES ('rebuild');"
	    "CREATE TRIGGER tj_name_fts_ai AFTER INSERT ON training_jobs BEGIN "
	    "INSERT INTO tj_name_fts(rowid, name) VALUES (new.id, new.name); END;"
	    "CREATE TRIGGER tj_name_fts_ad AFTER DELETE ON training_jobs BEGIN "
	    "INSERT INTO tj_name_fts(tj_name_fts, rowid, name) VALUES "
	    "('delete', old.id, old.name); END;");
	build_s = mono() - t0;
	exec_or_die(st, "PRAGMA wal_checkpoint(TRUNCATE)");
	after = db_bytes(st);
	ins_fts = insert_cost(st, 10000);
	printf("{\"jobs\": %ld, \"build_s\": %.2f, \"bytes_per_job\": %.1f, "
	    "\"insert_us_plain\": %.1f, \"insert_us_fts\": %.1f, \"queries\": [\n",
	    jobs, build_s, (after - before) / (double)jobs, ins_plain * 100,
	    ins_fts * 100);
	for (k = 0; k < sizeof(pats) / sizeof(pats[0]); k++) {
		char pat[64];
		sqlite3_stmt *s;
		long rows = 0;
		int scan, temp;
		const char *sql = "SELECT " TJ_COLS " FROM training_jobs WHERE id "
		    "IN (SELECT rowid FROM tj_name_fts WHERE name LIKE ?1) "
		    "ORDER BY creation_time ASC, id ASC LIMIT 101";

		snprintf(pat, sizeof(pat), "%%%s%%", pats[k]);
		if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
			fprintf(stderr, "td-bench-scale: %s\n", sqlite3_errmsg(st->db));
			return 1;
		}
		for (r = 0; r < reps; r++) {
			t0 = mono();
			sqlite3_bind_text(s, 1, pat, -1, SQLITE_STATIC);
			rows = 0;
			while (sqlite3_step(s) == SQLITE_ROW)
				rows++;
			sqlite3_reset(s);
			lat[r] = (mono() - t0) * 1e6;
		}
		sqlite3_finalize(s);
		qsort(lat, (size_t)reps, sizeof(double), cmp_d);
		printf("  {\"label\": \"NameContains %s (trigram index)\", "
		    "\"p50_us\": %.1f, \"p99_us\": %.1f, \"rows\": %ld, \"plan\": ",
		    pats[k], lat[reps / 2],
		    lat[(size_t)((double)(reps - 1) * 0.99 + 0.5)], rows);
		print_plan(st, sql, &scan, &temp);
		printf("}%s\n", k + 1 < sizeof(pats) / sizeof(pats[0]) ? "," : "");
	}
	printf("]}\n");
	free(rare);
	free(lat);
	store_close(st);
	return 0;
}

int
main(int argc, char **argv)
{
	long n = 1000000, t = 200, per = 500, reps = 200;
	const char *cmd, *db;
	int ch;

	log_init("td-bench-scale", 0);
	if (argc < 3)
		goto usage;
	cmd = argv[1];
	db = argv[2];
	optind = 3;
	while ((ch = getopt(argc, argv, "n:t:k:r:")) != -1) {
		switch (ch) {
		case 'n': n = strtol(optarg, NULL, 10); break;
		case 't': t = strtol(optarg, NULL, 10); break;
		case 'k': per = strtol(optarg, NULL, 10); break;
		case 'r': reps = strtol(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (n < 1 || t < 0 || per < 1 || reps < 1)
		goto usage;
	if (strcmp(cmd, "gen") == 0)
		return gen(db, n, t, per);
	if (strcmp(cmd, "query") == 0)
		return query(db, reps);
	if (strcmp(cmd, "fts") == 0)
		return fts(db, reps);
usage:
	fprintf(stderr, "usage: td-bench-scale gen DB [-n JOBS] [-t TUNING_JOBS] "
	    "[-k TRIALS_PER_JOB]\n       td-bench-scale query DB [-r REPS]\n"
	    "       td-bench-scale fts DB [-r REPS]\n");
	return 2;
}
