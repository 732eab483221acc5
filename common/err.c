/*
 * err.c - text for tunerd's error codes and negative errno values.
 */
#include <string.h>

#include "err.h"

const char *
td_strerror(int code)
{
	switch (code) {
#define X(name, val, text) case name: return text;
	TD_ERR_MAP(X)
#undef X
	default:
		break;
	}
	if (code < 0 && code > TD_EBASE)
		return strerror(-code);
	return "unknown error";
}
