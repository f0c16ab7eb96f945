/* ratmem-diff.c - `ratmem diff OLD.json NEW.json`: the allocation stacks
 * whose live bytes grew between two heap dumps (or JSON leak reports, or
 * process-tree documents) of libratmem-preload.so, largest growth first.
 * See ratmem(1).
 *
 * Stacks are matched by their frames' module and offset (or, with
 * --by=function, function names), never by raw addresses, so dumps of two
 * runs of one program match in spite of address-space randomisation.
 *
 * The documents are read by tools/doc.c (jansson; plain or gzip'd).
 * Exit status: 0 when the comparison was printed, 2 on bad usage or input
 * (one line on stderr). */
#define _GNU_SOURCE
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "die.h"
#include "cmds.h"
#include "doc.h"
#include "growth.h"

static const char *prog = "ratmem diff";

#define die(...) rm_die(2, prog, __VA_ARGS__)

typedef struct rm_doc_frame frame_t;
typedef struct rm_doc_group group_t;

static struct rm_doc *load(const char *path)
{
    struct rm_doc *d = rm_doc_load(path, prog);
    if (!d)
        exit(2);
    return d;
}

static bool known_function(const frame_t *f)
{
    return f->function != NULL;   /* the reader drops "" and "??" */
}

/* The groups of r into the table (a tree's merged ones). */
static void add(struct rm_growth *t, const struct rm_doc *r, bool is_new)
{
    for (size_t i = 0; i < r->ngroups; i++)
        if (rm_growth_add(t, &r->groups[i], is_new) < 0)
            die("out of memory");
}

/* ---- output ---- */

/* Text from a report, with control characters shown as '?'. */
static void put_text(const char *s)
{
    for (; *s; s++)
        putchar((unsigned char)*s < 0x20 || *s == 0x7F ? '?' : *s);
}

static void describe(const struct rm_doc *r)
{
    fputs(r->path, stdout);
    /* Reports without a "type" (older ones) are called "report". */
    json_t *type = json_object_get(r->root, "type");
    printf(" (%s", type ? r->type_name : "report");
    if (r->sequence >= 0)
        printf(" %lld", r->sequence);
    if (r->pid >= 0)
        printf(", pid %lld", r->pid);
    putchar(')');
}

static void print_frames(const group_t *g, size_t max)
{
    if (!g->nframes)
        puts("    #0 <unknown stack>");
    for (size_t i = 0; i < g->nframes && i < max; i++) {
        const frame_t *f = &g->frames[i];
        printf("    #%zu", i);
        if (f->pc_text) {
            putchar(' ');
            put_text(f->pc_text);
        }
        if (known_function(f)) {
            fputs(" in ", stdout);
            put_text(f->function);
        }
        if (f->file) {
            putchar(' ');
            put_text(f->file);
            if (f->line >= 0)
                printf(":%lld", f->line);
        }
        fputs(" (", stdout);
        put_text(f->module && f->module[0] ? f->module : "<unknown module>");
        if (f->offset_text) {
            putchar('+');
            put_text(f->offset_text);
        }
        puts(")");
    }
    if (g->nframes > max)
        printf("    ... %zu more frame(s)\n", g->nframes - max);
}

static void usage(FILE *to)
{
    fputs("usage: ratmem diff [--by=offset|function] [--frames=N] OLD.json NEW.json\n"
          "  Print the allocation stacks whose live bytes grew from OLD to NEW (heap\n"
          "  dumps or JSON leak reports of libratmem-preload.so), largest growth first.\n"
          "  --by=offset     match stacks by module+offset of each frame (default)\n"
          "  --by=function   match stacks by function names (across rebuilds)\n"
          "  --frames=N      frames to print per stack (default 8; 0 = all)\n",
          to);
}

int ratmem_diff_main(int argc, char **argv)
{
    size_t max_frames = 8;
    bool by_function = false;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--by=function") == 0) {
            by_function = true;
        } else if (strcmp(a, "--by=offset") == 0) {
            by_function = false;
        } else if (strncmp(a, "--frames=", 9) == 0) {
            char *end;
            errno = 0;
            unsigned long v = strtoul(a + 9, &end, 10);
            if (!a[9] || *end || errno || a[9] == '-' || v > 256)
                die("bad value for --frames: '%s' (expected 0 to 256)", a + 9);
            max_frames = v ? (size_t)v : SIZE_MAX;
        } else {
            die("unknown option: %s (ratmem diff --help)", a);
        }
    }
    if (argc - i != 2)
        die("expected two files, OLD.json and NEW.json (ratmem diff --help)");
    struct rm_doc *old = load(argv[i]), *new = load(argv[i + 1]);
    struct rm_growth t = { .by_function = by_function };
    add(&t, old, false);
    add(&t, new, true);

    long long ob = 0, obl = 0, nb = 0, nbl = 0, grew = 0, shrank = 0;
    size_t ngrew = 0, nnew = 0, nshrank = 0;
    struct rm_growth_entry **up = rm_growth_grew(&t, &ngrew);
    if (!up)
        die("out of memory");
    for (size_t k = 0; k < t.cap; k++) {
        const struct rm_growth_entry *e = &t.e[k];
        if (!e->key)
            continue;
        ob += e->old_bytes;
        obl += e->old_blocks;
        nb += e->new_bytes;
        nbl += e->new_blocks;
        long long d = e->new_bytes - e->old_bytes;
        if (d > 0) {
            grew += d;
            if (!e->old_blocks)
                nnew++;
        } else if (d < 0) {
            nshrank++;
            shrank -= d;
        }
    }

    fputs("ratmem diff: ", stdout);
    describe(old);
    fputs(" -> ", stdout);
    describe(new);
    printf("\nlive: %lld -> %lld byte(s) (%+lld), %lld -> %lld object(s) (%+lld)\n\n", ob, nb,
           nb - ob, obl, nbl, nbl - obl);
    for (size_t k = 0; k < ngrew; k++) {
        const struct rm_growth_entry *e = up[k];
        printf("%+lld byte(s), %+lld object(s): ", e->new_bytes - e->old_bytes,
               e->new_blocks - e->old_blocks);
        if (e->old_blocks || e->old_bytes)
            printf("%lld -> %lld byte(s) in %lld -> %lld object(s)", e->old_bytes, e->new_bytes,
                   e->old_blocks, e->new_blocks);
        else
            printf("new, %lld byte(s) in %lld object(s)", e->new_bytes, e->new_blocks);
        puts(" allocated from:");
        print_frames(e->shown, max_frames);
        putchar('\n');
    }
    if (!ngrew)
        puts("No stack grew.\n");
    printf("SUMMARY: ratmem diff: %zu stack(s) grew by %lld byte(s) (%zu new); %zu shrank by "
           "%lld byte(s).\n",
           ngrew, grew, nnew, nshrank, shrank);
    free(up);
    rm_growth_free(&t);
    rm_doc_free(old);
    rm_doc_free(new);
    if (fflush(stdout) != 0 || ferror(stdout))
        die("writing the output: %s", strerror(errno));
    return 0;
}
