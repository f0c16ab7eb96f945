/* tools/out.h - the writers of `ratmem report` (tools/report.c), one file
 * each: out_text.c, out_folded.c, out_pprof.c, out_html.c.
 *
 * Each writes the documents to an open stream and returns 0, or -1 after
 * one line on stderr.  report.c owns the output file (OUT.tmp, then
 * rename; removed on failure) and checks the stream's errors. */
#ifndef RATMEM_TOOLS_OUT_H
#define RATMEM_TOOLS_OUT_H

#include <stdbool.h>
#include <stdio.h>

#include "doc.h"

/* What to show: groups of the kinds set in kinds[] (indexed by enum
 * rm_doc_kind), of at least min_bytes bytes, of the processes in pids[]
 * (all when npids is 0). */
struct rm_filter {
    bool kinds[RM_DOC_OTHER + 1];
    long long min_bytes;
    const long long *pids;
    size_t npids;
};

/* Does the filter keep group g (of process pid; -1 = unknown)? */
bool rm_filter_keep(const struct rm_filter *f, const struct rm_doc_group *g, long long pid);

/* Does it keep process pid? */
bool rm_filter_pid(const struct rm_filter *f, long long pid);

/* A "view" of the documents to draw: a list of groups with the pid of
 * the process each comes from (-1 for a tree's merged groups), what their
 * values mean, and the main program.  Built by report.c from the
 * documents, the filter and --base; used by folded and pprof. */
struct rm_view_group {
    const struct rm_doc_group *g; /* its frames */
    long long bytes, blocks;      /* the values (growth with --base) */
    long long pid;
};

struct rm_view {
    enum rm_doc_type type;       /* of the (newest) document */
    bool growth;                 /* --base: values are growth from OLD */
    const struct rm_doc *doc;    /* the first (or NEW) document, for headers */
    size_t n;
    struct rm_view_group *groups;
};

/* The LSan-style text, as libratmem-preload.so writes it, of each
 * document (a tree: of each process with a report), groups filtered. */
int rm_out_text(FILE *out, const struct rm_doc *const *docs, size_t ndocs,
                const struct rm_filter *flt);

/* The growth from --base OLD to NEW as text (like `ratmem diff`). */
int rm_out_text_growth(FILE *out, const struct rm_view *v, const struct rm_doc *old);

/* Brendan Gregg's folded stacks: "root;...;leaf bytes" per line. */
int rm_out_folded(FILE *out, const struct rm_view *v);

/* The gzip'd pprof profile (pprof/encode.h). */
int rm_out_pprof(FILE *out, const struct rm_view *v);

/* One self-contained HTML page (owner: views-html).  base is NULL unless
 * --base OLD was given (docs is then { NEW }). */
int rm_out_html(FILE *out, const struct rm_doc *const *docs, size_t ndocs,
                const struct rm_doc *base);

/* A frame's name for folded stacks and flame graphs: the function, else
 * "module+0xoffset" with the module's base name, else the pc. */
const char *rm_frame_name(const struct rm_doc_frame *f, char *buf, size_t cap);

#endif
