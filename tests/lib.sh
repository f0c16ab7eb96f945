# lib.sh - helpers for the shell tests that run programs under the shim.
# Sourced by tests/shim-*.sh; top_builddir/top_srcdir come from make check.
: "${top_builddir:=.}" "${top_srcdir:=.}"
top_builddir=$(cd "$top_builddir" && pwd)
top_srcdir=$(cd "$top_srcdir" && pwd)
SHIM="$top_builddir/preload/.libs/libratmem-preload.so"
PROG="$top_builddir/tests/prog"
[ -f "$SHIM" ] || { echo "SKIP: $SHIM not built"; exit 77; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ratmem-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fails=0
passes=0

pass() { passes=$((passes + 1)); echo "ok - $*"; }
fail() { fails=$((fails + 1)); echo "not ok - $*"; }

# shim CMD...: run CMD under the shim (RATMEM_OPTIONS as set by the caller).
shim() { env LD_PRELOAD="$SHIM${LD_PRELOAD:+:$LD_PRELOAD}" "$@"; }

# compare NAME CMD...: run CMD bare and under the shim (with a timeout);
# stdout and exit status must be identical.
compare() {
    name=$1; shift
    timeout 300 "$@" >"$TMP/bare.out" 2>"$TMP/bare.err"; bare_rc=$?
    timeout 300 env LD_PRELOAD="$SHIM" "$@" >"$TMP/shim.out" 2>"$TMP/shim.err"; shim_rc=$?
    if [ "$bare_rc" != "$shim_rc" ]; then
        fail "$name: exit status $shim_rc under the shim, $bare_rc bare"
        sed 's/^/    stderr: /' "$TMP/shim.err" | head -20
    elif ! cmp -s "$TMP/bare.out" "$TMP/shim.out"; then
        fail "$name: stdout differs under the shim"
        diff "$TMP/bare.out" "$TMP/shim.out" | head -20
    elif [ ! -s "$TMP/bare.out" ]; then
        fail "$name: no output to compare"
    else
        pass "$name (exit $bare_rc, $(wc -c <"$TMP/bare.out") bytes of output)"
    fi
}

finish() {
    echo "$passes passed, $fails failed"
    [ "$fails" = 0 ]
}
