/*
 * embedded.h - files compiled into a binary by tools/embed.c.
 * A table ends with an entry whose name is NULL.
 */
#ifndef TD_EMBEDDED_H
#define TD_EMBEDDED_H

#include <stddef.h>

struct td_embedded {
	const char	*name;
	const char	*data;
	size_t		 len;
};

#endif
