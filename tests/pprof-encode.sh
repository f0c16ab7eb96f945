#!/bin/sh
# pprof-encode.sh - the pprof encoder (pprof/encode.h) read back by a real
# reader, Google's protobuf runtime for Python over protoc's compile of
# pprof/profile.proto: sample types, values, period, comment, labels,
# mappings (main binary first, build ID, addresses inside their mapping),
# functions with file:line; dedup of strings, functions and locations;
# the fd, malloc'd-buffer and caller-buffer outputs agree byte for byte;
# too small a buffer fails with ENOBUFS.
set -u
: "${top_builddir:=.}" "${top_srcdir:=.}"
T="$top_builddir/tests/pprof_tool"
. "$top_srcdir/tests/pprof-lib.sh"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pprof-encode.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
fails=0 passes=0
pass() { passes=$((passes + 1)); echo "ok - $*"; }
fail() { fails=$((fails + 1)); echo "not ok - $*"; }

"$T" fd "$TMP/fd.pb.gz" && pass "write_fd" || fail "write_fd"
"$T" buf "$TMP/buf.pb.gz" && pass "encode and write_buf agree" || fail "encode/write_buf"
cmp -s "$TMP/fd.pb.gz" "$TMP/buf.pb.gz" && pass "fd and buffer outputs identical" \
    || fail "fd and buffer outputs differ"
"$T" small && pass "ENOBUFS and EINVAL" || fail "small buffer / bad arguments"
case $(od -An -tx1 -N2 "$TMP/fd.pb.gz" | tr -d ' ') in
    1f8b) pass "gzip magic" ;;
    *) fail "not gzip'd" ;;
esac

if pprof_decode "$TMP/fd.pb.gz" >"$TMP/fd.json"; then
    pass "decoded by python3-protobuf"
    if "$PPROF_PY" - "$TMP/fd.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def want(cond, what):
    if not cond:
        print("    mismatch: " + what); sys.exit(1)
want(d["sample_types"] == [["leaked_objects", "count"], ["leaked_space", "bytes"]], "sample types")
want(d["totals"] == [11, 171], "totals %r" % d["totals"])
want(d["period_type"] == ["space", "bytes"] and d["period"] == 1, "period")
want(d["comments"] == ["ratmem test profile"], "comment")
want(d["default"] == "leaked_space", "default sample type")
want(d["time_nanos"] == 1700000000000000000, "time")
want(d["main"] == "/usr/bin/prog", "mapping[0] is the main binary")
s0, s1, s2, s3 = d["samples"]
want(s0["labels"] == {"pid": 4242, "kind": "direct"}, "labels %r" % s0["labels"])
want([f.get("function") for f in s0["stack"]] == ["make_node", "build_list", "__libc_start_main"], "stack functions")
want(s0["stack"][0] == {"address": 0x401136, "module": "/usr/bin/prog", "build_id": "0123abcd",
                        "function": "make_node", "file": "prog.c", "line": 12}, "leaf frame %r" % s0["stack"][0])
want(s0["stack"][2]["line"] == 0 and s0["stack"][2]["build_id"] == "", "libc frame without line")
want(s1["stack"][1] == s0["stack"][1], "shared caller frame")
want(s2["stack"] == [{"address": 0x7f1234}], "bare address frame %r" % s2["stack"])
want(s3["stack"] == [] and s3["values"] == [5, 7], "empty stack")
c = d["counts"]
want(c["mappings"] == 2 and c["functions"] == 4 and c["locations"] == 5, "dedup counts %r" % c)
PY
    then pass "values, frames, mappings and labels survive"; else fail "decoded profile differs"; fi
else
    fail "python3-protobuf could not decode the profile"
fi

"$T" many "$TMP/many.pb.gz" && pprof_decode "$TMP/many.pb.gz" >"$TMP/many.json" &&
"$PPROF_PY" - "$TMP/many.json" <<'PY' && pass "5000 samples over 200 frames: deduplicated" || fail "dedup of many samples"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["counts"]
assert c["locations"] == 200 and c["functions"] == 200 and c["mappings"] == 1, c
assert c["strings"] == 207, c
assert d["totals"] == [5000, sum(range(5000))], d["totals"]
assert len(d["samples"]) == 5000
PY

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
