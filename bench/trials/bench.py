#!/usr/bin/python3
"""bench/trials/bench.py - trial overhead: the same study of a trivial
objective, evaluated in-process by the caller, through tunerd's ask/tell
API and through Optuna, in one run.

    bench/trials/bench.py [--build-dir build] [--trials 1000]
                          [--sizes 100,300,1000] [--no-haswell] [--quick]

The study: x1, x2, x3 continuous in [0, 1], minimise sum (x - 0.5)^2,
RandomSeed 1, one trial at a time (MaxParallelTrainingJobs 1, Count 1).

tunerd: a private daemon; an ask/tell tuning job (no TrainingJobDefinition)
per strategy, driven by td-bench-asktell (C, one keep-alive connection over
the unix socket) and, for Random, also by a Python http.client loop to
show what a Python caller pays. Bayesian is run twice, the second time with
the daemon under OPENBLAS_CORETYPE=Haswell (OpenBLAS 0.3.21 does not know
this CPU and falls back to slow kernels).

Optuna (Debian's python3-optuna, /usr/bin/python3): RandomSampler and
TPESampler on SQLite storage (sqlite:///, a file in the temp dir), and in
memory for reference.

Prints trials per second over the first N trials for each N in --sizes
(N / the sum of the ask and tell times of those trials) and the median
ask time around N (trials N-10..N), and the ratios the goals name: tunerd
Random / Optuna SQLite Random (goal >= 30x), tunerd Bayesian / Optuna TPE
SQLite at every size (goal > 1). Figures only; never passes or fails.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'api'))
import tdbench  # noqa: E402

RANGES = {'ContinuousParameterRanges': [
    {'Name': 'x%d' % k, 'MinValue': '0', 'MaxValue': '1', 'ScalingType': 'Linear'}
    for k in (1, 2, 3)]}


def create_job(d, name, strategy, trials):
    d.ok('CreateHyperParameterTuningJob', {
        'HyperParameterTuningJobName': name,
        'HyperParameterTuningJobConfig': {
            'Strategy': strategy,
            'HyperParameterTuningJobObjective': {'Type': 'Minimize', 'MetricName': 'y'},
            'ResourceLimits': {'MaxNumberOfTrainingJobs': trials,
                               'MaxParallelTrainingJobs': 1},
            'ParameterRanges': RANGES,
            'RandomSeed': 1}})


def run_c(build, d, name, trials):
    return tdbench.run_json([tdbench.tool(build, 'td-bench-asktell'), '-s', d.socket,
                             '-j', name, '-n', str(trials)])


def run_python(d, name, trials):
    """The same loop as td-bench-asktell, in Python (http.client)."""
    ask_us, tell_us, best = [], [], float('inf')
    start = time.perf_counter()
    for _ in range(trials):
        t0 = time.perf_counter()
        st, body = d.call('Tunerd.AskTuningJob', {'HyperParameterTuningJobName': name,
                                                  'Count': 1})
        t1 = time.perf_counter()
        if st != 200:
            sys.exit('ask: %s' % body)
        tr = body['Trials'][0]
        y = sum((float(v) - 0.5) ** 2 for v in tr['HyperParameters'].values())
        best = min(best, y)
        t2 = time.perf_counter()
        st, body = d.call('Tunerd.TellTuningJob', {'HyperParameterTuningJobName': name,
                                                   'TrialName': tr['TrialName'],
                                                   'ObjectiveValue': y})
        t3 = time.perf_counter()
        if st != 200:
            sys.exit('tell: %s' % body)
        ask_us.append((t1 - t0) * 1e6)
        tell_us.append((t3 - t2) * 1e6)
    return {'trials': trials, 'seconds': time.perf_counter() - start, 'best': best,
            'ask_us': ask_us, 'tell_us': tell_us}


def run_optuna(sampler, storage, trials):
    r = subprocess.run(['/usr/bin/python3', os.path.join(HERE, 'optuna_run.py'), sampler,
                        storage, str(trials), '1'], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit('optuna_run.py failed: %s' % r.stderr[-2000:])
    return json.loads(r.stdout)


def at_sizes(res, sizes):
    """{n: (trials/s over the first n, median ask ms around n)}."""
    out = {}
    for n in sizes:
        if n > len(res['ask_us']):
            continue
        total = sum(res['ask_us'][:n]) + sum(res['tell_us'][:n])
        window = res['ask_us'][max(0, n - 10):n]
        out[n] = (n / (total / 1e6), tdbench.median(window) / 1e3)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build-dir')
    ap.add_argument('--trials', type=int, default=1000)
    ap.add_argument('--sizes', default='100,300,1000')
    ap.add_argument('--no-haswell', action='store_true',
                    help='skip the OPENBLAS_CORETYPE=Haswell run')
    ap.add_argument('--quick', action='store_true', help='--trials 300 --sizes 100,300')
    a = ap.parse_args()
    if a.quick:
        a.trials, a.sizes = 300, '100,300'
    sizes = [int(s) for s in a.sizes.split(',') if int(s) <= a.trials]
    build = tdbench.build_dir(a.build_dir)
    print('trials: %d-trial study of a trivial objective, 3 continuous parameters'
          % a.trials)
    print(tdbench.provenance())
    tmp = tempfile.mkdtemp(prefix='tunerd-bench-optuna-')
    rows = {}
    try:
        d = tdbench.Tunerd(build)
        try:
            create_job(d, 'rand-c', 'Random', a.trials)
            rows['tunerd Random (C client)'] = run_c(build, d, 'rand-c', a.trials)
            create_job(d, 'rand-py', 'Random', a.trials)
            rows['tunerd Random (Python client)'] = run_python(d, 'rand-py', a.trials)
            create_job(d, 'bayes-c', 'Bayesian', a.trials)
            rows['tunerd Bayesian (C client)'] = run_c(build, d, 'bayes-c', a.trials)
            rss = d.rss()
        finally:
            d.stop()
        if not a.no_haswell:
            d = tdbench.Tunerd(build, env={'OPENBLAS_CORETYPE': 'Haswell'})
            try:
                create_job(d, 'bayes-h', 'Bayesian', a.trials)
                rows['tunerd Bayesian, OPENBLAS_CORETYPE=Haswell'] = run_c(
                    build, d, 'bayes-h', a.trials)
            finally:
                d.stop()
        for sampler, label in (('random', 'Random'), ('tpe', 'TPE')):
            db = os.path.join(tmp, '%s.db' % sampler)
            rows['Optuna %s, SQLite' % label] = run_optuna(sampler, 'sqlite:///' + db, a.trials)
            rows['Optuna %s, in memory' % label] = run_optuna(sampler, 'memory', a.trials)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    stats = {k: at_sizes(v, sizes) for k, v in rows.items()}
    print()
    header = ['', 'best'] + ['trials/s @%d' % n for n in sizes] + \
        ['ask ms @%d' % n for n in sizes]
    tdbench.table([[k, '%.4g' % v.get('best', float('nan'))] +
                   ['%.1f' % stats[k][n][0] for n in sizes] +
                   ['%.2f' % stats[k][n][1] for n in sizes] for k, v in rows.items()],
                  header)
    print()
    top = sizes[-1]
    r = stats['tunerd Random (C client)'][top][0] / stats['Optuna Random, SQLite'][top][0]
    print('tunerd Random / Optuna Random SQLite at %d trials: %.1fx (goal >= 30x)' % (top, r))
    rp = stats['tunerd Random (Python client)'][top][0] / stats['Optuna Random, SQLite'][top][0]
    print('  with the Python client: %.1fx' % rp)
    for label in [k for k in stats if k.startswith('tunerd Bayesian')]:
        print('%s / Optuna TPE SQLite: %s (goal > 1 at every size)' % (label, ', '.join(
            '%.2fx @%d' % (stats[label][n][0] / stats['Optuna TPE, SQLite'][n][0], n)
            for n in sizes)))
        print('%s / Optuna TPE in memory: %s' % (label, ', '.join(
            '%.2fx @%d' % (stats[label][n][0] / stats['Optuna TPE, in memory'][n][0], n)
            for n in sizes)))
    print('tunerd tell, median us: Random %.0f, Bayesian %.0f; daemon RSS %.1f MiB' % (
        tdbench.median(rows['tunerd Random (C client)']['tell_us']),
        tdbench.median(rows['tunerd Bayesian (C client)']['tell_us']), rss.get('VmRSS', 0)))


if __name__ == '__main__':
    main()
