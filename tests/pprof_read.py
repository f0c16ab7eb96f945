#!/usr/bin/env python3
"""tests/pprof_read.py - decode a gzip'd pprof profile with Google's protobuf
runtime (python3-protobuf) and the protoc-compiled pprof/profile.proto, and
print it as JSON for the tests to compare:

    pprof_read.py PROFILE.proto SRCDIR/pprof/profile.proto

{"sample_types": [[type, unit]...], "totals": [sum of each value],
 "period_type": [t, u], "period": n, "comments": [...], "default": type,
 "time_nanos": n, "main": mapping[0] filename,
 "samples": [{"values": [...], "labels": {k: v}, "stack": [{"function", "file",
              "line", "address", "module", "build_id"}...]}...],
 "counts": {"locations": n, "functions": n, "mappings": n, "strings": n}}

Exit status 2 with one line when the file does not decode."""
import gzip
import importlib
import json
import os
import subprocess
import sys
import tempfile


def load_module(proto):
    tmp = tempfile.mkdtemp(prefix="pprof-read-")
    subprocess.run(["protoc", "--python_out=" + tmp, "-I" + os.path.dirname(os.path.abspath(proto)),
                    os.path.abspath(proto)], check=True)
    sys.path.insert(0, tmp)
    return importlib.import_module("profile_pb2")


def main():
    path, proto = sys.argv[1], sys.argv[2]
    pb = load_module(proto)
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
        prof = pb.Profile()
        prof.ParseFromString(raw)
    except Exception as e:  # any decode failure
        print("pprof_read: %s: %s" % (path, e))
        sys.exit(2)
    st = prof.string_table
    if not st or st[0] != "":
        print("pprof_read: string_table[0] is not empty")
        sys.exit(2)
    maps = {m.id: m for m in prof.mapping}
    funcs = {f.id: f for f in prof.function}
    locs = {l.id: l for l in prof.location}
    for ids, what in ((maps, "mapping"), (funcs, "function"), (locs, "location")):
        if 0 in ids or len(ids) != len(getattr(prof, what)):
            print("pprof_read: %s ids not unique and nonzero" % what)
            sys.exit(2)
    out = {"sample_types": [[st[t.type], st[t.unit]] for t in prof.sample_type],
           "period_type": [st[prof.period_type.type], st[prof.period_type.unit]],
           "period": prof.period, "comments": [st[c] for c in prof.comment],
           "default": st[prof.default_sample_type], "time_nanos": prof.time_nanos,
           "main": st[prof.mapping[0].filename] if prof.mapping else None,
           "counts": {"locations": len(prof.location), "functions": len(prof.function),
                      "mappings": len(prof.mapping), "strings": len(st)},
           "samples": []}
    totals = [0] * len(prof.sample_type)
    for s in prof.sample:
        if len(s.value) != len(prof.sample_type):
            print("pprof_read: a sample has %d values for %d types" % (len(s.value), len(prof.sample_type)))
            sys.exit(2)
        for i, v in enumerate(s.value):
            totals[i] += v
        stack = []
        for lid in s.location_id:
            l = locs[lid]
            fr = {"address": l.address}
            if l.mapping_id:
                m = maps[l.mapping_id]
                fr["module"] = st[m.filename]
                fr["build_id"] = st[m.build_id]
                if not (m.memory_start <= l.address < m.memory_limit):
                    print("pprof_read: address 0x%x outside its mapping" % l.address)
                    sys.exit(2)
            if l.line:
                f = funcs[l.line[0].function_id]
                fr["function"] = st[f.name]
                fr["file"] = st[f.filename]
                fr["line"] = l.line[0].line
            stack.append(fr)
        labels = {}
        for lab in s.label:
            labels[st[lab.key]] = st[lab.str] if lab.str else lab.num
        out["samples"].append({"values": list(s.value), "labels": labels, "stack": stack})
    out["totals"] = totals
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
