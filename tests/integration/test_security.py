"""Who may talk to tunerd, and what a request can reach (issue 6).

- The unix socket is 0600 and its peer-credential check refuses another
  uid (tested by dropping to uid 65534 with setpriv; skipped unless root).
- TCP listens on loopback; a non-loopback --listen refuses to start
  without --credentials. (Nothing here binds a non-loopback address.)
- With --credentials, every TCP request must carry a valid AWS SigV4
  signature: boto3, the AWS CLI and tuner sign; a missing, wrong, stale
  or tampered one gets the AWS-shaped error and nothing runs.
- Names, channel names and paths are validated before they touch a path;
  request fields reach programs as argv and environment, never a shell;
  a request's Environment cannot override the SM_* variables.

See docs/SECURITY.md for the threat model these tests stand for.
"""
import datetime
import hashlib
import hmac
import http.client
import json
import os
import shutil
import stat
import subprocess
import time
import unittest

from harness import TUNERD, Daemon, DaemonTestCase, UnixHTTPConnection, main

ROLE = "arn:aws:iam::000000000000:role/local"
KEY_ID = "AKIDTUNERDTEST"
SECRET = "s3cr3t/Key+ForTunerdTests0123456789abcd"


def sh_job(name, script, **extra):
    req = {"TrainingJobName": name,
           "AlgorithmSpecification": {
               "TrainingImage": "local", "TrainingInputMode": "File",
               "ContainerEntrypoint": ["/bin/sh", "-c", script]},
           "RoleArn": ROLE}
    req.update(extra)
    return req


def sign(method, host, path, body, headers, key_id=KEY_ID, secret=SECRET,
         when=None, service="sagemaker", region="us-east-1",
         signed=None):
    """An independent SigV4 signer (hashlib/hmac), for the cases boto3
    will not produce: another clock, another service, unsigned Host."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz = when.strftime("%Y%m%dT%H%M%SZ")
    day = amz[:8]
    h = dict((k.lower(), v) for k, v in headers.items())
    h["host"] = host
    h["x-amz-date"] = amz
    names = sorted(signed if signed is not None else h)
    canon = "%s\n%s\n\n%s\n%s\n%s" % (
        method, path, "".join("%s:%s\n" % (n, h[n].strip()) for n in names),
        ";".join(names), hashlib.sha256(body).hexdigest())
    scope = "%s/%s/%s/aws4_request" % (day, region, service)
    sts = "AWS4-HMAC-SHA256\n%s\n%s\n%s" % (
        amz, scope, hashlib.sha256(canon.encode()).hexdigest())
    k = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    out = {k2: v for k2, v in h.items() if k2 != "host"}
    out["Authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
                            "Signature=%s" % (key_id, scope, ";".join(names), sig))
    return out


class UnixSocket(DaemonTestCase):

    def test_socket_and_state_are_private(self):
        mode = stat.S_IMODE(os.stat(self.d.socket).st_mode)
        self.assertEqual(mode, 0o600, oct(mode))
        # The state directory is what keeps others out of the database
        # and the jobs (see test_database_private_in_an_open_state_dir).
        self.assertEqual(stat.S_IMODE(os.stat(self.d.state).st_mode) & 0o077, 0)
        st, _ = self.d.call("CreateTrainingJob", sh_job("priv", "true"))
        self.assertEqual(st, 200)
        self.d.wait_job("priv")
        jobs = os.path.join(self.d.state, "jobs")
        self.assertEqual(stat.S_IMODE(os.stat(jobs).st_mode) & 0o077, 0)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(jobs, "priv")).st_mode)
                         & 0o077, 0)

    # KNOWN WEAKNESS (daemon/main.c or store.c, lead): tunerd keeps the
    # process umask, so tunerd.db (every request, Environment values
    # included, which users fill with tokens) is created 0644. Inside the
    # default 0700 state directory nobody else can reach it, but a state
    # directory that already exists with mode 0755 (--state-dir /srv/x)
    # is not tightened and the database is world-readable. Fix: umask(077)
    # at start (jobs and sockets are already 0700/0600 by hand).
    def test_database_private_in_an_open_state_dir(self):
        d = Daemon(start=False)
        try:
            os.chmod(d.state, 0o755)
            d.start()
            db = os.path.join(d.state, "tunerd.db")
            open_files = [f for f in os.listdir(d.state)
                          if f.startswith("tunerd.db") and
                          stat.S_IMODE(os.stat(os.path.join(d.state, f)).st_mode)
                          & 0o077]
            self.assertTrue(os.path.exists(db))
            self.assertEqual(open_files, [])
        finally:
            d.cleanup()

    def as_nobody(self, code):
        return subprocess.run(
            ["setpriv", "--reuid", "65534", "--regid", "65534",
             "--clear-groups", "python3", "-c", code, self.d.socket],
            capture_output=True, text=True, timeout=30)

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"),
                         "needs root and setpriv to act as another uid")
    def test_another_uid_is_refused(self):
        probe = r'''
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("connect:", e.errno); sys.exit(0)
body = b'{"TrainingJobName": "evil", "AlgorithmSpecification": {"TrainingImage": "local", "TrainingInputMode": "File", "ContainerEntrypoint": ["/bin/touch", "/tmp/tunerd-evil"]}, "RoleArn": "x"}'
s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: SageMaker.CreateTrainingJob\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
data = b""
while True:
    b = s.recv(65536)
    if not b: break
    data += b
print(data.decode("utf-8", "replace"))
'''
        # The file modes alone keep uid 65534 out.
        r = self.as_nobody(probe)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("connect: 13", r.stdout)          # EACCES
        # Opened up by hand, the peer-credential check still refuses.
        modes = [(p, stat.S_IMODE(os.stat(p).st_mode))
                 for p in (self.d.dir, self.d.state, self.d.socket)]
        try:
            os.chmod(self.d.dir, 0o711)
            os.chmod(self.d.state, 0o711)
            os.chmod(self.d.socket, 0o666)
            r = self.as_nobody(probe)
        finally:
            for p, m in modes:
                os.chmod(p, m)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(" 403 ", r.stdout.splitlines()[0])
        self.assertIn("AccessDenied", r.stdout)
        self.assertIn("uid 65534", r.stdout)
        st, body = self.d.call("ListTrainingJobs", {})
        self.assertEqual(body["TrainingJobSummaries"], [])
        self.assertFalse(os.path.exists("/tmp/tunerd-evil"))


class Listen(unittest.TestCase):

    def run_tunerd(self, *args):
        d = Daemon(start=False)
        try:
            return subprocess.run([TUNERD, "-d", "--state-dir", d.state,
                                   "--socket", d.socket] + list(args),
                                  capture_output=True, text=True, timeout=20)
        finally:
            d.cleanup()

    def test_non_loopback_needs_credentials(self):
        for host in ("0.0.0.0:0", "[::]:0", "192.0.2.1:0", "10.1.2.3:8080"):
            r = self.run_tunerd("--listen", host)
            self.assertEqual(r.returncode, 2, (host, r.stderr))
            self.assertIn("--credentials", r.stderr)
            self.assertIn("loopback", r.stderr)

    def test_bad_credentials_file_refuses_to_start(self):
        d = Daemon(start=False)
        try:
            path = d.write("creds", "%s %s\n" % (KEY_ID, SECRET), mode=0o644)
            r = subprocess.run([TUNERD, "-d", "--state-dir", d.state,
                                "--credentials", path, "--listen",
                                "127.0.0.1:0"],
                               capture_output=True, text=True, timeout=20)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("chmod 600", r.stderr)
            os.chmod(path, 0o600)
            with open(path, "w") as f:
                f.write("just-one-token\n")
            r = subprocess.run([TUNERD, "-d", "--state-dir", d.state,
                                "--credentials", path],
                               capture_output=True, text=True, timeout=20)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("line 1", r.stderr)
        finally:
            d.cleanup()


class TcpLoopback(DaemonTestCase):
    listen = True

    def test_listens_on_loopback_only(self):
        port = "%04X" % self.d.port
        found = []
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(table) as f:
                    for line in f.readlines()[1:]:
                        local, state = line.split()[1], line.split()[3]
                        if local.endswith(":" + port) and state == "0A":
                            found.append(local.split(":")[0])
            except OSError:
                pass
        self.assertEqual(found, ["0100007F"])    # 127.0.0.1


class Signed(DaemonTestCase):
    listen = True

    def setUp(self):
        self.d = Daemon(listen=True, start=False)
        creds = self.d.write("creds", "# tunerd test key\n%s %s\n" % (KEY_ID, SECRET),
                             mode=0o600)
        self.d.args += ["--credentials", creds]
        self.d.start()
        self.marker = os.path.join(self.d.work, "ran")

    def boto(self, secret=SECRET, key_id=KEY_ID, service="sagemaker"):
        import boto3
        return boto3.client(service, endpoint_url=self.d.url,
                            region_name="us-east-1", aws_access_key_id=key_id,
                            aws_secret_access_key=secret)

    def job(self, name):
        return sh_job(name, "touch %s-%s" % (self.marker, name),
                      OutputDataConfig={"S3OutputPath": "s3://bucket/prefix"},
                      ResourceConfig={"InstanceType": "ml.m5.large",
                                      "InstanceCount": 1, "VolumeSizeInGB": 1},
                      StoppingCondition={"MaxRuntimeInSeconds": 60})

    def raw(self, method, path, body=b"", headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.d.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
        finally:
            conn.close()
        return r.status, json.loads(data) if data[:1] == b"{" else data

    def assert_nothing_ran(self):
        time.sleep(0.5)
        st, body = self.d.call("ListTrainingJobs", {})     # unix: unsigned
        self.assertEqual(st, 200)
        self.assertEqual(body["TrainingJobSummaries"], [])
        self.assertEqual([f for f in os.listdir(self.d.work) if f.startswith("ran")],
                         [])

    def test_boto3_signs_and_a_wrong_secret_is_refused(self):
        import botocore.exceptions
        good = self.boto()
        self.assertEqual(good.list_training_jobs()["TrainingJobSummaries"], [])
        for client, code in ((self.boto(secret=SECRET[:-1] + "x"),
                              "InvalidSignatureException"),
                             (self.boto(key_id="AKIDUNKNOWN"),
                              "UnrecognizedClientException")):
            with self.assertRaises(botocore.exceptions.ClientError) as cm:
                client.create_training_job(**self.job("evil"))
            err = cm.exception.response
            self.assertEqual(err["Error"]["Code"], code)
            self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assert_nothing_ran()
        good.create_training_job(**self.job("good"))
        self.d.wait_job("good")
        self.assertTrue(os.path.exists(self.marker + "-good"))

    def test_unsigned_requests_are_refused(self):
        body = json.dumps(self.job("evil")).encode()
        st, r = self.raw("POST", "/", body, {
            "X-Amz-Target": "SageMaker.CreateTrainingJob",
            "Content-Type": "application/x-amz-json-1.1"})
        self.assertEqual((st, r["__type"]), (400, "MissingAuthenticationTokenException"))
        st, r = self.raw("POST", "/endpoints/x/invocations", b"1,2",
                         {"Content-Type": "text/csv"})
        self.assertEqual((st, r["__type"]), (403, "MissingAuthenticationTokenException"))
        st, r = self.raw("GET", "/ping")
        self.assertEqual(st, 200)      # health checks stay open
        self.assert_nothing_ran()
        # The unix socket is authenticated by its mode instead.
        st, _ = self.d.call("ListTrainingJobs", {})
        self.assertEqual(st, 200)

    def test_tampered_stale_and_misscoped_signatures(self):
        host = "127.0.0.1:%d" % self.d.port
        body = json.dumps(self.job("evil")).encode()
        hdrs = {"X-Amz-Target": "SageMaker.CreateTrainingJob",
                "Content-Type": "application/x-amz-json-1.1"}
        # Our own signer agrees with the daemon: a valid request passes.
        st, r = self.raw("POST", "/", b"{}", sign("POST", host, "/", b"{}", {
            "X-Amz-Target": "SageMaker.ListTrainingJobs",
            "Content-Type": "application/x-amz-json-1.1"}))
        self.assertEqual(st, 200, r)
        cases = [
            ("another body", dict(body=body.replace(b"evil", b"evi1"))),
            ("stale", dict(when=datetime.datetime.now(datetime.timezone.utc) -
                           datetime.timedelta(minutes=20))),
            ("future", dict(when=datetime.datetime.now(datetime.timezone.utc) +
                            datetime.timedelta(minutes=20))),
            ("other service", dict(service="s3")),
            ("host unsigned", dict(signed=["content-type", "x-amz-date",
                                           "x-amz-target"])),
        ]
        for name, kw in cases:
            sent = kw.pop("body", body)
            h = sign("POST", host, "/", body, hdrs, **kw)
            st, r = self.raw("POST", "/", sent, h)
            self.assertEqual(st, 400, (name, r))
            self.assertIn(r["__type"], ("InvalidSignatureException",
                                        "IncompleteSignatureException"), name)
        # Another target under the same signature.
        h = sign("POST", host, "/", body, hdrs)
        h["x-amz-target"] = "SageMaker.CreateHyperParameterTuningJob"
        st, r = self.raw("POST", "/", body, h)
        self.assertEqual((st, r["__type"]), (400, "InvalidSignatureException"))
        self.assert_nothing_ran()

    def test_tuner_and_aws_cli_sign(self):
        env = {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET,
               "AWS_DEFAULT_REGION": "us-east-1"}
        r = self.d.tuner("--endpoint-url", self.d.url, "list", socket=False,
                         env=env)
        self.assertExit(r, 0)
        bad = dict(env, AWS_SECRET_ACCESS_KEY="nope")
        r = self.d.tuner("--endpoint-url", self.d.url, "list", socket=False,
                         env=bad)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("InvalidSignatureException", r.stderr)
        unsigned = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
        r = self.d.tuner("--endpoint-url", self.d.url, "list", socket=False,
                         env=unsigned)
        self.assertIn("MissingAuthenticationToken", r.stderr)
        # A larger body (a tuning job) signed by libcurl.
        r = self.d.tuner("--endpoint-url", self.d.url, "api",
                         "CreateTrainingJob", json.dumps(self.job("by-tuner")),
                         socket=False, env=env)
        self.assertExit(r, 0)
        self.d.wait_job("by-tuner")
        aws = shutil.which("aws")
        if aws is None:
            return
        e = dict(os.environ, **env)
        r = subprocess.run([aws, "sagemaker", "list-training-jobs",
                            "--endpoint-url", self.d.url], env=e,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("by-tuner", r.stdout)
        e["AWS_SECRET_ACCESS_KEY"] = "nope"
        r = subprocess.run([aws, "sagemaker", "list-training-jobs",
                            "--endpoint-url", self.d.url], env=e,
                           capture_output=True, text=True, timeout=120)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("InvalidSignatureException", r.stderr)


class Validation(DaemonTestCase):

    def jobs_dir(self):
        return sorted(os.listdir(os.path.join(self.d.state, "jobs")))

    def test_names_and_channels_cannot_escape(self):
        outside = os.path.join(self.d.dir, "escaped")
        bad = [
            sh_job("../escaped", "true"),
            sh_job("a/b", "true"),
            sh_job("..", "true"),
            sh_job("/tmp/x", "true"),
            sh_job("a" * 64, "true"),
            sh_job("ok-1", "true", InputDataConfig=[{
                "ChannelName": "../../escaped", "DataSource": {"S3DataSource": {
                    "S3DataType": "S3Prefix", "S3Uri": "file:///etc"}}}]),
            sh_job("ok-2", "true", InputDataConfig=[{
                "ChannelName": "a/b", "DataSource": {"S3DataSource": {
                    "S3DataType": "S3Prefix", "S3Uri": "file:///etc"}}}]),
            sh_job("ok-3", "true", InputDataConfig=[{
                "ChannelName": "..", "DataSource": {"S3DataSource": {
                    "S3DataType": "S3Prefix", "S3Uri": "file:///etc"}}}]),
            sh_job("ok-4", "true", Environment={"SM_MODEL_DIR=/x": "y"}),
            sh_job("ok-5", "true", Environment={"A B": "y"}),
        ]
        for req in bad:
            st, body = self.d.call("CreateTrainingJob", req)
            self.assertEqual(st, 400, (req["TrainingJobName"], body))
            self.assertEqual(body["__type"], "ValidationException", body)
        for op, field in (("CreateHyperParameterTuningJob", "HyperParameterTuningJobName"),
                          ("CreateModel", "ModelName"),
                          ("CreateEndpoint", "EndpointName"),
                          ("DescribeTrainingJob", "TrainingJobName")):
            st, body = self.d.call(op, {field: "../../escaped"})
            self.assertEqual(st, 400, (op, body))
        self.assertEqual(self.jobs_dir(), [])
        self.assertFalse(os.path.exists(outside))
        st, body = self.d.call("ListTrainingJobs", {})
        self.assertEqual(body["TrainingJobSummaries"], [])

    # KNOWN BUG (proto/, proto_parse()): cJSON decodes "\u0000" into a
    # NUL and every C string ends there, so "ok\u0000/../../x" is
    # validated and used as "ok": the job "ok" is created. The cut-off
    # part never reaches a path (no escape), but a name the client did
    # not send is created under its request. Fix: refuse "\u0000" (and a
    # raw NUL) in proto_parse() with a SerializationException.
    def test_nul_in_a_name_is_not_a_cut(self):
        # "ok\u0000/../../x" is one name: refused, never cut at the NUL
        # into another, valid name.
        st, body = self.d.call("CreateTrainingJob",
                               sh_job("ok\u0000/../../x", "true"))
        self.assertEqual(st, 400, body)
        self.assertEqual(self.jobs_dir(), [])

    # KNOWN ISSUE (worker/launch.c, plan_script()): sagemaker_program is
    # joined to the code directory without a check, so "../../../../x.sh"
    # runs a file outside the submitted directory. The submitter can run
    # any program anyway (ContainerEntrypoint), so this crosses no
    # privilege boundary, but it breaks the rule that request paths stay
    # inside the job's directory. Fix: refuse a sagemaker_program with a
    # ".." component (or resolve it and require the code directory as
    # its prefix), naming the field.
    def test_program_path_cannot_leave_the_code_dir(self):
        marker = os.path.join(self.d.work, "outside-ran")
        self.d.write("evil.sh", "touch %s\n" % marker)
        src = os.path.dirname(self.d.write("src/train.sh", "true\n"))
        st, body = self.d.call("CreateTrainingJob", {
            "TrainingJobName": "escape",
            "AlgorithmSpecification": {"TrainingImage": "/bin/sh",
                                       "TrainingInputMode": "File"},
            "RoleArn": ROLE,
            "HyperParameters": {
                "sagemaker_program": json.dumps("../../../../work/evil.sh"),
                "sagemaker_submit_directory": json.dumps(src)}})
        if st == 200:
            d = self.d.wait_job("escape")
            self.assertEqual(d["TrainingJobStatus"], "Failed")
            self.assertIn("sagemaker_program", d["FailureReason"])
        else:
            self.assertEqual(body["__type"], "ValidationException")
        self.assertFalse(os.path.exists(marker), "a program outside the "
                         "submitted directory ran")

    def test_request_fields_never_reach_a_shell(self):
        marker = os.path.join(self.d.work, "pwned")
        nasty = "$(touch %s); `touch %s`; echo x | touch %s && rm -rf ." % (
            marker, marker, marker)
        src = os.path.dirname(self.d.write("src/args.py", """
import json, os, sys
with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "..", "..", "args.json"), "w") as f:
    json.dump({"argv": sys.argv[1:], "env": os.environ.get("NASTY")}, f)
"""))
        st, body = self.d.call("CreateTrainingJob", {
            "TrainingJobName": "shell",
            "AlgorithmSpecification": {"TrainingImage": "python3",
                                       "TrainingInputMode": "File"},
            "RoleArn": ROLE,
            "HyperParameters": {"lr": nasty,
                                "sagemaker_program": json.dumps("args.py"),
                                "sagemaker_submit_directory": json.dumps(src)},
            "Environment": {"NASTY": nasty}})
        self.assertEqual(st, 200, body)
        d = self.d.wait_job("shell")
        self.assertEqual(d["TrainingJobStatus"], "Completed", d.get("FailureReason"))
        with open(os.path.join(self.d.state, "jobs", "shell", "args.json")) as f:
            got = json.load(f)
        self.assertEqual(got["argv"], ["--lr", nasty])
        self.assertEqual(got["env"], nasty)
        # An image name with shell syntax is looked up as a file name.
        st, body = self.d.call("CreateTrainingJob", {
            "TrainingJobName": "image",
            "AlgorithmSpecification": {"TrainingImage": "python3; touch " + marker,
                                       "TrainingInputMode": "File"},
            "RoleArn": ROLE})
        if st == 200:
            d = self.d.wait_job("image")
            self.assertEqual(d["TrainingJobStatus"], "Failed")
        self.assertFalse(os.path.exists(marker))

    def test_environment_cannot_override_sm_variables(self):
        src = os.path.dirname(self.d.write("src/env.py", """
import json, os
keys = [k for k in os.environ if k.startswith("SM_") or k == "TRAINING_JOB_NAME"
        or k == "MINE"]
with open(os.path.join(os.environ["SM_MODEL_DIR"], "env.json"), "w") as f:
    json.dump({k: os.environ[k] for k in keys}, f)
"""))
        evil = {"SM_MODEL_DIR": "/tmp/evil-model", "SM_CHANNEL_TRAIN": "/etc",
                "SM_CHANNELS": '["train"]', "SM_HPS": '{"x": 1}',
                "SM_HP_EPOCHS": "999", "SM_USER_ARGS": '["--evil"]',
                "SM_NUM_CPUS": "4096", "SM_OUTPUT_DATA_DIR": "/tmp/evil-out",
                "SM_TRAINING_ENV": "{}", "SM_CUSTOM": "mine?",
                "TRAINING_JOB_NAME": "someone-else", "MINE": "kept"}
        st, body = self.d.call("CreateTrainingJob", {
            "TrainingJobName": "envjob",
            "AlgorithmSpecification": {"TrainingImage": "python3",
                                       "TrainingInputMode": "File"},
            "RoleArn": ROLE,
            "HyperParameters": {"epochs": "3",
                                "sagemaker_program": json.dumps("env.py"),
                                "sagemaker_submit_directory": json.dumps(src)},
            "Environment": evil})
        self.assertEqual(st, 200, body)
        d = self.d.wait_job("envjob")
        self.assertEqual(d["TrainingJobStatus"], "Completed", d.get("FailureReason"))
        with open(os.path.join(self.d.state, "jobs", "envjob", "model",
                               "env.json")) as f:
            env = json.load(f)
        job = os.path.join(self.d.state, "jobs", "envjob")
        self.assertEqual(env["MINE"], "kept")
        self.assertEqual(env["TRAINING_JOB_NAME"], "envjob")
        self.assertTrue(env["SM_MODEL_DIR"].startswith(job), env["SM_MODEL_DIR"])
        self.assertTrue(env["SM_OUTPUT_DATA_DIR"].startswith(job))
        self.assertEqual(env["SM_HP_EPOCHS"], "3")
        self.assertEqual(json.loads(env["SM_HPS"]), {"epochs": 3})
        self.assertEqual(json.loads(env["SM_USER_ARGS"]), ["--epochs", "3"])
        self.assertNotIn("SM_CHANNEL_TRAIN", env)
        self.assertEqual(json.loads(env["SM_CHANNELS"]), [])
        self.assertNotEqual(env["SM_NUM_CPUS"], "4096")
        self.assertNotEqual(env["SM_TRAINING_ENV"], "{}")
        self.assertNotIn("SM_CUSTOM", env)     # SM_* is the toolkit's namespace
        self.assertFalse(os.path.exists("/tmp/evil-model"))


if __name__ == "__main__":
    main()
