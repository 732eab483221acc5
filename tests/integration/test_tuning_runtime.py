"""ResourceLimits.MaxRuntimeInSeconds ends a tuning job (issue 4).

SageMaker's minimum for it is 120 s, so this test takes two minutes; it has
its own file so the suite runs it beside the others.
"""
import time

from harness import DaemonTestCase, main
from test_tuning import BRANIN_RANGES, tuning_request


class MaxRuntime(DaemonTestCase):

    def test_max_runtime_ends_the_job_and_stops_running_trials(self):
        req = tuning_request("rt", BRANIN_RANGES, max_jobs=100, max_parallel=2, seed=1)
        req["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxRuntimeInSeconds"] = 120
        st, body = self.d.call("CreateHyperParameterTuningJob", req)
        self.assertEqual(st, 200, body)
        st, body = self.d.call("Tunerd.AskTuningJob",
                               {"HyperParameterTuningJobName": "rt", "Count": 2})
        self.assertEqual(st, 200, body)
        time.sleep(100)
        st, d = self.d.call("DescribeHyperParameterTuningJob",
                            {"HyperParameterTuningJobName": "rt"})
        self.assertEqual(d["HyperParameterTuningJobStatus"], "InProgress")
        d = self.d.wait_tuning("rt", timeout=60)
        self.assertEqual(d["HyperParameterTuningJobStatus"], "Completed")
        self.assertEqual(d["TuningJobCompletionDetails"]["CompletionReason"],
                         "MaxRuntimeInSeconds reached")
        self.assertEqual(d["TrainingJobStatusCounters"]["Stopped"], 2)
        self.assertGreaterEqual(d["ConsumedResources"]["RuntimeInSeconds"], 120)


if __name__ == "__main__":
    main()
