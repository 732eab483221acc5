#!/usr/bin/env python3
"""bench.py - the serving benchmark: InvokeEndpoint through tunerd and
directly against the model servers, in the same run.

    python3 bench/serving/bench.py [--build-dir build] [--seconds 3] [--rounds 3]
                                   [--connections 32] [--epochs 30]

Starts a private tunerd (temporary state, TCP on loopback), trains the
built-in MLP on examples/boston/data, deploys it with 1 instance, then
updates the endpoint to 2 instances. For each instance count and for
bodies of 1 and 100 rows (a bare JSON list, what the SageMaker SDK sends)
it runs td-loadgen (closed loop, keep-alive, CONNECTIONS connections)
against the servers' own ports and against tunerd's
/endpoints/<name>/invocations, alternately ROUNDS times each, and prints
the median run's invocations/s, predictions/s, p50/p99 latency, the
tunerd/direct ratio of the medians, each round's ratio and the share of
the CPUs the host took from this machine during each run (steal: on a
shared virtual machine the figures are only as good as the host is quiet).
Figures only: it never passes or fails on time. Python standard library
only.
"""

import argparse
import ast
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(SOURCE, 'examples', 'boston', 'data')


def read_npy(path):
    with open(path, 'rb') as f:
        raw = f.read()
    hlen = struct.unpack('<H', raw[8:10])[0]
    hdr = ast.literal_eval(raw[10:10 + hlen].decode('latin1'))
    rows, cols = hdr['shape']
    vals = struct.unpack('<%dd' % (rows * cols), raw[10 + hlen:])
    return [list(vals[i * cols:(i + 1) * cols]) for i in range(rows)]


class Tunerd:
    def __init__(self, build):
        self.dir = tempfile.mkdtemp(prefix='tunerd-bench-')
        self.state = os.path.join(self.dir, 'state')
        os.makedirs(self.state)
        self.log = os.path.join(self.dir, 'tunerd.log')
        with open(self.log, 'ab') as log:
            self.proc = subprocess.Popen(
                [os.path.join(build, 'daemon', 'tunerd'), '-d',
                 '--state-dir', self.state, '--socket',
                 os.path.join(self.state, 'tunerd.sock'),
                 '--listen', '127.0.0.1:0'],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 15
        self.port = None
        while self.port is None:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit('tunerd did not start; see %s' % self.log)
            time.sleep(0.05)
            with open(self.log) as f:
                m = re.search(r'listening on 127\.0\.0\.1:(\d+)', f.read())
            self.port = int(m.group(1)) if m else None

    def call(self, op, body):
        req = urllib.request.Request(
            'http://127.0.0.1:%d/' % self.port, data=json.dumps(body).encode(),
            headers={'X-Amz-Target': 'SageMaker.' + op,
                     'Content-Type': 'application/x-amz-json-1.1'})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read() or b'{}')
        except urllib.error.HTTPError as e:
            raise SystemExit('%s: %s' % (op, e.read().decode()))

    def wait_endpoint(self, name, config):
        deadline = time.monotonic() + 120
        while True:
            d = self.call('DescribeEndpoint', {'EndpointName': name})
            if d['EndpointStatus'] == 'InService' and \
                    d['EndpointConfigName'] == config and \
                    all(i['Deployment'] == 'Serving' and
                        i['Status'] == 'InService'
                        for i in d['TunerdInstances']):
                return d
            if d['EndpointStatus'] == 'Failed' or time.monotonic() > deadline:
                raise SystemExit('endpoint %s: %s' % (name, d))
            time.sleep(0.1)

    def close(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=15)
        shutil.rmtree(self.dir, ignore_errors=True)


def cpu_times():
    """(stolen, all) jiffies of every CPU so far, from /proc/stat."""
    try:
        with open('/proc/stat') as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0, 0
    return (v[7] if len(v) > 7 else 0), sum(v[:8])


def loadgen(build, addrs, path, body, seconds, conns):
    st0, all0 = cpu_times()
    out = subprocess.run(
        [os.path.join(build, 'daemon', 'td-loadgen'), '-a', ','.join(addrs),
         '-p', path, '-b', body, '-t', 'application/json',
         '-c', str(conns), '-d', str(seconds), '-w', '1'],
        capture_output=True, text=True, check=True)
    st1, all1 = cpu_times()
    r = json.loads(out.stdout)
    # The share of the CPUs the host took from this VM during the run.
    r['steal'] = (st1 - st0) / (all1 - all0) if all1 > all0 else 0.0
    return r


def median_run(runs):
    """The run with the median throughput (its latencies come with it)."""
    return sorted(runs, key=lambda r: r['rps'])[len(runs) // 2]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--build-dir', default=os.environ.get(
        'TUNERD_BUILD_DIR', os.path.join(SOURCE, 'build')))
    ap.add_argument('--seconds', type=float, default=3)
    ap.add_argument('--rounds', type=int, default=3,
                    help='direct and tunerd runs alternate this many times; '
                         'the medians are compared (the machine is shared)')
    ap.add_argument('--connections', type=int, default=32)
    ap.add_argument('--epochs', type=int, default=30)
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)

    t = Tunerd(build)
    try:
        t.call('CreateTrainingJob', {
            'TrainingJobName': 'bench',
            'AlgorithmSpecification': {'TrainingImage': 'builtin:mlp',
                                       'TrainingInputMode': 'File'},
            'HyperParameters': {'epochs': str(a.epochs)},
            'InputDataConfig': [
                {'ChannelName': c, 'DataSource': {'S3DataSource': {
                    'S3DataType': 'S3Prefix',
                    'S3Uri': 'file://' + os.path.join(DATA, c)}}}
                for c in ('train', 'test')],
            'OutputDataConfig': {'S3OutputPath': 'file://' + t.dir},
            'ResourceConfig': {'InstanceType': 'ml.m5.large',
                               'InstanceCount': 1, 'VolumeSizeInGB': 1},
            'StoppingCondition': {'MaxRuntimeInSeconds': 600},
            'RoleArn': 'arn:aws:iam::000000000000:role/bench'})
        deadline = time.monotonic() + 300
        while True:
            j = t.call('DescribeTrainingJob', {'TrainingJobName': 'bench'})
            if j['TrainingJobStatus'] in ('Completed', 'Failed', 'Stopped'):
                break
            if time.monotonic() > deadline:
                raise SystemExit('training did not finish')
            time.sleep(0.1)
        if j['TrainingJobStatus'] != 'Completed':
            raise SystemExit('training: %s' % j.get('FailureReason'))
        art = j['ModelArtifacts']['S3ModelArtifacts']
        t.call('CreateModel', {'ModelName': 'bench', 'PrimaryContainer': {
            'Image': 'builtin:mlp', 'ModelDataUrl': art}})
        for n in (1, 2):
            t.call('CreateEndpointConfig', {
                'EndpointConfigName': 'bench-%d' % n,
                'ProductionVariants': [{'VariantName': 'AllTraffic',
                                        'ModelName': 'bench',
                                        'InitialInstanceCount': n}]})
        rows = read_npy(os.path.join(DATA, 'test', 'x_test.npy'))
        bodies = {}
        for b in (1, 100):
            bodies[b] = os.path.join(t.dir, 'batch%d.json' % b)
            with open(bodies[b], 'w') as f:
                json.dump(rows[:b], f)

        print('tunerd serving benchmark: built-in MLP (Boston, %d epochs), '
              '%d connections, %d alternating rounds of %.0f s per path '
              '(median shown), %d CPUs' % (
                  a.epochs, a.connections, a.rounds, a.seconds,
                  os.cpu_count()))
        print('%-9s %-5s %-7s %10s %11s %9s %9s %6s %8s' % (
            'instances', 'batch', 'path', 'inv/s', 'pred/s', 'p50 ms',
            'p99 ms', 'errors', 'tunerd/'))
        print('%-9s %-5s %-7s %10s %11s %9s %9s %6s %8s' % (
            '', 'rows', '', '', '', '', '', '', 'direct'))
        summary = {}
        for n in (1, 2):
            if n == 1:
                t.call('CreateEndpoint', {'EndpointName': 'bench',
                                          'EndpointConfigName': 'bench-1'})
            else:
                t.call('UpdateEndpoint', {'EndpointName': 'bench',
                                          'EndpointConfigName': 'bench-2'})
            d = t.wait_endpoint('bench', 'bench-%d' % n)
            direct = ['127.0.0.1:%d' % i['Port'] for i in d['TunerdInstances']
                      if i['Deployment'] == 'Serving']
            via = ['127.0.0.1:%d' % t.port]
            for b in (1, 100):
                # Alternate, so that load from elsewhere hits both paths.
                runs_d, runs_t = [], []
                for _ in range(a.rounds):
                    runs_d.append(loadgen(build, direct, '/invocations',
                                          bodies[b], a.seconds, a.connections))
                    runs_t.append(loadgen(build, via,
                                          '/endpoints/bench/invocations',
                                          bodies[b], a.seconds, a.connections))
                r_d, r_t = median_run(runs_d), median_run(runs_t)
                ratio = r_t['rps'] / r_d['rps'] if r_d['rps'] else 0
                rounds = [t_['rps'] / d_['rps'] if d_['rps'] else 0
                          for d_, t_ in zip(runs_d, runs_t)]
                summary[(n, b)] = (r_d, r_t, ratio)
                for name, r, rat in (('direct', r_d, ''),
                                     ('tunerd', r_t, '%.2f' % ratio)):
                    print('%-9d %-5d %-7s %10.0f %11.0f %9.3f %9.3f %6d %8s' % (
                        n, b, name, r['rps'], r['rps'] * b,
                        r['p50_us'] / 1000, r['p99_us'] / 1000,
                        sum(x['errors'] for x in
                            (runs_d if name == 'direct' else runs_t)),
                        rat))
                print('%-23s ratio per round    %s' % (
                    '', ' '.join('%.2f' % x for x in rounds)))
                print('%-23s host steal, %%      %s  (direct/tunerd)' % (
                    '', ' '.join('%.0f/%.0f' % (100 * d_['steal'],
                                                100 * t_['steal'])
                                 for d_, t_ in zip(runs_d, runs_t))))
        one = summary[(1, 1)][0]['rps']
        worst = min(v[2] for v in summary.values())
        print()
        print('single-row predictions/s, one instance, direct: %.0f '
              '(goal >= 20000)' % one)
        print('single-row predictions/s, one instance, through tunerd: %.0f'
              % summary[(1, 1)][1]['rps'])
        print('lowest tunerd/direct throughput ratio: %.2f (goal >= 0.80)'
              % worst)
        t.call('DeleteEndpoint', {'EndpointName': 'bench'})
    finally:
        t.close()


if __name__ == '__main__':
    sys.exit(main())
