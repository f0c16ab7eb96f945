#!/usr/bin/env python3
"""run.py - ratmem's benchmark: each workload bare, under the shim with
leaks=0, zero=0 (leaks=0 without zeroing; not in --quick), leaks=1 and
sample=512K (sampled; its leak report goes to the discarded stderr; a
heap profile would cost a symbolization more), and under
LeakSanitizer preloaded the same way.  Workloads: mallocbench, python3,
sort, the gcc driver, perl, cc1 and cc1plus run directly (the compiler
proper), a 4-thread C++ program, and a shell running short pipelines (a
process tree); then per-process figures for /bin/true and sed.
Configurations alternate within each round (the order rotates), several
rounds, and the table shows medians as ratios to bare: wall time and peak
RSS.  The machines are noisy: compare ratios from one run, not times.

It also prints the tracker's own numbers: from the leaks=1 runs' JSON
reports, the exit-time report's share of the run, the distinct stacks and
the stack capture's counters (captures, reuse, frames walked, interning);
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


def prog_name(driver, name):
    try:
        return subprocess.run([driver, f"-print-prog-name={name}"], stdout=subprocess.PIPE,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return name


CC1 = prog_name("gcc", "cc1")
CC1PLUS = prog_name("g++", "cc1plus")

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
    funcs = 250 // scale
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
    # cc1 run directly: the compiler proper on the preprocessed file (the
    # gcc driver spreads a compile over three processes and hides it).
    subprocess.run(["gcc", "-E", os.path.join(tmp, "gen.c"), "-o", os.path.join(tmp, "gen.i")],
                   check=True)
    # cc1plus on an STL-heavy file.
    with open(os.path.join(tmp, "stl.cc"), "w") as f:
        f.write("#include <map>\n#include <string>\n#include <vector>\n#include <algorithm>\n"
                "#include <unordered_map>\n#include <sstream>\n#include <memory>\n#include <set>\n")
        for i in range(60 // scale):
            f.write(f"""
struct R{i} {{ std::string name; std::vector<int> v; std::map<std::string, double> m; }};
std::string f{i}(const std::vector<R{i}> &in) {{
    std::unordered_map<std::string, std::set<int>> idx;
    for (const auto &r : in) for (int x : r.v) idx[r.name].insert(x * {i + 1});
    std::vector<std::pair<std::string, size_t>> out;
    for (auto &kv : idx) out.emplace_back(kv.first, kv.second.size());
    std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) {{ return a.second < b.second; }});
    std::ostringstream os; for (auto &p : out) os << p.first << '=' << p.second << ';';
    auto sp = std::make_shared<std::map<int, std::string>>(); (*sp)[{i}] = os.str();
    return (*sp)[{i}];
}}
""")
    if not quick:
        subprocess.run(["g++", "-E", os.path.join(tmp, "stl.cc"), "-o", os.path.join(tmp, "stl.ii")],
                       check=True)
    # A multi-threaded C++ program: threads building and dropping maps of
    # strings at once (libstdc++'s operator new over malloc).
    with open(os.path.join(tmp, "mt.cc"), "w") as f:
        f.write("""#include <map>
#include <string>
#include <thread>
#include <vector>
#include <cstdio>
#include <cstdlib>
static unsigned long work(int seed, int n) {
    unsigned long t = 0;
    for (int r = 0; r < n; r++) {
        std::map<std::string, std::vector<int>> m;
        for (int i = 0; i < 200; i++)
            m[std::to_string(seed * 7919 + i * 31 + r)].assign(i % 13 + 1, i);
        for (auto &kv : m) t += kv.first.size() + kv.second.size();
    }
    return t;
}
int main(int argc, char **argv) {
    int threads = atoi(argv[1]), n = atoi(argv[2]);
    std::vector<std::thread> ts; std::vector<unsigned long> out(threads);
    for (int k = 0; k < threads; k++) ts.emplace_back([&, k] { out[k] = work(k, n); });
    for (auto &t : ts) t.join();
    unsigned long s = 0; for (auto v : out) s += v;
    printf("%lu\\n", s);
    return 0;
}
""")
    subprocess.run(["g++", "-O2", "-pthread", os.path.join(tmp, "mt.cc"), "-o", os.path.join(tmp, "mt")],
                   check=True)
    # A process tree: a shell running many short commands.
    with open(os.path.join(tmp, "tree.sh"), "w") as f:
        f.write(f"""i=0
while [ $i -lt {1000 // (scale * 3)} ]; do
    echo "line $i" | sed -e 's/line/l/' | cat > /dev/null
    i=$((i + 1))
done
""")
    with open(os.path.join(tmp, "one.txt"), "w") as f:
        f.write("one line\n")
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
        ("cc1 -O2", [CC1, "-quiet", "-O2", os.path.join(tmp, "gen.i"), "-o", os.path.join(tmp, "gen.s")], {}),
    ] + ([] if quick else [
        # (not in the smoke run: parsing the STL headers alone takes a second)
        ("cc1plus -O1", [CC1PLUS, "-quiet", "-O1", os.path.join(tmp, "stl.ii"), "-o",
                         os.path.join(tmp, "stl.s")], {}),
    ]) + [
        ("c++ 4 threads", [os.path.join(tmp, "mt"), "4", "300" if quick else "3000"], {}),
        ("sh tree", ["sh", os.path.join(tmp, "tree.sh")], {}),
    ]


COUNTERS = ("captures", "captures_reused", "captures_libunwind", "frames_walked",
            "frames_remembered", "intern_cached", "intern_locked", "captures_site")


def read_reports(d):
    """Sum report_seconds and the tracker's counters, and take the largest
    distinct_stacks and tracker_peak_bytes, over the JSON reports in d (one
    per process)."""
    secs, stacks, peak, live = 0.0, 0, 0, 0
    counts = dict.fromkeys(COUNTERS, 0)
    counts["processes"] = 0
    for f in glob.glob(os.path.join(d, "r.*")):
        try:
            with open(f) as fh:
                rep = json.load(fh)
            sm = rep["summary"]
        except (OSError, ValueError, KeyError):
            continue
        finally:
            os.unlink(f)
        secs += rep.get("report_seconds", 0.0)
        stacks = max(stacks, sm.get("distinct_stacks", 0))
        peak = max(peak, sm.get("tracker_peak_bytes", 0))
        live = max(live, sm.get("live_blocks", 0))
        for k in COUNTERS:
            counts[k] += sm.get(k, 0)
        counts["processes"] += 1
    return secs, stacks, peak, live, counts


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
    if not args.quick:
        # What zeroing costs: leaks=0 against the shim doing nothing at all.
        configs.append(("zero=0", {"LD_PRELOAD": shim, "RATMEM_OPTIONS": "leaks=0:zero=0"}))
    repdir = tempfile.mkdtemp(prefix="ratmem-bench-reports.")
    configs.append(("leaks=1", {"LD_PRELOAD": shim,
                                "RATMEM_OPTIONS": f"leaks=1:format=json:report={repdir}/r.%p"}))
    configs.append(("sample=512K", {"LD_PRELOAD": shim, "RATMEM_OPTIONS": "sample=512K"}))
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
        counters = {}
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
                    if cname == "leaks=1":
                        secs, stacks, peak, live, counts = read_reports(repdir)
                        tracker.setdefault(name, []).append((secs / wall, stacks, peak, live))
                        counters[name] = counts
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
        print()
        print("leaks=1 stack capture, per workload (last round, all processes): captures; reused = the")
        print("previous capture's frames found again (its stack id reused, nothing walked or interned);")
        print("site = answered by the call-site cache (the stack words of an earlier capture from the same")
        print("call found unchanged: nothing walked);")
        print("walked / remembered = frames per capture unwound by rule / taken from the previous capture")
        print("and checked in place; libunwind = captures the fast unwinder gave up on; locked = captures")
        print("interned under a shard lock (not in the thread's cache of recent stacks)")
        print(f"{'workload':<16}{'procs':>7}{'captures':>11}{'reused %':>10}{'site %':>8}{'walked':>8}"
              f"{'rememb.':>9}{'libunwind':>10}{'locked %':>10}")
        for name, _, _ in wls:
            c = counters.get(name)
            if not c or not c["captures"]:
                continue
            n = c["captures"]
            print(f"{name:<16}{c['processes']:>7}{n:>11}{100 * c['captures_reused'] / n:>10.1f}"
                  f"{100 * c.get('captures_site', 0) / n:>8.1f}{c['frames_walked'] / n:>8.1f}{c['frames_remembered'] / n:>9.1f}"
                  f"{c['captures_libunwind']:>10}{100 * c['intern_locked'] / n:>10.1f}")
        per_process(base_env, configs, args, repdir, tmp)
        micro(builddir, shim, base_env, args, repdir)
    os.rmdir(repdir)
    # The shim must never change a program's outcome: fail when a shim run
    # failed where the bare run did not (LSan's failures are its own).
    ours = [k for k in failed if k[1] in ("leaks=0", "zero=0", "leaks=1", "sample=512K") and (k[0], "bare") not in failed]
    for name, cname in ours:
        print(f"bench: FAIL: {name} failed under {cname} but not bare", file=sys.stderr)
    return 1 if ours else 0


def paired(runs, bare, k):
    """Median over rounds of runs[i][k] / bare[i][k] (round i of each)."""
    return statistics.median(r[k] / b[k] for r, b in zip(runs, bare) if b[k] > 0)


def per_process(base_env, configs, args, repdir, tmp):
    """Start-up and exit cost of one process: /bin/true and sed on a
    one-line file, many runs per configuration, alternating."""
    runs = 10 if args.quick else 100
    progs = [("/bin/true", ["/bin/true"]),
             ("sed", ["sed", "-e", "s/one/two/", os.path.join(tmp, "one.txt")])]
    print()
    print(f"per process (median of {runs * args.rounds} runs each, configurations alternating; ms and the")
    print("difference to bare; leaks=1 writes its JSON report)")
    names = [c[0] for c in configs]
    print(f"{'program':<16}" + "".join(f"{n:>18}" for n in names))
    for label, cmd in progs:
        times = {n: [] for n in names}
        for r in range(args.rounds * runs):
            for cname, cenv in configs:
                t0 = time.perf_counter()
                subprocess.run(cmd, env=dict(base_env, **cenv), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
                times[cname].append(time.perf_counter() - t0)
            for f in glob.glob(os.path.join(repdir, "*")):
                os.unlink(f)
        med = {n: 1000 * statistics.median(v) for n, v in times.items()}
        row = f"{label:<16}"
        for n in names:
            cell = f"{med[n]:.2f}" if n == "bare" else f"{med[n]:.2f} (+{med[n] - med['bare']:.2f})"
            row += f"{cell:>18}"
        print(row)


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
