#!/usr/bin/env python3
"""leakcheck.py REPORT.json CHECK... - check a ratmem JSON leak report.

Each CHECK is one of:
  FIELD=N          summary[FIELD] == N (e.g. direct_bytes=48)
  FIELD>=N         summary[FIELD] >= N
  top:KIND=FUNC    some group of KIND has FUNC as frames[0].function
  frames:KIND=F,G  some group of KIND has all of F, G among its functions
  line:KIND=FILE:N some group of KIND has frames[0] at FILE:N
  group:KIND=FUNC:BLOCKS:BYTES  the groups of KIND whose frames[0] is FUNC
                   hold BLOCKS blocks and BYTES bytes in all
  only:KIND=F,G    every group of KIND has one of F, G as frames[0]
  module:KIND=S    some group of KIND has a frame whose module contains S
                   and whose function is not "??"
  depth:KIND=N     some group of KIND has exactly N frames
Exit 0 when the report is valid JSON with the documented schema and every
check holds; 1 otherwise, with a line per failed check."""
import json
import sys


def main():
    path, checks = sys.argv[1], sys.argv[2:]
    with open(path, "rb") as f:
        raw = f.read()
    try:
        rep = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        print(f"{path}: not valid JSON: {e}")
        return 1
    bad = []
    for key in ("ratmem_report", "pid", "exe", "summary", "leaks"):
        if key not in rep:
            bad.append(f"missing top-level field {key}")
    summ = rep.get("summary", {})
    for key in ("direct_bytes", "direct_blocks", "indirect_bytes", "indirect_blocks",
                "reachable_bytes", "reachable_blocks", "suppressed_bytes", "suppressed_blocks"):
        if not isinstance(summ.get(key), int):
            bad.append(f"summary.{key} missing or not an integer")
    groups = rep.get("leaks", [])
    for g in groups:
        for key in ("kind", "bytes", "blocks", "frames"):
            if key not in g:
                bad.append(f"group without {key}: {g}")
        for fr in g.get("frames", []):
            for key in ("pc", "function", "module", "offset"):
                if key not in fr:
                    bad.append(f"frame without {key}: {fr}")
    sizes = [g["bytes"] for g in groups if g.get("kind") in ("direct", "indirect")]
    if sizes != sorted(sizes, reverse=True):
        bad.append(f"leak groups not largest first: {sizes}")

    def funcs(g):
        return [fr.get("function", "") for fr in g.get("frames", [])]

    for c in checks:
        if c.startswith(("group:", "only:", "module:", "depth:")):
            what, rest = c.split(":", 1)
            kind, want = rest.split("=", 1)
            gs = [g for g in groups if g.get("kind") == kind]
            top = [g["frames"][0].get("function") if g.get("frames") else None for g in gs]
            if what == "group":
                fn, blocks, nbytes = want.rsplit(":", 2)
                sel = [g for g, t in zip(gs, top) if t == fn]
                got = (sum(g["blocks"] for g in sel), sum(g["bytes"] for g in sel))
                ok = got == (int(blocks), int(nbytes))
                why = f"{fn} groups hold {got[0]} blocks, {got[1]} bytes"
            elif what == "only":
                allowed = want.split(",")
                ok = all(t in allowed for t in top)
                why = f"tops are {sorted(set(str(t) for t in top))}"
            elif what == "module":
                ok = any(want in fr.get("module", "") and fr.get("function") != "??"
                         for g in gs for fr in g.get("frames", []))
                why = "frames: " + "; ".join(f"{fr.get('function')}@{fr.get('module')}"
                                             for g in gs for fr in g.get("frames", [])[:3])
            else:
                ok = any(len(g.get("frames", [])) == int(want) for g in gs)
                why = f"depths are {[len(g.get('frames', [])) for g in gs]}"
            if not ok:
                bad.append(f"{c}: {why}")
        elif c.startswith(("top:", "frames:", "line:")):
            what, rest = c.split(":", 1)
            kind, want = rest.split("=", 1)
            gs = [g for g in groups if g.get("kind") == kind]
            if what == "top":
                ok = any(g["frames"] and g["frames"][0].get("function") == want for g in gs)
            elif what == "frames":
                ok = any(all(w in funcs(g) for w in want.split(",")) for g in gs)
            else:
                fname, line = want.rsplit(":", 1)
                ok = any(g["frames"] and str(g["frames"][0].get("file", "")).endswith(fname)
                         and g["frames"][0].get("line") == int(line) for g in gs)
            if not ok:
                bad.append(f"{c}: no such {kind} group; groups: "
                           + "; ".join(f"{g['kind']} {g['bytes']}B {funcs(g)[:4]}" for g in groups))
        elif ">=" in c:
            field, n = c.split(">=", 1)
            if not isinstance(summ.get(field), int) or summ[field] < int(n):
                bad.append(f"summary.{field} is {summ.get(field)}, expected at least {n}")
        else:
            field, n = c.split("=", 1)
            if summ.get(field) != int(n):
                bad.append(f"summary.{field} is {summ.get(field)}, expected {n}")
    for b in bad:
        print(f"{path}: {b}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
