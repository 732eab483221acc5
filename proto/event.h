/*
 * event.h - the worker -> daemon event stream: the contract between
 * tunerd-worker and tunerd. Nothing here does I/O.
 *
 * A training job's worker owns <state>/jobs/<name>/ and writes every event
 * as one JSON object per line, '\n'-terminated, to events.jsonl there
 * (append-only, each line written with one write(2) and fsync'd for
 * "exited"). It also listens on worker.sock in the same directory (a unix
 * stream socket, mode 0600). On every accepted connection the worker first
 * sends all lines of events.jsonl written so far, then each new line as it
 * is written. The daemon dedups by "seq" and may connect any number of
 * times (e.g. after its own restart). If connecting fails (worker gone), the
 * daemon reads events.jsonl itself. A worker that is gone and whose file
 * has no "exited" line was lost.
 *
 * Client -> worker, on the same socket, one line each:
 *   "stop\n"   stop the job: SIGTERM to the program's process group,
 *              SIGKILL after the grace period; the job ends Stopped.
 *
 * Common members of every event:
 *   "seq"   integer, 1, 2, 3, ... without gaps, per job directory
 *   "time"  epoch seconds (double)
 *   "type"  one of the EV_* names below
 *
 * "status"   {"status": "Starting"|"Downloading"|"Training"|"Uploading",
 *             "message": "..."}    a SecondaryStatus transition
 * "started"  {"pid": N, "start_ticks": T}   the user program runs as
 *             process group N; T is when process N started (field 22 of
 *             /proc/N/stat, -1 if unread): with it N names the program for
 *             good, pids being reused
 * "metric"   {"name": "...", "value": D}   one scraped value; the worker
 *             sends at most EV_METRIC_CAP metric events per job, but the
 *             "exited" event always carries every metric's final value
 * "exited"   {"status": "Completed"|"Failed"|"Stopped",
 *             "secondary": "Completed"|"Failed"|"Stopped"|"MaxRuntimeExceeded",
 *             "failure_reason": "..." or null,
 *             "exit_code": N or null, "signal": N or null,
 *             "model_artifact": "/abs/path/model.tar.gz" or null,
 *             "training_start": D or null, "training_end": D or null,
 *             "final_metrics": [{"name": "...", "value": D, "time": D}, ...]}
 *             always the last line; after it the worker exits.
 *
 * Refinements (tunerd-worker implements exactly these):
 *   - "time" has millisecond precision; "seq" continues from the last line
 *     if events.jsonl already exists (a torn last line is cut first).
 *   - Every line is written to events.jsonl before it is sent; a client is
 *     a read offset into the file, so a slow client never blocks the worker
 *     and costs it no memory. At most 32 clients; a peer whose uid is
 *     neither the worker's nor root is refused. Lines other than "stop"
 *     are ignored. After "exited" the worker gives clients up to 2 s to
 *     read the rest, closes them and removes worker.sock: connection
 *     refused/ENOENT means "read events.jsonl".
 *   - worker.sock longer than sun_path: the worker binds it through
 *     /proc/self/fd/<dirfd>/worker.sock; a client does the same (or
 *     connects from inside the directory with a relative path).
 *   - "status" messages are SageMaker's texts ("Downloading input data",
 *     ...). A job stopped before its program ran goes from Starting or
 *     Downloading straight to "exited" Stopped, with training_start,
 *     exit_code, signal and model_artifact null.
 *   - "exited": exit_code/signal describe the program (both null if it
 *     never ran); failure_reason is output/failure's first 1024 bytes if
 *     the program wrote one, else "AlgorithmError: exit code N" or
 *     "AlgorithmError: killed by signal SIGSEGV (11)" plus the stderr tail
 *     (1024 bytes in all), or "ClientError: ..." (request, data, code or
 *     runtime problems: names the channel/path/URL) or
 *     "InternalServerError: ..." (the worker's own failure); null when not
 *     Failed. model_artifact is the copy under a file:// or absolute
 *     OutputDataConfig.S3OutputPath (<dir>/<job>/output/model.tar.gz) when
 *     there is one, else <job dir>/output/model.tar.gz; the model is packed
 *     whenever the program ran (Completed, Failed and Stopped alike).
 *     final_metrics lists metrics that had a value, in MetricDefinitions
 *     order. status.json holds the same line.
 *
 * Files in the job directory (the /opt/ml layout):
 *   request.json   the validated CreateTrainingJob request (daemon writes)
 *   input/config/{hyperparameters,inputdataconfig,resourceconfig}.json
 *   input/data/<channel>/   code/   model/   output/{data,failure}
 *   output/model.tar.gz     logs/output.log   status.json   events.jsonl
 *   output/output.tar.gz (output/data packed, when not empty)
 *   worker.sock (while the worker runs)
 */
#ifndef TD_PROTO_EVENT_H
#define TD_PROTO_EVENT_H

#define EV_STATUS	"status"
#define EV_STARTED	"started"
#define EV_METRIC	"metric"
#define EV_EXITED	"exited"

#define EV_METRIC_CAP	10000

#define EV_FILE		"events.jsonl"
#define EV_SOCKET	"worker.sock"
#define EV_REQUEST	"request.json"
/* Write-locked (fcntl F_OFD_SETLK) by the worker for its whole life. */
#define EV_LOCK		"worker.lock"
#define EV_LOG		"logs/output.log"

#endif
