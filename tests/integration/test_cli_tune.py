"""test_cli_tune.py - tuner's tuning commands against a real tunerd: tune
(flag form and --config), --wait when piped, trials (the SDK's analytics
columns, sorting, --top, formats), best, describe --tuning, ask/tell.
"""

import csv
import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import DaemonTestCase, VAL_LOSS, keras_py, main  # noqa: E402

TRIAL_COLS = ['TrainingJobName', 'TrainingJobStatus', 'FinalObjectiveValue',
              'TrainingStartTime', 'TrainingEndTime',
              'TrainingElapsedTimeSeconds']


class TuneTest(DaemonTestCase):
    slots = 3

    def tune_flags(self, name, jobs=5, parallel=2, extra=()):
        self.d.write('src/train.py', keras_py())
        return self.d.tuner(
            'tune', '--name', name, '--entry-point', 'src/train.py',
            '--metric', VAL_LOSS, '--objective', 'val_loss:min',
            '--param', 'learning_rate=0.001:0.2:log',
            '--param', 'epochs=1:5:int', '-H', 'unused=1',
            '--max-jobs', jobs, '--max-parallel', parallel, '--seed', 7,
            *extra, timeout=240)

    def test_tune_wait_trials_best(self):
        r = self.tune_flags('tj', extra=['--wait'])
        self.assertExit(r, 0)
        self.assertEqual(r.stdout.strip(), 'tj')
        # Piped: plain progress lines and a final summary on stderr.
        self.assertIn('tuning job tj Completed', r.stderr)
        self.assertNotIn('\033[', r.stderr)
        # The request the flags made.
        st, d = self.d.call('DescribeHyperParameterTuningJob',
                            {'HyperParameterTuningJobName': 'tj'})
        cfg = d['HyperParameterTuningJobConfig']
        self.assertEqual(cfg['Strategy'], 'Bayesian')
        self.assertEqual(cfg['RandomSeed'], 7)
        self.assertEqual(cfg['ResourceLimits'], {
            'MaxNumberOfTrainingJobs': 5, 'MaxParallelTrainingJobs': 2})
        self.assertEqual(cfg['HyperParameterTuningJobObjective'],
                         {'Type': 'Minimize', 'MetricName': 'val_loss'})
        lr = cfg['ParameterRanges']['ContinuousParameterRanges'][0]
        self.assertEqual((lr['Name'], lr['ScalingType']),
                         ('learning_rate', 'Logarithmic'))
        self.assertEqual(d['TrainingJobDefinition']['StaticHyperParameters']
                         ['unused'], '1')
        # trials -o json: one record per trial, the SDK's columns.
        r = self.d.tuner('trials', 'tj', '-o', 'json')
        self.assertExit(r, 0)
        rows = json.loads(r.stdout)
        self.assertEqual(len(rows), 5)
        for row in rows:
            self.assertEqual(sorted(row), sorted(['epochs', 'learning_rate']
                                                 + TRIAL_COLS))
            self.assertIsInstance(row['epochs'], (int, float))
            self.assertEqual(row['TrainingJobStatus'], 'Completed')
            self.assertAlmostEqual(row['TrainingElapsedTimeSeconds'],
                                   row['TrainingEndTime'] -
                                   row['TrainingStartTime'], places=2)
        # Sorted best first (Minimize) by default: the first is the best job.
        values = [x['FinalObjectiveValue'] for x in rows]
        self.assertEqual(values, sorted(values))
        r = self.d.tuner('best', 'tj', '-o', 'json')
        self.assertExit(r, 0)
        best = json.loads(r.stdout)
        self.assertEqual(best['TrainingJobName'], rows[0]['TrainingJobName'])
        self.assertEqual(best['FinalHyperParameterTuningJobObjectiveMetric']
                         ['Value'], values[0])
        # csv, --top and --sort.
        r = self.d.tuner('trials', 'tj', '-o', 'csv', '--top', '2',
                         '--sort', 'epochs:desc')
        self.assertExit(r, 0)
        got = list(csv.DictReader(io.StringIO(r.stdout)))
        self.assertEqual(len(got), 2)
        self.assertEqual(list(got[0])[:2], ['epochs', 'learning_rate'])
        self.assertEqual(max(x['epochs'] for x in rows),
                         float(got[0]['epochs']))
        # The table ends with the footer: totals and status counts.
        r = self.d.tuner('trials', 'tj')
        self.assertExit(r, 0)
        self.assertRegex(r.stdout, r'\n5 training jobs, .* of training; '
                         r'Completed 5\n$')
        r = self.d.tuner('describe', '--tuning', 'tj')
        self.assertExit(r, 0)
        self.assertRegex(r.stdout, r'HyperParameterTuningJobStatus\s+Completed')
        self.assertRegex(r.stdout, r'Range\.epochs\s+integer 1\.\.5')

    def test_tune_without_wait_and_bad_flags(self):
        r = self.tune_flags('nowait', jobs=2, parallel=2)
        self.assertExit(r, 0)
        self.assertEqual(r.stdout.strip(), 'nowait')
        self.assertEqual(self.d.wait_tuning('nowait')
                         ['HyperParameterTuningJobStatus'], 'Completed')
        self.d.write('src/train.py', keras_py())
        base = ['tune', '--entry-point', 'src/train.py', '--metric', VAL_LOSS]
        cases = [
            (['--param', 'lr=1:0', '--objective', 'val_loss:min'], 'lr=1:0'),
            (['--param', 'lr=0:1:log', '--objective', 'val_loss:min'], 'log'),
            (['--param', 'lr=0.1:1', '--objective', 'val_loss'], '--objective'),
            (['--param', 'lr=0.1:1', '--objective', 'acc:max'], '--metric acc='),
            (['--objective', 'val_loss:min'], '--param'),
            (['--param', 'lr=0.1:1', '--objective', 'val_loss:min',
              '--strategy', 'Genetic'], 'Genetic'),
            (['--param', 'lr=0.1:1', '--objective', 'val_loss:min',
              '--max-jobs', '0'], '--max-jobs'),
        ]
        for extra, text in cases:
            r = self.d.tuner(*(base + extra))
            self.assertExit(r, 2, ' '.join(extra))
            self.assertIn(text, r.stderr)
        r = self.d.tuner('tune', '--config', 'missing.json')
        self.assertExit(r, 2)
        self.assertIn('missing.json', r.stderr)
        self.d.write('notobj.json', '[1, 2]')
        r = self.d.tuner('tune', '--config', 'notobj.json')
        self.assertExit(r, 2)
        self.assertIn('not a JSON object', r.stderr)
        # The daemon's own checks come back as exit 4.
        r = self.d.tuner('tune', '--name', 'x' * 40, '--builtin', 'mlp',
                         '--param', 'epochs=1:3:int', '--objective',
                         'val_loss:min')
        self.assertExit(r, 4)
        self.assertIn('ValidationException', r.stderr)

    def test_config_and_ask_tell(self):
        req = {
            'HyperParameterTuningJobName': 'from-file',
            'HyperParameterTuningJobConfig': {
                'Strategy': 'Random',
                'HyperParameterTuningJobObjective': {
                    'Type': 'Maximize', 'MetricName': 'score'},
                'ResourceLimits': {'MaxNumberOfTrainingJobs': 3,
                                   'MaxParallelTrainingJobs': 2},
                'ParameterRanges': {
                    'ContinuousParameterRanges': [
                        {'Name': 'x', 'MinValue': '-1', 'MaxValue': '1'}],
                    'CategoricalParameterRanges': [
                        {'Name': 'opt', 'Values': ['sgd', 'adam']}]}}}
        self.d.write('at.json', json.dumps(req))
        # --name overrides the file's name; definition flags may not be mixed in.
        r = self.d.tuner('tune', '--config', 'at.json', '--param', 'y=1:2')
        self.assertExit(r, 2)
        self.assertIn('--param', r.stderr)
        r = self.d.tuner('tune', '--config', 'at.json', '--name', 'at')
        self.assertExit(r, 0)
        self.assertEqual(r.stdout.strip(), 'at')
        r = self.d.tuner('ask', 'at', '-n', '2', '-o', 'json')
        self.assertExit(r, 0)
        trials = json.loads(r.stdout)['Trials']
        self.assertEqual(len(trials), 2)
        for t in trials:
            self.assertIn(t['HyperParameters']['opt'], ('sgd', 'adam'))
            self.assertTrue(-1 <= float(t['HyperParameters']['x']) <= 1)
        r = self.d.tuner('tell', 'at', trials[0]['TrialName'], '-0.25')
        self.assertExit(r, 0)
        r = self.d.tuner('tell', 'at', trials[1]['TrialName'], '--failed',
                         '--reason', 'diverged')
        self.assertExit(r, 0)
        r = self.d.tuner('tell', 'at', trials[0]['TrialName'], 'NaN')
        self.assertExit(r, 2)
        r = self.d.tuner('tell', 'at', 'no-such-trial', '1')
        self.assertExit(r, 4)
        r = self.d.tuner('ask', 'at', '-o', 'csv')
        self.assertExit(r, 0)
        last = list(csv.DictReader(io.StringIO(r.stdout)))
        self.assertEqual(len(last), 1)
        self.assertExit(self.d.tuner('tell', 'at', last[0]['TrialName'], '3'), 0)
        d = self.d.wait_tuning('at', timeout=30)
        self.assertEqual(d['HyperParameterTuningJobStatus'], 'Completed')
        r = self.d.tuner('trials', 'at', '-o', 'json')
        rows = json.loads(r.stdout)
        self.assertEqual([x['FinalObjectiveValue'] for x in rows][:2],
                         [3, -0.25])
        self.assertEqual(rows[-1]['TrainingJobStatus'], 'Failed')
        r = self.d.tuner('best', 'at')
        self.assertExit(r, 0)
        self.assertRegex(r.stdout, r'FinalObjectiveValue\s+3\n')


if __name__ == '__main__':
    main()
