#!/bin/sh
# Run one test suite (one or more cmocka programs), keep its output in RESULTS/NAME.log, and record
# "NAME RUN PASSED FAILED SKIPPED STATUS" in RESULTS/NAME.result for tests/scripts/summary.sh.
# Usage: tests/scripts/run-suite.sh RESULTS NAME COMMAND [ARGS...]
# The exit status is the command's (non-zero when a test failed or the command crashed).
set -eu
results=$1
name=$2
shift 2
mkdir -p "$results"
log=$results/$name.log
rcfile=$results/$name.rc
echo "==== $name: $*"
# (No stdbuf here: its LD_PRELOAD would reach the programs under test, and ASan refuses to start.)
{
    set +e
    "$@" 2>&1
    echo $? > "$rcfile"
} | tee "$log"
rc=$(cat "$rcfile")
rm -f "$rcfile"
# Sum the counts of every cmocka group in the output.
counts=$(awk '
    /^\[==========\] [0-9]+ test\(s\) run\./ { run += $2 }
    /^\[  PASSED  \] [0-9]+ test\(s\)\./     { passed += $4 }
    /^\[  FAILED  \] [0-9]+ test\(s\)/       { failed += $4 }
    /^\[  SKIPPED \] [0-9]+ test\(s\)/       { skipped += $4 }
    END { printf "%d %d %d %d", run, passed, failed, skipped }' "$log")
# shellcheck disable=SC2086 # four numbers, split on purpose
set -- $counts
run=$1 passed=$2 failed=$3 skipped=$4
status=ok
if [ "$rc" -ne 0 ]; then
    status=FAILED
    # a crash or a harness error, not a counted test failure: count it as one failure
    if [ "$failed" -eq 0 ]; then
        failed=1
        status=ERROR
    fi
fi
echo "$name $run $passed $failed $skipped $status" > "$results/$name.result"
exit "$rc"
