/* tools/out_folded.c - `ratmem report --format=folded`: Brendan Gregg's
 * folded stacks, one line per group, root first, with its bytes:
 *     main;build_list;make_node 48
 * for flamegraph.pl, inferno and speedscope.  Frames are named by
 * rm_frame_name; ';' in a name becomes ':' and control characters '?', so
 * that each line splits back into the same frames. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "out.h"

const char *rm_frame_name(const struct rm_doc_frame *f, char *buf, size_t cap)
{
    if (f->function)
        return f->function;
    if (f->module && f->module[0]) {
        const char *base = strrchr(f->module, '/');
        snprintf(buf, cap, "%s+0x%" PRIx64, base ? base + 1 : f->module, f->offset);
        return buf;
    }
    snprintf(buf, cap, "0x%" PRIx64, f->pc);
    return buf;
}

static void put_name(FILE *o, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        fputc(c == ';' ? ':' : c < 0x20 || c == 0x7f ? '?' : c, o);
    }
}

int rm_out_folded(FILE *o, const struct rm_view *v)
{
    char buf[4200];
    for (size_t i = 0; i < v->n; i++) {
        const struct rm_view_group *g = &v->groups[i];
        if (g->bytes <= 0)
            continue;   /* folded values are positive (flamegraph.pl) */
        if (!g->g->nframes)
            fputs("[unknown stack]", o);
        for (size_t k = g->g->nframes; k-- > 0;) {
            put_name(o, rm_frame_name(&g->g->frames[k], buf, sizeof buf));
            if (k)
                fputc(';', o);
        }
        fprintf(o, " %lld\n", g->bytes);
    }
    return 0;
}
