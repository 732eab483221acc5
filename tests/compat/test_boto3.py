"""boto3's own SageMaker client, unchanged, against a real tunerd.

Uses Debian's python3-boto3 with endpoint_url pointed at tunerd's TCP
listener; boto3 validates each request against its model client-side and
parses each answer with it, so this checks both directions of the wire.
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from harness import DaemonTestCase, main  # noqa: E402

try:
    import boto3
    import botocore.exceptions
except ImportError:  # pragma: no cover - the bootstrap installs it
    boto3 = None


@unittest.skipIf(boto3 is None, "python3-boto3 is not installed")
class Boto3(DaemonTestCase):
    listen = True
    slots = 4

    def client(self):
        return boto3.client("sagemaker", endpoint_url=self.d.url,
                            region_name="us-east-1", aws_access_key_id="local",
                            aws_secret_access_key="local")

    def script(self):
        src = os.path.dirname(self.d.write("src/train.py", (
            "import argparse\n"
            "p = argparse.ArgumentParser()\n"
            "p.add_argument('--epochs', type=int)\n"
            "p.add_argument('--learning_rate', type=float, default=0.1)\n"
            "p.add_argument('--batch_size', type=int, default=64)\n"
            "a, _ = p.parse_known_args()\n"
            "for e in range(a.epochs):\n"
            "    v = (a.learning_rate - 0.05) ** 2 * 100 + a.batch_size / 1000 + 1.0 / (e + 1)\n"
            "    print('1/1 - 0s - loss: %.4f - val_loss: %.4f' % (v, v), flush=True)\n")))
        return src

    def test_training_job_create_describe_list_stop(self):
        sm = self.client()
        src = self.script()
        arn = sm.create_training_job(
            TrainingJobName="boto-job",
            AlgorithmSpecification={
                "TrainingImage": "python3", "TrainingInputMode": "File",
                "MetricDefinitions": [{"Name": "val_loss",
                                       "Regex": " val_loss: ([0-9\\.]+)"}]},
            RoleArn="arn:aws:iam::000000000000:role/SageMakerRole",
            HyperParameters={"epochs": "3",
                             "sagemaker_program": json.dumps("train.py"),
                             "sagemaker_submit_directory": json.dumps(src)},
            OutputDataConfig={"S3OutputPath": "s3://bucket/prefix"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1,
                            "VolumeSizeInGB": 30},
            StoppingCondition={"MaxRuntimeInSeconds": 600},
        )["TrainingJobArn"]
        self.assertTrue(arn.endswith("training-job/boto-job"), arn)
        waiter_deadline = time.monotonic() + 60
        while True:
            d = sm.describe_training_job(TrainingJobName="boto-job")
            if d["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
                break
            self.assertLess(time.monotonic(), waiter_deadline)
            time.sleep(0.1)
        self.assertEqual(d["TrainingJobStatus"], "Completed", d.get("FailureReason"))
        self.assertEqual(d["FinalMetricDataList"][0]["MetricName"], "val_loss")
        self.assertAlmostEqual(d["FinalMetricDataList"][0]["Value"], 0.25 + 0.064 + 1 / 3, places=3)
        self.assertTrue(d["ModelArtifacts"]["S3ModelArtifacts"].startswith("file://"))
        self.assertGreater(d["TrainingEndTime"], d["CreationTime"])  # parsed as datetimes
        jobs = sm.list_training_jobs(NameContains="boto", SortBy="Name")
        self.assertEqual([j["TrainingJobName"] for j in jobs["TrainingJobSummaries"]],
                         ["boto-job"])
        # Stop a running one.
        sm.create_training_job(
            TrainingJobName="boto-sleep",
            AlgorithmSpecification={"TrainingImage": "local", "TrainingInputMode": "File",
                                    "ContainerEntrypoint": ["sleep", "60"]},
            RoleArn="arn:aws:iam::000000000000:role/SageMakerRole",
            OutputDataConfig={"S3OutputPath": "s3://bucket/prefix"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1,
                            "VolumeSizeInGB": 30},
            StoppingCondition={"MaxRuntimeInSeconds": 600})
        time.sleep(0.3)
        sm.stop_training_job(TrainingJobName="boto-sleep")
        sm.get_waiter("training_job_completed_or_stopped").wait(
            TrainingJobName="boto-sleep", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        self.assertEqual(sm.describe_training_job(
            TrainingJobName="boto-sleep")["TrainingJobStatus"], "Stopped")
        # Errors arrive as boto3's ClientError with SageMaker's codes.
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            sm.describe_training_job(TrainingJobName="missing")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceNotFound")

    def test_notebook_tuning_request(self):
        sm = self.client()
        src = self.script()
        sm.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName="boto-tuning",
            HyperParameterTuningJobConfig={
                "Strategy": "Bayesian",
                "HyperParameterTuningJobObjective": {"Type": "Minimize",
                                                     "MetricName": "val_loss"},
                "ResourceLimits": {"MaxNumberOfTrainingJobs": 15,
                                   "MaxParallelTrainingJobs": 5},
                "ParameterRanges": {
                    "ContinuousParameterRanges": [
                        {"Name": "learning_rate", "MinValue": "0.001",
                         "MaxValue": "0.2", "ScalingType": "Logarithmic"}],
                    "IntegerParameterRanges": [
                        {"Name": "epochs", "MinValue": "10", "MaxValue": "50",
                         "ScalingType": "Auto"},
                        {"Name": "batch_size", "MinValue": "64", "MaxValue": "256",
                         "ScalingType": "Auto"}]},
                "TrainingJobEarlyStoppingType": "Off"},
            TrainingJobDefinition={
                "StaticHyperParameters": {
                    "sagemaker_program": json.dumps("train.py"),
                    "sagemaker_submit_directory": json.dumps(src)},
                "AlgorithmSpecification": {
                    "TrainingImage": "python3", "TrainingInputMode": "File",
                    "MetricDefinitions": [{"Name": "val_loss",
                                           "Regex": " val_loss: ([0-9\\.]+)"}]},
                "RoleArn": "arn:aws:iam::000000000000:role/SageMakerRole",
                "OutputDataConfig": {"S3OutputPath": "s3://bucket/prefix"},
                "ResourceConfig": {"InstanceType": "ml.m5.large",
                                   "InstanceCount": 1, "VolumeSizeInGB": 30},
                "StoppingCondition": {"MaxRuntimeInSeconds": 600}})
        deadline = time.monotonic() + 240
        while True:
            d = sm.describe_hyper_parameter_tuning_job(
                HyperParameterTuningJobName="boto-tuning")
            if d["HyperParameterTuningJobStatus"] in ("Completed", "Failed", "Stopped"):
                break
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)
        self.assertEqual(d["HyperParameterTuningJobStatus"], "Completed")
        self.assertEqual(d["TrainingJobStatusCounters"]["Completed"], 15)
        best = d["BestTrainingJob"]
        self.assertEqual(best["ObjectiveStatus"], "Succeeded")
        paginator = sm.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job")
        rows = [r for page in paginator.paginate(
            HyperParameterTuningJobName="boto-tuning", SortBy="FinalObjectiveMetricValue",
            PaginationConfig={"PageSize": 4})
            for r in page["TrainingJobSummaries"]]
        self.assertEqual(len(rows), 15)
        self.assertEqual(rows[0]["TrainingJobName"], best["TrainingJobName"])
        summaries = sm.list_hyper_parameter_tuning_jobs()["HyperParameterTuningJobSummaries"]
        self.assertEqual(summaries[0]["HyperParameterTuningJobName"], "boto-tuning")


if __name__ == "__main__":
    main()
