/*
 * cmd_misc.c - commands that are tools rather than workflows: `metrics
 * test` (what a metric definition captures from a log, no daemon needed),
 * `metrics show` (a job's metric series) and `api` (any operation, raw
 * JSON in and out).
 *
 * Owns cmd_misc_table. `metrics test` uses the worker's own scraper
 * (worker/scrape.h) so it answers exactly as a training job would.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "scrape.h"

/* --- metrics test ------------------------------------------------------ */

struct mt_ctx {
	struct out_table	*t;
};

static void
mt_found(const char *name, double value, void *arg)
{
	struct mt_ctx *m = arg;
	size_t r = out_table_add_row(m->t);

	out_set_str(m->t, r, 0, name);
	out_set_num(m->t, r, 1, value, CELL_NUM);
}

/* Collects the definitions from --regex/--name and every --metric. */
static int
mt_defs(struct cli *c, const struct cli_args *a, struct td_metric_def **out,
    size_t *nout)
{
	const char **v, *regex = opt_get(a, "regex");
	struct td_metric_def *d;
	size_t n, i, k = 0;

	v = opt_all(a, "metric", &n);
	if (regex == NULL && n == 0)
		return cli_usage(c, "give --regex REGEX or --metric NAME=REGEX");
	d = calloc(n + 1, sizeof(*d));
	if (regex != NULL) {
		d[k].name = strdup(opt_get(a, "name") ?: "metric");
		d[k++].regex = strdup(regex);
	}
	for (i = 0; i < n; i++, k++) {
		if (spec_split_kv(v[i], &d[k].name, &d[k].regex) != 0 ||
		    d[k].regex[0] == '\0') {
			*out = d;
			*nout = k + 1;
			return cli_usage(c, "bad metric \"%s\" (--metric): "
			    "expected NAME=REGEX", v[i]);
		}
	}
	*out = d;
	*nout = k;
	return 0;
}

static void
mt_defs_free(struct td_metric_def *d, size_t n)
{
	size_t i;

	for (i = 0; d != NULL && i < n; i++) {
		free(d[i].name);
		free(d[i].regex);
	}
	free(d);
}

static int
mt_feed(struct cli *c, struct scrape *s, const char *path, struct mt_ctx *m)
{
	char chunk[65536];
	ssize_t n;
	int fd = STDIN_FILENO;

	if (path != NULL && strcmp(path, "-") != 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		cli_err("cannot read the log (%s): %s", path, strerror(errno));
		return CLI_USAGE;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		scrape_feed(s, chunk, (size_t)n, mt_found, m);
	}
	if (n == -1)
		cli_err("cannot read the log (%s): %s", path ? path : "stdin",
		    strerror(errno));
	scrape_flush(s, mt_found, m);
	if (fd != STDIN_FILENO)
		close(fd);
	return n == -1 ? CLI_USAGE : 0;
}

static int
cmd_metrics_test(struct cli *c, struct cli_args *a)
{
	static const char *const cols[] = { "MetricName", "Value" };
	struct td_metric_def *defs = NULL;
	struct scrape *s = NULL;
	struct mt_ctx m;
	char err[512];
	size_t n = 0;
	int rc;

	if (a->npos > 1)
		return cli_usage(c, "expected at most one log file");
	if ((rc = mt_defs(c, a, &defs, &n)) != 0) {
		mt_defs_free(defs, n);
		return rc;
	}
	if (scrape_new(defs, n, &s, err, sizeof(err)) != 0) {
		mt_defs_free(defs, n);
		return cli_usage(c, "bad regex: %s", err);
	}
	m.t = out_table_new(cols, 2);
	if ((rc = mt_feed(c, s, a->npos ? a->pos[0] : NULL, &m)) == 0) {
		out_table_print(m.t, c->fmt, stdout);
		if (m.t->rows == 0) {
			cli_err("no match (%s)", a->npos ? a->pos[0] : "stdin");
			rc = CLI_FAIL;
		}
	}
	out_table_free(m.t);
	scrape_free(s);
	mt_defs_free(defs, n);
	return rc;
}


/* --- metrics show ------------------------------------------------------ */

static int
cmd_metrics_show(struct cli *c, struct cli_args *a)
{
	static const char *const cols[] = { "MetricName", "Timestamp", "Value" };
	cJSON *req, *resp = NULL;
	const cJSON *m, *v;
	struct out_table *t;
	size_t r;
	int rc;

	if (a->npos != 1)
		return cli_usage(c, "expected one training job name");
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "TrainingJobName", a->pos[0]);
	rc = api_call(c, "Tunerd.GetTrainingJobMetrics", req, &resp, NULL);
	cJSON_Delete(req);
	if (rc != 0)
		return rc;
	if (c->fmt == OUT_JSON) {
		out_json(resp, stdout);
		cJSON_Delete(resp);
		return CLI_OK;
	}
	t = out_table_new(cols, 3);
	cJSON_ArrayForEach(m, cli_jpath(resp, "Metrics")) {
		cJSON_ArrayForEach(v, cli_jpath(m, "Values")) {
			r = out_table_add_row(t);
			out_set_json(t, r, 0, cli_jpath(m, "MetricName"),
			    CELL_STR);
			out_set_json(t, r, 1, cli_jpath(v, "Timestamp"),
			    CELL_TIME);
			out_set_json(t, r, 2, cli_jpath(v, "Value"), CELL_NUM);
		}
	}
	out_table_print(t, c->fmt, stdout);
	out_table_free(t);
	cJSON_Delete(resp);
	return CLI_OK;
}

/* --- api --------------------------------------------------------------- */

static int
cmd_api(struct cli *c, struct cli_args *a)
{
	const char *op, *file = opt_get(a, "input-json");
	char target[256], *data = NULL;
	cJSON *req = NULL, *resp = NULL;
	const char *end = NULL;
	int rc;

	if (a->npos < 1 || a->npos > 2)
		return cli_usage(c, "expected OPERATION [JSON]");
	if (a->npos == 2 && file != NULL)
		return cli_usage(c, "give the request inline or with "
		    "--input-json, not both");
	op = a->pos[0];
	if (op[0] == '\0' || strchr(op, ' ') != NULL)
		return cli_usage(c, "bad operation name \"%s\"", op);
	snprintf(target, sizeof(target), "%s%s",
	    strchr(op, '.') != NULL ? "" : "SageMaker.", op);
	if (file != NULL && (rc = cli_read_input(file, "the request",
	    &data, NULL)) != 0)
		return rc;
	if (file != NULL || a->npos == 2) {
		req = cJSON_ParseWithOpts(data != NULL ? data : a->pos[1], &end,
		    1);
		if (req == NULL) {
			cli_err("bad JSON in the request (%s) near \"%.20s\"",
			    file != NULL ? file : "argument",
			    end != NULL ? end : "");
			free(data);
			return CLI_USAGE;
		}
	}
	free(data);
	rc = api_call(c, target, req, &resp, NULL);
	cJSON_Delete(req);
	if (rc == 0)
		out_json(resp, stdout);
	cJSON_Delete(resp);
	return rc;
}

/* --- the table --------------------------------------------------------- */

static const struct cli_opt mt_opts[] = {
	{ "regex", 'r', "REGEX", 0, "the metric's regular expression (PCRE2); "
	    "group 1, or the whole match, is the value" },
	{ "name", 'n', "NAME", 0, "the metric's name (default: metric)" },
	{ "metric", 0, "NAME=REGEX", OPT_MULTI, "another definition, as "
	    "tuner train takes it (repeatable)" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_opt api_opts[] = {
	{ "input-json", 'i', "FILE", 0, "the request body; - reads stdin "
	    "(default: {})" },
	{ NULL, 0, NULL, 0, NULL },
};

const struct cli_cmd cmd_misc_table[] = {
	{ "metrics test", "--regex REGEX [--name NAME] [FILE]",
	    "Show what a metric definition captures from a log (FILE or "
	    "stdin), exactly as a training job would scrape it; no daemon "
	    "needed.", mt_opts, NULL, cmd_metrics_test,
	    "Lines split on newlines and carriage returns; every match is "
	    "printed in order. Exit status 1 if nothing matched.\n"
	    "\n"
	    "Example:\n"
	    "  tuner logs my-job | tuner metrics test -r ' val_loss: ([0-9.]+)'",
	    NULL },
	{ "metrics show", "NAME",
	    "Print the metric series tunerd recorded for a training job "
	    "(Tunerd.GetTrainingJobMetrics).", NULL, NULL, cmd_metrics_show,
	    NULL, NULL },
	{ "api", "OPERATION [JSON | --input-json FILE|-]",
	    "Call any operation with a raw JSON request and print the raw "
	    "response.", api_opts, NULL, cmd_api,
	    "OPERATION is a SageMaker operation (DescribeTrainingJob) or a "
	    "target with its service (Tunerd.GetTrainingJobLogs). Errors go to "
	    "stderr as __type: message, with exit status 4.\n"
	    "\n"
	    "Example:\n"
	    "  tuner api DescribeTrainingJob '{\"TrainingJobName\": \"x\"}'",
	    NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};
