/*
 * strv.h - a growable, always NULL-terminated vector of owned strings:
 * the argv and envp tunerd-worker builds for the program it runs.
 *
 * A zeroed struct strv is valid and empty (v may be NULL until the first
 * push). Pushes abort on allocation failure, like buf.h. strv_free()
 * frees every string and leaves an empty vector.
 */
#ifndef TD_STRV_H
#define TD_STRV_H

#include <stddef.h>

struct strv {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

/* Appends a copy of s. */
void strv_push(struct strv *sv, const char *s);
/* Appends a formatted string. */
void strv_pushf(struct strv *sv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Environment-style: sets "name=value", replacing an entry of the same name. */
void strv_setenv(struct strv *sv, const char *name, const char *value);
/* The value of name in an environment-style vector (borrowed), or NULL. */
const char *strv_getenv(const struct strv *sv, const char *name);
void strv_free(struct strv *sv);

#endif
