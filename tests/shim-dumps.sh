#!/bin/sh
# shim-dumps.sh - heap dumps of tests/prog/dumper.c under the shim: by
# RatHeapDump and by dump_signal (raised by the program, sent by the shell
# through the ratmem launcher, in a fork child, with the program's own
# handler, while threads allocate); exact live groups of the known sites in
# JSON and text; ratmem diff names the growing site first.
. "${top_srcdir:-.}/tests/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: no python3 to check the JSON"; exit 77; }
CHECK="python3 $top_srcdir/tests/dumpcheck.py"
RATMEM="$top_builddir/tools/ratmem"
D1="grow_site=1000/10 stable_site=320/5"
D2="grow_site=3000/30 stable_site=320/5"

# run NAME OPTIONS MODE ARG: dumper under the shim; it must print "done".
run() {
    name=$1
    out=$(RATMEM_OPTIONS="$2" timeout 120 env LD_PRELOAD="$SHIM" "$PROG/dumper" "$3" "$4" 2>"$TMP/err"); rc=$?
    if [ $rc = 0 ] && [ "$(echo "$out" | tail -1)" = done ]; then return 0; fi
    fail "$name: exit $rc, output '$out'"; head -5 "$TMP/err"; return 1
}
check() {  # check NAME FILE CHECK...
    name=$1 file=$2; shift 2
    if msg=$($CHECK "$file" "$@"); then pass "$name"; else fail "$name"; echo "$msg" | sed 's/^/    /'; fi
}
# diffcheck NAME OLD NEW: ratmem diff lists grow_site first, +2000 bytes in +20.
diffcheck() {
    "$RATMEM" diff "$2" "$3" >"$TMP/diff" 2>"$TMP/differr"; rc=$?
    first=$(grep -n '^[+]' "$TMP/diff" | head -1)
    if [ $rc = 0 ] && echo "$first" | grep -q ':+2000 byte(s), +20 object(s): 1000 -> 3000 byte(s) in 10 -> 30 object(s) allocated from:$' \
        && sed -n "$(( ${first%%:*} + 1 ))p" "$TMP/diff" | grep -q ' in grow_site ' \
        && ! grep -A1 '^[+]' "$TMP/diff" | grep -q '#0 .* in stable_site '; then
        pass "$1"
    else
        fail "$1 (exit $rc)"; head -20 "$TMP/diff"; cat "$TMP/differr"
    fi
}

# 1. RatHeapDump, JSON; a symbolic link at the path is replaced, not followed.
ln -s "$TMP/victim" "$TMP/api.1.json"
if run "RatHeapDump" "format=json" api "$TMP"; then
    check "RatHeapDump: dump 1, exact live groups" "$TMP/api.1.json" $D1 sequence=1
    check "RatHeapDump: dump 2, exact live groups" "$TMP/api.2.json" $D2 sequence=2
    [ ! -e "$TMP/victim" ] && [ -f "$TMP/api.1.json" ] && [ ! -L "$TMP/api.1.json" ] \
        && pass "a symbolic link at the dump path is not followed" || fail "symbolic link followed"
    [ "$(stat -c %a "$TMP/api.2.json")" = 600 ] && pass "dump file mode 0600" || fail "dump file mode"
    ls "$TMP" | grep -q '\.tmp$' && fail "a temporary file was left behind" || pass "no temporary file left"
    grep -q "^ratmem: cannot create heap dump file $TMP/no/such/dir/d.json.tmp: No such file or directory$" "$TMP/err" \
        && pass "a dump into a missing directory: RAT_STATUS_NOT_FOUND and one line on stderr" \
        || { fail "missing directory message"; cat "$TMP/err"; }
    diffcheck "ratmem diff: the growing site first, +2000 bytes" "$TMP/api.1.json" "$TMP/api.2.json"
fi

# 2. A dump path ending in .json is JSON whatever the format; text
#    format for other names (here dump_signal, sent from the shell).
mkdir "$TMP/text"
if run "RatHeapDump, format=text, .json names" "format=text" api "$TMP/text"; then
    check "format=text, a .json name: the dump is JSON" "$TMP/text/api.2.json" $D2 sequence=2
fi
RATMEM_OPTIONS="format=text:dump_signal=USR2:dump=$TMP/text/w.txt" env LD_PRELOAD="$SHIM" \
    "$PROG/dumper" wait "$TMP/text/w.txt.1" >"$TMP/wait.out" 2>&1 &
pid=$!
i=0; while [ ! -e "$TMP/text/w.txt.1.ready" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
kill -USR2 $pid
if wait $pid && grep -qx done "$TMP/wait.out"; then
    f="$TMP/text/w.txt.1"
    grep -A1 '^Live: 1000 byte(s) in 10 object(s) allocated from:$' "$f" | grep -q '^    #0 0x[0-9a-f]* in grow_site ' \
        && grep -A1 '^Live: 320 byte(s) in 5 object(s) allocated from:$' "$f" | grep -q ' in stable_site ' \
        && grep -q '^==[0-9]*==ratmem: heap dump 1 at 20[0-9-]*T[0-9:.]*Z$' "$f" \
        && grep -q '^SUMMARY: ratmem: heap dump 1: [0-9]* byte(s) live in [0-9]* allocation(s)\.$' "$f" \
        && pass "text dump: Live headers, frames, summary" || { fail "text dump"; cat "$f"; }
else
    fail "text dump by signal: exit status"; cat "$TMP/wait.out"
fi

# 3. dump_signal=USR2 raised by the program; the dump= template with %n.
if run "dump_signal, raised" "format=json:dump_signal=USR2:dump=$TMP/sig.%n.json" signal "$TMP"; then
    check "signal: dump 1, exact live groups" "$TMP/sig.1.json" $D1 sequence=1
    check "signal: dump 2, exact live groups" "$TMP/sig.2.json" $D2 sequence=2
    diffcheck "ratmem diff of signal dumps" "$TMP/sig.1.json" "$TMP/sig.2.json"
fi

# 4. kill -USR2 from the shell to the launcher, which forwards it (--dump-signal SIG,
#    --dump without %n: ".1" appended).
rm -f "$TMP/w.json"*
"$RATMEM" --preload="$SHIM" --json --dump-signal USR2 --dump="$TMP/w.json" -- "$PROG/dumper" wait "$TMP/w.json.1" \
    >"$TMP/wait.out" 2>&1 &
pid=$!
i=0; while [ ! -e "$TMP/w.json.1.ready" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
kill -USR2 $pid
wait $pid; rc=$?
if [ $rc = 0 ] && grep -qx done "$TMP/wait.out"; then
    check "kill -USR2 to the launcher reaches the program: dump 1" "$TMP/w.json.1" $D1 sequence=1
else
    fail "kill -USR2 from the shell: exit $rc"; cat "$TMP/wait.out"
fi

# 5. A fork child dumps to its own %p file, numbered from 1.
mkdir "$TMP/fork"
if run "dump_signal and fork" "format=json:dump_signal=USR2:dump=$TMP/fork/f.%p.%n.json" fork "$TMP/fork"; then
    set -- $(echo "$out" | sed -n 's/^child \([0-9]*\) parent \([0-9]*\)$/\1 \2/p')
    if [ $# = 2 ]; then
        check "fork: the child's dump" "$TMP/fork/f.$1.1.json" $D1 child_site=77/1 sequence=1 pid=$1
        check "fork: the parent's dump" "$TMP/fork/f.$2.1.json" $D1 child_site=0/0 sequence=1 pid=$2
        [ "$(ls "$TMP/fork" | wc -l)" = 2 ] && pass "fork: two dumps, no other" || { fail "fork: files"; ls "$TMP/fork"; }
    else
        fail "fork: no pids in '$out'"
    fi
fi

# 6. The program's own SIGUSR2 handler wins: no dump from its signals;
#    putting back the action it found (ratmem's) makes the signal dump again.
mkdir "$TMP/own"
if run "the program's own handler" "format=json:dump_signal=USR2:dump=$TMP/own/o.%n.json" own "$TMP/own"; then
    [ "$(ls "$TMP/own" | tr '\n' ' ')" = "o.1.json o.2.json " ] \
        && pass "own handler: the program's handler wins; its signals make no dump" \
        || { fail "own handler: files"; ls "$TMP/own"; }
    check "own handler put back: the signal dumps again (dump 1)" "$TMP/own/o.1.json" sequence=1
    check "own handler: RatHeapDump(NULL) is dump 2" "$TMP/own/o.2.json" sequence=2
fi

# 7. Dumps while four threads allocate and free: no hang (timeout), valid.
mkdir "$TMP/thr"
if run "dumps while threads allocate" "format=json:dump_signal=USR2:dump=$TMP/thr/t.%n.json" threads "$TMP/thr"; then
    check "threads: the last dump" "$TMP/thr/t.20.json" sequence=20
    pass "20 dumps while threads allocate"
fi

# 8. The shim's dump thread does not keep alive a process whose threads
#    all ended with pthread_exit; its exit report is written.
if run "main ends with pthread_exit" "format=json:dump_signal=USR2:report=$TMP/last.json" lastexit "$TMP"; then
    [ -s "$TMP/last.json" ] && pass "pthread_exit everywhere: the process ends, status 0, report written" \
        || fail "pthread_exit everywhere: no exit report"
fi

# 9. Two requests back to back, then every block freed and exit at once:
#    each dump shows the heap of its request (copied when it was asked
#    for), both are written before the exit report; .gz paths are gzip'd
#    and ratmem diff reads them; a text file given to diff is named so.
for ext in json json.gz; do
    mkdir -p "$TMP/burst"
    if run "two requests, exit right after ($ext)" "format=text:dump_signal=USR2:dump=$TMP/burst/b.%n.$ext" burst "$TMP"; then
        check "burst ($ext): dump 1 is the heap of the first request" "$TMP/burst/b.1.$ext" $D1 sequence=1
        check "burst ($ext): dump 2 the heap of the second, though freed before it was written" \
            "$TMP/burst/b.2.$ext" $D2 sequence=2
    fi
done
[ "$(head -c2 "$TMP/burst/b.1.json.gz" | od -An -tx1 | tr -d ' ')" = 1f8b ] \
    && pass ".gz dump path: gzip'd" || fail ".gz dump path: not gzip data"
diffcheck "ratmem diff reads gzip'd dumps" "$TMP/burst/b.1.json.gz" "$TMP/burst/b.2.json.gz"
"$RATMEM" diff "$TMP/text/w.txt.1" "$TMP/burst/b.2.json" >"$TMP/out" 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q "text report.*json" "$TMP/err" \
    && pass "ratmem diff of a text dump: one line saying it is text and how to get JSON" \
    || { fail "diff of a text dump: status $rc"; cat "$TMP/err"; }

# 10. No dumps without tracking; a bad dump_signal warns.
out=$(RATMEM_OPTIONS="leaks=0:dump_signal=USR2" timeout 60 env LD_PRELOAD="$SHIM" "$PROG/dumper" api "$TMP" 2>"$TMP/err")
echo "$out" | grep -q '^FAILED: RatHeapDump ' && grep -q "dump_signal needs leaks=1" "$TMP/err" \
    && pass "leaks=0: RatHeapDump fails, dump_signal warns" || { fail "leaks=0: '$out'"; cat "$TMP/err"; }
for v in KILL SEGV 33 99 USR3; do
    RATMEM_OPTIONS="leaks=0:dump_signal=$v" shim true 2>"$TMP/err"
    grep -q "^ratmem: bad value '$v' for option 'dump_signal'" "$TMP/err" || { fail "dump_signal=$v: no warning"; cat "$TMP/err"; }
done
pass "dump_signal=KILL, SEGV, 33, 99, USR3 are refused with a warning"
RATMEM_OPTIONS="leaks=0:dump_signal=none:dump_signal=SIGUSR1:dump_signal=0" shim true 2>"$TMP/err"
[ ! -s "$TMP/err" ] && pass "dump_signal=none, SIGUSR1, 0 accepted" || { fail "good dump_signal values"; cat "$TMP/err"; }
finish
