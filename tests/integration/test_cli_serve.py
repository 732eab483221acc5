"""test_cli_serve.py - tuner's serving commands against a real tunerd:
predict (local, from a job name, a model.tar.gz or a directory; .npy, .csv,
.json inputs), deploy (a job, --best of a tuning job), endpoints
list/describe/delete, predict --endpoint, and their failure exit codes.
"""

import ast
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SOURCE_DIR, DaemonTestCase, main  # noqa: E402

DATA = os.path.join(SOURCE_DIR, 'examples', 'boston', 'data')
X_TEST = os.path.join(DATA, 'test', 'x_test.npy')


def read_npy_f8(path):
    """Rows of a little-endian float64 .npy, C order (stdlib only)."""
    with open(path, 'rb') as f:
        raw = f.read()
    assert raw[:6] == b'\x93NUMPY'
    hlen = struct.unpack('<H', raw[8:10])[0]
    header = ast.literal_eval(raw[10:10 + hlen].decode('latin1'))
    assert header['descr'] == '<f8' and not header['fortran_order']
    shape = header['shape']
    rows, cols = shape[0], (shape[1] if len(shape) > 1 else 1)
    vals = struct.unpack('<%dd' % (rows * cols), raw[10 + hlen:])
    return [list(vals[r * cols:(r + 1) * cols]) for r in range(rows)]


def numbers(text):
    return [float(line) for line in text.split()]


class ServeTest(DaemonTestCase):
    slots = 2

    def train_mlp(self, name, epochs=5):
        r = self.d.tuner('train', '--builtin', 'mlp', '--name', name,
                         '--channel', 'train=' + os.path.join(DATA, 'train'),
                         '--channel', 'test=' + os.path.join(DATA, 'test'),
                         '-H', 'epochs=%d' % epochs, '--wait', '-q',
                         timeout=180)
        self.assertExit(r, 0)
        return self.d.describe(name)

    def assertClose(self, a, b):
        self.assertEqual(len(a), len(b))
        for x, y in zip(a, b):
            self.assertAlmostEqual(x, y, delta=1e-9 * max(1.0, abs(x)))

    def test_predict_local(self):
        d = self.train_mlp('mlp-local')
        r = self.d.tuner('predict', '--model', 'mlp-local', '--input', X_TEST)
        self.assertExit(r, 0)
        by_name = numbers(r.stdout)
        self.assertEqual(len(by_name), 102)
        # The same model by its artifact path, as JSON.
        tarball = d['ModelArtifacts']['S3ModelArtifacts'][len('file://'):]
        r = self.d.tuner('predict', '--model', tarball, '--input', X_TEST,
                         '-o', 'json')
        self.assertExit(r, 0)
        preds = json.loads(r.stdout)['predictions']
        # -o json prints every digit: the same doubles as the plain output.
        self.assertEqual([p[0] for p in preds], by_name)
        # CSV and JSON inputs give the same predictions for the same rows.
        rows = read_npy_f8(X_TEST)[:5]
        self.d.write('x.csv', ''.join(','.join(repr(v) for v in row) + '\n'
                                      for row in rows))
        self.d.write('x.json', json.dumps({'instances': rows}))
        for path in ('x.csv', 'x.json'):
            r = self.d.tuner('predict', '--model', 'mlp-local', '--input', path)
            self.assertExit(r, 0, path)
            self.assertClose(numbers(r.stdout), by_name[:5])
        # Failures: wrong column count (1), unreadable input (2), flags (2).
        self.d.write('bad.csv', '1,2,3\n')
        r = self.d.tuner('predict', '--model', 'mlp-local', '--input', 'bad.csv')
        self.assertExit(r, 1)
        self.assertIn('13', r.stderr)
        r = self.d.tuner('predict', '--model', 'mlp-local', '--input', 'nope.npy')
        self.assertExit(r, 2)
        self.assertExit(self.d.tuner('predict', '--input', X_TEST), 2)
        self.assertExit(self.d.tuner('predict', '--model', 'a', '--endpoint',
                                     'b', '--input', X_TEST), 2)
        r = self.d.tuner('predict', '--model', 'no-such-job', '--input', X_TEST)
        self.assertExit(r, 4)

    def test_deploy_predict_delete(self):
        self.train_mlp('mlp-ep')
        r = self.d.tuner('predict', '--model', 'mlp-ep', '--input', X_TEST)
        local = numbers(r.stdout)
        r = self.d.tuner('deploy', 'mlp-ep', timeout=120)
        self.assertExit(r, 0)
        self.assertIn('/endpoints/mlp-ep/invocations', r.stdout)
        r = self.d.tuner('endpoints', 'list', '-o', 'json')
        self.assertExit(r, 0)
        eps = {e['EndpointName']: e['EndpointStatus'] for e in json.loads(r.stdout)}
        self.assertEqual(eps, {'mlp-ep': 'InService'})
        r = self.d.tuner('endpoints', 'describe', 'mlp-ep')
        self.assertExit(r, 0)
        self.assertRegex(r.stdout, r'EndpointConfigName\s+mlp-ep')
        # deploy made a model and a config with the endpoint's name.
        st, m = self.d.call('DescribeModel', {'ModelName': 'mlp-ep'})
        self.assertEqual(st, 200, m)
        self.assertEqual(m['PrimaryContainer']['Image'], 'builtin:mlp')
        st, c = self.d.call('DescribeEndpointConfig',
                            {'EndpointConfigName': 'mlp-ep'})
        self.assertEqual(c['ProductionVariants'][0]['VariantName'], 'AllTraffic')
        # Through the endpoint: the same numbers as locally.
        r = self.d.tuner('predict', '--endpoint', 'mlp-ep', '--input', X_TEST)
        self.assertExit(r, 0)
        self.assertClose(numbers(r.stdout), local)
        self.d.write('x.json', json.dumps(read_npy_f8(X_TEST)[:3]))
        r = self.d.tuner('predict', '--endpoint', 'mlp-ep', '--input', 'x.json',
                         '-o', 'json')
        self.assertExit(r, 0)
        self.assertClose([p[0] for p in json.loads(r.stdout)['predictions']],
                         local[:3])
        # The same name again is the API's error.
        r = self.d.tuner('deploy', 'mlp-ep')
        self.assertExit(r, 4)
        # delete removes the endpoint, its config and its model.
        r = self.d.tuner('endpoints', 'delete', 'mlp-ep', timeout=60)
        self.assertExit(r, 0)
        st, _ = self.d.call('DescribeModel', {'ModelName': 'mlp-ep'})
        self.assertEqual(st, 400)
        st, _ = self.d.call('DescribeEndpointConfig',
                            {'EndpointConfigName': 'mlp-ep'})
        self.assertEqual(st, 400)
        r = self.d.tuner('endpoints', 'describe', 'mlp-ep')
        # SageMaker answers a missing endpoint with a ValidationException.
        self.assertExit(r, 4)
        self.assertIn('mlp-ep', r.stderr)
        r = self.d.tuner('predict', '--endpoint', 'mlp-ep', '--input', X_TEST)
        self.assertEqual(r.returncode, 4, r.stderr)

    def test_deploy_failures(self):
        self.d.tuner('train', '--name', 'failed', '--', 'false')
        self.d.wait_job('failed')
        r = self.d.tuner('deploy', 'failed')
        self.assertExit(r, 1)
        self.assertIn('Failed', r.stderr)
        r = self.d.tuner('deploy', 'no-such-job')
        self.assertExit(r, 4)
        self.assertExit(self.d.tuner('deploy'), 2)
        self.assertExit(self.d.tuner('deploy', 'a', '--best', 'b'), 2)
        self.assertExit(self.d.tuner('deploy', 'a', '--instances', '0'), 2)

    def test_deploy_best(self):
        r = self.d.tuner('tune', '--name', 'tb', '--builtin', 'mlp',
                         '--channel', 'train=' + os.path.join(DATA, 'train'),
                         '--channel', 'test=' + os.path.join(DATA, 'test'),
                         '--param', 'epochs=2:6:int', '--objective',
                         'val_loss:min', '--max-jobs', '2', '--max-parallel',
                         '2', '--wait', timeout=240)
        self.assertExit(r, 0)
        st, d = self.d.call('DescribeHyperParameterTuningJob',
                            {'HyperParameterTuningJobName': 'tb'})
        best = d['BestTrainingJob']['TrainingJobName']
        r = self.d.tuner('deploy', '--best', 'tb', timeout=120)
        self.assertExit(r, 0)
        self.assertIn('/endpoints/%s/invocations' % best, r.stdout)
        r = self.d.tuner('endpoints', 'delete', best, timeout=60)
        self.assertExit(r, 0)


if __name__ == '__main__':
    main()
