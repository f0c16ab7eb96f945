/* report.c - the leak report (see report.h).  Runs at exit or on demand,
 * under the preload's guard; every buffer is a scratch mapping, freed at
 * the end. */
#define _GNU_SOURCE
#include "config.h"
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "badfree.h"
#include "dump.h"
#include "json.h"
#include "mem.h"
#include "out.h"
#include "roots.h"
#include "sample.h"
#include "stackdb.h"
#include "stats.h"
#include "suppress.h"
#include "symbolize.h"
#include "table.h"
#include "threads.h"
#include "unwind.h"
#include "hsort.h"
#include "report.h"

struct rm_group {
    uint64_t bytes;
    uint64_t blocks;
    /* Sampled mode: the estimate of the unsampled truth (sample.h); the
     * same as bytes and blocks in exact mode. */
    double est_bytes;
    double est_blocks;
    uint32_t stack;
    uint8_t kind;
    uint8_t suppressed;
};

static int by_key(const struct rm_group *a, const struct rm_group *b)
{
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (a->stack != b->stack)
        return a->stack < b->stack ? -1 : 1;
    return 0;
}

/* Report order: leaks before reachable; then largest bytes first; then
 * more blocks; direct before indirect; then stack id (deterministic). */
static int rank(const struct rm_group *g)
{
    return g->kind == RM_KIND_REACHABLE ? 1 : 0;
}

static int by_order(const struct rm_group *a, const struct rm_group *b)
{
    /* "a < b" means a is printed later. */
    if (rank(a) != rank(b))
        return rank(a) > rank(b) ? -1 : 1;
    if (a->bytes != b->bytes)
        return a->bytes < b->bytes ? -1 : 1;
    if (a->blocks != b->blocks)
        return a->blocks < b->blocks ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;   /* direct (3) first */
    if (a->stack != b->stack)
        return a->stack > b->stack ? -1 : 1;
    return 0;
}

static const char *kind_name(int k)
{
    return k == RM_KIND_DIRECT ? "direct" : k == RM_KIND_INDIRECT ? "indirect" :
           k == RM_KIND_LIVE ? "live" : "reachable";
}

/* g[0..m) holds one entry per block: merge those of equal (kind, stack)
 * and put the groups in report order.  Returns the number of groups. */
static int key_cmp(const void *a, const void *b)
{
    return by_key(a, b);
}

static int order_cmp(const void *a, const void *b)
{
    return by_order(a, b);
}

static size_t group_blocks(struct rm_group *g, size_t m)
{
    ratmem_hsort(g, m, sizeof *g, key_cmp);
    size_t ng = 0;
    for (size_t i = 0; i < m; i++) {
        if (ng && by_key(&g[ng - 1], &g[i]) == 0) {
            g[ng - 1].bytes += g[i].bytes;
            g[ng - 1].blocks += g[i].blocks;
            g[ng - 1].est_bytes += g[i].est_bytes;
            g[ng - 1].est_blocks += g[i].est_blocks;
        } else {
            g[ng++] = g[i];
        }
    }
    ratmem_hsort(g, ng, sizeof *g, order_cmp);
    /* by_order sorts ascending in "printed later" order: reverse. */
    for (size_t i = 0, j = ng ? ng - 1 : 0; i < j; i++, j--) {
        struct rm_group x = g[i];
        g[i] = g[j];
        g[j] = x;
    }
    return ng;
}

static unsigned frames_of(const struct rm_group *g, const uintptr_t **pc)
{
    const struct rm_stack *s = rm_stackdb_get(g->stack);
    *pc = s ? s->pc : NULL;
    return s ? s->depth : 0;
}

static bool is_json(const struct rm_report_req *req)
{
    return req->format ? req->format - 1 == RATMEM_FORMAT_JSON
                       : req->opts->format == RATMEM_FORMAT_JSON;
}

static uint64_t est_u64(double v)
{
    return v <= 0 ? 0 : v >= 1.8e19 ? UINT64_MAX : (uint64_t)(v + 0.5);
}

/* Sampled mode: one line saying that the figures are estimates. */
static void text_sampled(struct rm_out *o)
{
    uint64_t mean = rm_sample_mean();
    if (!mean)
        return;
    rm_out_str(o, "ratmem: sampled mode (sample=");
    rm_out_u64(o, mean);
    rm_out_str(o, "): one allocation recorded per ");
    rm_out_u64(o, mean);
    rm_out_str(o, " bytes on average; byte and object counts are estimates, and only "
                  "recorded blocks that nothing in memory points to are leaks.\n");
}

static void text_group(struct rm_out *o, struct rm_symbolizer *sy, const struct rm_group *g)
{
    if (g->kind == RM_KIND_LIVE)
        rm_out_str(o, "Live: ");
    else if (g->kind == RM_KIND_DIRECT)
        rm_out_str(o, "Direct leak of ");
    else if (g->kind == RM_KIND_INDIRECT)
        rm_out_str(o, "Indirect leak of ");
    else
        rm_out_str(o, "Still reachable: ");
    bool est = rm_sample_mean() != 0;
    rm_out_u64(o, est ? est_u64(g->est_bytes) : g->bytes);
    rm_out_str(o, " byte(s) in ");
    rm_out_u64(o, est ? est_u64(g->est_blocks) : g->blocks);
    rm_out_str(o, " object(s) allocated from:\n");
    const uintptr_t *pc;
    unsigned depth = frames_of(g, &pc);
    if (!depth)
        rm_out_str(o, "    #0 <unknown stack>\n");
    for (unsigned i = 0; i < depth; i++) {
        struct rm_frame_info fi;
        rm_sym_lookup(sy, pc[i], &fi);
        rm_out_str(o, "    #");
        rm_out_u64(o, i);
        rm_out_str(o, " ");
        rm_out_hex(o, pc[i]);
        if (fi.function) {
            rm_out_str(o, " in ");
            rm_out_str(o, fi.function);
        }
        if (fi.file) {
            rm_out_str(o, " ");
            rm_out_str(o, fi.file);
            rm_out_str(o, ":");
            rm_out_u64(o, (uint64_t)fi.line);
        }
        rm_out_str(o, " (");
        rm_out_str(o, fi.module[0] ? fi.module : "<unknown module>");
        rm_out_str(o, "+");
        rm_out_hex(o, fi.offset);
        rm_out_str(o, ")\n");
    }
    rm_out_str(o, "\n");
}

static void json_group(struct rm_out *o, struct rm_symbolizer *sy, const struct rm_group *g)
{
    rm_out_str(o, "    { \"kind\": \"");
    rm_out_str(o, kind_name(g->kind));
    rm_out_str(o, "\", \"bytes\": ");
    rm_out_u64(o, g->bytes);
    rm_out_str(o, ", \"blocks\": ");
    rm_out_u64(o, g->blocks);
    if (rm_sample_mean()) {
        rm_out_str(o, ", \"estimated_bytes\": ");
        rm_out_u64(o, est_u64(g->est_bytes));
        rm_out_str(o, ", \"estimated_blocks\": ");
        rm_out_u64(o, est_u64(g->est_blocks));
    }
    rm_out_str(o, ",\n      \"frames\": [");
    const uintptr_t *pc;
    unsigned depth = frames_of(g, &pc);
    for (unsigned i = 0; i < depth; i++) {
        struct rm_frame_info fi;
        rm_sym_lookup(sy, pc[i], &fi);
        rm_out_str(o, i ? ",\n        " : "\n        ");
        rm_out_str(o, "{ \"pc\": \"");
        rm_out_hex(o, pc[i]);
        rm_out_str(o, "\", \"function\": ");
        rm_json_cstr(o, fi.function ? fi.function : "??");
        rm_out_str(o, ", \"module\": ");
        rm_json_cstr(o, fi.module);
        rm_out_str(o, ", \"offset\": \"");
        rm_out_hex(o, fi.offset);
        rm_out_str(o, "\"");
        if (fi.file) {
            rm_out_str(o, ", \"file\": ");
            rm_json_cstr(o, fi.file);
            rm_out_str(o, ", \"line\": ");
            rm_out_u64(o, (uint64_t)fi.line);
        }
        rm_out_str(o, " }");
    }
    rm_out_str(o, depth ? " ] }" : "] }");
}

static bool group_suppressed(struct rm_symbolizer *sy, const struct rm_suppress *sp,
                             const struct rm_group *g)
{
    const uintptr_t *pc;
    unsigned depth = frames_of(g, &pc);
    for (unsigned i = 0; i < depth; i++) {
        struct rm_frame_info fi;
        rm_sym_lookup(sy, pc[i], &fi);
        if (rm_suppress_match(sp, fi.function, fi.module))
            return true;
    }
    return false;
}

static void exe_path(char *buf, size_t cap)
{
    ssize_t k = readlink("/proc/self/exe", buf, cap - 1);
    buf[k > 0 ? (size_t)k : 0] = 0;
}

/* The top of a JSON report, up to the opening of "summary"; "options" are
 * the RATMEM_OPTIONS in effect that differ from the defaults. */
static void json_head(struct rm_out *o, const char *type, const struct ratmem_options *opts)
{
    char exe[RATMEM_PATH_MAX];
    exe_path(exe, sizeof exe);
    rm_out_str(o, "{\n  \"ratmem_report\": 1,\n  \"type\": \"");
    rm_out_str(o, type);
    rm_out_str(o, "\",\n  \"pid\": ");
    rm_out_u64(o, (uint64_t)getpid());
    rm_out_str(o, ",\n  \"exe\": ");
    rm_json_cstr(o, exe);
    if (opts) {
        char text[2048];
        ratmem_options_format(opts, text, sizeof text);
        rm_out_str(o, ",\n  \"options\": ");
        rm_json_cstr(o, text);
    }
    rm_out_str(o, ",\n  \"summary\": {");
}

/* The tracker's own figures and the quota; closes "summary" and opens the
 * groups. */
static void json_tail_summary(struct rm_out *o, const struct rm_report_req *req)
{
    rm_out_str(o, ", \"untracked_blocks\": ");
    rm_out_u64(o, rm_table_untracked());
    rm_out_str(o, ", \"invalid_frees\": ");
    rm_out_u64(o, rm_badfree_count());
    rm_out_str(o, ",\n    \"distinct_stacks\": ");
    rm_out_u64(o, rm_stackdb_count());
    rm_out_str(o, ", \"tracker_bytes\": ");
    rm_out_u64(o, rm_mem_bytes());
    rm_out_str(o, ", \"tracker_peak_bytes\": ");
    rm_out_u64(o, rm_mem_peak());
    if (rm_sample_mean()) {
        rm_out_str(o, ",\n    \"sampled\": ");
        rm_out_u64(o, rm_sample_mean());
    }
    struct rm_stats st;
    rm_stats_total(&st);
    rm_out_str(o, ",\n    \"captures\": ");
    rm_out_u64(o, st.captures);
    rm_out_str(o, ", \"captures_reused\": ");
    rm_out_u64(o, st.again);
    rm_out_str(o, ", \"captures_libunwind\": ");
    rm_out_u64(o, st.slow);
    rm_out_str(o, ", \"frames_walked\": ");
    rm_out_u64(o, st.walked);
    rm_out_str(o, ", \"frames_remembered\": ");
    rm_out_u64(o, st.remembered);
    rm_out_str(o, ", \"intern_cached\": ");
    rm_out_u64(o, st.intern_cached);
    rm_out_str(o, ", \"intern_locked\": ");
    rm_out_u64(o, st.intern_locked);
    rm_out_str(o, ", \"captures_site\": ");
    rm_out_u64(o, st.site);
    if (req->quota_on) {
        rm_out_str(o, ",\n    \"quota_bytes\": ");
        rm_out_u64(o, req->quota_limit);
        rm_out_str(o, ", \"quota_used_bytes\": ");
        rm_out_u64(o, req->quota_used);
        rm_out_str(o, ", \"quota_peak_bytes\": ");
        rm_out_u64(o, req->quota_peak);
    }
    rm_out_str(o, "\n  },\n  \"leaks\": [");
}

/* One line on the quota, when it counts. */
static void text_quota(struct rm_out *o, const struct rm_report_req *req)
{
    if (!req->quota_on)
        return;
    rm_out_str(o, "ratmem: quota ");
    if (req->quota_limit) {
        rm_out_u64(o, req->quota_limit);
        rm_out_str(o, " byte(s)");
    } else {
        rm_out_str(o, "none");
    }
    rm_out_str(o, ", ");
    rm_out_u64(o, req->quota_used);
    rm_out_str(o, " byte(s) in use, peak ");
    rm_out_u64(o, req->quota_peak);
    rm_out_str(o, " byte(s).\n");
}

static void write_json(struct rm_out *o, const struct rm_report_req *req,
                       const struct rm_report_totals *t, struct rm_symbolizer *sy,
                       const struct rm_group *g, size_t ng, size_t live,
                       const struct timespec *t0)
{
    json_head(o, "leaks", req->opts);
    rm_out_str(o, "\n    \"direct_bytes\": ");
    rm_out_u64(o, t->direct_bytes);
    rm_out_str(o, ", \"direct_blocks\": ");
    rm_out_u64(o, t->direct_blocks);
    rm_out_str(o, ",\n    \"indirect_bytes\": ");
    rm_out_u64(o, t->indirect_bytes);
    rm_out_str(o, ", \"indirect_blocks\": ");
    rm_out_u64(o, t->indirect_blocks);
    rm_out_str(o, ",\n    \"reachable_bytes\": ");
    rm_out_u64(o, t->reachable_bytes);
    rm_out_str(o, ", \"reachable_blocks\": ");
    rm_out_u64(o, t->reachable_blocks);
    rm_out_str(o, ",\n    \"suppressed_bytes\": ");
    rm_out_u64(o, t->suppressed_bytes);
    rm_out_str(o, ", \"suppressed_blocks\": ");
    rm_out_u64(o, t->suppressed_blocks);
    rm_out_str(o, ",\n    \"live_blocks\": ");
    rm_out_u64(o, live);
    json_tail_summary(o, req);
    bool first = true;
    for (size_t i = 0; i < ng; i++) {
        if (g[i].suppressed || (g[i].kind == RM_KIND_REACHABLE && !req->opts->reachable))
            continue;
        rm_out_str(o, first ? "\n" : ",\n");
        first = false;
        json_group(o, sy, &g[i]);
    }
    rm_out_str(o, first ? "]" : "\n  ]");
    /* Last, so that it covers the symbolization done while writing. */
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    uint64_t ns = (uint64_t)(t1.tv_sec - t0->tv_sec) * 1000000000u + (uint64_t)t1.tv_nsec -
                  (uint64_t)t0->tv_nsec;
    rm_out_str(o, ",\n  \"report_seconds\": ");
    rm_out_u64(o, ns / 1000000000u);
    char frac[11];
    frac[0] = '.';
    uint64_t f = ns % 1000000000u;
    for (int k = 9; k >= 1; k--, f /= 10)
        frac[k] = (char)('0' + f % 10);
    frac[10] = 0;
    rm_out_str(o, frac);
    rm_out_str(o, "\n}\n");
}

static void write_text(struct rm_out *o, const struct rm_report_req *req,
                       const struct rm_report_totals *t, struct rm_symbolizer *sy,
                       const struct rm_group *g, size_t ng)
{
    uint64_t lb = t->direct_bytes + t->indirect_bytes;
    uint64_t ln = t->direct_blocks + t->indirect_blocks;
    uint64_t rb = t->reachable_bytes, rn = t->reachable_blocks;
    if (rm_sample_mean()) {
        /* Sampled mode: the totals are estimates too. */
        double e[4] = { 0, 0, 0, 0 };
        for (size_t i = 0; i < ng; i++) {
            if (g[i].suppressed)
                continue;
            int r = g[i].kind == RM_KIND_REACHABLE ? 2 : 0;
            e[r] += g[i].est_bytes;
            e[r + 1] += g[i].est_blocks;
        }
        lb = est_u64(e[0]);
        ln = est_u64(e[1]);
        rb = est_u64(e[2]);
        rn = est_u64(e[3]);
        if (!(t->direct_blocks + t->indirect_blocks))
            ln = 0;
    }
    if (ln) {
        rm_out_str(o, "\n=================================================================\n==");
        rm_out_u64(o, (uint64_t)getpid());
        rm_out_str(o, "==ERROR: ratmem: detected memory leaks\n\n");
    }
    text_sampled(o);
    for (size_t i = 0; i < ng; i++) {
        if (g[i].suppressed || (g[i].kind == RM_KIND_REACHABLE && !req->opts->reachable))
            continue;
        text_group(o, sy, &g[i]);
    }
    if (t->suppressed_blocks) {
        rm_out_str(o, "ratmem: ");
        rm_out_u64(o, t->suppressed_bytes);
        rm_out_str(o, " byte(s) in ");
        rm_out_u64(o, t->suppressed_blocks);
        rm_out_str(o, " allocation(s) suppressed.\n");
    }
    if (rm_table_untracked()) {
        rm_out_str(o, "ratmem: warning: ");
        rm_out_u64(o, rm_table_untracked());
        rm_out_str(o, " allocation(s) were not tracked (no memory for the tracker's records, "
                      "or made while the tracker was busy on the same thread).\n");
    }
    if (rm_badfree_count()) {
        rm_out_str(o, "ratmem: ");
        rm_out_u64(o, rm_badfree_count());
        rm_out_str(o, " invalid free(s) or realloc(s) refused (not live blocks).\n");
    }
    text_quota(o, req);
    if (ln) {
        rm_out_str(o, "SUMMARY: ratmem: ");
        rm_out_u64(o, lb);
        rm_out_str(o, " byte(s) leaked in ");
        rm_out_u64(o, ln);
        rm_out_str(o, " allocation(s).\n");
    } else {
        rm_out_str(o, "ratmem: no leaks (");
        rm_out_u64(o, rb);
        rm_out_str(o, " byte(s) in ");
        rm_out_u64(o, rn);
        rm_out_str(o, " allocation(s) still reachable)\n");
    }
}

void rm_utc_fields(uint64_t secs, unsigned v[6])
{
    /* Days since 1970-01-01 to a proleptic Gregorian date, counted from
     * 0000-03-01 so that the leap day ends each 4/100/400-year cycle. */
    uint64_t days = secs / 86400, rem = secs % 86400;
    uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    v[0] = (unsigned)(yoe + era * 400 + (m <= 2));
    v[1] = m;
    v[2] = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    v[3] = (unsigned)(rem / 3600);
    v[4] = (unsigned)(rem % 3600 / 60);
    v[5] = (unsigned)(rem % 60);
}

/* "2026-11-26T01:39:51.123Z" (UTC, no locale, no allocation: gmtime_r
 * would make glibc read and keep the time zone on its first call). */
static void out_time(struct rm_out *o, uint64_t ms)
{
    unsigned v[6];
    rm_utc_fields(ms / 1000, v);
    static const char sep[] = "--T::.";
    for (int i = 0; i < 6; i++) {
        if (i)
            rm_out_bytes(o, &sep[i - 1], 1);
        if (v[i] < 10)
            rm_out_str(o, "0");
        rm_out_u64(o, v[i]);
    }
    char frac[5] = { '.', (char)('0' + ms % 1000 / 100), (char)('0' + ms % 100 / 10),
                     (char)('0' + ms % 10), 'Z' };
    rm_out_bytes(o, frac, sizeof frac);
}

static void write_dump_json(struct rm_out *o, const struct rm_report_req *req,
                            const struct rm_report_totals *t, struct rm_symbolizer *sy,
                            const struct rm_group *g, size_t ng)
{
    json_head(o, "dump", req->opts);
    rm_out_str(o, "\n    \"sequence\": ");
    rm_out_u64(o, req->dump_seq);
    rm_out_str(o, ", \"timestamp_ms\": ");
    rm_out_u64(o, req->dump_time_ms);
    rm_out_str(o, ",\n    \"request_ms\": ");
    rm_out_u64(o, req->request_ms ? req->request_ms : req->dump_time_ms);
    rm_out_str(o, ", \"snapshot_ms\": ");
    rm_out_u64(o, req->dump_time_ms);
    rm_out_str(o, ",\n    \"live_bytes\": ");
    rm_out_u64(o, t->live_bytes);
    rm_out_str(o, ", \"live_blocks\": ");
    rm_out_u64(o, t->live_blocks);
    json_tail_summary(o, req);
    for (size_t i = 0; i < ng; i++) {
        rm_out_str(o, i ? ",\n" : "\n");
        json_group(o, sy, &g[i]);
        rm_dump_take_late();   /* a request meanwhile: its copy now */
    }
    rm_out_str(o, ng ? "\n  ]\n}\n" : "]\n}\n");
}

static void write_dump_text(struct rm_out *o, const struct rm_report_req *req,
                            const struct rm_report_totals *t, struct rm_symbolizer *sy,
                            const struct rm_group *g, size_t ng)
{
    rm_out_str(o, "\n=================================================================\n==");
    rm_out_u64(o, (uint64_t)getpid());
    rm_out_str(o, "==ratmem: heap dump ");
    rm_out_u64(o, req->dump_seq);
    rm_out_str(o, " at ");
    out_time(o, req->dump_time_ms);
    rm_out_str(o, "\n\n");
    text_sampled(o);
    uint64_t lb = t->live_bytes, ln = t->live_blocks;
    if (rm_sample_mean()) {
        double eb = 0, en = 0;
        for (size_t i = 0; i < ng; i++) {
            eb += g[i].est_bytes;
            en += g[i].est_blocks;
        }
        lb = est_u64(eb);
        ln = est_u64(en);
    }
    for (size_t i = 0; i < ng; i++) {
        text_group(o, sy, &g[i]);
        rm_dump_take_late();   /* a request meanwhile: its copy now */
    }
    if (rm_table_untracked()) {
        rm_out_str(o, "ratmem: warning: ");
        rm_out_u64(o, rm_table_untracked());
        rm_out_str(o, " allocation(s) were not tracked (tracker memory limit).\n");
    }
    text_quota(o, req);
    rm_out_str(o, "SUMMARY: ratmem: heap dump ");
    rm_out_u64(o, req->dump_seq);
    rm_out_str(o, ": ");
    rm_out_u64(o, lb);
    rm_out_str(o, " byte(s) live in ");
    rm_out_u64(o, ln);
    rm_out_str(o, " allocation(s).\n");
}

/* A heap dump: snapshot, group by stack, symbolize, write.  No roots, no
 * scan: its cost is a copy of the table, a sort and the symbolization of
 * one stack per group. */
static int dump_write(const struct rm_report_req *req, struct rm_report_totals *t)
{
    int ret = 0;
    /* The blocks copied when the dump was asked for, or now. */
    size_t cap = req->snap ? req->snap_n + 1 : rm_table_count() + 4096;
    size_t bbytes = req->snap ? 0 : cap * sizeof(struct rm_block);
    size_t gbytes = cap * sizeof(struct rm_group);
    struct rm_block *b = req->snap ? (struct rm_block *)req->snap : rm_mem_map_scratch(bbytes);
    struct rm_group *g = rm_mem_map_scratch(gbytes);
    struct rm_out *o = rm_mem_map_scratch(sizeof *o);
    struct rm_symbolizer *sy = NULL;
    if (!b || !g || !o) {
        ret = -1;
        goto out;
    }
    size_t n = req->snap ? req->snap_n : rm_table_snapshot(b, cap);
    /* Group by stack id through an open-addressing index (id -> group),
     * one pass over the blocks; only the groups are sorted.  Sized for
     * twice the stacks known now (more may appear meanwhile: past half
     * full, the rest is grouped by sorting). */
    size_t hcap = 1024;
    while (hcap < 2 * ((size_t)rm_stackdb_count() + 1024))
        hcap *= 2;
    size_t hbytes = hcap * sizeof(uint32_t);
    uint32_t *idx = rm_mem_map_scratch(hbytes);   /* group index + 1; 0 = empty */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t st = (uint32_t)b[i].stack;
        t->live_bytes += b[i].size;
        if (idx) {
            size_t h = (st * 0x9E3779B1u) & (hcap - 1);
            while (idx[h] && g[idx[h] - 1].stack != st)
                h = (h + 1) & (hcap - 1);
            if (idx[h]) {
                g[idx[h] - 1].bytes += b[i].size;
                g[idx[h] - 1].blocks++;
                g[idx[h] - 1].est_blocks += rm_sample_scale(b[i].size);
                g[idx[h] - 1].est_bytes += rm_sample_scale(b[i].size) * (double)b[i].size;
                continue;
            }
            if (m < hcap / 2)
                idx[h] = (uint32_t)m + 1;
        }
        g[m].kind = RM_KIND_LIVE;
        g[m].stack = st;
        g[m].bytes = b[i].size;
        g[m].blocks = 1;
        g[m].est_blocks = rm_sample_scale(b[i].size);
        g[m].est_bytes = g[m].est_blocks * (double)b[i].size;
        g[m].suppressed = 0;
        m++;
    }
    rm_mem_unmap_scratch(idx, hbytes);
    t->live_blocks = n;
    size_t ng = group_blocks(g, m);
    if (ng)
        sy = rm_sym_open();
    rm_out_init(o, req->fd);
    if (req->gzip)
        rm_out_gzip_start(o);
    if (is_json(req))
        write_dump_json(o, req, t, sy, g, ng);
    else
        write_dump_text(o, req, t, sy, g, ng);
    rm_out_flush(o);
    rm_out_gzip_finish(o);
    if (o->error)
        ret = -1;
out:
    rm_sym_close(sy);
    rm_mem_unmap_scratch(o, sizeof *o);
    rm_mem_unmap_scratch(g, gbytes);
    if (!req->snap)
        rm_mem_unmap_scratch(b, bbytes);
    return ret;
}

int rm_report_write(const struct rm_report_req *req, struct rm_report_totals *tot)
{
    struct rm_report_totals t;
    memset(&t, 0, sizeof t);
    int ret = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (req->dump) {
        ret = dump_write(req, &t);
        if (tot)
            *tot = t;
        return ret;
    }

    /* 1. Snapshot the live blocks, sorted by address. */
    size_t cap = rm_table_count() + 4096;
    size_t bbytes = cap * sizeof(struct rm_block);
    struct rm_block *b = rm_mem_map_scratch(bbytes);
    uint8_t *kind = NULL;
    size_t rcap = 0, rbytes = 0;
    struct rm_range *roots = NULL;
    struct rm_group *g = NULL;
    size_t gbytes = cap * sizeof(struct rm_group);
    struct rm_suppress *sp = NULL;
    struct rm_symbolizer *sy = NULL;
    struct rm_out *o = rm_mem_map_scratch(sizeof *o);
    if (!b || !o) {
        ret = -1;
        goto out;
    }
    size_t n = rm_table_snapshot(b, cap);
    rm_blocks_sort(b, n);
    size_t gone = 0;
    /* No live block: nothing to classify, so no roots (no thread stack
     * lookup, no /proc/self/maps, no report heap), no scan and no
     * classification or group arrays; the report is written as ever,
     * with its counters. */
    if (n == 0) {
        gbytes = 0;
        goto classified;
    }
    kind = rm_mem_map_scratch(cap);
    if (!kind) {
        ret = -1;
        goto out;
    }

    /* 2. Roots and classification. */
    rcap = req->nroots + (req->process_roots ? 65536 : 0);
    if (req->process_roots && rm_sample_mean())
        rcap += cap;   /* the heap, cut around each recorded block */
    rbytes = rcap * sizeof(struct rm_range);
    roots = rm_mem_map_scratch(rbytes);
    if (!roots) {
        ret = -1;
        goto out;
    }
    size_t nr = 0, heap_from = SIZE_MAX; /* sampled mode's heap roots: from here on */
    for (size_t i = 0; i < req->nroots; i++)
        roots[nr++] = req->roots[i];
    if (req->process_roots) {
        uintptr_t lo, hi;
        rm_unwind_get_skip_range(&lo, &hi);
        nr += rm_roots_collect(roots + nr, rcap - nr, req->sp, lo, hi);
        /* Sampled mode: unsampled blocks are not in the table, so the
         * memory that holds them is a root (sample.h). */
        if (rm_sample_mean()) {
            struct rm_range ex[3] = {
                { (uintptr_t)b, (uintptr_t)b + bbytes },
                { (uintptr_t)kind, (uintptr_t)kind + cap },
                { (uintptr_t)roots, (uintptr_t)roots + rbytes } };
            heap_from = nr;
            nr += rm_roots_heap(roots + nr, rcap - nr, b, n, ex, 3);
        }
    }
    /* Blocks the dynamic linker allocated (a thread's DTV, dlopen'ed
     * modules' TLS) are reachable through glibc's private lists, such as
     * its cache of finished threads' stacks: LSan ignores them too. */
    uintptr_t ld_lo, ld_hi;
    rm_unwind_linker_range(&ld_lo, &ld_hi);
    uint8_t *root_block = NULL;
    if (ld_lo < ld_hi && req->process_roots) {
        root_block = rm_mem_map_scratch(cap);
        /* Decided once per stack (a shell's subshell has 30 000 blocks
         * and a few hundred stacks; each stack record is a cache miss):
         * a direct-mapped memo of id + 1 -> the answer. */
        enum { MEMO = 512 };
        uint32_t memo_id[MEMO];
        uint8_t memo_v[MEMO];
        memset(memo_id, 0, sizeof memo_id);
        for (size_t i = 0; root_block && i < n; i++) {
            uint32_t id = (uint32_t)b[i].stack;
            size_t h = (id * 2654435761u) % MEMO;
            if (memo_id[h] != id + 1) {
                const struct rm_stack *st = rm_stackdb_get(id);
                memo_id[h] = id + 1;
                memo_v[h] = st && st->depth && st->pc[0] >= ld_lo && st->pc[0] < ld_hi;
            }
            root_block[i] = memo_v[h];
        }
    }
    bool safe_blocks = rm_threads_count() > 1;
    /* Sampled mode's heap roots are most of what is read: with one thread
     * and signals held off, nothing can unmap them meanwhile, so they are
     * read in place rather than copied through the kernel. */
    size_t direct_from = nr;
    sigset_t all, old;
    bool held = false;
    if (heap_from < nr && rm_roots_single_thread()) {
        sigfillset(&all);
        held = pthread_sigmask(SIG_BLOCK, &all, &old) == 0;
        if (held)
            direct_from = heap_from;
    }
    rm_scan_classify_ex(b, n, roots, nr, root_block, safe_blocks, direct_from, kind);
    if (held)
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    rm_mem_unmap_scratch(root_block, cap);
    /* Other threads run on meanwhile: a leak candidate freed since the
     * snapshot was not a leak (it is dropped from the report). */
    if (safe_blocks) {
        for (size_t i = 0; i < n; i++) {
            struct rm_block now;
            if (kind[i] == RM_KIND_REACHABLE)
                continue;
            if (!rm_table_lookup(b[i].addr, &now) || now.size != b[i].size ||
                now.stack != b[i].stack) {
                kind[i] = RM_KIND_UNREACHED;
                gone++;
            }
        }
    }
    /* 3. Groups by (kind, stack). */
classified:
    g = gbytes ? rm_mem_map_scratch(gbytes) : NULL;
    if (gbytes && !g) {
        ret = -1;
        goto out;
    }
    size_t m = 0;
    /* Reachable blocks are not printed without reachable=1: one entry
     * holds their totals for the summary, so that grouping sorts only the
     * leaks (a shell's subshell has tens of thousands of reachable
     * blocks and few leaks, often none). */
    size_t agg = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (kind[i] == RM_KIND_UNREACHED)
            continue;
        if (kind[i] == RM_KIND_REACHABLE && !req->opts->reachable) {
            double est = rm_sample_scale(b[i].size);
            if (agg == SIZE_MAX) {
                agg = m++;
                g[agg].kind = RM_KIND_REACHABLE;
                g[agg].stack = 0;
                g[agg].bytes = 0;
                g[agg].blocks = 0;
                g[agg].est_blocks = 0;
                g[agg].est_bytes = 0;
                g[agg].suppressed = 0;
            }
            g[agg].bytes += b[i].size;
            g[agg].blocks++;
            g[agg].est_blocks += est;
            g[agg].est_bytes += est * (double)b[i].size;
            continue;
        }
        g[m].kind = kind[i];
        g[m].stack = (uint32_t)b[i].stack;
        g[m].bytes = b[i].size;
        g[m].blocks = 1;
        g[m].est_blocks = rm_sample_scale(b[i].size);
        g[m].est_bytes = g[m].est_blocks * (double)b[i].size;
        g[m].suppressed = 0;
        m++;
    }
    size_t ng = group_blocks(g, m);

    /* 4. Symbolize (only if something will be printed), suppress, count. */
    bool any_printed = false;
    for (size_t i = 0; i < ng; i++)
        if (g[i].kind != RM_KIND_REACHABLE || req->opts->reachable)
            any_printed = true;
    if (any_printed)
        sy = rm_sym_open();
    sp = rm_suppress_load(req->opts->suppressions);
    for (size_t i = 0; i < ng; i++) {
        if (g[i].kind != RM_KIND_REACHABLE && rm_suppress_count(sp) &&
            group_suppressed(sy, sp, &g[i])) {
            g[i].suppressed = 1;
            t.suppressed_bytes += g[i].bytes;
            t.suppressed_blocks += g[i].blocks;
        } else if (g[i].kind == RM_KIND_DIRECT) {
            t.direct_bytes += g[i].bytes;
            t.direct_blocks += g[i].blocks;
        } else if (g[i].kind == RM_KIND_INDIRECT) {
            t.indirect_bytes += g[i].bytes;
            t.indirect_blocks += g[i].blocks;
        } else {
            t.reachable_bytes += g[i].bytes;
            t.reachable_blocks += g[i].blocks;
        }
    }

    /* 5. Write. */
    rm_out_init(o, req->fd);
    if (is_json(req))
        write_json(o, req, &t, sy, g, ng, n - gone, &t0);
    else
        write_text(o, req, &t, sy, g, ng);
    rm_out_flush(o);
    if (o->error)
        ret = -1;

out:
    rm_sym_close(sy);
    rm_suppress_free(sp);
    rm_mem_unmap_scratch(o, sizeof *o);
    rm_mem_unmap_scratch(g, gbytes);
    rm_mem_unmap_scratch(roots, rbytes);
    rm_mem_unmap_scratch(kind, cap);
    rm_mem_unmap_scratch(b, bbytes);
    if (tot)
        *tot = t;
    return ret;
}
