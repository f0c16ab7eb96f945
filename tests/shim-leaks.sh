#!/bin/sh
# shim-leaks.sh - programs with known leaks: exact direct and indirect
# counts in the JSON report, and the right function in the top frame.
. "${top_srcdir:-.}/tests/lib.sh"
CHECK="python3 $top_srcdir/tests/leakcheck.py"
HOLDER="$top_builddir/tests/prog/.libs/libholder.so"

# leak NAME CMD... -- CHECKS...: run CMD under the shim with a JSON report.
leak() {
    name=$1; shift
    cmd=""; while [ "$1" != "--" ]; do cmd="$cmd '$1'"; shift; done; shift
    rm -f "$TMP/rep.json"
    out=$(eval "RATMEM_OPTIONS='format=json:report=$TMP/rep.json' timeout 120 env LD_PRELOAD='$SHIM' $cmd" 2>"$TMP/err"); rc=$?
    if [ $rc != 0 ] || [ "$out" != done ]; then fail "$name: exit $rc, output '$out'"; head -5 "$TMP/err"; return; fi
    if [ ! -s "$TMP/rep.json" ]; then fail "$name: no report written"; head -5 "$TMP/err"; return; fi
    if msg=$($CHECK "$TMP/rep.json" "$@"); then pass "$name"; else fail "$name"; echo "$msg" | sed 's/^/    /'; fi
}
Z="indirect_bytes=0 indirect_blocks=0"
leak "direct leak in main" "$PROG/leaky" direct -- direct_bytes=48 direct_blocks=1 $Z top:direct=main
leak "deep call chain" "$PROG/leaky" deep -- direct_bytes=100 direct_blocks=1 $Z top:direct=deep_leak frames:direct=deep_leak,level,main
leak "indirect children" "$PROG/leaky" indirect -- direct_bytes=32 direct_blocks=1 indirect_bytes=32 indirect_blocks=2 top:direct=make_tree top:indirect=make_tree
leak "unreachable cycle" "$PROG/leaky" cycle -- direct_bytes=24 direct_blocks=1 indirect_bytes=24 indirect_blocks=1 top:direct=make_cycle
leak "reachable from a global" "$PROG/leaky" reachable -- direct_bytes=0 direct_blocks=0 $Z "reachable_bytes>=200"
leak "interior pointer" "$PROG/leaky" interior -- direct_bytes=0 direct_blocks=0 $Z "reachable_bytes>=300"
leak "leak from a finished thread" "$PROG/leaky" thread -- direct_bytes=64 direct_blocks=1 $Z top:direct=thread_body
leak "calloc, realloc, posix_memalign" "$PROG/leaky" family -- direct_bytes=698 direct_blocks=3 $Z top:direct=leak_calloc top:direct=leak_realloc top:direct=leak_memalign
leak "static in a shared library" "$PROG/leaky" dso "$HOLDER" -- direct_bytes=0 direct_blocks=0 $Z "reachable_bytes>=256"
leak "C++ new[]" "$PROG/cxx_leak" -- direct_bytes=160 direct_blocks=1 $Z "frames:direct=make_array()"
leak "glibc's next-chunk header vs an interior pointer" "$PROG/leaky" chunktail -- direct_bytes=33 direct_blocks=1 $Z top:direct=chunk_tail "reachable_bytes>=51"
leak "frees everything" "$PROG/leaky" clean -- direct_bytes=0 direct_blocks=0 $Z

# top_frames FAST_UNWIND TOP PRELOAD CMD...: "LIBUNWIND_CAPTURES MODULE:FUNCTION..."
# of the leak whose top frame is TOP, CMD run with PRELOAD and fast_unwind=.
top_frames() {
    fu=$1; top=$2; pre=$3; shift 3
    rm -f "$TMP/tf.json"
    RATMEM_OPTIONS="fast_unwind=$fu:format=json:report=$TMP/tf.json" timeout 120 \
        env LD_PRELOAD="$pre" "$@" >/dev/null 2>&1
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
g = [g for g in r["leaks"] if g["frames"] and g["frames"][0]["function"] == sys.argv[2]]
print(r["summary"]["captures_libunwind"], " ".join(f["module"].rsplit("/", 1)[-1] + ":" + f["function"] for f in (g[0]["frames"] if g else [])))' "$TMP/tf.json" "$top" 2>/dev/null
}

# A leak from a library's constructor: it runs from the dynamic linker's
# entry (_dl_start_user), which has no unwind information; the stack ends
# there.  The fast capture must give libunwind's frames without asking it.
CTOR="$top_builddir/tests/prog/.libs/libctorleak.so"
fast=$(top_frames 1 ctorleak_make "$SHIM $CTOR" "$PROG/leaky" clean)
slow=$(top_frames 0 ctorleak_make "$SHIM $CTOR" "$PROG/leaky" clean)
if [ -n "${fast#* }" ] && [ "${fast%% *}" = 0 ] && [ "${fast#* }" = "${slow#* }" ] &&
    [ "$(echo "$fast" | wc -w)" -ge 4 ]; then
    pass "a constructor's leak: libunwind's frames, without libunwind (${fast#* })"
else
    fail "a constructor's leak: fast '$fast', libunwind '$slow'"
fi

# A leak from a signal handler: the same frames through the signal frame as
# libunwind gives (libunwind is loaded then; the handler interrupted the
# program, not the dynamic linker).
fast=$(top_frames 1 handler_leak "$SHIM" "$PROG/leaky" handler)
slow=$(top_frames 0 handler_leak "$SHIM" "$PROG/leaky" handler)
case "${fast#* } " in
*":handler_raise "*":main "*)
    if [ "${fast#* }" = "${slow#* }" ]; then pass "a signal handler's leak: libunwind's frames through the signal frame (${fast#* })"
    else fail "a signal handler's leak: fast '$fast', libunwind '$slow'"; fi ;;
*) fail "a signal handler's leak: frames '$fast' (libunwind: '$slow')" ;;
esac

# debuginfo=: the program's own frames (built with -g) carry file:line
# either way; libc's frames carry lines only with debuginfo=all, and only
# where a separate debug file for libc is installed (libc6-dbg).
lines() { # OPTIONS -> prints "OWN LIBC": frames with a line, the program's and libc's
    rm -f "$TMP/li.json"
    RATMEM_OPTIONS="format=json:report=$TMP/li.json$1" timeout 120 env LD_PRELOAD="$SHIM" "$PROG/leaky" deep >/dev/null 2>&1
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
fr = [f for g in r["leaks"] for f in g["frames"]]
own = sum(1 for f in fr if "line" in f and f["module"].endswith("/leaky"))
libc = sum(1 for f in fr if "line" in f and "/libc.so" in f["module"])
print(own, libc)' "$TMP/li.json"
}
set -- $(lines "")
if [ "${1:-0}" -gt 0 ] && [ "${2:-1}" = 0 ]; then pass "debuginfo=embedded: lines for the program ($1), none for libc"
else fail "debuginfo=embedded: own=$1 libc=$2"; fi
libc=$(ldd "$PROG/leaky" 2>/dev/null | sed -n 's|.*libc\.so\.6 => \([^ ]*\).*|\1|p')
id=$(readelf -n "$libc" 2>/dev/null | sed -n 's/.*Build ID: *//p')
libc_dbg=0
if [ -n "$id" ] && [ -f "/usr/lib/debug/.build-id/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-).debug" ]; then libc_dbg=1; fi
set -- $(lines ":debuginfo=all")
if [ "${1:-0}" -gt 0 ] && { [ "$libc_dbg" = 0 ] || [ "${2:-0}" -gt 0 ]; }; then
    pass "debuginfo=all: lines for the program ($1) and for libc ($2; separate debug files present: $libc_dbg)"
else fail "debuginfo=all: own=$1 libc=$2 (separate debug files present: $libc_dbg)"; fi
finish
