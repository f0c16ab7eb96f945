#!/bin/sh
# shim-hide.sh - the shim is invisible inside the program (issue #16,
# libratmem-preload(7) "WHAT THE PROGRAM CAN SEE"): descriptor listings
# equal to the bare run's (also with fd 0, 1 or 2 closed at start, after a
# report, a heap dump, fork and exec), the program's own files untouched by
# stack capture through code without unwind information, errno kept across
# the interposed calls, no report written into a file the program opened
# in place of a closed stderr.
. "${top_srcdir:-.}/tests/lib.sh"

# fds NAME REDIR: hide_fds's listings, bare and under the shim, with the
# redirection REDIR (closing 0, 1 or 2) applied; output on fd 9.
fds() {
    name=$1 redir=$2
    for how in bare shim; do
        pre=
        [ $how = shim ] && pre="env LD_PRELOAD=$SHIM"
        rm -f "$TMP/leak.txt" "$TMP/dump.json"
        HIDE_REPORT="$TMP/leak.txt" HIDE_DUMP="$TMP/dump.json" \
            RATMEM_OPTIONS="report=$TMP/exit.%p" \
            sh -c "exec $pre \"\$0\" start report dump fork exec 9>\"$TMP/$how.fds\" $redir" \
            "$PROG/hide_fds" 2>"$TMP/$how.err"
        echo "exit $?" >>"$TMP/$how.fds"
    done
    if ! grep -q '^start:' "$TMP/bare.fds" || ! grep -q '^exit 0' "$TMP/bare.fds"; then
        fail "fds $name: bare run gave no listing"; cat "$TMP/bare.fds" "$TMP/bare.err"
    elif cmp -s "$TMP/bare.fds" "$TMP/shim.fds"; then
        pass "fds $name: listings equal to bare at start, after a report, a dump, fork and exec"
    else
        fail "fds $name: listings differ under the shim"; diff "$TMP/bare.fds" "$TMP/shim.fds" | sed 's/^/    /'
    fi
}
fds "(0, 1, 2 open)" ""
fds "(fd 0 closed)" "<&-"
fds "(fd 1 closed)" ">&-"
fds "(fd 2 closed)" "2>&-"
# The same through the launcher (its run directory records each process).
"$PROG/hide_fds" start fork exec 9>"$TMP/l.bare"
"$top_builddir/tools/ratmem" -- "$PROG/hide_fds" start fork exec 9>"$TMP/l.shim" 2>/dev/null
grep -q '^start:' "$TMP/l.bare" && cmp -s "$TMP/l.bare" "$TMP/l.shim" &&
    pass "fds under the ratmem launcher: listings equal to bare" ||
    { fail "fds under the launcher differ"; diff "$TMP/l.bare" "$TMP/l.shim" | sed 's/^/    /'; }
[ -s "$TMP/leak.txt" ] && grep -q 'leak of 48 byte' "$TMP/leak.txt" &&
    pass "the report was written (RatLeakReport)" || fail "no report in $TMP/leak.txt"
[ -s "$TMP/dump.json" ] && pass "the heap dump was written" || fail "no heap dump"

# A program started with fd 2 closed opens a file of its own (it gets 2):
# neither RatLeakReport(NULL) nor the exit report goes into it.
HIDE_OWN="$TMP/own" sh -c "exec \"\$0\" own 9>\"$TMP/own.bare\" 2>&-" "$PROG/hide_fds"
for leaks in 1 0; do
    HIDE_OWN="$TMP/own" RATMEM_OPTIONS="leaks=$leaks" \
        sh -c "exec env LD_PRELOAD=$SHIM \"\$0\" own 9>\"$TMP/own.fds\" 2>&-" "$PROG/hide_fds"
    rc=$?
    if [ $rc = 0 ] && [ "$(cat "$TMP/own")" = mine ] && grep -q '^own: 0 1 2 ' "$TMP/own.bare" &&
        cmp -s "$TMP/own.bare" "$TMP/own.fds"; then
        pass "stderr closed at start (leaks=$leaks): the program's fd 2 holds only what it wrote"
    else
        fail "stderr closed at start (leaks=$leaks): exit $rc, its file holds:"; head -c 300 "$TMP/own" | sed 's/^/    /'; cat "$TMP/own.fds"
    fi
done

# Closes 3..1023, opens two files, allocates through a frame without unwind
# information (libunwind's fallback validates addresses there).
for fu in 1 0; do
    mkdir -p "$TMP/reuse$fu"
    RATMEM_OPTIONS="fast_unwind=$fu:report=$TMP/reuse$fu/report" shim "$PROG/hide_reuse" "$TMP/reuse$fu" \
        >"$TMP/reuse.out" 2>"$TMP/reuse.err"
    rc=$?
    if [ $rc = 0 ] && grep -qx 'fds: 3 4' "$TMP/reuse.out" && grep -qx 'files ok' "$TMP/reuse.out" &&
        grep -q 'SUMMARY' "$TMP/reuse$fu/report"; then
        pass "closefrom(3) + two files + JIT-frame allocations (fast_unwind=$fu): files intact"
    else
        fail "reuse (fast_unwind=$fu): exit $rc"; cat "$TMP/reuse.out" "$TMP/reuse.err" | head -20 | sed 's/^/    /'
    fi
done

compare "errno kept across successful interposed calls" "$PROG/hide_errno"
# (A call the machine lacks, as pkey_mprotect without the system call,
# fails bare and under the shim alike.)
if grep -q 'kept' "$TMP/bare.out" && ! grep -q 'errno=' "$TMP/shim.out"; then
    pass "errno: every call that succeeded kept it under the shim"
else
    fail "errno: under the shim:"; grep -v 'kept$' "$TMP/shim.out" | sed 's/^/    /'
fi

# No thread, no signal handler, no changed signal mask, rlimits and
# environment as they were.
"$PROG/hide_fds" status 9>"$TMP/st.bare"
RATMEM_OPTIONS=leaks=1 shim "$PROG/hide_fds" status 9>"$TMP/st.shim" 2>/dev/null
if grep -q '^Threads:' "$TMP/st.bare" && cmp -s "$TMP/st.bare" "$TMP/st.shim"; then
    pass "threads, signal masks and handlers, rlimits, environment: as bare"
else
    fail "status differs"; diff "$TMP/st.bare" "$TMP/st.shim" | sed 's/^/    /'
fi
finish
