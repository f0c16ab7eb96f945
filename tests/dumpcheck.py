#!/usr/bin/env python3
"""dumpcheck.py DUMP.json CHECK... - check a ratmem JSON heap dump.

The dump must be valid JSON (plain or gzip'd) with the documented schema: "ratmem_report": 1,
"type": "dump", a summary whose live_bytes and live_blocks are the sums of
its groups, every group of kind "live", largest first.  Each CHECK is:
  FUNC=BYTES/BLOCKS  the one group whose frames[0].function is FUNC
                     (FUNC=0/0: no such group)
  sequence=N         summary.sequence == N
  pid=N              the top-level pid == N
  QUOTA_KEY=N        summary[QUOTA_KEY] == N (quota_bytes, ...)
Exit 0 when everything holds; 1 otherwise, with a line per failure."""
import gzip
import json
import sys


def main():
    path, checks = sys.argv[1], sys.argv[2:]
    try:
        with open(path, "rb") as f:
            data = f.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        rep = json.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        print(f"{path}: cannot read or parse: {e}")
        return 1
    bad = []
    if rep.get("ratmem_report") != 1:
        bad.append("ratmem_report is not 1")
    if rep.get("type") != "dump":
        bad.append(f"type is {rep.get('type')!r}, not 'dump'")
    if not isinstance(rep.get("pid"), int) or not isinstance(rep.get("exe"), str):
        bad.append("pid or exe missing")
    s = rep.get("summary", {})
    for k in ("sequence", "timestamp_ms", "request_ms", "snapshot_ms", "live_bytes",
              "live_blocks", "untracked_blocks", "distinct_stacks", "tracker_bytes"):
        if not isinstance(s.get(k), int):
            bad.append(f"summary.{k} missing or not an integer")
    if isinstance(s.get("request_ms"), int) and isinstance(s.get("snapshot_ms"), int) and \
            not s["request_ms"] <= s["snapshot_ms"] == s.get("timestamp_ms"):
        bad.append("request_ms <= snapshot_ms == timestamp_ms does not hold")
    if isinstance(s.get("sequence"), int) and s["sequence"] < 1:
        bad.append("summary.sequence < 1")
    if isinstance(s.get("timestamp_ms"), int) and s["timestamp_ms"] < 1500000000000:
        bad.append("summary.timestamp_ms is not a time of this century")
    groups = rep.get("leaks")
    if not isinstance(groups, list):
        bad.append("no leaks array")
        groups = []
    for g in groups:
        if g.get("kind") != "live":
            bad.append(f"group of kind {g.get('kind')!r}")
        if not isinstance(g.get("bytes"), int) or not isinstance(g.get("blocks"), int):
            bad.append(f"group without integer bytes and blocks: {g}")
        for fr in g.get("frames", []):
            for k in ("pc", "function", "module", "offset"):
                if not isinstance(fr.get(k), str):
                    bad.append(f"frame without {k}: {fr}")
    if not bad:
        if sum(g["bytes"] for g in groups) != s["live_bytes"]:
            bad.append("live_bytes is not the sum of the groups")
        if sum(g["blocks"] for g in groups) != s["live_blocks"]:
            bad.append("live_blocks is not the sum of the groups")
        sizes = [g["bytes"] for g in groups]
        if sizes != sorted(sizes, reverse=True):
            bad.append(f"groups not largest first: {sizes}")

    def top(g):
        return g["frames"][0].get("function") if g.get("frames") else None

    for c in checks:
        key, want = c.split("=", 1)
        if "/" in want:
            gs = [g for g in groups if top(g) == key]
            got = [f"{g['bytes']}/{g['blocks']}" for g in gs]
            if got != ([] if want == "0/0" else [want]):
                bad.append(f"{key}: groups {got}, expected exactly [{want}]; tops: "
                           + ", ".join(f"{top(g)} {g['bytes']}/{g['blocks']}" for g in groups))
        elif key == "pid":
            if rep.get("pid") != int(want):
                bad.append(f"pid is {rep.get('pid')}, expected {want}")
        elif s.get(key) != int(want):
            bad.append(f"summary.{key} is {s.get(key)}, expected {want}")
    for b in bad:
        print(f"{path}: {b}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
