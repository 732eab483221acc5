/*
 * evstream.h - the worker's side of the event stream (proto/event.h):
 * events.jsonl and the worker.sock listener with its clients.
 *
 * Every event is appended to events.jsonl with one write(2) and only then
 * sent; a client is just a read offset into that file, so replay and live
 * streaming are one mechanism, a slow client costs no memory and can never
 * block the worker (sockets are non-blocking; a client that errors is
 * dropped). Clients may send "stop\n". The owner drives it from its own
 * poll(2) loop with evs_pollfds()/evs_handle(). Ownership: evs_open()
 * returns an object the caller frees with evs_close() (NULL is a no-op).
 */
#ifndef TD_EVSTREAM_H
#define TD_EVSTREAM_H

#include <poll.h>
#include <stddef.h>

#include "buf.h"

#define EVS_MAX_CLIENTS		32
#define EVS_MAX_POLLFDS		(EVS_MAX_CLIENTS + 1)

struct evs;

/*
 * Opens (creating) dir/events.jsonl, continuing the seq of lines already
 * there. Fails with err set if the file cannot be opened.
 */
int evs_open(const char *dir, struct evs **out, char *err, size_t errlen);
/*
 * Listens on dir/worker.sock (mode 0600; a stale socket is replaced, a live
 * one - another worker - is an error). Paths longer than sun_path are
 * reached through /proc/self/fd.
 */
int evs_listen(struct evs *e, char *err, size_t errlen);
/*
 * Takes fd, a stream socket already connected to a client (tunerd hands
 * its worker one end of a socketpair), as a client of worker.sock: it gets
 * every event from the first. Takes ownership of fd (closed on failure).
 */
int evs_adopt(struct evs *e, int fd);
/*
 * Appends {"seq":N,"time":T,"type":"<type>"<fields>} where fields is "" or
 * a JSON fragment starting with ',' (e.g. ",\"pid\":42"); fsyncs when sync.
 * The line (without '\n') is copied to line when not NULL.
 */
int evs_emit(struct evs *e, const char *type, const char *fields, int sync,
    struct buf *line);
/* Fills pfds (at most EVS_MAX_POLLFDS); returns the count used. */
size_t evs_pollfds(struct evs *e, struct pollfd *pfds);
/* Handles the revents of the pfds evs_pollfds() filled. */
void evs_handle(struct evs *e, const struct pollfd *pfds, size_t n);
/* Whether a client asked to stop since the last call (clears the flag). */
int evs_take_stop(struct evs *e);
/* Clients still behind the end of the file. */
size_t evs_behind(const struct evs *e);
/* Sends what clients are missing for at most timeout_ms. */
void evs_drain(struct evs *e, int timeout_ms);
/* Number of events written (the last seq). */
long evs_seq(const struct evs *e);
/* Closes clients and the listener, unlinks worker.sock, closes the file. */
void evs_close(struct evs *e);

#endif
