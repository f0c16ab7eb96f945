#!/usr/bin/env python3
"""run.py - ratmem's benchmark: each workload bare, under the shim with
leaks=0, leaks=1 and sample=512K (sampled, with a heap profile written at
exit), and under LeakSanitizer preloaded the same way.
Configurations alternate within each round (the order rotates), several
rounds, and the table shows medians as ratios to bare: wall time and peak
RSS.  The machines are noisy: compare ratios from one run, not times.

It also prints the tracker's own numbers: from the leaks=1 runs' JSON
reports, the exit-time report's share of the run and the distinct stacks;
from bench/trackbench, the ns per tracked malloc+free pair (stack 1 and 32
frames deep) and the bookkeeping bytes per live block.

usage: run.py --builddir DIR [--rounds N] [--quick] [--only NAME,...]
"""
import json
import argparse
import glob
import os
import statistics
import subprocess
import sys
import tempfile
import time


# Debian's own interpreter when present (not a version manager's shim script).
PYTHON3 = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"


def lsan_path():
    for pat in ("/usr/lib/x86_64-linux-gnu/liblsan.so.0", "/usr/lib/*/liblsan.so.0", "/usr/lib*/liblsan.so.0"):
        hits = glob.glob(pat)
        if hits:
            return hits[0]
    return None


def make_inputs(tmp, quick):
    scale = 10 if quick else 1
    lines = 300000 // scale
    with open(os.path.join(tmp, "sort.txt"), "w") as f:
        x = 12345
        for i in range(lines):
            x = (x * 1103515245 + 12345) % 2**31
            f.write(f"{x:010d} line {i} {'abcdefghij'[x % 10] * (x % 30)}\n")
    funcs = 300 // scale
    with open(os.path.join(tmp, "gen.c"), "w") as f:
        f.write("#include <string.h>\n#include <stdlib.h>\n")
        for i in range(funcs):
            f.write(f"""
struct s{i} {{ int a[{i % 7 + 1}]; char name[{i % 13 + 4}]; double d; }};
int f{i}(int x, const char *s) {{
    struct s{i} v; memset(&v, 0, sizeof v);
    for (int k = 0; k < x % 17; k++) {{ v.a[k % {i % 7 + 1}] += k * {i}; v.d += k / 3.0; }}
    if (s && strlen(s) > {i % 5}) return v.a[0] + (int)v.d + f{max(i - 1, 0)}(x - 1, s + 1);
    switch (x & 7) {{ case 0: return {i}; case 1: return x * 3; case 2: return x ^ {i}; default: return (int)v.d; }}
}}
""")
    with open(os.path.join(tmp, "py.py"), "w") as f:
        f.write(f"""
import json
d = {{}}
for i in range({200000 // scale}):
    d["key%d" % i] = [i, str(i) * (i % 7), {{"n": i}}]
s = json.dumps(list(d.items())[:{50000 // scale}])
words = s.split(",")
print(len(d), len(s), len(set(words)), sum(len(w) for w in words))
""")
    with open(os.path.join(tmp, "pl.pl"), "w") as f:
        f.write(f"""
my %h; my @a;
for my $i (1..{300000 // scale}) {{ $h{{"k$i"}} = "v" x ($i % 50); push @a, join(",", $i, $i * 2); }}
my $t = 0; for my $k (keys %h) {{ $t += length $h{{$k}}; }}
my $j = join(";", @a); my @b = split(/;/, $j);
print scalar(keys %h), " $t ", scalar(@b), "\\n";
""")


def workloads(builddir, tmp, quick):
    ops = "200000" if quick else "2000000"
    mb = os.path.join(builddir, "bench", "mallocbench")
    return [
        ("mallocbench-1t", [mb, "1", ops], {}),
        ("mallocbench-2t", [mb, "2", str(int(ops) // 2)], {}),
        ("python3", [PYTHON3, os.path.join(tmp, "py.py")], {"PYTHONMALLOC": "malloc"}),
        ("sort", ["sort", os.path.join(tmp, "sort.txt"), "-o", os.path.join(tmp, "sorted.txt")], {"LC_ALL": "C"}),
        ("gcc -O2 -c", ["gcc", "-O2", "-c", os.path.join(tmp, "gen.c"), "-o", os.path.join(tmp, "gen.o")], {}),
        ("perl", ["perl", os.path.join(tmp, "pl.pl")], {}),
    ]


def read_reports(d):
    """Sum report_seconds, and take the largest distinct_stacks and
    tracker_peak_bytes, over the JSON reports in d (one per process)."""
    secs, stacks, peak, live = 0.0, 0, 0, 0
    for f in glob.glob(os.path.join(d, "r.*")):
        try:
            with open(f) as fh:
                rep = json.load(fh)
            sm = rep["summary"]
        except (OSError, ValueError, KeyError):
            continue
        secs += rep.get("report_seconds", 0.0)
        stacks = max(stacks, sm.get("distinct_stacks", 0))
        peak = max(peak, sm.get("tracker_peak_bytes", 0))
        live = max(live, sm.get("live_blocks", 0))
        os.unlink(f)
    return secs, stacks, peak, live


def run_once(cmd, env):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_maxrss, p.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", default=".")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="tiny inputs (a smoke run)")
    ap.add_argument("--only", default="", help="comma-separated workload names")
    args = ap.parse_args()
    builddir = os.path.abspath(args.builddir)
    shim = os.path.join(builddir, "preload", ".libs", "libratmem-preload.so")
    if not os.path.exists(shim):
        print(f"bench: {shim} not built", file=sys.stderr)
        return 1
    lsan = lsan_path()
    base_env = dict(os.environ)
    base_env.pop("LD_PRELOAD", None)
    base_env.pop("RATMEM_OPTIONS", None)
    configs = [("bare", {})]
    configs.append(("leaks=0", {"LD_PRELOAD": shim, "RATMEM_OPTIONS": "leaks=0"}))
    repdir = tempfile.mkdtemp(prefix="ratmem-bench-reports.")
    configs.append(("leaks=1", {"LD_PRELOAD": shim,
                                "RATMEM_OPTIONS": f"leaks=1:format=json:report={repdir}/r.%p"}))
    configs.append(("sample=512K", {"LD_PRELOAD": shim, "RATMEM_OPTIONS":
                                    f"sample=512K:profile={repdir}/p.%p.pb.gz:report=/dev/null"}))
    if lsan:
        configs.append(("lsan", {"LD_PRELOAD": lsan, "LSAN_OPTIONS": "exitcode=0:log_path=/dev/null"}))
    else:
        print("bench: liblsan.so.0 not found (apt-get install liblsan0): LSan column skipped")

    with tempfile.TemporaryDirectory(prefix="ratmem-bench.") as tmp:
        make_inputs(tmp, args.quick)
        wls = workloads(builddir, tmp, args.quick)
        if args.only:
            keep = set(args.only.split(","))
            wls = [w for w in wls if w[0] in keep]
        results = {}
        failed = {}
        tracker = {}
        for name, cmd, extra in wls:
            for r in range(args.rounds):
                order = configs[r % len(configs):] + configs[:r % len(configs)]
                for cname, cenv in order:
                    env = dict(base_env, **extra, **cenv)
                    wall, rss, rc = run_once(cmd, env)
                    if rc != 0:
                        print(f"bench: {name} under {cname} exited {rc}", file=sys.stderr)
                        failed[(name, cname)] = rc
                    results.setdefault((name, cname), []).append((wall, rss))
                    for f in glob.glob(os.path.join(repdir, "p.*")):
                        os.unlink(f)   # the sample=512K runs' profiles
                    if cname == "leaks=1":
                        secs, stacks, peak, live = read_reports(repdir)
                        tracker.setdefault(name, []).append((secs / wall, stacks, peak, live))
        names = [c[0] for c in configs if c[0] != "bare"]
        print(f"ratmem benchmark: {args.rounds} round(s), configurations alternating; each cell is the median")
        print("over rounds of the ratio to the bare run of the same round (pairs within a round cancel slow")
        print("drifts in the machine's load); bare s is the median bare time")
        hdr = f"{'workload':<16}{'bare s':>9}" + "".join(f"{n + ' t':>11}" for n in names) \
            + "".join(f"{n + ' rss':>12}" for n in names)
        print(hdr)
        print("-" * len(hdr))
        for name, _, _ in wls:
            bw = statistics.median(w for w, _ in results[(name, "bare")])
            row = f"{name:<16}{bw:>9.3f}"
            bare = results[(name, "bare")]
            for n in names:
                w = paired(results[(name, n)], bare, 0)
                row += f"{w:>11.2f}" if (name, n) not in failed else f"{'fail':>11}"
            for n in names:
                r = paired(results[(name, n)], bare, 1)
                row += f"{r:>12.2f}" if (name, n) not in failed else f"{'fail':>12}"
            print(row)
        if failed:
            print("fail = exited non-zero or crashed in at least one round (see the bench: lines)")
        print()
        print("leaks=1 tracker, per workload (medians): exit-time report as % of the run,")
        print("distinct stacks, tracker peak memory, live blocks at exit (largest process)")
        print(f"{'workload':<16}{'report %':>10}{'stacks':>10}{'peak MiB':>10}{'live':>10}")
        for name, _, _ in wls:
            rows = tracker.get(name, [])
            if not rows:
                continue
            print(f"{name:<16}{100 * statistics.median(x[0] for x in rows):>10.2f}"
                  f"{statistics.median(x[1] for x in rows):>10.0f}"
                  f"{statistics.median(x[2] for x in rows) / 2**20:>10.1f}"
                  f"{statistics.median(x[3] for x in rows):>10.0f}")
        micro(builddir, shim, base_env, args, repdir)
    os.rmdir(repdir)
    # The shim must never change a program's outcome: fail when a shim run
    # failed where the bare run did not (LSan's failures are its own).
    ours = [k for k in failed if k[1] in ("leaks=0", "leaks=1", "sample=512K") and (k[0], "bare") not in failed]
    for name, cname in ours:
        print(f"bench: FAIL: {name} failed under {cname} but not bare", file=sys.stderr)
    return 1 if ours else 0


def paired(runs, bare, k):
    """Median over rounds of runs[i][k] / bare[i][k] (round i of each)."""
    return statistics.median(r[k] / b[k] for r, b in zip(runs, bare) if b[k] > 0)


def micro(builddir, shim, base_env, args, repdir):
    """The tracker's own costs from bench/trackbench, alternating configs."""
    tb = os.path.join(builddir, "bench", "trackbench")
    if not os.path.exists(tb):
        print("bench: bench/trackbench not built: tracker numbers skipped")
        return
    n = "200000" if args.quick else "2000000"
    cfgs = [("bare", {}),
            ("leaks=0", {"LD_PRELOAD": shim, "RATMEM_OPTIONS": "leaks=0"}),
            ("leaks=1 depth 1", {"LD_PRELOAD": shim, "RATMEM_OPTIONS": "leaks=1:stack_depth=1:report=/dev/null"}),
            ("leaks=1 depth 32", {"LD_PRELOAD": shim, "RATMEM_OPTIONS": "leaks=1:stack_depth=32:report=/dev/null"})]
    ns = {}
    for r in range(args.rounds):
        order = cfgs[r % len(cfgs):] + cfgs[:r % len(cfgs)]
        for cname, cenv in order:
            out = subprocess.run([tb, "pairs", "40", n], env=dict(base_env, **cenv),
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
            for line in out.splitlines():
                if line.startswith("ns_per_pair "):
                    ns.setdefault(cname, []).append(float(line.split()[1]))
    print()
    print("tracker microbenchmark (bench/trackbench, malloc(64)+free 40 frames below main, medians):")
    med = {k: statistics.median(v) for k, v in ns.items()}
    for cname, _ in cfgs:
        if cname in med:
            extra = f"  (+{med[cname] - med['bare']:.1f} ns over bare)" if cname != "bare" and "bare" in med else ""
            print(f"  {cname:<18}{med[cname]:>8.1f} ns per pair{extra}")
    if "leaks=1 depth 1" in med and "leaks=1 depth 32" in med:
        print(f"  stack capture, 31 more frames: {med['leaks=1 depth 32'] - med['leaks=1 depth 1']:.1f} ns per allocation")
    hold = "100000" if args.quick else "1000000"
    env = dict(base_env, LD_PRELOAD=shim, RATMEM_OPTIONS=f"leaks=1:format=json:report={repdir}/r.%p")
    subprocess.run([tb, "hold", hold], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sm = None
    for f in glob.glob(os.path.join(repdir, "r.*")):
        with open(f) as fh:
            try:
                sm = json.load(fh)["summary"]
            except ValueError:
                pass
        os.unlink(f)
    if sm and sm.get("live_blocks"):
        print(f"  bookkeeping: {sm['tracker_bytes'] / sm['live_blocks']:.1f} bytes per live block "
              f"({sm['live_blocks']} live 32-byte blocks, {sm['distinct_stacks']} distinct stacks, "
              f"tracker {sm['tracker_bytes'] / 2**20:.1f} MiB)")


if __name__ == "__main__":
    sys.exit(main())
