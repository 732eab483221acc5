#!/bin/sh
# quickstart.sh - from a fresh Debian 12 to the whole reference workflow:
# installs what is missing (apt), builds, starts tunerd with its default
# state directory (unless one already serves) and runs examples/boston/run.sh
# on the built-in MLP.
set -eu

cd "$(dirname "$0")/.."
scripts/bootstrap.sh build
tuner="$PWD/build/client/tuner"
if ! "$tuner" list -q >/dev/null 2>&1; then
	build/daemon/tunerd
	echo "quickstart: tunerd started (log: ${TUNERD_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/tunerd}/tunerd.log)"
fi
TUNER="$tuner" examples/boston/run.sh
