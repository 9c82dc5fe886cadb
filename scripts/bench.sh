#!/bin/sh
# Benchmarks (never tests): time each program natively, under qemu-x86_64 (user mode, a JIT), under
# valgrind --tool=none (a peer that also decodes every instruction) and under emu, in the same run,
# with hyperfine (median of --runs runs after one warm-up). The instruction count is emu's
# sim.instructions, used for every column's MIPS.
# Prints a table and writes OUT/results.json (plus hyperfine's own JSON per program).
#
# Usage: scripts/bench.sh [--emu PATH] [--out DIR] [--runs N] PROGRAM...
#   (`make bench` builds tests/bench/*.c and calls this; BENCH_RUNS=N also sets the runs.)
set -eu

emu=build/emu
out=build/bench
runs=${BENCH_RUNS:-5}
while [ $# -gt 0 ]; do
    case $1 in
    --emu) emu=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
if [ $# -eq 0 ]; then
    echo "usage: scripts/bench.sh [--emu PATH] [--out DIR] [--runs N] PROGRAM..." >&2
    exit 2
fi
if ! command -v hyperfine > /dev/null 2>&1; then
    echo "bench.sh: hyperfine is missing (make deps)" >&2
    exit 2
fi
mkdir -p "$out"
have() { command -v "$1" > /dev/null 2>&1; }

# hyperfine's JSON lists the results in command order, each with a "median" line.
medians() {
    awk -F: '/"median"/ { gsub(/[ ,]/, "", $2); printf "%s ", $2 }' "$1"
}
# a / b, or "null" when either is missing
div() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b == "null" || b + 0 == 0) print "null"; else printf "%.6g\n", a / b }'
}
mips() {
    awk -v n="$1" -v t="$2" 'BEGIN { if (n == "null" || t == "null" || t + 0 == 0) print "null"; else printf "%.1f\n", n / t / 1e6 }'
}
show() { # a number for the table with the given printf format, "n/a" for null
    if [ "$1" = null ]; then echo n/a; else awk -v v="$1" -v f="$2" 'BEGIN { printf f "\n", v }'; fi
}

host_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
json_items=""
table=""
for prog in "$@"; do
    name=$(basename "$prog")
    echo "bench: $name" >&2

    # One run under emu for the instruction count (and a sanity check of the output).
    stats=$out/$name.stats.json
    rm -f "$stats"
    emu_ok=1
    if ! "$emu" run --mode=se -q --stats="$stats" -- "$prog" > "$out/$name.emu.out" 2> "$out/$name.emu.err"; then
        echo "bench: $name fails under emu (see $out/$name.emu.err); emu is left out" >&2
        emu_ok=0
    fi
    "$prog" > "$out/$name.native.out" 2>&1 || true
    if [ "$emu_ok" = 1 ] && ! cmp -s "$out/$name.native.out" "$out/$name.emu.out"; then
        echo "bench: warning: $name prints something else under emu than natively" >&2
    fi
    insns=null
    if [ -f "$stats" ]; then
        insns=$(sed -n 's/.*"sim\.instructions"[[:space:]]*:[[:space:]]*\([0-9][0-9.eE+]*\).*/\1/p' "$stats" | head -n 1)
        insns=${insns:-null}
    fi

    set -- -n native "$prog"
    cols="native"
    if have qemu-x86_64; then
        set -- "$@" -n qemu "qemu-x86_64 $prog"
        cols="$cols qemu"
    fi
    if have valgrind; then
        set -- "$@" -n valgrind "valgrind --tool=none -q $prog"
        cols="$cols valgrind"
    fi
    if [ "$emu_ok" = 1 ]; then
        set -- "$@" -n emu "$emu run --mode=se -q --stats=$out/$name.stats-timed.json -- $prog"
        cols="$cols emu"
    fi
    hf=$out/$name.hyperfine.json
    hyperfine -N --style basic --runs "$runs" --warmup 1 --export-json "$hf" "$@" >&2

    t_native=null t_qemu=null t_valgrind=null t_emu=null
    # shellcheck disable=SC2046 # one word per median
    set -- $(medians "$hf")
    for c in $cols; do
        eval "t_$c=\$1"
        shift
    done
    r_native=$(div "$t_emu" "$t_native")
    r_qemu=$(div "$t_emu" "$t_qemu")
    r_valgrind=$(div "$t_emu" "$t_valgrind")
    m_native=$(mips "$insns" "$t_native")
    m_qemu=$(mips "$insns" "$t_qemu")
    m_valgrind=$(mips "$insns" "$t_valgrind")
    m_emu=$(mips "$insns" "$t_emu")

    table="$table$(printf '%-9s %13s | %8s %8s | %8s %8s | %8s %8s | %8s %8s | %9s %9s %9s' "$name" "$(show "$insns" %d)" \
        "$(show "$t_native" %.4f)" "$(show "$m_native" %.0f)" "$(show "$t_qemu" %.4f)" "$(show "$m_qemu" %.0f)" \
        "$(show "$t_valgrind" %.4f)" "$(show "$m_valgrind" %.0f)" "$(show "$t_emu" %.4f)" "$(show "$m_emu" %.0f)" \
        "$(show "$r_native" %.1fx)" "$(show "$r_qemu" %.1fx)" "$(show "$r_valgrind" %.1fx)")
"
    item=$(printf '{"name": "%s", "instructions": %s, "runs": %s,
      "native": {"seconds": %s, "mips": %s},
      "qemu": {"seconds": %s, "mips": %s},
      "valgrind": {"seconds": %s, "mips": %s},
      "emu": {"seconds": %s, "mips": %s},
      "emu_slowdown_vs_native": %s, "emu_slowdown_vs_qemu": %s, "emu_slowdown_vs_valgrind": %s}' \
        "$name" "$insns" "$runs" "$t_native" "$m_native" "$t_qemu" "$m_qemu" "$t_valgrind" "$m_valgrind" \
        "$t_emu" "$m_emu" "$r_native" "$r_qemu" "$r_valgrind")
    json_items="$json_items${json_items:+,
    }$item"
done

tmp=$out/results.json.tmp
printf '{\n  "host_cpu": "%s",\n  "timing": "hyperfine median of %s runs after 1 warm-up",\n  "programs": [\n    %s\n  ]\n}\n' \
    "$host_cpu" "$runs" "$json_items" > "$tmp"
mv "$tmp" "$out/results.json"

echo
echo "emu benchmarks: seconds are hyperfine medians of $runs runs; MIPS = emu's sim.instructions / seconds"
printf '%-9s %13s | %17s | %17s | %17s | %17s | %s\n' "" "" "native" "qemu-x86_64" "valgrind none" "emu" \
    "emu slowdown vs"
printf '%-9s %13s | %8s %8s | %8s %8s | %8s %8s | %8s %8s | %9s %9s %9s\n' program instructions \
    s MIPS s MIPS s MIPS s MIPS native qemu valgrind
printf '%s' "$table"
echo "(results: $out/results.json)"
