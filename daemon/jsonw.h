/*
 * jsonw.h - a direct JSON writer on common/buf: answers are written as
 * bytes, in order, with no tree in between (cJSON's print costs ~0.7 µs
 * per number: sprintf %1.15g + sscanf + often %1.17g).
 *
 * Compatibility contract (what lets handlers switch from cJSON without a
 * client seeing a difference):
 *  - numbers: jsonw_fmt_num() writes exactly the bytes cJSON 1.7.15's
 *    cJSON_PrintUnformatted() writes for the same double ("%1.15g" when
 *    that reads back within cJSON's
 *    tolerance, else "%1.17g"; NaN and infinities as null), but without
 *    printf on the common path (timestamps, metric values, counts);
 *  - strings: the escapes of cJSON for valid UTF-8 (byte-identical), and
 *    U+FFFD (\ufffd) for each byte of invalid UTF-8, where cJSON passed
 *    the raw byte and produced a body no UTF-8 decoder accepts (boto3's
 *    included);
 *  - stored JSON (text that cJSON or SQLite printed earlier) is copied by
 *    jsonw_canon(), which reformats each number as above and drops
 *    whitespace: the same values as cJSON_Parse + print.
 *
 * Usage: a zeroed struct buf, then
 *
 *	struct jsonw w;
 *	jsonw_init(&w, &b);
 *	jsonw_obj_open(&w, NULL);
 *	jsonw_str(&w, "TrainingJobName", name);
 *	jsonw_num(&w, "CreationTime", t);
 *	jsonw_arr_open(&w, "Values"); ... jsonw_arr_close(&w);
 *	jsonw_obj_close(&w);
 *
 * key is the member name inside an object and must be NULL inside an
 * array or at the top. Keys are our own constants: plain ASCII that needs
 * no escaping (they are written as given). Commas are inserted by the
 * writer. Nesting is limited to JSONW_MAX_DEPTH (an invariant of our
 * handlers, asserted). Allocation failure is fatal, as for buf. The writer
 * owns nothing: the bytes are in the caller's buf.
 */
#ifndef TD_JSONW_H
#define TD_JSONW_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define JSONW_MAX_DEPTH	63
/* The longest output of jsonw_fmt_num(), NUL excluded ("%1.17g" of -DBL_MIN is 24). */
#define JSONW_NUM_MAX	32

struct jsonw {
	struct buf	*b;
	int		 depth;
	uint64_t	 more;	/* bit d: the container at depth d has a member */
};

/* Starts writing at the end of b (which the caller owns). */
void jsonw_init(struct jsonw *w, struct buf *b);

void jsonw_obj_open(struct jsonw *w, const char *key);
void jsonw_obj_close(struct jsonw *w);
void jsonw_arr_open(struct jsonw *w, const char *key);
void jsonw_arr_close(struct jsonw *w);

/* A string member; s NUL-terminated (jsonw_strn: n bytes, NULs escaped). */
void jsonw_str(struct jsonw *w, const char *key, const char *s);
void jsonw_strn(struct jsonw *w, const char *key, const char *s, size_t n);
/* A number formatted as cJSON formats it (see above). */
void jsonw_num(struct jsonw *w, const char *key, double d);
void jsonw_int(struct jsonw *w, const char *key, long long v);
void jsonw_bool(struct jsonw *w, const char *key, int v);
/* A member whose value is already JSON text, copied verbatim (trusted). */
void jsonw_raw(struct jsonw *w, const char *key, const char *json, size_t n);
/*
 * A member whose value is stored JSON text: one value, whitespace around
 * it allowed. Copies it compactly with numbers reformatted as cJSON would
 * print them after parsing. Returns 0, or TD_EINVAL when json is not such
 * a value (unbalanced, a raw control character in a string, an unknown
 * token, nesting deeper than JSONW_MAX_DEPTH): then nothing is written.
 */
int jsonw_canon(struct jsonw *w, const char *key, const char *json, size_t n);

/*
 * One top-level member of a stored JSON object: key (raw bytes between
 * the quotes, escapes not decoded) and value (its JSON text), pointing
 * into the scanned text.
 */
struct jsonw_member {
	const char	*key;
	size_t		 key_len;
	const char	*val;
	size_t		 val_len;
};
/*
 * Splits the JSON object json[0..n) into at most max members, in order.
 * Returns the number of members, or TD_EINVAL if json is not one object
 * or has more than max members. Values are only delimited, not checked:
 * pass them through jsonw_canon().
 */
int jsonw_members(const char *json, size_t n, struct jsonw_member *m,
    int max);

/* Writes d as cJSON would into out (NUL-terminated); returns the length. */
size_t jsonw_fmt_num(char out[JSONW_NUM_MAX], double d);
/* Appends s[0..n) as a JSON string literal, quotes included (see above). */
void jsonw_buf_str(struct buf *b, const char *s, size_t n);

#endif
