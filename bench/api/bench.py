#!/usr/bin/python3
"""bench/api/bench.py - the control-plane API: DescribeTrainingJob and
ListTrainingJobs (100 results) against the floor of a trivial route of the
same server (GET /ping), over loopback TCP (wrk) and the unix socket
(td-bench-apiload), unloaded and while tunerd is busy.

    bench/api/bench.py [--build-dir build] [--seconds 5] [--connections 8]
                       [--jobs 10000] [--no-busy] [--haswell]

A private tunerd (TCP on 127.0.0.1, --slots 5) serves a store of JOBS
finished training jobs built by td-bench-scale (the store layer). Every
request is keep-alive, one in flight per connection (closed loop).
Throughput: CONNECTIONS connections; latency "unloaded": one connection.

Busy: a tuning job with a TrainingJobDefinition runs 5 trials at once, each
a Script Mode sh program burning CPU and printing loss/val_loss lines
(metric events), while an ask/tell Bayesian job with ~200 observations is
asked and told in a loop by td-bench-asktell (a GP fit per ask, on the
daemon's threadpool). The latency is measured with one connection then.

Goals: Describe >= 50% of the floor's requests/s and >= 50,000 requests/s;
p99 < 1 ms unloaded and < 5 ms busy. Figures only; never passes or fails.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tdbench  # noqa: E402

TRIAL_SH = r'''#!/bin/sh
# A trial that burns CPU in the shell and reports an epoch every ~50 ms.
lr=0.1
while [ $# -gt 0 ]; do
	case $1 in --learning_rate) lr=$2; shift ;; esac
	shift
done
e=0
while [ $e -lt 200 ]; do
	i=0
	while [ $i -lt 20000 ]; do i=$((i + 1)); done
	e=$((e + 1))
	echo "epoch $e loss: 0.$((500 - e)) val_loss: 0.$((600 - e))"
done
'''


def wrk(port, target, bodies, conns, seconds):
    env = dict(os.environ)
    env['TD_TARGET'] = target or ''
    env['TD_BODIES'] = bodies or ''
    r = subprocess.run(['wrk', '-t1', '-c%d' % conns, '-d%ds' % seconds, '--latency',
                        '-s', os.path.join(HERE, 'wrk.lua'),
                        'http://127.0.0.1:%d/' % port], capture_output=True, text=True,
                       env=env)
    m = re.search(r'^TDJSON (.*)$', r.stdout, re.M)
    if r.returncode != 0 or not m:
        sys.exit('wrk failed: %s %s' % (r.stdout, r.stderr))
    out = json.loads(m.group(1))
    if 'Non-2xx' in r.stdout:
        out['errors'] += int(re.search(r'Non-2xx or 3xx responses: (\d+)', r.stdout).group(1))
    return out


def apiload(build, sock, target, bodies, conns, seconds):
    cmd = [tdbench.tool(build, 'td-bench-apiload'), '-s', sock, '-c', str(conns),
           '-d', str(seconds), '-w', '1']
    cmd += ['-t', target, '-f', bodies] if target else ['-g', '/ping']
    return tdbench.run_json(cmd)


def names(d, n):
    out, token = [], None
    while len(out) < n:
        req = {'MaxResults': 100, 'SortBy': 'Name'}
        if token:
            req['NextToken'] = token
        page = d.ok('ListTrainingJobs', req)
        out += [j['TrainingJobName'] for j in page['TrainingJobSummaries']]
        token = page.get('NextToken')
        if not token:
            break
    return out[:n]


def told(d):
    c = d.ok('DescribeHyperParameterTuningJob', {'HyperParameterTuningJobName': 'asktell'})
    return c['TrainingJobStatusCounters']['Completed']


def start_busy(build, d, tmp):
    """5 CPU-burning trials and an ask/tell job asked in a loop; returns
    the asktell process and a description."""
    src = os.path.join(tmp, 'src')
    os.makedirs(src, exist_ok=True)
    with open(os.path.join(src, 'train.sh'), 'w') as f:
        f.write(TRIAL_SH)
    d.ok('CreateHyperParameterTuningJob', {
        'HyperParameterTuningJobName': 'busy',
        'HyperParameterTuningJobConfig': {
            'Strategy': 'Bayesian',
            'HyperParameterTuningJobObjective': {'Type': 'Minimize',
                                                 'MetricName': 'val_loss'},
            'ResourceLimits': {'MaxNumberOfTrainingJobs': 500,
                               'MaxParallelTrainingJobs': 5},
            'ParameterRanges': {'ContinuousParameterRanges': [
                {'Name': 'learning_rate', 'MinValue': '0.001', 'MaxValue': '0.2',
                 'ScalingType': 'Logarithmic'}]}},
        'TrainingJobDefinition': {
            'AlgorithmSpecification': {
                'TrainingImage': '/bin/sh', 'TrainingInputMode': 'File',
                'MetricDefinitions': [
                    {'Name': 'loss', 'Regex': ' loss: ([0-9\\.]+)'},
                    {'Name': 'val_loss', 'Regex': ' val_loss: ([0-9\\.]+)'}]},
            'StaticHyperParameters': {
                'sagemaker_program': json.dumps('train.sh'),
                'sagemaker_submit_directory': json.dumps(src)},
            'RoleArn': 'arn:aws:iam::000000000000:role/bench',
            'ResourceConfig': {'InstanceType': 'ml.c5.xlarge', 'InstanceCount': 1,
                               'VolumeSizeInGB': 1},
            'StoppingCondition': {'MaxRuntimeInSeconds': 600}}})
    d.ok('CreateHyperParameterTuningJob', {
        'HyperParameterTuningJobName': 'asktell',
        'HyperParameterTuningJobConfig': {
            'Strategy': 'Bayesian',
            'HyperParameterTuningJobObjective': {'Type': 'Minimize', 'MetricName': 'y'},
            'ResourceLimits': {'MaxNumberOfTrainingJobs': 100000,
                               'MaxParallelTrainingJobs': 1},
            'ParameterRanges': {'ContinuousParameterRanges': [
                {'Name': 'x%d' % k, 'MinValue': '0', 'MaxValue': '1',
                 'ScalingType': 'Linear'} for k in (1, 2, 3)]},
            'RandomSeed': 1}})
    # ~200 observations first.
    tdbench.run_json([tdbench.tool(build, 'td-bench-asktell'), '-s', d.socket, '-j',
                      'asktell', '-n', '200', '-q'])
    p = subprocess.Popen([tdbench.tool(build, 'td-bench-asktell'), '-s', d.socket, '-j',
                          'asktell', '-n', '100000', '-T', '3600', '-q'],
                         stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        running = d.ok('ListTrainingJobs', {'StatusEquals': 'InProgress',
                                            'MaxResults': 10})['TrainingJobSummaries']
        if len(running) >= 5:
            break
        time.sleep(0.1)
    return p, len(running)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build-dir')
    ap.add_argument('--seconds', type=int, default=5)
    ap.add_argument('--connections', type=int, default=8)
    ap.add_argument('--jobs', type=int, default=10000)
    ap.add_argument('--no-busy', action='store_true')
    ap.add_argument('--haswell', action='store_true',
                    help='run tunerd with OPENBLAS_CORETYPE=Haswell (the busy GP fits)')
    a = ap.parse_args()
    build = tdbench.build_dir(a.build_dir)
    if not shutil.which('wrk'):
        sys.exit('wrk not found: apt-get install -y wrk')
    print('api: Describe/List vs GET /ping, %d s per figure, store of %d jobs%s'
          % (a.seconds, a.jobs, ', OPENBLAS_CORETYPE=Haswell' if a.haswell else ''))
    print(tdbench.provenance())
    tmp = tempfile.mkdtemp(prefix='tunerd-bench-api-')
    state = os.path.join(tmp, 'state')
    os.makedirs(state)
    tdbench.run_json([tdbench.tool(build, 'td-bench-scale'), 'gen',
                      os.path.join(state, 'tunerd.db'), '-n', str(a.jobs), '-t', '10',
                      '-k', '100'])
    d = tdbench.Tunerd(build, slots=5, listen=True, state=state,
                       env={'OPENBLAS_CORETYPE': 'Haswell'} if a.haswell else None)
    rows, busy = [], None
    try:
        desc = os.path.join(tmp, 'describe.jsonl')
        with open(desc, 'w') as f:
            for n in names(d, 1000):
                f.write(json.dumps({'TrainingJobName': n}) + '\n')
        lst = os.path.join(tmp, 'list.jsonl')
        with open(lst, 'w') as f:
            f.write(json.dumps({'MaxResults': 100}) + '\n')
        kinds = [('GET /ping (floor)', None, None),
                 ('DescribeTrainingJob', 'SageMaker.DescribeTrainingJob', desc),
                 ('ListTrainingJobs, 100', 'SageMaker.ListTrainingJobs', lst)]
        res = {}
        for label, target, bodies in kinds:
            for conns in (a.connections, 1):
                res[(label, 'unix', conns)] = apiload(build, d.socket, target, bodies,
                                                      conns, a.seconds)
                res[(label, 'tcp', conns)] = wrk(d.port, target, bodies, conns,
                                                 a.seconds)
        if not a.no_busy:
            busy, running = start_busy(build, d, tmp)
            told0 = told(d)
            cpu0 = d.cpu()[0]
            run0, wait0 = tdbench.proc_sched(d.pid)
            t0 = time.monotonic()
            for label, target, bodies in kinds:
                res[(label, 'unix busy', 1)] = apiload(build, d.socket, target, bodies,
                                                       1, a.seconds)
                res[(label, 'tcp busy', 1)] = wrk(d.port, target, bodies, 1, a.seconds)
            busy_s = time.monotonic() - t0
            busy_cpu = (d.cpu()[0] - cpu0) / busy_s
            run1, wait1 = tdbench.proc_sched(d.pid)
            loop_run, loop_wait = (run1 - run0) / busy_s, (wait1 - wait0) / busy_s
            asked = told(d) - told0
            busy.terminate()
            busy.wait()
            d.ok('StopHyperParameterTuningJob', {'HyperParameterTuningJobName': 'busy'})
        mem = d.rss()
    finally:
        if busy is not None and busy.poll() is None:
            busy.kill()
        d.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    for key in sorted(res, key=lambda k: (k[1], -k[2], k[0])):
        r = res[key]
        rows.append([key[0], key[1], key[2], '%.0f' % r['rps'], '%.0f' % r['p50_us'],
                     '%.0f' % r['p99_us'], '%.0f' % r['p999_us'], r['errors']])
    tdbench.table(rows, ['request', 'transport', 'conns', 'req/s', 'p50 us', 'p99 us',
                         'p99.9 us', 'errors'])
    print()
    for tr in ('unix', 'tcp'):
        floor = res[('GET /ping (floor)', tr, a.connections)]['rps']
        for label in ('DescribeTrainingJob', 'ListTrainingJobs, 100'):
            r = res[(label, tr, a.connections)]
            print('%s over %s, %d connections: %.0f req/s = %.1f%% of the floor '
                  '(goal for Describe: >= 50%% and >= 50,000 req/s)' % (
                      label, tr, a.connections, r['rps'], 100 * r['rps'] / floor))
    for tr in ('unix', 'tcp'):
        r = res[('DescribeTrainingJob', tr, 1)]
        line = 'Describe p99 over %s, one connection: %.0f us unloaded (goal < 1000)' % (
            tr, r['p99_us'])
        if not a.no_busy:
            line += ', %.0f us busy (goal < 5000)' % res[('DescribeTrainingJob',
                                                          tr + ' busy', 1)]['p99_us']
        print(line)
    if not a.no_busy:
        print('busy: %d trials running, %d ask/tell trials done during the measurement, '
              'daemon %.0f%% of a CPU; its loop thread ran %.0f ms/s and waited %.0f ms/s '
              'for a CPU' % (running, asked, 100 * busy_cpu, 1e3 * loop_run, 1e3 * loop_wait))
    print('daemon RSS %.1f MiB (peak %.1f MiB)' % (mem.get('VmRSS', 0), mem.get('VmHWM', 0)))


if __name__ == '__main__':
    main()
