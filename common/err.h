/*
 * err.h - the one error convention of tunerd.
 *
 * Every fallible function returns int: 0 on success, a negative code on
 * failure. System failures are negative errno values (-ENOENT); tunerd's own
 * codes live below TD_EBASE so the two can never collide. td_strerror() maps
 * either kind to text, from the same table that defines the codes.
 */
#ifndef TD_ERR_H
#define TD_ERR_H

#define TD_EBASE (-10000)

#define TD_ERR_MAP(X)                                                        \
	X(TD_EINVAL,    TD_EBASE - 1,  "invalid input")                      \
	X(TD_ENOTFOUND, TD_EBASE - 2,  "not found")                          \
	X(TD_EEXIST,    TD_EBASE - 3,  "already exists")                     \
	X(TD_ELIMIT,    TD_EBASE - 4,  "limit exceeded")                     \
	X(TD_ESTATE,    TD_EBASE - 5,  "not allowed in the current state")   \
	X(TD_EDB,       TD_EBASE - 6,  "database error")                     \
	X(TD_ESCHEMA,   TD_EBASE - 7,  "database schema newer than binary")  \
	X(TD_EPROTO,    TD_EBASE - 8,  "protocol error")                     \
	X(TD_ETOOBIG,   TD_EBASE - 9,  "too large")                          \
	X(TD_ENOMEM,    TD_EBASE - 10, "out of memory")                      \
	X(TD_EFORMAT,   TD_EBASE - 11, "bad file format")                    \
	X(TD_EIO,       TD_EBASE - 12, "input/output error")

enum {
#define X(name, val, text) name = (val),
	TD_ERR_MAP(X)
#undef X
};

/* Text for a code from either space; never NULL, never to be freed. */
const char *td_strerror(int code);

#endif
