/*
 * decode.c - small readers shared by the decoders (see decode.h).
 *
 * Owns no state. Never validates: callers run proto_validate() first, so
 * these helpers trust types and limits and only map JSON to C.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "buf.h"
#include "decode.h"
#include "err.h"
#include "log.h"

void
proto__pathf(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, len, fmt, ap);
	va_end(ap);
}

const cJSON *
proto__get(const cJSON *obj, const char *name)
{
	const cJSON *v;

	if (obj == NULL || !cJSON_IsObject(obj))
		return NULL;
	v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return (v == NULL || cJSON_IsNull(v)) ? NULL : v;
}

const cJSON *
proto__path(const cJSON *obj, ...)
{
	const char *name;
	va_list ap;

	va_start(ap, obj);
	while (obj != NULL && (name = va_arg(ap, const char *)) != NULL)
		obj = proto__get(obj, name);
	va_end(ap);
	return obj;
}

char *
proto__xstrdup(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL)
		fatalx("proto: out of memory");
	return p;
}

char *
proto__str(const cJSON *obj, const char *name)
{
	const cJSON *v = proto__get(obj, name);

	return cJSON_IsString(v) ? proto__xstrdup(v->valuestring) : NULL;
}

long
proto__long(const cJSON *obj, const char *name, long dflt)
{
	const cJSON *v = proto__get(obj, name);

	return cJSON_IsNumber(v) ? (long)v->valuedouble : dflt;
}

double
proto__double(const cJSON *obj, const char *name, double dflt)
{
	const cJSON *v = proto__get(obj, name);

	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

int
proto__bool(const cJSON *obj, const char *name, int dflt)
{
	const cJSON *v = proto__get(obj, name);

	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

void *
proto__xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		fatalx("proto: out of memory");
	return p;
}

void
proto__kv_map(const cJSON *map, struct td_kv **out, size_t *n)
{
	const cJSON *x;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	if (map == NULL)
		return;
	*out = proto__xcalloc((size_t)cJSON_GetArraySize(map), sizeof(**out));
	for (x = map->child; x != NULL; x = x->next) {
		if (!cJSON_IsString(x))
			continue;
		(*out)[i].key = proto__xstrdup(x->string);
		(*out)[i].value = proto__xstrdup(x->valuestring);
		i++;
	}
	*n = i;
}

void
proto__kv_tags(const cJSON *list, struct td_kv **out, size_t *n)
{
	const cJSON *x;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	if (list == NULL)
		return;
	*out = proto__xcalloc((size_t)cJSON_GetArraySize(list), sizeof(**out));
	for (x = list->child; x != NULL; x = x->next) {
		(*out)[i].key = proto__str(x, "Key");
		(*out)[i].value = proto__str(x, "Value");
		if ((*out)[i].value == NULL)
			(*out)[i].value = proto__xstrdup("");
		i++;
	}
	*n = i;
}

void
proto__kv_free(struct td_kv *kv, size_t n)
{
	size_t i;

	if (kv == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void
proto__strv(const cJSON *list, char ***out, size_t *n)
{
	const cJSON *x;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	if (list == NULL)
		return;
	*out = proto__xcalloc((size_t)cJSON_GetArraySize(list), sizeof(**out));
	for (x = list->child; x != NULL; x = x->next)
		if (cJSON_IsString(x))
			(*out)[i++] = proto__xstrdup(x->valuestring);
	*n = i;
}

void
proto__strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
proto__invalid(struct apierr *e, const cJSON *v, const char *path,
    const char *fmt, ...)
{
	struct buf b = { 0 };
	va_list ap;

	buf_puts(&b, "1 validation error detected: Value ");
	if (v == NULL)
		buf_puts(&b, "null");
	else if (cJSON_IsString(v))
		buf_printf(&b, "'%.64s%s'", v->valuestring,
		    strlen(v->valuestring) > 64 ? "..." : "");
	else if (cJSON_IsNumber(v))
		buf_printf(&b, "%.17g", v->valuedouble);
	else if (cJSON_IsBool(v))
		buf_puts(&b, cJSON_IsTrue(v) ? "true" : "false");
	else
		buf_puts(&b, cJSON_IsArray(v) ? "[...]" : "{...}");
	buf_printf(&b, " at '%s' failed to satisfy constraint: ", path);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	apierr_set(e, APIERR_VALIDATION, "%s", b.data);
	buf_free(&b);
	return TD_EINVAL;
}

int
proto__internal(struct apierr *e, const char *what)
{
	e->status = 500;
	return apierr_set(e, APIERR_INTERNAL, "%s", what);
}

int
proto__check_regex(const cJSON *v, const char *path, struct apierr *e)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	pcre2_code *code;
	int err;

	code = pcre2_compile((PCRE2_SPTR)v->valuestring, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF, &err, &off, NULL);
	if (code != NULL) {
		pcre2_code_free(code);
		return 0;
	}
	if (pcre2_get_error_message(err, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "error %d", err);
	return proto__invalid(e, v, path, "Member must be a valid regular "
	    "expression (%s at offset %zu)", (const char *)msg, (size_t)off);
}

int
proto__refuse(struct apierr *e, const char *fmt, ...)
{
	struct buf b = { 0 };
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	apierr_set(e, APIERR_VALIDATION, "%s", b.data);
	buf_free(&b);
	return TD_EINVAL;
}

/* Copies member name of from into to (under the same or a new name). */
static void
copy_member(cJSON *to, const cJSON *from, const char *name,
    const char *as)
{
	const cJSON *v = proto__get(from, name);
	cJSON *dup;

	if (v == NULL)
		return;
	if ((dup = cJSON_Duplicate(v, 1)) == NULL)
		fatalx("proto: out of memory");
	cJSON_AddItemToObject(to, as != NULL ? as : name, dup);
}

/* HyperParameterTuningResourceConfig -> ResourceConfig (instances only). */
static void
tuning_resources(cJSON *req, const cJSON *def)
{
	const cJSON *hr = proto__get(def, "HyperParameterTuningResourceConfig");
	cJSON *rc;

	if (proto__get(def, "ResourceConfig") != NULL || hr == NULL)
		return;
	if ((rc = cJSON_AddObjectToObject(req, "ResourceConfig")) == NULL)
		fatalx("proto: out of memory");
	copy_member(rc, hr, "InstanceType", NULL);
	copy_member(rc, hr, "InstanceCount", NULL);
	copy_member(rc, hr, "VolumeSizeInGB", NULL);
	copy_member(rc, hr, "VolumeKmsKeyId", NULL);
	if (rc->child == NULL)
		cJSON_DeleteItemFromObjectCaseSensitive(req, "ResourceConfig");
}

cJSON *
proto__trial_json(const cJSON *def, const char *name,
    const struct td_kv *hps, size_t n_hps)
{
	static const char *const same[] = {
		"AlgorithmSpecification", "RoleArn", "InputDataConfig",
		"OutputDataConfig", "ResourceConfig", "StoppingCondition",
		"RetryStrategy", "Environment", "VpcConfig",
		"EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
		"EnableManagedSpotTraining", "CheckpointConfig", NULL,
	};
	cJSON *req, *hp;
	const cJSON *x;
	size_t i;

	if ((req = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(req, "TrainingJobName",
	    name != NULL ? name : "definition") == NULL)
		fatalx("proto: out of memory");
	for (i = 0; same[i] != NULL; i++)
		copy_member(req, def, same[i], NULL);
	tuning_resources(req, def);
	if ((hp = cJSON_AddObjectToObject(req, "HyperParameters")) == NULL)
		fatalx("proto: out of memory");
	x = proto__get(def, "StaticHyperParameters");
	for (x = x != NULL ? x->child : NULL; x != NULL; x = x->next) {
		for (i = 0; i < n_hps; i++)
			if (strcmp(hps[i].key, x->string) == 0)
				break;
		if (i == n_hps && cJSON_IsString(x))
			cJSON_AddStringToObject(hp, x->string, x->valuestring);
	}
	for (i = 0; i < n_hps; i++)
		cJSON_AddStringToObject(hp, hps[i].key, hps[i].value);
	return req;
}
