/*
 * test_store.c - daemon/store.c: WAL checkpoints on the store's own
 * thread. Many commits must leave a bounded WAL, every commit must
 * succeed (no SQLITE_BUSY from the checkpointer), and the rows must all
 * be there after a reopen and an integrity check.
 */
#include <sys/stat.h>

#include <time.h>

#include "err.h"
#include "daemon/store.h"
#include "t.h"
#include "util.h"

static char dir[] = "/tmp/test_store.XXXXXX";

static struct store *
open_at(const char *db)
{
	struct store *st = NULL;
	char err[256];

	if (store_open(db, &st, err, sizeof(err)) != 0)
		T_FAIL("store_open: %s", err);
	return st;
}

static long long
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

static void
t_checkpoint_off_thread(void)
{
	char db[96], wal[100], name[64], err[256], req[2048];
	struct store *st;
	struct store_tj tj;
	long long max_wal = 0, sz;
	int i, n = 6000;

	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(db, sizeof(db), "%s/t.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	st = open_at(db);
	T_EQ_INT(store_checkpoints(st), 0);
	memset(req, 'x', sizeof(req) - 1);
	req[sizeof(req) - 1] = '\0';
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "job-%d", i);
		/* Each commit its own transaction, as the daemon's are. */
		T_EQ_INT(store_tj_insert(st, name, req, 1.0 + i, 0, NULL), 0);
		if ((sz = file_size(wal)) > max_wal)
			max_wal = sz;
	}
	/* The checkpointer ran (on its thread: no call above waited for it)... */
	for (i = 0; i < 200 && store_checkpoints(st) < 1; i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	T_ASSERT(store_checkpoints(st) >= 1);
	/* ...and kept the WAL bounded: with the background PASSIVE
	 * checkpoints alone it grew to ~190 MB here (they never catch up
	 * with a writer that never pauses); with the committing thread
	 * taking over past 4,000 pages, 16 MB plus what was committed
	 * during one background checkpoint (up to 27 MB seen). */
	T_ASSERT(max_wal > 0);
	if (max_wal > 64LL * 1024 * 1024)
		T_FAIL("WAL grew to %lld bytes", max_wal);
	store_close(st);
	/* The main connection closed last: the WAL is folded in and gone. */
	T_ASSERT(file_size(wal) <= 0);
	st = open_at(db);
	T_EQ_INT(store_integrity(st, err, sizeof(err)), 0);
	for (i = 0; i < n; i += 997) {
		snprintf(name, sizeof(name), "job-%d", i);
		T_EQ_INT(store_tj_get(st, name, &tj), 0);
		T_EQ_INT((long long)strlen(tj.request), (long long)sizeof(req) - 1);
		store_tj_clear(&tj);
	}
	T_EQ_INT(store_tj_get(st, "job-6000", &tj), TD_ENOTFOUND);
	store_close(st);
	T_EQ_INT(td_rm_rf(dir), 0);
}

/* Open and close at once, with the checkpointer idle: no hang, no leak. */
static void
t_open_close(void)
{
	char db[96];
	int i;

	T_ASSERT(mkdtemp(dir) != NULL);
	snprintf(db, sizeof(db), "%s/t.db", dir);
	for (i = 0; i < 20; i++)
		store_close(open_at(db));
	store_close(NULL);
	T_EQ_INT(td_rm_rf(dir), 0);
}

T_MAIN(
	T_CASE(t_checkpoint_off_thread),
	T_CASE(t_open_close),
)
