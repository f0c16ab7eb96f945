/* tools/out_html.c - `ratmem report --format=html` (see out.h).
 *
 * The page (tools/html/report.{html,css,js}, embedded by embed.sh) does all
 * the drawing; this file writes it around one JSON block of the report's
 * data, normalised so that a 30 MB heap dump becomes a few MB: modules and
 * frames are listed once each and groups refer to them by index.
 *
 *   { "ratmem_html": 1, "generator": ..., "generated_ms": ..., "diff": bool,
 *     "docs": [ { "file", "type", "pid", "exe", "summary", "sequence",
 *                 "timestamp_ms", "file_mtime_ms", "sampled", "report_seconds", "command", "exit", "options",
 *                 "procs": [ { "pid", "ppid", "exe", "argv", "exit", "summary", "options" } ],
 *                 "modules": [ path ], "kinds": [ name ],
 *                 "frames": [ [ function, module, offset, file, line ] ],
 *                 "groups": [ [ kind, bytes, blocks, proc, [ frame... ] ] ] } ] }
 *
 * A sampled run's groups carry their unsampled estimates (rm_doc_bytes), and
 * "sampled" the mean bytes between samples.
 *
 * The block sits in <script type="application/json">; every '<' in it is
 * written as \u003c, so no text of the report can end the element. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "out.h"
#include "html_page.h"

/* Index of key in the table map (object: key -> index), adding value
 * (stolen) to list when new. */
static json_int_t intern(json_t *map, json_t *list, const char *key, json_t *value)
{
    json_t *i = json_object_get(map, key);
    if (i) {
        json_decref(value);
        return json_integer_value(i);
    }
    json_int_t n = (json_int_t)json_array_size(list);
    if (json_object_set_new(map, key, json_integer(n)) || json_array_append_new(list, value))
        return -1;
    return n;
}

struct tables {
    json_t *mod_map, *modules;
    json_t *frame_map, *frames;
    json_t *kind_map, *kinds;
    json_t *groups;
    char *key;          /* scratch for frame keys */
    size_t key_cap;
};

static json_int_t frame_index(struct tables *t, const struct rm_doc_frame *f)
{
    char namebuf[4200];
    const char *name = rm_frame_name(f, namebuf, sizeof namebuf);
    const char *module = f->module ? f->module : "";
    const char *offset = f->offset_text ? f->offset_text : f->pc_text ? f->pc_text : "";
    const char *file = f->file ? f->file : "";
    json_int_t line = f->line > 0 ? (json_int_t)f->line : 0;
    size_t need = strlen(module) + strlen(name) + strlen(offset) + strlen(file) + 32;
    if (need > t->key_cap) {
        char *k = realloc(t->key, need);
        if (!k)
            return -1;
        t->key = k;
        t->key_cap = need;
    }
    snprintf(t->key, t->key_cap, "%s\x1f%s\x1f%s\x1f%s\x1f%lld", module, offset, name, file,
             (long long)line);
    json_t *known = json_object_get(t->frame_map, t->key);
    if (known)
        return json_integer_value(known);
    json_int_t m = intern(t->mod_map, t->modules, module, json_string(module));
    if (m < 0)
        return -1;
    return intern(t->frame_map, t->frames, t->key,
                  json_pack("[s I s s I]", name, m, offset, file, line));
}

/* Groups g[0..n) of process proc (-1: merged, no process) into t->groups. */
static int add_groups(struct tables *t, const struct rm_doc_group *g, size_t n, json_int_t proc)
{
    for (size_t i = 0; i < n; i++) {
        const char *kind = g[i].kind_name ? g[i].kind_name : "?";
        json_int_t k = intern(t->kind_map, t->kinds, kind, json_string(kind));
        json_t *fr = json_array();
        if (k < 0 || !fr)
            goto oom;
        for (size_t j = 0; j < g[i].nframes; j++) {
            json_int_t fi = frame_index(t, &g[i].frames[j]);
            if (fi < 0 || json_array_append_new(fr, json_integer(fi)))
                goto oom;
        }
        if (json_array_append_new(t->groups, json_pack("[I I I I o]", k, (json_int_t)rm_doc_bytes(&g[i]),
                                                      (json_int_t)rm_doc_blocks(&g[i]), proc, fr)))
            return -1;
        continue;
    oom:
        json_decref(fr);
        return -1;
    }
    return 0;
}

/* Set key to v (borrowed) when v is there. */
static void set_if(json_t *o, const char *key, json_t *v)
{
    if (v && !json_is_null(v))
        json_object_set(o, key, v);
}

/* One document in the page's form, or NULL when memory ran out. */
static json_t *normalise(const struct rm_doc *d)
{
    json_t *o = json_object(), *procs = json_array();
    struct tables t = {
        json_object(), json_array(), json_object(), json_array(),
        json_object(), json_array(), json_array(), NULL, 0
    };
    int rc = 0;
    json_object_set_new(o, "file", json_string(d->path ? d->path : ""));
    json_object_set_new(o, "type", json_string(d->type_name ? d->type_name : "leaks"));
    if (d->pid >= 0)
        json_object_set_new(o, "pid", json_integer((json_int_t)d->pid));
    if (d->exe)
        json_object_set_new(o, "exe", json_string(d->exe));
    set_if(o, "summary", d->summary);
    set_if(o, "options", d->options);
    set_if(o, "command", d->command);
    set_if(o, "exit", d->exit);
    if (d->sampled > 0)
        json_object_set_new(o, "sampled", json_integer((json_int_t)d->sampled));
    if (d->sequence >= 0)
        json_object_set_new(o, "sequence", json_integer((json_int_t)d->sequence));
    if (d->timestamp_ms >= 0)
        json_object_set_new(o, "timestamp_ms", json_integer((json_int_t)d->timestamp_ms));
    if (d->report_seconds >= 0)
        json_object_set_new(o, "report_seconds", json_real(d->report_seconds));
    /* a leak report has no time stamp of its own: its file's is the next best */
    struct stat st;
    if (d->path && strcmp(d->path, "-") != 0 && stat(d->path, &st) == 0)
        json_object_set_new(o, "file_mtime_ms", json_integer((json_int_t)st.st_mtim.tv_sec * 1000
                                                             + st.st_mtim.tv_nsec / 1000000));

    size_t per_proc = 0;
    for (size_t i = 0; i < d->nprocs; i++) {
        const struct rm_doc_proc *p = &d->procs[i];
        json_t *po = json_object();
        if (p->pid >= 0)
            json_object_set_new(po, "pid", json_integer((json_int_t)p->pid));
        if (p->ppid >= 0)
            json_object_set_new(po, "ppid", json_integer((json_int_t)p->ppid));
        if (p->exe)
            json_object_set_new(po, "exe", json_string(p->exe));
        set_if(po, "argv", p->argv);
        set_if(po, "exit", p->exit);
        set_if(po, "summary", p->summary);
        set_if(po, "options", p->report ? json_object_get(p->report, "options") : NULL);
        json_array_append_new(procs, po);
        per_proc += p->ngroups;
        if (rc == 0)
            rc = add_groups(&t, p->groups, p->ngroups, (json_int_t)i);
    }
    /* a tree whose processes carry no report but which has merged groups */
    if (rc == 0 && per_proc == 0 && d->ngroups && d->type == RM_DOC_TREE)
        rc = add_groups(&t, d->groups, d->ngroups, -1);
    json_object_set_new(o, "procs", procs);
    json_object_set_new(o, "modules", t.modules);
    json_object_set_new(o, "kinds", t.kinds);
    json_object_set_new(o, "frames", t.frames);
    json_object_set_new(o, "groups", t.groups);
    json_decref(t.mod_map);
    json_decref(t.frame_map);
    json_decref(t.kind_map);
    free(t.key);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Write s with every '<' as \u003c (s is JSON text: '<' occurs only in strings). */
static int put_escaped(FILE *out, const char *s)
{
    for (const char *p = s; *p;) {
        const char *lt = strchr(p, '<');
        size_t n = lt ? (size_t)(lt - p) : strlen(p);
        if (n && fwrite(p, 1, n, out) != n)
            return -1;
        if (!lt)
            break;
        if (fputs("\\u003c", out) == EOF)
            return -1;
        p = lt + 1;
    }
    return 0;
}

/* The page's data for docs (with base first when there is one). */
static char *page_data(const struct rm_doc *const *docs, size_t ndocs, const struct rm_doc *base)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    json_t *data = json_object(), *list = json_array();
    json_object_set_new(data, "ratmem_html", json_integer(1));
    json_object_set_new(data, "generator", json_string(PACKAGE_NAME " " PACKAGE_VERSION));
    json_object_set_new(data, "generated_ms",
                        json_integer((json_int_t)now.tv_sec * 1000 + now.tv_nsec / 1000000));
    json_object_set_new(data, "diff", json_boolean(base != NULL));
    json_object_set_new(data, "docs", list);
    for (size_t i = base ? 0 : 1; i <= ndocs; i++) {
        json_t *d = normalise(i ? docs[i - 1] : base);
        if (!d || json_array_append_new(list, d)) {
            json_decref(data);
            return NULL;
        }
    }
    char *text = json_dumps(data, JSON_COMPACT);
    json_decref(data);
    return text;
}

int rm_out_html(FILE *out, const struct rm_doc *const *docs, size_t ndocs,
                const struct rm_doc *base)
{
    char *text = page_data(docs, ndocs, base);
    if (!text) {
        fprintf(stderr, "ratmem report: out of memory writing the HTML page\n");
        return -1;
    }
    int rc = 0;
    if (fwrite(rm_html_head, 1, rm_html_head_len, out) != rm_html_head_len
        || put_escaped(out, text) || fputc('\n', out) == EOF
        || fwrite(rm_html_tail, 1, rm_html_tail_len, out) != rm_html_tail_len)
        rc = -1;
    free(text);
    if (rc)
        fprintf(stderr, "ratmem report: writing the HTML page: %s\n", strerror(errno));
    return rc;
}
