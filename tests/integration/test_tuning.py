"""Hyperparameter tuning jobs against a real tunerd (issue 4).

Ask/tell jobs are evaluated here, in the test; jobs with a
TrainingJobDefinition run real training programs through tunerd-worker.
"""
import json
import math
import os
import re
import signal
import sqlite3
import statistics
import time

from harness import Daemon, DaemonTestCase, main

BRANIN_RANGES = {
    "ContinuousParameterRanges": [
        {"Name": "x1", "MinValue": "-5", "MaxValue": "10", "ScalingType": "Linear"},
        {"Name": "x2", "MinValue": "0", "MaxValue": "15", "ScalingType": "Linear"}],
}


def branin(x1, x2):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def tuning_request(name, ranges, strategy="Bayesian", max_jobs=15,
                   max_parallel=5, seed=None, definition=None,
                   objective="val_loss", direction="Minimize", criteria=None):
    cfg = {"Strategy": strategy,
           "HyperParameterTuningJobObjective": {"Type": direction,
                                                "MetricName": objective},
           "ResourceLimits": {"MaxNumberOfTrainingJobs": max_jobs,
                              "MaxParallelTrainingJobs": max_parallel},
           "ParameterRanges": ranges}
    if seed is not None:
        cfg["RandomSeed"] = seed
    if criteria:
        cfg["TuningJobCompletionCriteria"] = criteria
    req = {"HyperParameterTuningJobName": name,
           "HyperParameterTuningJobConfig": cfg}
    if definition:
        req["TrainingJobDefinition"] = definition
    return req


def sh_definition(daemon, script, metric_regex=r" val_loss: ([0-9\.]+)"):
    """A TrainingJobDefinition running script as a Script Mode sh entry
    point (hyperparameters arrive as --name value arguments)."""
    path = daemon.write("trial-%08x/trial.sh" % (hash(script) & 0xffffffff), script)
    return {"AlgorithmSpecification": {
        "TrainingImage": "/bin/sh", "TrainingInputMode": "File",
        "MetricDefinitions": [{"Name": "val_loss", "Regex": metric_regex}]},
        "StaticHyperParameters": {
            "sagemaker_program": json.dumps("trial.sh"),
            "sagemaker_submit_directory": json.dumps(os.path.dirname(path))},
        "RoleArn": "arn:aws:iam::000000000000:role/local"}


class CheckedTestCase(DaemonTestCase):
    """A daemon that compares each active tuning job's in-memory history
    with a fresh read of the store at every pump and exits if they differ
    (TUNERD_CHECK_HISTORY=1)."""

    def setUp(self):
        env = dict(os.environ, TUNERD_CHECK_HISTORY="1")
        self.d = Daemon(slots=self.slots, listen=self.listen,
                        args=self.daemon_args, env=env)

    def tearDown(self):
        log = ""
        if os.path.exists(self.d.log_path):
            with open(self.d.log_path, errors="replace") as f:
                log = f.read()
        super().tearDown()
        self.assertNotIn("diverges", log)


class AskTell(CheckedTestCase):

    def create(self, req):
        st, body = self.d.call("CreateHyperParameterTuningJob", req)
        self.assertEqual(st, 200, body)

    def ask(self, name, n):
        st, body = self.d.call("Tunerd.AskTuningJob",
                               {"HyperParameterTuningJobName": name, "Count": n})
        self.assertEqual(st, 200, body)
        return body["Trials"]

    def tell(self, name, trial, value=None, failed=False):
        req = {"HyperParameterTuningJobName": name, "TrialName": trial}
        if failed:
            req["Failed"] = True
        else:
            req["ObjectiveValue"] = value
        st, body = self.d.call("Tunerd.TellTuningJob", req)
        self.assertEqual(st, 200, body)

    def run_branin(self, name, strategy, seed, budget=30, batch=5):
        self.create(tuning_request(name, BRANIN_RANGES, strategy=strategy,
                                   max_jobs=budget, max_parallel=batch, seed=seed))
        best, points = math.inf, []
        for _ in range(budget // batch):
            trials = self.ask(name, batch)
            self.assertEqual(len(trials), batch)
            for t in trials:
                x1 = float(t["HyperParameters"]["x1"])
                x2 = float(t["HyperParameters"]["x2"])
                self.assertTrue(-5 <= x1 <= 10 and 0 <= x2 <= 15, t)
                points.append((x1, x2))
                v = branin(x1, x2)
                best = min(best, v)
                self.tell(name, t["TrialName"], v)
        return best, points

    def test_bayesian_beats_random_on_branin(self):
        bayes, rand = [], []
        for seed in (1, 2, 3, 4):
            b, pts = self.run_branin("bo-%d" % seed, "Bayesian", seed)
            self.assertEqual(len(set(pts)), len(pts), "duplicate suggestions")
            bayes.append(b)
            r, _ = self.run_branin("rs-%d" % seed, "Random", seed)
            rand.append(r)
        # Branin's optimum is 0.397887; 30 random points rarely get near it.
        self.assertLess(statistics.mean(bayes), 0.7, bayes)
        self.assertLess(statistics.mean(bayes), 0.6 * statistics.mean(rand),
                        (bayes, rand))
        d = self.d.wait_tuning("bo-1", timeout=10)
        self.assertEqual(d["HyperParameterTuningJobStatus"], "Completed")
        self.assertEqual(d["TrainingJobStatusCounters"]["Completed"], 30)
        self.assertEqual(d["ObjectiveStatusCounters"]["Succeeded"], 30)
        best = d["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]
        self.assertAlmostEqual(best["Value"], bayes[0])

    def test_same_seed_same_results_gives_same_suggestions(self):
        runs = []
        for name in ("det-a", "det-b"):
            _, pts = self.run_branin(name, "Bayesian", 7, budget=15)
            runs.append(pts)
        self.assertEqual(runs[0], runs[1])
        _, other = self.run_branin("det-c", "Bayesian", 8, budget=15)
        self.assertNotEqual(runs[0], other)

    def test_integer_and_categorical_batches_never_repeat(self):
        ranges = {"IntegerParameterRanges": [
            {"Name": "n", "MinValue": "1", "MaxValue": "4", "ScalingType": "Linear"}],
            "CategoricalParameterRanges": [{"Name": "opt", "Values": ["sgd", "adam"]}]}
        self.create(tuning_request("ints", ranges, max_jobs=8, max_parallel=5, seed=3))
        seen = []
        for n in (5, 3):
            trials = self.ask("ints", n)
            for t in trials:
                hp = t["HyperParameters"]
                self.assertIn(hp["opt"], ("sgd", "adam"))
                self.assertIn(hp["n"], ("1", "2", "3", "4"))
                seen.append((hp["n"], hp["opt"]))
                self.tell("ints", t["TrialName"], float(hp["n"]) +
                          (0.5 if hp["opt"] == "adam" else 0))
        self.assertEqual(len(set(seen)), 8, seen)   # all 8 combinations, once

    def test_limits_and_bad_tells(self):
        self.create(tuning_request("lim", BRANIN_RANGES, max_jobs=4, max_parallel=2, seed=1))
        trials = self.ask("lim", 5)                 # capped by MaxParallel
        self.assertEqual(len(trials), 2)
        st, body = self.d.call("Tunerd.AskTuningJob",
                               {"HyperParameterTuningJobName": "lim", "Count": 1})
        self.assertEqual((st, body["__type"]), (400, "ResourceLimitExceeded"))
        self.tell("lim", trials[0]["TrialName"], 3.0)
        self.tell("lim", trials[1]["TrialName"], failed=True)
        st, body = self.d.call("Tunerd.TellTuningJob", {
            "HyperParameterTuningJobName": "lim",
            "TrialName": trials[0]["TrialName"], "ObjectiveValue": 1.0})
        self.assertEqual((st, body["__type"]), (400, "ValidationException"))
        st, body = self.d.call("Tunerd.TellTuningJob", {
            "HyperParameterTuningJobName": "lim", "TrialName": "nope",
            "ObjectiveValue": 1.0})
        self.assertEqual((st, body["__type"]), (400, "ResourceNotFound"))
        for t in self.ask("lim", 2):
            self.tell("lim", t["TrialName"], 2.0)
        d = self.d.wait_tuning("lim", timeout=10)
        self.assertEqual(d["HyperParameterTuningJobStatus"], "Completed")
        self.assertEqual(d["TrainingJobStatusCounters"]["NonRetryableError"], 1)
        self.assertEqual(d["ObjectiveStatusCounters"], {"Succeeded": 3, "Pending": 0,
                                                        "Failed": 1})
        st, body = self.d.call("Tunerd.AskTuningJob",
                               {"HyperParameterTuningJobName": "lim", "Count": 1})
        self.assertEqual((st, body["__type"]), (400, "ValidationException"))

    def test_completion_criteria(self):
        # TargetObjectiveMetricValue (Maximize).
        self.create(tuning_request("tgt", BRANIN_RANGES, max_jobs=50, seed=1,
                                   direction="Maximize",
                                   criteria={"TargetObjectiveMetricValue": 5.0}))
        t = self.ask("tgt", 1)[0]
        self.tell("tgt", t["TrialName"], 7.0)
        d = self.d.wait_tuning("tgt", timeout=10)
        self.assertEqual(d["HyperParameterTuningJobStatus"], "Completed")
        # BestObjectiveNotImproving after 3 trials without a new best.
        self.create(tuning_request("flat", BRANIN_RANGES, max_jobs=50, max_parallel=1, seed=1,
                                   criteria={"BestObjectiveNotImproving": {
                                       "MaxNumberOfTrainingJobsNotImproving": 3}}))
        told = 0
        while True:
            st, body = self.d.call("Tunerd.AskTuningJob",
                                   {"HyperParameterTuningJobName": "flat", "Count": 1})
            if st != 200:
                break
            self.tell("flat", body["Trials"][0]["TrialName"], 1.0)
            told += 1
            self.assertLess(told, 10)
        self.assertEqual(told, 4)
        d = self.d.wait_tuning("flat", timeout=10)
        self.assertEqual(d["HyperParameterTuningJobStatus"], "Completed")
        # Stop: outstanding trials are Stopped, the job Stopped.
        self.create(tuning_request("stopped", BRANIN_RANGES, seed=1))
        self.ask("stopped", 2)
        st, body = self.d.call("StopHyperParameterTuningJob",
                               {"HyperParameterTuningJobName": "stopped"})
        self.assertEqual(st, 200, body)
        d = self.d.wait_tuning("stopped", timeout=10)
        self.assertEqual(d["HyperParameterTuningJobStatus"], "Stopped")
        self.assertEqual(d["TrainingJobStatusCounters"]["Stopped"], 2)

    def test_convergence_detected(self):
        self.create(tuning_request("conv", BRANIN_RANGES, max_jobs=50, max_parallel=2,
                                   seed=1, criteria={"ConvergenceDetected": {
                                       "CompleteOnConvergence": "Enabled"}}))
        told = 0
        while told < 50:
            st, body = self.d.call("Tunerd.AskTuningJob",
                                   {"HyperParameterTuningJobName": "conv", "Count": 1})
            if st != 200:
                break
            # A flat objective: the later half never improves on the earlier.
            self.tell("conv", body["Trials"][0]["TrialName"], 3.0)
            told += 1
        self.assertEqual(told, 10)   # max(10, 2 * 2 dims + 2)
        d = self.d.wait_tuning("conv", timeout=10)
        self.assertEqual(d["HyperParameterTuningJobStatus"], "Completed")
        self.assertEqual(d["TuningJobCompletionDetails"]["CompletionReason"],
                         "ConvergenceDetected")

    def test_validation_errors_name_the_field(self):
        bad = [
            (tuning_request("a" * 33, BRANIN_RANGES), "HyperParameterTuningJobName"),
            (tuning_request("lo", {"ContinuousParameterRanges": [
                {"Name": "x", "MinValue": "0", "MaxValue": "1",
                 "ScalingType": "Logarithmic"}]}), "Logarithmic"),
            (tuning_request("mm", {"ContinuousParameterRanges": [
                {"Name": "x", "MinValue": "2", "MaxValue": "1"}]}), "MinValue"),
            (tuning_request("par", BRANIN_RANGES, max_parallel=0),
             "MaxParallelTrainingJobs"),
            (tuning_request("hb", BRANIN_RANGES, strategy="Hyperband"), "Hyperband"),
            (tuning_request("met", BRANIN_RANGES, objective="nope",
                            definition=sh_definition(self.d, "true")), "nope"),
        ]
        for req, word in bad:
            st, body = self.d.call("CreateHyperParameterTuningJob", req)
            self.assertEqual(st, 400, (req, body))
            self.assertEqual(body["__type"], "ValidationException")
            self.assertIn(word, body["message"])
        st, body = self.d.call("ListHyperParameterTuningJobs", {})
        self.assertEqual(body["HyperParameterTuningJobSummaries"], [])


# A trial program: a Script Mode entry point taking --name value arguments.
ONE_TRIAL = r'''
lr=""; bs=""
while [ $# -gt 1 ]; do
  case "$1" in
    --learning_rate) lr=$2 ;;
    --batch_size) bs=$2 ;;
  esac
  shift 2
done
sleep 0.2
echo "Epoch 1/1"
echo "1/1 - 0s - loss: 1.0 - val_loss: $(echo "$lr $bs" | awk '{ printf "%.6f", ($1 - 0.05)^2 * 100 + $2 / 1000 }')"
'''

NOTEBOOK_RANGES = {
    "ContinuousParameterRanges": [{"Name": "learning_rate", "MinValue": "0.001",
                                   "MaxValue": "0.2", "ScalingType": "Logarithmic"}],
    "IntegerParameterRanges": [{"Name": "batch_size", "MinValue": "64",
                                "MaxValue": "256", "ScalingType": "Auto"}]}


class WithTrainingJobs(CheckedTestCase):
    slots = 4

    def test_fifteen_trials_five_parallel(self):
        st, body = self.d.call("CreateHyperParameterTuningJob", tuning_request(
            "nb", NOTEBOOK_RANGES, max_jobs=15, max_parallel=5, seed=11,
            definition=sh_definition(self.d, ONE_TRIAL)))
        self.assertEqual(st, 200, body)
        d = self.d.wait_tuning("nb", timeout=180)
        self.assertEqual(d["HyperParameterTuningJobStatus"], "Completed")
        self.assertEqual(d["TrainingJobStatusCounters"]["Completed"], 15)
        self.assertEqual(d["ObjectiveStatusCounters"]["Succeeded"], 15)
        rows, token = [], None
        while True:
            req = {"HyperParameterTuningJobName": "nb", "MaxResults": 4,
                   "SortBy": "FinalObjectiveMetricValue"}
            if token:
                req["NextToken"] = token
            st, page = self.d.call("ListTrainingJobsForHyperParameterTuningJob", req)
            self.assertEqual(st, 200, page)
            rows += page["TrainingJobSummaries"]
            token = page.get("NextToken")
            if not token:
                break
        self.assertEqual(len(rows), 15)
        names = [r["TrainingJobName"] for r in rows]
        self.assertEqual(len(set(names)), 15)
        for n in names:
            self.assertRegex(n, r"^nb-\d{3}-[0-9a-f]{8}$")
        self.assertEqual(sorted(int(n.split("-")[1]) for n in names), list(range(1, 16)))
        vals = [r["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for r in rows]
        self.assertEqual(vals, sorted(vals))   # best first for Minimize
        self.assertEqual(d["BestTrainingJob"]["TrainingJobName"], names[0])
        # Each trial really ran with its suggested hyperparameters.
        tj = self.d.describe(names[0])
        self.assertEqual(tj["HyperParameters"]["learning_rate"],
                         rows[0]["TunedHyperParameters"]["learning_rate"])
        self.assertEqual(tj["HyperParameters"]["_tuning_objective_metric"], "val_loss")
        # Never more than 5 at once.
        spans = [(r["TrainingStartTime"], r["TrainingEndTime"]) for r in rows]
        ev = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
        running = peak = 0
        for _, delta in ev:
            running += delta
            peak = max(peak, running)
        self.assertLessEqual(peak, 5)

    def test_objective_never_emitted_is_a_failed_objective_with_the_regex(self):
        st, body = self.d.call("CreateHyperParameterTuningJob", tuning_request(
            "silent", NOTEBOOK_RANGES, max_jobs=2, max_parallel=2, seed=1,
            definition=sh_definition(self.d, "echo no metric here")))
        self.assertEqual(st, 200, body)
        d = self.d.wait_tuning("silent", timeout=60)
        self.assertEqual(d["ObjectiveStatusCounters"]["Failed"], 2)
        st, page = self.d.call("ListTrainingJobsForHyperParameterTuningJob",
                               {"HyperParameterTuningJobName": "silent"})
        for r in page["TrainingJobSummaries"]:
            self.assertEqual(r["ObjectiveStatus"], "Failed")
            self.assertIn("val_loss", r["FailureReason"])
            self.assertIn(r"([0-9\.]+)", r["FailureReason"])

    def test_kill_9_mid_job_loses_nothing(self):
        st, body = self.d.call("CreateHyperParameterTuningJob", tuning_request(
            "crash", NOTEBOOK_RANGES, max_jobs=12, max_parallel=3, seed=5,
            definition=sh_definition(self.d, ONE_TRIAL)))
        self.assertEqual(st, 200, body)
        for _ in range(3):
            time.sleep(0.7)
            self.d.kill(signal.SIGKILL)
            self.d.start()
        d = self.d.wait_tuning("crash", timeout=180)
        self.assertEqual(d["HyperParameterTuningJobStatus"], "Completed")
        self.assertEqual(d["TrainingJobStatusCounters"]["Completed"], 12,
                         d["TrainingJobStatusCounters"])
        st, page = self.d.call("ListTrainingJobsForHyperParameterTuningJob",
                               {"HyperParameterTuningJobName": "crash", "MaxResults": 100})
        names = [r["TrainingJobName"] for r in page["TrainingJobSummaries"]]
        self.assertEqual(sorted(int(n.split("-")[1]) for n in names), list(range(1, 13)))
        params = [json.dumps(r["TunedHyperParameters"], sort_keys=True)
                  for r in page["TrainingJobSummaries"]]
        self.assertEqual(len(set(params)), 12)
        st, tl = self.d.call("ListTrainingJobs", {"MaxResults": 100})
        self.assertEqual(len(tl["TrainingJobSummaries"]), 12)


def store_view(daemon, name):
    """What a fresh read of the store says about a tuning job: its trials
    (through the paginated list), their counters and its best trial."""
    rows, token = [], None
    while True:
        req = {"HyperParameterTuningJobName": name, "MaxResults": 100}
        if token:
            req["NextToken"] = token
        st, page = daemon.call("ListTrainingJobsForHyperParameterTuningJob", req)
        assert st == 200, page
        rows += page["TrainingJobSummaries"]
        token = page.get("NextToken")
        if not token:
            break
    status = [r["TrainingJobStatus"] for r in rows]
    obj = [r["ObjectiveStatus"] for r in rows]
    counters = {"Completed": status.count("Completed"),
                "InProgress": status.count("InProgress"),
                "RetryableError": 0,
                "NonRetryableError": status.count("Failed"),
                "Stopped": status.count("Stopped")}
    objective = {k: obj.count(k) for k in ("Succeeded", "Pending", "Failed")}
    done = [(r["FinalHyperParameterTuningJobObjectiveMetric"]["Value"],
             int(r["TrainingJobName"].split("-")[-2]), r["TrainingJobName"])
            for r in rows if r["ObjectiveStatus"] == "Succeeded"]
    best = min(done)[2] if done else None
    return rows, counters, objective, best


class HistoryMatchesStore(CheckedTestCase):
    """The daemon keeps each active tuning job's trials in memory; across
    restarts (SIGTERM and SIGKILL) mid-study the counters, trial numbers,
    best trial and the suggestions themselves must be what the store says."""

    BUDGET = 48

    def create(self, name):
        st, body = self.d.call("CreateHyperParameterTuningJob", tuning_request(
            name, BRANIN_RANGES, strategy="Random", max_jobs=self.BUDGET,
            max_parallel=4, seed=21))
        self.assertEqual(st, 200, body)

    def study(self, name, restart_every=None):
        """Asks batches of 1..3, tells all but the newest trial (every 4th
        told fails), restarting the daemon every restart_every asks; returns
        the suggestions in order."""
        self.create(name)
        seen, pending, k, asks = [], [], 0, 0
        while True:
            if restart_every and asks and asks % restart_every == 0:
                self.d.restart(signal.SIGKILL if asks % (2 * restart_every)
                               else signal.SIGTERM)
                self.check_against_store(name)
            st, body = self.d.call("Tunerd.AskTuningJob", {
                "HyperParameterTuningJobName": name, "Count": 1 + asks % 3})
            asks += 1
            if st != 200:
                # Limits reached, or the job ends once the last is told.
                self.assertIn(body["__type"], ("ResourceLimitExceeded",
                                               "ValidationException"), body)
                if not pending:
                    break
                trials = []
            else:
                trials = body["Trials"]
            seen += [(t["TrialName"], t["HyperParameters"]) for t in trials]
            pending += trials
            keep = pending[-1:] if trials else []
            for t in pending[:len(pending) - len(keep)]:
                k += 1
                req = {"HyperParameterTuningJobName": name, "TrialName": t["TrialName"]}
                if k % 4 == 0:
                    req["Failed"] = True
                else:
                    hp = t["HyperParameters"]
                    req["ObjectiveValue"] = branin(float(hp["x1"]), float(hp["x2"]))
                st, b = self.d.call("Tunerd.TellTuningJob", req)
                self.assertEqual(st, 200, b)
            pending = keep
            self.check_against_store(name)
        return seen

    def check_against_store(self, name):
        st, d = self.d.call("DescribeHyperParameterTuningJob",
                            {"HyperParameterTuningJobName": name})
        self.assertEqual(st, 200, d)
        rows, counters, objective, best = store_view(self.d, name)
        nos = sorted(int(r["TrainingJobName"].split("-")[-2]) for r in rows)
        self.assertEqual(nos, list(range(1, len(rows) + 1)))
        self.assertEqual(d["TrainingJobStatusCounters"], counters)
        self.assertEqual(d["ObjectiveStatusCounters"], objective)
        self.assertEqual(d.get("BestTrainingJob", {}).get("TrainingJobName"), best)
        st, summaries = self.d.call("ListHyperParameterTuningJobs", {})
        for s in summaries["HyperParameterTuningJobSummaries"]:
            if s["HyperParameterTuningJobName"] == name:
                self.assertEqual(s["TrainingJobStatusCounters"], counters)
                self.assertEqual(s["ObjectiveStatusCounters"], objective)

    def test_restarts_mid_study_change_nothing(self):
        restarted = self.study("hist-r", restart_every=5)
        straight = self.study("hist-s")
        self.assertEqual(len(restarted), self.BUDGET)
        # The same seed, results and order give the same suggestions (the
        # names differ only by the job's name).
        self.assertEqual([hp for _, hp in restarted], [hp for _, hp in straight])
        for name in ("hist-r", "hist-s"):
            d = self.d.wait_tuning(name, timeout=10)
            self.assertEqual(d["HyperParameterTuningJobStatus"], "Completed")
            self.assertEqual(sum(d["ObjectiveStatusCounters"].values()), self.BUDGET)
            self.assertEqual(d["ObjectiveStatusCounters"]["Failed"], self.BUDGET // 4)

    def test_the_check_sees_a_store_changed_behind_its_back(self):
        # The check must be able to fail: change a trial in the database
        # behind the daemon's back, then make it pump the job.
        self.create("hist-x")
        st, body = self.d.call("Tunerd.AskTuningJob",
                               {"HyperParameterTuningJobName": "hist-x", "Count": 2})
        self.assertEqual(st, 200, body)
        db = sqlite3.connect(os.path.join(self.d.state, "tunerd.db"), timeout=10)
        with db:
            db.execute("UPDATE trials SET status = 'Completed', objective_status = "
                       "'Succeeded', objective = 1.0 WHERE name = ?",
                       (body["Trials"][0]["TrialName"],))
        db.close()
        try:
            self.d.call("Tunerd.AskTuningJob", {"HyperParameterTuningJobName": "hist-x",
                                                "Count": 1})
        except OSError:
            pass    # the daemon exits instead of answering
        self.assertNotEqual(self.d.proc.wait(timeout=15), 0)
        with open(self.d.log_path, errors="replace") as f:
            log = f.read()
        self.assertIn("the history diverges from the store", log)
        # This test's log is meant to hold it: clear it for tearDown.
        with open(self.d.log_path, "w"):
            pass


if __name__ == "__main__":
    main()
