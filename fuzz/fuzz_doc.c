/* fuzz_doc.c - libFuzzer target: the document reader (tools/doc.c).
 *
 * Arbitrary bytes (JSON, gzip'd or not, text reports, garbage) go through
 * rm_doc_parse.  It must never crash, leak or read out of bounds (ASan),
 * and what it accepts must be a consistent model: a known type, groups
 * with bytes and blocks >= 0, frames arrays as long as they say, every
 * process's groups inside the document, a tree's merged groups apart from
 * its processes' and a leak report's or dump's equal to procs[0]'s. */
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "doc.h"
#include "check.h"

/* The bytes and blocks shown of a document's groups add up to at most
 * 2^53 (the reader refuses more), so no sum of them overflows. */
static unsigned long long shown_bytes, shown_blocks;

static void check_groups(const struct rm_doc_group *g, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        CHECK(g[i].bytes >= 0 && g[i].blocks >= 0);
        shown_bytes += (unsigned long long)rm_doc_bytes(&g[i]);
        shown_blocks += (unsigned long long)rm_doc_blocks(&g[i]);
        CHECK(shown_bytes <= 1ull << 53 && shown_blocks <= 1ull << 53);
        CHECK(g[i].json != NULL);
        CHECK(g[i].kind == rm_doc_kind_of(g[i].kind_name));
        for (size_t k = 0; k < g[i].nframes; k++) {
            const struct rm_doc_frame *f = &g[i].frames[k];
            CHECK(!f->function || (*f->function && strcmp(f->function, "??") != 0));
            CHECK(f->line >= -1);
            /* Touch every string: ASan sees a dangling one. */
            const char *s[] = { f->pc_text, f->offset_text, f->function, f->module,
                                f->build_id, f->file };
            for (size_t j = 0; j < sizeof s / sizeof *s; j++)
                if (s[j])
                    (void)strlen(s[j]);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rm_doc *d = rm_doc_parse(data, size, "fuzz", NULL);
    if (!d)
        return 0;
    CHECK(d->root && json_is_object(d->root));
    CHECK(d->type == RM_DOC_LEAKS || d->type == RM_DOC_DUMP || d->type == RM_DOC_TREE);
    CHECK(d->version >= 1);
    if (d->type == RM_DOC_TREE) {
        for (size_t i = 0; i < d->nprocs; i++)
            CHECK(d->procs[i].ngroups == 0 || d->procs[i].groups != d->groups);
    } else {
        CHECK(d->nprocs == 1);
        CHECK(d->groups == d->procs[0].groups && d->ngroups == d->procs[0].ngroups);
    }
    shown_bytes = shown_blocks = 0;
    if (d->type == RM_DOC_TREE)   /* else they are procs[0]'s, counted below */
        check_groups(d->groups, d->ngroups);
    for (size_t i = 0; i < d->nprocs; i++)
        check_groups(d->procs[i].groups, d->procs[i].ngroups);
    rm_doc_free(d);
    return 0;
}
