#!/bin/sh
# Survey csmith seeds to choose the fixed list in tests/csmith/seeds.txt (run by hand, not by make).
# For each seed FIRST..LAST: generate, build with musl-gcc -static -O2, run natively twice (2 s limit),
# check the two outputs agree, and count instructions with valgrind's exp-bbv tool.
# Prints "seed instructions native-seconds" for every usable seed.
# Usage: tests/scripts/csmith-pick.sh FIRST LAST [WORKDIR]
set -eu
first=$1
last=$2
work=${3:-build/csmith-pick}
mkdir -p "$work"
s=$first
while [ "$s" -le "$last" ]; do
    src=$work/$s.c bin=$work/$s
    if csmith --seed "$s" > "$src" 2>/dev/null &&
        musl-gcc -static -O2 -w -I/usr/include/csmith -o "$bin" "$src" 2>/dev/null; then
        t0=$(date +%s.%N)
        if timeout 2 "$bin" > "$work/$s.out1" 2>&1 && timeout 2 "$bin" > "$work/$s.out2" 2>&1 &&
            cmp -s "$work/$s.out1" "$work/$s.out2"; then
            t1=$(date +%s.%N)
            n=$(timeout 120 valgrind --tool=exp-bbv --bb-out-file=/dev/null "$bin" 2>&1 >/dev/null |
                sed -n 's/.*Total instructions: \([0-9]*\).*/\1/p')
            echo "$s ${n:-?} $(echo "($t1 - $t0) / 2" | bc -l | cut -c1-6)"
        fi
    fi
    rm -f "$src" "$bin" "$work/$s.out1" "$work/$s.out2"
    s=$((s + 1))
done
