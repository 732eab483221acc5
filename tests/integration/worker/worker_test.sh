#!/bin/sh
# worker_test.sh - integration tests of tunerd-worker without a daemon: each
# case writes a job directory with a request.json and a small sh program,
# runs the real binary on it and checks events.jsonl, status.json, the log
# and the files it leaves.
#
#   sh worker_test.sh CASE WORKER_BINARY EVCLIENT_BINARY
#
# Exit 0 = pass, 1 = fail (with the job's files printed), 77 = skipped.
set -u

CASE=$1
W=$2
EVC=$3
T=$(mktemp -d "${TMPDIR:-/tmp}/tdwt.XXXXXX")
J=$T/job
NAME=wt-$(echo "$CASE" | tr _ -)	# job names allow no '_'
mkdir -p "$J" "$T/src" "$T/data" "$T/out"
trap 'rm -rf "$T"' EXIT

fail() {
	echo "FAIL ($CASE): $*"
	for f in events.jsonl status.json logs/output.log; do
		[ -f "$J/$f" ] && { echo "--- $f"; head -c 4000 "$J/$f"; echo; }
	done
	[ -f "$T/worker.log" ] && { echo "--- worker.log"; tail -n 30 "$T/worker.log"; }
	exit 1
}

# Defaults a case may change before calling request.
IMAGE=sh
PROGRAM=train.sh
SUBMIT="file://$T/src"
CHANNEL="file://$T/data"
COMPRESSION=None
MAXRT=60
EXTRA_HPS=
ENVIRONMENT='"FOO": "bar"'
METRICS='{"Name": "loss", "Regex": " loss: ([0-9\\.]+)"},
    {"Name": "val_loss", "Regex": " val_loss: ([0-9\\.]+)"}'
ALGO_EXTRA=

request() {
	# HPS and CHANNELS, when a case sets them, replace the defaults whole.
	hps=${HPS:-"\"sagemaker_program\": \"\\\"$PROGRAM\\\"\",
    \"sagemaker_submit_directory\": \"\\\"$SUBMIT\\\"\",
    \"epochs\": \"3\", \"learning_rate\": \"0.01\", \"optimizer\": \"\\\"adam\\\"\" $EXTRA_HPS"}
	channels=${CHANNELS:-"{\"ChannelName\": \"train\", \"CompressionType\": \"$COMPRESSION\",
    \"DataSource\": {\"S3DataSource\": {\"S3DataType\": \"S3Prefix\", \"S3Uri\": \"$CHANNEL\"}}}"}
	cat > "$J/request.json" <<EOF
{
  "TrainingJobName": "$NAME",
  "AlgorithmSpecification": {
    "TrainingImage": "$IMAGE", "TrainingInputMode": "File",
    "MetricDefinitions": [$METRICS] $ALGO_EXTRA
  },
  "HyperParameters": {$hps},
  "InputDataConfig": [$channels],
  "OutputDataConfig": {"S3OutputPath": "file://$T/out"},
  "Environment": {$ENVIRONMENT},
  "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
  "StoppingCondition": {"MaxRuntimeInSeconds": $MAXRT}
}
EOF
}

program() {
	cat > "$T/src/$PROGRAM"
}

run() {
	"$W" train --job-dir "$J" "$@" > "$T/worker.log" 2>&1 || fail "worker exit status $?"
	[ -f "$J/status.json" ] || fail "no status.json"
}

run_bg() {
	"$W" train --job-dir "$J" "$@" > "$T/worker.log" 2>&1 &
	WPID=$!
}

wait_bg() {
	wait "$WPID" || fail "worker exit status $?"
	[ -f "$J/status.json" ] || fail "no status.json"
}

# Waits (up to 10 s) until events.jsonl has an event of type $1.
wait_event() {
	i=0
	while ! grep -q "\"type\":\"$1\"" "$J/events.jsonl" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "no $1 event within 10 s"
		sleep 0.1
	done
}

has() {	# has FILE PATTERN (fixed string)
	grep -qF -- "$2" "$J/$1" || fail "$1 lacks: $2"
}

hasnt() {
	! grep -qF -- "$2" "$J/$1" || fail "$1 has: $2"
}

# Every line of events.jsonl has seq 1, 2, 3... and exited is the last.
check_seq() {
	awk '{ if (match($0, /"seq":[0-9]+/) == 0) exit 1;
	       s = substr($0, RSTART + 6, RLENGTH - 6) + 0;
	       if (s != NR) exit 1 } END { if (NR == 0) exit 1 }' "$1" ||
	    fail "seq is not 1..N in $1"
	tail -n 1 "$1" | grep -q '"type":"exited"' || fail "exited is not last in $1"
}

elapsed_ok() {	# elapsed_ok START MAX_SECONDS
	now=$(date +%s)
	[ $((now - $1)) -le "$2" ] || fail "took $((now - $1)) s (max $2)"
}

case $CASE in
completed)
	printf '1,2\n3,4\n' > "$T/data/train.csv"
	request
	program <<'EOF'
echo "args: $*"
test -f "$SM_CHANNEL_TRAIN/train.csv" || { echo "no data" >&2; exit 9; }
for e in 1 2 3; do
	echo "Epoch $e/3 - loss: 0.$((6 - e))0 - val_loss: 0.$((7 - e))5"
done
echo "stderr also counts: loss: 0.25" >&2
mkdir -p "$SM_MODEL_DIR/sub"
echo weights > "$SM_MODEL_DIR/model.bin"
echo more > "$SM_MODEL_DIR/sub/extra.txt"
echo result > "$SM_OUTPUT_DATA_DIR/report.txt"
EOF
	run
	has status.json '"status":"Completed","secondary":"Completed"'
	has status.json '"exit_code":0'
	has status.json '{"name":"loss","value":0.25,'
	has status.json '{"name":"val_loss","value":0.45,'
	has events.jsonl '"type":"metric","name":"loss","value":0.5}'
	has events.jsonl '"type":"started","pid":'
	[ "$(grep -c '"type":"metric"' "$J/events.jsonl")" -eq 7 ] ||
	    fail "expected 7 metric events"
	check_seq "$J/events.jsonl"
	cmp -s "$J/status.json" "$(tail -n 1 "$J/events.jsonl" > "$T/last"; echo "$T/last")" ||
	    fail "status.json differs from the exited event"
	has logs/output.log 'args: --epochs 3 --learning_rate 0.01 --optimizer adam'
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z Epoch 1/3' \
	    "$J/logs/output.log" || fail "log lines lack the timestamp prefix"
	tar tzf "$J/output/model.tar.gz" > "$T/list" || fail "model.tar.gz unreadable"
	grep -qx 'model.bin' "$T/list" || fail "model.bin not in model.tar.gz"
	grep -qx 'sub/extra.txt' "$T/list" || fail "sub/extra.txt not in model.tar.gz"
	[ -f "$T/out/$NAME/output/model.tar.gz" ] || fail "no published model"
	has status.json "\"model_artifact\":\"$T/out/$NAME/output/model.tar.gz\""
	[ -f "$T/out/$NAME/output/output.tar.gz" ] || fail "no output.tar.gz"
	has input/config/hyperparameters.json '"epochs":"3"'
	has input/config/resourceconfig.json '"current_host":"algo-1"'
	[ -S "$J/worker.sock" ] && fail "worker.sock left behind"
	;;
failure_file)
	request
	program <<'EOF'
echo "lr must be positive (got -1)" > "$SM_OUTPUT_DATA_DIR/../failure"
echo "some noise" >&2
exit 1
EOF
	run
	has status.json '"status":"Failed","secondary":"Failed"'
	has status.json '"failure_reason":"lr must be positive (got -1)"'
	has status.json '"exit_code":1'
	;;
exit_code)
	request
	program <<'EOF'
i=0
while [ $i -lt 30 ]; do echo "noise line $i" >&2; i=$((i + 1)); done
echo "Traceback (most recent call last):" >&2
echo "ValueError: boom" >&2
exit 3
EOF
	run
	has status.json '"status":"Failed"'
	has status.json '"failure_reason":"AlgorithmError: exit code 3\n'
	has status.json 'ValueError: boom"'
	has status.json '"exit_code":3'
	hasnt status.json 'noise line 5'	# only the last ~10 lines
	;;
segfault)
	request
	program <<'EOF'
echo "about to crash" >&2
kill -SEGV $$
EOF
	run
	has status.json '"status":"Failed"'
	has status.json 'killed by signal SIGSEGV (11)'
	has status.json '"signal":11'
	has status.json 'about to crash'
	;;
stop_socket)
	request
	program <<'EOF'
echo "working: loss: 1.0"
sleep 30
EOF
	start=$(date +%s)
	run_bg
	"$EVC" -s started -t 20 "$J/worker.sock" > "$T/stream" || fail "evclient failed"
	wait_bg
	elapsed_ok "$start" 8
	has status.json '"status":"Stopped","secondary":"Stopped"'
	has status.json '"signal":15'
	grep -q '"type":"exited"' "$T/stream" || fail "client did not get exited"
	;;
stop_sigterm)
	request
	program <<'EOF'
sleep 30
EOF
	start=$(date +%s)
	run_bg
	wait_event started
	kill -TERM "$WPID"
	wait_bg
	elapsed_ok "$start" 8
	has status.json '"status":"Stopped","secondary":"Stopped"'
	;;
max_runtime)
	MAXRT=1
	request
	program <<'EOF'
sleep 30
EOF
	start=$(date +%s)
	run --grace 2
	elapsed_ok "$start" 6
	has status.json '"status":"Stopped","secondary":"MaxRuntimeExceeded"'
	has status.json '"model_artifact":"'
	;;
ignore_term)
	request
	program <<'EOF'
trap '' TERM
echo "ignoring SIGTERM now - loss: 1"
sleep 30
EOF
	start=$(date +%s)
	run_bg --grace 1
	# Stop once the metric shows the trap is set.
	"$EVC" -s metric -t 20 "$J/worker.sock" > /dev/null || fail "evclient failed"
	wait_bg
	elapsed_ok "$start" 6
	has status.json '"status":"Stopped"'
	has status.json '"signal":9'
	has logs/output.log 'SIGKILL sent'
	;;
stragglers)
	request
	program <<'EOF'
sleep 100 &
echo $! > "$SM_OUTPUT_DATA_DIR/bg.pid"
( trap '' TERM; sleep 100 ) &
echo $! > "$SM_OUTPUT_DATA_DIR/bg2.pid"
echo "leaving children behind"
exit 0
EOF
	start=$(date +%s)
	run
	elapsed_ok "$start" 5
	has status.json '"status":"Completed"'
	for f in bg.pid bg2.pid; do
		pid=$(cat "$J/output/data/$f")
		kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; fail "straggler $pid alive"; }
	done
	;;
missing_channel)
	CHANNEL="file:///nonexistent/tdwt/data"
	request
	program <<'EOF'
echo should not run
EOF
	run
	has status.json '"status":"Failed"'
	has status.json "channel 'train'"
	has status.json '/nonexistent/tdwt/data'
	hasnt events.jsonl '"type":"started"'
	grep '"type":"status"' "$J/events.jsonl" | tail -n 1 | grep -q Downloading ||
	    fail "the last status is not Downloading"
	;;
s3_channel)
	CHANNEL="s3://bucket/prefix"
	request
	program < /dev/null
	run
	has status.json 'S3 is not available locally; use file:// or http(s)://'
	has status.json "channel 'train'"
	;;
http_channel)
	# Nothing listens on port 1: the download fails naming URL and cause.
	CHANNEL="http://127.0.0.1:1/data/train.csv"
	request
	program < /dev/null
	run
	has status.json '"status":"Failed"'
	has status.json 'http://127.0.0.1:1/data/train.csv'
	has status.json "channel 'train'"
	command -v python3 > /dev/null || exit 0
	# A real download, when python3 can serve one.
	printf 'x,y\n1,2\n' > "$T/data/train.csv"
	(cd "$T/data" && exec python3 -m http.server 0 --bind 127.0.0.1 > "$T/http.log" 2>&1) &
	HPID=$!
	i=0
	while ! grep -q 'port' "$T/http.log" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 50 ] && { kill $HPID; exit 0; }; sleep 0.1
	done
	port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$T/http.log" | head -n 1)
	rm -rf "$J"; mkdir -p "$J"
	CHANNEL="http://127.0.0.1:$port/train.csv"
	request
	program <<'EOF'
cat "$SM_CHANNEL_TRAIN/train.csv"
EOF
	run
	kill $HPID
	has status.json '"status":"Completed"'
	has logs/output.log ' 1,2'
	;;
missing_lib)
	# libcurl and libarchive are dlopen()ed when needed: a missing one
	# fails only the job that needs it, saying which library and package.
	CHANNEL="http://127.0.0.1:1/data/train.csv"
	request
	program < /dev/null
	TUNERD_DYNLIB_CURL=libcurl-missing.so.4 run
	has status.json '"status":"Failed"'
	has status.json "libcurl-missing.so.4, which cannot be loaded"
	has status.json "install Debian's libcurl4"
	# A job that writes a model needs libarchive; an empty model/ does not.
	rm -rf "$J"; mkdir -p "$J"
	CHANNEL="$T/data"
	request
	program <<'EOF'
echo weights > "$SM_MODEL_DIR/w.txt"
EOF
	TUNERD_DYNLIB_ARCHIVE=libarchive-missing.so.13 run
	has status.json '"status":"Failed"'
	has status.json "packing the model"
	has status.json "install Debian's libarchive13"
	rm -rf "$J"; mkdir -p "$J"
	request
	program <<'EOF'
echo "no model"
EOF
	TUNERD_DYNLIB_ARCHIVE=libarchive-missing.so.13 run
	has status.json '"status":"Completed"'
	tar tzf "$J/output/model.tar.gz" > "$T/list" || fail "empty model.tar.gz unreadable"
	[ -s "$T/list" ] && fail "empty model.tar.gz lists entries"
	;;
gzip_channel)
	printf 'a,b\n5,6\n' | gzip > "$T/data/train.csv.gz"
	CHANNEL="file://$T/data/train.csv.gz"
	COMPRESSION=Gzip
	request
	program <<'EOF'
ls "$SM_CHANNEL_TRAIN"
cat "$SM_CHANNEL_TRAIN/train.csv"
EOF
	run
	has status.json '"status":"Completed"'
	has logs/output.log ' 5,6'
	;;
flood)
	request
	program <<'EOF'
i=0
line="progress line with loss: 0.5 and some padding to make it longer xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
yes "$line" | head -c 8000000
echo "final loss: 0.125"
EOF
	start=$(date +%s)
	run --log-limit 100000
	elapsed_ok "$start" 30
	has status.json '"status":"Completed"'
	size=$(wc -c < "$J/logs/output.log")
	[ "$size" -le 100300 ] || fail "log is $size bytes"
	[ "$(grep -c 'log limit of 100000 bytes reached' "$J/logs/output.log")" -eq 1 ] ||
	    fail "not exactly one marker line"
	[ "$(grep -c '"type":"metric"' "$J/events.jsonl")" -eq 10000 ] ||
	    fail "metric events not capped at 10000"
	has status.json '{"name":"loss","value":0.125,'
	check_seq "$J/events.jsonl"
	;;
replay)
	request
	program <<'EOF'
echo "step loss: 2.0"
sleep 2
echo "step loss: 1.0"
EOF
	run_bg
	"$EVC" -n 2 -t 20 "$J/worker.sock" > "$T/first" || fail "first client failed"
	"$EVC" -c -t 20 "$J/worker.sock" || fail "closing client failed"
	"$EVC" -t 30 "$J/worker.sock" > "$T/second" || fail "second client failed"
	wait_bg
	head -n 1 "$T/first" | grep -q '"seq":1,' || fail "first client did not start at seq 1"
	head -n 1 "$T/second" | grep -q '"seq":1,' || fail "second client did not start at seq 1"
	check_seq "$T/second"
	cmp -s "$T/second" "$J/events.jsonl" || fail "replayed stream differs from events.jsonl"
	;;
env)
	ENVIRONMENT='"FOO": "bar", "SM_MODEL_DIR": "/tmp/evil", "TRAINING_JOB_NAME": "evil", "SM_NEW": "x"'
	EXTRA_HPS=', "batch_size": "32", "flag": "true", "name": "\"x y\"", "_tuning_objective_metric": "\"val_loss\"", "sagemaker_region": "\"us-east-1\""'
	request
	program <<'EOF'
env > "$SM_OUTPUT_DATA_DIR/env.txt"
printf '%s\n' "$@" > "$SM_OUTPUT_DATA_DIR/args.txt"
EOF
	SECRET_DAEMON_VAR=leak "$W" train --job-dir "$J" --cpus 3 > "$T/worker.log" 2>&1 || fail "worker failed"
	E=output/data/env.txt
	has status.json '"status":"Completed"'
	has $E "SM_MODEL_DIR=$J/model"
	hasnt $E "/tmp/evil"
	has $E "TRAINING_JOB_NAME=$NAME"
	hasnt $E "SM_NEW"
	has $E "FOO=bar"
	has $E "PATH="
	hasnt $E "SECRET_DAEMON_VAR"
	has $E 'SM_CHANNELS=["train"]'
	has $E "SM_CHANNEL_TRAIN=$J/input/data/train"
	has $E 'SM_HPS={"batch_size":32,"epochs":3,"flag":true,"learning_rate":0.01,"name":"x y","optimizer":"adam"}'
	has $E 'SM_HP_FLAG=true'
	has $E 'SM_HP_NAME=x y'
	has $E 'SM_USER_ARGS=["--batch_size","32","--epochs","3","--flag","True","--learning_rate","0.01","--name","x y","--optimizer","adam"]'
	has $E 'SM_NUM_CPUS=3'
	has $E 'SM_NUM_GPUS=0'
	has $E 'SM_HOSTS=["algo-1"]'
	has $E 'SM_CURRENT_HOST=algo-1'
	has $E 'SM_USER_ENTRY_POINT=train.sh'
	has $E 'SM_FRAMEWORK_PARAMS={}'
	has $E 'SM_LOG_LEVEL=20'
	has $E 'SM_TRAINING_ENV={"additional_framework_parameters":{},'
	has $E "SM_OUTPUT_DATA_DIR=$J/output/data"
	hasnt $E '_tuning_objective_metric'
	printf -- '--batch_size\n32\n--epochs\n3\n--flag\nTrue\n--learning_rate\n0.01\n--name\nx y\n--optimizer\nadam\n' > "$T/want"
	cmp -s "$T/want" "$J/output/data/args.txt" || fail "arguments differ: $(cat "$J/output/data/args.txt")"
	;;
script_mode)
	# The SDK's sourcedir.tar.gz, with the entry point in a sub-directory.
	mkdir -p "$T/pkg/lib"
	cat > "$T/pkg/lib/run.sh" <<'EOF'
echo "running from $(pwd) loss: 0.5"
EOF
	(cd "$T/pkg" && tar czf "$T/sourcedir.tar.gz" lib)
	PROGRAM=lib/run.sh
	SUBMIT="$T/sourcedir.tar.gz"
	request
	run
	has status.json '"status":"Completed"'
	has logs/output.log "running from $J/code loss: 0.5"
	[ -f "$J/code/lib/run.sh" ] || fail "sourcedir not extracted into code/"
	;;
missing_entry)
	PROGRAM=nope.sh
	request
	run
	has status.json '"status":"Failed"'
	has status.json 'nope.sh not found'
	;;
bad_runtime)
	IMAGE=no-such-runtime-tdwt
	request
	program < /dev/null
	run
	has status.json '"status":"Failed"'
	has status.json 'TrainingImage no-such-runtime-tdwt'
	;;
entrypoint)
	IMAGE=unused
	ALGO_EXTRA=', "ContainerEntrypoint": ["sh", "-c", "echo \"ep loss: 4.5\"; echo arg=$0", "zero"]'
	request
	run
	has status.json '"status":"Completed"'
	has status.json '{"name":"loss","value":4.5,'
	has logs/output.log 'arg=zero'
	;;
builtin_mlp)
	# The built-in MLP on the seed's Boston Housing data.
	D=${TUNERD_SOURCE_DIR:-}/examples/boston/data
	[ -d "$D/train" ] && [ -d "$D/test" ] || exit 77
	"$W" --help | grep -q builtin || exit 77
	IMAGE=builtin:mlp
	HPS='"epochs": "3", "batch_size": "32", "learning_rate": "0.005"'
	CHANNELS="{\"ChannelName\": \"train\", \"DataSource\": {\"S3DataSource\": {
	    \"S3DataType\": \"S3Prefix\", \"S3Uri\": \"file://$D/train\"}}},
	  {\"ChannelName\": \"test\", \"DataSource\": {\"S3DataSource\": {
	    \"S3DataType\": \"S3Prefix\", \"S3Uri\": \"file://$D/test\"}}}"
	request
	run --cpus 1
	has status.json '"status":"Completed"'
	has status.json '{"name":"loss","value":'
	has status.json '{"name":"val_loss","value":'
	has logs/output.log 'tunerd-builtin builtin mlp --batch_size 32 --epochs 3 --learning_rate 0.005'
	tar tzf "$J/output/model.tar.gz" | grep -q 'model.json' || fail "no model.json in model.tar.gz"
	;;
builtin_unknown)
	IMAGE=builtin:xyz
	request
	run
	has status.json '"status":"Failed"'
	has status.json 'builtin:xyz'
	has status.json 'the built-ins are: mlp'
	;;
bad_request)
	echo '{"TrainingJobName": 5' > "$J/request.json"
	run
	has status.json '"status":"Failed"'
	has status.json 'InternalServerError: '
	;;
*)
	echo "unknown case $CASE"
	exit 2
	;;
esac
echo "ok ($CASE)"
exit 0
