#!/bin/sh
# test.sh - bootstrap, build and run the whole test suite.
#
#   scripts/test.sh              the suite on a -Werror build (build-test/)
#   scripts/test.sh --sanitize   the same under ASan + UBSan (build-asan/)
#
# Prints a closing line "N passed, N failed" and exits non-zero on any
# failure. Test logs: <build dir>/meson-logs/testlog.txt.
set -eu

cd "$(dirname "$0")/.."
mode=${1:-plain}
case "$mode" in
plain)
	builddir=build-test
	scripts/bootstrap.sh "$builddir" -Dwerror=true
	;;
--sanitize)
	builddir=build-asan
	scripts/bootstrap.sh "$builddir" -Dwerror=true \
	    -Db_sanitize=address,undefined -Db_lundef=false
	;;
*)
	echo "usage: scripts/test.sh [--sanitize]" >&2
	exit 2
	;;
esac

ninja -C "$builddir" >/dev/null
set +e
meson test -C "$builddir" --print-errorlogs --num-processes 2
rc=$?
set -e
python3 - "$builddir/meson-logs/testlog.json" <<'PY'
import json, sys
ok = bad = skip = 0
with open(sys.argv[1]) as f:
    for line in f:
        r = json.loads(line)
        res = r.get("result")
        if res in ("OK", "EXPECTEDFAIL"):
            ok += 1
        elif res == "SKIP":
            skip += 1
        else:
            bad += 1
print("%d passed, %d failed, %d skipped" % (ok, bad, skip))
PY
exit $rc
