#!/bin/sh
# The visualizer end to end (docs/UI.md): headless pictures and heat export, the same counters with and
# without the UI, the error without a display, and under Xvfb the window: a screenshot of it (xwd) has
# the legend's colours, and it exits cleanly on a quit key (xdotool) and on a quit event (test hook).
# Usage: tests/ui/test_ui.sh EMU PROGRAM WORKDIR
# Prints cmocka-style counts for tests/scripts/run-suite.sh.
set -u
EMU=$1
PROG=$2
WORK=$3
HERE=$(dirname "$0")
rm -rf "$WORK" && mkdir -p "$WORK"
run=0 passed=0 failed=0 skipped=0

ok() { run=$((run + 1)); passed=$((passed + 1)); echo "[       OK ] $1"; }
bad() { run=$((run + 1)); failed=$((failed + 1)); echo "[  FAILED  ] $1: $2"; }
skip() { run=$((run + 1)); skipped=$((skipped + 1)); echo "[  SKIPPED ] $1: $2"; }
is_png() { [ "$(head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

# --- headless -------------------------------------------------------------------------------------------
t=headless_snapshots
env -u DISPLAY -u WAYLAND_DISPLAY "$EMU" run -q --timing=tlb --snapshot="$WORK/end.png" --snapshot-every=3000000 \
    --snapshot-dir="$WORK/snaps" --heat-export="$WORK/heat.txt" -- "$PROG" > "$WORK/headless.out" 2> "$WORK/headless.err"
rc=$?
n=$(ls "$WORK/snaps" 2>/dev/null | grep -c '^snap-[0-9]*\.png$')
if [ $rc -ne 0 ]; then bad $t "exit status $rc: $(tail -3 "$WORK/headless.err")"
elif ! is_png "$WORK/end.png"; then bad $t "no PNG at --snapshot"
elif [ "$n" -lt 3 ]; then bad $t "only $n pictures from --snapshot-every"
elif ! is_png "$WORK/snaps/$(ls "$WORK/snaps" | head -1)"; then bad $t "a --snapshot-every file is not a PNG"
else ok $t; fi

t=heat_export
# Lines "insns start end accesses", some with accesses, addresses increasing within a snapshot.
if awk '!/^#/ { if (NF != 4) bad = 1; if ($4 > 0) hot++; lines++ } END { exit !(lines > 10 && hot > 0 && !bad) }' \
    "$WORK/heat.txt"; then ok $t; else bad $t "unexpected $WORK/heat.txt"; fi

t=pattern_dir
"$EMU" run -q --snapshot-every=5000000 --snapshot-dir="$WORK/pic-%llu.png" -- "$PROG" > /dev/null 2>&1
f=$(ls "$WORK"/pic-*.png 2> /dev/null | head -1)
if [ -n "$f" ] && is_png "$f"; then ok $t; else bad $t "no $WORK/pic-<insns>.png"; fi

t=same_counters
# The UI observes: every counter but the translation-cache refills is the same with and without it.
"$EMU" run -q --timing=tlb --stats="$WORK/plain.json" -- "$PROG" > "$WORK/plain.out" 2>&1
"$EMU" run -q --timing=tlb --stats="$WORK/ui.json" --snapshot-every=1000000 --snapshot-dir="$WORK/snaps2" \
    -- "$PROG" > "$WORK/ui.out" 2>&1
tr ',' '\n' < "$WORK/plain.json" | grep -v 'tc_misses' > "$WORK/plain.txt"
tr ',' '\n' < "$WORK/ui.json" | grep -v 'tc_misses' > "$WORK/ui.txt"
grep -v 'snapshots written' "$WORK/ui.out" > "$WORK/ui.out2"
if cmp -s "$WORK/plain.txt" "$WORK/ui.txt" && cmp -s "$WORK/plain.out" "$WORK/ui.out2"; then ok $t
else bad $t "$(diff "$WORK/plain.txt" "$WORK/ui.txt" | head -5)"; fi

t=no_display
env -u DISPLAY -u WAYLAND_DISPLAY SDL_VIDEODRIVER= "$EMU" run --ui -- "$PROG" > /dev/null 2> "$WORK/nodisp.err"
rc=$?
if [ $rc -eq 125 ] && grep -q -- '--snapshot' "$WORK/nodisp.err"; then ok $t
else bad $t "status $rc, $(cat "$WORK/nodisp.err")"; fi

t=fs_mode_snapshot
"$EMU" run -q --mode=fs --max-instructions=3000000 --snapshot="$WORK/fs.png" > /dev/null 2>&1
if is_png "$WORK/fs.png"; then ok $t; else bad $t "no picture of a full-system run"; fi

# `make run`'s script (scripts/demo.sh) with no display, and with a display that cannot be opened:
# pictures in its folder, their paths printed, exit 0.
t=demo_headless
env -u DISPLAY -u WAYLAND_DISPLAY DEMO_EVERY=3000000 "$HERE/../../scripts/demo.sh" "$EMU" "$PROG" "$WORK/demo" \
    > "$WORK/demo.out" 2> "$WORK/demo.err"
rc=$?
if [ $rc -ne 0 ]; then bad $t "exit status $rc: $(tail -2 "$WORK/demo.err")"
elif ! is_png "$WORK/demo/final.png" || [ "$(ls "$WORK/demo/pictures" | grep -c '\.png$')" -lt 2 ]; then bad $t "pictures missing"
elif ! grep -q "$WORK/demo/final.png" "$WORK/demo.out"; then bad $t "the pictures' paths are not printed"
else ok $t; fi
t=demo_display_unusable
DISPLAY=:7777 DEMO_EVERY=3000000 "$HERE/../../scripts/demo.sh" "$EMU" "$PROG" "$WORK/demo2" > "$WORK/demo2.out" 2>&1
rc=$?
if [ $rc -ne 0 ]; then bad $t "exit status $rc: $(tail -2 "$WORK/demo2.out")"
elif ! is_png "$WORK/demo2/final.png" || ! grep -q "no usable display" "$WORK/demo2.out"; then bad $t "no fallback to pictures"
else ok $t; fi

# --- the window under Xvfb ------------------------------------------------------------------------------
if ! command -v Xvfb > /dev/null || ! command -v xwd > /dev/null; then
    skip window_screenshot "Xvfb or xwd missing (scripts/install-deps.sh installs xvfb and x11-apps)"
    skip window_quit_key "Xvfb missing"
    skip window_quit_hook "Xvfb missing"
else
    d=$(( ( $$ % 400 ) + 100 ))
    Xvfb :$d -screen 0 1600x1000x24 -nolisten tcp > "$WORK/xvfb.log" 2>&1 &
    xpid=$!
    i=0
    while [ $i -lt 50 ] && ! DISPLAY=:$d xdpyinfo > /dev/null 2>&1 && [ ! -e /tmp/.X11-unix/X$d ]; do
        sleep 0.1; i=$((i + 1))
    done
    sleep 0.3
    DISPLAY=:$d "$EMU" run -q --ui --timing=tlb -- "$PROG" > "$WORK/win.out" 2> "$WORK/win.err" &
    epid=$!
    # The window stays open on the final state after the program ends: wait for it, then look.
    i=0
    while [ $i -lt 100 ] && ! grep -q . "$WORK/win.out" 2> /dev/null; do sleep 0.1; i=$((i + 1)); done
    sleep 1
    t=window_screenshot
    DISPLAY=:$d xwd -root -silent > "$WORK/screen.xwd" 2> /dev/null
    # Legend swatches: anon (0x3498db), page table (0xe74c3c), file (0x2ecc71).
    if python3 "$HERE/xwdcheck.py" "$WORK/screen.xwd" 3498db e74c3c 2ecc71 > "$WORK/xwd.txt" 2>&1; then ok $t
    else bad $t "$(cat "$WORK/xwd.txt")"; fi
    t=window_quit_key
    if ! kill -0 $epid 2> /dev/null; then
        bad $t "emu exited before the quit key: $(tail -2 "$WORK/win.err")"
    elif command -v xdotool > /dev/null; then
        for w in $(DISPLAY=:$d xdotool search --name '^emu$' 2> /dev/null); do
            DISPLAY=:$d xdotool windowfocus "$w" key q > /dev/null 2>&1
        done
        i=0
        while [ $i -lt 50 ] && kill -0 $epid 2> /dev/null; do sleep 0.1; i=$((i + 1)); done
        if kill -0 $epid 2> /dev/null; then kill $epid; bad $t "still running 5 s after q"
        else
            wait $epid; rc=$?
            if [ $rc -eq 0 ]; then ok $t; else bad $t "exit status $rc"; fi
        fi
    else
        kill $epid; skip $t "xdotool missing"
    fi
    t=window_quit_hook
    # EMU_UI_TEST_QUIT_AFTER=N: the UI posts a quit event after drawing N frames (docs/UI.md).
    DISPLAY=:$d EMU_UI_TEST_QUIT_AFTER=2 timeout 20 "$EMU" run -q --ui --ui-interval=100000 -- "$PROG" \
        > /dev/null 2> "$WORK/hook.err"
    rc=$?
    if [ $rc -eq 0 ] || { [ $rc -eq 124 ] && grep -q 'stopped from the visualizer' "$WORK/hook.err"; }; then ok $t
    else bad $t "exit status $rc: $(tail -2 "$WORK/hook.err")"; fi
    kill $xpid 2> /dev/null
    wait $xpid 2> /dev/null
fi

echo "[==========] $run test(s) run."
echo "[  PASSED  ] $passed test(s)."
[ $failed -gt 0 ] && echo "[  FAILED  ] $failed test(s), listed above"
[ $skipped -gt 0 ] && echo "[  SKIPPED ] $skipped test(s)."
[ $failed -eq 0 ]
