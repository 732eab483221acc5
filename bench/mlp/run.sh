#!/bin/sh
# bench/mlp/run.sh - training speed and accuracy of the built-in MLP
# (`builtin mlp`) against the PyTorch Script Mode port of the same model
# (examples/boston/train_model/train.py). Prints figures and ratios; never
# passes or fails on time.
#
#   bench/mlp/run.sh [BUILD_DIR] [--quick]
#
# BUILD_DIR (default: build) must hold worker/builtin/td-builtin:
#   meson setup build && ninja -C build worker/builtin/td-builtin
# PYTHON (default /usr/bin/python3) must import torch and numpy.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-build}
[ $# -gt 0 ] && shift
case $build in /*) ;; *) build=$root/$build ;; esac
py=${PYTHON:-/usr/bin/python3}
if [ ! -x "$build/worker/builtin/td-builtin" ]; then
	echo "run.sh: $build/worker/builtin/td-builtin not found;" \
	    "build it: ninja -C $build worker/builtin/td-builtin" >&2
	exit 2
fi
# One thread for everyone, set before any library starts its pool.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
exec "$py" "$here/bench.py" --td-builtin "$build/worker/builtin/td-builtin" \
    --data "$root/examples/boston/data" \
    --train-py "$root/examples/boston/train_model" "$@"
