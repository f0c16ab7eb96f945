#!/usr/bin/env python3
"""compare.py - ratmem's leak classes against valgrind memcheck's, block
group by block group, on real programs.

Each program runs twice on the same fixed inputs with the same environment
(hash seeds fixed, LC_ALL=C, TZ=UTC): under valgrind memcheck (XML leak
report, every kind) and under libratmem-preload.so (JSON report,
reachable=1).  Only the process started is compared (its children run, but
are not checked).  Blocks are grouped by allocation stack (module + offset
of each frame, the allocator's own frames left out; valgrind's absolute
addresses are turned into offsets with the module map that vgmaps.so copies
out of the program) and compared per class:

    valgrind definitely lost            ratmem direct
    valgrind indirectly lost            ratmem indirect
    valgrind possibly lost + reachable  ratmem reachable

Groups are matched on their whole stack first, then on shorter and shorter
prefixes of it (where the two unwinders part ways deep down); a group set
left unmatched is a mismatch unless an entry of the known list (known.txt)
explains it.  Prints a leak summary per program side by side, every
mismatch with both sides' stacks, and exits 1 on an unexplained mismatch
(2 on a usage or setup error).
"""
import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSES = ("direct", "indirect", "reachable")
VG_CLASS = {
    "Leak_DefinitelyLost": "direct",
    "Leak_IndirectlyLost": "indirect",
    "Leak_PossiblyLost": "reachable",
    "Leak_StillReachable": "reachable",
}
DEPTH = 64            # frames captured by both tools
PREFIXES = (DEPTH, 12, 6, 3, 2, 1)   # matching passes, longest first


def die(msg):
    print("compare-valgrind: " + msg, file=sys.stderr)
    sys.exit(2)


# ---- the programs -------------------------------------------------------

def write(path, text):
    """A file with fixed contents and a fixed, old modification time (git
    treats a file modified in the second its index was written as "racily
    clean" and hashes it again: a timing-dependent path)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.utime(path, (1000000000, 1000000000))


def make_tree(d):
    """A small fixed directory tree with text files."""
    for i in range(12):
        sub = os.path.join(d, "tree", "d%d" % (i % 4))
        lines = ["%d line %d of file %d %s\n" % ((i * 7919 + j * 104729) % 1000, j, i, "x" * (j % 13))
                 for j in range(200)]
        write(os.path.join(sub, "f%02d.txt" % i), "".join(lines))


def make_data(d):
    """A 200 KB fixed text file (compressible, not trivially)."""
    rows = []
    x = 12345
    for i in range(5000):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        rows.append("%08d %s %d\n" % (x % 100000000, "abcdefghij"[x % 10] * (x % 17), i))
    write(os.path.join(d, "data.txt"), "".join(rows))


C_SRC = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct node { struct node *next; char name[24]; };
static struct node *push(struct node *h, const char *s)
{
    struct node *n = malloc(sizeof *n);
    n->next = h;
    strncpy(n->name, s, sizeof n->name - 1);
    n->name[sizeof n->name - 1] = 0;
    return n;
}
int main(int argc, char **argv)
{
    struct node *h = NULL;
    for (int i = 0; i < argc; i++)
        h = push(h, argv[i]);
    for (struct node *n = h; n; n = n->next)
        puts(n->name);
    return 0;
}
"""

CXX_SRC = r"""
#include <map>
#include <memory>
#include <string>
#include <vector>
struct Shape { virtual ~Shape() = default; virtual double area() const = 0; };
struct Square : Shape { double s; explicit Square(double x) : s(x) {} double area() const override { return s * s; } };
double total(const std::vector<std::unique_ptr<Shape>> &v)
{
    double t = 0;
    for (const auto &p : v) t += p->area();
    return t;
}
std::map<std::string, int> count(const std::vector<std::string> &w)
{
    std::map<std::string, int> m;
    for (const auto &s : w) ++m[s];
    return m;
}
"""

TCL_SRC = r"""
set d [dict create]
for {set i 0} {$i < 2000} {incr i} { dict set d k$i [string repeat x [expr {$i % 17}]] }
set l {}
foreach k [lsort [dict keys $d]] { lappend l [string length [dict get $d $k]] }
puts [llength $l]
"""

PY_CODE = ("import json, decimal, collections, re, fractions, datetime\n"
           "d = {'k%d' % i: [i, str(i)] for i in range(500)}\n"
           "s = json.dumps(d, sort_keys=True)\n"
           "print(len(s), decimal.Decimal('1.1') + decimal.Decimal('2.2'), "
           "len(re.findall(r'k\\d+', s)))\n")

PERL_CODE = ('my %h; $h{"k$_"} = [$_, "x" x ($_ % 13)] for 1 .. 2000; '
             'my @s = sort keys %h; print scalar(@s), "\\n";')


def prog_path(name):
    p = shutil.which(name)
    return p


def compiler_proper(driver, src, flags):
    """The command line the driver would run its compiler proper (cc1,
    cc1plus) with, from `DRIVER -###`; its temporary output named x.s."""
    if not shutil.which(driver):
        return None
    d = tempfile.mkdtemp(prefix="ratmem-vgcmp-probe.")
    try:
        write(os.path.join(d, src), "int x;\n")
        err = subprocess.run([driver, "-###"] + flags + ["-c", src, "-o", "x.o"], cwd=d, capture_output=True,
                             text=True, timeout=60).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    finally:
        shutil.rmtree(d, ignore_errors=True)
    for line in err.splitlines():
        argv = shlex.split(line)
        if argv and os.path.basename(argv[0]) in ("cc1", "cc1plus"):
            return [("x.s" if a.endswith(".s") and a != argv[0] else a) for a in argv]
    return None


def git_setup(d, commit):
    env = base_env(d)
    repo = os.path.join(d, "repo")
    make_tree(repo)
    run = lambda *a: subprocess.run(["git", "-c", "gc.auto=0"] + list(a), cwd=repo, env=env,
                                    check=True, capture_output=True)
    run("init", "-q", "-b", "main", ".")
    if commit:
        run("add", "-A")


def programs(builddir, srcdir):
    """Name -> dict(argv, setup, cwd, env, needs, quick)."""
    prog = os.path.join(builddir, "tests", "prog")
    py = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else prog_path("python3")
    cc1 = compiler_proper("gcc", "x.c", ["-O1"])
    cc1plus = compiler_proper("g++", "x.cc", [])
    P = []

    def add(name, argv, setup=None, env=None, cwd="", needs=None, quick=False, stdin=None):
        P.append(dict(name=name, argv=argv, setup=setup, env=env or {}, cwd=cwd,
                      needs=needs if needs is not None else [argv[0]], quick=quick, stdin=stdin))

    # Interpreters with modules loaded.
    add("perl-modules", ["perl", "-MPOSIX", "-MData::Dumper", "-e", "1"], quick=True)
    add("perl-hash", ["perl", "-e", PERL_CODE])
    add("python3-modules", [py or "python3", "-c", PY_CODE])
    add("tclsh", ["tclsh", "script.tcl"], setup=lambda d: write(os.path.join(d, "script.tcl"), TCL_SRC))
    # Compilers: the drivers, and the compilers proper run directly.
    add("gcc-c", ["gcc", "-O1", "-c", "x.c", "-o", "x.o"], setup=lambda d: write(os.path.join(d, "x.c"), C_SRC))
    add("g++-c", ["g++", "-c", "x.cc", "-o", "x.o"], setup=lambda d: write(os.path.join(d, "x.cc"), CXX_SRC))
    if cc1:
        add("cc1", cc1, setup=lambda d: write(os.path.join(d, "x.c"), C_SRC))
    if cc1plus:
        add("cc1plus", cc1plus, setup=lambda d: write(os.path.join(d, "x.cc"), CXX_SRC))
    # Archivers.
    add("tar-create", ["tar", "-cf", "out.tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0",
                       "tree"], setup=make_tree)
    add("gzip", ["gzip", "-9", "-k", "-f", "data.txt"], setup=make_data)
    add("xz", ["xz", "-6", "-k", "-f", "data.txt"], setup=make_data)
    add("xz-threads", ["xz", "-T2", "--block-size=65536", "-1", "-k", "-f", "data.txt"], setup=make_data,
        needs=["xz"])
    add("bzip2", ["bzip2", "-k", "-f", "data.txt"], setup=make_data)
    # git in a scratch repository.
    add("git-add", ["git", "-c", "gc.auto=0", "add", "-A"], cwd="repo",
        setup=lambda d: git_setup(d, False))
    add("git-commit", ["git", "-c", "gc.auto=0", "commit", "-q", "-m", "first"], cwd="repo",
        setup=lambda d: git_setup(d, True))
    # coreutils and friends.
    add("ls", ["ls", "-lR", "tree"], setup=make_tree)
    add("sort", ["sort", "-k2", "-n", "data.txt"], setup=make_data)
    add("du", ["du", "-a", "tree"], setup=make_tree)
    add("find", ["find", "tree", "-name", "f0*", "-size", "-100k"], setup=make_tree)
    add("sed", ["sed", "-e", "s/[0-9][0-9]*/<&>/g", "data.txt"], setup=make_data)
    add("awk", ["awk", "{ s[$2 % 7] += $1 } END { for (k in s) n++; print n }", "data.txt"], setup=make_data)
    # The project's own programs: C++, threads, known leak shapes.
    add("cxx-leak", [os.path.join(prog, "cxx_leak")], quick=True)
    add("cxx-basics", [os.path.join(prog, "cxx_basics")])
    add("threads-leak", [os.path.join(prog, "leaky"), "thread"])
    add("leaky-indirect", [os.path.join(prog, "leaky"), "indirect"])
    add("leaky-cycle", [os.path.join(prog, "leaky"), "cycle"])
    add("leaky-chunktail", [os.path.join(prog, "leaky"), "chunktail"], quick=True)
    return P


def base_env(work):
    # Nothing of the caller's environment but PATH: the runs must not
    # depend on who starts them.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    env.update({
        "LC_ALL": "C", "LANG": "C", "TZ": "UTC", "HOME": work,
        "PERL_HASH_SEED": "0", "PERL_PERTURB_KEYS": "0",
        "PYTHONHASHSEED": "0", "PYTHONMALLOC": "malloc", "PYTHONDONTWRITEBYTECODE": "1",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "A U Thor", "GIT_AUTHOR_EMAIL": "a@example.invalid",
        "GIT_COMMITTER_NAME": "A U Thor", "GIT_COMMITTER_EMAIL": "a@example.invalid",
        "GIT_AUTHOR_DATE": "@0 +0000", "GIT_COMMITTER_DATE": "@0 +0000",
        "SOURCE_DATE_EPOCH": "0",
    })
    return env


# ---- running ------------------------------------------------------------

def prepare(p, root, tag):
    """A fresh work directory for one run; returns (dir, env).  The two
    runs' tags have the same length, so that paths (HOME, the working
    directory) have the same length in both: interpreters copy the
    environment into their own heap."""
    d = os.path.join(root, p["name"], tag)
    os.makedirs(d)
    env = base_env(d)
    env.update(p["env"])
    if p["setup"]:
        p["setup"](d)
    return d, env


def run(p, argv, d, env, timeout):
    cwd = os.path.join(d, p["cwd"]) if p["cwd"] else d
    env = dict(env, PWD=cwd)
    with open(os.path.join(d, "command"), "w") as f:   # to reproduce a run by hand
        f.write("cd %s && env -i %s %s\n" % (shlex.quote(cwd), " ".join(
            shlex.quote("%s=%s" % kv) for kv in sorted(env.items())), " ".join(shlex.quote(x) for x in argv)))
    t0 = time.monotonic()
    try:
        with open(os.path.join(d, "stdout"), "wb") as o, open(os.path.join(d, "stderr"), "wb") as e:
            pr = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=o, stderr=e)
            try:
                rc = pr.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pr.kill()
                pr.wait()
                return pr.pid, "timeout", time.monotonic() - t0
    except OSError as e:
        return None, str(e), 0.0
    return pr.pid, rc, time.monotonic() - t0


class Envs:
    """What the program sees of its environment must not differ between the
    two runs (perl and python copy it into their heaps at start-up): the
    valgrind wrapper adds variables (Debian's sets LD_LIBRARY_PATH,
    GLIBCXX_FORCE_NEW...) and prefixes LD_PRELOAD with its own libraries.
    Both runs get the same names with values of the same lengths: the
    ratmem run gets valgrind's additions, and each LD_PRELOAD is padded
    with spaces (a separator for the dynamic linker) to the same length."""

    def __init__(self, vgmaps, shim):
        probe = subprocess.run(["valgrind", "-q", "--trace-children=no", "env", "-0"],
                               env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LD_PRELOAD": vgmaps,
                                    "RATMEM_PROBE": "1"},
                               capture_output=True, timeout=120)
        seen = dict(x.split("=", 1) for x in probe.stdout.decode("utf-8", "replace").split("\0") if "=" in x)
        if seen.get("RATMEM_PROBE") != "1":
            die("cannot run valgrind: %s" % probe.stderr.decode("utf-8", "replace").strip()[:200])
        pre = seen.get("LD_PRELOAD", vgmaps)
        self.vg_prefix_len = len(pre) - len(vgmaps)
        self.extra = {k: v for k, v in seen.items()
                      if k not in ("PATH", "LD_PRELOAD", "RATMEM_PROBE", "PWD")}
        self.width = max(len(pre), len(shim))
        self.vgmaps, self.shim = vgmaps, shim

    def valgrind(self, env):
        env["LD_PRELOAD"] = self.vgmaps.ljust(self.width - self.vg_prefix_len)
        return env

    def ratmem(self, env):
        env.update(self.extra)
        env["LD_PRELOAD"] = self.shim.ljust(self.width)
        return env


def run_both(p, root, envs, timeout):
    """Returns ((dir, pid, rc, secs) of the valgrind run, same of ratmem's)."""
    vd, venv = prepare(p, root, "vg")
    rd, renv = prepare(p, root, "rm")
    maps = os.path.join(vd, "maps")
    # only=: the program started, not its children (valgrind checks only
    # it), whose reports would cost time (cc1plus's takes a minute).
    opts = "format=json:reachable=1:stack_depth=%d:only=%s:report=%s" % (
        DEPTH, os.path.basename(p["argv"][0]), os.path.join(rd, "rm.%p.json"))
    for e, d in ((venv, vd), (renv, rd)):
        # The same names and lengths in both runs (the directories differ
        # in their last letters only).
        e["RATMEM_VG_MAPS"] = maps.replace(vd, d)
        e["RATMEM_OPTIONS"] = opts.replace(rd, d)
    envs.valgrind(venv)
    envs.ratmem(renv)
    # --aspace-minaddr: valgrind puts the program's heap at 0x4000000 and
    # up by default, where plain 32-bit integers (perl's op fields, say)
    # point into blocks and make them "possibly lost"; natively the heap of
    # a position-independent program (most of Debian's) lies far above
    # 4 GiB.  From 4 GiB up, no 32-bit word is a pointer into the heap.
    argv = ["valgrind", "--tool=memcheck", "--aspace-minaddr=0x100000000",
            "--leak-check=full", "--show-leak-kinds=all",
            "--errors-for-leak-kinds=none", "--show-below-main=yes", "--read-inline-info=no",
            "--num-callers=%d" % (DEPTH + 2),
            "--run-libc-freeres=no", "--run-cxx-freeres=no", "--child-silent-after-fork=yes",
            "--trace-children=no", "--xml=yes", "--xml-file=" + os.path.join(vd, "vg.%p.xml"),
            "--log-file=" + os.path.join(vd, "vg.log")] + p["argv"]
    v = (vd,) + run(p, argv, vd, venv, timeout)
    r = (rd,) + run(p, p["argv"], rd, renv, timeout)
    return v, r


# ---- reading the two reports ----------------------------------------------

def read_maps(path):
    """Module path -> lowest mapped address (its load address as ratmem's
    offsets count it)."""
    low = {}
    with open(path) as f:
        for line in f:
            parts = line.split(None, 5)
            if len(parts) < 6 or not parts[5].startswith("/"):
                continue
            name = parts[5].strip()
            if name.endswith(" (deleted)"):
                name = name[:-10]
            lo = int(parts[0].split("-")[0], 16)
            if name not in low or lo < low[name]:
                low[name] = lo
    return {os.path.realpath(k): v for k, v in low.items()}


def modname(path):
    return os.path.basename(os.path.realpath(path)) if path else "?"


def is_new(fn, mod):
    # libstdc++'s, or a copy linked into the program (cc1 has one), which
    # valgrind replaces too.
    return bool(fn) and fn.startswith("operator new")


def strip_alloc(frames):
    """Leading allocator frames: C++'s operator new (ratmem's frame 0 when
    new calls malloc; valgrind replaces new itself).  And trailing frames
    in no module: valgrind walks on past _start into the stack's words."""
    i = 0
    while i < len(frames) and is_new(frames[i][2], frames[i][0]):
        i += 1
    j = len(frames)
    while j > i and frames[j - 1][0] == "?":
        j -= 1
    return frames[i:j]


XWHAT = re.compile(r"^([\d,]+) \(([\d,]+) direct, ([\d,]+) indirect\) bytes in ([\d,]+) blocks")


def read_valgrind(xml_path, maps):
    """([(class, bytes, blocks, frames)], [valgrind's kind of each]),
    frames = [(module, offset, function)]."""
    try:
        tree = ET.parse(xml_path)
    except (ET.ParseError, OSError) as e:
        raise RuntimeError("valgrind XML %s: %s" % (xml_path, e))
    out, kinds = [], []
    for err in tree.getroot().iter("error"):
        kind = err.findtext("kind")
        if kind not in VG_CLASS:
            continue
        xw = err.find("xwhat")
        nbytes = int(xw.findtext("leakedbytes"))
        nblocks = int(xw.findtext("leakedblocks"))
        m = XWHAT.match(xw.findtext("text") or "")
        if m:   # "N (D direct, I indirect) bytes": the group's own bytes are D
            nbytes = int(m.group(2).replace(",", ""))
        frames = []
        stack = err.find("stack")
        for fr in (stack.findall("frame") if stack is not None else []):
            obj = fr.findtext("obj") or ""
            if "vgpreload_" in os.path.basename(obj):
                continue   # valgrind's allocator, or its wrapper of putenv...
            ip = int(fr.findtext("ip"), 16)
            base = maps.get(os.path.realpath(obj)) if obj else None
            # Valgrind gives return address - 1 for the callers' frames;
            # ratmem gives the return address.
            off = ip + 1 - base if base is not None else ip + 1
            frames.append((modname(obj), off, fr.findtext("fn") or "??"))
        out.append((VG_CLASS[kind], nbytes, nblocks, strip_alloc(frames)))
        kinds.append(kind)
    return out, kinds


def read_ratmem(path):
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise RuntimeError("ratmem report %s: %s" % (path, e))
    out = []
    for g in doc.get("leaks", []):
        frames = [(modname(fr.get("module")), int(fr.get("offset", "0"), 16), fr.get("function") or "??")
                  for fr in g.get("frames", [])]
        out.append((g["kind"], int(g["bytes"]), int(g["blocks"]), strip_alloc(frames)))
    return out, doc.get("summary", {})


# ---- matching -------------------------------------------------------------

def key_of(frames, n):
    return tuple((m, o) for m, o, _ in frames[:n])


def vec(groups):
    v = {c: [0, 0] for c in CLASSES}
    for c, b, n, _ in groups:
        v[c][0] += b
        v[c][1] += n
    return v


def match(vg, rm):
    """Match group sets whose per-class totals agree, on stack prefixes from
    the longest to the shortest.  A whole stack found on both sides whose
    direct or indirect totals differ is a mismatch as it is: its groups are
    never matched again on a shorter prefix (where two disagreements could
    cancel out); where only the reachable totals differ (the program took a
    different path to the same allocation, such as which request refilled
    a pool), the shorter prefixes may still match them.  Returns (matched
    count, leftover clusters: [(key, vg groups, rm groups)])."""
    left_vg, left_rm = list(vg), list(rm)
    matched = 0
    final = []
    clusters = []
    for i, n in enumerate(PREFIXES):
        by = {}
        for g in left_vg:
            by.setdefault(key_of(g[3], n), ([], []))[0].append(g)
        for g in left_rm:
            by.setdefault(key_of(g[3], n), ([], []))[1].append(g)
        left_vg, left_rm, clusters = [], [], []
        for k, (a, b) in by.items():
            if vec(a) == vec(b):
                matched += len(a) + len(b)
            elif i == 0 and a and b and any(vec(a)[c] != vec(b)[c] for c in ("direct", "indirect")):
                final.append((k, a, b))
            else:
                left_vg += a
                left_rm += b
                clusters.append((k, a, b))
    return matched, final + clusters


# ---- known valgrind-side explanations --------------------------------------

def read_known(path):
    """Lines: PROGRAM VG-CLASSES RATMEM-CLASSES FUNCTION BYTES ID.  PROGRAM
    is a name of the list or '*'; the classes are comma lists of the
    classes of the mismatched groups on each side, of direct, indirect,
    reachable ('-': none; A|B: either); FUNCTION must be a function in
    their stacks ('*': any); BYTES: N (the bytes on the side that has any;
    the other has none or as many), +N/block or -N/block (as many blocks
    on each side, each N bytes larger or smaller under ratmem), xN (blocks
    of N bytes only, any number on each side), or '*'.  '#' starts a
    comment."""
    known = []
    if not path or not os.path.exists(path):
        return known
    with open(path) as f:
        for ln, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 6:
                die("%s:%d: expected 6 fields, got %d" % (path, ln, len(parts)))
            known.append(dict(prog=parts[0], vg=parts[1], rm=parts[2], fn=parts[3], bytes=parts[4],
                              id=parts[5]))
    return known


def classes_of(groups):
    return ",".join(sorted({g[0] for g in groups})) or "-"


def explain(prog, cluster, known):
    _, a, b = cluster
    # Function names without C++ parameter lists or symbol versions.
    fns = {f[2].split("(")[0].split("@")[0] for g in a + b for f in g[3]}
    ba = sum(g[1] for g in a)
    bb = sum(g[1] for g in b)
    for k in known:
        if k["prog"] not in ("*", prog):
            continue
        if classes_of(a) not in k["vg"].split("|") or classes_of(b) not in k["rm"].split("|"):
            continue
        if k["fn"] != "*" and k["fn"] not in fns:
            continue
        na = sum(g[2] for g in a)
        nb = sum(g[2] for g in b)
        m = re.fullmatch(r"([+-]\d+)/block", k["bytes"])
        e = re.fullmatch(r"x(\d+)", k["bytes"])
        if e:   # blocks of that size only, any number on either side
            if not (ba == int(e.group(1)) * na and bb == int(e.group(1)) * nb):
                continue
        elif m:   # as many blocks on each side, ratmem's each that much larger
            if not (na == nb and bb - ba == int(m.group(1)) * na):
                continue
        elif k["bytes"] != "*" and not (int(k["bytes"]) in (ba, bb) and {ba, bb} <= {0, int(k["bytes"])}):
            continue
        return k["id"]
    return None


# ---- output ---------------------------------------------------------------

def fmt(b, n):
    return "%s in %s" % ("{:,}".format(b), "{:,}".format(n))


def print_stack(frames, indent, limit=14):
    for i, (m, o, fn) in enumerate(frames[:limit]):
        print("%s#%-2d %s (%s+0x%x)" % (indent, i, fn, m, o))
    if len(frames) > limit:
        print("%s... %d more" % (indent, len(frames) - limit))


def print_cluster(cluster, tag):
    k, a, b = cluster
    va, vb = vec(a), vec(b)
    print("  %s mismatch at stack %s:" % (tag, " ".join("%s+0x%x" % x for x in k[:3]) or "<empty>"))
    for c in CLASSES:
        if va[c] != vb[c]:
            print("    %-9s valgrind %-22s ratmem %s" % (c, fmt(*va[c]), fmt(*vb[c])))
    for side, gs in (("valgrind", a), ("ratmem", b)):
        for c, nb, nn, fr in gs:
            print("    %s %s: %s bytes in %s blocks" % (side, c, "{:,}".format(nb), "{:,}".format(nn)))
            print_stack(fr, "        ")


def self_test():
    """The matcher on made-up groups: agreement passes, each kind of
    disagreement is caught, and the known list explains only what it
    says.  Returns the number of failed checks."""
    f = lambda *names: [("prog", 0x100 * (i + 1), n) for i, n in enumerate(names)]
    A, B, T = f("alloc_a", "main"), f("alloc_b", "main"), f("allocate_dtv", "pthread_create")
    deep_v = f("x", "y", "start_thread", "clone")
    deep_r = f("x", "y", "start_thread", "clone3")
    known = [dict(prog="*", vg="reachable", rm="reachable", fn="allocate_dtv", bytes="+64/block", id="tls")]
    cases = [
        ("same groups", [("direct", 48, 1, A), ("reachable", 10, 2, B)],
         [("direct", 48, 1, A), ("reachable", 10, 2, B)], 0, 0),
        ("direct vs reachable", [("direct", 48, 1, A)], [("reachable", 48, 1, A)], 1, 0),
        ("indirect vs direct", [("indirect", 8, 1, A)], [("direct", 8, 1, A)], 1, 0),
        ("a group missing", [("direct", 48, 1, A), ("direct", 8, 1, B)], [("direct", 48, 1, A)], 1, 0),
        ("sizes differ", [("direct", 48, 1, A)], [("direct", 40, 1, A)], 1, 0),
        ("unwinders part below the leak", [("direct", 64, 1, deep_v)], [("direct", 64, 1, deep_r)], 0, 0),
        ("two disagreements on one call site do not cancel out",
         [("direct", 48, 1, A), ("reachable", 48, 1, A[:1] + [("prog", 0x900, "other")])],
         [("reachable", 48, 1, A), ("direct", 48, 1, A[:1] + [("prog", 0x900, "other")])], 2, 0),
        ("the same reachable pool refills, made from other call sites",
         [("reachable", 32, 2, A), ("reachable", 16, 1, A[:1] + [("prog", 0x900, "other")])],
         [("reachable", 16, 1, A), ("reachable", 32, 2, A[:1] + [("prog", 0x900, "other")])], 0, 0),
        ("DTV 64 bytes larger: explained", [("reachable", 272, 1, T)], [("reachable", 336, 1, T)], 1, 1),
        ("DTV 48 bytes larger: not explained", [("reachable", 272, 1, T)], [("reachable", 320, 1, T)], 1, 0),
        ("a leak at the DTV's stack: not explained", [("reachable", 272, 1, T)], [("direct", 336, 1, T)], 1, 0),
    ]
    bad = 0
    for name, vg, rm, want_mis, want_expl in cases:
        _, clusters = match(vg, rm)
        expl = sum(1 for c in clusters if explain("prog", c, known))
        ok = (len(clusters), expl) == (want_mis, want_expl)
        bad += not ok
        print("%s - %s (%d mismatched, %d explained)" % ("ok" if ok else "not ok", name, len(clusters), expl))
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default=".")
    ap.add_argument("--srcdir", default=None)
    ap.add_argument("--shim", default=None, help="libratmem-preload.so (default: the build tree's)")
    ap.add_argument("--vgmaps", default=None, help="vgmaps.so (default: the build tree's)")
    ap.add_argument("--known", default=None, help="known valgrind-side explanations (default: known.txt here)")
    ap.add_argument("--quick", action="store_true", help="only the fast subset (make check)")
    ap.add_argument("--only", default="", help="comma list of program names")
    ap.add_argument("--list", action="store_true", help="list the programs and exit")
    ap.add_argument("--keep", default=None, help="keep the runs' files in this directory")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per run")
    ap.add_argument("--self-test", action="store_true", help="check the matcher on made-up groups and exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="print explained mismatches in full too")
    a = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    if a.self_test:
        return 1 if self_test() else 0
    builddir = os.path.abspath(a.builddir)
    srcdir = os.path.abspath(a.srcdir or os.path.join(HERE, "..", ".."))
    shim = a.shim or os.path.join(builddir, "preload", ".libs", "libratmem-preload.so")
    vgmaps = a.vgmaps or os.path.join(builddir, "tests", "compare-valgrind", ".libs", "libvgmaps.so")
    known = read_known(a.known or os.path.join(HERE, "known.txt"))
    progs = programs(builddir, srcdir)
    if a.list:
        for p in progs:
            print("%-18s %s%s" % (p["name"], " ".join(p["argv"])[:70], "  [quick]" if p["quick"] else ""))
        return 0
    if a.only:
        want = a.only.split(",")
        bad = [w for w in want if w not in {p["name"] for p in progs}]
        if bad:
            die("no such program: %s (see --list)" % ", ".join(bad))
        progs = [p for p in progs if p["name"] in want]
    elif a.quick:
        progs = [p for p in progs if p["quick"]]
    for f, what in ((shim, "the shim"), (vgmaps, "vgmaps.so")):
        if not os.path.isfile(f):
            die("%s not found at %s (build it first)" % (what, f))
    if not shutil.which("valgrind"):
        die("valgrind is not installed")
    root = os.path.abspath(a.keep) if a.keep else tempfile.mkdtemp(prefix="ratmem-vgcmp.")
    if a.keep:
        # Only a directory of an earlier --keep run is emptied first.
        marker = os.path.join(root, ".compare-valgrind")
        if os.path.isdir(root) and os.listdir(root):
            if not os.path.exists(marker):
                die("--keep: %s exists and is not an earlier run's directory" % root)
            shutil.rmtree(root)
        os.makedirs(root, exist_ok=True)
        open(marker, "w").close()
    t_all = time.monotonic()
    envs = Envs(vgmaps, shim)
    rows = []
    unexplained = 0
    try:
        for p in progs:
            missing = [n for n in p["needs"] if not (os.path.isabs(n) and os.access(n, os.X_OK)) and not shutil.which(n)]
            if missing:
                print("== %s: skipped (%s not installed)" % (p["name"], ", ".join(missing)))
                rows.append((p["name"], "skipped", 0, 0, 0))
                continue
            (vd, vpid, vrc, vsec), (rd, rpid, rrc, rsec) = run_both(p, root, envs, a.timeout)
            head = "== %s (valgrind %.1f s, exit %s; ratmem %.1f s, exit %s)" % (p["name"], vsec, vrc, rsec, rrc)
            if vrc != rrc or vrc == "timeout" or vpid is None or rpid is None:
                print(head)
                print("  error: the two runs ended differently (%s vs %s)" % (vrc, rrc))
                unexplained += 1
                rows.append((p["name"], "error", 0, 0, 0))
                continue
            try:
                maps_path = os.path.join(vd, "maps.%d" % vpid)
                maps = read_maps(maps_path)
                vg, vkinds = read_valgrind(os.path.join(vd, "vg.%d.xml" % vpid), maps)
                rm, rsum = read_ratmem(os.path.join(rd, "rm.%d.json" % rpid))
            except (RuntimeError, OSError) as e:
                print(head)
                print("  error: %s" % e)
                unexplained += 1
                rows.append((p["name"], "error", 0, 0, 0))
                continue
            print(head)
            vpos = {"direct": [0, 0], "indirect": [0, 0], "possibly": [0, 0], "still": [0, 0]}
            for err_kind, g in zip(vkinds, vg):
                k = {"Leak_DefinitelyLost": "direct", "Leak_IndirectlyLost": "indirect",
                     "Leak_PossiblyLost": "possibly", "Leak_StillReachable": "still"}[err_kind]
                vpos[k][0] += g[1]
                vpos[k][1] += g[2]
            rv = vec(rm)
            print("  %-34s %-26s %s" % ("", "valgrind", "ratmem"))
            print("  %-34s %-26s %s" % ("definitely lost / direct", fmt(*vpos["direct"]), fmt(*rv["direct"])))
            print("  %-34s %-26s %s" % ("indirectly lost / indirect", fmt(*vpos["indirect"]), fmt(*rv["indirect"])))
            print("  %-34s %-26s" % ("possibly lost", fmt(*vpos["possibly"])))
            print("  %-34s %-26s" % ("still reachable", fmt(*vpos["still"])))
            reach = [vpos["possibly"][0] + vpos["still"][0], vpos["possibly"][1] + vpos["still"][1]]
            print("  %-34s %-26s %s" % ("possibly + still / reachable", fmt(*reach), fmt(*rv["reachable"])))
            nm, clusters = match(vg, rm)
            expl = 0
            bad = 0
            for cl in clusters:
                why = explain(p["name"], cl, known)
                if why:
                    expl += 1
                    print("  explained (%s): valgrind %s / ratmem %s, %s / %s bytes" % (
                        why, classes_of(cl[1]), classes_of(cl[2]),
                        "{:,}".format(sum(g[1] for g in cl[1])), "{:,}".format(sum(g[1] for g in cl[2]))))
                    if a.verbose:
                        print_cluster(cl, "explained")
                else:
                    bad += 1
                    print_cluster(cl, "UNEXPLAINED")
            print("  groups: %d matched, %d mismatched (%d explained)" % (nm, len(clusters), expl))
            unexplained += bad
            rows.append((p["name"], "ok" if not bad else "MISMATCH", nm, expl, bad))
    finally:
        if not a.keep:
            shutil.rmtree(root, ignore_errors=True)
    print()
    print("%-18s %-9s %8s %10s %12s" % ("program", "result", "matched", "explained", "unexplained"))
    for r in rows:
        print("%-18s %-9s %8d %10d %12d" % r)
    print("compare-valgrind: %d program(s), %d unexplained mismatch(es), %.0f s" % (
        len(rows), unexplained, time.monotonic() - t_all))
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
