#!/bin/sh
# `make run`: the demo (docs/UI.md, "The demo"). Runs demos/memdemo (allocators and TLBs at work) on
# the default machine with the TLBs modelled. With a display (DISPLAY or WAYLAND_DISPLAY set, and SDL
# can open a window) the visualizer's window shows it live and stays on the final state until you
# quit (q); without one, pictures are written to OUT (default build/demo): a PNG every 20 million
# instructions, the final picture and the heat export, and the paths are printed.
# Usage: scripts/demo.sh EMU PROGRAM [OUT]
set -u
EMU=$1
PROG=$2
OUT=${3:-build/demo}
EVERY=${DEMO_EVERY:-20000000}
mkdir -p "$OUT"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    echo "emu demo: opening the visualizer's window (keys: space pause, h heat, z/x zoom, ? help, q quit)"
    "$EMU" run --timing=tlb --ui -- "$PROG" 2> "$OUT/window.err"
    st=$?
    if [ $st -ne 125 ] || ! grep -q -e "--ui needs a display" -e "cannot open a window" "$OUT/window.err"; then
        cat "$OUT/window.err" >&2
        exit $st
    fi
    echo "emu demo: no usable display ($(sed -n 's/^emu: //p' "$OUT/window.err" | head -n 1 | cut -c1-80)...); writing pictures instead"
fi
rm -rf "$OUT/pictures"
"$EMU" run --timing=tlb --snapshot-every="$EVERY" --snapshot-dir="$OUT/pictures" --snapshot="$OUT/final.png" \
    --heat-export="$OUT/heat.txt" -- "$PROG"
st=$?
n=$(ls "$OUT/pictures" 2> /dev/null | grep -c '\.png$')
echo
echo "emu demo: no display, so no window; the visualizer drew the run instead:"
printf "  %-36s %s\n" "$OUT/final.png" "the machine at the end of the run"
printf "  %-36s %s\n" "$OUT/pictures/snap-*.png" "$n pictures, one every $EVERY instructions"
printf "  %-36s %s\n" "$OUT/heat.txt" "access heat per region and interval (gnuplot: docs/UI.md)"
echo "With a display, \`make run\` opens the live window instead (build/emu run --ui -- PROGRAM)."
exit $st
