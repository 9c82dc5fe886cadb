#!/bin/sh
# Differential fuzzing with csmith: generate N random programs, keep those that run natively in under
# 2 s with the same output twice, then run each natively and under the emulator (tests/diff/test_diff).
# The sources of failing seeds are kept in OUT/fail/ with a script that reproduces the comparison.
#
# Usage: scripts/fuzz.sh [--emu PATH] [--seeds N] [--seed-base S] [--out DIR] [--harness PATH] [--jobs J]
#   --seeds N       how many seeds (default 300)
#   --seed-base S   first seed (default: random, printed); seeds are S, S+1, ..., S+N-1
#   --out DIR       work folder (default build/fuzz)
#   --harness PATH  the test_diff program (default build/tests/diff/test_diff)
# `make fuzz SEEDS=N SEED_BASE=S` calls this. Exit status 1 when a program differs.
set -eu

emu=build/emu
seeds=300
base=""
out=build/fuzz
harness=build/tests/diff/test_diff
jobs=$(nproc 2>/dev/null || echo 2)
csmith_inc=${CSMITH_INC:-/usr/include/csmith}

while [ $# -gt 0 ]; do
    case $1 in
    --emu) emu=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --seed-base) base=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --harness) harness=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
if [ -z "$base" ]; then
    # csmith takes 32-bit seeds; keep room for N more
    base=$(( $(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % 4000000000 ))
fi
for tool in csmith musl-gcc "$emu" "$harness"; do
    if ! command -v "$tool" > /dev/null 2>&1 && [ ! -x "$tool" ]; then
        echo "fuzz.sh: $tool is missing (make deps; make)" >&2
        exit 2
    fi
done

last=$((base + seeds - 1))
run=$out/run-$base
mkdir -p "$run/src" "$run/bin" "$out/fail"
echo "fuzz: csmith $(csmith --version 2>/dev/null | head -n 1 | sed 's/^csmith //'), seeds $base..$last, in $run"

# Generate, build and screen in parallel. A seed is kept when its program exits 0 natively within 2 s
# and prints the same thing twice.
export run csmith_inc
# shellcheck disable=SC2016 # the inner script expands its own variables
seq "$base" "$last" | xargs -P "$jobs" -I{} sh -c '
    s={}
    src=$run/src/$s.c bin=$run/bin/$s
    csmith --seed "$s" > "$src" 2>/dev/null || exit 0
    musl-gcc -static -O2 -w -I"$csmith_inc" -o "$bin" "$src" 2>/dev/null || { echo "$s" >> "$run/nobuild"; exit 0; }
    if timeout 2 "$bin" 1 > "$run/bin/$s.out1" 2>&1 && timeout 2 "$bin" 1 > "$run/bin/$s.out2" 2>&1 &&
        cmp -s "$run/bin/$s.out1" "$run/bin/$s.out2"; then
        echo "$s" >> "$run/usable"
    fi
    rm -f "$run/bin/$s.out1" "$run/bin/$s.out2"
' || true

touch "$run/usable"
sort -n "$run/usable" | sed "s|.*|$run/bin/& 1|" > "$run/list"
usable=$(wc -l < "$run/list" | tr -d ' ')
nobuild=$( [ -f "$run/nobuild" ] && wc -l < "$run/nobuild" | tr -d ' ' || echo 0)
echo "fuzz: $usable of $seeds programs usable ($nobuild did not build; the rest were slow or not deterministic)"
if [ "$usable" -eq 0 ]; then
    exit 0
fi

rm -f "$run/failures"
status=0
"$harness" --emu "$emu" --group fuzz --fail-list "$run/failures" --list "$run/list" || status=$?

failed=0
if [ -s "$run/failures" ]; then
    # each line: NAME<TAB>BIN 1
    while IFS="$(printf '\t')" read -r name _; do
        s=${name%% *}
        cp "$run/src/$s.c" "$out/fail/$s.c"
        cat > "$out/fail/$s.sh" <<EOF
#!/bin/sh
# csmith seed $s differs between native and emu ($(date -u +%Y-%m-%d)). Run from the repository root.
# $s.c is \`csmith --seed $s\` of csmith $(csmith --version 2>/dev/null | head -n 1 | sed 's/^csmith //').
set -u
musl-gcc -static -O2 -w -I$csmith_inc -o /tmp/emu-fuzz-$s $out/fail/$s.c
/tmp/emu-fuzz-$s 1 > /tmp/emu-fuzz-$s.native 2>&1; echo "native status \$?"
$emu run --mode=se -q -- /tmp/emu-fuzz-$s 1 > /tmp/emu-fuzz-$s.emu 2>&1; echo "emu status \$?"
diff /tmp/emu-fuzz-$s.native /tmp/emu-fuzz-$s.emu | head -20
EOF
        chmod +x "$out/fail/$s.sh"
        failed=$((failed + 1))
    done < "$run/failures"
fi
if [ "$failed" -ne 0 ]; then
    echo "fuzz: seeds $base..$last: $usable run, $failed differ (sources and repro scripts in $out/fail/)"
else
    echo "fuzz: seeds $base..$last: $usable run, none differ"
fi
if [ "$failed" -ne 0 ] || [ "$status" -ne 0 ]; then
    exit 1
fi
# Keep the work folder small: the sources of passing seeds can be regenerated from their seed.
rm -rf "$run"
