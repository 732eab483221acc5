/*
 * gen-api-doc.c - writes the API reference (api.md) from the operation and
 * shape tables, at build time, so the reference cannot drift from what the
 * daemon accepts.
 *
 *   gen-api-doc OUTPUT
 *
 * Owns nothing but its output file. Members tunerd ignores are listed
 * without their (cloud-only) insides; every other structure is expanded
 * with dotted paths, "[]" for list items and ".<key>" for map entries, the
 * same paths the validation messages use.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "proto.h"

#define MAX_DEPTH	10
#define ENUM_SHOW	12
#define MAX_SEEN	256

/* Structures already expanded in the current operation, and where. */
static struct {
	const struct proto_shape *shape;
	char			 path[256];
} seen[MAX_SEEN];
static size_t n_seen;

/* Where s was expanded before in this operation, or NULL (then records it). */
static const char *
seen_at(const struct proto_shape *s, const char *path)
{
	size_t i;

	for (i = 0; i < n_seen; i++)
		if (seen[i].shape == s)
			return seen[i].path;
	if (n_seen < MAX_SEEN) {
		seen[n_seen].shape = s;
		snprintf(seen[n_seen].path, sizeof(seen[n_seen].path), "%s", path);
		n_seen++;
	}
	return NULL;
}

/* Appends s escaped for a Markdown table cell. */
static void
cell(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '|')
			buf_puts(b, "\\|");
		else if (*s == '\n')
			buf_putc(b, ' ');
		else
			buf_putc(b, *s);
	}
}

static void
type_name(struct buf *b, const struct proto_shape *s)
{
	switch (s->kind) {
	case PROTO_LIST:
		buf_puts(b, "list of ");
		type_name(b, s->item);
		return;
	case PROTO_MAP:
		buf_puts(b, "map of string to ");
		type_name(b, s->item);
		return;
	case PROTO_STRUCTURE:
		buf_printf(b, "%s", s->name);
		return;
	case PROTO_STRING:
		buf_puts(b, s->enums != NULL ? "enum" : "string");
		return;
	default:
		buf_puts(b, proto_kind_name(s->kind));
		return;
	}
}

static void
limits(struct buf *b, const struct proto_shape *s)
{
	const char *what = (s->kind == PROTO_STRING || s->kind == PROTO_LIST ||
	    s->kind == PROTO_MAP) ? "length " : "";
	int lo = (s->flags & PROTO_HAS_MIN) != 0, hi = (s->flags & PROTO_HAS_MAX) != 0;

	if (lo && hi)
		buf_printf(b, "%s%.17g..%.17g", what, s->min, s->max);
	else if (lo)
		buf_printf(b, "%s>= %.17g", what, s->min);
	else if (hi)
		buf_printf(b, "%s<= %.17g", what, s->max);
}

static void
constraints(struct buf *b, const struct proto_shape *s)
{
	size_t n = 0, i;
	size_t start = b->len;

	limits(b, s);
	if (s->pattern != NULL) {
		if (b->len > start)
			buf_puts(b, "; ");
		buf_puts(b, "pattern `");
		cell(b, s->pattern);
		buf_putc(b, '`');
	}
	if (s->enums != NULL) {
		while (s->enums[n] != NULL)
			n++;
		if (b->len > start)
			buf_puts(b, "; ");
		for (i = 0; i < n && i < ENUM_SHOW; i++)
			buf_printf(b, "%s`%s`", i ? ", " : "", s->enums[i]);
		if (n > ENUM_SHOW)
			buf_printf(b, " and %zu more", n - ENUM_SHOW);
	}
	if (s->kind == PROTO_MAP && s->key != NULL) {
		size_t mark;

		if (b->len > start)
			buf_puts(b, "; ");
		buf_puts(b, "keys: ");
		mark = b->len;
		constraints(b, s->key);
		if (b->len == mark)
			buf_puts(b, "any");
	}
}

static void
notes(struct buf *b, const struct proto_member *m)
{
	if (m->flags & PROTO_UNSUPPORTED)
		buf_puts(b, "**Refused locally.** ");
	else if (m->flags & PROTO_IGNORED)
		buf_puts(b, "Ignored locally. ");
	if (m->doc != NULL)
		cell(b, m->doc);
	else if (m->shape->doc != NULL)
		cell(b, m->shape->doc);
}

static void members(struct buf *b, const struct proto_shape *s,
    const char *prefix, int depth);

static void
row(struct buf *b, const struct proto_member *m, const char *path, int depth)
{
	const struct proto_shape *s = m->shape, *inner = s;
	struct buf sub = { 0 };
	size_t mark;

	buf_puts(b, "| `");
	cell(b, path);
	buf_puts(b, "` | ");
	type_name(b, s);
	buf_puts(b, " | ");
	if (m->flags & PROTO_REQUIRED)
		buf_puts(b, "yes");
	else if (m->flags & PROTO_LOCAL_OPTIONAL)
		buf_puts(b, "no (SageMaker: yes)");
	else
		buf_puts(b, "no");
	buf_puts(b, " | ");
	mark = b->len;
	constraints(b, s);
	if ((s->kind == PROTO_LIST || s->kind == PROTO_MAP) &&
	    s->item->kind != PROTO_STRUCTURE) {
		size_t before = b->len;

		buf_puts(b, b->len > mark ? "; " : "");
		buf_puts(b, s->kind == PROTO_LIST ? "items: " : "values: ");
		before = b->len;
		constraints(b, s->item);
		if (b->len == before)
			buf_puts(b, "any");
	}
	buf_puts(b, " | ");
	notes(b, m);
	buf_puts(b, " |\n");
	if (m->flags & (PROTO_IGNORED | PROTO_UNSUPPORTED) || depth >= MAX_DEPTH)
		return;
	buf_puts(&sub, path);
	while (inner->kind == PROTO_LIST || inner->kind == PROTO_MAP) {
		buf_puts(&sub, inner->kind == PROTO_LIST ? "[]" : ".<key>");
		inner = inner->item;
	}
	if (inner->kind == PROTO_STRUCTURE && inner->n_members > 0) {
		const char *before = seen_at(inner, sub.data);

		if (before != NULL)
			buf_printf(b, "| `%s.*` | | | | Same members as `%s`. |\n",
			    sub.data, before);
		else
			members(b, inner, sub.data, depth + 1);
	}
	buf_free(&sub);
}

static void
members(struct buf *b, const struct proto_shape *s, const char *prefix,
    int depth)
{
	size_t i;

	for (i = 0; i < s->n_members; i++) {
		struct buf path = { 0 };

		if (prefix != NULL)
			buf_printf(&path, "%s.", prefix);
		buf_puts(&path, s->members[i].name);
		row(b, &s->members[i], path.data, depth);
		buf_free(&path);
	}
}

static void
op_section(struct buf *b, const struct proto_op *op)
{
	const struct proto_list_info *li = op->list;

	n_seen = 0;
	buf_printf(b, "\n### %s\n\n`X-Amz-Target: %s.%s`\n\n%s\n", op->name,
	    op->service, op->name, op->summary);
	if (op->input->doc != NULL)
		buf_printf(b, "\n%s\n", op->input->doc);
	if (li != NULL)
		buf_printf(b, "\nDefaults: `MaxResults` 10, `SortBy` %s, "
		    "`SortOrder` %s.\n", li->default_sort,
		    li->default_desc ? "Descending" : "Ascending");
	buf_printf(b, "\nInput shape `%s`:\n\n", op->input->name);
	if (op->input->n_members == 0) {
		buf_puts(b, "(no members)\n");
		return;
	}
	buf_puts(b, "| Member | Type | Required | Constraints | Notes |\n"
	    "|---|---|---|---|---|\n");
	members(b, op->input, NULL, 0);
}

static void
intro(struct buf *b)
{
	size_t i;

	buf_puts(b, "# tunerd API reference\n\n"
	    "Generated from proto/'s operation and shape tables at build time; "
	    "do not edit.\n\n"
	    "Every operation is `POST /` with `Content-Type: "
	    "application/x-amz-json-1.1` and `X-Amz-Target: <Service>.<Operation>`; "
	    "the body is one JSON object. SageMaker's operations use the "
	    "service name `SageMaker` and SageMaker's shapes, so boto3 and "
	    "the AWS CLI work unchanged; tunerd's additions use `Tunerd`.\n\n"
	    "Errors are HTTP 4xx/5xx with `{\"__type\": \"<Type>\", "
	    "\"message\": \"...\"}`. Requests are decoded strictly: unknown "
	    "members, wrong types, values out of range, missing required "
	    "members and pattern mismatches are a `ValidationException` whose "
	    "message names the member path (`AlgorithmSpecification."
	    "MetricDefinitions[2].Regex`, `HyperParameters.epochs`; list "
	    "indexes count from 0). A body that is not one JSON object, or "
	    "has bytes after it, is a `SerializationException`.\n\n"
	    "Patterns must match the whole value. Lengths count characters. "
	    "Timestamps are epoch seconds, or ISO-8601 strings with a zone.\n\n"
	    "Local differences: members marked *no (SageMaker: yes)* are "
	    "required by SageMaker but optional here; *Ignored locally* "
	    "members are validated and have no effect on one machine (their "
	    "insides are not listed); *Refused locally* members are validated "
	    "and a request using them is refused with a message saying so. "
	    "S3 locations (`S3Uri`, `S3OutputPath`, `ModelDataUrl`) may also "
	    "be `file://` URLs or absolute paths.\n\n"
	    "## Operations\n\n| Operation | Target | Summary |\n|---|---|---|\n");
	for (i = 0; i < OP__COUNT; i++) {
		const char *p;

		buf_printf(b, "| [%s](#", proto_ops[i].name);
		for (p = proto_ops[i].name; *p != '\0'; p++)
			buf_putc(b, (char)tolower((unsigned char)*p));
		buf_printf(b, ") | `%s.%s` | %s |\n", proto_ops[i].service,
		    proto_ops[i].name, proto_ops[i].summary);
	}
}

int
main(int argc, char **argv)
{
	struct buf b = { 0 };
	const char *svc[] = { PROTO_SVC_SAGEMAKER, PROTO_SVC_TUNERD };
	size_t i, k;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: gen-api-doc OUTPUT\n");
		return 2;
	}
	intro(&b);
	for (k = 0; k < 2; k++) {
		buf_printf(&b, "\n## %s operations\n", svc[k]);
		for (i = 0; i < OP__COUNT; i++)
			if (strcmp(proto_ops[i].service, svc[k]) == 0)
				op_section(&b, &proto_ops[i]);
	}
	if ((f = fopen(argv[1], "w")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	if (fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
		perror(argv[1]);
		return 1;
	}
	buf_free(&b);
	return 0;
}
