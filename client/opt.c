/*
 * opt.c - command-line option parsing driven by the command tables.
 *
 * Owns the parsed form of argv (struct cli_args); never prints, never
 * touches the network. Invariant: vals has one entry per option over all
 * sets, in set order, so an option's index is its position in that walk.
 * Values are borrowed from argv and live as long as it does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static size_t
opt_set_len(const struct cli_opt *set)
{
	size_t n = 0;

	while (set != NULL && set[n].lng != NULL)
		n++;
	return n;
}

/* Index of the option matching a long name (len bytes) or short letter; -1 if none. */
static long
opt_find(const struct cli_args *a, const char *lng, size_t len, int sht,
    const struct cli_opt **found)
{
	size_t i, j, idx = 0;

	for (i = 0; a->sets[i] != NULL; i++) {
		for (j = 0; a->sets[i][j].lng != NULL; j++, idx++) {
			const struct cli_opt *o = &a->sets[i][j];

			if ((lng != NULL && strlen(o->lng) == len &&
			    strncmp(o->lng, lng, len) == 0) ||
			    (lng == NULL && sht != 0 && o->sht == sht)) {
				*found = o;
				return (long)idx;
			}
		}
	}
	return -1;
}

static void
opt_store(struct cli_args *a, long idx, const struct cli_opt *o,
    const char *value)
{
	struct cli_val *v = &a->vals[idx];

	if (o->arg == NULL) {
		v->n++;
		return;
	}
	if (!(o->flags & OPT_MULTI) && v->n > 0) {
		/* A repeated single-valued option: the last one wins. */
		v->v[0] = value;
		return;
	}
	v->v = realloc(v->v, (v->n + 1) * sizeof(*v->v));
	if (v->v == NULL) {
		fprintf(stderr, "tuner: out of memory\n");
		exit(CLI_FAIL);
	}
	v->v[v->n++] = value;
}

/* Handles argv[*i] = "--name[=value]". */
static int
opt_long(struct cli_args *a, int argc, char **argv, int *i, char *err,
    size_t errlen)
{
	const char *s = argv[*i] + 2, *eq = strchr(s, '=');
	size_t len = eq != NULL ? (size_t)(eq - s) : strlen(s);
	const struct cli_opt *o = NULL;
	long idx = opt_find(a, s, len, 0, &o);

	if (idx < 0) {
		snprintf(err, errlen, "unknown option --%.*s", (int)len, s);
		return CLI_USAGE;
	}
	if (o->arg == NULL) {
		if (eq != NULL) {
			snprintf(err, errlen, "option --%s takes no value",
			    o->lng);
			return CLI_USAGE;
		}
		opt_store(a, idx, o, NULL);
		return 0;
	}
	if (eq != NULL) {
		opt_store(a, idx, o, eq + 1);
		return 0;
	}
	if (*i + 1 >= argc) {
		snprintf(err, errlen, "option --%s needs a value (%s)", o->lng,
		    o->arg);
		return CLI_USAGE;
	}
	opt_store(a, idx, o, argv[++*i]);
	return 0;
}

/* Handles argv[*i] = "-abc" or "-xVALUE". */
static int
opt_short(struct cli_args *a, int argc, char **argv, int *i, char *err,
    size_t errlen)
{
	const char *s = argv[*i] + 1;

	for (; *s != '\0'; s++) {
		const struct cli_opt *o = NULL;
		long idx = opt_find(a, NULL, 0, (unsigned char)*s, &o);

		if (idx < 0) {
			snprintf(err, errlen, "unknown option -%c", *s);
			return CLI_USAGE;
		}
		if (o->arg == NULL) {
			opt_store(a, idx, o, NULL);
			continue;
		}
		if (s[1] != '\0') {
			opt_store(a, idx, o, s + 1);
			return 0;
		}
		if (*i + 1 >= argc) {
			snprintf(err, errlen, "option -%c needs a value (%s)",
			    *s, o->arg);
			return CLI_USAGE;
		}
		opt_store(a, idx, o, argv[++*i]);
		return 0;
	}
	return 0;
}

/* "-3.5" and "-.5" are numbers (e.g. an objective value), not options. */
static int
opt_is_number(const char *s)
{
	return (s[1] >= '0' && s[1] <= '9') || (s[1] == '.' && s[2] >= '0' &&
	    s[2] <= '9');
}

int
opt_parse(const struct cli_opt *const *sets, int argc, char **argv,
    struct cli_args *a, char *err, size_t errlen)
{
	size_t k;
	int i, rc;

	memset(a, 0, sizeof(*a));
	for (k = 0; sets[k] != NULL && k < 3; k++) {
		a->sets[k] = sets[k];
		a->nopts += opt_set_len(sets[k]);
	}
	a->vals = calloc(a->nopts + 1, sizeof(*a->vals));
	a->pos = calloc((size_t)argc + 1, sizeof(*a->pos));
	if (a->vals == NULL || a->pos == NULL) {
		snprintf(err, errlen, "out of memory");
		return CLI_FAIL;
	}
	for (i = 0; i < argc; i++) {
		const char *s = argv[i];

		if (strcmp(s, "--") == 0) {
			a->has_rest = 1;
			a->rest = (const char **)argv + i + 1;
			a->nrest = (size_t)(argc - i - 1);
			break;
		}
		if (s[0] == '-' && s[1] == '-')
			rc = opt_long(a, argc, argv, &i, err, errlen);
		else if (s[0] == '-' && s[1] != '\0' && !opt_is_number(s))
			rc = opt_short(a, argc, argv, &i, err, errlen);
		else {
			a->pos[a->npos++] = s;
			rc = 0;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

void
opt_args_free(struct cli_args *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; a->vals != NULL && i < a->nopts; i++)
		free(a->vals[i].v);
	free(a->vals);
	free(a->pos);
	memset(a, 0, sizeof(*a));
}

static const struct cli_val *
opt_val(const struct cli_args *a, const char *lng)
{
	const struct cli_opt *o = NULL;
	long idx;

	if (a->vals == NULL)
		return NULL;
	idx = opt_find(a, lng, strlen(lng), 0, &o);
	return idx < 0 ? NULL : &a->vals[idx];
}

const char *
opt_get(const struct cli_args *a, const char *lng)
{
	const struct cli_val *v = opt_val(a, lng);

	return (v == NULL || v->n == 0 || v->v == NULL) ? NULL : v->v[v->n - 1];
}

const char **
opt_all(const struct cli_args *a, const char *lng, size_t *n)
{
	const struct cli_val *v = opt_val(a, lng);

	*n = (v == NULL || v->v == NULL) ? 0 : v->n;
	return *n > 0 ? v->v : NULL;
}

size_t
opt_count(const struct cli_args *a, const char *lng)
{
	const struct cli_val *v = opt_val(a, lng);

	return v == NULL ? 0 : v->n;
}
