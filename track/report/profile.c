/* profile.c - pprof heap profiles (see profile.h).
 *
 * One sample per stack with a recorded allocation: alloc_objects and
 * alloc_space from the stack's running totals (sample.c), inuse_objects
 * and inuse_space from a snapshot of the live table, each block counted
 * rm_sample_scale(size) times.  The period is the sampling mean, with the
 * same figure in a comment.  Frames come from the report's symbolizer; the
 * shared encoder (pprof/encode.h) gzips the profile onto the file. */
#define _GNU_SOURCE
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dump.h"
#include "outfile.h"
#include "mem.h"
#include "out.h"
#include "sample.h"
#include "stackdb.h"
#include "symbolize.h"
#include "table.h"
#include "pprof/encode.h"
#include "lazylib.h"
#include "profile.h"

static _Atomic uint64_t rm_profile_seq;

uint64_t rm_profile_next_seq(void)
{
    return atomic_fetch_add(&rm_profile_seq, 1) + 1;
}

void rm_profile_reset_child(void)
{
    atomic_store(&rm_profile_seq, 0);
}

struct inuse {
    double objects, bytes;
};

static int64_t round_i64(double v)
{
    return v <= 0 ? 0 : v >= 9.2e18 ? INT64_MAX : (int64_t)(v + 0.5);
}

/* Loaded objects: their address ranges, the GNU build-id note's id in
 * hex (profilers match their symbols by it) and their loaded segments as
 * /proc/self/maps shows them (4 KiB pages, as pprof assumes: its local
 * symbolizer picks the ELF segment from a mapping's start, end and file
 * offset).  Read from memory, at most RM_MODS objects, RM_SEGS segments
 * each. */
#define RM_MODS 512
#define RM_SEGS 8
struct mod {
    uintptr_t lo, hi;
    char id[41];
    size_t nseg;
    struct { uintptr_t lo, hi, off; } seg[RM_SEGS];
};
struct mods {
    struct mod *m;
    size_t n;
};

static int each_mod(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct mods *ms = arg;
    if (ms->n >= RM_MODS)
        return 1;
    struct mod *m = &ms->m[ms->n];
    m->lo = UINTPTR_MAX;
    m->hi = 0;
    m->id[0] = 0;
    m->nseg = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD) {
            if (a < m->lo)
                m->lo = a;
            if (a + ph->p_memsz > m->hi)
                m->hi = a + ph->p_memsz;
            if (m->nseg < RM_SEGS && ph->p_memsz) {
                m->seg[m->nseg].lo = a & ~(uintptr_t)4095;
                m->seg[m->nseg].hi = (a + ph->p_memsz + 4095) & ~(uintptr_t)4095;
                m->seg[m->nseg].off = ph->p_offset & ~(uintptr_t)4095;
                m->nseg++;
            }
        } else if (ph->p_type == PT_NOTE && !m->id[0]) {
            const unsigned char *n = (const unsigned char *)a, *end = n + ph->p_memsz;
            while (n + 12 <= end) {
                uint32_t namesz, descsz, type;
                memcpy(&namesz, n, 4);
                memcpy(&descsz, n + 4, 4);
                memcpy(&type, n + 8, 4);
                const unsigned char *name = n + 12;
                const unsigned char *desc = name + ((namesz + 3) & ~3u);
                const unsigned char *next = desc + ((descsz + 3) & ~3u);
                if (next > end || next < n)
                    break;
                if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
                    descsz > 0 && descsz <= 20) {
                    static const char hex[] = "0123456789abcdef";
                    for (uint32_t k = 0; k < descsz; k++) {
                        m->id[2 * k] = hex[desc[k] >> 4];
                        m->id[2 * k + 1] = hex[desc[k] & 15];
                    }
                    m->id[2 * descsz] = 0;
                    break;
                }
                n = next;
            }
        }
    }
    if (m->lo < m->hi)
        ms->n++;
    return 0;
}

static const struct mod *mod_of(const struct mods *ms, uintptr_t pc)
{
    for (size_t i = 0; i < ms->n; i++)
        if (pc >= ms->m[i].lo && pc < ms->m[i].hi)
            return &ms->m[i];
    return NULL;
}

/* The frame's build ID and segment (left NULL and 0 when unknown). */
static void mod_info(const struct mods *ms, struct rm_pprof_frame *f)
{
    const struct mod *m = mod_of(ms, (uintptr_t)f->pc);
    if (!m)
        return;
    f->build_id = m->id[0] ? m->id : NULL;
    for (size_t i = 0; i < m->nseg; i++)
        if (f->pc >= m->seg[i].lo && f->pc < m->seg[i].hi) {
            f->map_start = m->seg[i].lo;
            f->map_limit = m->seg[i].hi;
            f->map_offset = m->seg[i].off;
            break;
        }
}

static const struct rm_pprof_type types[] = {
    { "alloc_objects", "count" }, { "alloc_space", "bytes" },
    { "inuse_objects", "count" }, { "inuse_space", "bytes" },
};

/* Build the profile into p. */
static int build(struct rm_pprof *p)
{
    int ret = 0;
    uint64_t mean = rm_sample_mean();
    char text[256];
    if (mean)
        snprintf(text, sizeof text,
                 "ratmem heap profile: one allocation sampled per %llu bytes on average; "
                 "values are estimates (a sampled block of s bytes counts 1/(1-exp(-s/%llu)) "
                 "times)", (unsigned long long)mean, (unsigned long long)mean);
    else
        snprintf(text, sizeof text, "ratmem heap profile: every allocation recorded (exact: period 1)");
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char exe[RATMEM_PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[k > 0 ? (size_t)k : 0] = 0;
    if (rm_pprof_set_period(p, (struct rm_pprof_type){ "space", "bytes" },
                            mean ? (int64_t)mean : 1) ||
        rm_pprof_add_comment(p, text) || rm_pprof_set_default_type(p, "inuse_space") ||
        rm_pprof_set_time(p, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec, 0) ||
        (exe[0] && rm_pprof_set_main(p, exe)))
        return -1;

    /* Live blocks by stack id. */
    size_t cap = rm_table_count() + 4096;
    size_t bbytes = cap * sizeof(struct rm_block);
    struct rm_block *b = rm_mem_map_scratch(bbytes);
    size_t nst = (size_t)rm_stackdb_count() + 4097;
    size_t ibytes = nst * sizeof(struct inuse);
    struct inuse *in = rm_mem_map_scratch(ibytes);
    struct rm_pprof_frame *fr = rm_mem_map_scratch(RM_STACK_MAX_DEPTH * sizeof *fr);
    struct rm_symbolizer *sy = NULL;
    struct mods ms = { rm_mem_map_scratch(RM_MODS * sizeof(struct mod)), 0 };
    if (ms.m)
        dl_iterate_phdr(each_mod, &ms);
    if (!b || !in || !fr) {
        errno = ENOMEM;
        ret = -1;
        goto out;
    }
    size_t n = rm_table_snapshot(b, cap);
    for (size_t i = 0; i < n; i++) {
        size_t id = (size_t)b[i].stack;
        if (id >= nst)
            continue;   /* a stack newer than the count read above */
        double s = rm_sample_scale(b[i].size);
        in[id].objects += s;
        in[id].bytes += s * (double)b[i].size;
    }
    rm_mem_unmap_scratch(b, bbytes);
    b = NULL;
    sy = rm_sym_open();
    for (size_t id = 0; id < nst; id++) {
        double ao = 0, ab = 0;
        rm_sample_totals((uint32_t)id, &ao, &ab);
        if (ao <= 0 && in[id].objects <= 0)
            continue;
        int64_t v[4] = { round_i64(ao), round_i64(ab), round_i64(in[id].objects),
                         round_i64(in[id].bytes) };
        const struct rm_stack *st = id ? rm_stackdb_get((uint32_t)id) : NULL;
        size_t depth = st ? st->depth : 0;
        for (size_t i = 0; i < depth; i++) {
            struct rm_frame_info fi;
            rm_sym_lookup(sy, st->pc[i], &fi);
            /* Return addresses: the location takes the call PC, pc - 1
             * (encode.h), as fi's lines do. */
            int ret = st->pc[i] > 0 && fi.offset > 0;
            fr[i] = (struct rm_pprof_frame){
                .pc = st->pc[i] - ret, .module = fi.module[0] ? fi.module : NULL,
                .offset = fi.offset - ret, .function = fi.function, .file = fi.file,
                .line = fi.line };
            if (fi.module[0])
                mod_info(&ms, &fr[i]);
        }
        if (rm_pprof_add_sample(p, v, fr, depth, NULL, 0)) {
            ret = -1;
            goto out;
        }
    }
out:
    rm_sym_close(sy);
    rm_mem_unmap_scratch(ms.m, RM_MODS * sizeof(struct mod));
    rm_mem_unmap_scratch(fr, RM_STACK_MAX_DEPTH * sizeof *fr);
    rm_mem_unmap_scratch(in, ibytes);
    rm_mem_unmap_scratch(b, bbytes);
    return ret;
}

static void complain(const char *what, const char *path, int err)
{
    rm_out_line("cannot ", what, " heap profile ", path, ": ", strerror(err), (char *)NULL);
}

int rm_profile_write(const struct ratmem_options *o, uint64_t seq)
{
    char dst[RATMEM_PATH_MAX], tmp[RATMEM_PATH_MAX + 8];
    if (!o->profile[0])
        return ENOENT;
    if (rm_dump_path(o, o->profile, seq, dst, sizeof dst) != 0 || !dst[0]) {
        complain("name", o->profile, ENAMETOOLONG);
        return ENAMETOOLONG;
    }
    /* The encoder's libraries, loaded on the first profile (one warning
     * when they cannot be). */
    if (!rm_lazylib_load(RM_LIB_PROTOBUF) || !rm_lazylib_load(RM_LIB_Z))
        return ELIBACC;
    struct rm_pprof *p = rm_pprof_new(types, sizeof types / sizeof types[0]);
    if (!p || build(p) != 0) {
        int err = errno ? errno : ENOMEM;
        rm_pprof_free(p);
        complain("build", dst, err);
        return err;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    int fd = rm_outfile_create_tmp(tmp, "heap profile");
    if (fd < 0) {
        int err = errno;
        rm_pprof_free(p);
        return err;
    }
    int err = rm_pprof_write_fd(p, fd) == 0 ? 0 : (errno ? errno : EIO);
    rm_pprof_free(p);
    return rm_outfile_commit(fd, err, tmp, dst, "heap profile");
}
