#!/bin/sh
# Run the decoder fuzz target (tests/fuzz/fuzz_decode.c) for a while and report like a cmocka
# program, so that tests/scripts/run-suite.sh counts it: one test, passed when libFuzzer ends
# without finding a crash. libFuzzer's whole output goes to OUT/fuzz.log; crashing inputs to
# OUT/crashes/.
# Usage: tests/fuzz/run.sh FUZZER SECONDS OUT SEED_DIR...
set -u
fuzzer=$1
seconds=$2
out=$3
shift 3
mkdir -p "$out/corpus" "$out/crashes"
log=$out/fuzz.log
echo "[==========] Running 1 test(s)."
echo "[ RUN      ] fuzz_decode for ${seconds}s: $fuzzer -max_len=64 $out/corpus $*"
"$fuzzer" -max_len=64 -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$out/crashes/" \
    "$out/corpus" "$@" > "$log" 2>&1
rc=$?
# The last status line (executions, coverage, corpus) and the final statistics.
grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1
grep -E '^(Done [0-9]+ runs|stat::number_of_executed_units|stat::peak_rss_mb)' "$log"
if [ "$rc" -eq 0 ]; then
    echo "[       OK ] fuzz_decode"
    echo "[==========] 1 test(s) run."
    echo "[  PASSED  ] 1 test(s)."
else
    # the report: sanitizer or check failure, and the input that caused it
    {
        grep -E -A40 '^(==[0-9]+==ERROR|.*runtime error|fuzz_decode: check failed|==[0-9]+== ERROR: libFuzzer)' "$log" |
            head -n 60
        grep -E '^(artifact_prefix|Test unit written to|Base64:)' "$log"
    } | awk '!seen[$0]++'
    echo "[  FAILED  ] fuzz_decode (status $rc; full log: $log)"
    echo "[==========] 1 test(s) run."
    echo "[  PASSED  ] 0 test(s)."
    echo "[  FAILED  ] 1 test(s), listed below:"
fi
exit "$rc"
