#!/usr/bin/python3
"""bench/workflow/bench.py - the seed workflow's wall time: the notebook's
15-job / 5-parallel Bayesian tuning of the built-in MLP on Boston Housing
(examples/boston/tuning.json), submitted with `tuner tune --config ...
--wait` until it is Completed.

    bench/workflow/bench.py [--build-dir build] [--runs 5] [--slots N,...]

For each --slots value (default: the daemon's default, one slot per CPU,
and 5, the tuning job's MaxParallelTrainingJobs) a private tunerd runs the
tuning job RUNS times, one after the other, each under a new name. Prints
the median of:
  - wall: the `tuner tune --wait -q` process from start to exit, what a
    user waits;
  - daemon: the tuning job's CreationTime to
    (HyperParameterTuningEndTime: what tunerd itself takes, without the client's polling);
  - training: the sum of the trials' TrainingEndTime - TrainingStartTime,
    and the longest trial.
Goal: under 3 s (the notebook's hosted run "may take around 10 minutes").
Figures only; never passes or fails on time.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'api'))
import tdbench  # noqa: E402

CONFIG = os.path.join(tdbench.SOURCE, 'examples', 'boston', 'tuning.json')


def one_run(build, d, name):
    tuner = os.path.join(build, 'client', 'tuner')
    t0 = time.monotonic()
    r = subprocess.run([tuner, '--socket', d.socket, 'tune', '--config', CONFIG,
                        '--name', name, '--wait', '-q'], capture_output=True, text=True)
    wall = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit('tuner tune failed (%d): %s%s' % (r.returncode, r.stdout, r.stderr))
    desc = d.ok('DescribeHyperParameterTuningJob', {'HyperParameterTuningJobName': name})
    jobs, token = [], None
    while True:
        req = {'HyperParameterTuningJobName': name, 'MaxResults': 100}
        if token:
            req['NextToken'] = token
        page = d.ok('ListTrainingJobsForHyperParameterTuningJob', req)
        jobs += page['TrainingJobSummaries']
        token = page.get('NextToken')
        if not token:
            break
    spans = [j['TrainingEndTime'] - j['TrainingStartTime'] for j in jobs
             if 'TrainingEndTime' in j and 'TrainingStartTime' in j]
    return {'wall': wall,
            'daemon': desc['HyperParameterTuningEndTime'] - desc['CreationTime'],
            'status': desc['HyperParameterTuningJobStatus'],
            'trials': len(jobs), 'training': sum(spans), 'longest': max(spans or [0]),
            'best': desc.get('BestTrainingJob', {}).get(
                'FinalHyperParameterTuningJobObjectiveMetric', {}).get('Value')}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build-dir')
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--slots', default='default,5',
                    help='comma-separated --slots values; "default" = one per CPU')
    a = ap.parse_args()
    build = tdbench.build_dir(a.build_dir)
    with open(CONFIG) as f:
        cfg = json.load(f)['HyperParameterTuningJobConfig']
    print('workflow: examples/boston/tuning.json (%d jobs, %d parallel, %s), %d runs'
          % (cfg['ResourceLimits']['MaxNumberOfTrainingJobs'],
             cfg['ResourceLimits']['MaxParallelTrainingJobs'], cfg['Strategy'], a.runs))
    print(tdbench.provenance())
    rows, summary = [], []
    for slots in a.slots.split(','):
        n = None if slots == 'default' else int(slots)
        d = tdbench.Tunerd(build, slots=n)
        try:
            runs = [one_run(build, d, 'boston-bench-%d' % k) for k in range(a.runs)]
            mem = d.rss()
        finally:
            d.stop()
        label = '--slots %s' % (slots if n else '%d (default)' % os.cpu_count())
        for k, r in enumerate(runs):
            rows.append([label, k + 1, r['status'], r['trials'], '%.3f' % r['wall'],
                         '%.3f' % r['daemon'], '%.3f' % r['training'],
                         '%.3f' % r['longest'], '%.2f' % (r['best'] or float('nan'))])
        summary.append((label, statistics.median(r['wall'] for r in runs),
                        statistics.median(r['daemon'] for r in runs),
                        statistics.median(r['training'] for r in runs), mem))
    print()
    tdbench.table(rows, ['daemon', 'run', 'status', 'trials', 'wall s', 'daemon s',
                         'training s (sum)', 'longest trial s', 'best val_loss'])
    print()
    for label, wall, daemon, training, mem in summary:
        print('%s: median wall %.2f s (goal < 3 s), daemon %.2f s, training %.2f s '
              '(sum over trials); daemon peak RSS %.1f MiB' % (
                  label, wall, daemon, training, mem.get('VmHWM', 0)))


if __name__ == '__main__':
    main()
