/*
 * pyjson.h - JSON values as Python sees them, so tunerd-worker renders
 * hyperparameters exactly as the SageMaker training toolkit does: it
 * json.loads() each value, passes str() of it on the command line and
 * json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=True) of
 * it in SM_* variables.
 *
 * Unlike cJSON this keeps an integer literal an integer (Python int, any
 * size) and a float a float (1.0 stays 1.0, printed with Python's shortest
 * repr). Ownership: pyj_parse() and pyj_new_*() return values the caller
 * owns and frees with pyj_free() (NULL is a no-op); pyj_append()/pyj_set()
 * take ownership of the value they are given. No I/O.
 */
#ifndef TD_PYJSON_H
#define TD_PYJSON_H

#include <stddef.h>

#include "buf.h"

enum pyj_type {
	PYJ_NULL,
	PYJ_BOOL,
	PYJ_INT,	/* text holds the digits, optional leading '-' */
	PYJ_FLOAT,
	PYJ_STR,	/* text/len hold UTF-8 bytes (may contain NUL) */
	PYJ_LIST,
	PYJ_DICT,
};

struct pyj {
	enum pyj_type	 type;
	int		 b;		/* PYJ_BOOL */
	double		 f;		/* PYJ_FLOAT */
	char		*text;		/* PYJ_INT, PYJ_STR */
	size_t		 len;
	struct pyj	**items;	/* PYJ_LIST, PYJ_DICT values */
	char		**keys;		/* PYJ_DICT keys, insertion order */
	size_t		 n;
	size_t		 cap;
};

/*
 * Parses like Python's json.loads(): strict JSON plus NaN, Infinity and
 * -Infinity; duplicate keys keep the first position and the last value.
 * Returns 0 and *out, or TD_EINVAL on anything else (including trailing
 * bytes).
 */
int pyj_parse(const char *text, size_t len, struct pyj **out);

struct pyj *pyj_new_null(void);
struct pyj *pyj_new_bool(int b);
struct pyj *pyj_new_int(long long v);
struct pyj *pyj_new_float(double f);
struct pyj *pyj_new_str(const char *s);
struct pyj *pyj_new_list(void);
struct pyj *pyj_new_dict(void);
/* Takes ownership of v. */
void pyj_append(struct pyj *list, struct pyj *v);
/* Takes ownership of v; replaces (and frees) a previous value of key. */
void pyj_set(struct pyj *dict, const char *key, struct pyj *v);
/* Borrowed value of key, or NULL. */
struct pyj *pyj_get(const struct pyj *dict, const char *key);
void pyj_free(struct pyj *v);

/* json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=True). */
void pyj_dumps(const struct pyj *v, struct buf *b);
/* str(v). */
void pyj_str(const struct pyj *v, struct buf *b);
/*
 * The toolkit's command-line rendering of a hyperparameter value
 * (mapping.to_cmd_args): None -> "", a dict -> "k=v,..." sorted by key,
 * anything else str(v).
 */
void pyj_arg(const struct pyj *v, struct buf *b);
/* repr(float) into out (>= 32 bytes): "0.1", "1.0", "1e-05", "1e+16", "nan". */
void pyj_fmt_double(double f, char *out, size_t outlen);

#endif
