"""test_serving.py - models, endpoints and InvokeEndpoint against a real tunerd.

Each test starts its own daemon (harness.py), trains the built-in MLP on
examples/boston/data for a few epochs, deploys it and checks what a
SageMaker user relies on: the body forms a predictor sends, predictions
identical to `tuner predict --model`, error shapes, healing of a killed
server, UpdateEndpoint without a dropped request, re-adoption after a
daemon restart, DeleteEndpoint leaving no process, Script Mode serving,
and boto3's sagemaker + sagemaker-runtime clients unchanged.
"""

import ast
import json
import os
import shutil
import signal
import struct
import sys
import tarfile
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import DaemonTestCase, UnixHTTPConnection, main  # noqa: E402

DATA = os.path.join(harness.SOURCE_DIR, 'examples', 'boston', 'data')
X_TEST = os.path.join(DATA, 'test', 'x_test.npy')


def read_npy(path):
    """Rows of a 2-D little-endian float64 .npy file (no numpy needed)."""
    with open(path, 'rb') as f:
        raw = f.read()
    assert raw[:6] == b'\x93NUMPY', path
    major = raw[6]
    if major == 1:
        hlen = struct.unpack('<H', raw[8:10])[0]
        off = 10
    else:
        hlen = struct.unpack('<I', raw[8:12])[0]
        off = 12
    hdr = ast.literal_eval(raw[off:off + hlen].decode('latin1'))
    assert hdr['descr'] == '<f8' and not hdr['fortran_order'], hdr
    rows, cols = hdr['shape']
    vals = struct.unpack('<%dd' % (rows * cols), raw[off + hlen:])
    return [list(vals[i * cols:(i + 1) * cols]) for i in range(rows)]


# Models trained once per run (the first test needing one trains it in its
# own daemon) and kept here, outside every daemon's temp dir.
_MODELS = {}
_MODEL_DIR = None


def alive(pid):
    """True if pid runs and is no zombie."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


class ServingTestCase(DaemonTestCase):
    listen = True

    # --- helpers ----------------------------------------------------------

    def call_ok(self, op, body):
        st, r = self.d.call(op, body)
        self.assertEqual(st, 200, '%s: %s' % (op, r))
        return r

    def train(self, name, epochs=5, seed=1):
        """A model.tar.gz of the built-in MLP as a file:// URI."""
        global _MODEL_DIR
        key = (epochs, seed)
        if key not in _MODELS:
            if _MODEL_DIR is None:
                _MODEL_DIR = tempfile.mkdtemp(prefix='tunerd-it-models-')
            art = self.train_job(name, epochs, seed)[len('file://'):]
            dst = os.path.join(_MODEL_DIR, 'e%d-s%d.tar.gz' % key)
            shutil.copyfile(art, dst)
            _MODELS[key] = 'file://' + dst
        return _MODELS[key]

    def train_job(self, name, epochs, seed):
        self.call_ok('CreateTrainingJob', {
            'TrainingJobName': name,
            'AlgorithmSpecification': {'TrainingImage': 'builtin:mlp',
                                       'TrainingInputMode': 'File'},
            'HyperParameters': {'epochs': str(epochs), 'seed': str(seed)},
            'InputDataConfig': [
                {'ChannelName': c, 'DataSource': {'S3DataSource': {
                    'S3DataType': 'S3Prefix',
                    'S3Uri': 'file://' + os.path.join(DATA, c)}}}
                for c in ('train', 'test')],
            'OutputDataConfig': {'S3OutputPath': 'file://' + os.path.join(
                self.d.dir, 'out')},
            'ResourceConfig': {'InstanceType': 'ml.m5.large',
                               'InstanceCount': 1, 'VolumeSizeInGB': 1},
            'StoppingCondition': {'MaxRuntimeInSeconds': 600},
            'RoleArn': 'arn:aws:iam::000000000000:role/tunerd'})
        j = self.d.wait_job(name, timeout=120)
        self.assertEqual(j['TrainingJobStatus'], 'Completed', j)
        return j['ModelArtifacts']['S3ModelArtifacts']

    def model(self, name, url, image='builtin:mlp', env=None):
        pc = {'Image': image, 'ModelDataUrl': url}
        if url is None:
            del pc['ModelDataUrl']
        if env:
            pc['Environment'] = env
        return self.call_ok('CreateModel', {'ModelName': name,
                                            'PrimaryContainer': pc})

    def config(self, name, model, instances=1, **extra):
        v = {'VariantName': 'AllTraffic', 'ModelName': model,
             'InitialInstanceCount': instances,
             'InstanceType': 'ml.m5.large'}
        v.update(extra)
        return self.call_ok('CreateEndpointConfig', {
            'EndpointConfigName': name, 'ProductionVariants': [v]})

    def describe(self, name):
        return self.call_ok('DescribeEndpoint', {'EndpointName': name})

    def wait_status(self, name, want, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            d = self.describe(name)
            if d['EndpointStatus'] == want or (
                    d['EndpointStatus'] != 'Creating' and
                    d['EndpointStatus'] != 'Updating' and want in
                    ('InService', 'Failed') and d['EndpointStatus'] in
                    ('InService', 'Failed')):
                return d
            if time.monotonic() > deadline:
                self.fail('endpoint %s still %s after %ss' % (
                    name, d['EndpointStatus'], timeout))
            time.sleep(0.05)

    def deploy(self, name, artifact, instances=1):
        self.model(name, artifact)
        self.config(name, name, instances)
        self.call_ok('CreateEndpoint', {'EndpointName': name,
                                        'EndpointConfigName': name})
        d = self.wait_status(name, 'InService')
        self.assertEqual(d['EndpointStatus'], 'InService', d)
        return d

    def pids(self, name):
        return sorted(i['Pid'] for i in self.describe(name)['TunerdInstances']
                      if 'Pid' in i)

    def invoke(self, name, body, ctype='application/json', accept=None,
               headers=None):
        """POST /endpoints/<name>/invocations: (status, headers, raw body)."""
        if not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
        h = {'Content-Type': ctype} if ctype else {}
        if accept:
            h['Accept'] = accept
        h.update(headers or {})
        conn = UnixHTTPConnection(self.d.socket, timeout=60)
        try:
            conn.request('POST', '/endpoints/%s/invocations' % name,
                         body=body, headers=h)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, \
                r.read()
        finally:
            conn.close()

    def predictions(self, name, body, **kw):
        st, h, raw = self.invoke(name, body, **kw)
        self.assertEqual(st, 200, raw)
        return json.loads(raw)['predictions']

    def local_predictions(self, artifact, input_path):
        path = artifact[len('file://'):]
        # One prediction per line, each the shortest text of its double
        # (tuner's -o json goes through cJSON, which keeps 15 digits).
        r = self.d.tuner('predict', '--model', path, '--input', input_path)
        self.assertExit(r, 0, 'tuner predict --model')
        return [[float(v) for v in line.split(',')]
                for line in r.stdout.splitlines() if line.strip()]

    def error(self, raw):
        return json.loads(raw)


class TestDeploy(ServingTestCase):

    def test_body_forms_match_local_predictions(self):
        art = self.train('boston')
        self.deploy('boston-ep', art, instances=2)
        rows = read_npy(X_TEST)
        want = self.local_predictions(art, X_TEST)
        self.assertEqual(len(want), len(rows))
        # A bare nested list: what the SageMaker SDK's predictor sends.
        self.assertEqual(self.predictions('boston-ep', rows), want)
        self.assertEqual(self.predictions('boston-ep', {'instances': rows}),
                         want)
        self.assertEqual(self.predictions('boston-ep', {'inputs': rows}), want)
        csv = ''.join(','.join(repr(v) for v in r) + '\n' for r in rows)
        self.assertEqual(self.predictions('boston-ep', csv.encode(),
                                          ctype='text/csv'), want)
        with open(X_TEST, 'rb') as f:
            npy = f.read()
        self.assertEqual(self.predictions('boston-ep', npy,
                                          ctype='application/x-npy'), want)
        # One flat row is one prediction.
        self.assertEqual(self.predictions('boston-ep', rows[3]), [want[3]])
        # Headers: the variant, and the model's content type.
        st, h, raw = self.invoke('boston-ep', rows[:2])
        self.assertEqual(h.get('x-amzn-invoked-production-variant'),
                         'AllTraffic')
        self.assertTrue(h.get('content-type', '').startswith(
            'application/json'), h)
        # Accept: text/csv answers CSV rows with the same numbers.
        st, h, raw = self.invoke('boston-ep', rows[:5], accept='text/csv')
        self.assertEqual(st, 200, raw)
        got = [[float(x) for x in line.split(',')]
               for line in raw.decode().splitlines()]
        self.assertEqual(got, want[:5])
        # Both instances served (round robin).
        logs = [i['LogFile'] for i in self.describe('boston-ep')[
            'TunerdInstances']]
        self.assertEqual(len(logs), 2)
        for p in logs:
            self.assertTrue(os.path.exists(p), p)

    def test_concurrent_large_bodies_get_their_own_answers(self):
        # 24 connections with 100-row bodies to one instance: more than its
        # socket takes at once, so tunerd's writes to the server end
        # part-way and finish later while the bodies stay borrowed from
        # the clients' requests. Every answer must be its own request's.
        art = self.train('boston')
        self.deploy('ep', art, instances=1)
        rows = read_npy(X_TEST)
        want = self.local_predictions(art, X_TEST)
        errors = []

        def client(k):
            body = json.dumps(rows[k:] + rows[:k]).encode()
            expect = want[k:] + want[:k]
            conn = UnixHTTPConnection(self.d.socket, timeout=60)
            try:
                for _ in range(6):
                    conn.request('POST', '/endpoints/ep/invocations',
                                 body=body,
                                 headers={'Content-Type': 'application/json'})
                    r = conn.getresponse()
                    raw = r.read()
                    if r.status != 200 or \
                            json.loads(raw)['predictions'] != expect:
                        errors.append((k, r.status, raw[:200]))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append((k, repr(e)))
            finally:
                conn.close()

        threads = [threading.Thread(target=client, args=(k,))
                   for k in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])

    def test_bad_bodies_name_the_problem(self):
        art = self.train('boston')
        self.deploy('ep', art)
        st, h, raw = self.invoke('ep', [[0.5] * 12])
        self.assertEqual(st, 424, raw)
        self.assertEqual(h.get('x-amzn-errortype'), 'ModelError')
        e = self.error(raw)
        self.assertEqual(e['OriginalStatusCode'], 400)
        self.assertIn('12', e['OriginalMessage'])
        self.assertIn('13', e['OriginalMessage'])
        st, h, raw = self.invoke('ep', b'[[1, 2', ctype='application/json')
        self.assertEqual(st, 424, raw)
        self.assertIn('JSON', self.error(raw)['OriginalMessage'])
        st, h, raw = self.invoke('ep', b'1,2,x\n', ctype='text/csv')
        self.assertEqual(st, 424, raw)
        self.assertEqual(self.error(raw)['OriginalStatusCode'], 400)
        st, h, raw = self.invoke('ep', b'<a/>', ctype='application/xml')
        self.assertEqual(st, 424, raw)
        self.assertEqual(self.error(raw)['OriginalStatusCode'], 415)
        self.assertIn('application/xml', self.error(raw)['OriginalMessage'])
        st, h, raw = self.invoke('ep', b'x' * (6 * 1024 * 1024 + 1),
                                 ctype='text/csv')
        self.assertEqual(st, 413, raw)
        # The server is still fine after all that.
        self.assertEqual(len(self.predictions('ep', [[0.1] * 13])), 1)

    def test_unknown_creating_and_failed_endpoints(self):
        st, h, raw = self.invoke('nope', [[1] * 13])
        self.assertEqual(st, 400)
        self.assertEqual(h.get('x-amzn-errortype'), 'ValidationError')
        self.assertEqual(self.error(raw)['Message'],
                         'Endpoint nope of account 000000000000 not found.')
        st, r = self.d.call('DescribeEndpoint', {'EndpointName': 'nope'})
        self.assertEqual((st, r['__type']), (400, 'ValidationException'))
        self.assertIn('Could not find endpoint', r['message'])
        # A server that takes a while to listen: the endpoint is Creating.
        code = self.d.write('slow/code/serve.py', SLOW_SERVER)
        tgz = os.path.join(self.d.work, 'slow.tar.gz')
        with tarfile.open(tgz, 'w:gz') as t:
            t.add(os.path.dirname(code), arcname='code')
        self.model('slow', 'file://' + tgz, image='python3',
                   env={'SAGEMAKER_PROGRAM': 'serve.py'})
        self.config('slow', 'slow')
        self.call_ok('CreateEndpoint', {'EndpointName': 'slow',
                                        'EndpointConfigName': 'slow'})
        st, h, raw = self.invoke('slow', [[1]])
        self.assertEqual(st, 429, raw)
        self.assertEqual(h.get('x-amzn-errortype'), 'ModelNotReadyException')
        self.assertEqual(self.wait_status('slow', 'InService')[
            'EndpointStatus'], 'InService')
        st, h, raw = self.invoke('slow', [[1]])
        self.assertEqual(st, 200, raw)
        # A model that cannot load: Failed, with the server's own words.
        bad = self.d.write('bad.tar.gz', 'this is no model\n')
        self.model('bad', 'file://' + bad)
        self.config('bad', 'bad')
        self.call_ok('CreateEndpoint', {'EndpointName': 'bad',
                                        'EndpointConfigName': 'bad'})
        d = self.wait_status('bad', 'Failed')
        self.assertEqual(d['EndpointStatus'], 'Failed', d)
        self.assertIn('cannot load the model', d['FailureReason'])
        st, h, raw = self.invoke('bad', [[1] * 13])
        self.assertEqual(st, 400, raw)
        self.assertIn('Failed', self.error(raw)['Message'])

    def test_control_plane_validation(self):
        st, r = self.d.call('CreateModel', {'ModelName': 'm', 'PrimaryContainer': {
            'Image': 'builtin:mlp', 'ModelDataUrl': 's3://bucket/model.tar.gz'}})
        self.assertEqual(st, 400)
        self.assertIn('not available locally', r['message'])
        st, r = self.d.call('CreateModel', {'ModelName': 'm', 'PrimaryContainer': {
            'Image': 'builtin:nosuch', 'ModelDataUrl': '/nonexistent'}})
        self.assertEqual(st, 400)
        self.assertIn('builtin:mlp', r['message'])
        st, r = self.d.call('CreateModel', {'ModelName': 'm', 'PrimaryContainer': {
            'Image': 'builtin:mlp', 'ModelDataUrl': 'file:///nonexistent/m.tar.gz'}})
        self.assertEqual(st, 400)
        self.assertIn('Could not find model data', r['message'])
        st, r = self.d.call('CreateEndpointConfig', {
            'EndpointConfigName': 'c', 'ProductionVariants': [{
                'VariantName': 'v', 'ModelName': 'ghost',
                'InitialInstanceCount': 1}]})
        self.assertEqual((st, r['__type']), (400, 'ValidationException'))
        self.assertIn('Could not find model', r['message'])
        st, r = self.d.call('CreateEndpoint', {'EndpointName': 'e',
                                               'EndpointConfigName': 'ghost'})
        self.assertEqual(st, 400)
        self.assertIn('Could not find endpoint configuration', r['message'])
        art = self.train('boston')
        self.deploy('e', art)
        st, r = self.d.call('CreateEndpoint', {'EndpointName': 'E',
                                               'EndpointConfigName': 'e'})
        self.assertEqual(st, 400)
        self.assertIn('Cannot create already existing endpoint', r['message'])
        st, r = self.d.call('CreateModel', {'ModelName': 'e', 'PrimaryContainer': {
            'Image': 'builtin:mlp', 'ModelDataUrl': art}})
        self.assertIn('Cannot create already existing model', r['message'])
        # Describe and list what exists.
        m = self.call_ok('DescribeModel', {'ModelName': 'e'})
        self.assertEqual(m['PrimaryContainer']['ModelDataUrl'], art)
        c = self.call_ok('DescribeEndpointConfig', {'EndpointConfigName': 'e'})
        self.assertEqual(c['ProductionVariants'][0]['InitialVariantWeight'], 1)
        names = [e['EndpointName'] for e in self.call_ok(
            'ListEndpoints', {})['Endpoints']]
        self.assertEqual(names, ['e'])
        self.assertEqual([x['ModelName'] for x in self.call_ok(
            'ListModels', {})['Models']], ['e'])
        # A model and a config may go while the endpoint keeps serving.
        self.call_ok('DeleteModel', {'ModelName': 'e'})
        self.call_ok('DeleteEndpointConfig', {'EndpointConfigName': 'e'})
        st, r = self.d.call('DeleteModel', {'ModelName': 'e'})
        self.assertIn('Could not find model', r['message'])
        self.assertEqual(len(self.predictions('e', [[0.1] * 13])), 1)


class TestLifecycle(ServingTestCase):

    def test_killed_server_is_replaced(self):
        art = self.train('boston')
        self.deploy('ep', art, instances=2)
        before = self.pids('ep')
        os.kill(before[0], signal.SIGKILL)
        # The other instance takes everything meanwhile: no failure.
        for _ in range(30):
            self.assertEqual(len(self.predictions('ep', [[0.2] * 13])), 1)
        deadline = time.monotonic() + 30
        while True:
            d = self.describe('ep')
            inst = d['TunerdInstances']
            if (d['ProductionVariants'][0]['CurrentInstanceCount'] == 2 and
                    all(i['Status'] == 'InService' for i in inst) and
                    sum(i['Restarts'] for i in inst) == 1):
                break
            self.assertLess(time.monotonic(), deadline, d)
            time.sleep(0.1)
        after = self.pids('ep')
        self.assertNotIn(before[0], after)
        self.assertIn(before[1], after)
        self.assertFalse(alive(before[0]))
        self.assertEqual(d['EndpointStatus'], 'InService')
        self.assertEqual(len(self.predictions('ep', [[0.2] * 13] * 3)), 3)

    def test_delete_stops_every_server(self):
        art = self.train('boston')
        self.deploy('ep', art, instances=3)
        pids = self.pids('ep')
        self.assertEqual(len(pids), 3)
        self.call_ok('DeleteEndpoint', {'EndpointName': 'ep'})
        deadline = time.monotonic() + 30
        while True:
            st, r = self.d.call('DescribeEndpoint', {'EndpointName': 'ep'})
            if st == 400:
                break
            self.assertEqual(r['EndpointStatus'], 'Deleting')
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        for p in pids:
            self.assertFalse(alive(p), 'pid %d survived DeleteEndpoint' % p)
        st, h, raw = self.invoke('ep', [[1] * 13])
        self.assertEqual(st, 400)
        self.assertEqual(self.call_ok('ListEndpoints', {})['Endpoints'], [])

    def test_update_endpoint_drops_nothing(self):
        art1 = self.train('one', epochs=3, seed=1)
        art2 = self.train('two', epochs=6, seed=2)
        self.deploy('ep', art1, instances=1)
        old = self.pids('ep')
        self.model('two', art2)
        self.config('two', 'two', instances=2)
        want2 = self.local_predictions(art2, X_TEST)
        rows = read_npy(X_TEST)
        stop = threading.Event()
        results = []

        def hammer():
            while not stop.is_set():
                st, h, raw = self.invoke('ep', rows[:4])
                results.append((st, raw))

        t = threading.Thread(target=hammer)
        t.start()
        try:
            time.sleep(0.3)
            self.call_ok('UpdateEndpoint', {'EndpointName': 'ep',
                                            'EndpointConfigName': 'two'})
            self.assertEqual(self.describe('ep')['EndpointStatus'], 'Updating')
            d = self.wait_status('ep', 'InService')
            time.sleep(0.5)
        finally:
            stop.set()
            t.join()
        self.assertEqual(d['EndpointConfigName'], 'two')
        self.assertEqual(d['ProductionVariants'][0]['CurrentInstanceCount'], 2)
        bad = [r for r in results if r[0] != 200]
        self.assertEqual(bad, [], 'requests failed during the update')
        self.assertGreater(len(results), 20)
        self.assertEqual(self.predictions('ep', rows), want2)
        deadline = time.monotonic() + 30
        while any(alive(p) for p in old):
            self.assertLess(time.monotonic(), deadline, 'old server alive')
            time.sleep(0.05)

    def test_failed_update_rolls_back(self):
        art = self.train('boston')
        self.deploy('ep', art, instances=1)
        pids = self.pids('ep')
        bad = self.d.write('bad.tar.gz', 'no model in here\n')
        self.model('bad', 'file://' + bad)
        self.config('bad', 'bad')
        self.call_ok('UpdateEndpoint', {'EndpointName': 'ep',
                                        'EndpointConfigName': 'bad'})
        deadline = time.monotonic() + 30
        while True:
            d = self.describe('ep')
            if d['EndpointStatus'] == 'InService':
                break
            self.assertEqual(d['EndpointStatus'], 'Updating')
            self.assertEqual(d['PendingDeploymentSummary'][
                'EndpointConfigName'], 'bad')
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        self.assertEqual(d['EndpointConfigName'], 'ep')
        self.assertIn('rolled back', d['FailureReason'])
        self.assertIn('cannot load the model', d['FailureReason'])
        self.assertNotIn('PendingDeploymentSummary', d)
        self.assertEqual(self.pids('ep'), pids)
        self.assertEqual(len(self.predictions('ep', [[0.3] * 13])), 1)

    def test_daemon_restart_adopts_servers(self):
        art = self.train('boston')
        self.deploy('ep', art, instances=2)
        pids = self.pids('ep')
        want = self.predictions('ep', [[0.3] * 13])
        for how in (signal.SIGTERM, signal.SIGKILL):
            self.d.restart(how)
            d = self.wait_status('ep', 'InService')
            self.assertEqual(d['EndpointStatus'], 'InService')
            self.assertEqual(self.pids('ep'), pids, 'servers were not adopted')
            self.assertEqual(self.predictions('ep', [[0.3] * 13]), want)
        # Adopted servers are no children of this daemon: still all stopped.
        self.call_ok('DeleteEndpoint', {'EndpointName': 'ep'})
        deadline = time.monotonic() + 30
        while self.d.call('DescribeEndpoint', {'EndpointName': 'ep'})[0] == 200:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        for p in pids:
            self.assertFalse(alive(p))

    def test_hung_server_is_replaced(self):
        # A server that stops answering (SIGSTOP) misses its pings, times
        # out and is replaced; an invocation stuck on it ends with it.
        art = self.train('boston')
        self.deploy('ep', art, instances=1)
        pid = self.pids('ep')[0]
        os.kill(pid, signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            st, h, raw = self.invoke('ep', [[0.3] * 13])
            waited = time.monotonic() - t0
            self.assertIn(st, (200, 503), raw)
            if st == 503:
                self.assertEqual(self.error(raw)['__type'],
                                 'ServiceUnavailable')
            self.assertLess(waited, 40, 'the invocation waited for the '
                            '60 s model timeout, not for the health check')
            deadline = time.monotonic() + 40
            while True:
                d = self.describe('ep')
                pids = self.pids('ep')
                if pids and pids != [pid] and \
                        d['ProductionVariants'][0]['CurrentInstanceCount'] == 1:
                    break
                self.assertLess(time.monotonic(), deadline, d)
                time.sleep(0.1)
            self.assertEqual(len(self.predictions('ep', [[0.3] * 13])), 1)
            self.assertFalse(alive(pid), 'the hung server was left running')
        finally:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass

    def test_servers_stop_when_their_endpoint_directory_goes(self):
        # Servers outlive the daemon (adopted on restart), but not the
        # state that leads back to them: a state directory deleted by hand
        # must not leave model servers running for ever.
        art = self.train('boston')
        self.deploy('ep', art, instances=2)
        pids = self.pids('ep')
        self.d.stop()
        for p in pids:
            self.assertTrue(alive(p), 'server %d did not outlive the daemon'
                            % p)
        shutil.rmtree(os.path.join(self.d.state, 'endpoints', 'ep'))
        deadline = time.monotonic() + 20
        while any(alive(p) for p in pids):
            self.assertLess(time.monotonic(), deadline,
                            'servers kept running without their endpoint')
            time.sleep(0.1)

    def test_dead_server_restarted_after_daemon_restart(self):
        art = self.train('boston')
        self.deploy('ep', art, instances=1)
        pid = self.pids('ep')[0]
        self.d.stop()
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)
        self.d.start()
        d = self.wait_status('ep', 'InService')
        deadline = time.monotonic() + 30
        while d['ProductionVariants'][0]['CurrentInstanceCount'] != 1:
            self.assertLess(time.monotonic(), deadline, d)
            time.sleep(0.05)
            d = self.describe('ep')
        self.assertNotEqual(self.pids('ep'), [pid])
        self.assertEqual(len(self.predictions('ep', [[0.3] * 13])), 1)


SLOW_SERVER = r'''
import http.server, json, os, sys, time
assert sys.argv[1:] == ['serve'], sys.argv
time.sleep(float(os.environ.get('SLOW', '1.5')))
model_dir = os.environ['SM_MODEL_DIR']

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def answer(self, code, body, ctype='application/json'):
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.answer(200 if self.path == '/ping' else 404, b'')

    def do_POST(self):
        n = int(self.headers.get('Content-Length', '0'))
        data = self.rfile.read(n)
        if data == b'boom':
            return self.answer(500, b'model exploded')
        out = {'echo': data.decode(), 'files': sorted(os.listdir(model_dir)),
               'ctype': self.headers.get('Content-Type'),
               'attrs': self.headers.get('X-Amzn-SageMaker-Custom-Attributes')}
        self.answer(200, json.dumps(out).encode())

    def log_message(self, *a):
        pass

print('script server on', os.environ['SAGEMAKER_BIND_TO_PORT'], flush=True)
http.server.ThreadingHTTPServer(
    ('127.0.0.1', int(os.environ['SAGEMAKER_BIND_TO_PORT'])), H).serve_forever()
'''


class TestScriptMode(ServingTestCase):

    def test_script_mode_server(self):
        code = self.d.write('m/code/serve.py', SLOW_SERVER)
        self.d.write('m/weights.txt', '42\n')
        tgz = os.path.join(self.d.work, 'model.tar.gz')
        with tarfile.open(tgz, 'w:gz') as t:
            t.add(os.path.dirname(code), arcname='code')
            t.add(os.path.join(self.d.work, 'm', 'weights.txt'),
                  arcname='weights.txt')
        self.model('sm', 'file://' + tgz, image='python3',
                   env={'SAGEMAKER_PROGRAM': 'serve.py', 'SLOW': '0'})
        self.config('sm', 'sm', instances=2)
        self.call_ok('CreateEndpoint', {'EndpointName': 'sm',
                                        'EndpointConfigName': 'sm'})
        self.assertEqual(self.wait_status('sm', 'InService')[
            'EndpointStatus'], 'InService')
        st, h, raw = self.invoke('sm', b'hello', ctype='text/plain',
                                 headers={'X-Amzn-SageMaker-Custom-Attributes':
                                          'a=1'})
        self.assertEqual(st, 200, raw)
        out = json.loads(raw)
        self.assertEqual(out['echo'], 'hello')
        self.assertEqual(out['ctype'], 'text/plain')
        self.assertEqual(out['attrs'], 'a=1')
        self.assertIn('weights.txt', out['files'])
        st, h, raw = self.invoke('sm', b'boom', ctype='text/plain')
        self.assertEqual(st, 424, raw)
        e = self.error(raw)
        self.assertEqual((e['OriginalStatusCode'], e['OriginalMessage']),
                         (500, 'model exploded'))
        self.assertIn('server error (500)', e['Message'])


class TestBoto3(ServingTestCase):

    def test_boto3_deploy_invoke_delete(self):
        try:
            import boto3
            import botocore.config
        except ImportError:
            self.skipTest('boto3 is not installed')
        art = self.train('boston')
        kw = dict(endpoint_url=self.d.url, region_name='us-east-1',
                  aws_access_key_id='x', aws_secret_access_key='y',
                  config=botocore.config.Config(retries={'max_attempts': 1}))
        sm = boto3.client('sagemaker', **kw)
        rt = boto3.client('sagemaker-runtime', **kw)
        sm.create_model(ModelName='bm', ExecutionRoleArn=(
            'arn:aws:iam::000000000000:role/x'), PrimaryContainer={
            'Image': 'builtin:mlp', 'ModelDataUrl': art})
        sm.create_endpoint_config(EndpointConfigName='bc', ProductionVariants=[{
            'VariantName': 'AllTraffic', 'ModelName': 'bm',
            'InitialInstanceCount': 1, 'InstanceType': 'ml.m5.large'}])
        sm.create_endpoint(EndpointName='be', EndpointConfigName='bc')
        sm.get_waiter('endpoint_in_service').wait(
            EndpointName='be', WaiterConfig={'Delay': 1, 'MaxAttempts': 60})
        d = sm.describe_endpoint(EndpointName='be')
        self.assertEqual(d['EndpointStatus'], 'InService')
        self.assertEqual(d['ProductionVariants'][0]['CurrentInstanceCount'], 1)
        rows = read_npy(X_TEST)[:5]
        r = rt.invoke_endpoint(EndpointName='be', Body=json.dumps(rows),
                               ContentType='application/json')
        self.assertEqual(r['InvokedProductionVariant'], 'AllTraffic')
        got = json.loads(r['Body'].read())['predictions']
        self.assertEqual(got, self.local_predictions(art, X_TEST)[:5])
        with self.assertRaises(rt.exceptions.ModelError) as cm:
            rt.invoke_endpoint(EndpointName='be', Body=json.dumps([[1, 2]]),
                               ContentType='application/json')
        self.assertEqual(cm.exception.response['OriginalStatusCode'], 400)
        with self.assertRaises(rt.exceptions.ValidationError):
            rt.invoke_endpoint(EndpointName='nope', Body=b'[[1]]',
                               ContentType='application/json')
        names = [e['EndpointName'] for e in
                 sm.list_endpoints()['Endpoints']]
        self.assertEqual(names, ['be'])
        sm.delete_endpoint(EndpointName='be')
        sm.get_waiter('endpoint_deleted').wait(
            EndpointName='be', WaiterConfig={'Delay': 1, 'MaxAttempts': 60})
        sm.delete_endpoint_config(EndpointConfigName='bc')
        sm.delete_model(ModelName='bm')
        self.assertEqual(sm.list_models()['Models'], [])


if __name__ == '__main__':
    try:
        main()
    finally:
        if _MODEL_DIR is not None:
            shutil.rmtree(_MODEL_DIR, ignore_errors=True)
