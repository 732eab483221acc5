/*
 * spec.c - turning command-line words into pieces of SageMaker requests:
 * k=v pairs, job names, channel URIs, command words, parameter ranges and
 * the tuning objective.
 *
 * Pure: no I/O beyond what the caller passes in, no network, no globals,
 * so every rule here is unit-tested (tests/unit/test_client_spec.c). The
 * daemon validates again; these checks exist to fail early with a message
 * that names the flag.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "err.h"
#include "util.h"

int
spec_split_kv(const char *s, char **key, char **value)
{
	const char *eq = strchr(s, '=');

	*key = *value = NULL;
	if (eq == NULL || eq == s)
		return TD_EINVAL;
	if ((*key = strndup(s, (size_t)(eq - s))) == NULL ||
	    (*value = strdup(eq + 1)) == NULL) {
		free(*key);
		*key = NULL;
		return TD_ENOMEM;
	}
	return 0;
}

void
spec_sanitize_base(const char *s, char *out, size_t len)
{
	size_t n = 0;
	int dash = 0;

	if (len == 0)
		return;
	for (; *s != '\0' && n + 1 < len; s++) {
		if (isalnum((unsigned char)*s)) {
			if (dash && n > 0 && n + 2 < len)
				out[n++] = '-';
			dash = 0;
			out[n++] = *s;
		} else {
			dash = 1;
		}
	}
	out[n] = '\0';
}

/* base, trimmed so that "base-stamp" fits in maxlen, into out. */
static void
spec_join_stamp(const char *base, const char *stamp, size_t maxlen,
    char *out, size_t len)
{
	char clean[128];
	size_t keep, slen = strlen(stamp);

	spec_sanitize_base(base, clean, sizeof(clean));
	if (clean[0] == '\0')
		snprintf(clean, sizeof(clean), "job");
	keep = maxlen > slen + 1 ? maxlen - slen - 1 : 0;
	if (strlen(clean) > keep)
		clean[keep] = '\0';
	/* Trimming may leave a trailing '-', which names cannot end in before "-". */
	while (keep > 0 && clean[0] != '\0' && clean[strlen(clean) - 1] == '-')
		clean[strlen(clean) - 1] = '\0';
	snprintf(out, len, "%s-%s", clean, stamp);
}

void
spec_name_from_base(const char *base, double now, char *out, size_t len)
{
	time_t sec = (time_t)now;
	int ms = (int)((now - (double)sec) * 1000.0 + 0.5);
	char stamp[64], t[48];
	struct tm tm;

	gmtime_r(&sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%d-%H-%M-%S", &tm);
	snprintf(stamp, sizeof(stamp), "%s-%03d", t, ms < 0 ? 0 : ms > 999 ?
	    999 : ms);
	spec_join_stamp(base, stamp, 63, out, len);
}

void
spec_tuning_name_from_base(const char *base, double now, char *out, size_t len)
{
	time_t sec = (time_t)now;
	char stamp[32];
	struct tm tm;

	gmtime_r(&sec, &tm);
	strftime(stamp, sizeof(stamp), "%y%m%d-%H%M%S", &tm);
	spec_join_stamp(base, stamp, 32, out, len);
}

int
spec_channel_uri(const char *v, const char *cwd, char **out)
{
	struct buf b = {0};
	const char *p;

	*out = NULL;
	if (*v == '\0')
		return TD_EINVAL;
	for (p = v; isalnum((unsigned char)*p) || *p == '+' || *p == '-' ||
	    *p == '.'; p++)
		;
	if (p != v && strncmp(p, "://", 3) == 0) {
		*out = strdup(v);
		return *out != NULL ? 0 : TD_ENOMEM;
	}
	if (v[0] == '/')
		buf_printf(&b, "file://%s", v);
	else {
		if (cwd == NULL || cwd[0] != '/')
			return TD_EINVAL;
		/* "./x" reads better without the "./" in a URI. */
		while (v[0] == '.' && v[1] == '/')
			v += 2;
		if (strcmp(v, ".") == 0)
			v = "";
		buf_printf(&b, "file://%s%s%s", cwd,
		    cwd[strlen(cwd) - 1] == '/' || *v == '\0' ? "" : "/", v);
	}
	*out = buf_steal(&b);
	return 0;
}

void
spec_words_free(char **w)
{
	size_t i;

	for (i = 0; w != NULL && w[i] != NULL; i++)
		free(w[i]);
	free(w);
}

int
spec_split_words(const char *s, char ***out, size_t *n)
{
	char **w = NULL;
	struct buf cur = {0};
	size_t nw = 0;
	int quote = 0, inword = 0;

	for (;; s++) {
		if (*s == '\0' || (!quote && isspace((unsigned char)*s))) {
			if (quote && *s == '\0')
				break;
			if (inword) {
				w = realloc(w, (nw + 2) * sizeof(*w));
				if (w == NULL)
					break;
				w[nw++] = cur.data != NULL ? buf_steal(&cur) :
				    strdup("");
				w[nw] = NULL;
				inword = 0;
			}
			if (*s == '\0')
				break;
			continue;
		}
		inword = 1;
		if (quote != 0 && *s == quote)
			quote = 0;
		else if (quote == 0 && (*s == '\'' || *s == '"'))
			quote = *s;
		else if (*s == '\\' && quote != '\'' && s[1] != '\0')
			buf_putc(&cur, *++s);
		else
			buf_putc(&cur, *s);
	}
	if (quote != 0 || w == NULL) {
		buf_free(&cur);
		spec_words_free(w);
		*out = NULL;
		*n = 0;
		return TD_EINVAL;
	}
	*out = w;
	*n = nw;
	return 0;
}

/* A JSON string of the first n bytes of s. */
static cJSON *
spec_strn(const char *s, size_t n)
{
	struct buf b = {0};
	cJSON *j;

	buf_append(&b, s, n);
	j = cJSON_CreateString(b.data);
	buf_free(&b);
	return j;
}

static const char *
spec_scaling(const char *s)
{
	if (strcmp(s, "log") == 0)
		return "Logarithmic";
	if (strcmp(s, "revlog") == 0)
		return "ReverseLogarithmic";
	if (strcmp(s, "linear") == 0)
		return "Linear";
	if (strcmp(s, "auto") == 0)
		return "Auto";
	return NULL;
}

static cJSON *
spec_range_array(cJSON *ranges, const char *key)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(ranges, key);

	if (arr == NULL)
		arr = cJSON_AddArrayToObject(ranges, key);
	return arr;
}

static int
spec_add_categorical(cJSON *ranges, const char *name, const char *list,
    char *err, size_t errlen)
{
	cJSON *r, *vals;
	const char *p = list, *comma;

	if (*list == '\0') {
		snprintf(err, errlen, "no values after \"cat:\"");
		return TD_EINVAL;
	}
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "Name", name);
	vals = cJSON_AddArrayToObject(r, "Values");
	for (;;) {
		comma = strchr(p, ',');
		if ((comma != NULL ? (size_t)(comma - p) : strlen(p)) == 0) {
			snprintf(err, errlen, "empty value in \"%s\"", list);
			cJSON_Delete(r);
			return TD_EINVAL;
		}
		cJSON_AddItemToArray(vals, spec_strn(p, comma != NULL ?
		    (size_t)(comma - p) : strlen(p)));
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	cJSON_AddItemToArray(spec_range_array(ranges,
	    "CategoricalParameterRanges"), r);
	return 0;
}

int
spec_add_param(cJSON *ranges, const char *s, char *err, size_t errlen)
{
	char *name = NULL, *spec = NULL, *parts[5] = {0}, *p, *save = NULL;
	const char *scaling = NULL;
	int n = 0, is_int = 0, rc = TD_EINVAL, i;
	double lo, hi;
	long ilo, ihi;
	cJSON *r;

	if (spec_split_kv(s, &name, &spec) != 0) {
		snprintf(err, errlen, "expected NAME=MIN:MAX[:int][:log|revlog|"
		    "linear] or NAME=cat:V1,V2,...");
		return TD_EINVAL;
	}
	if (strncmp(spec, "cat:", 4) == 0) {
		rc = spec_add_categorical(ranges, name, spec + 4, err, errlen);
		goto out;
	}
	for (p = strtok_r(spec, ":", &save); p != NULL && n < 5;
	    p = strtok_r(NULL, ":", &save))
		parts[n++] = p;
	if (n < 2 || n > 4 || p != NULL) {
		snprintf(err, errlen, "expected MIN:MAX[:int][:log|revlog|"
		    "linear] after \"%s=\"", name);
		goto out;
	}
	for (i = 2; i < n; i++) {
		if (strcmp(parts[i], "int") == 0 && !is_int)
			is_int = 1;
		else if (scaling == NULL && spec_scaling(parts[i]) != NULL)
			scaling = spec_scaling(parts[i]);
		else {
			snprintf(err, errlen, "unknown modifier \"%s\" (int, "
			    "log, revlog, linear)", parts[i]);
			goto out;
		}
	}
	if (is_int ? (td_parse_long(parts[0], -(1L << 53), 1L << 53, &ilo) != 0 ||
	    td_parse_long(parts[1], -(1L << 53), 1L << 53, &ihi) != 0) :
	    (td_parse_double(parts[0], &lo) != 0 ||
	    td_parse_double(parts[1], &hi) != 0)) {
		snprintf(err, errlen, "bounds \"%s\" and \"%s\" must be %s",
		    parts[0], parts[1], is_int ? "integers" : "numbers");
		goto out;
	}
	if (is_int) {
		lo = (double)ilo;
		hi = (double)ihi;
	}
	if (lo > hi) {
		snprintf(err, errlen, "minimum %s is above maximum %s",
		    parts[0], parts[1]);
		goto out;
	}
	if (scaling != NULL && strcmp(scaling, "Logarithmic") == 0 && lo <= 0) {
		snprintf(err, errlen, "log scaling needs a minimum above 0");
		goto out;
	}
	if (scaling != NULL && strcmp(scaling, "ReverseLogarithmic") == 0 &&
	    (lo < 0 || hi >= 1 || is_int)) {
		snprintf(err, errlen, "revlog scaling needs a continuous range "
		    "within [0, 1)");
		goto out;
	}
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "Name", name);
	cJSON_AddStringToObject(r, "MinValue", parts[0]);
	cJSON_AddStringToObject(r, "MaxValue", parts[1]);
	if (scaling != NULL)
		cJSON_AddStringToObject(r, "ScalingType", scaling);
	cJSON_AddItemToArray(spec_range_array(ranges, is_int ?
	    "IntegerParameterRanges" : "ContinuousParameterRanges"), r);
	rc = 0;
out:
	free(name);
	free(spec);
	return rc;
}

int
spec_objective(const char *s, cJSON **out, char *err, size_t errlen)
{
	const char *colon = strrchr(s, ':'), *dir;
	const char *type = NULL;

	*out = NULL;
	if (colon == NULL || colon == s) {
		snprintf(err, errlen, "expected METRIC:min or METRIC:max");
		return TD_EINVAL;
	}
	dir = colon + 1;
	if (strcmp(dir, "min") == 0 || strcasecmp(dir, "minimize") == 0)
		type = "Minimize";
	else if (strcmp(dir, "max") == 0 || strcasecmp(dir, "maximize") == 0)
		type = "Maximize";
	if (type == NULL) {
		snprintf(err, errlen, "direction \"%s\" is not min or max", dir);
		return TD_EINVAL;
	}
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "Type", type);
	cJSON_AddItemToObject(*out, "MetricName",
	    spec_strn(s, (size_t)(colon - s)));
	return 0;
}
