#!/bin/sh
# shim-report-heap.sh - a leak report and a heap dump taken while the
# program runs leave its glibc heap as it was (tests/prog/report_heap.c
# compares mallinfo2 before and after, and the report heap's region is
# gone afterwards), and the reports are whole: the
# block's group (reachable=1: a conservative scan may still see it)
# names its allocating function (so libdw ran, and
# allocated, on the report heap).
. "${top_srcdir:-.}/tests/lib.sh"
for fmt in json text; do
    out=$(RATMEM_OPTIONS="leaks=1:reachable=1:format=$fmt:report=$TMP/exit.%p" timeout 120 env LD_PRELOAD="$SHIM" \
        "$PROG/report_heap" "$TMP" 2>"$TMP/err"); rc=$?
    if [ $rc = 77 ]; then echo "SKIP: $out"; exit 77; fi
    [ $rc = 0 ] && [ "$out" = "heap untouched" ] && pass "$fmt: reports leave the program's heap untouched, no region left" \
        || { fail "$fmt: exit $rc, '$out'"; head -5 "$TMP/err"; }
    for r in r1 r2; do
        grep -q 'leak_site' "$TMP/$r.json" && pass "$fmt: report $r names leak_site" \
            || { fail "$fmt: report $r lacks leak_site"; head -20 "$TMP/$r.json"; }
    done
    grep -q 'leak_site' "$TMP/d.json" && pass "$fmt: the dump names leak_site" || fail "$fmt: dump lacks leak_site"
    grep -q 'leak_site' "$TMP"/exit.* && pass "$fmt: the exit report names leak_site" || fail "$fmt: exit report lacks leak_site"
    rm -f "$TMP"/exit.* "$TMP"/r?.json "$TMP"/d.json
done
finish
