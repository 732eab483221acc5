/*
 * optbench-direct.c - td-optbench-direct: the optbench JSON-lines adapter
 * that calls the search library directly (no daemon).
 *
 * Owns one run: reads the setup line, answers every {"ask": n} with n
 * suggestions from search_suggest() and records every {"tell": ...}.
 * stdout carries protocol lines only (flushed per line); diagnostics go to
 * stderr. Usage: td-optbench-direct [--strategy Bayesian|Random|Grid]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <cjson/cJSON.h>

#include "search.h"

struct run {
	struct search_space	 sp;
	struct search_param	*params;
	char			**strs;		/* owned strings */
	size_t			 n_strs;
	int			 maximize;
	uint64_t		 seed, seq;
	double			*X;		/* observations, n_obs * dim */
	double			*Y;
	size_t			 n_obs, cap;
	enum search_strategy	 strategy;
	double			 ask_s;
};

static void
die(const char *msg)
{
	fprintf(stderr, "td-optbench-direct: %s\n", msg);
	exit(1);
}

static char *
keep(struct run *r, const char *s)
{
	char *c = strdup(s);

	r->strs = realloc(r->strs, (r->n_strs + 1) * sizeof(*r->strs));
	if (c == NULL || r->strs == NULL)
		die("out of memory");
	r->strs[r->n_strs++] = c;
	return c;
}

static double
num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char *end;
	double x;

	if (cJSON_IsNumber(v))
		return v->valuedouble;
	if (!cJSON_IsString(v))
		die("range bound missing");
	x = strtod(v->valuestring, &end);
	if (*end != '\0')
		die("bad range bound");
	return x;
}

static void
add_ranges(struct run *r, const cJSON *space, const char *key,
    enum search_kind kind)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(space, key), *it;

	cJSON_ArrayForEach(it, arr) {
		struct search_param *p;
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "Name");
		const cJSON *sc = cJSON_GetObjectItemCaseSensitive(it,
		    "ScalingType");

		r->params = realloc(r->params, (r->sp.n + 1) * sizeof(*p));
		if (r->params == NULL)
			die("out of memory");
		p = &r->params[r->sp.n++];
		memset(p, 0, sizeof(*p));
		if (!cJSON_IsString(name))
			die("range without a Name");
		p->name = keep(r, name->valuestring);
		p->kind = kind;
		if (kind == SEARCH_CATEGORICAL) {
			const cJSON *vals = cJSON_GetObjectItemCaseSensitive(it,
			    "Values"), *v;
			const char **vv;
			size_t k = 0;

			vv = calloc((size_t)cJSON_GetArraySize(vals) + 1,
			    sizeof(*vv));
			if (vv == NULL)
				die("out of memory");
			cJSON_ArrayForEach(v, vals) {
				if (!cJSON_IsString(v))
					die("categorical value is not a string");
				vv[k++] = keep(r, v->valuestring);
			}
			p->values = vv;
			p->n_values = k;
			continue;
		}
		p->lo = num(it, "MinValue");
		p->hi = num(it, "MaxValue");
		p->scale = SEARCH_AUTO;
		if (cJSON_IsString(sc) &&
		    search_scale_parse(sc->valuestring, &p->scale) != 0)
			die("unknown ScalingType");
	}
}

static cJSON *
point_json(const struct run *r, const double *x)
{
	cJSON *o = cJSON_CreateObject();
	char buf[256];
	size_t i;

	for (i = 0; i < r->sp.n; i++) {
		const struct search_param *p = &r->params[i];
		cJSON *v;

		if (search_format_value(&r->sp, i, x[i], buf, sizeof(buf)) != 0)
			die("cannot format a suggestion");
		v = p->kind == SEARCH_CATEGORICAL ? cJSON_CreateString(buf) :
		    cJSON_CreateRaw(buf);
		cJSON_AddItemToObject(o, p->name, v);
	}
	return o;
}

static void
do_ask(struct run *r, size_t n)
{
	struct search_obs *obs = calloc(r->n_obs + 1, sizeof(*obs));
	double *out = calloc(n * r->sp.n, sizeof(double));
	struct timespec t0, t1;
	cJSON *arr;
	char *s;
	size_t i;
	int rc;

	if (obs == NULL || out == NULL)
		die("out of memory");
	for (i = 0; i < r->n_obs; i++) {
		obs[i].x = r->X + i * r->sp.n;
		obs[i].y = r->Y[i];
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = search_suggest(r->strategy, &r->sp, r->seed, r->seq, obs,
	    r->n_obs, NULL, 0, n, out);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->ask_s += (double)(t1.tv_sec - t0.tv_sec) +
	    1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
	if (rc < 0) {
		fprintf(stderr, "search_suggest: %d\n", rc);
		die("search_suggest failed");
	}
	if (rc == SEARCH_REPEATED)
		fprintf(stderr, "note: the space is exhausted; repeating\n");
	r->seq += n;
	arr = cJSON_CreateArray();
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, point_json(r, out + i * r->sp.n));
	s = cJSON_PrintUnformatted(arr);
	if (s == NULL)
		die("out of memory");
	fputs(s, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	free(s);
	cJSON_Delete(arr);
	free(obs);
	free(out);
}

static void
do_tell(struct run *r, const cJSON *list)
{
	const cJSON *it;
	char buf[64];
	size_t i;

	cJSON_ArrayForEach(it, list) {
		const cJSON *params = cJSON_GetArrayItem(it, 0);
		const cJSON *val = cJSON_GetArrayItem(it, 1);
		double *x;

		if (r->n_obs == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 64;
			r->X = realloc(r->X, r->cap * r->sp.n * sizeof(double));
			r->Y = realloc(r->Y, r->cap * sizeof(double));
			if (r->X == NULL || r->Y == NULL)
				die("out of memory");
		}
		x = r->X + r->n_obs * r->sp.n;
		for (i = 0; i < r->sp.n; i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(params,
			    r->params[i].name);
			const char *s;

			if (cJSON_IsString(v)) {
				s = v->valuestring;
			} else if (cJSON_IsNumber(v)) {
				snprintf(buf, sizeof(buf), "%.17g", v->valuedouble);
				s = buf;
			} else {
				die("tell: a parameter is missing");
			}
			if (search_parse_value(&r->sp, i, s, &x[i]) != 0)
				die("tell: a parameter value is invalid");
		}
		if (cJSON_IsNumber(val))
			r->Y[r->n_obs] = r->maximize ? -val->valuedouble :
			    val->valuedouble;
		else
			r->Y[r->n_obs] = NAN;
		r->n_obs++;
	}
}

int
main(int argc, char **argv)
{
	struct run r;
	char *line = NULL, err[256];
	size_t cap = 0, i;
	cJSON *msg, *v;
	int first = 1;

	memset(&r, 0, sizeof(r));
	r.strategy = SEARCH_BAYESIAN;
	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--strategy") == 0 && i + 1 < (size_t)argc) {
			if (search_strategy_parse(argv[++i], &r.strategy) != 0)
				die("unknown strategy");
		} else {
			die("usage: td-optbench-direct [--strategy NAME]");
		}
	}
	openblas_set_num_threads(1);
	while (getline(&line, &cap, stdin) > 0) {
		if ((msg = cJSON_Parse(line)) == NULL)
			die("bad JSON line");
		if (first) {
			const cJSON *space = cJSON_GetObjectItemCaseSensitive(msg,
			    "space");

			first = 0;
			add_ranges(&r, space, "ContinuousParameterRanges",
			    SEARCH_CONTINUOUS);
			add_ranges(&r, space, "IntegerParameterRanges",
			    SEARCH_INTEGER);
			add_ranges(&r, space, "CategoricalParameterRanges",
			    SEARCH_CATEGORICAL);
			r.sp.params = r.params;
			if (search_space_check(&r.sp, err, sizeof(err)) != 0)
				die(err);
			v = cJSON_GetObjectItemCaseSensitive(msg, "direction");
			r.maximize = cJSON_IsString(v) &&
			    strcmp(v->valuestring, "Maximize") == 0;
			v = cJSON_GetObjectItemCaseSensitive(msg, "seed");
			r.seed = cJSON_IsNumber(v) ? (uint64_t)v->valuedouble : 0;
		} else if ((v = cJSON_GetObjectItemCaseSensitive(msg, "ask")) !=
		    NULL && cJSON_IsNumber(v) && v->valuedouble >= 1) {
			do_ask(&r, (size_t)v->valuedouble);
		} else if ((v = cJSON_GetObjectItemCaseSensitive(msg, "tell")) !=
		    NULL) {
			do_tell(&r, v);
		} else {
			die("unknown message");
		}
		cJSON_Delete(msg);
	}
	fprintf(stderr, "td-optbench-direct: %s, %zu observations, "
	    "suggest time %.3f s\n", search_strategy_name(r.strategy), r.n_obs,
	    r.ask_s);
	free(line);
	return 0;
}
