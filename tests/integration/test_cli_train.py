"""test_cli_train.py - tuner's training-job commands against a real tunerd:
train (--wait, Script Mode python and sh, commands), describe, list, logs,
stop, wait, metrics test, api, and the exit codes of each failure class.
"""

import csv
import io
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (DaemonTestCase, TUNER, VAL_LOSS, keras_py, keras_sh,  # noqa: E402
                     main, run_tuner)


class TrainTest(DaemonTestCase):

    def test_train_wait_python(self):
        self.d.write('src/train.py', keras_py())
        r = self.d.tuner('train', '--entry-point', 'src/train.py',
                         '-H', 'epochs=4', '--metric', VAL_LOSS,
                         '--name', 'py-job', '--wait')
        self.assertExit(r, 0)
        # The program's output is streamed on stdout, once per epoch.
        self.assertEqual(r.stdout.count(' val_loss: '), 4, r.stdout)
        # The final line: status, time, the last metric value, the model.
        self.assertIn('job py-job Completed in', r.stderr)
        self.assertIn('val_loss=25 ', r.stderr)
        self.assertIn('model=file://', r.stderr)
        d = self.d.describe('py-job')
        self.assertEqual(d['TrainingJobStatus'], 'Completed')
        final = {m['MetricName']: m['Value'] for m in d['FinalMetricDataList']}
        self.assertAlmostEqual(final['val_loss'], 25.0, places=3)
        # Script Mode as the SDK sends it: JSON-quoted program and directory.
        hp = d['HyperParameters']
        self.assertEqual(hp['sagemaker_program'], '"train.py"')
        self.assertEqual(json.loads(hp['sagemaker_submit_directory']),
                         'file://' + os.path.join(self.d.work, 'src'))
        self.assertEqual(d['AlgorithmSpecification']['TrainingImage'], 'python3')
        # describe as a table and as JSON.
        r = self.d.tuner('describe', 'py-job')
        self.assertExit(r, 0)
        self.assertRegex(r.stdout, r'TrainingJobStatus\s+Completed')
        self.assertRegex(r.stdout, r'Metric\.val_loss\s+25\n')
        r = self.d.tuner('describe', 'py-job', '-o', 'json')
        self.assertExit(r, 0)
        self.assertEqual(json.loads(r.stdout)['TrainingJobName'], 'py-job')

    def test_train_wait_sh_default_name(self):
        self.d.write('sh/train.sh', keras_sh(epochs=2), mode=0o755)
        r = self.d.tuner('train', '--entry-point', 'sh/train.sh',
                         '--metric', VAL_LOSS, '--wait')
        self.assertExit(r, 0)
        self.assertIn('val_loss=22.25', r.stderr)
        # SageMaker SDK naming: BASE-YYYY-MM-DD-HH-MM-SS-mmm, base from the file.
        listed = json.loads(self.d.tuner('list', '-o', 'json').stdout)
        self.assertEqual(len(listed), 1)
        self.assertRegex(listed[0]['TrainingJobName'],
                         r'^train-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-\d{3}$')
        d = self.d.describe(listed[0]['TrainingJobName'])
        self.assertEqual(d['AlgorithmSpecification']['TrainingImage'], '/bin/sh')

    def test_train_without_wait_prints_name(self):
        r = self.d.tuner('train', '--name', 'cmd-job', '--metric',
                         'x=x=([0-9]+)', '--', 'sh', '-c', 'echo x=7')
        self.assertExit(r, 0)
        self.assertEqual(r.stdout.strip(), 'cmd-job')
        d = self.d.wait_job('cmd-job')
        self.assertEqual(d['TrainingJobStatus'], 'Completed', d)
        self.assertEqual(d['AlgorithmSpecification']['ContainerEntrypoint'],
                         ['sh', '-c', 'echo x=7'])
        self.assertEqual(d['FinalMetricDataList'][0]['Value'], 7)
        # --command is the same as "--".
        r = self.d.tuner('train', '--name', 'cmd-job2', '--command',
                         "sh -c 'echo two words'", '--wait')
        self.assertExit(r, 0)
        self.assertIn('two words', r.stdout)

    def test_failing_job_wait_exits_1(self):
        self.d.write('src/train.py', keras_py(fail_at=2))
        r = self.d.tuner('train', '--entry-point', 'src/train.py',
                         '--metric', VAL_LOSS, '--name', 'bad-job', '--wait')
        self.assertExit(r, 1)
        self.assertIn('job bad-job Failed', r.stderr)
        self.assertIn('boom at epoch 2', r.stdout)
        d = self.d.describe('bad-job')
        self.assertEqual(d['TrainingJobStatus'], 'Failed')
        self.assertTrue(d.get('FailureReason'))
        # wait agrees: 1 for a Failed job, 0 for a Completed one.
        self.assertExit(self.d.tuner('wait', 'bad-job'), 1)
        self.d.tuner('train', '--name', 'ok-job', '--', 'true')
        self.assertExit(self.d.tuner('wait', '--timeout', '60', 'ok-job'), 0)

    def test_usage_errors_exit_2(self):
        cases = [
            (['train', '--builtin', 'mlp', '-H', 'epochs'], 'bad hyperparameter'),
            (['train', '--builtin', 'mlp', '-H', '=3'], '-H'),
            (['train', '--builtin', 'mlp', '--channel', 'train'], '--channel'),
            (['train', '--builtin', 'mlp', '--channel', 'train=no/such/dir'],
             'no/such/dir'),
            (['train', '--builtin', 'mlp', '--metric', 'noregex'], '--metric'),
            (['train', '--builtin', 'mlp', '--max-runtime', 'soon'], '--max-runtime'),
            (['train'], 'nothing to run'),
            (['train', '--builtin', 'mlp', '--', 'sh'], 'only one of'),
            (['train', '--entry-point', 'missing.py'], 'missing.py'),
            (['train', '--bogus'], '--bogus'),
            (['train', '--command', "sh -c 'unterminated"], '--command'),
            (['describe'], 'expected one'),
            (['list', '--sort', 'size'], '--sort'),
            (['list', '-o', 'xml'], 'xml'),
            (['nosuchcommand'], 'unknown command'),
        ]
        for args, text in cases:
            r = self.d.tuner(*args)
            self.assertExit(r, 2, ' '.join(args))
            self.assertIn(text, r.stderr, args)
            self.assertTrue(r.stderr.startswith('tuner: '), r.stderr)
            self.assertEqual(r.stdout, '', args)
        # Nothing reached the daemon.
        st, out = self.d.call('ListTrainingJobs', {})
        self.assertEqual(out['TrainingJobSummaries'], [])

    def test_api_errors_exit_4(self):
        r = self.d.tuner('describe', 'no-such-job')
        self.assertExit(r, 4)
        self.assertIn('ResourceNotFound', r.stderr)
        self.assertIn('DescribeTrainingJob', r.stderr)
        r = self.d.tuner('logs', 'no-such-job')
        self.assertExit(r, 4)
        # A name SageMaker's pattern refuses is the daemon's ValidationException.
        r = self.d.tuner('train', '--name', 'bad_name!', '--', 'true')
        self.assertExit(r, 4)
        self.assertIn('ValidationException', r.stderr)
        # The same job name twice.
        self.assertExit(self.d.tuner('train', '--name', 'twice', '--', 'true'), 0)
        r = self.d.tuner('train', '--name', 'twice', '--', 'true')
        self.assertExit(r, 4)
        self.assertIn('ResourceInUse', r.stderr)

    def test_cannot_reach_exit_3(self):
        missing = os.path.join(self.d.dir, 'nope.sock')
        r = run_tuner('--socket', missing, 'describe', 'x')
        self.assertExit(r, 3)
        self.assertIn(missing, r.stderr)
        self.assertIn('tunerd -d', r.stderr)
        r = run_tuner('--endpoint-url', 'http://127.0.0.1:1', 'list')
        self.assertExit(r, 3)
        self.assertIn('http://127.0.0.1:1', r.stderr)
        # TUNERD_SOCKET is the default socket.
        env = dict(os.environ, TUNERD_SOCKET=self.d.socket)
        r = run_tuner('list', '-o', 'json', env=env)
        self.assertExit(r, 0)
        self.assertEqual(json.loads(r.stdout), [])

    def test_list_formats_and_filters(self):
        for name in ('alpha-1', 'alpha-2', 'beta-1'):
            self.assertExit(self.d.tuner('train', '--name', name, '--', 'true'), 0)
        self.d.tuner('train', '--name', 'beta-bad', '--', 'false')
        for name in ('alpha-1', 'alpha-2', 'beta-1', 'beta-bad'):
            self.d.wait_job(name)
        r = self.d.tuner('list', '-o', 'json')
        self.assertExit(r, 0)
        jobs = json.loads(r.stdout)
        self.assertEqual(sorted(j['TrainingJobName'] for j in jobs),
                         ['alpha-1', 'alpha-2', 'beta-1', 'beta-bad'])
        # Newest first by default.
        self.assertEqual(jobs[0]['TrainingJobName'], 'beta-bad')
        r = self.d.tuner('list', '-o', 'csv', '--name-contains', 'alpha')
        self.assertExit(r, 0)
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        self.assertEqual(sorted(x['TrainingJobName'] for x in rows),
                         ['alpha-1', 'alpha-2'])
        self.assertEqual({x['TrainingJobStatus'] for x in rows}, {'Completed'})
        self.assertRegex(rows[0]['CreationTime'], r'^\d{4}-\d\d-\d\dT')
        r = self.d.tuner('list', '-o', 'json', '--status', 'Failed')
        self.assertEqual([j['TrainingJobName'] for j in json.loads(r.stdout)],
                         ['beta-bad'])
        r = self.d.tuner('list', '-o', 'json', '--sort', 'name:asc', '--max', '3')
        self.assertEqual([j['TrainingJobName'] for j in json.loads(r.stdout)],
                         ['alpha-1', 'alpha-2', 'beta-1'])
        r = self.d.tuner('list')
        self.assertExit(r, 0)
        self.assertTrue(r.stdout.startswith('TrainingJobName'), r.stdout)
        self.assertEqual(len(r.stdout.splitlines()), 5)

    def test_list_follows_pages(self):
        # More jobs than one page of ListTrainingJobs (100).
        for i in range(105):
            st, out = self.d.call('CreateTrainingJob', {
                'TrainingJobName': 'p-%03d' % i,
                'AlgorithmSpecification': {'TrainingImage': 'true',
                                           'TrainingInputMode': 'File',
                                           'ContainerEntrypoint': ['true']}})
            self.assertEqual(st, 200, out)
        r = self.d.tuner('list', '-o', 'json', timeout=120)
        self.assertExit(r, 0)
        self.assertEqual(len({j['TrainingJobName'] for j in json.loads(r.stdout)}),
                         105)

    def test_logs(self):
        self.d.write('src/slow.sh', '#!/bin/sh\nfor i in 1 2 3; do echo line $i;'
                     ' sleep 0.3; done\necho to-stderr >&2\n', mode=0o755)
        r = self.d.tuner('train', '--entry-point', 'src/slow.sh', '--name', 'lg')
        self.assertExit(r, 0)
        # -f follows from the start to the end of the job.
        r = self.d.tuner('logs', '-f', 'lg', timeout=60)
        self.assertExit(r, 0)
        for text in ('line 1', 'line 2', 'line 3', 'to-stderr'):
            self.assertIn(text, r.stdout)
        self.assertLess(r.stdout.index('line 1'), r.stdout.index('line 3'))
        self.assertEqual(self.d.describe('lg')['TrainingJobStatus'], 'Completed')
        # Without -f: what is there now, the same text.
        r2 = self.d.tuner('logs', 'lg')
        self.assertExit(r2, 0)
        self.assertEqual(r2.stdout, r.stdout)

    def test_stop(self):
        r = self.d.tuner('train', '--name', 'long', '--', 'sleep', '60')
        self.assertExit(r, 0)
        deadline = time.monotonic() + 30
        while 'TrainingStartTime' not in self.d.describe('long') and \
                self.d.describe('long').get('SecondaryStatus') != 'Training':
            self.assertLess(time.monotonic(), deadline, 'never started')
            time.sleep(0.05)
        t0 = time.monotonic()
        r = self.d.tuner('stop', '--wait', 'long', timeout=60)
        self.assertExit(r, 0)
        self.assertLess(time.monotonic() - t0, 30)
        self.assertEqual(self.d.describe('long')['TrainingJobStatus'], 'Stopped')
        self.assertExit(self.d.tuner('wait', 'long'), 1)

    def test_metrics_test(self):
        log = ('Epoch 1/2\n10/10 - loss: 3.5 - val_loss: 4.25\n'
               'Epoch 2/2\r10/10 - loss: 2.5 - val_loss: 3.75\n')
        r = run_tuner('metrics', 'test', '--regex', ' val_loss: ([0-9\\.]+)',
                      '--name', 'val_loss', '-o', 'json', input=log)
        self.assertExit(r, 0)
        self.assertEqual(json.loads(r.stdout), [
            {'MetricName': 'val_loss', 'Value': 4.25},
            {'MetricName': 'val_loss', 'Value': 3.75}])
        # Several definitions, as train takes them; a log file argument.
        path = os.path.join(self.d.work, 'train.log')
        with open(path, 'w') as f:
            f.write(log)
        r = run_tuner('metrics', 'test', '--metric', 'loss=\\bloss: ([0-9.]+)',
                      '--metric', VAL_LOSS, '-o', 'csv', path)
        self.assertExit(r, 0)
        self.assertEqual(r.stdout.replace('\r', ''),
                         'MetricName,Value\nloss,3.5\nval_loss,4.25\n'
                         'loss,2.5\nval_loss,3.75\n')
        r = run_tuner('metrics', 'test', '--regex', 'accuracy=([0-9.]+)',
                      input=log)
        self.assertExit(r, 1)
        self.assertIn('no match', r.stderr)
        r = run_tuner('metrics', 'test', '--regex', 'val_loss: ([0-9', input=log)
        self.assertExit(r, 2)
        self.assertIn('regex', r.stderr)

    def test_api(self):
        self.assertExit(self.d.tuner('train', '--name', 'api-job', '--', 'true'), 0)
        self.d.wait_job('api-job')
        r = self.d.tuner('api', 'DescribeTrainingJob',
                         '{"TrainingJobName": "api-job"}')
        self.assertExit(r, 0)
        self.assertEqual(json.loads(r.stdout)['TrainingJobStatus'], 'Completed')
        r = self.d.tuner('api', 'ListTrainingJobs', '--input-json', '-',
                         input='{"MaxResults": 1}')
        self.assertExit(r, 0)
        self.assertEqual(len(json.loads(r.stdout)['TrainingJobSummaries']), 1)
        self.d.write('req.json', '{"TrainingJobName": "api-job", '
                     '"StartOffset": 0, "MaxBytes": 65536}')
        r = self.d.tuner('api', 'Tunerd.GetTrainingJobLogs', '--input-json',
                         'req.json')
        self.assertExit(r, 0)
        self.assertTrue(json.loads(r.stdout)['Finished'])
        r = self.d.tuner('api', 'DescribeTrainingJob', '{"TrainingJobName": ')
        self.assertExit(r, 2)
        self.assertIn('bad JSON', r.stderr)
        r = self.d.tuner('api', 'NoSuchOperation')
        self.assertExit(r, 4)
        self.assertIn('UnknownOperation', r.stderr)
        r = self.d.tuner('api', 'DescribeTrainingJob', '{"Bogus": 1}')
        self.assertExit(r, 4)
        self.assertIn('ValidationException', r.stderr)


class HelpTest(unittest.TestCase):
    """--help and the man page: no daemon needed."""

    assertExit = DaemonTestCase.assertExit

    def test_every_command_has_help(self):
        r = run_tuner('--help')
        self.assertExit(r, 0)
        commands = []
        in_cmds = False
        for line in r.stdout.splitlines():
            if line == 'Commands:':
                in_cmds = True
            elif in_cmds and not line.strip():
                break
            elif in_cmds and line.startswith('  ') and line[2] != ' ':
                commands.append(line.split('  ')[1].strip())
        self.assertIn('train', commands)
        self.assertIn('endpoints delete', commands)
        # The variables tuner reads are named where a user looks first.
        env = r.stdout.split('Environment:', 1)[1]
        for var in ('TUNERD_SOCKET', 'AWS_ACCESS_KEY_ID',
                    'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'):
            self.assertIn(var, env)
        for cmd in commands:
            r = run_tuner(*(cmd.split() + ['--help']))
            self.assertExit(r, 0, cmd)
            self.assertTrue(r.stdout.startswith('Usage: tuner ' + cmd), cmd)
            self.assertIn('Exit status', r.stdout)
            self.assertEqual(r.stderr, '')

    def test_man_page_matches_help(self):
        man = run_tuner('--help-man')
        self.assertExit(man, 0)
        self.assertIn('.SH EXIT STATUS', man.stdout)
        built = os.path.join(os.path.dirname(TUNER), 'tuner.1')
        if os.path.exists(built):
            with open(built) as f:
                self.assertEqual(f.read(), man.stdout,
                                 'tuner.1 is stale: rebuild')
        # Every long option of train's help is in the man page.
        r = run_tuner('train', '--help')
        opts = set(re.findall(r'(?<![\w-])--([a-z][a-z-]*[a-z])', r.stdout))
        self.assertIn('entry-point', opts)
        for opt in opts:
            self.assertIn('\\-\\-' + opt.replace('-', '\\-'), man.stdout, opt)


if __name__ == '__main__':
    main()
