"""The built-in MLP trained through tunerd on the Boston data (issue 3).

Checks the whole path: Keras-style lines scraped into metrics, the model
artifact, `tuner predict` against the worker's own evaluation of the test
set, determinism for a seed, and bad hyperparameters failing by name.
"""
import json
import math
import os
import re

from harness import DaemonTestCase, SOURCE_DIR, main

DATA = os.path.join(SOURCE_DIR, "examples", "boston", "data")
METRICS = [{"Name": "loss", "Regex": " loss: ([0-9\\.]+)"},
           {"Name": "val_loss", "Regex": " val_loss: ([0-9\\.]+)"}]


def mlp_job(name, **hps):
    return {"TrainingJobName": name,
            "AlgorithmSpecification": {"TrainingImage": "builtin:mlp",
                                       "TrainingInputMode": "File",
                                       "MetricDefinitions": METRICS},
            "HyperParameters": {k: str(v) for k, v in hps.items()},
            "InputDataConfig": [
                {"ChannelName": ch, "DataSource": {"S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": "file://" + os.path.join(DATA, ch)}}}
                for ch in ("train", "test")]}


class Builtin(DaemonTestCase):

    def train(self, name, **hps):
        st, body = self.d.call("CreateTrainingJob", mlp_job(name, **hps))
        self.assertEqual(st, 200, body)
        return self.d.wait_job(name, timeout=120)

    def test_boston_metrics_artifact_and_predictions(self):
        d = self.train("mlp30", epochs=30, batch_size=128, learning_rate=0.01)
        self.assertEqual(d["TrainingJobStatus"], "Completed", d.get("FailureReason"))
        final = {m["MetricName"]: m["Value"] for m in d["FinalMetricDataList"]}
        # Well below the variance of the test targets (83.2) after 30 epochs.
        self.assertLess(final["val_loss"], 40)
        st, ms = self.d.call("Tunerd.GetTrainingJobMetrics", {"TrainingJobName": "mlp30"})
        series = {m["MetricName"]: m["Values"] for m in ms["Metrics"]}
        self.assertEqual(len(series["val_loss"]), 30)
        self.assertEqual(series["val_loss"][-1]["Value"], final["val_loss"])
        st, lg = self.d.call("Tunerd.GetTrainingJobLogs", {"TrainingJobName": "mlp30"})
        self.assertIn("Epoch 30/30", lg["Data"])
        self.assertRegex(lg["Data"], r"404/404 \[=+\] - 0s - loss: [0-9.]+ - val_loss: [0-9.]+")
        # tuner predict on the artifact == the worker's own test-set evaluation.
        r = self.d.tuner("predict", "--model", "mlp30", "--input",
                         os.path.join(DATA, "test", "x_test.npy"))
        self.assertExit(r, 0)
        preds = [float(x) for x in r.stdout.split()]
        self.assertEqual(len(preds), 102)
        self.assertTrue(all(math.isfinite(p) for p in preds))
        own = os.path.join(self.d.state, "jobs", "mlp30", "output", "data",
                           "predictions_test.json")
        with open(own) as f:
            worker = [row[0] for row in json.load(f)["predictions"]]
        self.assertEqual(preds, worker)
        mse = sum((p - y) ** 2 for p, y in zip(preds, self.targets())) / 102
        self.assertAlmostEqual(mse, final["val_loss"], places=3)
        # And next to the targets, as the notebook shows them.
        r = self.d.tuner("predict", "--model", "mlp30", "--input",
                         os.path.join(DATA, "test", "x_test.npy"), "--targets",
                         os.path.join(DATA, "test", "y_test.npy"))
        self.assertExit(r, 0)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["PREDICTION", "TARGET"])
        self.assertEqual(float(lines[1].split()[1]), 7.2)

    def targets(self):
        """y_test.npy (float64, 102 values) without numpy."""
        import struct
        with open(os.path.join(DATA, "test", "y_test.npy"), "rb") as f:
            raw = f.read()
        hlen = struct.unpack("<H", raw[8:10])[0]
        return list(struct.unpack("<102d", raw[10 + hlen:10 + hlen + 816]))

    def test_same_seed_same_model(self):
        a = self.train("s1a", epochs=5, seed=3)
        b = self.train("s1b", epochs=5, seed=3)
        c = self.train("s2", epochs=5, seed=4)
        va = a["FinalMetricDataList"]
        self.assertEqual([m["Value"] for m in va],
                         [m["Value"] for m in b["FinalMetricDataList"]])
        self.assertNotEqual([m["Value"] for m in va],
                            [m["Value"] for m in c["FinalMetricDataList"]])

    def test_bad_hyperparameters_fail_naming_them(self):
        for name, hps, word in (("bad-epochs", {"epochs": "zero"}, "epochs"),
                                ("bad-act", {"activations": "tanh,swish"}, "swish"),
                                ("bad-unknown", {"dropout": "0.5"}, "dropout"),
                                ("bad-lr", {"learning_rate": "-1"}, "learning_rate")):
            d = self.train(name, **hps)
            self.assertEqual(d["TrainingJobStatus"], "Failed", name)
            self.assertIn(word, d["FailureReason"])

    def test_other_architecture_and_optimizer(self):
        d = self.train("adam", epochs=20, hidden_layers="16,8",
                       activations="relu,relu", optimizer="adam",
                       learning_rate=0.01, loss="mae")
        self.assertEqual(d["TrainingJobStatus"], "Completed", d.get("FailureReason"))
        final = {m["MetricName"]: m["Value"] for m in d["FinalMetricDataList"]}
        self.assertLess(final["val_loss"], 10)   # MAE in $1000s


if __name__ == "__main__":
    main()
