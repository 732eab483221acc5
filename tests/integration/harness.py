"""harness.py - a real tunerd per test, on a private socket and state dir.

Python 3 standard library only. A test module does:

    from harness import DaemonTestCase, main

    class T(DaemonTestCase):
        slots = 2                      # --slots for the daemon
        def test_x(self):
            r = self.d.tuner('list', '-o', 'json')
            self.assertEqual(r.returncode, 0, r.stderr)

    if __name__ == '__main__':
        main()

Daemon owns one temp directory: state/ (the state dir, with tunerd.sock in
it), work/ (the tests' files, the cwd of tuner) and tunerd.log. Cleanup
stops the daemon and kills every process group left behind by it (workers
are detached and survive the daemon by design), found through /proc by
their command line, working directory or environment naming the temp dir.

Environment: TUNERD_BUILD_DIR (set by meson) finds daemon/tunerd and
client/tuner; TUNERD_IT_KEEP=1 keeps the temp directory; TUNERD_IT_LOG=1
prints the daemon log of every test, not only of failed ones.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get('TUNERD_SOURCE_DIR',
                            os.path.dirname(os.path.dirname(HERE)))
BUILD_DIR = os.environ.get('TUNERD_BUILD_DIR',
                           os.path.join(SOURCE_DIR, 'build'))
TUNERD = os.path.join(BUILD_DIR, 'daemon', 'tunerd')
TUNER = os.path.join(BUILD_DIR, 'client', 'tuner')

TERMINAL = ('Completed', 'Failed', 'Stopped')


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over a unix stream socket."""

    def __init__(self, path, timeout=30):
        super().__init__('localhost', timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class DaemonError(Exception):
    pass


class Daemon:
    """One tunerd with its own state dir and socket."""

    def __init__(self, slots=2, listen=False, args=(), env=None, start=True):
        self.dir = tempfile.mkdtemp(prefix='tunerd-it-')
        self.state = os.path.join(self.dir, 'state')
        self.work = os.path.join(self.dir, 'work')
        self.socket = os.path.join(self.state, 'tunerd.sock')
        self.log_path = os.path.join(self.dir, 'tunerd.log')
        os.makedirs(self.state, mode=0o700)
        os.makedirs(self.work)
        self.slots = slots
        self.listen = listen
        self.args = list(args)
        self.env = dict(os.environ if env is None else env)
        # tuner must find this daemon only through --socket / the URL.
        for k in ('TUNERD_SOCKET', 'TUNERD_STATE_DIR'):
            self.env.pop(k, None)
        self.proc = None
        self.port = None
        if start:
            try:
                self.start()
            except BaseException:
                self.cleanup(keep=bool(os.environ.get('TUNERD_IT_KEEP')))
                raise

    # --- life cycle -----------------------------------------------------

    def command(self):
        cmd = [TUNERD, '-d', '--state-dir', self.state, '--socket',
               self.socket, '--slots', str(self.slots)]
        if self.listen:
            cmd += ['--listen', '127.0.0.1:0']
        return cmd + self.args

    def start(self, timeout=15):
        if not os.access(TUNERD, os.X_OK):
            raise DaemonError('no tunerd at %s (build it first, or set '
                              'TUNERD_BUILD_DIR)' % TUNERD)
        self._log_start = os.path.getsize(self.log_path) \
            if os.path.exists(self.log_path) else 0
        log = open(self.log_path, 'ab')
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT,
                                     cwd=self.dir, env=self.env,
                                     start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DaemonError('tunerd exited with %s at start:\n%s' %
                                  (self.proc.returncode, self.log_tail()))
            if self._socket_ready() and (not self.listen or self._find_port()):
                return
            time.sleep(0.02)
        raise DaemonError('tunerd did not create %s within %ss:\n%s' %
                          (self.socket, timeout, self.log_tail()))

    def _socket_ready(self):
        if not os.path.exists(self.socket):
            return False
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(self.socket)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def _find_port(self):
        with open(self.log_path, 'rb') as f:
            f.seek(self._log_start)
            text = f.read().decode('utf-8', 'replace')
        m = re.findall(r'listening on 127\.0\.0\.1:(\d+)', text)
        if m:
            self.port = int(m[-1])
        return self.port is not None

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port if self.port else None

    def kill(self, sig=signal.SIGKILL, wait=True):
        """Sends sig to the daemon process (not its workers)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        if wait:
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self):
        """SIGTERM, then SIGKILL after 10 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def restart(self, sig=signal.SIGTERM):
        """Stops the daemon (with sig) and starts it again on the same state."""
        if sig == signal.SIGTERM:
            self.stop()
        else:
            self.kill(sig)
        self.port = None
        self.start()

    def leftover_pids(self):
        """Processes (other than the daemon) that belong to this temp dir."""
        mine = []
        needle = self.dir.encode()
        for p in os.listdir('/proc'):
            if not p.isdigit() or int(p) == os.getpid():
                continue
            pid = int(p)
            try:
                with open('/proc/%d/cmdline' % pid, 'rb') as f:
                    if needle in f.read():
                        mine.append(pid)
                        continue
                if os.readlink('/proc/%d/cwd' % pid).startswith(self.dir):
                    mine.append(pid)
                    continue
                with open('/proc/%d/environ' % pid, 'rb') as f:
                    if needle in f.read():
                        mine.append(pid)
            except OSError:
                continue
        return mine

    def worker_pids(self, name=None):
        """tunerd-worker processes of this daemon's jobs (of job name, if given)."""
        want = b"/jobs/" if name is None else ("/jobs/%s\0" % name).encode()
        pids = []
        for pid in self.leftover_pids():
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if b"tunerd-worker" in cmd and want in cmd:
                pids.append(pid)
        return pids

    def cleanup(self, keep=False):
        self.stop()
        for _ in range(3):
            pids = self.leftover_pids()
            if not pids:
                break
            for pid in pids:
                for kill in (lambda: os.killpg(os.getpgid(pid), signal.SIGKILL),
                             lambda: os.kill(pid, signal.SIGKILL)):
                    try:
                        kill()
                    except OSError:
                        pass
            time.sleep(0.1)
        if not keep and not os.environ.get('TUNERD_IT_KEEP'):
            shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, n=60):
        try:
            with open(self.log_path, 'rb') as f:
                lines = f.read().decode('utf-8', 'replace').splitlines()
        except OSError:
            return '(no log)'
        return '\n'.join(lines[-n:])

    # --- talking to it ----------------------------------------------------

    def call(self, op, body=None, timeout=30):
        """One API call: op "CreateTrainingJob" or "Tunerd.X". Returns (status, json)."""
        target = op if '.' in op else 'SageMaker.' + op
        data = json.dumps(body if body is not None else {}).encode()
        conn = UnixHTTPConnection(self.socket, timeout=timeout)
        try:
            conn.request('POST', '/', body=data, headers={
                'X-Amz-Target': target,
                'Content-Type': 'application/x-amz-json-1.1'})
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        try:
            return resp.status, json.loads(raw.decode() or 'null')
        except ValueError:
            return resp.status, raw.decode('utf-8', 'replace')

    def invoke(self, endpoint, body, content_type='application/json',
               timeout=30):
        """POST /endpoints/<name>/invocations. Returns (status, json or text)."""
        if not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
        conn = UnixHTTPConnection(self.socket, timeout=timeout)
        try:
            conn.request('POST', '/endpoints/%s/invocations' % endpoint,
                         body=body, headers={'Content-Type': content_type})
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        try:
            return resp.status, json.loads(raw.decode())
        except ValueError:
            return resp.status, raw.decode('utf-8', 'replace')

    def tuner(self, *args, input=None, timeout=120, env=None, socket=True,
              cwd=None):
        """Runs client/tuner --socket <ours> args... in work/. Returns CompletedProcess (text)."""
        cmd = [TUNER] + (['--socket', self.socket] if socket else []) + \
            [str(a) for a in args]
        e = dict(self.env)
        if env:
            e.update(env)
        return subprocess.run(cmd, input=input, capture_output=True,
                              text=True, timeout=timeout, cwd=cwd or self.work,
                              env=e)

    def describe(self, name):
        st, d = self.call('DescribeTrainingJob', {'TrainingJobName': name})
        if st != 200:
            raise DaemonError('DescribeTrainingJob %s: %s %s' % (name, st, d))
        return d

    def wait_job(self, name, timeout=60):
        """Polls until the training job is terminal; returns its description."""
        deadline = time.monotonic() + timeout
        while True:
            d = self.describe(name)
            if d.get('TrainingJobStatus') in TERMINAL:
                return d
            if time.monotonic() > deadline:
                raise AssertionError('job %s still %s after %ss' % (
                    name, d.get('TrainingJobStatus'), timeout))
            time.sleep(0.05)

    def wait_tuning(self, name, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            st, d = self.call('DescribeHyperParameterTuningJob',
                              {'HyperParameterTuningJobName': name})
            if st != 200:
                raise DaemonError('DescribeHyperParameterTuningJob: %s' % d)
            if d.get('HyperParameterTuningJobStatus') in TERMINAL:
                return d
            if time.monotonic() > deadline:
                raise AssertionError('tuning job %s still %s after %ss' % (
                    name, d.get('HyperParameterTuningJobStatus'), timeout))
            time.sleep(0.1)

    # --- files for tests ---------------------------------------------------

    def write(self, relpath, text, mode=0o644):
        """Writes work/relpath (directories created); returns its path."""
        path = os.path.join(self.work, relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
        os.chmod(path, mode)
        return path


# Script Mode programs ------------------------------------------------------

def keras_py(fail_at=None, sleep=0.0):
    """A Script Mode train.py: --epochs, --learning_rate; prints Keras-style
    lines whose val_loss falls each epoch; exits 2 at epoch fail_at."""
    return '''import argparse, os, sys, time
FAIL_AT = %r
SLEEP = %r
p = argparse.ArgumentParser()
p.add_argument('--epochs', type=int, default=3)
p.add_argument('--learning_rate', type=float, default=0.1)
p.add_argument('--model-dir', default=os.environ.get('SM_MODEL_DIR', '.'))
a, _ = p.parse_known_args()
for e in range(1, a.epochs + 1):
    loss = 100.0 / (e * (1 + a.learning_rate))
    print('Epoch %%d/%%d' %% (e, a.epochs))
    print('10/10 - 0s - loss: %%.4f - val_loss: %%.4f' %% (loss, loss * 1.1), flush=True)
    if FAIL_AT is not None and e == FAIL_AT:
        print('boom at epoch %%d' %% e, file=sys.stderr)
        sys.exit(2)
    time.sleep(SLEEP)
with open(os.path.join(a.model_dir, 'model.txt'), 'w') as f:
    f.write('ok\\n')
''' % (fail_at, sleep)


def keras_sh(epochs=3):
    """A Script Mode train.sh printing Keras-style lines."""
    return '''#!/bin/sh
e=1
while [ $e -le %d ]; do
  echo "Epoch $e/%d"
  echo "10/10 - 0s - loss: 1$e.5 - val_loss: 2$e.25"
  e=$((e + 1))
done
echo done > "${SM_MODEL_DIR:-.}/model.txt"
''' % (epochs, epochs)


VAL_LOSS = "val_loss= val_loss: ([0-9\\.]+)"


class DaemonTestCase(unittest.TestCase):
    """Starts a Daemon per test as self.d; prints its log if the test failed."""

    slots = 2
    listen = False
    daemon_args = ()

    def setUp(self):
        self.d = Daemon(slots=self.slots, listen=self.listen,
                        args=self.daemon_args)

    def _failed(self):
        # Python 3.11 records errors in the result, not in outcome.success.
        outcome = getattr(self, '_outcome', None)
        if outcome is None:
            return False
        if not getattr(outcome, 'success', True):
            return True
        res = getattr(outcome, 'result', None)
        return any(t is self for t, _ in getattr(res, 'errors', []) +
                   getattr(res, 'failures', []))

    def tearDown(self):
        failed = self._failed()
        if failed or os.environ.get('TUNERD_IT_LOG'):
            sys.stderr.write('\n--- tunerd log (%s) ---\n%s\n---\n' % (
                self.d.dir, self.d.log_tail(200)))
        self.d.cleanup(keep=failed and bool(os.environ.get('TUNERD_IT_KEEP')))

    def assertExit(self, r, code, msg=None):
        """r.returncode == code, showing the command's output otherwise."""
        if r.returncode != code:
            self.fail('%sexit %d, expected %d\nargs: %s\nstdout:\n%s\nstderr:\n%s'
                      % (msg + ': ' if msg else '', r.returncode, code,
                         r.args, r.stdout, r.stderr))


def run_tuner(*args, input=None, timeout=60, env=None):
    """tuner without a daemon (help, metrics test, connection errors)."""
    return subprocess.run([TUNER] + [str(a) for a in args], input=input,
                          capture_output=True, text=True, timeout=timeout,
                          env=env)


def main():
    unittest.main(verbosity=2)
