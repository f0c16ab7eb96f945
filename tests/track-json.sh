#!/bin/sh
# track-json.sh - the tracker's JSON is valid whatever the bytes (checked by
# Python's JSON parser), and a report follows the DESIGN.md schema.
set -u
: "${top_builddir:=.}"
tool="$top_builddir/tests/track_json_tool"
PY=$(command -v python3) || { echo "track-json: no python3, skipped"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

"$tool" strings >"$tmp/strings.json" || { echo "track-json: tool strings failed"; exit 1; }
"$PY" - "$tmp/strings.json" <<'PYEOF' || exit 1
import json, sys
data = json.load(open(sys.argv[1], encoding="utf-8"))
assert len(data) > 5000, len(data)
for esc, hexraw in data:
    raw = bytes.fromhex(hexraw)
    try:
        want = raw.decode("utf-8")
    except UnicodeDecodeError:
        assert "\ufffd" in esc, (esc, hexraw)
        continue
    assert esc == want, (esc, want)
print("track-json: %d strings ok" % len(data))
PYEOF

"$tool" report >"$tmp/report.json" || { echo "track-json: tool report failed"; exit 1; }
"$PY" - "$tmp/report.json" <<'PYEOF' || { cat "$tmp/report.json"; exit 1; }
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
assert r["ratmem_report"] == 1
assert isinstance(r["pid"], int) and isinstance(r["exe"], str)
s = r["summary"]
for k in ("direct", "indirect", "reachable", "suppressed"):
    assert isinstance(s[k + "_bytes"], int) and isinstance(s[k + "_blocks"], int)
assert (s["direct_bytes"], s["direct_blocks"]) == (1160, 11), s
assert (s["indirect_bytes"], s["indirect_blocks"]) == (160, 5), s
assert (s["reachable_bytes"], s["reachable_blocks"]) == (77, 1), s
assert s["tracker_bytes"] > 0 and "untracked_blocks" in s and "distinct_stacks" in s
leaks = r["leaks"]
kinds = [(g["kind"], g["bytes"], g["blocks"]) for g in leaks]
assert kinds == [("direct", 1000, 1), ("direct", 160, 10), ("indirect", 160, 5),
                 ("reachable", 77, 1)], kinds
sizes = [g["bytes"] for g in leaks if g["kind"] != "reachable"]
assert sizes == sorted(sizes, reverse=True)
for g in leaks:
    assert g["frames"], g
    for f in g["frames"]:
        for k in ("pc", "function", "module", "offset"):
            assert isinstance(f[k], str), (k, f)
        assert f["pc"].startswith("0x") and f["offset"].startswith("0x")
        if "line" in f:
            assert isinstance(f["line"], int) and isinstance(f["file"], str)
assert leaks[0]["frames"][0]["function"] == "rm_tool_frame_two", leaks[0]
assert leaks[1]["frames"][0]["function"] == "rm_tool_frame_one", leaks[1]
print("track-json: report ok")
PYEOF
