"""Load, slow clients and the connection cap against a real tunerd (issue 6).

- 64 keep-alive connections (half on the unix socket, half on loopback
  TCP) issue a mix of CreateTrainingJob, DescribeTrainingJob,
  ListTrainingJobs and StopTrainingJob for LOAD_SECONDS (default 8):
  no error but the expected ones (StopTrainingJob of a job that already
  ended is a ValidationException), never SQLITE_BUSY / "database is
  locked" in an answer or the log, the daemon's memory flat.
- Slowloris: clients sending one byte a second get 408 when the request
  timeout runs out, and are closed; connections that never send a byte
  are closed at the idle timeout; while they hang on, the daemon answers
  others at once; the connection cap holds: the next connection gets 503
  and is closed. The daemon runs with short limits set by its flags
  (--request-timeout 3 --idle-timeout 5 --max-connections 200; defaults
  30 s, 60 s, 1024), so the test takes seconds, not the ~65 s of the
  defaults.

bench/load/ runs the same mix for 30 s from a C client. Figures are
printed as "load: ..." lines.
"""
import http.client
import json
import os
import random
import re
import resource
import selectors
import socket
import sys
import threading
import time

from harness import DaemonTestCase, UnixHTTPConnection, main

LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "8"))
CONNECTIONS = 64
CAP = 200                # tunerd --max-connections (default 1024)
REQUEST_TIMEOUT = 3      # tunerd --request-timeout (default 30 s)
IDLE_TIMEOUT = 5         # tunerd --idle-timeout (default 60 s)


def sh_job(name):
    return {"TrainingJobName": name,
            "AlgorithmSpecification": {
                "TrainingImage": "local", "TrainingInputMode": "File",
                "ContainerEntrypoint": ["/bin/sh", "-c", "echo val_loss: 1"],
                "MetricDefinitions": [{"Name": "val_loss",
                                       "Regex": r"val_loss: ([0-9\.]+)"}]},
            "RoleArn": "arn:aws:iam::000000000000:role/local"}


def asan(pid):
    """True when the daemon runs under AddressSanitizer, whose quarantine
    (256 MB of freed memory held back) makes RSS figures meaningless."""
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Client(threading.Thread):
    """One keep-alive connection issuing the mix until the deadline."""

    def __init__(self, test, idx, deadline):
        super().__init__(daemon=True)
        self.t, self.idx, self.deadline = test, idx, deadline
        self.rng = random.Random(idx)
        self.counts = {}
        self.unexpected = []
        self.latencies = []
        self.mine = []

    def connect(self):
        if self.idx % 2 == 0:
            return UnixHTTPConnection(self.t.d.socket, timeout=30)
        return http.client.HTTPConnection("127.0.0.1", self.t.d.port,
                                          timeout=30)

    def call(self, conn, op, body):
        data = json.dumps(body).encode()
        t0 = time.monotonic()
        conn.request("POST", "/", body=data, headers={
            "X-Amz-Target": "SageMaker." + op,
            "Content-Type": "application/x-amz-json-1.1"})
        r = conn.getresponse()
        raw = r.read()
        self.latencies.append(time.monotonic() - t0)
        return r.status, json.loads(raw.decode("utf-8"))

    def run(self):
        conn = self.connect()
        n = 0
        try:
            while time.monotonic() < self.deadline:
                x = self.rng.random()
                if x < 0.10 or not self.mine:
                    name = "ld-%02d-%04d" % (self.idx, n)
                    n += 1
                    op, body, ok = "CreateTrainingJob", sh_job(name), ()
                    self.mine.append(name)
                elif x < 0.20:
                    op = "StopTrainingJob"
                    body = {"TrainingJobName": self.rng.choice(self.mine)}
                    ok = ("ValidationException",)   # it had ended already
                elif x < 0.60:
                    op = "DescribeTrainingJob"
                    body = {"TrainingJobName": self.rng.choice(self.mine)}
                    ok = ()
                else:
                    op = "ListTrainingJobs"
                    body = self.rng.choice([
                        {}, {"MaxResults": 5, "SortBy": "Name"},
                        {"StatusEquals": "Stopped", "MaxResults": 20},
                        {"NameContains": "ld-%02d" % self.idx}])
                    ok = ()
                st, resp = self.call(conn, op, body)
                key = (op, st, resp.get("__type") if st != 200 else None)
                self.counts[key] = self.counts.get(key, 0) + 1
                if st != 200 and resp.get("__type") not in ok:
                    self.unexpected.append((op, body, st, resp))
                text = json.dumps(resp)
                if re.search(r"locked|SQLITE_BUSY|busy", text, re.I):
                    self.unexpected.append(("busy", op, text[:200]))
        except Exception as e:     # noqa: B902 - reported as a failure
            self.unexpected.append(("exception", repr(e)))
        finally:
            conn.close()


class Load(DaemonTestCase):
    listen = True
    slots = 2

    def test_mixed_operations_64_connections(self):
        pid = self.d.proc.pid
        # Warm up (SQLite cache, first allocations), then measure.
        for i in range(20):
            self.d.call("ListTrainingJobs", {})
        rss0 = rss_kb(pid)
        t0 = time.monotonic()
        clients = [Client(self, i, t0 + LOAD_SECONDS) for i in range(CONNECTIONS)]
        for c in clients:
            c.start()
        for c in clients:
            c.join(LOAD_SECONDS + 60)
        elapsed = time.monotonic() - t0
        rss1 = rss_kb(pid)
        counts, unexpected, lat = {}, [], []
        for c in clients:
            self.assertFalse(c.is_alive(), "a client hung")
            for k, v in c.counts.items():
                counts[k] = counts.get(k, 0) + v
            unexpected += c.unexpected
            lat += c.latencies
        total = sum(counts.values())
        self.assertEqual(unexpected[:5], [], "%d unexpected answers" %
                         len(unexpected))
        with open(self.d.log_path, "rb") as f:
            log = f.read().decode("utf-8", "replace")
        self.assertIsNone(re.search(r"database is locked|SQLITE_BUSY", log),
                          "the daemon log mentions a busy database")
        # Every job created is in the store, once.
        names = set(n for c in clients for n in c.mine)
        stored, token = [], None
        while True:
            req = {"MaxResults": 100, "NameContains": "ld-"}
            if token:
                req["NextToken"] = token
            st, page = self.d.call("ListTrainingJobs", req)
            self.assertEqual(st, 200, page)
            stored += [j["TrainingJobName"] for j in page["TrainingJobSummaries"]]
            token = page.get("NextToken")
            if not token:
                break
        self.assertEqual(sorted(stored), sorted(names))
        lat.sort()
        # Memory: flat within 24 MB (SQLite's page cache and the jobs'
        # rows grow a little with a few thousand jobs). Not under ASan.
        if not asan(pid):
            self.assertLess(rss1 - rss0, 24 * 1024, (rss0, rss1))
        print("\nload: %d connections, %.1fs: %d requests (%.0f/s), "
              "p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d jobs created; "
              "expected errors %d; unexpected 0; tunerd VmRSS %d -> %d kB"
              % (CONNECTIONS, elapsed, total, total / elapsed,
                 1000 * lat[len(lat) // 2], 1000 * lat[int(len(lat) * 0.99)],
                 1000 * lat[-1], len(names),
                 sum(v for k, v in counts.items() if k[1] != 200),
                 rss0, rss1), file=sys.stderr)
        print("load: answers %s" % sorted(
            ("%s %d %s" % (k[0], k[1], k[2] or ""), v) for k, v in counts.items()),
              file=sys.stderr)
        # Stop what is still queued or running so the test ends clean.
        for n in names:
            self.d.call("StopTrainingJob", {"TrainingJobName": n})
        for n in names:
            self.d.wait_job(n, timeout=120)

    def test_slowloris_idle_connections_and_the_cap(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < CAP + 200:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
        # The harness' readiness probes (connect, close) must be gone.
        time.sleep(0.5)
        t0 = time.monotonic()
        # 1. Fill the cap with connections that never send a byte; none of
        # them is refused.
        idle = []
        for i in range(CAP):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.d.socket)
            idle.append(s)
        time.sleep(0.5)
        refused = 0
        for s in idle:
            s.setblocking(False)
            try:
                refused += len(s.recv(1)) > 0
            except BlockingIOError:
                pass
        self.assertEqual(refused, 0, "connections refused below the cap")
        # 2. The next one gets 503 and is closed.
        st, text = self.one_shot()
        self.assertEqual(st, 503, text)
        self.assertIn("ServiceUnavailable", text)
        # 3. Release 100: room for slow clients and for us.
        for s in idle[:100]:
            s.close()
        idle = idle[100:]
        time.sleep(0.3)
        st, _ = self.one_shot()
        self.assertEqual(st, 200)
        # 4. Slowloris: 50 clients, one byte a second of a request that
        # never ends.
        slow = []
        for i in range(50):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.d.socket)
            s.setblocking(False)
            slow.append(s)
        line = b"POST / HTTP/1.1\r\nX-Amz-Target: SageMaker.ListTrainingJobs\r\nX-Pad: " + \
            b"a" * 200
        sel = selectors.DefaultSelector()
        for s in slow + idle:
            sel.register(s, selectors.EVENT_READ)
        closed_at, answers = {}, {}
        sent = 0
        slow_start = time.monotonic()
        worst = 0.0
        while len(closed_at) < len(slow) + len(idle):
            now = time.monotonic()
            if now - t0 > IDLE_TIMEOUT + 45:
                break
            # A byte a second from each slow client still open.
            if now - slow_start >= sent and sent < len(line):
                for s in slow:
                    if s not in closed_at:
                        try:
                            s.send(line[sent:sent + 1])
                        except OSError:
                            pass
                sent += 1
            # Others are served meanwhile, quickly.
            q0 = time.monotonic()
            st, _ = self.one_shot()
            worst = max(worst, time.monotonic() - q0)
            self.assertEqual(st, 200)
            for key, _ in sel.select(timeout=0.5):
                s = key.fileobj
                try:
                    b = s.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    b = b""
                if b:
                    answers[s] = answers.get(s, b"") + b
                    continue
                sel.unregister(s)
                closed_at[s] = time.monotonic()
        slow_closed = [closed_at[s] - slow_start for s in slow if s in closed_at]
        idle_closed = [closed_at[s] - t0 for s in idle if s in closed_at]
        self.assertEqual(len(slow_closed), len(slow), "slow clients left open")
        self.assertEqual(len(idle_closed), len(idle), "idle connections left open")
        for s in slow:
            self.assertIn(b" 408 ", answers.get(s, b"")[:20], answers.get(s))
        self.assertLess(max(slow_closed), REQUEST_TIMEOUT + 5)
        self.assertGreater(min(slow_closed), REQUEST_TIMEOUT - 2)
        self.assertLess(max(idle_closed), IDLE_TIMEOUT + 5)
        self.assertLess(worst, 1.0, "the daemon was slow to answer others")
        for s in slow + idle:
            s.close()
        print("\nload: cap %d held (503 past it); %d slowloris clients got "
              "408 after %.1f-%.1fs; %d idle connections closed after "
              "%.1f-%.1fs; others answered meanwhile in at most %.0f ms"
              % (CAP, len(slow), min(slow_closed), max(slow_closed),
                 len(idle), min(idle_closed), max(idle_closed), worst * 1000),
              file=sys.stderr)

    def one_shot(self):
        conn = UnixHTTPConnection(self.d.socket, timeout=10)
        try:
            conn.request("POST", "/", body=b"{}", headers={
                "X-Amz-Target": "SageMaker.ListTrainingJobs",
                "Content-Type": "application/x-amz-json-1.1"})
            r = conn.getresponse()
            return r.status, r.read().decode("utf-8", "replace")
        finally:
            conn.close()


class Slowloris(DaemonTestCase):
    """The slow-client test, on a daemon with short HTTP limits."""
    daemon_args = ("--request-timeout", str(REQUEST_TIMEOUT),
                   "--idle-timeout", str(IDLE_TIMEOUT),
                   "--max-connections", str(CAP))
    one_shot = Load.one_shot
    test_slowloris_idle_connections_and_the_cap = \
        Load.test_slowloris_idle_connections_and_the_cap


del Load.test_slowloris_idle_connections_and_the_cap


if __name__ == "__main__":
    main()
