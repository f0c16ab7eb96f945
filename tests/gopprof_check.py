#!/usr/bin/env python3
"""gopprof_check.py - what Google's pprof (the Go program) prints for our
profiles, against the truth (tests/pprof-go.sh).

    gopprof_check.py PPROF report REPORT.json PROFILE EXE
    gopprof_check.py PPROF nosym REPORT.json PROFILE FUNCTION...
    gopprof_check.py PPROF dump DUMP.json PROFILE
    gopprof_check.py PPROF growth PROFILE OBJECTS BYTES GROWN [GONE]
    gopprof_check.py PPROF profile PROFILE TRUTH.json RATE EXE
    gopprof_check.py PPROF list PROFILE REPORT.json FUNCTION SRCDIRS
    gopprof_check.py PPROF graph PROFILE OUTDIR FUNCTION...
    gopprof_check.py PPROF http PROFILE TYPE TOTAL|- FUNCTION...

Each prints what it checked and exits 1 with the mismatches.  pprof runs
with -symbolize=none where symbols are not the point, so that nothing
depends on the machine's binaries; `report` and `profile` let it symbolize
as a user's pprof would (it must leave our names alone).
"""
import json
import math
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

PPROF = sys.argv[1]
bad = []


def want(cond, what):
    if not cond:
        bad.append(what)
    return cond


def pprof(*args, env=None):
    r = subprocess.run([PPROF] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, env=env, timeout=60)
    if r.returncode != 0:
        raise SystemExit("pprof %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()))
    return r.stdout, r.stderr


def number(s):
    """'500B' or '1050804' -> int (plain units only: -unit=B)."""
    m = re.match(r"^(-?\d+)(B)?$", s)
    if not m:
        raise ValueError("not a plain number: %r" % s)
    return int(m.group(1))


def top(profile, index, bytes_unit, *extra):
    """pprof -top: (header lines, total, {function: flat}, {function: cum})."""
    args = ["-top", "-nodecount=100000", "-nodefraction=0", "-edgefraction=0",
            "-sample_index=" + index] + list(extra)
    if bytes_unit:
        args.append("-unit=B")
    out, _ = pprof(*(args + [profile]))
    head, flat, cum, total = [], {}, {}, None
    rows = False
    for line in out.splitlines():
        if rows:
            f = line.split(None, 5)
            if len(f) == 6:
                flat[f[5]] = flat.get(f[5], 0) + number(f[0])
                cum[f[5]] = max(cum.get(f[5], 0), number(f[3]))
            continue
        head.append(line)
        m = re.match(r"^Showing nodes accounting for (\S+), [\d.]+% of (\S+) total$", line)
        if m:
            total = number(m.group(2))
        if line.split() == ["flat", "flat%", "sum%", "cum", "cum%"]:
            rows = True
    return head, total, flat, cum


def build_id(exe):
    """The GNU build ID of exe, from readelf -n (binutils), or None."""
    try:
        out = subprocess.run(["readelf", "-n", exe], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, universal_newlines=True).stdout
    except OSError:
        return None
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    return m.group(1) if m else None


def traces(profile):
    """pprof -traces: [(labels, value, [function, ...])], leaf first."""
    out, _ = pprof("-traces", "-unit=B", "-symbolize=none", profile)
    res, cur = [], None
    for line in out.splitlines():
        if line.startswith("-----------+"):
            if cur and cur[2]:
                res.append(cur)
            cur = ({}, None, [])
            continue
        if cur is None:
            continue
        m = re.match(r"^\s+(\S+):\s+(.*)$", line)
        if m and not cur[2] and cur[1] is None:
            cur[0][m.group(1)] = m.group(2).strip()
            continue
        f = line.split(None, 1) if cur[1] is None else [None, line.strip()]
        if cur[1] is None and len(f) == 2:
            cur = (cur[0], number(f[0]), [f[1].strip()])
        elif line.strip():
            cur[2].append(line.strip())
    if cur and cur[2]:
        res.append(cur)
    return res


def raw(profile):
    """pprof -raw: (header {key: value}, sample type line, [values],
    {location id: text}, [mapping lines])."""
    out, _ = pprof("-raw", "-symbolize=none", profile)
    hdr, types, samples, locs, maps = {}, None, [], {}, []
    part = "head"
    for line in out.splitlines():
        if line in ("Samples:", "Locations", "Mappings"):
            part = line
            continue
        if part == "head":
            k, _, v = line.partition(": ")
            hdr.setdefault(k, []).append(v)
        elif part == "Samples:":
            if types is None:
                types = line.split()
            elif ":" in line and not line.strip().startswith(tuple("abcdefghijklmnopqrstuvwxyz")):
                vals = line.split(":")[0].split()
                if all(re.match(r"^-?\d+$", v) for v in vals):
                    samples.append([int(v) for v in vals])
        elif part == "Locations":
            m = re.match(r"^\s*(\d+): (.*)$", line)
            if m:
                locs[int(m.group(1))] = m.group(2)
        elif part == "Mappings":
            maps.append(line)
    return hdr, types, samples, locs, maps


def check_mappings(maps):
    """Each mapping of a file that is here is one of its loaded segments as
    /proc/PID/maps would show it: file offset and size in pages, so that
    pprof's local symbolizer (and Parca's) picks the right ELF segment."""
    n = 0
    for line in maps:
        m = re.match(r"^\d+: 0x([0-9a-f]+)/0x([0-9a-f]+)/0x([0-9a-f]+) (\S+)", line)
        if not m or not os.path.isfile(m.group(4)):
            continue
        start, limit, off = (int(m.group(i), 16) for i in (1, 2, 3))
        try:
            out = subprocess.run(["readelf", "-lW", m.group(4)], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, universal_newlines=True).stdout
        except OSError:
            return
        segs = []
        for l in out.splitlines():
            f = l.split()
            if f and f[0] == "LOAD":
                o, v, sz = int(f[1], 16), int(f[2], 16), int(f[5], 16)
                segs.append((o & ~4095, ((v + sz + 4095) & ~4095) - (v & ~4095)))
        want((off, limit - start) in segs, "mapping %r is not a loaded segment of %s (%r)"
             % (line, m.group(4), [(hex(a), hex(b)) for a, b in segs]))
        n += 1
    want(n > 0, "no mapping of a file on this machine")


def check_report(rep_path, profile, exe):
    rep = json.load(open(rep_path))
    s = rep["summary"]
    groups = [g for g in rep["leaks"] if g["kind"] in ("direct", "indirect")]
    want_bytes = s["direct_bytes"] + s.get("indirect_bytes", 0)
    want_blocks = s["direct_blocks"] + s.get("indirect_blocks", 0)
    want(want_bytes > 0, "the report has no leak to check")

    # -top, as a user runs it (default symbolization).
    head, total, flat, _ = top(profile, "leaked_space", True)
    want("Type: leaked_space" in head, "-top: no 'Type: leaked_space' in %r" % head)
    want("File: " + os.path.basename(exe) in head, "-top: File: is not the program")
    bid = build_id(exe)
    if bid:
        want("Build ID: " + bid in head, "-top: Build ID %s not shown: %r" % (bid, head))
    want(total == want_bytes, "-top: total %r bytes, report %d" % (total, want_bytes))
    leaf = {}
    for g in groups:
        fn = g["frames"][0]["function"] if g["frames"] else "??"
        if fn != "??":
            leaf[fn] = leaf.get(fn, 0) + g["bytes"]
    for fn, b in leaf.items():
        want(flat.get(fn) == b, "-top: %s flat %r, report %d" % (fn, flat.get(fn), b))
    _, total, _, _ = top(profile, "leaked_objects", False)
    want(total == want_blocks, "-top -sample_index=leaked_objects: %r, report %d" % (total, want_blocks))

    # -traces: one trace per group, its value, kind and pid labels, and
    # every named frame in order.
    tr = traces(profile)
    want(len(tr) == len(groups), "-traces: %d traces, %d groups" % (len(tr), len(groups)))
    left = list(tr)
    for g in groups:
        names = [f["function"] for f in g["frames"]]
        for t in left:
            labels, value, stack = t
            if value == g["bytes"] and labels.get("kind") == g["kind"] and len(stack) == len(names) \
                    and all(n == "??" or n == x for n, x in zip(names, stack)):
                left.remove(t)
                want(labels.get("pid") == str(rep["pid"]), "-traces: pid label %r" % labels)
                break
        else:
            want(False, "-traces: no trace of %d bytes %s %s" % (g["bytes"], g["kind"], names))

    # -raw: sample types, the period, value sums, function file:line of
    # every frame, the program's mapping first with its build ID.
    hdr, types, samples, locs, maps = raw(profile)
    want(types == ["leaked_objects/count", "leaked_space/bytes[dflt]"], "-raw: types %r" % types)
    want(hdr.get("PeriodType") == ["space bytes"], "-raw: period type %r" % hdr.get("PeriodType"))
    want([sum(c) for c in zip(*samples)] == [want_blocks, want_bytes],
         "-raw: sums %r" % [sum(c) for c in zip(*samples)])
    texts = set(re.sub(r"^0x[0-9a-f]+ M=\d+ ", "", t).rsplit(" s=", 1)[0] for t in locs.values())
    n = 0
    for g in groups:
        for f in g["frames"]:
            if f["function"] != "??" and "file" in f:
                n += 1
                want("%s %s:%d" % (f["function"], f["file"], f["line"]) in texts,
                     "-raw: no location '%s %s:%d'" % (f["function"], f["file"], f["line"]))
    want(n > 0, "no frame with file:line to check")
    want(maps and (" %s " % rep["exe"]) in maps[0] + " " and (not bid or bid in maps[0]),
         "-raw: mapping 1 is %r" % (maps[:1],))
    check_mappings(maps)
    # -tags: the kind label's total
    out, _ = pprof("-tags", "-unit=B", "-symbolize=none", profile)
    want(re.search(r"kind: Total %dB?\b" % want_bytes, out) or
         re.search(r"kind: Total %s" % re.escape("%.1fB" % want_bytes), out),
         "-tags: %r" % out[:200])
    print("report: %d groups, %d bytes in %d blocks: -top, -traces, -raw, -tags checked"
          % (len(groups), want_bytes, want_blocks))


def check_nosym(rep_path, profile, *functions):
    """A report whose frames lost their names (profile drawn from a copy
    of REPORT.json without function, file, line): pprof names them itself
    from the binaries here, through the mappings' start and file offset,
    and finds the lines the report has (locations hold the call PC)."""
    rep = json.load(open(rep_path))
    _, _, flat, _ = top(profile, "leaked_space", True)
    for fn in functions:
        want(flat.get(fn, 0) > 0, "pprof did not symbolize %s: %r" % (fn, sorted(flat)))
    out, _ = pprof("-raw", profile)
    got = set()
    for line in out.split("Locations", 1)[-1].splitlines():
        m = re.match(r"^\s*\d+: 0x[0-9a-f]+ M=\d+ (\S+) (\S*):(\d+) s=", line)
        if m:
            got.add((m.group(1), os.path.basename(m.group(2)), int(m.group(3))))
    n = 0
    for g in rep["leaks"]:
        for f in g["frames"]:
            if f["function"] in functions or f["function"] == "main":
                n += 1
                key = (f["function"], os.path.basename(f["file"]), f["line"])
                want(key in got, "pprof's own lines miss %s %s:%d (it has %r)" % (key + (sorted(got),)))
    want(n > 0, "no frame to compare")
    print("stripped frames symbolized by pprof, lines as the report's: %s" % " ".join(
        "%s=%dB" % (fn, flat.get(fn, 0)) for fn in functions))


def check_dump(dump_path, profile):
    d = json.load(open(dump_path))
    s = d["summary"]
    head, total, flat, _ = top(profile, "inuse_space", True, "-symbolize=none")
    want("Type: inuse_space" in head, "dump -top: %r" % head)
    want(total == s["live_bytes"], "dump inuse_space %r, live_bytes %d" % (total, s["live_bytes"]))
    _, total, oflat, _ = top(profile, "inuse_objects", False, "-symbolize=none")
    want(total == s["live_blocks"], "dump inuse_objects %r, live_blocks %d" % (total, s["live_blocks"]))
    leaf = {}
    for g in d["leaks"]:
        fn = g["frames"][0]["function"]
        b, n = leaf.get(fn, (0, 0))
        leaf[fn] = (b + g["bytes"], n + g["blocks"])
    for fn, (b, n) in leaf.items():
        if fn != "??":
            want(flat.get(fn) == b and oflat.get(fn) == n,
                 "dump: %s %r bytes %r objects, dump %d %d" % (fn, flat.get(fn), oflat.get(fn), b, n))
    want(leaf, "dump: no groups read from the JSON")
    print("dump: %d live bytes in %d blocks over %d sites" % (s["live_bytes"], s["live_blocks"], len(leaf)))


def check_growth(profile, objects, nbytes, grown, gone=None):
    head, total, flat, _ = top(profile, "growth_space", True, "-symbolize=none")
    want("Type: growth_space" in head, "growth -top: %r" % head)
    want(total == int(nbytes) and flat.get(grown) == int(nbytes),
         "growth: total %r, %s %r; want %s" % (total, grown, flat.get(grown), nbytes))
    _, total, _, _ = top(profile, "growth_objects", False, "-symbolize=none")
    want(total == int(objects), "growth objects %r, want %s" % (total, objects))
    if gone:
        want(gone not in flat, "growth: %s shown" % gone)
    print("growth: +%s bytes in +%s objects at %s" % (nbytes, objects, grown))


def check_profile(profile, truth_path, rate, exe):
    rate = int(rate)
    truth = json.load(open(truth_path))
    head, _, _, _ = top(profile, "inuse_space", True)
    out, _ = pprof("-top", profile)
    want("Type: inuse_space" in out.splitlines()[:8], "default sample type is not inuse_space")
    want("File: " + os.path.basename(exe) in head, "-top: File: is not the program")
    bid = build_id(exe)
    if bid:
        want("Build ID: " + bid in head, "-top: Build ID %s not shown: %r" % (bid, head))
    hdr, types, samples, _, maps = raw(profile)
    check_mappings(maps)
    want(types == ["alloc_objects/count", "alloc_space/bytes", "inuse_objects/count",
                   "inuse_space/bytes[dflt]"], "-raw: sample types %r" % types)
    want(hdr.get("PeriodType") == ["space bytes"] and hdr.get("Period") == [str(rate)],
         "-raw: period %r %r, want space bytes %d" % (hdr.get("PeriodType"), hdr.get("Period"), rate))
    cols = [("alloc_objects", "alloc_blocks"), ("alloc_space", "alloc_bytes"),
            ("inuse_objects", "live_blocks"), ("inuse_space", "live_bytes")]
    shown = []
    for index, key in cols:
        _, _, flat, _ = top(profile, index, index.endswith("_space"))
        for t in truth:
            got, real = flat.get(t["function"]), t[key]
            if rate == 1:
                ok = got == real
                bound = 0
            else:
                # 6 sigma of the estimator (the program computes its
                # variance at this rate: see tests/samplecheck.py), plus
                # rounding of each sample's value.
                bound = 6 * math.sqrt(t["var_" + key]) + 64
                ok = got is not None and abs(got - real) <= bound
            want(ok, "%s %s: pprof %r, truth %d (bound %d)" % (index, t["function"], got, real, bound))
            shown.append("%s=%s" % (t["function"], got))
        print("%s: %s" % (index, " ".join(shown[-len(truth):])))
    print("profile: period %d, Go's four sample types, values %s the truth"
          % (rate, "equal to" if rate == 1 else "within 6 sigma of"))


def check_list(profile, report, function, srcdirs):
    """-list FUNCTION: the routine in the report's file, its bytes on the
    report's line (sources looked for in srcdirs, a :-separated list)."""
    rep = json.load(open(report))
    frame = [f for g in rep["leaks"] for f in g["frames"][:1] if f["function"] == function][0]
    path, line = frame["file"], frame["line"]
    out, _ = pprof("-list", "^" + re.escape(function) + "$", "-source_path=" + srcdirs,
                   "-unit=B", "-symbolize=none", profile)
    want(re.search(r"ROUTINE =+ %s in \S*%s$" % (re.escape(function), re.escape(path)), out, re.M),
         "-list: no routine %s in %s: %r" % (function, path, out[:300]))
    hit = [l.split() for l in out.splitlines() if re.match(r"^\s+\S+\s+\S+\s+%d:" % line, l)]
    bytes_ = sum(g["bytes"] for g in rep["leaks"] if g["frames"] and g["frames"][0] == frame)
    want(hit and hit[0][0] == "%dB" % bytes_,
         "-list: line %d shows %r, want %dB: %r" % (line, hit[:1], bytes_, out[:600]))
    print("-list %s: %dB on %s:%d" % (function, bytes_, path, line))


def check_graph(profile, outdir, *functions):
    out, _ = pprof("-dot", "-symbolize=none", profile)
    for fn in functions:
        want('label="%s\\n' % fn in out, "-dot: no node %s" % fn)
    have_dot = any(os.access(os.path.join(p, "dot"), os.X_OK)
                   for p in os.environ.get("PATH", "").split(os.pathsep) if p)
    if have_dot:
        svg = os.path.join(outdir, "graph.svg")
        pprof("-svg", "-symbolize=none", "-output=" + svg, profile)
        body = open(svg).read()
        want(body.lstrip().startswith("<?xml") and "<svg" in body, "-svg: not an SVG")
        for fn in functions:
            want(">%s</text>" % fn in body, "-svg: no node %s" % fn)
    print("graph: -dot%s with nodes %s" % (" and -svg (graphviz)" if have_dot else
                                           " (no graphviz: -svg not tried)", " ".join(functions)))


def check_http(profile, index, total, *functions):
    """pprof -http on a loopback port: the top table, the flame graph and,
    with graphviz, the graph page carry the functions and the total."""
    _, top_total, top_flat, _ = top(profile, index, index.endswith("_space"), "-symbolize=none")
    total = top_total if total == "-" else int(total)
    want(top_total == total, "-top total %r, want %d" % (top_total, total))
    env = dict(os.environ)
    # pprof -http keeps its settings under $HOME (or $XDG_CONFIG_HOME).
    env["XDG_CONFIG_HOME"] = os.path.dirname(os.path.abspath(profile))
    for attempt in range(3):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        proc = subprocess.Popen([PPROF, "-http=127.0.0.1:%d" % port, "-no_browser",
                                 "-symbolize=none", profile], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env)
        try:
            base = "http://127.0.0.1:%d" % port
            page = None
            deadline = time.time() + 20
            while time.time() < deadline and proc.poll() is None:
                try:
                    page = urllib.request.urlopen(base + "/ui/top?si=" + index, timeout=10).read().decode()
                    break
                except OSError:
                    time.sleep(0.1)
            if page is None:
                if proc.poll() is not None and attempt < 2:
                    continue  # the port was taken meanwhile: another one
                want(False, "-http: no answer on %s" % base)
                break
            m = re.search(r"makeTopTable\(\s*(-?\d+)\s*,\s*(\[.*\])\);", page)
            want(m, "-http /ui/top: no table")
            if m:
                want(int(m.group(1)) == total, "-http top total %s, want %d" % (m.group(1), total))
                flat = {}
                for e in json.loads(m.group(2)):
                    flat[e["Name"]] = flat.get(e["Name"], 0) + e["Flat"]
                for fn in functions:
                    want(fn in flat and flat[fn] == top_flat.get(fn),
                         "-http top: %s %r, -top %r" % (fn, flat.get(fn), top_flat.get(fn)))
            fg = urllib.request.urlopen(base + "/ui/flamegraph?si=" + index, timeout=10).read().decode()
            m = re.search(r'var data = JSON\.parse\((".*?")\);', fg)
            want(m, "-http /ui/flamegraph: no data")
            if m:
                tree = json.loads(json.loads(m.group(1)))
                want(tree["v"] == total, "-http flame graph root %r, want %d" % (tree["v"], total))
                seen = set()
                stack = [tree]
                while stack:
                    n = stack.pop()
                    seen.add(n.get("n"))
                    stack.extend(n.get("c") or [])
                for fn in functions:
                    want(fn in seen, "-http flame graph: no %s" % fn)
            graph = "not tried"
            try:
                g = urllib.request.urlopen(base + "/ui/?si=" + index, timeout=10).read().decode()
                want("<svg" in g and all(fn in g for fn in functions), "-http /ui/: graph without the functions")
                graph = "drawn"
            except urllib.error.HTTPError as e:
                graph = "%d (no graphviz)" % e.code
            print("http: /ui/top and /ui/flamegraph show %d and %s; the graph page: %s"
                  % (total, " ".join(functions), graph))
            break
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main():
    cmd, args = sys.argv[2], sys.argv[3:]
    try:
        {"report": check_report, "nosym": check_nosym, "dump": check_dump, "growth": check_growth,
         "profile": check_profile, "list": check_list, "graph": check_graph,
         "http": check_http}[cmd](*args)
    except SystemExit as e:
        if isinstance(e.code, str):
            bad.append(e.code)
        else:
            raise
    for b in bad:
        print("    mismatch: " + b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
