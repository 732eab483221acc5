#!/usr/bin/python3
"""bench/scale/bench.py - tunerd with a million training jobs: do Describe,
List (every filter, sort and deep pages) and a tuning job's trial list stay
flat, what does the daemon keep in memory, and how big is the database?

    bench/scale/bench.py [--build-dir build] [--jobs 1000000] [--small 10000]
                         [--seconds 2] [--no-fts] [--keep-db DIR]

1. td-bench-scale gen builds two stores through the store layer (the
   daemon's own store*.c and migrations; 10,000 rows a transaction): SMALL
   and JOBS finished training jobs, of which 200 tuning jobs x 500 trials.
2. td-bench-scale query runs every query shape through the store functions
   on both (in-process: p50/p99, rows stepped, EXPLAIN QUERY PLAN).
3. A tunerd on the big store answers the same queries over its unix socket
   (td-bench-apiload, one connection, SECONDS each): p99 per request, and
   the daemon's RSS after start and after the queries.
4. --fts (default): on a copy of the big store, the proposed trigram index
   for NameContains (td-bench-scale fts): its size, insert cost and speed.

Goals: p99 < 1 ms for Describe and < 5 ms per 100-row page, flat from SMALL
to JOBS; no query scans a table; RSS < 50 MB. Figures only.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'api'))
import tdbench  # noqa: E402


def gen(build, path, jobs):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    r = tdbench.run_json([tdbench.tool(build, 'td-bench-scale'), 'gen', path, '-n', str(jobs),
                          '-t', '200' if jobs >= 1000000 else '10', '-k',
                          '500' if jobs >= 1000000 else '100'])
    size = sum(os.path.getsize(path + s) for s in ('', '-wal') if os.path.exists(path + s))
    return r, size


def store_query(build, path, reps):
    return tdbench.run_json([tdbench.tool(build, 'td-bench-scale'), 'query', path, '-r',
                             str(reps)])


def api_queries(q, now_jobs):
    """(label, target, body) for every query shape, as the API takes them."""
    toks = q['tokens']
    # Creation times: job i at (generation time - jobs * 10 s) + 10 i.
    span = now_jobs * 10.0
    t_end = time.time()
    lt = 'SageMaker.ListTrainingJobs'
    out = [('DescribeTrainingJob', 'SageMaker.DescribeTrainingJob',
            [{'TrainingJobName': n} for n in q['sample_names']]),
           ('List (default: CreationTime asc)', lt, [{'MaxResults': 100}]),
           ('List CreationTime desc', lt, [{'MaxResults': 100, 'SortOrder': 'Descending'}]),
           ('List NameContains common ("cifar")', lt,
            [{'MaxResults': 100, 'NameContains': 'cifar'}]),
           ('List NameContains rare ("%s")' % q['rare_substring'], lt,
            [{'MaxResults': 100, 'NameContains': q['rare_substring']}]),
           ('List StatusEquals Failed', lt, [{'MaxResults': 100, 'StatusEquals': 'Failed'}]),
           ('List CreationTimeAfter (newest 1%)', lt,
            [{'MaxResults': 100, 'CreationTimeAfter': t_end - span * 0.01}]),
           ('List CreationTimeBefore (oldest 1%)', lt,
            [{'MaxResults': 100, 'CreationTimeBefore': t_end - span * 0.99}]),
           ('List SortBy Name', lt, [{'MaxResults': 100, 'SortBy': 'Name'}]),
           ('List SortBy Status', lt, [{'MaxResults': 100, 'SortBy': 'Status'}]),
           ('List SortBy Status desc', lt, [{'MaxResults': 100, 'SortBy': 'Status',
                                             'SortOrder': 'Descending'}]),
           ('List page at 50% (CreationTime)', lt,
            [{'MaxResults': 100, 'NextToken': toks['CreationTime']}]),
           ('List page at 50% (Name)', lt,
            [{'MaxResults': 100, 'SortBy': 'Name', 'NextToken': toks['Name']}]),
           ('List page at 50% (Status)', lt,
            [{'MaxResults': 100, 'SortBy': 'Status', 'NextToken': toks['Status']}]),
           ('List StatusEquals Stopped + SortBy Name', lt,
            [{'MaxResults': 100, 'StatusEquals': 'Stopped', 'SortBy': 'Name'}])]
    tj = q['sample_tuning_job']
    if tj:
        lf = 'SageMaker.ListTrainingJobsForHyperParameterTuningJob'
        for sort in ('CreationTime', 'Name', 'Status', 'FinalObjectiveMetricValue'):
            out.append(('Trials of a tuning job, SortBy %s' % sort, lf,
                        [{'HyperParameterTuningJobName': tj, 'MaxResults': 100,
                          'SortBy': sort}]))
        out.append(('DescribeHyperParameterTuningJob',
                    'SageMaker.DescribeHyperParameterTuningJob',
                    [{'HyperParameterTuningJobName': tj}]))
    return out


def short_plan(plans):
    text = '; '.join(' / '.join(p['plan']) for p in plans)
    for a, b in (('training_jobs', 'tj'), ('USING INDEX ', ''), ('USE TEMP B-TREE', 'TEMP B-TREE'),
                 ('sqlite_autoindex_training_jobs_1', 'name (unique)')):
        text = text.replace(a, b)
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build-dir')
    ap.add_argument('--jobs', type=int, default=1000000)
    ap.add_argument('--small', type=int, default=10000)
    ap.add_argument('--seconds', type=float, default=2)
    ap.add_argument('--reps', type=int, default=20, help='store-level repetitions')
    ap.add_argument('--no-fts', action='store_true')
    ap.add_argument('--keep-db', help='keep the big store in this directory')
    a = ap.parse_args()
    build = tdbench.build_dir(a.build_dir)
    print('scale: %d vs %d training jobs' % (a.small, a.jobs))
    print(tdbench.provenance())
    tmp = tempfile.mkdtemp(prefix='tunerd-bench-scale-')
    try:
        small_db = os.path.join(tmp, 'small', 'tunerd.db')
        big_db = os.path.join(tmp, 'big', 'tunerd.db')
        gs, _ = gen(build, small_db, a.small)
        t0 = time.monotonic()
        gb, big_bytes = gen(build, big_db, a.jobs)
        print('generated %d jobs in %.1f s (%.0f jobs/s through store_tj_insert + '
              'store_tj_update); database %.0f MB, %.0f bytes per job' % (
                  a.jobs, time.monotonic() - t0, a.jobs / gb['seconds'], big_bytes / 1e6,
                  big_bytes / a.jobs))
        qs = store_query(build, small_db, a.reps)
        qb = store_query(build, big_db, a.reps)

        d = tdbench.Tunerd(build, state=os.path.dirname(big_db))
        try:
            rss_start = d.rss()
            http = []
            for label, target, bodies in api_queries(qb, a.jobs):
                f = os.path.join(tmp, 'bodies.jsonl')
                with open(f, 'w') as fh:
                    for b in bodies:
                        fh.write(json.dumps(b) + '\n')
                r = tdbench.run_json([tdbench.tool(build, 'td-bench-apiload'), '-s',
                                      d.socket, '-c', '1', '-d', str(a.seconds), '-w',
                                      '0.2', '-t', target, '-f', f])
                if r['errors']:
                    sys.exit('%s: %s' % (label, r.get('first_error')))
                http.append((label, r))
            rss_end = d.rss()
        finally:
            d.stop()

        fts = None
        if not a.no_fts:
            copy = os.path.join(tmp, 'fts', 'tunerd.db')
            os.makedirs(os.path.dirname(copy))
            shutil.copyfile(big_db, copy)
            fts = tdbench.run_json([tdbench.tool(build, 'td-bench-scale'), 'fts', copy,
                                    '-r', str(a.reps)])
            os.unlink(copy)
        if a.keep_db:
            os.makedirs(a.keep_db, exist_ok=True)
            shutil.move(big_db, os.path.join(a.keep_db, 'tunerd.db'))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print('\nstore level (in-process, %d calls each): p99 us at %d and %d jobs' % (
        a.reps, a.small, a.jobs))
    rows = []
    small = {x['label']: x for x in qs['queries']}
    for x in qb['queries']:
        s = small.get(x['label'], {})
        rows.append([x['kind'] + ': ' + x['label'], '%.0f' % s.get('p99_us', float('nan')),
                     '%.0f' % x['p99_us'], '%.0f' % x['vm_steps_per_call'],
                     '%.0f' % x['rows_per_call'], short_plan(x['plans'])])
    tdbench.table(rows, ['query', 'p99 small', 'p99 big', 'VM steps', 'rows', 'plan'])

    print('\nthrough tunerd (unix socket, one connection, %.0f s each), %d jobs' % (
        a.seconds, a.jobs))
    rows = []
    for label, r in http:
        goal = 1000 if label.startswith('Describe') else 5000
        rows.append([label, r['requests'], '%.0f' % r['p50_us'], '%.0f' % r['p99_us'],
                     '%.0f' % r['max_us'], 'yes' if r['p99_us'] < goal else 'NO'])
    tdbench.table(rows, ['request', 'n', 'p50 us', 'p99 us', 'max us', 'p99 < goal'])
    print('\ndaemon RSS: %.1f MiB after start, %.1f MiB after the queries (peak %.1f MiB);'
          ' goal < 50 MB' % (rss_start['VmRSS'], rss_end['VmRSS'], rss_end['VmHWM']))
    print('database: %.0f bytes per job' % (big_bytes / a.jobs))
    if fts:
        print('\nproposed trigram index for NameContains (FTS5, external content): '
              'built in %.1f s, %.0f bytes per job, insert %.1f -> %.1f us per job' % (
                  fts['build_s'], fts['bytes_per_job'], fts['insert_us_plain'],
                  fts['insert_us_fts']))
        for x in fts['queries']:
            print('  %s: p50 %.0f us, p99 %.0f us, %d rows; %s' % (
                x['label'], x['p50_us'], x['p99_us'], x['rows'],
                short_plan([{'plan': x['plan']}])))


if __name__ == '__main__':
    main()
