#!/bin/sh
# shim-cpython.sh - CPython's own regression tests (Debian's
# libpython3.11-testsuite) under the shim with leaks=1, as a real program's
# test suite sees the shim (issue #16): the modules that look hardest at
# descriptors, subprocesses and the address space.  Every test that fails
# or errors under the shim is run again bare: one that passes bare is a
# difference the shim made, and fails this test; one that fails bare too
# is the machine's, and is only listed.  Skipped (77) without the test
# suite.  Reports go to files, so that the tests' children write to stderr
# exactly what they would bare.
. "${top_srcdir:-.}/tests/lib.sh"
PY=/usr/bin/python3
if ! [ -x $PY ] || ! $PY -c 'import test.support, test.test_subprocess' >/dev/null 2>&1; then
    echo "SKIP: CPython's test suite not installed (apt-get install libpython3.11-testsuite)"
    exit 77
fi
# The modules, and test_subprocess's cases that pass, close and redirect
# descriptors (the whole module takes ~45 s under the shim).
MODULES="${CPYTHON_MODULES:-test_posix test_os test_fcntl test_mmap test_select test_resource test_pty}"
SUBPROCESS_MATCH="${CPYTHON_SUBPROCESS_MATCH:-*fds* *close* *std* *pipe*}"
mkdir -p "$TMP/rep" "$TMP/work"
chmod 1777 "$TMP/rep"        # some tests run children as another user

# run NAME XML ARGS...: python3 -m test under the shim.
run() {
    name=$1 xml=$2; shift 2
    (cd "$TMP/work" && env LD_PRELOAD="$SHIM" RATMEM_OPTIONS="leaks=1:report=$TMP/rep/r.%p" \
        timeout 600 $PY -m test -j2 -W --timeout 300 --junit-xml "$xml" "$@") >"$TMP/$name.log" 2>&1
    echo "$name: exit $? under the shim, $(tr -d '\n' <"$TMP/$name.log" | grep -o 'Total duration: [^T]*' | head -1)"
}
run modules "$TMP/modules.xml" $MODULES
m=
for p in $SUBPROCESS_MATCH; do m="$m -m $p"; done
run subprocess "$TMP/subprocess.xml" $m test_subprocess

for x in modules subprocess; do
    if ! [ -s "$TMP/$x.xml" ]; then
        fail "$x: no results"; tail -20 "$TMP/$x.log" | sed 's/^/    /'
        continue
    fi
    set -- $($PY "$top_srcdir/tests/pyjunit.py" count "$TMP/$x.xml")
    ran=$1 bad=$2 skipped=$3
    if [ "$ran" -lt 20 ]; then
        fail "$x: only $ran tests ran"; continue
    fi
    $PY "$top_srcdir/tests/pyjunit.py" bad "$TMP/$x.xml" >"$TMP/$x.bad"
    if [ "$bad" = 0 ]; then
        pass "$x: $ran tests, none failed under the shim ($skipped skipped)"
        continue
    fi
    # Bare, the ones that failed under the shim.
    (cd "$TMP/work" && timeout 600 $PY -m test --timeout 300 --junit-xml "$TMP/$x.bare.xml" \
        --matchfile "$TMP/$x.bad" $( [ $x = modules ] && echo $MODULES || echo test_subprocess)) \
        >"$TMP/$x.bare.log" 2>&1
    $PY "$top_srcdir/tests/pyjunit.py" bad "$TMP/$x.bare.xml" >"$TMP/$x.bare.bad" 2>/dev/null
    diffs=$(grep -vxF -f "$TMP/$x.bare.bad" "$TMP/$x.bad")
    [ -s "$TMP/$x.bare.bad" ] || diffs=$(cat "$TMP/$x.bad")
    if [ -n "$diffs" ]; then
        fail "$x: fail under the shim and pass bare:"; echo "$diffs" | sed 's/^/    /'
        grep -B2 -A12 -E '^(FAIL|ERROR):' "$TMP/$x.log" | head -60 | sed 's/^/    /'
    else
        pass "$x: $ran tests; $bad failed under the shim and bare alike (the machine's):"
        sed 's/^/    /' "$TMP/$x.bad"
    fi
done
finish
