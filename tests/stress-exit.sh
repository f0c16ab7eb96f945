#!/bin/sh
# stress-exit.sh - exit() while other threads still allocate and free: no
# crash, no hang, a report appears, the exit status is kept.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/stress-lib.sh"

for i in 1 2 3; do
    for fmt in json text; do
        name="exit while 4 threads allocate, run $i, $fmt"
        rm -f "$TMP/rep"
        srun "$name" 60 "leaks=1:format=$fmt:report=$TMP/rep" "$PROG/stress_exit" 4 || continue
        if [ "$rc" != 7 ] || [ "$(cat "$TMP/out")" != done ]; then
            fail "$name: exit $rc (expected 7)"; sed 's/^/    stderr: /' "$TMP/err" | head -5; continue
        fi
        if [ $fmt = json ]; then
            report_ok "$name" "$TMP/rep" "direct_blocks>=0"
        elif grep -q '^SUMMARY: ratmem:\|^ratmem: no leaks' "$TMP/rep"; then
            pass "$name"
        else
            fail "$name: no report"; head -5 "$TMP/rep"
        fi
    done
done
finish
