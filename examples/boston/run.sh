#!/bin/sh
# run.sh - SageMaker's "TensorFlow Script Mode training and serving" notebook
# on Boston Housing, end to end, through tuner and a running tunerd, on the
# built-in MLP (builtin:mlp, the notebook's model: 13 -> tanh 13 -> sigmoid 6
# -> 1, plain SGD, MSE).
#
#   examples/boston/run.sh            uses `tuner` from the build tree or PATH
#   TUNER=/path/to/tuner examples/boston/run.sh
#
# Steps: the data -> a 5-epoch job -> its predictions next to the targets ->
# a 30-epoch job -> deploy it and predict through the endpoint -> the 15-job,
# 5-parallel Bayesian tuning job -> the top 5 trials, total training time and
# status counts -> deploy the best and predict -> delete the endpoints.
# Every name carries a timestamp, so the script can run again and again.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${TUNER:-}" ]; then
	if [ -x "$here/../../build/client/tuner" ]; then
		TUNER="$here/../../build/client/tuner"
	else
		TUNER=tuner
	fi
fi
stamp=$(date +%Y%m%d-%H%M%S)
data="$here/data"

step() {
	printf '\n== %s\n' "$*"
}

has() {
	"$TUNER" "$@" --help >/dev/null 2>&1
}

# train NAME EPOCHS: the notebook's estimator.fit() on the built-in MLP.
train() {
	"$TUNER" train --name "$1" --builtin mlp \
	    --channel "train=$data/train" --channel "test=$data/test" \
	    -H epochs="$2" -H batch_size=128 -H learning_rate=0.01 \
	    --metric "loss= loss: ([0-9\.]+)" \
	    --metric "val_loss= val_loss: ([0-9\.]+)" --wait
}

step "1. The data: Keras' Boston Housing split, normalised as the notebook does"
ls -l "$data/train" "$data/test" | sed 's/^/   /'

step "2. Train locally for 5 epochs (batch 128, learning rate 0.01)"
job5="boston-5ep-$stamp"
train "$job5" 5

step "3. Restore the model and compare its predictions with the targets"
"$TUNER" predict --model "$job5" --input "$data/test/x_test.npy" \
    --targets "$data/test/y_test.npy" | head -n 11

step "4. Train for 30 epochs"
job30="boston-30ep-$stamp"
train "$job30" 30

step "5. Deploy the 30-epoch model and predict through the endpoint"
if has deploy; then
	"$TUNER" deploy "$job30" --endpoint-name "$job30"
	"$TUNER" predict --endpoint "$job30" --input "$data/test/x_test.npy" \
	    --targets "$data/test/y_test.npy" | head -n 11
else
	echo "   skipped: this tuner has no deploy command yet"
fi

step "6. The Bayesian tuning job: 15 trials, 5 in parallel, minimising val_loss"
tuning="boston-$stamp"
"$TUNER" tune --config "$here/tuning.json" --name "$tuning" --wait

step "7. The top 5 trials, total training time and status counts"
"$TUNER" trials "$tuning" --top 5

step "8. Deploy the best trial's model and predict"
if has deploy; then
	best=$("$TUNER" best "$tuning" -o json | sed -n 's/.*"TrainingJobName": *"\([^"]*\)".*/\1/p' | head -n 1)
	"$TUNER" deploy --best "$tuning"
	"$TUNER" predict --endpoint "$best" --input "$data/test/x_test.npy" \
	    --targets "$data/test/y_test.npy" | head -n 11

	step "9. Delete the endpoints"
	"$TUNER" endpoints delete "$job30"
	"$TUNER" endpoints delete "$best"
else
	echo "   skipped: this tuner has no deploy command yet"
fi

printf '\nDone: the notebook ran end to end on the built-in MLP.\n'
