#!/bin/sh
# compare-valgrind.sh - the fast subset of the differential check against
# valgrind memcheck (tests/compare-valgrind/compare.py --quick): a few
# programs whose leak classes must agree with valgrind's group by group.
# The whole set: make compare-valgrind.
. "${top_srcdir:-.}/tests/lib.sh"
# The matcher itself, on made-up groups: each kind of disagreement is caught.
if python3 -B "$top_srcdir/tests/compare-valgrind/compare.py" --self-test >"$TMP/self" 2>&1; then
    pass "the matcher catches every kind of disagreement ($(grep -c '^ok' "$TMP/self") cases)"
else
    fail "the matcher's self-test"; cat "$TMP/self"
fi
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind is not installed"; [ "$fails" = 0 ] || exit 1; exit 77; }
if python3 -B "$top_srcdir/tests/compare-valgrind/compare.py" --builddir "$top_builddir" --quick >"$TMP/out" 2>&1; then
    pass "ratmem agrees with valgrind on the quick set"
    tail -6 "$TMP/out"
else
    fail "ratmem and valgrind disagree (or the check failed)"
    cat "$TMP/out"
fi
finish
