/* tools/out_text.c - `ratmem report --format=text`: the LSan-style text
 * report re-rendered from JSON, line for line what libratmem-preload.so
 * writes with format=text for the same run (track/report/report.c: write_text,
 * write_dump_text, text_group); keep the two in step. */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <stdbool.h>
#include <time.h>

#include "out.h"

/* Text from a document: control characters shown as '?'. */
static void put(FILE *o, const char *s)
{
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, o);
}

static const char *const rule =
    "\n=================================================================\n";

static void text_group(FILE *o, const struct rm_doc_group *g, long long bytes, long long blocks,
                       bool growth)
{
    if (growth)
        fputs("Growth of ", o);
    else if (g->kind == RM_DOC_LIVE)
        fputs("Live: ", o);
    else if (g->kind == RM_DOC_DIRECT)
        fputs("Direct leak of ", o);
    else if (g->kind == RM_DOC_INDIRECT)
        fputs("Indirect leak of ", o);
    else if (g->kind == RM_DOC_REACHABLE)
        fputs("Still reachable: ", o);
    else {
        put(o, g->kind_name ? g->kind_name : "?");
        fputs(": ", o);
    }
    fprintf(o, growth ? "%+lld byte(s) in %+lld object(s) allocated from:\n"
                      : "%lld byte(s) in %lld object(s) allocated from:\n",
            bytes, blocks);
    if (!g->nframes)
        fputs("    #0 <unknown stack>\n", o);
    for (size_t i = 0; i < g->nframes; i++) {
        const struct rm_doc_frame *f = &g->frames[i];
        fprintf(o, "    #%zu ", i);
        if (f->pc_text)
            put(o, f->pc_text);
        else
            fprintf(o, "0x%" PRIx64, f->pc);
        if (f->function) {
            fputs(" in ", o);
            put(o, f->function);
        }
        if (f->file) {
            fputc(' ', o);
            put(o, f->file);
            fprintf(o, ":%lld", f->line >= 0 ? f->line : 0);
        }
        fputs(" (", o);
        put(o, f->module && f->module[0] ? f->module : "<unknown module>");
        fputc('+', o);
        if (f->offset_text)
            put(o, f->offset_text);
        else
            fprintf(o, "0x%" PRIx64, f->offset);
        fputs(")\n", o);
    }
    fputc('\n', o);
}

static void quota_line(FILE *o, const json_t *s)
{
    long long limit = rm_doc_sum(s, "quota_bytes", -1);
    if (limit < 0)
        return;
    fputs("ratmem: quota ", o);
    if (limit)
        fprintf(o, "%lld byte(s)", limit);
    else
        fputs("none", o);
    fprintf(o, ", %lld byte(s) in use, peak %lld byte(s).\n", rm_doc_sum(s, "quota_used_bytes", 0),
            rm_doc_sum(s, "quota_peak_bytes", 0));
}

/* "2026-11-26T01:39:51.123Z" */
static void put_time(FILE *o, long long ms)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    if (ms < 0 || !gmtime_r(&secs, &tm)) {
        fputs("?", o);
        return;
    }
    fprintf(o, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
            tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

/* Sampled mode (summary "sampled"): the shim's line saying so. */
static void sampled_line(FILE *o, long long mean)
{
    if (mean > 0)
        fprintf(o, "ratmem: sampled mode (sample=%lld): one allocation recorded per %lld bytes "
                   "on average; byte and object counts are estimates, and only recorded blocks "
                   "that nothing in memory points to are leaks.\n",
                mean, mean);
}

/* Two summary values added (a document's own numbers: kept from
 * overflowing, as the groups' are by the reader). */
static long long sum2(const json_t *s, const char *a, const char *b)
{
    long long r;
    if (__builtin_add_overflow(rm_doc_sum(s, a, 0), rm_doc_sum(s, b, 0), &r))
        return rm_doc_sum(s, a, 0) > 0 ? LLONG_MAX : LLONG_MIN;
    return r;
}

static void shown_group(FILE *o, const struct rm_doc_group *g)
{
    text_group(o, g, rm_doc_bytes(g), rm_doc_blocks(g), false);
}

/* One process's report (a leak report or a dump object).  In sampled
 * mode the groups show the unsampled estimates and the totals are their
 * sums (the shim rounds the sum of its unrounded estimates, so a total
 * may differ from its text by the rounding of each group). */
static void text_report(FILE *o, const struct rm_doc_proc *p, const struct rm_filter *flt)
{
    const json_t *s = p->summary;
    bool dump = p->type && strcmp(p->type, "dump") == 0;
    long long pid = p->pid >= 0 ? p->pid : 0;
    long long sampled = rm_doc_sum(s, "sampled", 0);
    if (dump) {
        long long lb = rm_doc_sum(s, "live_bytes", 0), ln = rm_doc_sum(s, "live_blocks", 0);
        if (sampled > 0) {
            lb = ln = 0;
            for (size_t i = 0; i < p->ngroups; i++)
                lb += rm_doc_bytes(&p->groups[i]), ln += rm_doc_blocks(&p->groups[i]);
        }
        fprintf(o, "%s==%lld==ratmem: heap dump %lld at ", rule, pid,
                rm_doc_sum(s, "sequence", 0));
        put_time(o, rm_doc_sum(s, "timestamp_ms", -1));
        fputs("\n\n", o);
        sampled_line(o, sampled);
        for (size_t i = 0; i < p->ngroups; i++)
            if (rm_filter_keep(flt, &p->groups[i], p->pid))
                shown_group(o, &p->groups[i]);
        if (rm_doc_sum(s, "untracked_blocks", 0) > 0)
            fprintf(o, "ratmem: warning: %lld allocation(s) were not tracked (tracker memory "
                       "limit).\n",
                    rm_doc_sum(s, "untracked_blocks", 0));
        quota_line(o, s);
        fprintf(o, "SUMMARY: ratmem: heap dump %lld: %lld byte(s) live in %lld allocation(s).\n",
                rm_doc_sum(s, "sequence", 0), lb, ln);
        return;
    }
    long long lb = sum2(s, "direct_bytes", "indirect_bytes");
    long long ln = sum2(s, "direct_blocks", "indirect_blocks");
    long long rb = rm_doc_sum(s, "reachable_bytes", 0), rn = rm_doc_sum(s, "reachable_blocks", 0);
    if (sampled > 0) {
        long long e[4] = { 0, 0, 0, 0 };
        bool reach = false;
        for (size_t i = 0; i < p->ngroups; i++) {
            const struct rm_doc_group *g = &p->groups[i];
            int r = g->kind == RM_DOC_REACHABLE ? 2 : 0;
            reach |= r != 0;
            e[r] += rm_doc_bytes(g);
            e[r + 1] += rm_doc_blocks(g);
        }
        lb = e[0];
        ln = ln ? e[1] : 0;
        if (reach)
            rb = e[2], rn = e[3];
    }
    if (ln)
        fprintf(o, "%s==%lld==ERROR: ratmem: detected memory leaks\n\n", rule, pid);
    sampled_line(o, sampled);
    for (size_t i = 0; i < p->ngroups; i++)
        if (rm_filter_keep(flt, &p->groups[i], p->pid))
            shown_group(o, &p->groups[i]);
    if (rm_doc_sum(s, "suppressed_blocks", 0) > 0)
        fprintf(o, "ratmem: %lld byte(s) in %lld allocation(s) suppressed.\n",
                rm_doc_sum(s, "suppressed_bytes", 0), rm_doc_sum(s, "suppressed_blocks", 0));
    if (rm_doc_sum(s, "untracked_blocks", 0) > 0)
        fprintf(o, "ratmem: warning: %lld allocation(s) were not tracked (no memory for the "
                   "tracker's records, or made while the tracker was busy on the same thread).\n",
                rm_doc_sum(s, "untracked_blocks", 0));
    if (rm_doc_sum(s, "invalid_frees", 0) > 0)
        fprintf(o, "ratmem: %lld invalid free(s) or realloc(s) refused (not live blocks).\n",
                rm_doc_sum(s, "invalid_frees", 0));
    quota_line(o, s);
    if (ln)
        fprintf(o, "SUMMARY: ratmem: %lld byte(s) leaked in %lld allocation(s).\n", lb, ln);
    else
        fprintf(o, "ratmem: no leaks (%lld byte(s) in %lld allocation(s) still reachable)\n", rb,
                rn);
}

int rm_out_text(FILE *o, const struct rm_doc *const *docs, size_t ndocs,
                const struct rm_filter *flt)
{
    for (size_t d = 0; d < ndocs; d++) {
        const struct rm_doc *doc = docs[d];
        for (size_t i = 0; i < doc->nprocs; i++) {
            const struct rm_doc_proc *p = &doc->procs[i];
            if (!p->report || !rm_filter_pid(flt, p->pid))
                continue;
            text_report(o, p, flt);
        }
    }
    return 0;
}

int rm_out_text_growth(FILE *o, const struct rm_view *v, const struct rm_doc *old)
{
    long long grew = 0, blocks = 0;
    fputs(rule, o);
    fputs("==ratmem: growth from ", o);
    put(o, old->path);
    fputs(" to ", o);
    put(o, v->doc->path);
    fputs("\n\n", o);
    for (size_t i = 0; i < v->n; i++) {
        const struct rm_view_group *g = &v->groups[i];
        text_group(o, g->g, g->bytes, g->blocks, true);
        grew += g->bytes;
        blocks += g->blocks;
    }
    fprintf(o, "SUMMARY: ratmem: %zu stack(s) grew by %lld byte(s) (%+lld object(s)).\n", v->n,
            grew, blocks);
    return 0;
}
