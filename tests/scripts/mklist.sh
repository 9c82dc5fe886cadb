#!/bin/sh
# Write the test_diff case list for the programs in tests/progs: one line per run,
# "BINDIR/NAME ARGS...". A source lists its runs in lines of the form `// ARGS: ...` (an empty one is a
# run without arguments; `<FILE` redirects standard input); a source without such lines runs once
# without arguments.
# Usage: tests/scripts/mklist.sh BINDIR SOURCE.c...
set -eu
bindir=$1
shift
for src in "$@"; do
    name=$(basename "$src" .c)
    if grep -q '^// ARGS:' "$src"; then
        sed -n 's|^// ARGS:[ ]*\(.*\)$|\1|p' "$src" | while IFS= read -r args; do
            echo "$bindir/$name${args:+ $args}"
        done
    else
        echo "$bindir/$name"
    fi
done
