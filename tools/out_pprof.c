/* tools/out_pprof.c - `ratmem report --format=pprof`: the gzip'd
 * profile.proto that pprof, Pyroscope and Parca read, laid out like Go's
 * heap profiles, through the shared encoder (pprof/encode.h):
 *   leak report (and tree):  leaked_objects/count, leaked_space/bytes
 *   heap dump:               inuse_objects/count,  inuse_space/bytes
 *   --base OLD NEW:          growth_objects/count, growth_space/bytes
 * one sample per group (labels: kind, and pid or pids), one mapping per
 * module (file name and build ID: the frame's "build_id" when the document
 * has one, else the GNU build-id note read from the module file; the loaded
 * segment holding each address, from the module file's PT_LOAD headers, so
 * pprof's symbolizer finds it), one location per address, functions with
 * names and file:line.  Module files are read only when they are regular
 * files (the document names them). */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "out.h"
#include "pprof/encode.h"

/* ---- build IDs and segments from module files ---- */

/* A PT_LOAD segment: where it is in the file and where it is loaded. */
struct seg {
    uint64_t vaddr, memsz, off;
};
#define MAX_SEGS 16

struct bid {
    char *module;
    char *hex; /* "" when the file has none or cannot be read */
    struct seg seg[MAX_SEGS];
    size_t nseg;
};

static struct bid *bids;
static size_t nbids, bidcap;

/* The GNU build-id note in a PT_NOTE segment of the ELF file fd, in hex
 * (hex[0] = 0 when it has none), and its PT_LOAD segments. */
static int elf_read(int fd, char *hex, size_t cap, struct seg *segs, size_t *nseg)
{
    unsigned char ident[EI_NIDENT];
    hex[0] = 0;
    *nseg = 0;
    if (pread(fd, ident, sizeof ident, 0) != (ssize_t)sizeof ident ||
        memcmp(ident, ELFMAG, SELFMAG) != 0)
        return -1;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (ident[EI_DATA] != ELFDATA2LSB)
        return -1;
#else
    if (ident[EI_DATA] != ELFDATA2MSB)
        return -1;
#endif
    bool is64 = ident[EI_CLASS] == ELFCLASS64;
    uint64_t phoff;
    unsigned phnum, phentsize;
    if (is64) {
        Elf64_Ehdr eh;
        if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh)
            return -1;
        phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
    } else if (ident[EI_CLASS] == ELFCLASS32) {
        Elf32_Ehdr eh;
        if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh)
            return -1;
        phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
    } else {
        return -1;
    }
    if (phentsize < (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || phnum > 4096)
        return -1;
    for (unsigned i = 0; i < phnum; i++) {
        uint64_t off, size, vaddr, memsz;
        uint32_t type;
        if (is64) {
            Elf64_Phdr ph;
            if (pread(fd, &ph, sizeof ph, (off_t)(phoff + (uint64_t)i * phentsize)) != (ssize_t)sizeof ph)
                return -1;
            type = ph.p_type, off = ph.p_offset, size = ph.p_filesz;
            vaddr = ph.p_vaddr, memsz = ph.p_memsz;
        } else {
            Elf32_Phdr ph;
            if (pread(fd, &ph, sizeof ph, (off_t)(phoff + (uint64_t)i * phentsize)) != (ssize_t)sizeof ph)
                return -1;
            type = ph.p_type, off = ph.p_offset, size = ph.p_filesz;
            vaddr = ph.p_vaddr, memsz = ph.p_memsz;
        }
        if (type == PT_LOAD && *nseg < MAX_SEGS && memsz > 0) {
            segs[*nseg] = (struct seg){ vaddr, memsz, off };
            ++*nseg;
        }
        if (type != PT_NOTE || size == 0 || size > (1 << 16) || hex[0])
            continue;
        unsigned char *n = malloc(size);
        if (!n)
            return -1;
        if (pread(fd, n, size, (off_t)off) != (ssize_t)size) {
            free(n);
            continue;
        }
        /* Notes: namesz, descsz, type, name (4-aligned), desc (4-aligned). */
        for (uint64_t p = 0; p + 12 <= size;) {
            uint32_t namesz, descsz, ntype;
            memcpy(&namesz, n + p, 4);
            memcpy(&descsz, n + p + 4, 4);
            memcpy(&ntype, n + p + 8, 4);
            uint64_t name = p + 12, desc = name + ((namesz + 3u) & ~3u);
            uint64_t next = desc + ((descsz + 3u) & ~3u);
            if (next > size || next <= p)
                break;
            if (ntype == NT_GNU_BUILD_ID && namesz == 4 && memcmp(n + name, "GNU", 4) == 0 &&
                descsz > 0 && descsz * 2 + 1 <= cap) {
                for (uint32_t k = 0; k < descsz; k++)
                    snprintf(hex + 2 * k, 3, "%02x", n[desc + k]);
                break;
            }
            p = next;
        }
        free(n);
    }
    return 0;
}

/* What the module file says (build ID, segments), read once per module;
 * NULL when it cannot be had. */
static const struct bid *module_info(const char *module)
{
    if (!module || module[0] != '/')
        return NULL;
    for (size_t i = 0; i < nbids; i++)
        if (strcmp(bids[i].module, module) == 0)
            return &bids[i];
    if (nbids == bidcap) {
        size_t nc = bidcap ? bidcap * 2 : 16;
        struct bid *nb = realloc(bids, nc * sizeof *nb);
        if (!nb)
            return NULL;
        bids = nb;
        bidcap = nc;
    }
    struct bid *b = &bids[nbids];
    char hex[129] = "";
    b->nseg = 0;
    /* The document names the file: only a regular file is read (a FIFO
     * would block the open, a device the reads). */
    int fd = open(module, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
    }
    if (fd >= 0) {
        if (elf_read(fd, hex, sizeof hex, b->seg, &b->nseg) < 0) {
            hex[0] = 0;
            b->nseg = 0;
        }
        close(fd);
    }
    char *m = strdup(module), *h = strdup(hex);
    if (!m || !h) {
        free(m);
        free(h);
        return NULL;
    }
    b->module = m;
    b->hex = h;
    nbids++;
    return b;
}

static const char *module_build_id(const char *module)
{
    const struct bid *b = module_info(module);
    return b && b->hex[0] ? b->hex : NULL;
}

/* The loaded segment of f's module that holds fr->pc, as /proc/PID/maps
 * shows it (4 KiB pages, as pprof assumes), into fr's map_* fields: the
 * module's load address is fr->pc - fr->offset (its lowest mapped page), so the
 * load bias is that less the first segment's page.  Left 0 when the file
 * cannot be read, is another build than the document's, or has no
 * segment there. */
static void frame_segment(const struct rm_doc_frame *f, struct rm_pprof_frame *fr)
{
    const uint64_t pg = 4096;
    const struct bid *b = module_info(f->module);
    if (!b || !b->nseg || fr->pc < fr->offset ||
        (f->build_id && b->hex[0] && strcmp(f->build_id, b->hex) != 0))
        return;
    uint64_t first = UINT64_MAX;
    for (size_t i = 0; i < b->nseg; i++)
        if ((b->seg[i].vaddr & ~(pg - 1)) < first)
            first = b->seg[i].vaddr & ~(pg - 1);
    uint64_t bias = fr->pc - fr->offset - first, v = fr->pc - bias;
    for (size_t i = 0; i < b->nseg; i++) {
        const struct seg *s = &b->seg[i];
        if (v < s->vaddr || v - s->vaddr >= s->memsz)
            continue;
        uint64_t end = s->vaddr + s->memsz;
        if (end > UINT64_MAX - pg)
            return;
        fr->map_start = bias + (s->vaddr & ~(pg - 1));
        fr->map_limit = bias + ((end + pg - 1) & ~(pg - 1));
        fr->map_offset = s->off & ~(pg - 1);
        return;
    }
}

static void bids_free(void)
{
    for (size_t i = 0; i < nbids; i++) {
        free(bids[i].module);
        free(bids[i].hex);
    }
    free(bids);
    bids = NULL;
    nbids = bidcap = 0;
}

/* ---- the profile ---- */

static int fail(const char *what)
{
    fprintf(stderr, "ratmem report: pprof: %s: %s\n", what, strerror(errno));
    return -1;
}

static int build(struct rm_pprof *p, const struct rm_view *v)
{
    struct rm_pprof_frame *fr = NULL;
    size_t frcap = 0;
    char pids[256];
    for (size_t i = 0; i < v->n; i++) {
        const struct rm_view_group *g = &v->groups[i];
        const struct rm_doc_group *dg = g->g;
        if (dg->nframes > frcap) {
            free(fr);
            frcap = dg->nframes * 2;
            if (!(fr = malloc(frcap * sizeof *fr)))
                return fail("out of memory");
        }
        for (size_t k = 0; k < dg->nframes; k++) {
            const struct rm_doc_frame *f = &dg->frames[k];
            /* The document's pcs are return addresses: the locations
             * take the call PC, pc - 1 (encode.h). */
            int ret = f->pc > 0 && f->offset > 0;
            fr[k] = (struct rm_pprof_frame){
                .pc = f->pc - ret,
                .module = f->module && f->module[0] ? f->module : NULL,
                .build_id = f->build_id ? f->build_id : module_build_id(f->module),
                .offset = f->offset - ret,
                .function = f->function,
                .file = f->file,
                .line = f->line > 0 ? f->line : 0,
            };
            frame_segment(f, &fr[k]);
        }
        struct rm_pprof_label lab[2] = { { "kind", dg->kind_name ? dg->kind_name : "?", 0, NULL } };
        size_t nlab = 1;
        if (g->pid >= 0) {
            lab[nlab++] = (struct rm_pprof_label){ "pid", NULL, g->pid, NULL };
        } else if (dg->pids) {
            size_t len = 0;
            pids[0] = 0;
            for (size_t k = 0; k < json_array_size(dg->pids) && len + 24 < sizeof pids; k++)
                len += (size_t)snprintf(pids + len, sizeof pids - len, "%s%lld", k ? "," : "",
                                        (long long)json_integer_value(json_array_get(dg->pids, k)));
            lab[nlab++] = (struct rm_pprof_label){ "pids", pids, 0, NULL };
        }
        int64_t vals[2] = { g->blocks, g->bytes };
        if (rm_pprof_add_sample(p, vals, fr, dg->nframes, lab, nlab) < 0) {
            free(fr);
            return fail("encoding a sample");
        }
    }
    free(fr);
    return 0;
}

int rm_out_pprof(FILE *out, const struct rm_view *v)
{
    static const struct rm_pprof_type leaked[] = { { "leaked_objects", "count" },
                                                   { "leaked_space", "bytes" } };
    static const struct rm_pprof_type inuse[] = { { "inuse_objects", "count" },
                                                  { "inuse_space", "bytes" } };
    static const struct rm_pprof_type growth[] = { { "growth_objects", "count" },
                                                   { "growth_space", "bytes" } };
    const struct rm_pprof_type *types = v->growth ? growth : v->type == RM_DOC_DUMP ? inuse : leaked;
    const struct rm_doc *d = v->doc;
    struct rm_pprof *p = rm_pprof_new(types, 2);
    if (!p)
        return fail("out of memory");
    char comment[512];
    int rc = -1;
    /* What ran: the program, or a tree's command. */
    const char *what = d->exe ? d->exe : json_string_value(json_array_get(d->command, 0));
    snprintf(comment, sizeof comment, "ratmem %s of %s", v->growth ? "growth" : d->type_name,
             what ? what : d->path);
    if (rm_pprof_set_period(p, (struct rm_pprof_type){ "space", "bytes" }, 1) < 0 ||
        rm_pprof_set_default_type(p, types[1].type) < 0 ||
        rm_pprof_add_comment(p, comment) < 0 ||
        (d->exe && rm_pprof_set_main(p, d->exe) < 0) ||
        (d->timestamp_ms > 0 && d->timestamp_ms <= INT64_MAX / 1000000 &&
         rm_pprof_set_time(p, d->timestamp_ms * 1000000, 0) < 0)) {
        fail("the profile's header");
        goto out;
    }
    /* Sampled mode: the values are the unsampled estimates (pprof's
     * convention); the period is the mean bytes between samples. */
    if (d->sampled > 0) {
        snprintf(comment, sizeof comment,
                 "sampled: one allocation recorded per %lld bytes on average; values are "
                 "unsampled estimates", d->sampled);
        if (rm_pprof_set_period(p, (struct rm_pprof_type){ "space", "bytes" }, d->sampled) < 0 ||
            rm_pprof_add_comment(p, comment) < 0) {
            fail("the sampling period");
            goto out;
        }
    }
    if (json_is_string(d->options)) {
        snprintf(comment, sizeof comment, "options: %s", json_string_value(d->options));
        if (rm_pprof_add_comment(p, comment) < 0) {
            fail("a comment");
            goto out;
        }
    }
    if (build(p, v) < 0)
        goto out;
    unsigned char *buf;
    size_t len;
    if (rm_pprof_encode(p, &buf, &len) < 0) {
        fail("encoding");
        goto out;
    }
    fwrite(buf, 1, len, out);
    free(buf);
    rc = 0;
out:
    rm_pprof_free(p);
    bids_free();
    return rc;
}
