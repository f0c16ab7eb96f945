# pprof-lib.sh - sourced by the tests that decode pprof profiles.
# PPROF_PY: a python3 whose google.protobuf imports (Debian's
# python3-protobuf) and protoc (protobuf-compiler) next to it; without them
# the test is skipped with a line naming the packages.
# pprof_decode FILE: the profile as JSON (tests/pprof_read.py) on stdout.
PPROF_PY=""
for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import google.protobuf' 2>/dev/null; then
        PPROF_PY=$py
        break
    fi
done
if [ -z "$PPROF_PY" ] || ! command -v protoc >/dev/null 2>&1; then
    echo "SKIP: no pprof reader: install the Debian packages python3-protobuf and protobuf-compiler"
    exit 77
fi
pprof_decode() {
    "$PPROF_PY" "$top_srcdir/tests/pprof_read.py" "$1" "$top_srcdir/pprof/profile.proto"
}
