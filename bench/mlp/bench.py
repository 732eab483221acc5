"""Benchmark of tunerd's built-in MLP against the PyTorch reference.

Both train the notebook's Boston model (13 -> 13 tanh -> 6 sigmoid -> 1,
Glorot init, MSE, plain SGD on the mean batch loss, reshuffled every
epoch, the test set evaluated and one progress line printed per epoch) on
one core. Speed is training samples per CPU-second of the training thread
over the whole epoch loop, the median of several runs; accuracy is the final test MSE over ten seeds
for the notebook's two configurations. Run it through run.sh.
"""
import argparse
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument('--td-builtin', required=True)
    p.add_argument('--data', required=True)
    p.add_argument('--train-py', required=True)
    p.add_argument('--quick', action='store_true',
                   help='fewer epochs and runs (a smoke test)')
    return p.parse_args()


class Builtin:
    """Runs `td-builtin mlp` as the worker would, in a scratch job dir."""

    def __init__(self, exe, data):
        self.exe = exe
        self.data = data
        self.tmp = tempfile.TemporaryDirectory(prefix='tdml-bench-')

    def run(self, epochs, batch_size, lr, seed=0, kernel=None):
        env = dict(os.environ)
        env.update({
            'SM_CHANNEL_TRAIN': os.path.join(self.data, 'train'),
            'SM_CHANNEL_TEST': os.path.join(self.data, 'test'),
            'SM_MODEL_DIR': os.path.join(self.tmp.name, 'model'),
            'SM_OUTPUT_DATA_DIR': os.path.join(self.tmp.name, 'output/data'),
        })
        env.pop('TDML_KERNEL', None)
        if kernel:
            env['TDML_KERNEL'] = kernel
        cmd = [self.exe, 'mlp', '--epochs', str(epochs), '--batch_size',
               str(batch_size), '--learning_rate', str(lr), '--seed',
               str(seed)]
        # stdout through a pipe, as under tunerd-worker.
        r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, check=True)
        m = re.search(r'mlp: ([0-9]+) epochs of ([0-9]+) samples in '
                      r'([0-9.]+) s, ([0-9.]+) s CPU \(([0-9.]+) samples/s, '
                      r'([^ ]+) kernels\)', r.stderr.decode())
        self.kernels = m.group(6)
        samples = float(m.group(1)) * float(m.group(2))
        with open(os.path.join(self.tmp.name, 'model', 'model.json')) as f:
            metrics = json.load(f)['metrics']
        return samples / float(m.group(4)), metrics['val_loss']


class Torch:
    """The Script Mode port, imported and timed in-process."""

    def __init__(self, train_dir, data):
        sys.dont_write_bytecode = True      # no __pycache__ in examples/
        sys.path.insert(0, train_dir)
        import torch
        import train as tp
        torch.set_num_threads(1)
        self.torch = torch
        self.tp = tp
        out = sys.stdout
        sys.stdout = io.StringIO()
        try:
            self.xtr, self.ytr = tp.load_split(os.path.join(data, 'train'), 'train')
            self.xte, self.yte = tp.load_split(os.path.join(data, 'test'), 'test')
        finally:
            sys.stdout = out

    def run(self, epochs, batch_size, lr, seed=0):
        self.torch.manual_seed(seed)
        model = self.tp.get_model(self.xtr.shape[1])
        sink = open(os.devnull, 'w')
        t0 = time.thread_time()
        val = self.tp.train(model, self.xtr, self.ytr, self.xte, self.yte,
                            epochs, batch_size, lr, out=sink)
        secs = time.thread_time() - t0
        sink.close()
        return epochs * len(self.xtr) / secs, val


def median_speed(fn, runs):
    return statistics.median(fn()[0] for _ in range(runs))


def mean_std(v):
    return statistics.mean(v), statistics.stdev(v) if len(v) > 1 else 0.0


def main():
    a = parse_args()
    c = Builtin(a.td_builtin, a.data)
    t = Torch(a.train_py, a.data)
    runs = 3 if a.quick else 5
    epochs = 100 if a.quick else 1000
    lr = 0.01
    t.run(20, 128, lr)          # warm up PyTorch's allocator and dispatch

    print('# bench/mlp: built-in MLP vs PyTorch (one core each)\n')
    print('- date: %s' % time.strftime('%Y-%m-%d %H:%M %Z'))
    print('- machine: %s, %d CPUs, %s' % (platform.processor() or
          platform.machine(), os.cpu_count(), cpu_model()))
    print('- torch %s, numpy %s' % (t.torch.__version__,
          __import__('numpy').__version__))
    print('- median of %d runs of %d epochs each; samples per second of the '
          'training thread\'s CPU time (robust to other load on the machine)'
          % (runs, epochs))
    print('- load average at start: %.2f %.2f %.2f\n' % os.getloadavg())

    print('## Training speed (samples/s, Boston train set, 404 samples, lr %g)\n' % lr)
    c.run(1, 64, lr)
    print('built-in kernels: %s; PyTorch float32, torch.set_num_threads(1)\n'
          % c.kernels)
    print('| batch | built-in | built-in, dgemm kernels | PyTorch | built-in / PyTorch |')
    print('|------:|---------:|------------------------:|--------:|-------------------:|')
    for bs in (64, 128, 256):
        sc = median_speed(lambda: c.run(epochs, bs, lr), runs)
        sb = median_speed(lambda: c.run(epochs, bs, lr, kernel='blas'), runs)
        st = median_speed(lambda: t.run(epochs, bs, lr), runs)
        print('| %d | %s | %s | %s | %.1f× |' % (bs, fmt(sc), fmt(sb), fmt(st),
                                               sc / st))
        sys.stdout.flush()

    seeds = range(3 if a.quick else 10)
    print('\n## Accuracy (final test MSE over seeds %d..%d, batch 128, lr %g)\n'
          % (seeds[0], seeds[-1], lr))
    print('| epochs | built-in | PyTorch |')
    print('|-------:|---------:|--------:|')
    for epochs in (5, 30):
        vc = [c.run(epochs, 128, lr, seed=s)[1] for s in seeds]
        vt = [t.run(epochs, 128, lr, seed=s)[1] for s in seeds]
        print('| %d | %.2f ± %.2f | %.2f ± %.2f |' % ((epochs,) + mean_std(vc)
              + mean_std(vt)))
        sys.stdout.flush()
    print('\n(variance of y_test: %.2f)' % float(t.yte.var(unbiased=False)))


def fmt(samples_per_s):
    return '%.2f M' % (samples_per_s / 1e6)


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return 'unknown CPU'


if __name__ == '__main__':
    main()
