#!/bin/sh
# Benchmarks (never tests): time each program natively, under qemu-x86_64 (user mode, a JIT), under
# valgrind --tool=none (a peer that also decodes every instruction) and under emu, in the same run,
# with hyperfine (median of --runs runs after one warm-up). The instruction count is emu's
# sim.instructions, used for every column's MIPS.
# The same hyperfine run also times emu --timing=tlb (translation timing: TLBs, paging-structure
# caches, walks) and valgrind --tool=cachegrind (a peer that models caches; a fixed Skylake-like
# I1/D1/LL so that the host does not change its work), for a second table: the cost of translation
# timing over the functional speed (issue 4's goal: at most 30%) and emu --timing=tlb against
# cachegrind. The load average is printed before and after: other work on the machine skews both.
# Prints the tables and writes OUT/results.json (plus hyperfine's own JSON per program).
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
host_cpus=$(nproc 2>/dev/null || echo '?')
loadavg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '? ? ?'; }
load_before=$(loadavg)
json_items=""
table=""
table2=""
table3=""
bench_progs="$*" # the loop below reuses the positional parameters
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
        set -- "$@" -n cachegrind "valgrind --tool=cachegrind --I1=32768,8,64 --D1=32768,8,64 --LL=8388608,16,64 --cachegrind-out-file=/dev/null -q $prog"
        cols="$cols cachegrind"
    fi
    if [ "$emu_ok" = 1 ]; then
        set -- "$@" -n emu "$emu run --mode=se -q --stats=$out/$name.stats-timed.json -- $prog"
        cols="$cols emu"
        set -- "$@" -n emu-tlb "$emu run --mode=se -q --timing=tlb --stats=$out/$name.stats-tlb.json -- $prog"
        cols="$cols emu_tlb"
        set -- "$@" -n emu-full "$emu run --mode=se -q --timing=full --stats=$out/$name.stats-full.json -- $prog"
        cols="$cols emu_full"
    fi
    hf=$out/$name.hyperfine.json
    hyperfine -N --style basic --runs "$runs" --warmup 1 --export-json "$hf" "$@" >&2

    t_native=null t_qemu=null t_valgrind=null t_cachegrind=null t_emu=null t_emu_tlb=null t_emu_full=null
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
    m_emu_tlb=$(mips "$insns" "$t_emu_tlb")
    m_cachegrind=$(mips "$insns" "$t_cachegrind")
    # translation timing: overhead over --timing=off in %, and emu tlb's time over cachegrind's
    ovh=$(awk -v a="$t_emu_tlb" -v b="$t_emu" 'BEGIN { if (a == "null" || b == "null" || b + 0 == 0) print "null"; else printf "%.1f\n", (a / b - 1) * 100 }')
    r_cg=$(div "$t_emu_tlb" "$t_cachegrind")
    m_emu_full=$(mips "$insns" "$t_emu_full")
    r_full_cg=$(div "$t_emu_full" "$t_cachegrind")
    table3="$table3$(printf '%-9s %13s | %8s %8s | %8s %8s | %8s %8s | %9s' "$name" "$(show "$insns" %d)" \
        "$(show "$t_emu_full" %.4f)" "$(show "$m_emu_full" %.0f)" "$(show "$t_cachegrind" %.4f)" \
        "$(show "$m_cachegrind" %.0f)" "$(show "$t_native" %.4f)" "$(show "$m_native" %.0f)" "$(show "$r_full_cg" %.2fx)")
"
    walks=null
    if [ -f "$out/$name.stats-tlb.json" ]; then
        walks=$(sed -n 's/.*"cpu0\.walks"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$out/$name.stats-tlb.json" | head -n 1)
        walks=${walks:-null}
    fi
    table2="$table2$(printf '%-9s %13s %11s | %8s %8s | %8s %8s | %8s | %8s %8s | %9s' "$name" "$(show "$insns" %d)" \
        "$(show "$walks" %d)" "$(show "$t_emu" %.4f)" "$(show "$m_emu" %.0f)" "$(show "$t_emu_tlb" %.4f)" \
        "$(show "$m_emu_tlb" %.0f)" "$(show "$ovh" %+.1f%%)" "$(show "$t_cachegrind" %.4f)" \
        "$(show "$m_cachegrind" %.0f)" "$(show "$r_cg" %.2fx)")
"

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
      "emu_slowdown_vs_native": %s, "emu_slowdown_vs_qemu": %s, "emu_slowdown_vs_valgrind": %s,
      "cachegrind": {"seconds": %s, "mips": %s},
      "emu_timing_tlb": {"seconds": %s, "mips": %s, "walks": %s},
      "timing_tlb_overhead_percent": %s, "emu_timing_tlb_vs_cachegrind": %s,
      "emu_timing_full": {"seconds": %s, "mips": %s}, "emu_timing_full_vs_cachegrind": %s}' \
        "$name" "$insns" "$runs" "$t_native" "$m_native" "$t_qemu" "$m_qemu" "$t_valgrind" "$m_valgrind" \
        "$t_emu" "$m_emu" "$r_native" "$r_qemu" "$r_valgrind" "$t_cachegrind" "$m_cachegrind" \
        "$t_emu_tlb" "$m_emu_tlb" "$walks" "$ovh" "$r_cg" "$t_emu_full" "$m_emu_full" "$r_full_cg")
    json_items="$json_items${json_items:+,
    }$item"
done

load_after=$(loadavg)
tmp=$out/results.json.tmp
printf '{\n  "host_cpu": "%s",\n  "host_cpus": "%s",\n  "load_average_before": "%s",\n  "load_average_after": "%s",\n  "timing": "hyperfine median of %s runs after 1 warm-up",\n  "programs": [\n    %s\n  ]\n}\n' \
    "$host_cpu" "$host_cpus" "$load_before" "$load_after" "$runs" "$json_items" > "$tmp"
mv "$tmp" "$out/results.json"

echo
echo "emu benchmarks: seconds are hyperfine medians of $runs runs; MIPS = emu's sim.instructions / seconds"
printf '%-9s %13s | %17s | %17s | %17s | %17s | %s\n' "" "" "native" "qemu-x86_64" "valgrind none" "emu" \
    "emu slowdown vs"
printf '%-9s %13s | %8s %8s | %8s %8s | %8s %8s | %8s %8s | %9s %9s %9s\n' program instructions \
    s MIPS s MIPS s MIPS s MIPS native qemu valgrind
printf '%s' "$table"
echo
echo "translation timing: emu --timing=tlb against --timing=off (issue 4: overhead at most +30%) and cachegrind"
printf '%-9s %13s %11s | %17s | %17s | %8s | %17s | %s\n' "" "" "" "emu timing=off" "emu timing=tlb" "tlb" \
    "cachegrind" "emu tlb"
printf '%-9s %13s %11s | %8s %8s | %8s %8s | %8s | %8s %8s | %9s\n' program instructions "page walks" \
    s MIPS s MIPS overhead s MIPS "/ cg time"
printf '%s' "$table2"
echo
echo "full timing: emu --timing=full (caches, MESI, DRAM) against cachegrind (issue 5 goal: >= 50 MIPS on compute)"
printf '%-9s %13s | %17s | %17s | %17s | %s\n' "" "" "emu timing=full" "cachegrind" "native" "emu full"
printf '%-9s %13s | %8s %8s | %8s %8s | %8s %8s | %9s\n' program instructions s MIPS s MIPS s MIPS "/ cg time"
printf '%s' "$table3"
# The visualizer (docs/UI.md): the same run with headless snapshots (a PNG every N instructions, drawn
# and compressed by the UI's writer thread) and with the heat export, as time ratios against the run
# without UI; and with a display, the window at its default refresh (issue 8's goal: at most 10% slower).
ui_every=${BENCH_UI_EVERY:-50000000}
ui_prog=${bench_progs%% *}
for p in $bench_progs; do case $p in */memory) ui_prog=$p ;; esac; done
ui_dir=$out/ui-snaps
rm -rf "$ui_dir"
hyperfine -N --style basic --runs "$runs" --warmup 1 --export-json "$out/ui.hyperfine.json" \
    -n no-ui "$emu run -q --timing=tlb -- $ui_prog" \
    -n snapshots "$emu run -q --timing=tlb --snapshot-every=$ui_every --snapshot-dir=$ui_dir -- $ui_prog" \
    -n heat-export "$emu run -q --timing=tlb --heat-export=$out/ui-heat.txt --ui-interval=$ui_every -- $ui_prog" >&2
ui_t=$(grep '"median"' "$out/ui.hyperfine.json" | sed 's/.*: *\([0-9.eE+-]*\).*/\1/' | tr '\n' ' ')
ui_n=$(ls "$ui_dir" 2> /dev/null | wc -l)
echo
echo "visualizer: $(basename "$ui_prog") --timing=tlb, a PNG snapshot every $ui_every instructions ($ui_n pictures)"
echo "$ui_t" | awk '{ printf "  no UI %.4f s; snapshots %.4f s (x%.3f, %+.1f%%); heat export %.4f s (x%.3f, %+.1f%%)\n", $1, $2, $2 / $1, ($2 / $1 - 1) * 100, $3, $3 / $1, ($3 / $1 - 1) * 100 }'
# EMU_UI_TEST_CLOSE_AT_END: the window closes when the run ends instead of waiting for the user.
ui_win=125
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    EMU_UI_TEST_CLOSE_AT_END=1 $emu run -q --ui --max-instructions=1000 -- "$ui_prog" > /dev/null 2>&1
    ui_win=$? # 125: no usable display (124: the instruction limit, as asked)
fi
if [ $ui_win -ne 125 ]; then
    EMU_UI_TEST_CLOSE_AT_END=1 hyperfine -N --style basic --runs "$runs" --warmup 1 \
        --export-json "$out/ui-window.hyperfine.json" \
        -n no-ui "$emu run -q --timing=tlb -- $ui_prog" \
        -n window "$emu run -q --ui --timing=tlb -- $ui_prog" >&2
    grep '"median"' "$out/ui-window.hyperfine.json" | sed 's/.*: *\([0-9.eE+-]*\).*/\1/' | tr '\n' ' ' |
        awk '{ printf "  window (default refresh, display %s): no UI %.4f s; window %.4f s (x%.3f, %+.1f%%)\n", disp, $1, $2, $2 / $1, ($2 / $1 - 1) * 100 }' disp="${DISPLAY:-$WAYLAND_DISPLAY}"
else
    echo "  window: not measured (no display; under Xvfb: xvfb-run make bench)"
fi
echo "host: $host_cpu, $host_cpus CPUs; load average $load_before before, $load_after after (other work skews the figures)"
echo "(results: $out/results.json)"
