#!/usr/bin/env python3
"""treecheck.py FILE CHECK... - check a process-tree document of ratmem.

Checks (all must hold; each failure prints one line, exit 1):
  total=BYTES/BLOCKS        summary direct bytes/blocks, and the summary's
                            keys equal the sums over the embedded reports
  exit=status:N|signal:N    the program's exit
  group=FUNC:BYTES/BLOCKS/P a merged direct group whose first frame is FUNC,
                            found in P processes (as many pids, distinct)
  leakers=N                 processes whose report has direct leaks
  skipped=NAME              every process whose exe base name is NAME is
                            untracked with a null report, and there is one
  tracked=NAME              every process named NAME is tracked, and there is one
  end=KIND:N                some process ended so (signal:9, running:0)
  running=N                 summary processes_running
"""
import json
import os
import sys

KEYS = ["direct_bytes", "direct_blocks", "indirect_bytes", "indirect_blocks",
        "reachable_bytes", "reachable_blocks", "suppressed_bytes", "suppressed_blocks"]


def main():
    doc = json.load(open(sys.argv[1]))
    bad = []
    if doc.get("type") != "tree" or doc.get("ratmem_report") != 1:
        bad.append("not a tree document")
    procs = doc["processes"]
    name = lambda p: os.path.basename(p.get("exe") or "")
    for c in sys.argv[2:]:
        k, v = c.split("=", 1)
        if k == "total":
            b, n = map(int, v.split("/"))
            s = doc["summary"]
            if (s["direct_bytes"], s["direct_blocks"]) != (b, n):
                bad.append("total: %s/%s, expected %s" % (s["direct_bytes"], s["direct_blocks"], v))
            for key in KEYS:
                tot = sum(p["report"]["summary"].get(key, 0) for p in procs if p["report"])
                if tot != s[key]:
                    bad.append("summary %s %s != sum of reports %s" % (key, s[key], tot))
        elif k == "exit":
            kind, n = v.split(":")
            if doc["exit"] != {kind: int(n)}:
                bad.append("exit %s, expected %s" % (doc["exit"], v))
        elif k == "group":
            fn, rest = v.split(":")
            b, n, np = map(int, rest.split("/"))
            gs = [g for g in doc["leaks"] if g["kind"] == "direct" and g["frames"]
                  and g["frames"][0].get("function") == fn]
            if len(gs) != 1:
                bad.append("group %s: %d merged groups" % (fn, len(gs)))
                continue
            g = gs[0]
            got = (g["bytes"], g["blocks"], g["processes"], len(set(g["pids"])), len(g["pids"]))
            if got != (b, n, np, np, np):
                bad.append("group %s: bytes/blocks/processes/pids %s, expected %s" % (fn, got, rest))
        elif k == "leakers":
            n = sum(1 for p in procs if p["report"] and p["report"]["summary"]["direct_blocks"])
            if n != int(v):
                bad.append("%d processes leaked, expected %s" % (n, v))
        elif k in ("skipped", "tracked"):
            ps = [p for p in procs if name(p) == v]
            want = k == "tracked"
            if not ps:
                bad.append("no process %s" % v)
            for p in ps:
                if p["tracked"] != want or (not want and p["report"] is not None):
                    bad.append("%s (pid %s): tracked %s, report %s" %
                               (v, p["pid"], p["tracked"], p["report"] is not None))
        elif k == "end":
            kind, n = v.split(":")
            if kind == "signal":
                ok = any(p["end"] == "signal" and p["exit"] == {"signal": int(n)} for p in procs)
            else:
                ok = sum(1 for p in procs if p["end"] == kind) == int(n)
            if not ok:
                bad.append("no process ended %s: %s" % (v, [(p["pid"], name(p), p["end"]) for p in procs]))
        elif k == "running":
            if doc["summary"]["processes_running"] != int(v):
                bad.append("running %s, expected %s" % (doc["summary"]["processes_running"], v))
        else:
            bad.append("unknown check " + c)
    for b in bad:
        print(b)
    return 1 if bad else 0


sys.exit(main())
