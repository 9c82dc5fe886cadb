#!/bin/sh
# Print the table of suite results written by tests/scripts/run-suite.sh; exit 1 when any suite failed
# or did not run.
# Usage: tests/scripts/summary.sh RESULTS SUITE...
set -eu
results=$1
shift
bad=0
total_run=0
total_failed=0
echo
echo "==== test summary ($results)"
printf '%-14s %7s %7s %7s %7s  %s\n' suite tests passed failed skipped status
for suite in "$@"; do
    f=$results/$suite.result
    if [ -f "$f" ]; then
        read -r name run passed failed skipped status < "$f"
        printf '%-14s %7s %7s %7s %7s  %s\n' "$name" "$run" "$passed" "$failed" "$skipped" "$status"
        total_run=$((total_run + run))
        total_failed=$((total_failed + failed))
        if [ "$status" != ok ]; then
            bad=1
        fi
    else
        printf '%-14s %7s %7s %7s %7s  %s\n' "$suite" - - - - "DID NOT RUN (build failed?)"
        bad=1
    fi
done
printf '%-14s %7s %7s %7s\n' total "$total_run" "$((total_run - total_failed))" "$total_failed"
if [ "$bad" -ne 0 ]; then
    echo "FAILED (logs: $results/*.log)"
    exit 1
fi
echo "all passed"
