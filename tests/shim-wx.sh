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
# One line per refusing call site (three mmap calls from one site), naming
# the call, the protection, the caller and how to allow it.
lines() { # name file count pattern
    n=$(grep -c "$4" "$2")
    [ "$n" = "$3" ] && pass "$1: $3 line(s) matching '$4'" || { fail "$1: $n lines matching '$4'"; cat "$2"; }
}
lines enforce "$TMP/enforce.err" 1 'W^X: writable+executable mmap(PROT_READ|PROT_WRITE|PROT_EXEC) refused (EACCES), called from .* in .*wx+0x[0-9a-f]*); to allow it: RATMEM_OPTIONS=wx=warn .*wx_allow=GLOB'
lines enforce "$TMP/enforce.err" 1 'W^X: writable+executable mprotect(PROT_READ|PROT_WRITE|PROT_EXEC) refused (EACCES), called from .*wx'
lines enforce "$TMP/enforce.err" 1 'W^X: writable+executable shmat(PROT_READ|PROT_WRITE|PROT_EXEC) refused'
lines enforce "$TMP/enforce.err" 3 '^ratmem: '

# wx_allow: the executables it matches get wx=warn; the others stay enforced.
for glob in '*/wx' 'wx' 'nomatch,*/tests/prog/w?' ; do
    RATMEM_OPTIONS="leaks=0:wx_allow=$glob" shim "$PROG/wx" >"$TMP/allow" 2>"$TMP/allow.err"
    expect "wx_allow=$glob" "$TMP/allow" "mmap-rwx ok"
    expect "wx_allow=$glob" "$TMP/allow" "mprotect-rwx ok"
    lines "wx_allow=$glob" "$TMP/allow.err" 1 'mmap(PROT_READ|PROT_WRITE|PROT_EXEC) allowed (wx=warn)'
done
for glob in 'w' '*/wxx' '/wx' 'other,node'; do
    RATMEM_OPTIONS="leaks=0:wx_allow=$glob" shim "$PROG/wx" >"$TMP/allow" 2>"$TMP/allow.err"
    expect "wx_allow=$glob (no match)" "$TMP/allow" "mmap-rwx EACCES"
done

RATMEM_OPTIONS="leaks=0:wx=warn" shim "$PROG/wx" >"$TMP/warn" 2>"$TMP/warn.err"
expect warn "$TMP/warn" "mmap-rwx ok"
expect warn "$TMP/warn" "mprotect-rwx ok"
n=$(grep -c 'W^X: writable+executable mmap(PROT_READ|PROT_WRITE|PROT_EXEC) allowed (wx=warn), called from .* in .*wx' "$TMP/warn.err")
[ "$n" = 1 ] && pass "warn: one line for three calls from one site, naming the caller" || { fail "warn: $n mmap lines"; cat "$TMP/warn.err"; }
n=$(grep -c 'mprotect(PROT_READ|PROT_WRITE|PROT_EXEC) allowed' "$TMP/warn.err")
[ "$n" = 1 ] && pass "warn: one mprotect line" || fail "warn: $n mprotect lines"

RATMEM_OPTIONS="leaks=0:wx=off" shim "$PROG/wx" >"$TMP/off" 2>"$TMP/off.err"
expect off "$TMP/off" "mmap-rwx ok"
expect off "$TMP/off" "mprotect-rwx ok"
[ ! -s "$TMP/off.err" ] && pass "off: silent" || fail "off: wrote to stderr"

# node (V8) where installed: under enforce it stops after the one line
# naming the refused call; wx_allow lets it through (its W^X lines then
# say "allowed").  Node versions whose V8 flips pages instead run anyway.
if command -v node >/dev/null 2>&1; then
    out=$(RATMEM_OPTIONS=leaks=0 shim node -e 'console.log(6*7)' 2>"$TMP/node.err"); rc=$?
    if [ "$out" = 42 ] && [ $rc = 0 ]; then
        pass "node runs under enforce (its V8 needs no writable+executable page)"
    elif [ $rc != 0 ] && [ "$(grep -c 'W^X: writable+executable .* refused (EACCES), called from .*node' "$TMP/node.err")" = 1 ]; then
        pass "node under enforce: exit $rc after one line naming the refused call"
    else
        fail "node under enforce: exit $rc, output '$out'"; head -5 "$TMP/node.err"
    fi
    out=$(RATMEM_OPTIONS="leaks=0:wx_allow=*/node*" shim node -e 'console.log(6*7)' 2>"$TMP/node.err"); rc=$?
    [ "$out" = 42 ] && [ $rc = 0 ] && pass "node under wx_allow='*/node*' prints 42" ||
        { fail "node under wx_allow: exit $rc, output '$out'"; head -5 "$TMP/node.err"; }
    out=$("$top_builddir/tools/ratmem" --no-leaks --wx-allow='*/node*' -- node -e 'console.log(6*7)' 2>/dev/null); rc=$?
    [ "$out" = 42 ] && [ $rc = 0 ] && pass "ratmem --wx-allow='*/node*' -- node prints 42" ||
        fail "ratmem --wx-allow -- node: exit $rc, output '$out'"
else
    echo "# node not installed: its cases skipped"
fi

# --wx-allow: the allowed executable under a shell that stays enforced.
"$top_builddir/tools/ratmem" --no-leaks --wx-allow='*/prog/wx' -- sh -c "\"$PROG/wx\"" >"$TMP/l" 2>"$TMP/l.err"
expect "ratmem --wx-allow" "$TMP/l" "mmap-rwx ok"
lines "ratmem --wx-allow" "$TMP/l.err" 1 'mmap(PROT_READ|PROT_WRITE|PROT_EXEC) allowed (wx=warn)'

# The launcher, as in the README.
out=$("$top_builddir/tools/ratmem" --no-leaks -- python3 -c 'print(sum(range(10)))'); rc=$?
[ "$out" = 45 ] && [ $rc = 0 ] && pass "ratmem -- python3 prints 45" || fail "ratmem launcher: '$out' exit $rc"
"$top_builddir/tools/ratmem" --no-leaks -- sh -c 'exit 7'; rc=$?
[ $rc = 7 ] && pass "ratmem keeps the exit status" || fail "ratmem exit status $rc"
"$top_builddir/tools/ratmem" --no-leaks --wx=enforce -- "$PROG/wx" >"$TMP/l" 2>&1
expect launcher "$TMP/l" "mmap-rwx EACCES"
finish
