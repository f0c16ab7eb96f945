#!/bin/sh
# shim-options.sh - RATMEM_OPTIONS: bad values warn once and keep the default;
# garbage of every kind gives exactly one warning line naming the problem
# (none when there is nothing wrong), the defaults apply, and the program
# runs with the same output and status as bare.
. "${top_srcdir:-.}/tests/lib.sh"
RATMEM_OPTIONS="leaks=0:wx=maybe" shim "$PROG/wx" >"$TMP/out" 2>"$TMP/err"
n=$(grep -vc "W^X: " "$TMP/err")   # the W^X refusal lines are shim-wx.sh's
grep -q "^ratmem: bad value 'maybe' for option 'wx' (expected enforce, warn, off); using the default, enforce$" "$TMP/err" && [ "$n" = 1 ] \
    && pass "bad wx value: one warning line" || { fail "bad wx value warning"; cat "$TMP/err"; }
grep -qx "mmap-rwx EACCES" "$TMP/out" && pass "bad wx value: default enforce applies" || fail "default not applied"
RATMEM_OPTIONS="leaks=0:nosuchkey=1:stack_depth=abc:zero" shim sh -c 'echo hi' >"$TMP/out" 2>"$TMP/err"
[ "$(cat "$TMP/out")" = hi ] && [ "$(wc -l <"$TMP/err")" = 3 ] && pass "garbage options: three warnings, program runs" || { fail "garbage options"; cat "$TMP/err"; }
RATMEM_OPTIONS="help=1:leaks=0" shim true 2>"$TMP/err"
for k in leaks wx zero report format stack_depth reachable exitcode suppressions quota dump_signal dump; do
    grep -q "^  $k " "$TMP/err" || { fail "help=1 does not list $k"; }
done
pass "help=1 lists the keys"

# garbage NAME WARNINGS PATTERN OPTIONS: under RATMEM_OPTIONS=OPTIONS,
# `sh -c 'echo ok'` and `ls` print what they print bare and exit as bare,
# and stderr holds exactly WARNINGS lines, each a "ratmem: " line of at most
# 300 bytes, one of them holding PATTERN (a fixed string).
garbage() {
    name=$1 want=$2 pat=$3 opts=$4
    for prog in sh ls; do
        if [ $prog = sh ]; then set -- sh -c 'echo ok'; else set -- ls -a "$top_srcdir/man"; fi
        timeout 60 "$@" >"$TMP/bare.out" 2>"$TMP/bare.err"; brc=$?
        RATMEM_OPTIONS=$opts timeout 60 env LD_PRELOAD="$SHIM" "$@" >"$TMP/shim.out" 2>"$TMP/shim.err"; src=$?
        n=$(wc -l <"$TMP/shim.err")
        bad=$(grep -cv '^ratmem: ' "$TMP/shim.err")
        long=$(awk 'length($0) > 300' "$TMP/shim.err" | wc -l)
        if [ "$src" != "$brc" ] || ! cmp -s "$TMP/bare.out" "$TMP/shim.out"; then
            fail "$name ($prog): status $src (bare $brc) or output differs"
        elif [ "$n" != "$want" ] || [ "$bad" != 0 ] || [ "$long" != 0 ]; then
            fail "$name ($prog): $n stderr lines, expected $want warning lines"
            cut -c1-200 "$TMP/shim.err" | sed 's/^/    /' | head -5
        elif [ -n "$pat" ] && ! grep -qF -- "$pat" "$TMP/shim.err"; then
            fail "$name ($prog): no line says '$pat'"
            cut -c1-200 "$TMP/shim.err" | sed 's/^/    /' | head -5
        else
            pass "$name ($prog): $want warning line(s), same output and status"
        fi
    done
}
big=$(head -c 102400 /dev/zero | tr '\0' a)
garbage "100 KB path value" 1 "bad value 'aaaa" "report=$big"
garbage "100 KB enum value" 1 "for option 'wx'" "wx=$big"
garbage "100 KB unknown key" 1 "unknown option 'aaaa" "$big=1"
garbage "100 KB item without '='" 1 "has no '='" "$big"
garbage "missing '='" 1 "option 'leaks' in RATMEM_OPTIONS has no '='" "leaks"
garbage "unknown key" 1 "unknown option 'colour'" "colour=red"
garbage "empty key" 1 "unknown option ''" "=1"
garbage "empty value" 1 "bad value '' for option 'stack_depth'" "stack_depth="
garbage "non-numeric number" 1 "bad value 'abc' for option 'stack_depth'" "stack_depth=abc"
garbage "negative number" 1 "bad value '-1' for option 'exitcode'" "exitcode=-1"
garbage "number out of range" 1 "bad value '257' for option 'stack_depth'" "stack_depth=257"
garbage "number overflowing" 1 "for option 'stack_depth'" "stack_depth=99999999999999999999999"
garbage "size with a bad suffix" 1 "bad value '12X' for option 'quota'" "quota=12X"
garbage "control bytes in a value" 1 "bad value 'a?b' for option 'wx'" "wx=$(printf 'a\nb')"
garbage "repeated key" 0 "" "stack_depth=8:stack_depth=16:stack_depth=32"
garbage "repeated key, last one bad" 1 "using the default, 32" "stack_depth=8:stack_depth=x"
garbage "empty string" 0 "" ""
garbage "only colons" 0 "" "::::::::"
garbage "report in a missing directory" 1 "report path $TMP/nodir/r.txt cannot be written: No such file or directory" \
    "report=$TMP/nodir/r.txt"
garbage "report path a directory" 1 "report path $TMP cannot be written: Is a directory" "report=$TMP"
garbage "report under a regular file" 1 "cannot be written: Not a directory" "report=$top_srcdir/tests/lib.sh/r.txt"
ln -s "$TMP/target" "$TMP/link"
garbage "report path a symbolic link" 1 "report path $TMP/link cannot be written" "report=$TMP/link"
if [ "$(id -u)" != 0 ]; then
    mkdir "$TMP/ro" && chmod 500 "$TMP/ro"
    garbage "report in an unwritable directory" 1 "report path $TMP/ro/r.txt cannot be written: Permission denied" \
        "report=$TMP/ro/r.txt"
    chmod 700 "$TMP/ro"
fi
[ ! -e "$TMP/target" ] && pass "nothing was created through the link" || fail "the link was followed"

# A key given twice takes its last value; a bad last value takes the default.
expect_wx() { # name options expected-line
    RATMEM_OPTIONS="leaks=0:$2" shim "$PROG/wx" >"$TMP/wx.out" 2>"$TMP/wx.err"
    grep -qx "$3" "$TMP/wx.out" && pass "$1: $3" || { fail "$1: expected '$3'"; cat "$TMP/wx.out" "$TMP/wx.err"; }
}
expect_wx "wx=off then wx=enforce" "wx=off:wx=enforce" "mmap-rwx EACCES"
expect_wx "wx=enforce then wx=off" "wx=enforce:wx=off" "mmap-rwx ok"
expect_wx "wx=off then a bad wx" "wx=off:wx=bogus" "mmap-rwx EACCES"

# The defaults apply after garbage: leaks are still tracked and reported.
RATMEM_OPTIONS="nosuchkey:report=$TMP/nodir/r.txt:stack_depth=x" shim "$PROG/leaky" direct \
    >/dev/null 2>"$TMP/leak.err"
grep -q "^Direct leak of" "$TMP/leak.err" && [ "$(grep -c '^ratmem: ' "$TMP/leak.err")" = 3 ] \
    && pass "after three bad options, the default report (stderr) still comes" \
    || { fail "no report on stderr after bad options"; head -20 "$TMP/leak.err"; }
finish
