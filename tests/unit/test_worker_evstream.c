/*
 * test_worker_evstream.c - events.jsonl and worker.sock: seq without gaps
 * across reopen, a torn last line, replay then live lines to clients, the
 * "stop" command, slow and vanished clients, and long directory paths.
 */
#include "t.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>

#include "err.h"
#include "event.h"
#include "evstream.h"
#include "util.h"

static char dir[] = "/tmp/tdevs.XXXXXX";

static void
setup(void)
{
	T_ASSERT(mkdtemp(dir) != NULL);
}

static void
cleanup(void)
{
	td_rm_rf(dir);
}

static char *
events_file(void)
{
	char path[300], *text = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, EV_FILE);
	T_ASSERT(td_read_file(path, 1 << 24, &text, NULL) == 0);
	return text;
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static struct evs *
open_listen(const char *d)
{
	struct evs *e = NULL;
	char err[512];

	T_ASSERT(evs_open(d, &e, err, sizeof(err)) == 0);
	if (evs_listen(e, err, sizeof(err)) != 0)
		T_FAIL("evs_listen: %s", err);
	return e;
}

/* Connects to the socket in d (by a relative path, so any length works). */
static int
client(const char *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), cwd = open(".", O_RDONLY);

	T_ASSERT(fd != -1 && cwd != -1 && chdir(d) == 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", EV_SOCKET);
	T_ASSERT(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	T_ASSERT(fchdir(cwd) == 0);
	close(cwd);
	return fd;
}

/* Runs the evs side for a few turns. */
static void
pump(struct evs *e, int turns)
{
	struct pollfd pfds[EVS_MAX_POLLFDS];
	size_t n;

	while (turns-- > 0) {
		n = evs_pollfds(e, pfds);
		if (poll(pfds, n, 20) > 0)
			evs_handle(e, pfds, n);
	}
}

/* Reads what the client has (waiting up to 1 s for the first byte). */
static size_t
drain(int fd, struct buf *b)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char chunk[65536];
	size_t got = 0;
	ssize_t n;
	int wait = 1000;

	while (poll(&p, 1, wait) > 0) {
		if ((n = read(fd, chunk, sizeof(chunk))) <= 0)
			break;
		buf_append(b, chunk, (size_t)n);
		got += (size_t)n;
		wait = 50;
	}
	return got;
}

static void
t_seq_and_reopen(void)
{
	struct evs *e = NULL;
	char err[256], *text;
	struct buf line = { 0 };

	setup();
	T_ASSERT(evs_open(dir, &e, err, sizeof(err)) == 0);
	T_ASSERT(evs_emit(e, EV_STATUS, ",\"status\":\"Starting\"", 0, NULL) == 0);
	T_ASSERT(evs_emit(e, EV_STARTED, ",\"pid\":42", 0, &line) == 0);
	T_ASSERT(strncmp(line.data, "{\"seq\":2,\"time\":", 16) == 0);
	T_ASSERT(strstr(line.data, "\"type\":\"started\",\"pid\":42}") != NULL);
	T_ASSERT(line.data[line.len - 1] == '}');
	T_EQ_INT(evs_seq(e), 2);
	evs_close(e);
	/* A second worker process on the same directory continues the seq. */
	T_ASSERT(evs_open(dir, &e, err, sizeof(err)) == 0);
	T_EQ_INT(evs_seq(e), 2);
	T_ASSERT(evs_emit(e, EV_EXITED, ",\"status\":\"Failed\"", 1, NULL) == 0);
	evs_close(e);
	text = events_file();
	T_EQ_INT(count_lines(text), 3);
	T_ASSERT(strstr(text, "{\"seq\":3,") != NULL);
	free(text);
	buf_free(&line);
	evs_close(NULL);
	cleanup();
}

static void
t_torn_line_is_cut(void)
{
	struct evs *e = NULL;
	char err[256], path[300], *text;
	FILE *f;

	setup();
	snprintf(path, sizeof(path), "%s/%s", dir, EV_FILE);
	T_ASSERT((f = fopen(path, "w")) != NULL);
	fputs("{\"seq\":1,\"type\":\"status\"}\n{\"seq\":2,\"type\":\"sta", f);
	fclose(f);
	T_ASSERT(evs_open(dir, &e, err, sizeof(err)) == 0);
	T_EQ_INT(evs_seq(e), 1);
	T_ASSERT(evs_emit(e, EV_STATUS, NULL, 0, NULL) == 0);
	evs_close(e);
	text = events_file();
	T_ASSERT(strstr(text, "\"sta{") == NULL);
	T_ASSERT(strstr(text, "}\n{\"seq\":2,\"time\":") != NULL);
	free(text);
	/* Garbage is not continued blindly. */
	T_ASSERT((f = fopen(path, "w")) != NULL);
	fputs("not json\n", f);
	fclose(f);
	T_ASSERT(evs_open(dir, &e, err, sizeof(err)) != 0);
	T_ASSERT(strstr(err, EV_FILE) != NULL);
	T_ASSERT(evs_open("/nonexistent/tdevs", &e, err, sizeof(err)) != 0);
	cleanup();
}

static void
t_replay_then_live(void)
{
	struct evs *e;
	struct buf a = { 0 }, b = { 0 };
	char *text;
	int c1, c2;

	setup();
	e = open_listen(dir);
	T_ASSERT(evs_emit(e, EV_STATUS, ",\"n\":1", 0, NULL) == 0);
	T_ASSERT(evs_emit(e, EV_STATUS, ",\"n\":2", 0, NULL) == 0);
	c1 = client(dir);
	pump(e, 3);
	drain(c1, &a);
	T_EQ_INT(count_lines(a.data), 2);
	T_ASSERT(evs_emit(e, EV_METRIC, ",\"n\":3", 0, NULL) == 0);
	drain(c1, &a);
	T_EQ_INT(count_lines(a.data), 3);
	/* A later client gets everything from seq 1. */
	c2 = client(dir);
	pump(e, 3);
	drain(c2, &b);
	T_EQ_STR(b.data, a.data);
	text = events_file();
	T_EQ_STR(text, a.data);
	free(text);
	close(c1);
	close(c2);
	pump(e, 3);
	T_EQ_INT(evs_behind(e), 0);
	evs_close(e);
	buf_free(&a);
	buf_free(&b);
	cleanup();
}

static void
t_stop_command(void)
{
	struct evs *e;
	int c;

	setup();
	e = open_listen(dir);
	c = client(dir);
	pump(e, 2);
	T_ASSERT(!evs_take_stop(e));
	T_ASSERT(write(c, "hello\nst", 8) == 8);	/* unknown, then split */
	pump(e, 2);
	T_ASSERT(!evs_take_stop(e));
	T_ASSERT(write(c, "op\r\n", 4) == 4);
	pump(e, 3);
	T_ASSERT(evs_take_stop(e));
	T_ASSERT(!evs_take_stop(e));	/* taken */
	close(c);
	evs_close(e);
	cleanup();
}

static void
t_slow_client_never_blocks(void)
{
	struct evs *e;
	struct buf got = { 0 }, fields = { 0 };
	uint64_t t0;
	int c, i;

	setup();
	e = open_listen(dir);
	c = client(dir);
	pump(e, 2);
	buf_puts(&fields, ",\"pad\":\"");
	for (i = 0; i < 1000; i++)
		buf_putc(&fields, 'x');
	buf_puts(&fields, "\"");
	/* ~10 MB while the client reads nothing: emit never waits. */
	t0 = td_mono_ns();
	for (i = 0; i < 10000; i++)
		T_ASSERT(evs_emit(e, EV_METRIC, fields.data, 0, NULL) == 0);
	T_ASSERT(td_mono_ns() - t0 < 5000000000u);
	T_ASSERT(evs_behind(e) == 1);
	/* Then it catches up, in order and complete. */
	while (evs_behind(e) > 0) {
		pump(e, 1);
		drain(c, &got);
	}
	drain(c, &got);
	T_EQ_INT(count_lines(got.data), 10000);
	T_ASSERT(strstr(got.data, "{\"seq\":10000,") != NULL);
	close(c);
	evs_close(e);
	buf_free(&got);
	buf_free(&fields);
	cleanup();
}

static void
t_gone_client_is_dropped(void)
{
	struct evs *e;
	int c;

	setup();
	e = open_listen(dir);
	c = client(dir);
	pump(e, 2);
	close(c);
	pump(e, 2);
	/* Writing to it now must neither fail the emit nor raise SIGPIPE. */
	signal(SIGPIPE, SIG_DFL);
	T_ASSERT(evs_emit(e, EV_STATUS, NULL, 0, NULL) == 0);
	T_ASSERT(evs_emit(e, EV_STATUS, NULL, 0, NULL) == 0);
	T_EQ_INT(evs_behind(e), 0);
	evs_close(e);
	cleanup();
}

static void
t_second_listener_refused(void)
{
	struct evs *e, *e2 = NULL;
	char err[512], sock[300];
	struct stat st;

	setup();
	e = open_listen(dir);
	snprintf(sock, sizeof(sock), "%s/%s", dir, EV_SOCKET);
	T_ASSERT(stat(sock, &st) == 0);
	T_EQ_INT(st.st_mode & 0777, 0600);
	/* The job directory's lock turns a second worker away at open. */
	T_ASSERT(evs_open(dir, &e2, err, sizeof(err)) == TD_EEXIST);
	T_ASSERT(strstr(err, "another worker") != NULL);
	T_ASSERT(e2 == NULL);
	/* The refused one did not remove the live socket. */
	T_ASSERT(stat(sock, &st) == 0);
	evs_close(e);
	/* Closing removes it; a stale file is replaced on the next listen. */
	T_ASSERT(stat(sock, &st) == -1 && errno == ENOENT);
	close(open(sock, O_CREAT | O_WRONLY, 0600));
	e = open_listen(dir);
	evs_close(e);
	cleanup();
}

static void
t_long_directory(void)
{
	char deep[600];
	struct evs *e;
	struct buf got = { 0 };
	int c;

	setup();
	snprintf(deep, sizeof(deep), "%s/%0100d/%0100d", dir, 1, 2);
	T_ASSERT(td_mkdir_p(deep, 0700) == 0);
	e = open_listen(deep);
	T_ASSERT(evs_emit(e, EV_STATUS, NULL, 0, NULL) == 0);
	c = client(deep);
	pump(e, 3);
	drain(c, &got);
	T_EQ_INT(count_lines(got.data), 1);
	close(c);
	evs_close(e);
	buf_free(&got);
	cleanup();
}

T_MAIN(T_CASE(t_seq_and_reopen), T_CASE(t_torn_line_is_cut),
    T_CASE(t_replay_then_live), T_CASE(t_stop_command),
    T_CASE(t_slow_client_never_blocks), T_CASE(t_gone_client_is_dropped),
    T_CASE(t_second_listener_refused), T_CASE(t_long_directory))
