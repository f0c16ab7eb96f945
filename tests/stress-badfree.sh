#!/bin/sh
# stress-badfree.sh - free() and realloc() of pointers that are not live
# blocks.  With leaks=1 each is refused with one line naming the caller,
# kept from glibc, and the program goes on; valid frees of blocks from
# before main, other threads, realloc and memalign are not flagged, nor are
# real programs' frees.  With leaks=0 glibc's own checks apply (they abort).
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/stress-lib.sh"
P="$PROG/stress_badfree"
J="leaks=1:format=json:report=$TMP/rep.json"

for spec in "stack:free:bad_free_stack:1" "middle:free:bad_free_middle:1" "wild:free:bad_free_wild:1" \
            "double:free:bad_free_double:1" "realloc:realloc:bad_realloc:2"; do
    IFS=: read -r case what func n <<EOF2
$spec
EOF2
    name="invalid $what ($case), leaks=1"
    srun "$name" 60 "$J" "$P" $case || continue
    done_ok "$name" || continue
    lines=$(grep -c "^ratmem: $what(0x[0-9a-f]*): not a live block.* from $func (.*stress_badfree+0x[0-9a-f]*)$" "$TMP/err")
    if [ "$lines" != "$n" ]; then
        fail "$name: $lines matching line(s) on stderr, expected $n"; sed 's/^/    stderr: /' "$TMP/err" | head -5
        continue
    fi
    report_ok "$name" "$TMP/rep.json" invalid_frees=$n direct_blocks=0
done

name="valid frees are not flagged"
if srun "$name" 60 "$J" "$P" good && done_ok "$name"; then
    if grep -q 'not a live block' "$TMP/err"; then fail "$name"; head -3 "$TMP/err"
    else report_ok "$name" "$TMP/rep.json" invalid_frees=0; fi
fi

# Real programs: no false alarm from what the loader, libc and the
# program's libraries allocate before and around the shim's start-up.
for cmd in "sh -c exit" "python3 -c pass" "perl -e 1" "sort /etc/passwd"; do
    set -- $cmd
    command -v "$1" >/dev/null 2>&1 || continue
    name="no false alarm: $cmd"
    srun "$name" 60 "leaks=1:report=$TMP/rep.txt" sh -c "$cmd >/dev/null" || continue
    if grep -q 'not a live block' "$TMP/err"; then fail "$name"; head -3 "$TMP/err"
    elif [ "$rc" != 0 ]; then fail "$name: exit $rc"
    else pass "$name"; fi
done

# leaks=0: no live set, glibc's checks apply: a double free aborts, as bare.
ulimit -c 0
for case in double middle; do
    timeout 30 "$P" $case >/dev/null 2>&1; bare=$?
    srun "leaks=0 $case" 30 "leaks=0" "$P" $case || continue
    if [ "$rc" = "$bare" ] && [ "$bare" != 0 ]; then pass "leaks=0: $case stops as bare glibc does (status $rc)"
    else fail "leaks=0: $case: status $rc under the shim, $bare bare"; fi
done
finish
