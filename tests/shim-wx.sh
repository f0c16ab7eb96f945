#!/bin/sh
# shim-wx.sh - W^X under wx=enforce (default), warn and off.
. "${top_srcdir:-.}/tests/lib.sh"
expect() { # name file expected-line
    if grep -qx "$3" "$2"; then pass "$1: $3"; else fail "$1: expected '$3'"; sed 's/^/    /' "$2"; fi
}
RATMEM_OPTIONS="leaks=0" shim "$PROG/wx" >"$TMP/enforce" 2>"$TMP/enforce.err"
expect enforce "$TMP/enforce" "mmap-rwx EACCES"
expect enforce "$TMP/enforce" "mprotect-rwx EACCES"
expect enforce "$TMP/enforce" "mprotect-rx ok"
expect enforce "$TMP/enforce" "jit-call ok"
expect enforce "$TMP/enforce" "mprotect-rw-again ok"
expect enforce "$TMP/enforce" "shmat-exec EACCES"
expect enforce "$TMP/enforce" "shmat-rw ok"
[ ! -s "$TMP/enforce.err" ] && pass "enforce: silent" || fail "enforce: wrote to stderr"

RATMEM_OPTIONS="leaks=0:wx=warn" shim "$PROG/wx" >"$TMP/warn" 2>"$TMP/warn.err"
expect warn "$TMP/warn" "mmap-rwx ok"
expect warn "$TMP/warn" "mprotect-rwx ok"
n=$(grep -c 'W^X: writable+executable mmap allowed (wx=warn), called from .* in .*wx' "$TMP/warn.err")
[ "$n" = 1 ] && pass "warn: one line for three calls from one site, naming the caller" || { fail "warn: $n mmap lines"; cat "$TMP/warn.err"; }
n=$(grep -c 'mprotect allowed' "$TMP/warn.err")
[ "$n" = 1 ] && pass "warn: one mprotect line" || fail "warn: $n mprotect lines"

RATMEM_OPTIONS="leaks=0:wx=off" shim "$PROG/wx" >"$TMP/off" 2>"$TMP/off.err"
expect off "$TMP/off" "mmap-rwx ok"
expect off "$TMP/off" "mprotect-rwx ok"
[ ! -s "$TMP/off.err" ] && pass "off: silent" || fail "off: wrote to stderr"

# The launcher, as in the README.
out=$("$top_builddir/tools/ratmem" --no-leaks -- python3 -c 'print(sum(range(10)))'); rc=$?
[ "$out" = 45 ] && [ $rc = 0 ] && pass "ratmem -- python3 prints 45" || fail "ratmem launcher: '$out' exit $rc"
"$top_builddir/tools/ratmem" --no-leaks -- sh -c 'exit 7'; rc=$?
[ $rc = 7 ] && pass "ratmem keeps the exit status" || fail "ratmem exit status $rc"
"$top_builddir/tools/ratmem" --no-leaks --wx=enforce -- "$PROG/wx" >"$TMP/l" 2>&1
expect launcher "$TMP/l" "mmap-rwx EACCES"
finish
