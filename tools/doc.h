/* tools/doc.h - the one reader of ratmem documents.
 *
 * rm_doc_load() reads any document libratmem-preload.so or the ratmem
 * launcher writes -- a JSON leak report ("type": "leaks", or no type in
 * older reports), a heap dump ("type": "dump"), a process-tree document
 * ("type": "tree") -- plain or gzip'd, with jansson, into one model:
 *
 *     rm_doc           one file: header fields, its processes, and (for a
 *                      tree) the groups merged across processes
 *       rm_doc_proc    one process: pid, exe, summary, its groups
 *         rm_doc_group one allocation stack of one kind: bytes, blocks,
 *                      frames leaf first
 *           rm_doc_frame pc, function, module, offset, file, line
 *
 * A leak report or a dump is a document of one process (procs[0] holds
 * its groups, and doc->groups points at the same groups).  A tree
 * document has one process per entry of "processes" (groups of those whose
 * "report" is null are empty) and doc->groups holds its merged "leaks".
 *
 * Every string points into the jansson tree (doc->root), which stays
 * alive until rm_doc_free(); writers reach any field the model does not
 * name (options, argv, exit, extra summary keys, fields added later)
 * through the json_t pointers.
 *
 * Bad input -- a missing or unreadable file, an empty file, truncated or
 * invalid JSON or gzip, a ratmem text report, another tool's JSON -- makes
 * rm_doc_load() return NULL after writing exactly one line to stderr,
 * "PROG: FILE: what is wrong"; callers exit with status 2. */
#ifndef RATMEM_TOOLS_DOC_H
#define RATMEM_TOOLS_DOC_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

enum rm_doc_type { RM_DOC_LEAKS, RM_DOC_DUMP, RM_DOC_TREE };

/* Group kinds; RM_KIND_OTHER for a kind this version does not know. */
enum rm_doc_kind { RM_DOC_DIRECT, RM_DOC_INDIRECT, RM_DOC_REACHABLE, RM_DOC_LIVE, RM_DOC_OTHER };

struct rm_doc_frame {
    uint64_t pc;           /* 0 when absent */
    uint64_t offset;       /* offset in module; 0 when absent */
    const char *pc_text;   /* "0x401136" as written, NULL when absent */
    const char *offset_text; /* "0x1136" as written, NULL when absent */
    const char *function;  /* NULL when absent or "??" (unknown) */
    const char *module;    /* NULL when absent; may be "" (unknown module) */
    const char *build_id;  /* hex, NULL when the document has none */
    const char *file;      /* NULL without debug info */
    long long line;        /* -1 when absent */
};

struct rm_doc_group {
    const char *kind_name;     /* "direct", "indirect", "reachable", "live", ... */
    enum rm_doc_kind kind;
    long long bytes, blocks;   /* >= 0 */
    long long est_bytes, est_blocks; /* sampled mode: "estimated_bytes"/"estimated_blocks",
                                  the unsampled estimates; -1 when absent */
    size_t nframes;
    struct rm_doc_frame *frames; /* leaf (allocation site) first */
    long long processes;       /* tree merged groups: processes holding it; else 1 */
    json_t *pids;              /* tree merged groups: the "pids" array; else NULL */
    json_t *json;              /* the group's object */
};

struct rm_doc_proc {
    long long pid, ppid;       /* -1 when absent */
    const char *exe;           /* NULL when absent */
    const char *type;          /* its report's "type" ("leaks", "dump"), NULL if none */
    json_t *argv, *exit;       /* tree processes; NULL when absent */
    json_t *summary;           /* its report's summary object, NULL when none */
    json_t *report;            /* its report object (the document itself for a
                                  leak report or dump), NULL when the tree says null */
    size_t ngroups;
    struct rm_doc_group *groups;
};

struct rm_doc {
    const char *path;          /* as given to rm_doc_load */
    enum rm_doc_type type;
    const char *type_name;     /* "leaks", "dump", "tree" */
    json_t *root;              /* the whole document */
    long long version;         /* "ratmem_report" */
    long long pid;             /* -1 when absent (a tree has none) */
    const char *exe;           /* NULL when absent */
    json_t *summary;           /* may be NULL */
    long long sampled;         /* summary "sampled": mean bytes between samples; 0 = exact */
    json_t *options;           /* "options" field if any (string or object), else NULL */
    json_t *command, *exit;    /* tree: the launcher's command and exit; else NULL */
    long long sequence;        /* dump: summary.sequence; else -1 */
    long long timestamp_ms;    /* dump: summary.timestamp_ms; else -1 */
    double report_seconds;     /* leak report: time it took; else -1 */
    size_t nprocs;
    struct rm_doc_proc *procs;
    size_t ngroups;            /* all groups of the document: a tree's merged */
    struct rm_doc_group *groups; /* ones, else procs[0]'s */
};

/* Read path ("-" = standard input).  prog prefixes the one-line error. */
struct rm_doc *rm_doc_load(const char *path, const char *prog);

/* The same from memory (fuzzing, tests): name is used in messages;
 * prog NULL keeps it quiet. */
struct rm_doc *rm_doc_parse(const void *data, size_t len, const char *name, const char *prog);

void rm_doc_free(struct rm_doc *d);

/* Summary value of key in a summary object, or dflt. */
long long rm_doc_sum(const json_t *summary, const char *key, long long dflt);

/* A group's bytes and blocks as they should be shown: the unsampled
 * estimates when the document has them, else the counts. */
long long rm_doc_bytes(const struct rm_doc_group *g);
long long rm_doc_blocks(const struct rm_doc_group *g);

/* "direct" -> RM_DOC_DIRECT, ... */
enum rm_doc_kind rm_doc_kind_of(const char *name);

#endif
