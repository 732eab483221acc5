/*
 * decode.h - helpers shared by proto/'s decoders (training.c, tuning.c,
 * serving.c, list.c). Internal to proto/: prefix proto__.
 *
 * Every helper reads JSON that proto_validate() has already accepted, so
 * types and limits are known good; a JSON null reads as absent. Strings
 * returned are copies the caller owns; allocation failure is fatal (as in
 * buf.c).
 */
#ifndef TD_PROTO_DECODE_H
#define TD_PROTO_DECODE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "apierr.h"
#include "training.h"

/* snprintf for member paths: a path cut at len - 1 bytes is still a useful message. */
void proto__pathf(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Member name of obj, or NULL when absent or null (borrowed). */
const cJSON *proto__get(const cJSON *obj, const char *name);
/* Nested lookup: proto__path(obj, "A", "B", NULL) is obj.A.B or NULL. */
const cJSON *proto__path(const cJSON *obj, ...);

char *proto__xstrdup(const char *s);
/* calloc that never returns NULL (n may be 0). */
void *proto__xcalloc(size_t n, size_t size);
/* Copy of a string member, or NULL when absent. */
char *proto__str(const cJSON *obj, const char *name);
long proto__long(const cJSON *obj, const char *name, long dflt);
double proto__double(const cJSON *obj, const char *name, double dflt);
int proto__bool(const cJSON *obj, const char *name, int dflt);

/* A JSON map of strings as key/value pairs in order; 0 pairs when NULL. */
void proto__kv_map(const cJSON *map, struct td_kv **out, size_t *n);
/* A SageMaker TagList ([{Key, Value}]) as key/value pairs. */
void proto__kv_tags(const cJSON *list, struct td_kv **out, size_t *n);
void proto__kv_free(struct td_kv *kv, size_t n);
/* A JSON list of strings. */
void proto__strv(const cJSON *list, char ***out, size_t *n);
void proto__strv_free(char **v, size_t n);

/*
 * Fills e with a ValidationException about the value at path:
 * "1 validation error detected: Value <v> at '<path>' failed to satisfy
 * constraint: <fmt...>". v may be NULL (shown as null). Returns TD_EINVAL.
 */
int proto__invalid(struct apierr *e, const cJSON *v, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* An InternalFailure (HTTP 500): a bug or out of memory, not the caller's fault. */
int proto__internal(struct apierr *e, const char *what);

/* The same with a message of its own ("<fmt...>"), for rules without a value. */
/*
 * Checks that a user's regular expression compiles (PCRE2, UTF mode, as
 * the metric scraper compiles it). Returns 0, or TD_EINVAL with e filled
 * naming path, PCRE2's reason and the offset.
 */
int proto__check_regex(const cJSON *v, const char *path, struct apierr *e);

int proto__refuse(struct apierr *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The CreateTrainingJob request for a HyperParameterTrainingJobDefinition:
 * renames and drops members as tuning.c documents; name may be NULL
 * (then a placeholder is used). Returns a new object the caller deletes.
 */
cJSON *proto__trial_json(const cJSON *def, const char *name,
    const struct td_kv *hps, size_t n_hps);

#endif
