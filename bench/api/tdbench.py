"""tdbench.py - what every bench/*/bench.py shares: finding the build,
starting a private tunerd, calling it, reading a process's CPU and memory
from /proc, running the C helpers and printing the run's provenance.

Python standard library only. Never passes or fails on time.
"""

import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
CLK_TCK = os.sysconf('SC_CLK_TCK')
PAGE = os.sysconf('SC_PAGE_SIZE')


def build_dir(arg=None):
    """The build directory: --build-dir, $TUNERD_BUILD_DIR, else build/."""
    b = arg or os.environ.get('TUNERD_BUILD_DIR') or os.path.join(SOURCE, 'build')
    if not os.path.isabs(b):
        b = os.path.join(SOURCE, b) if not os.path.isdir(b) else os.path.abspath(b)
    need = [os.path.join(b, 'daemon', 'tunerd'), os.path.join(b, 'bench', 'td-bench-apiload')]
    for p in need:
        if not os.access(p, os.X_OK):
            sys.exit('%s not found: build first (meson setup %s && ninja -C %s)'
                     % (p, b, b))
    return b


def provenance():
    """Date, commit, CPU and load: the line every result starts with."""
    try:
        commit = subprocess.run(['git', '-C', SOURCE, 'rev-parse', '--short', 'HEAD'],
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(['git', '-C', SOURCE, 'status', '--porcelain',
                                '--untracked-files=no'],
                               capture_output=True, text=True).stdout.strip()
        if dirty:
            commit += '+changes'
    except OSError:
        commit = '?'
    cpu = '?'
    with open('/proc/cpuinfo') as f:
        m = re.search(r'model name\s*:\s*(.*)', f.read())
        if m:
            cpu = m.group(1).strip()
    return '%s, commit %s, %s x%d, %s, load %.2f' % (
        time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), commit, cpu,
        os.cpu_count(), platform.release(), os.getloadavg()[0])


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=600):
        super().__init__('localhost', timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Tunerd:
    """A private tunerd: its own temp dir, state dir and socket."""

    def __init__(self, build, slots=None, listen=False, env=None, state=None,
                 keep=False, args=()):
        self.build = build
        self.dir = tempfile.mkdtemp(prefix='tunerd-bench-')
        self.state = state or os.path.join(self.dir, 'state')
        self.keep_state = state is not None
        os.makedirs(self.state, exist_ok=True)
        self.socket = os.path.join(self.dir, 'tunerd.sock')
        self.log = os.path.join(self.dir, 'tunerd.log')
        self.keep = keep
        extra = args
        args = [os.path.join(build, 'daemon', 'tunerd'), '-d',
                '--state-dir', self.state, '--socket', self.socket]
        if slots:
            args += ['--slots', str(slots)]
        if listen:
            args += ['--listen', '127.0.0.1:0']
        args += list(extra)
        e = dict(os.environ)
        e.update(env or {})
        with open(self.log, 'ab') as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                         env=e, start_new_session=True)
        self.pid = self.proc.pid
        self.port = None
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                sys.exit('tunerd did not start; see %s' % self.log)
            with open(self.log) as f:
                text = f.read()
            m = re.search(r'listening on 127\.0\.0\.1:(\d+)', text)
            if m:
                self.port = int(m.group(1))
            if 'serving on' in text and (self.port or not listen):
                break
            time.sleep(0.02)
        self.conn = None

    def call(self, op, body, prefix='SageMaker.'):
        """One request on a kept-alive connection: (status, decoded body)."""
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = UnixHTTPConnection(self.socket)
            try:
                self.conn.request('POST', '/', json.dumps(body), {
                    'X-Amz-Target': (op if '.' in op else prefix + op),
                    'Content-Type': 'application/x-amz-json-1.1'})
                r = self.conn.getresponse()
                data = r.read()
                return r.status, (json.loads(data) if data else {})
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def ok(self, op, body):
        st, b = self.call(op, body)
        if st != 200:
            sys.exit('%s: %d %s' % (op, st, b))
        return b

    def cpu(self):
        return proc_cpu(self.pid)

    def rss(self):
        return proc_mem(self.pid)

    def stop(self):
        if self.conn is not None:
            self.conn.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        kill_leftovers(self.dir)
        if self.keep_state:
            kill_leftovers(self.state)
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def kill_leftovers(path):
    """Kills the process groups of processes whose cwd or argv names path
    (detached workers outlive the daemon by design)."""
    me = os.getpid()
    for p in os.listdir('/proc'):
        if not p.isdigit() or int(p) == me:
            continue
        try:
            with open('/proc/%s/cmdline' % p, 'rb') as f:
                cmd = f.read().decode(errors='replace')
            cwd = os.readlink('/proc/%s/cwd' % p)
        except OSError:
            continue
        if path in cmd or cwd.startswith(path):
            try:
                os.killpg(os.getpgid(int(p)), signal.SIGKILL)
            except OSError:
                pass


def proc_cpu(pid):
    """(own CPU seconds, reaped children's CPU seconds) of pid."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    ut, st, cut, cst = (int(x) for x in fields[11:15])
    return (ut + st) / CLK_TCK, (cut + cst) / CLK_TCK


def proc_sched(pid, tid=None):
    """(seconds on a CPU, seconds runnable but waiting for one) of a thread
    (default: the main thread, the daemon's loop) from schedstat."""
    with open('/proc/%d/task/%d/schedstat' % (pid, tid or pid)) as f:
        run, wait = f.read().split()[:2]
    return int(run) / 1e9, int(wait) / 1e9


def proc_mem(pid):
    """{VmRSS, VmHWM} of pid in MiB."""
    out = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            k, _, v = line.partition(':')
            if k in ('VmRSS', 'VmHWM'):
                out[k] = int(v.split()[0]) / 1024
    return out


def run_json(cmd, env=None, timeout=None):
    """Runs one of the C helpers and returns its JSON answer."""
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=timeout)
    if r.returncode != 0:
        sys.exit('%s failed (%d): %s' % (' '.join(cmd), r.returncode, r.stderr))
    return json.loads(r.stdout)


def tool(build, name):
    return os.path.join(build, 'bench', name)


def pct(values, p):
    v = sorted(values)
    if not v:
        return float('nan')
    return v[min(len(v) - 1, int(round(p * (len(v) - 1))))]


def median(values):
    return statistics.median(values) if values else float('nan')


def table(rows, header):
    """Prints rows (lists) under header as an aligned plain-text table."""
    cells = [header] + [[str(c) for c in r] for r in rows]
    w = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for k, r in enumerate(cells):
        print('  '.join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(r)))
        if k == 0:
            print('  '.join('-' * x for x in w))


def training_request(name, entrypoint=('/bin/true',), image='local', extra=None):
    req = {'TrainingJobName': name,
           'AlgorithmSpecification': {'TrainingImage': image,
                                      'TrainingInputMode': 'File',
                                      'ContainerEntrypoint': list(entrypoint)},
           'RoleArn': 'arn:aws:iam::000000000000:role/bench',
           'ResourceConfig': {'InstanceType': 'ml.c5.xlarge', 'InstanceCount': 1,
                              'VolumeSizeInGB': 1},
           'StoppingCondition': {'MaxRuntimeInSeconds': 600}}
    req.update(extra or {})
    return req
