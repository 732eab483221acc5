/*
 * buf.h - a growable byte buffer, always NUL-terminated.
 *
 * A zeroed struct buf is a valid empty buffer. Appends abort on allocation
 * failure (tunerd treats OOM as fatal, like Redis' zmalloc). buf_free()
 * releases the memory and leaves an empty buffer; buf_steal() hands the
 * memory to the caller, who owns it and frees it with free().
 */
#ifndef TD_BUF_H
#define TD_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Appends v in decimal (no printf: for per-request paths). */
void buf_put_u64(struct buf *b, uint64_t v);
/* Appends s as a JSON string literal, quotes included; invalid UTF-8 -> U+FFFD. */
void buf_json_str(struct buf *b, const char *s, size_t n);
/*
 * Length of the well-formed UTF-8 sequence at s (n > 0 bytes available):
 * 1 for ASCII, 2-4, or 0 if it is not one (overlong, surrogate, > U+10FFFF,
 * truncated or a stray continuation byte).
 */
size_t buf_utf8_seq(const unsigned char *s, size_t n);
void buf_consume(struct buf *b, size_t n);
void buf_reset(struct buf *b);
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

#endif
