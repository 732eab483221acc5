/*
 * test_proto_util.h - helpers for proto/'s unit tests: load a request
 * fixture from tests/unit/test_proto_data/, change one member by path
 * ("A.B[2].C", the same syntax as the messages), and assert that a
 * decoder's error names the expected path.
 */
#ifndef TD_TEST_PROTO_UTIL_H
#define TD_TEST_PROTO_UTIL_H

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "apierr.h"
#include "err.h"
#include "schema.h"
#include "t.h"
#include "util.h"

/* The fixture as JSON (exits the test on failure). */
static inline cJSON *
tp_load(const char *name)
{
	const char *src = getenv("TUNERD_SOURCE_DIR");
	char path[4096], *text;
	struct apierr e = { 0 };
	cJSON *v = NULL;

	snprintf(path, sizeof(path), "%s/tests/unit/test_proto_data/%s",
	    src != NULL ? src : ".", name);
	if (td_read_file(path, 1 << 20, &text, NULL) != 0)
		T_FAIL("cannot read %s", path);
	if (proto_parse(text, strlen(text), &v, &e) != 0)
		T_FAIL("%s: %s", path, e.message);
	free(text);
	return v;
}

static inline cJSON *
tp_parse(const char *json)
{
	struct apierr e = { 0 };
	cJSON *v = NULL;

	if (proto_parse(json, strlen(json), &v, &e) != 0)
		T_FAIL("bad test JSON: %s", e.message);
	return v;
}

/* Any JSON value from text (proto_parse only takes objects, so wrap it). */
static inline cJSON *
tp_value(const char *json)
{
	char *wrap;
	size_t n = strlen(json) + 16;
	cJSON *w, *v;

	if ((wrap = malloc(n)) == NULL)
		T_FAIL("out of memory");
	snprintf(wrap, n, "{\"v\": %s}", json);
	w = tp_parse(wrap);
	free(wrap);
	v = cJSON_DetachItemFromObject(w, "v");
	cJSON_Delete(w);
	return v;
}

/*
 * Sets the member at path to the JSON text value (NULL deletes it).
 * Missing objects on the way are created.
 */
static inline void
tp_set(cJSON *root, const char *path, const char *value)
{
	char buf[512], *p = buf, *name;
	cJSON *cur = root, *parent = NULL, *nv;
	const char *last = NULL;
	long last_idx = -1;

	snprintf(buf, sizeof(buf), "%s", path);
	while (p != NULL && *p != '\0') {
		long idx = -1;
		char *br;

		name = p;
		p = strchr(p, '.');
		if (p != NULL)
			*p++ = '\0';
		if ((br = strchr(name, '[')) != NULL) {
			*br = '\0';
			idx = strtol(br + 1, NULL, 10);
		}
		parent = cur;
		last = name;
		last_idx = idx;
		if (p == NULL || *p == '\0')
			break;
		cur = cJSON_GetObjectItemCaseSensitive(parent, name);
		if (cur == NULL)
			cur = cJSON_AddObjectToObject(parent, name);
		if (idx >= 0)
			cur = cJSON_GetArrayItem(cur, (int)idx);
		if (cur == NULL)
			T_FAIL("tp_set: no %s in path %s", name, path);
	}
	if (last_idx >= 0) {
		parent = cJSON_GetObjectItemCaseSensitive(parent, last);
		if (parent == NULL)
			T_FAIL("tp_set: no list at %s", path);
		if (value == NULL) {
			cJSON_DeleteItemFromArray(parent, (int)last_idx);
			return;
		}
		nv = tp_value(value);
		if (cJSON_GetArrayItem(parent, (int)last_idx) != NULL)
			cJSON_ReplaceItemInArray(parent, (int)last_idx, nv);
		else
			cJSON_AddItemToArray(parent, nv);
		return;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(parent, last);
	if (value != NULL)
		cJSON_AddItemToObject(parent, last, tp_value(value));
}

/* Asserts that rc is TD_EINVAL and e's message mentions every given text. */
#define TP_FAILS(rc, e, ...) do {                                          \
	const char *_want[] = { __VA_ARGS__ };                             \
	size_t _i;                                                         \
	if ((rc) != TD_EINVAL)                                             \
		T_FAIL("expected TD_EINVAL, got %d", (int)(rc));           \
	for (_i = 0; _i < sizeof(_want) / sizeof(_want[0]); _i++)          \
		if (strstr((e).message, _want[_i]) == NULL)                \
			T_FAIL("message lacks \"%s\": %s", _want[_i],      \
			    (e).message);                                  \
} while (0)

#define TP_OK(rc, e) do {                                                  \
	if ((rc) != 0)                                                     \
		T_FAIL("expected success, got %d: %s", (int)(rc),         \
		    (e).message);                                          \
} while (0)

#endif
