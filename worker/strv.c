/*
 * strv.c - NULL-terminated string vectors (see strv.h). No global state.
 * Invariant: v[n] == NULL whenever v != NULL.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "strv.h"

static void
strv_take(struct strv *sv, char *s)
{
	if (sv->n + 1 >= sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 16;
		char **v = realloc(sv->v, cap * sizeof(*v));

		if (v == NULL)
			abort();	/* OOM is fatal, as in buf.c */
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void
strv_push(struct strv *sv, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		abort();
	strv_take(sv, d);
}

void
strv_pushf(struct strv *sv, const char *fmt, ...)
{
	struct buf b = { 0 };
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (b.data == NULL)
		buf_puts(&b, "");
	strv_take(sv, buf_steal(&b));
}

static ssize_t
strv_find(const struct strv *sv, const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < sv->n; i++)
		if (strncmp(sv->v[i], name, len) == 0 && sv->v[i][len] == '=')
			return (ssize_t)i;
	return -1;
}

void
strv_setenv(struct strv *sv, const char *name, const char *value)
{
	ssize_t i = strv_find(sv, name);

	if (i < 0) {
		strv_pushf(sv, "%s=%s", name, value);
		return;
	}
	free(sv->v[i]);
	sv->n--;
	memmove(&sv->v[i], &sv->v[i + 1], (sv->n - (size_t)i + 1) *
	    sizeof(*sv->v));
	strv_pushf(sv, "%s=%s", name, value);
}

const char *
strv_getenv(const struct strv *sv, const char *name)
{
	ssize_t i = strv_find(sv, name);

	return i < 0 ? NULL : sv->v[i] + strlen(name) + 1;
}

void
strv_free(struct strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}
