#!/usr/bin/env python3
"""tests/samplecheck.py - checks on sampled heap profiles (tests/shim-sample.sh).

    samplecheck.py accuracy PROFILE.json TRUTH.json RATE
    samplecheck.py sites PROFILE.json SITE=INUSE_BYTES/INUSE_OBJECTS|SITE=0|SITE=- ...
    samplecheck.py header PROFILE.json RATE

PROFILE.json is a profile as tests/pprof_read.py prints it; a sample belongs
to the site named by the first frame whose function is one of the sites.

accuracy: TRUTH.json is tests/prog/sample_acc's output.  Why these bounds:

  A block of s bytes is sampled with probability p(s) = 1 - exp(-s/R)
  (R = RATE): the sampling points form a Poisson process of rate 1/R over
  the bytes a thread allocates, and the block is sampled when at least one
  falls in it.  A sampled block is counted 1/p(s) times (s/p(s) bytes), so
  each block contributes s*I/p with I ~ Bernoulli(p): unbiased, with
  variance s^2 (1-p)/p.  Blocks are sampled independently (their byte
  ranges do not overlap, and the Poisson process has independent
  increments), so the estimate of a site's live bytes has mean the truth
  and variance V = sum over its live blocks of s^2 (1-p)/p; the program
  computes V from the sizes it holds (and likewise for the blocks, the
  allocated bytes and blocks).  The estimate is a sum of many small
  independent terms, the largest of which (s <= 1 MiB, mostly sampled
  surely) is small against the spread, so it is close to normal; even
  without that, Chebyshev bounds a 6-sigma miss by 1/36 and the normal
  tail by 2e-9.  The check allows 6 sigma plus 0.5 per sample (the
  profile's rounding).

  The issue's targets (inuse_space within 10% for the 64 MiB and 16 MiB
  sites, the total within 5%; alloc_space likewise) must lie outside that
  allowance for the test to mean anything: the test asserts that 6 sigma
  is below 10% (5% for the total) of the truth, so that RATE cannot be
  raised until the test no longer checks the target (at sample=4K, with
  equal bytes in each size class from 16 B to 1 MiB, 6 sigma is about 3%
  of 64 MiB and 7% of 16 MiB; at 512K it would be 20% and 40%: the
  targets cannot be met at that rate, whatever the estimator).

  A wrong scaling is caught: for each of three plausible mistakes (no
  scaling, R/s, and Go's per-stack scaling by the average sampled size)
  the expected estimate, computed from the live sizes per size class, is
  more than 12 sigma from the truth for the 64 MiB site, so the 6-sigma
  check rejects it with certainty; the test checks that too.

sites: the exact live bytes/objects per site (blocks of 64 KiB at a rate of
4 KiB: p = 1 - e^-16, the estimate equals the truth after rounding), 0 for
nothing live, "-" for no sample at all.

header: the four sample types of Go's heap profile, period = RATE with
period type space/bytes, a comment naming the rate, and build IDs on the
mappings.

Exit status 1 with the reasons on stdout when a check fails."""
import json
import math
import sys

TYPES = [["alloc_objects", "count"], ["alloc_space", "bytes"],
         ["inuse_objects", "count"], ["inuse_space", "bytes"]]


def by_site(prof, names):
    agg = {}
    for s in prof["samples"]:
        site = None
        for fr in s["stack"]:
            if fr.get("function") in names:
                site = fr["function"]
                break
        a = agg.setdefault(site, [0, 0, 0, 0, 0])
        for i, v in enumerate(s["values"]):
            a[i] += v
        a[4] += 1
    return agg


def accuracy(prof, truth, rate):
    bad = []
    names = [h["function"] for h in truth]
    agg = by_site(prof, names)
    tot = {"live_bytes": [0.0, 0.0, 0.0], "alloc_bytes": [0.0, 0.0, 0.0]}
    for h in truth:
        got = agg.get(h["function"])
        if not got:
            bad.append("%s: no sample in the profile" % h["function"])
            continue
        for key, vkey, idx, target in (("live_bytes", "var_live_bytes", 3, 0.10),
                                       ("live_blocks", "var_live_blocks", 2, None),
                                       ("alloc_bytes", "var_alloc_bytes", 1, 0.10),
                                       ("alloc_blocks", "var_alloc_blocks", 0, None)):
            t, sd, est = h[key], math.sqrt(h[vkey]), got[idx]
            allow = 6 * sd + 0.5 * got[4] + 1
            line = "%s %s: estimate %d, truth %d (%+.2f%%), 6 sigma %.2f%%" % (
                h["function"], key, est, t, 100 * (est - t) / t, 600 * sd / t)
            print(line)
            if abs(est - t) > allow:
                bad.append(line + ": outside 6 sigma")
            big = h["live_bytes"] >= 8 << 20
            if target and big:
                if abs(est - t) > target * t:
                    bad.append(line + ": outside the issue's %d%%" % (100 * target))
                if allow > target * t:
                    bad.append(line + ": 6 sigma is wider than the issue's %d%%: the rate is too "
                               "coarse for this test to check the target" % (100 * target))
            if key in tot:
                tot[key][0] += est
                tot[key][1] += t
                tot[key][2] += h[vkey]
    for key, (est, t, var) in tot.items():
        if not t:
            continue
        sd = math.sqrt(var)
        line = "total %s: estimate %d, truth %d (%+.2f%%), 6 sigma %.2f%%" % (
            key, est, t, 100 * (est - t) / t, 600 * sd / t)
        print(line)
        if abs(est - t) > 6 * sd + 0.5 * sum(a[4] for a in agg.values()) + 1:
            bad.append(line + ": outside 6 sigma")
        if abs(est - t) > 0.05 * t:
            bad.append(line + ": outside the issue's 5%")
        if 6 * sd > 0.05 * t:
            bad.append(line + ": 6 sigma is wider than 5%")
    # The power of the check: plausible wrong scalings, in expectation.
    big = max(truth, key=lambda h: h["live_bytes"])
    sd = math.sqrt(big["var_live_bytes"])
    classes = big["live_sizes_by_class"]   # [bytes, blocks] for 2^4 .. 2^19

    def p(s):
        return -math.expm1(-s / rate)
    # each class's blocks at their mean size (a class spans a factor of 2;
    # the errors below are far larger than that approximation)
    wrong = {}
    wrong["no scaling"] = sum(b * p(b / n) for b, n in classes if n)
    wrong["scale R/s"] = sum(b * p(b / n) * min(rate / (b / n), 1e9) for b, n in classes if n)
    sampled_bytes = sum(b * p(b / n) for b, n in classes if n)
    sampled_blocks = sum(n * p(b / n) for b, n in classes if n)
    avg = sampled_bytes / sampled_blocks
    wrong["Go's average-size scaling"] = sampled_bytes / p(avg)
    for name, e in wrong.items():
        print("power: %s would give %d for %d (%.1f sigma)" % (
            name, e, big["live_bytes"], abs(e - big["live_bytes"]) / sd))
        if abs(e - big["live_bytes"]) < 12 * sd:
            bad.append("power: %s is within 12 sigma of the truth: the test would not catch it"
                       % name)
    return bad


def sites(prof, specs):
    bad = []
    names = [s.split("=")[0] for s in specs]
    agg = by_site(prof, names)
    for spec in specs:
        name, want = spec.split("=")
        got = agg.get(name)
        if want == "-":
            if got:
                bad.append("%s: expected no sample, got %s" % (name, got[:4]))
        elif want == "0":
            if not got or got[2] or got[3]:
                bad.append("%s: expected nothing live, got %s" % (name, got and got[:4]))
        else:
            b, o = (int(x) for x in want.split("/"))
            if not got or got[3] != b or got[2] != o:
                bad.append("%s: expected %d bytes in %d live, got %s" % (name, b, o, got and got[:4]))
            elif got[1] < got[3] or got[0] < got[2]:
                bad.append("%s: allocated less than live: %s" % (name, got[:4]))
    return bad


def header(prof, rate):
    bad = []
    if prof["sample_types"] != TYPES:
        bad.append("sample types %s" % prof["sample_types"])
    if prof["period_type"] != ["space", "bytes"] or prof["period"] != rate:
        bad.append("period %s %s" % (prof["period_type"], prof["period"]))
    if not any(str(rate) in c for c in prof["comments"]):
        bad.append("no comment names the rate: %s" % prof["comments"])
    if prof["default"] != "inuse_space":
        bad.append("default type %s" % prof["default"])
    if not prof["time_nanos"]:
        bad.append("no time")
    ids = [fr.get("build_id") for smp in prof["samples"] for fr in smp["stack"] if fr.get("module")]
    if not ids or not any(ids):
        bad.append("no frame's mapping has a build ID")
    return bad


def main():
    mode, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        prof = json.load(f)
    if mode == "accuracy":
        with open(sys.argv[3]) as f:
            truth = json.load(f)
        bad = accuracy(prof, truth, float(sys.argv[4]))
    elif mode == "sites":
        bad = sites(prof, sys.argv[3:])
    elif mode == "header":
        bad = header(prof, int(sys.argv[3]))
    else:
        print("samplecheck: unknown mode %s" % mode)
        return 2
    for b in bad:
        print("FAIL: " + b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
