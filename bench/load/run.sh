#!/bin/sh
# bench/load/run.sh - issue 6's load figures: td-mixload (mixload.c) with
# 64 connections for 30 s against a fresh tunerd on a private state dir,
# over the unix socket, then over loopback TCP. Prints the client's line,
# tunerd's VmRSS before and after each run, and whether its log mentions
# a busy database. Exits non-zero if anything unexpected was answered.
#
#   bench/load/run.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
#
# BUILD_DIR (default: build) must hold daemon/tunerd and
# worker/tunerd-worker. The client is compiled here with cc (it has no
# dependencies). Loopback only; the daemon and its workers are stopped
# and the state dir removed at the end.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-build}
secs=${2:-30}
conns=${3:-64}
case $build in /*) ;; *) build=$root/$build ;; esac
[ -x "$build/daemon/tunerd" ] || {
	echo "run.sh: $build/daemon/tunerd not found; build it first" >&2
	exit 2
}
tmp=$(mktemp -d /tmp/td-load.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	# Workers are detached from tunerd: stop the ones of this state dir.
	for p in $(grep -l "$tmp" /proc/[0-9]*/cmdline 2>/dev/null |
	    sed 's,/proc/\([0-9]*\)/cmdline,\1,'); do
		[ "$p" != "$$" ] && kill -9 "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
${CC:-cc} -O2 -D_GNU_SOURCE -Wall -Wextra -o "$tmp/td-mixload" "$here/mixload.c"
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }
status=0
for mode in unix tcp; do
	rm -rf "$tmp/state"
	port=$(( 20000 + $$ % 20000 ))
	"$build/daemon/tunerd" -d --state-dir "$tmp/state" --slots 2 \
	    --listen "127.0.0.1:$port" >"$tmp/tunerd.log" 2>&1 &
	pid=$!
	i=0
	while [ ! -S "$tmp/state/tunerd.sock" ] && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	if [ "$mode" = unix ]; then target="-u $tmp/state/tunerd.sock"
	else target="-a 127.0.0.1:$port"; fi
	# Warm-up: one second, not counted.
	"$tmp/td-mixload" $target -c "$conns" -d 1 >/dev/null || true
	before=$(rss)
	"$tmp/td-mixload" $target -c "$conns" -d "$secs" || status=1
	after=$(rss)
	busy=$(grep -c -E 'database is locked|SQLITE_BUSY' "$tmp/tunerd.log" || true)
	jobs=$(ls "$tmp/state/jobs" | wc -l)
	echo "tunerd ($mode): VmRSS $before -> $after kB; log lines mentioning" \
	    "a busy database: $busy; job directories: $jobs"
	[ "$busy" = 0 ] || status=1
	kill "$pid"; wait "$pid" 2>/dev/null || true
	pid=
done
exit $status
