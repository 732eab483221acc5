"""Hyperparameter tuning jobs against a real tunerd (issue 4).

Ask/tell jobs are evaluated here, in the test; jobs with a
TrainingJobDefinition run real training programs through tunerd-worker.
"""
import json
import math
import os
import re
import signal
import statistics
import time

from harness import DaemonTestCase, main

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


class AskTell(DaemonTestCase):

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


class WithTrainingJobs(DaemonTestCase):
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


if __name__ == "__main__":
    main()
