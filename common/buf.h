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
/* Appends s as a JSON string literal, quotes included; invalid UTF-8 -> U+FFFD. */
void buf_json_str(struct buf *b, const char *s, size_t n);
void buf_consume(struct buf *b, size_t n);
void buf_reset(struct buf *b);
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

#endif
