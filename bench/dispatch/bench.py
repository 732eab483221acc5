#!/usr/bin/python3
"""bench/dispatch/bench.py - dispatch throughput: training jobs whose
program exits at once, end to end, against the floor of spawning the same
program directly.

    bench/dispatch/bench.py [--build-dir build] [--jobs 1000] [--slots 2]
                            [--worker PATH]

Starts a private tunerd (--slots SLOTS), submits JOBS CreateTrainingJob
requests with ContainerEntrypoint ["/bin/true"] as fast as the API takes
them (td-bench-apiload, one keep-alive connection over the unix socket),
and waits until every job is terminal. Prints:
  - jobs completed per second, first submission to the last job's
    LastModifiedTime (the daemon's clock when it applied the end);
  - the floor, td-bench-spawn: JOBS posix_spawn + waitpid of /bin/true,
    one at a time and SLOTS at a time, and the ratio against both;
  - the daemon's CPU per job (/proc/<pid>/stat utime + stime, before and
    after) and its reaped children's (the workers and their programs);
  - where a job's time goes (medians over the jobs' SecondaryStatusTransitions)
    and the cost of starting the worker binary by itself.
Figures only; never passes or fails on time.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'api'))
import tdbench  # noqa: E402


def wait_all(d, n, timeout):
    """Polls until no job is InProgress or Stopping; returns every summary."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = 0
        for st in ('InProgress', 'Stopping'):
            busy += len(d.ok('ListTrainingJobs', {'StatusEquals': st,
                                                  'MaxResults': 1})['TrainingJobSummaries'])
        if not busy:
            break
        time.sleep(0.02)
    else:
        sys.exit('jobs still running after %d s' % timeout)
    out, token = [], None
    while True:
        req = {'MaxResults': 100}
        if token:
            req['NextToken'] = token
        page = d.ok('ListTrainingJobs', req)
        out += page['TrainingJobSummaries']
        token = page.get('NextToken')
        if not token:
            return out


def phases(d, names):
    """Median seconds per SecondaryStatus over a sample of jobs."""
    acc = {}
    for name in names:
        desc = d.ok('DescribeTrainingJob', {'TrainingJobName': name})
        for tr in desc.get('SecondaryStatusTransitions', []):
            if 'EndTime' in tr:
                acc.setdefault(tr['Status'], []).append(tr['EndTime'] - tr['StartTime'])
        acc.setdefault('(created to last modified)', []).append(
            desc['LastModifiedTime'] - desc['CreationTime'])
    return {k: tdbench.median(v) for k, v in acc.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build-dir')
    ap.add_argument('--jobs', type=int, default=1000)
    ap.add_argument('--slots', type=int, default=2)
    ap.add_argument('--keep', action='store_true', help='keep the temp dir')
    ap.add_argument('--worker', help='tunerd --worker PATH (an experimental worker build)')
    a = ap.parse_args()
    build = tdbench.build_dir(a.build_dir)
    print('dispatch: %d jobs of /bin/true, --slots %d' % (a.jobs, a.slots))
    print(tdbench.provenance())

    spawn = tdbench.tool(build, 'td-bench-spawn')
    floor1 = tdbench.run_json([spawn, '-n', str(a.jobs), '-j', '1', '/bin/true'])
    floorp = tdbench.run_json([spawn, '-n', str(a.jobs), '-j', str(a.slots), '/bin/true'])
    worker = a.worker or os.path.join(build, 'worker', 'tunerd-worker')
    wfloor = tdbench.run_json([spawn, '-n', '200', '-j', str(a.slots), worker, '--help'])

    d = tdbench.Tunerd(build, slots=a.slots, keep=a.keep,
                       args=['--worker', a.worker] if a.worker else [])
    try:
        body = json.dumps(tdbench.training_request('dispatch-{i}'))
        cpu0, child0 = d.cpu()
        t0 = time.time()
        sub = tdbench.run_json([tdbench.tool(build, 'td-bench-apiload'), '-s', d.socket,
                                '-t', 'SageMaker.CreateTrainingJob', '-n', str(a.jobs),
                                '-i', '-B', body])
        if sub['errors']:
            sys.exit('submission errors: %s' % sub.get('first_error'))
        jobs = wait_all(d, a.jobs, 600)
        t_last = max(j['LastModifiedTime'] for j in jobs)
        cpu1, child1 = d.cpu()
        counts = {}
        for j in jobs:
            counts[j['TrainingJobStatus']] = counts.get(j['TrainingJobStatus'], 0) + 1
        sample = ['dispatch-%d' % i for i in range(0, a.jobs, max(1, a.jobs // 50))]
        ph = phases(d, sample)
        mem = d.rss()
    finally:
        d.stop()

    wall = t_last - t0
    rate = a.jobs / wall
    print()
    tdbench.table([
        ['tunerd, end to end', '%.1f' % rate, '%.3f' % wall, ''],
        ['  submission only (CreateTrainingJob)', '%.1f' % sub['rps'],
         '%.3f' % sub['seconds'], 'p99 %.0f us' % sub['p99_us']],
        ['floor: posix_spawn+wait /bin/true, 1 at a time', '%.1f' % floor1['per_second'],
         '%.3f' % floor1['seconds'], ''],
        ['floor: the same, %d at a time' % a.slots, '%.1f' % floorp['per_second'],
         '%.3f' % floorp['seconds'], ''],
        ['tunerd-worker --help alone, %d at a time' % a.slots,
         '%.1f' % wfloor['per_second'], '%.3f' % wfloor['seconds'],
         '%.2f ms CPU each' % (1e3 * (wfloor['children_user_s'] + wfloor['children_sys_s'])
                               / wfloor['count'])],
    ], ['', 'per second', 'seconds', 'note'])
    print()
    print('jobs: %s' % ', '.join('%s %d' % kv for kv in sorted(counts.items())))
    print('ratio to the floor: %.1f%% (1 at a time), %.1f%% (%d at a time); goal >= 30%%'
          % (100 * rate / floor1['per_second'], 100 * rate / floorp['per_second'], a.slots))
    print('daemon CPU per job: %.3f ms; workers + programs CPU per job: %.3f ms '
          '(floor: %.3f ms CPU per /bin/true)' % (
              1e3 * (cpu1 - cpu0) / a.jobs, 1e3 * (child1 - child0) / a.jobs,
              1e3 * (floor1['children_user_s'] + floor1['children_sys_s']) / a.jobs))
    print('daemon RSS %.1f MiB (peak %.1f MiB)' % (mem.get('VmRSS', 0), mem.get('VmHWM', 0)))
    print('median seconds per phase (%d jobs): %s' % (len(sample), ', '.join(
        '%s %.4f' % kv for kv in ph.items())))


if __name__ == '__main__':
    main()
