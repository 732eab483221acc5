/*
 * cmd_tune.c - the hyperparameter tuning commands: tune, trials, best,
 * ask, tell (and the tuning half of describe).
 *
 * Owns cmd_tune_table, the live progress display of `tune --wait` and the
 * analytics table of `trials` (the columns of the SageMaker SDK's
 * HyperparameterTuningJobAnalytics.dataframe()). Talks to tunerd only
 * through api_call(); the training definition comes from jobdef.c.
 */
#include <math.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "util.h"

#define TUNE_TARGET(op)	"SageMaker." op

static int
tune_terminal(const char *s)
{
	return s != NULL && (strcmp(s, "Completed") == 0 ||
	    strcmp(s, "Failed") == 0 || strcmp(s, "Stopped") == 0 ||
	    strcmp(s, "Deleted") == 0);
}

int
cmd_describe_tuning_raw(struct cli *c, const char *name, cJSON **out)
{
	cJSON *req = cJSON_CreateObject();
	int rc;

	cJSON_AddStringToObject(req, "HyperParameterTuningJobName", name);
	rc = api_call(c, TUNE_TARGET("DescribeHyperParameterTuningJob"), req,
	    out, NULL);
	cJSON_Delete(req);
	return rc;
}

static void
row_num(struct out_table *t, const char *k, double v, enum out_kind kind)
{
	size_t r;

	if (isnan(v))
		return;
	r = out_table_add_row(t);
	out_set_str(t, r, 0, k);
	out_set_num(t, r, 1, v, kind);
}

/* "Range.lr" -> "0.001..0.2 Logarithmic" and the like. */
static void
ranges_rows(struct out_table *t, const cJSON *ranges)
{
	static const char *const kinds[] = {
		"IntegerParameterRanges", "ContinuousParameterRanges",
		"CategoricalParameterRanges",
	};
	const cJSON *r, *v;
	struct buf b = {0};
	char key[300];
	size_t k;

	for (k = 0; k < 3; k++) {
		cJSON_ArrayForEach(r, cli_jpath(ranges, kinds[k])) {
			buf_reset(&b);
			if (k < 2)
				buf_printf(&b, "%s %s..%s%s%s", k == 0 ? "integer" :
				    "continuous", cli_jstr(r, "MinValue") ?: "?",
				    cli_jstr(r, "MaxValue") ?: "?",
				    cli_jstr(r, "ScalingType") ? " " : "",
				    cli_jstr(r, "ScalingType") ?: "");
			else {
				buf_puts(&b, "categorical {");
				cJSON_ArrayForEach(v, cli_jpath(r, "Values")) {
					buf_puts(&b, cJSON_IsString(v) ?
					    v->valuestring : "?");
					if (v->next != NULL)
						buf_puts(&b, ", ");
				}
				buf_puts(&b, "}");
			}
			snprintf(key, sizeof(key), "Range.%s",
			    cli_jstr(r, "Name") ?: "?");
			out_table_kv(t, key, b.data);
		}
	}
	buf_free(&b);
}

void
cmd_tuning_describe_table(const cJSON *d, struct out_table *t)
{
	const cJSON *cfg = cli_jpath(d, "HyperParameterTuningJobConfig");
	const cJSON *obj = cli_jpath(cfg, "HyperParameterTuningJobObjective");
	const cJSON *best = cli_jpath(d, "BestTrainingJob"), *m;
	const cJSON *cnt = cli_jpath(d, "TrainingJobStatusCounters");
	char key[300];

	out_table_kv(t, "HyperParameterTuningJobName",
	    cli_jstr(d, "HyperParameterTuningJobName"));
	out_table_kv(t, "HyperParameterTuningJobStatus",
	    cli_jstr(d, "HyperParameterTuningJobStatus"));
	out_table_kv(t, "FailureReason", cli_jstr(d, "FailureReason"));
	out_table_kv(t, "Strategy", cli_jstr(cfg, "Strategy"));
	out_table_kv(t, "Objective.MetricName", cli_jstr(obj, "MetricName"));
	out_table_kv(t, "Objective.Type", cli_jstr(obj, "Type"));
	row_num(t, "MaxNumberOfTrainingJobs", cli_jnum(cli_jpath(cfg,
	    "ResourceLimits"), "MaxNumberOfTrainingJobs"), CELL_NUM);
	row_num(t, "MaxParallelTrainingJobs", cli_jnum(cli_jpath(cfg,
	    "ResourceLimits"), "MaxParallelTrainingJobs"), CELL_NUM);
	ranges_rows(t, cli_jpath(cfg, "ParameterRanges"));
	cJSON_ArrayForEach(m, cnt) {
		snprintf(key, sizeof(key), "TrainingJobStatusCounters.%s",
		    m->string);
		row_num(t, key, cJSON_IsNumber(m) ? m->valuedouble : NAN,
		    CELL_NUM);
	}
	out_table_kv(t, "BestTrainingJob", cli_jstr(best, "TrainingJobName"));
	row_num(t, "BestObjectiveValue", cli_jnum(cli_jpath(best,
	    "FinalHyperParameterTuningJobObjectiveMetric"), "Value"), CELL_NUM);
	row_num(t, "CreationTime", cli_jnum(d, "CreationTime"), CELL_TIME);
	row_num(t, "HyperParameterTuningEndTime", cli_jnum(d,
	    "HyperParameterTuningEndTime"), CELL_TIME);
}

/* --- tune -------------------------------------------------------------- */

/* Is name among the definition's MetricDefinitions? */
static int
tune_has_metric(const cJSON *def, const char *name)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, cli_jpath(def,
	    "AlgorithmSpecification.MetricDefinitions"))
		if (cli_jstr(m, "Name") != NULL &&
		    strcmp(cli_jstr(m, "Name"), name) == 0)
			return 1;
	return 0;
}

static int
tune_long(struct cli *c, const struct cli_args *a, const char *opt, long min,
    long max, long *out)
{
	const char *v = opt_get(a, opt);

	if (v == NULL)
		return 0;
	if (td_parse_long(v, min, max, out) != 0)
		return cli_usage(c, "bad number \"%s\" (--%s): %ld to %ld", v, opt,
		    min, max);
	return 0;
}

static int
tune_config(struct cli *c, const struct cli_args *a, cJSON *cfg,
    const cJSON *def)
{
	const char **v, *strategy = opt_get(a, "strategy");
	long max_jobs = 10, max_par = 1, seed = -1;
	cJSON *ranges, *obj = NULL, *lim;
	char err[256];
	size_t n, i;
	int rc;

	if (strategy == NULL)
		strategy = "Bayesian";
	else if (strcasecmp(strategy, "bayesian") == 0)
		strategy = "Bayesian";
	else if (strcasecmp(strategy, "random") == 0)
		strategy = "Random";
	else if (strcasecmp(strategy, "grid") == 0)
		strategy = "Grid";
	else if (strcasecmp(strategy, "hyperband") == 0)
		strategy = "Hyperband";
	else
		return cli_usage(c, "unknown strategy \"%s\" (--strategy): "
		    "Bayesian, Random, Grid or Hyperband", strategy);
	cJSON_AddStringToObject(cfg, "Strategy", strategy);
	if ((v = opt_all(a, "param", &n)) == NULL)
		return cli_usage(c, "no parameter to tune: give --param at "
		    "least once");
	ranges = cJSON_AddObjectToObject(cfg, "ParameterRanges");
	for (i = 0; i < n; i++)
		if (spec_add_param(ranges, v[i], err, sizeof(err)) != 0)
			return cli_usage(c, "bad parameter \"%s\" (--param): %s",
			    v[i], err);
	if (opt_get(a, "objective") == NULL)
		return cli_usage(c, "no objective: give --objective "
		    "METRIC:min|max");
	if (spec_objective(opt_get(a, "objective"), &obj, err, sizeof(err)) != 0)
		return cli_usage(c, "bad objective \"%s\" (--objective): %s",
		    opt_get(a, "objective"), err);
	if (!tune_has_metric(def, cli_jstr(obj, "MetricName") ?: "")) {
		rc = cli_usage(c, "objective metric \"%s\" has no definition: "
		    "add --metric %s=REGEX", cli_jstr(obj, "MetricName") ?: "",
		    cli_jstr(obj, "MetricName") ?: "NAME");
		cJSON_Delete(obj);
		return rc;
	}
	cJSON_AddItemToObject(cfg, "HyperParameterTuningJobObjective", obj);
	if ((rc = tune_long(c, a, "max-jobs", 1, 10000, &max_jobs)) != 0 ||
	    (rc = tune_long(c, a, "max-parallel", 1, 1000, &max_par)) != 0 ||
	    (rc = tune_long(c, a, "seed", 0, 2147483647L, &seed)) != 0)
		return rc;
	lim = cJSON_AddObjectToObject(cfg, "ResourceLimits");
	/* Grid runs every combination unless a limit is given. */
	if (strcmp(strategy, "Grid") != 0 || opt_get(a, "max-jobs") != NULL)
		cJSON_AddNumberToObject(lim, "MaxNumberOfTrainingJobs",
		    (double)max_jobs);
	cJSON_AddNumberToObject(lim, "MaxParallelTrainingJobs", (double)max_par);
	if (seed >= 0)
		cJSON_AddNumberToObject(cfg, "RandomSeed", (double)seed);
	return 0;
}

/* The flag form: builds the whole request. */
static int
tune_from_flags(struct cli *c, const struct cli_args *a, cJSON *req,
    char *base, size_t baselen)
{
	cJSON *def, *cfg;
	int rc;

	def = cJSON_AddObjectToObject(req, "TrainingJobDefinition");
	if ((rc = cmd_jobdef_build(c, a, def, "StaticHyperParameters", NULL, 0,
	    base, baselen)) != 0)
		return rc;
	cfg = cJSON_CreateObject();
	cJSON_AddItemToObject(req, "HyperParameterTuningJobConfig", cfg);
	return tune_config(c, a, cfg, def);
}

/*
 * A relative channel path in a config file means a path next to the file:
 * rewrite it to an absolute file:// URI so the request is the same from any
 * working directory (tunerd itself only takes absolute paths).
 */
static void
resolve_channels(cJSON *def, const char *file)
{
	cJSON *ch, *uri;
	char *dir = strdup(file), *slash, abs[PATH_MAX];
	struct buf b = {0};

	if (dir == NULL)
		return;
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	else
		snprintf(dir, strlen(dir) + 1, ".");
	cJSON_ArrayForEach(ch, cJSON_GetObjectItem(def, "InputDataConfig")) {
		uri = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
		    ch, "DataSource"), "S3DataSource"), "S3Uri");
		if (!cJSON_IsString(uri) || uri->valuestring[0] == '/' ||
		    strstr(uri->valuestring, "://") != NULL)
			continue;
		buf_reset(&b);
		buf_printf(&b, "%s/%s", dir, uri->valuestring);
		if (realpath(b.data, abs) == NULL)
			continue;	/* tunerd will name the missing path */
		buf_reset(&b);
		buf_printf(&b, "file://%s", abs);
		cJSON_SetValuestring(uri, b.data);
	}
	buf_free(&b);
	free(dir);
}

/* The --config form: the request from a file; only --name may change it. */
static int
tune_from_config(struct cli *c, const struct cli_args *a, cJSON **req)
{
	static const char *const flags[] = {
		"param", "objective", "max-jobs", "max-parallel", "strategy",
		"seed", "entry-point", "builtin", "channel", "hyperparameter",
		"metric", "env", "source-dir", "runtime", "max-runtime",
		"output-path", "retries", NULL,
	};
	const char *file = opt_get(a, "config"), *end = NULL;
	char *data = NULL;
	size_t i;
	int rc;

	for (i = 0; flags[i] != NULL; i++)
		if (opt_count(a, flags[i]) > 0)
			return cli_usage(c, "--%s cannot be combined with "
			    "--config (edit the file instead)", flags[i]);
	if ((rc = cli_read_input(file, "the tuning request", &data, NULL)) != 0)
		return rc;
	*req = cJSON_ParseWithOpts(data, &end, 1);
	free(data);
	if (!cJSON_IsObject(*req)) {
		cli_err("bad tuning request (%s): %s", file, *req == NULL ?
		    "not valid JSON" : "not a JSON object");
		cJSON_Delete(*req);
		*req = NULL;
		return CLI_USAGE;
	}
	if (strcmp(file, "-") != 0) {
		cJSON *defs = cJSON_GetObjectItem(*req, "TrainingJobDefinitions"), *d;

		resolve_channels(cJSON_GetObjectItem(*req, "TrainingJobDefinition"),
		    file);
		cJSON_ArrayForEach(d, defs)
			resolve_channels(d, file);
	}
	return 0;
}

struct tune_view {
	double	*best;		/* running best objective per finished trial */
	size_t	 nbest;
	long	 last_done;	/* finished trials when best[] was computed */
	int	 drawn;		/* lines on screen to redraw over */
	char	 last[512];	/* the last plain progress line */
};

/* Recomputes the running-best series from the trial list, in end order. */
static int
tune_series(struct cli *c, const char *name, int minimize,
    struct tune_view *v)
{
	cJSON *req = cJSON_CreateObject(), *all = NULL, *it;
	double best = NAN, x;
	size_t n = 0;
	int rc;

	cJSON_AddStringToObject(req, "HyperParameterTuningJobName", name);
	rc = cmd_list_all(c, TUNE_TARGET(
	    "ListTrainingJobsForHyperParameterTuningJob"), req,
	    "TrainingJobSummaries", 0, &all);
	cJSON_Delete(req);
	if (rc != 0)
		return rc;
	free(v->best);
	v->best = calloc((size_t)cJSON_GetArraySize(all) + 1, sizeof(double));
	/* Order by end time: a simple pass per slot keeps this short. */
	{
		size_t cnt = (size_t)cJSON_GetArraySize(all), i, j;
		double *ends = calloc(cnt + 1, sizeof(double));
		double *vals = calloc(cnt + 1, sizeof(double));

		i = 0;
		cJSON_ArrayForEach(it, all) {
			ends[i] = cli_jnum(it, "TrainingEndTime");
			vals[i++] = cli_jnum(cli_jpath(it,
			    "FinalHyperParameterTuningJobObjectiveMetric"),
			    "Value");
		}
		for (i = 1; i < cnt; i++)
			for (j = i; j > 0 && ends[j - 1] > ends[j]; j--) {
				x = ends[j]; ends[j] = ends[j - 1]; ends[j - 1] = x;
				x = vals[j]; vals[j] = vals[j - 1]; vals[j - 1] = x;
			}
		for (i = 0; i < cnt; i++) {
			if (isnan(ends[i]) || isnan(vals[i]))
				continue;
			if (isnan(best) || (minimize ? vals[i] < best :
			    vals[i] > best))
				best = vals[i];
			v->best[n++] = best;
		}
		free(ends);
		free(vals);
	}
	v->nbest = n;
	cJSON_Delete(all);
	return 0;
}

static void
tune_draw(struct cli *c, const cJSON *d, struct tune_view *v, double t0)
{
	const cJSON *cnt = cli_jpath(d, "TrainingJobStatusCounters");
	const cJSON *best = cli_jpath(d, "BestTrainingJob");
	const char *metric = cli_jstr(cli_jpath(d, "HyperParameterTuningJobConfig."
	    "HyperParameterTuningJobObjective"), "MetricName");
	const char *type = cli_jstr(cli_jpath(d, "HyperParameterTuningJobConfig."
	    "HyperParameterTuningJobObjective"), "Type");
	double max = cli_jnum(cli_jpath(d,
	    "HyperParameterTuningJobConfig.ResourceLimits"),
	    "MaxNumberOfTrainingJobs");
	double done = cli_jnum(cnt, "Completed"), run = cli_jnum(cnt, "InProgress");
	double failed = cli_jnum(cnt, "NonRetryableError") +
	    cli_jnum(cnt, "RetryableError");
	double stopped = cli_jnum(cnt, "Stopped");
	double bv = cli_jnum(cli_jpath(best,
	    "FinalHyperParameterTuningJobObjectiveMetric"), "Value");
	struct buf l1 = {0}, l2 = {0};
	char num[64], el[32], mx[32];

	if (isnan(failed))
		failed = 0;
	if (isnan(stopped))
		stopped = 0;
	if (isnan(done))
		done = 0;
	if (isnan(run))
		run = 0;
	if (isnan(max))
		snprintf(mx, sizeof(mx), "?");
	else
		snprintf(mx, sizeof(mx), "%.0f", max);
	out_duration(td_now() - t0, el, sizeof(el));
	buf_printf(&l1, "%s %s: %.0f/%s done, %.0f running", cli_jstr(d,
	    "HyperParameterTuningJobName") ?: "?",
	    cli_jstr(d, "HyperParameterTuningJobStatus") ?: "?",
	    done + failed + stopped, mx, run);
	if (failed > 0)
		buf_printf(&l1, ", %.0f failed", failed);
	if (stopped > 0)
		buf_printf(&l1, ", %.0f stopped", stopped);
	if (!isnan(bv)) {
		out_num(bv, num, sizeof(num));
		buf_printf(&l2, "best %s=%s (%s)", metric ?: "objective", num,
		    cli_jstr(best, "TrainingJobName") ?: "?");
	}
	if (c->tty_err) {
		if (v->drawn > 0)
			fprintf(stderr, "\033[%dA", v->drawn);
		fprintf(stderr, "\r\033[K%s  %s\n", l1.data, el);
		fprintf(stderr, "\r\033[K%s", l2.data ? l2.data : "best: -");
		if (v->nbest > 0) {
			struct buf sp = {0};

			out_sparkline(v->best, v->nbest, 40, type != NULL &&
			    strcmp(type, "Minimize") == 0, &sp);
			fprintf(stderr, "  %s", sp.data);
			buf_free(&sp);
		}
		fputc('\n', stderr);
		fflush(stderr);
		v->drawn = 2;
	} else {
		if (l2.data != NULL)
			buf_printf(&l1, ", %s", l2.data);
		if (strcmp(l1.data, v->last) != 0) {
			cli_err("%s", l1.data);
			snprintf(v->last, sizeof(v->last), "%s", l1.data);
		}
	}
	buf_free(&l1);
	buf_free(&l2);
}

static int
tune_wait(struct cli *c, const char *name)
{
	struct tune_view v;
	double t0 = td_now(), done;
	cJSON *d = NULL;
	const char *st, *type;
	unsigned int delay = 100;
	int rc;

	memset(&v, 0, sizeof(v));
	v.last_done = -1;
	for (;;) {
		if ((rc = cmd_describe_tuning_raw(c, name, &d)) != 0)
			break;
		st = cli_jstr(d, "HyperParameterTuningJobStatus");
		type = cli_jstr(cli_jpath(d, "HyperParameterTuningJobConfig."
		    "HyperParameterTuningJobObjective"), "Type");
		done = cli_jnum(cli_jpath(d, "TrainingJobStatusCounters"),
		    "Completed");
		if (!c->quiet && c->tty_err && !isnan(done) &&
		    (long)done != v.last_done) {
			if ((rc = tune_series(c, name, type == NULL ||
			    strcmp(type, "Maximize") != 0, &v)) != 0)
				break;
			v.last_done = (long)done;
		}
		if (!c->quiet)
			tune_draw(c, d, &v, t0);
		if (tune_terminal(st)) {
			const cJSON *best = cli_jpath(d, "BestTrainingJob");
			char num[64], el[32];

			out_num(cli_jnum(cli_jpath(best,
			    "FinalHyperParameterTuningJobObjectiveMetric"),
			    "Value"), num, sizeof(num));
			out_duration(td_now() - t0, el, sizeof(el));
			if (!c->quiet || strcmp(st, "Completed") != 0)
				cli_err("tuning job %s %s after %s%s%s%s%s%s%s",
				    name, st, el, best ? "; best " : "",
				    best ? cli_jstr(best, "TrainingJobName") ?: "?" : "",
				    best ? " " : "", best ? num : "",
				    cli_jstr(d, "FailureReason") ? ": " : "",
				    cli_jstr(d, "FailureReason") ?: "");
			rc = strcmp(st, "Completed") == 0 ? CLI_OK : CLI_FAIL;
			break;
		}
		cJSON_Delete(d);
		d = NULL;
		/* As tuner wait: soon at first, then once a second. */
		cli_sleep_ms(delay);
		delay = delay * 2 > 1000 ? 1000 : delay * 2;
	}
	cJSON_Delete(d);
	free(v.best);
	return rc;
}

static int
cmd_tune(struct cli *c, struct cli_args *a)
{
	char base[64] = "", name[64];
	cJSON *req = NULL, *resp = NULL;
	const char *given;
	int rc;

	if (a->npos > 0 || a->has_rest)
		return cli_usage(c, "unexpected argument \"%s\"", a->npos ?
		    a->pos[0] : "--");
	if (opt_get(a, "config") != NULL)
		rc = tune_from_config(c, a, &req);
	else {
		req = cJSON_CreateObject();
		rc = tune_from_flags(c, a, req, base, sizeof(base));
	}
	if (rc != 0) {
		cJSON_Delete(req);
		return rc;
	}
	if ((given = opt_get(a, "name")) != NULL)
		snprintf(name, sizeof(name), "%s", given);
	else if ((given = cli_jstr(req, "HyperParameterTuningJobName")) != NULL)
		snprintf(name, sizeof(name), "%s", given);
	else
		spec_tuning_name_from_base(base[0] ? base : "tuning", td_now(),
		    name, sizeof(name));
	cJSON_DeleteItemFromObjectCaseSensitive(req,
	    "HyperParameterTuningJobName");
	cJSON_AddStringToObject(req, "HyperParameterTuningJobName", name);
	rc = api_call(c, TUNE_TARGET("CreateHyperParameterTuningJob"), req,
	    &resp, NULL);
	cJSON_Delete(req);
	cJSON_Delete(resp);
	if (rc != 0)
		return rc;
	printf("%s\n", name);
	fflush(stdout);
	if (opt_count(a, "wait") == 0)
		return CLI_OK;
	return tune_wait(c, name);
}

/* --- trials ------------------------------------------------------------ */

static const char *const trial_cols[] = {
	"TrainingJobName", "TrainingJobStatus", "FinalObjectiveValue",
	"TrainingStartTime", "TrainingEndTime", "TrainingElapsedTimeSeconds",
};

/* The hyperparameter names over all summaries, sorted. */
static void
trials_hp_cols(const cJSON *all, struct out_table *t)
{
	const cJSON *it, *hp;
	char **names = NULL, *tmp;
	size_t n = 0, i, j;

	cJSON_ArrayForEach(it, all) {
		cJSON_ArrayForEach(hp, cli_jpath(it, "TunedHyperParameters")) {
			for (i = 0; i < n && strcmp(names[i], hp->string) != 0; i++)
				;
			if (i < n)
				continue;
			names = realloc(names, (n + 1) * sizeof(*names));
			names[n++] = hp->string;
		}
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			tmp = names[j];
			names[j] = names[j - 1];
			names[j - 1] = tmp;
		}
	for (i = 0; i < n; i++)
		out_table_add_col(t, names[i]);
	free(names);
}

static void
trials_fill(const cJSON *all, struct out_table *t, size_t nhp)
{
	const cJSON *it, *hp;
	double x, s, e;
	size_t r, k;

	cJSON_ArrayForEach(it, all) {
		r = out_table_add_row(t);
		for (k = 0; k < nhp; k++) {
			hp = cJSON_GetObjectItemCaseSensitive(cli_jpath(it,
			    "TunedHyperParameters"), t->cols[k]);
			/* As the SDK: values that are numbers become numbers. */
			if (cJSON_IsString(hp) && td_parse_double(hp->valuestring,
			    &x) == 0)
				out_set_num(t, r, k, x, CELL_NUM);
			else
				out_set_json(t, r, k, hp, CELL_NUM);
		}
		out_set_json(t, r, nhp + 0, cli_jpath(it, "TrainingJobName"),
		    CELL_STR);
		out_set_json(t, r, nhp + 1, cli_jpath(it, "TrainingJobStatus"),
		    CELL_STR);
		out_set_json(t, r, nhp + 2, cli_jpath(it,
		    "FinalHyperParameterTuningJobObjectiveMetric.Value"),
		    CELL_NUM);
		s = cli_jnum(it, "TrainingStartTime");
		e = cli_jnum(it, "TrainingEndTime");
		out_set_num(t, r, nhp + 3, s, CELL_TIME);
		out_set_num(t, r, nhp + 4, e, CELL_TIME);
		/* Milliseconds, as the times are stored. */
		out_set_num(t, r, nhp + 5, round((e - s) * 1000.0) / 1000.0,
		    CELL_NUM);
	}
}

/* Footer: total training time and status counts, over every trial. */
static void
trials_footer(const struct out_table *t, size_t nhp, FILE *f)
{
	const char *names[8];
	size_t counts[8], nn = 0, r, i;
	double total = 0;
	char dur[32];

	for (r = 0; r < t->rows; r++) {
		const struct out_cell *st = &t->cells[r * t->ncols + nhp + 1];
		const struct out_cell *el = &t->cells[r * t->ncols + nhp + 5];
		const char *s = st->kind == CELL_STR ? st->s : "?";

		if (el->kind == CELL_NUM)
			total += el->num;
		for (i = 0; i < nn && strcmp(names[i], s) != 0; i++)
			;
		if (i == nn && nn < 8) {
			names[nn] = s;
			counts[nn++] = 0;
		}
		if (i < 8)
			counts[i]++;
	}
	out_duration(total, dur, sizeof(dur));
	fprintf(f, "\n%zu training job%s, %s of training", t->rows,
	    t->rows == 1 ? "" : "s", dur);
	for (i = 0; i < nn; i++)
		fprintf(f, "%s%s %zu", i ? ", " : "; ", names[i], counts[i]);
	fputc('\n', f);
}

static int
trials_sort(struct cli *c, const struct cli_args *a, struct out_table *t,
    const cJSON *desc, size_t nhp)
{
	const char *v = opt_get(a, "sort"), *colon;
	const char *type = cli_jstr(cli_jpath(desc, "HyperParameterTuningJobConfig."
	    "HyperParameterTuningJobObjective"), "Type");
	char col[256];
	long k = -1;
	size_t i;
	int descending;

	if (v == NULL) {
		out_table_sort(t, nhp + 2, type != NULL &&
		    strcmp(type, "Maximize") == 0);
		return 0;
	}
	colon = strrchr(v, ':');
	snprintf(col, sizeof(col), "%.*s", (int)(colon ? (size_t)(colon - v) :
	    strlen(v)), v);
	descending = colon != NULL && strcmp(colon + 1, "desc") == 0;
	if (colon != NULL && !descending && strcmp(colon + 1, "asc") != 0)
		return cli_usage(c, "bad sort order \"%s\" (--sort): asc or desc",
		    colon + 1);
	for (i = 0; i < t->ncols && k < 0; i++)
		if (strcasecmp(t->cols[i], col) == 0)
			k = (long)i;
	if (k < 0)
		return cli_usage(c, "no column \"%s\" to sort by (--sort)", col);
	out_table_sort(t, (size_t)k, descending);
	return 0;
}

static int
cmd_trials(struct cli *c, struct cli_args *a)
{
	cJSON *desc = NULL, *req, *all = NULL;
	struct out_table *t;
	const char *v;
	long top = 0;
	size_t nhp, k, keep;
	int rc;

	if (a->npos != 1)
		return cli_usage(c, "expected one tuning job name");
	if ((v = opt_get(a, "top")) != NULL && td_parse_long(v, 1, 1000000,
	    &top) != 0)
		return cli_usage(c, "bad count \"%s\" (--top)", v);
	if ((rc = cmd_describe_tuning_raw(c, a->pos[0], &desc)) != 0)
		return rc;
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "HyperParameterTuningJobName", a->pos[0]);
	rc = cmd_list_all(c, TUNE_TARGET(
	    "ListTrainingJobsForHyperParameterTuningJob"), req,
	    "TrainingJobSummaries", 0, &all);
	cJSON_Delete(req);
	if (rc != 0) {
		cJSON_Delete(desc);
		return rc;
	}
	t = out_table_new(NULL, 0);
	trials_hp_cols(all, t);
	nhp = t->ncols;
	for (k = 0; k < 6; k++)
		out_table_add_col(t, trial_cols[k]);
	trials_fill(all, t, nhp);
	if ((rc = trials_sort(c, a, t, desc, nhp)) == 0) {
		/* --top prints the first rows; the footer still counts all. */
		keep = t->rows;
		if (top > 0 && (size_t)top < t->rows)
			t->rows = (size_t)top;
		out_table_print(t, c->fmt, stdout);
		t->rows = keep;
		if (c->fmt == OUT_TABLE)
			trials_footer(t, nhp, stdout);
	}
	out_table_free(t);
	cJSON_Delete(all);
	cJSON_Delete(desc);
	return rc;
}

/* --- best -------------------------------------------------------------- */

static int
cmd_best(struct cli *c, struct cli_args *a)
{
	static const char *const cols[] = { "FIELD", "VALUE" };
	const cJSON *best, *hp;
	struct out_table *t;
	cJSON *d = NULL;
	char key[300];
	int rc;

	if (a->npos != 1)
		return cli_usage(c, "expected one tuning job name");
	if ((rc = cmd_describe_tuning_raw(c, a->pos[0], &d)) != 0)
		return rc;
	if ((best = cli_jpath(d, "BestTrainingJob")) == NULL) {
		cli_err("tuning job %s has no best training job yet (status %s)",
		    a->pos[0], cli_jstr(d, "HyperParameterTuningJobStatus") ?: "?");
		cJSON_Delete(d);
		return CLI_FAIL;
	}
	if (c->fmt == OUT_JSON) {
		out_json(best, stdout);
		cJSON_Delete(d);
		return CLI_OK;
	}
	t = out_table_new(cols, 2);
	out_table_kv(t, "TrainingJobName", cli_jstr(best, "TrainingJobName"));
	out_table_kv(t, "TrainingJobStatus", cli_jstr(best, "TrainingJobStatus"));
	out_table_kv(t, "ObjectiveMetric", cli_jstr(cli_jpath(best,
	    "FinalHyperParameterTuningJobObjectiveMetric"), "MetricName"));
	row_num(t, "FinalObjectiveValue", cli_jnum(cli_jpath(best,
	    "FinalHyperParameterTuningJobObjectiveMetric"), "Value"), CELL_NUM);
	cJSON_ArrayForEach(hp, cli_jpath(best, "TunedHyperParameters")) {
		snprintf(key, sizeof(key), "TunedHyperParameters.%s", hp->string);
		out_table_kv(t, key, cJSON_IsString(hp) ? hp->valuestring : NULL);
	}
	row_num(t, "TrainingStartTime", cli_jnum(best, "TrainingStartTime"),
	    CELL_TIME);
	row_num(t, "TrainingEndTime", cli_jnum(best, "TrainingEndTime"),
	    CELL_TIME);
	out_table_print(t, c->fmt, stdout);
	out_table_free(t);
	cJSON_Delete(d);
	return CLI_OK;
}

/* --- ask / tell -------------------------------------------------------- */

static int
cmd_ask(struct cli *c, struct cli_args *a)
{
	static const char *const cols[] = { "TrialName" };
	const char *v = opt_get(a, "count");
	cJSON *req, *resp = NULL;
	const cJSON *tr, *hp;
	struct out_table *t;
	long n = 1, col;
	size_t r;
	int rc;

	if (a->npos != 1)
		return cli_usage(c, "expected one tuning job name");
	if (v != NULL && td_parse_long(v, 1, 100, &n) != 0)
		return cli_usage(c, "bad count \"%s\" (-n): 1 to 100", v);
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "HyperParameterTuningJobName", a->pos[0]);
	cJSON_AddNumberToObject(req, "Count", (double)n);
	rc = api_call(c, "Tunerd.AskTuningJob", req, &resp, NULL);
	cJSON_Delete(req);
	if (rc != 0)
		return rc;
	if (c->fmt == OUT_JSON) {
		out_json(resp, stdout);
		cJSON_Delete(resp);
		return CLI_OK;
	}
	t = out_table_new(cols, 1);
	cJSON_ArrayForEach(tr, cli_jpath(resp, "Trials")) {
		r = out_table_add_row(t);
		out_set_json(t, r, 0, cli_jpath(tr, "TrialName"), CELL_STR);
		cJSON_ArrayForEach(hp, cli_jpath(tr, "HyperParameters")) {
			if ((col = out_table_col(t, hp->string)) < 0)
				col = (long)out_table_add_col(t, hp->string);
			out_set_json(t, r, (size_t)col, hp, CELL_STR);
		}
	}
	out_table_print(t, c->fmt, stdout);
	out_table_free(t);
	cJSON_Delete(resp);
	return CLI_OK;
}

static int
cmd_tell(struct cli *c, struct cli_args *a)
{
	int failed = opt_count(a, "failed") > 0;
	const char *reason = opt_get(a, "reason");
	cJSON *req, *resp = NULL;
	double value = 0;
	int rc;

	if (a->npos != (failed ? 2u : 3u))
		return cli_usage(c, failed ? "expected TUNING TRIAL with --failed" :
		    "expected TUNING TRIAL VALUE (or --failed)");
	if (!failed && td_parse_double(a->pos[2], &value) != 0)
		return cli_usage(c, "bad objective value \"%s\": a finite number",
		    a->pos[2]);
	if (reason != NULL && !failed)
		return cli_usage(c, "--reason goes with --failed");
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "HyperParameterTuningJobName", a->pos[0]);
	cJSON_AddStringToObject(req, "TrialName", a->pos[1]);
	if (failed) {
		cJSON_AddTrueToObject(req, "Failed");
		if (reason != NULL)
			cJSON_AddStringToObject(req, "FailureReason", reason);
	} else
		cJSON_AddNumberToObject(req, "ObjectiveValue", value);
	rc = api_call(c, "Tunerd.TellTuningJob", req, &resp, NULL);
	cJSON_Delete(req);
	if (rc == 0 && c->fmt == OUT_JSON)
		out_json(resp, stdout);
	cJSON_Delete(resp);
	return rc;
}

/* --- the table --------------------------------------------------------- */

static const struct cli_opt tune_opts[] = {
	{ "name", 'n', "NAME", 0, "the tuning job's name, at most 32 "
	    "characters (default: BASE-yymmdd-HHMMSS)" },
	{ "config", 'c', "FILE", 0, "the whole CreateHyperParameterTuningJob "
	    "request as JSON (- reads stdin), as in the AWS documentation; "
	    "only --name and --wait may be added. A relative channel S3Uri "
	    "(\"data/train\") is a path next to FILE" },
	{ "param", 'p', "SPEC", OPT_MULTI, "a parameter to tune (repeatable): "
	    "NAME=MIN:MAX[:int][:log|revlog|linear] for a continuous (or, with "
	    ":int, integer) range, NAME=cat:V1,V2,... for a categorical one" },
	{ "objective", 0, "METRIC:min|max", 0, "the metric to minimise or "
	    "maximise; it needs a --metric definition (built-ins define loss "
	    "and val_loss)" },
	{ "max-jobs", 0, "N", 0, "MaxNumberOfTrainingJobs (default 10; Grid: "
	    "every combination)" },
	{ "max-parallel", 0, "N", 0, "MaxParallelTrainingJobs (default 1)" },
	{ "strategy", 0, "NAME", 0, "Bayesian (default), Random, Grid or "
	    "Hyperband" },
	{ "seed", 0, "N", 0, "RandomSeed, for a reproducible search" },
	{ "wait", 'w', NULL, 0, "follow the tuning job until it ends: a live "
	    "display on a terminal (trials done, running, best so far and a "
	    "sparkline of the best objective), progress lines otherwise; exit "
	    "1 unless it Completed" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_opt trials_opts[] = {
	{ "sort", 0, "COLUMN[:asc|desc]", 0, "sort by any column (default: "
	    "FinalObjectiveValue, best first)" },
	{ "top", 0, "K", 0, "show the first K rows only" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_opt ask_opts[] = {
	{ "count", 'n', "N", 0, "how many trials to ask for (1 to 100, "
	    "default 1)" },
	{ NULL, 0, NULL, 0, NULL },
};

static const struct cli_opt tell_opts[] = {
	{ "failed", 0, NULL, 0, "the trial failed; no value is given" },
	{ "reason", 0, "TEXT", 0, "why it failed (with --failed)" },
	{ NULL, 0, NULL, 0, NULL },
};

const struct cli_cmd cmd_tune_table[] = {
	{ "tune", "[options] (--config FILE | --param SPEC... --objective "
	    "M:min|max ...)",
	    "Start a hyperparameter tuning job.", tune_opts, cmd_jobdef_opts,
	    cmd_tune,
	    "Prints the tuning job's name. The training job definition takes "
	    "the same flags as tuner train (no --command: SageMaker's tuning "
	    "shape has no entrypoint); -H values become "
	    "StaticHyperParameters.\n"
	    "\n"
	    "Example (the Boston Housing notebook's search):\n"
	    "  tuner tune --entry-point train.py --channel train=data/train \\\n"
	    "      --channel test=data/test \\\n"
	    "      --metric 'val_loss= val_loss: ([0-9\\.]+)' "
	    "--objective val_loss:min \\\n"
	    "      --param learning_rate=0.001:0.2:log --param "
	    "epochs=10:50:int \\\n"
	    "      --param batch_size=cat:16,32,64 --max-jobs 15 "
	    "--max-parallel 5 --wait",
	    "Training job definition" },
	{ "trials", "[--sort COL] [--top K] TUNING",
	    "The tuning job's training jobs as a table: one column per tuned "
	    "hyperparameter, then TrainingJobName, TrainingJobStatus, "
	    "FinalObjectiveValue, TrainingStartTime, TrainingEndTime, "
	    "TrainingElapsedTimeSeconds (the SDK's "
	    "HyperparameterTuningJobAnalytics.dataframe()).", trials_opts, NULL,
	    cmd_trials,
	    "The table ends with the total training time and the count of "
	    "each status.", NULL },
	{ "best", "TUNING",
	    "The best training job of a tuning job so far (BestTrainingJob).",
	    NULL, NULL, cmd_best, NULL, NULL },
	{ "ask", "[-n N] TUNING",
	    "Ask a tuning job without a training definition for trials to run "
	    "yourself (Tunerd.AskTuningJob).", ask_opts, NULL, cmd_ask,
	    "Run each trial however you like, then report it with tuner tell.",
	    NULL },
	{ "tell", "TUNING TRIAL (VALUE | --failed [--reason TEXT])",
	    "Report the objective value of an asked trial, or its failure "
	    "(Tunerd.TellTuningJob).", tell_opts, NULL, cmd_tell, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};
