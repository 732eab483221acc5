/*
 * schema.h - a small shape language for the SageMaker JSON API, and the
 * strict validator that walks it.
 *
 * A shape is what botocore calls a shape: a named type (string, integer,
 * long, double, boolean, timestamp, structure, list, map) with limits
 * (length for strings, lists and maps; value for numbers), an optional
 * regular expression (PCRE2, full match, compiled once on first use and
 * cached), enum values, and children (structure members; list items; map
 * keys and values). Every shape lives in a static const table (shapes.c,
 * ops.c); nothing here allocates a shape.
 *
 * proto_validate() is strict: unknown members, wrong JSON types,
 * out-of-range values, missing required members and pattern mismatches are
 * each a ValidationException naming the full member path, e.g.
 * "AlgorithmSpecification.MetricDefinitions[2].Regex" or
 * "HyperParameters.epochs". Up to PROTO_MAX_ERRORS problems are listed in
 * one message, SageMaker style ("2 validation errors detected: ...; ...").
 *
 * Member flags say what tunerd does with a member SageMaker defines:
 * PROTO_REQUIRED is botocore's "required"; PROTO_LOCAL_OPTIONAL marks a
 * member botocore requires but tunerd does not (RoleArn, OutputDataConfig,
 * ...: a local user needs no fake role); PROTO_IGNORED marks a member that
 * is validated and then has no effect on one machine; PROTO_UNSUPPORTED a
 * member whose shape is validated but whose use is refused by the decoder.
 */
#ifndef TD_PROTO_SCHEMA_H
#define TD_PROTO_SCHEMA_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "apierr.h"

#define PROTO_MAX_ERRORS	8

enum proto_kind {
	PROTO_STRING,		/* JSON string; enum when enums != NULL */
	PROTO_INTEGER,		/* JSON number, integral, 32-bit */
	PROTO_LONG,		/* JSON number, integral, 64-bit (exact up to 2^53) */
	PROTO_DOUBLE,		/* JSON number (botocore "double" and "float") */
	PROTO_BOOLEAN,		/* JSON true/false */
	PROTO_TIMESTAMP,	/* epoch seconds number, or an ISO-8601 string */
	PROTO_STRUCTURE,	/* JSON object with known members */
	PROTO_LIST,		/* JSON array of item */
	PROTO_MAP,		/* JSON object of key -> value */
};

/* Shape flags. */
#define PROTO_HAS_MIN	0x01u	/* min is a limit */
#define PROTO_HAS_MAX	0x02u	/* max is a limit */
#define PROTO_UNION	0x04u	/* structure: exactly one member must be set */

/* Member flags. */
#define PROTO_REQUIRED		0x01u
#define PROTO_LOCAL_OPTIONAL	0x02u	/* required by SageMaker, optional here */
#define PROTO_IGNORED		0x04u	/* accepted, validated, no effect locally */
#define PROTO_UNSUPPORTED	0x08u	/* accepted by the validator, refused by the decoder */

struct proto_shape;

struct proto_member {
	const char			*name;
	const struct proto_shape	*shape;
	unsigned int			 flags;		/* PROTO_REQUIRED, ... */
	const char			*doc;		/* tunerd's note or NULL */
};

struct proto_shape {
	const char		*name;		/* botocore's shape name */
	enum proto_kind		 kind;
	unsigned int		 flags;		/* PROTO_HAS_MIN, ... */
	double			 min, max;
	const char		*pattern;	/* PCRE2, matched against the whole value, or NULL */
	const char *const	*enums;		/* NULL-terminated, or NULL */
	const struct proto_member *members;	/* structure: n_members of them */
	size_t			 n_members;
	const struct proto_shape *item;		/* list item; map value */
	const struct proto_shape *key;		/* map key */
	const char		*doc;		/* tunerd's note or NULL */
};

/*
 * Validates v against shape s (paths in messages start at s's members).
 * Returns 0, or TD_EINVAL with e filled (ValidationException).
 */
int proto_validate(const struct proto_shape *s, const cJSON *v,
    struct apierr *e);

/*
 * Parses a request body: it must be one JSON object and nothing after it
 * but whitespace. An empty body is an empty object, as SageMaker treats it.
 * Returns 0 and sets *out (caller frees with cJSON_Delete), or TD_EINVAL
 * with e filled (SerializationException).
 */
int proto_parse(const char *body, size_t len, cJSON **out, struct apierr *e);

/*
 * Full-matches s (NUL-terminated, UTF-8) against a pattern from a shape
 * table. Returns 1 on a match, 0 on none, TD_EINVAL when the pattern does
 * not compile (a bug in a table; the unit tests compile every pattern).
 * Compiled patterns are cached for the life of the process (thread-safe).
 */
int proto_match(const char *pattern, const char *s);

/* A member of structure shape s by name, or NULL. */
const struct proto_member *proto_member_find(const struct proto_shape *s,
    const char *name);

/*
 * Parses a timestamp as proto_validate() accepts it: a JSON number (epoch
 * seconds) or an ISO-8601 string ("2024-05-01T12:00:00Z", optional
 * fraction, "Z" or +hh:mm offset). Returns 0 or TD_EINVAL.
 */
int proto_timestamp(const cJSON *v, double *out);

/* Kind name for docs and messages: "string", "integer", ... */
const char *proto_kind_name(enum proto_kind k);

#endif
