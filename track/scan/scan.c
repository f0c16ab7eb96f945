/* scan.c - the reachability scan (see scan.h).
 *
 * 1. From the roots, mark reachable with an explicit worklist.
 * 2. Every unreached block marks the unreached blocks it points to (other
 *    than itself) indirect; the rest are direct (LSan's rule).
 * 3. Indirect blocks that no direct block leads to belong to ownerless
 *    cycles: in each such structure one block (of a source component) is
 *    promoted to direct, found by flooding from candidates in address order
 *    and demoting any earlier candidate a later flood reaches. */
#define _GNU_SOURCE
#include "config.h"
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "mem.h"
#include "hsort.h"
#include "scan.h"

/* Cleared when process_vm_readv is unavailable (seccomp, old kernel); set
 * once by whichever thread finds out.  Relaxed atomic. */
static _Atomic int rm_vm_readv_broken;

struct rm_scan {
    const struct rm_block *b;
    size_t n;
    uintptr_t min, max;      /* [min, max) covers every block */
    uint8_t *kind;
    uint32_t *mark;          /* flood epochs (phase 3) */
    uint32_t *work;
    size_t nwork;
    bool safe;
    /* The region index (NULL: plain binary search): for each 4 KiB region
     * holding the start of a block, the first such block and how many;
     * and the blocks larger than a region, in address order. */
    struct rm_region *rtab;
    size_t rmask;
    uint32_t *bigs;
    size_t nbigs;
    /* The granule maps (NULL: none), RM_GRANULES bytes a region: for each
     * 32-byte granule, 1 + the region's last block starting before the
     * granule's end (relative to the region's first), 0 when none does.
     * One load instead of a binary search over the region's blocks. */
    uint8_t *gmap;
    /* Page filter (NULL: none): one bit per hashed 4 KiB page that holds
     * part of a block.  Few blocks (sampled mode, where the whole heap is
     * a root) leave most words of the roots with no lookup at all. */
    uint64_t *pf;
    /* Blocks not yet found reachable (phase 1): at 0 nothing is left to
     * find, and the rest of the roots (sampled mode's heap, mostly) is not
     * read. */
    size_t unreached;
};

#define RM_PF_SHIFT 20                          /* 2^20 bits, 128 KiB */
#define RM_PF_BYTES (((size_t)1 << RM_PF_SHIFT) / 8)

static inline size_t pf_bit(uintptr_t v)
{
    return (size_t)(((uint64_t)(v >> 12) * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - RM_PF_SHIFT));
}

#define RM_REGION_SHIFT 12

struct rm_region {
    uint64_t key;       /* region number + 1; 0 = empty slot */
    uint32_t first, count;
    uint32_t map;       /* the region's granule map (rm_scan.gmap), or RM_NO_MAP */
};

#define RM_GRANULE_SHIFT 5
#define RM_GRANULES ((size_t)1 << (RM_REGION_SHIFT - RM_GRANULE_SHIFT))   /* 128 */
#define RM_NO_MAP UINT32_MAX

/* ---- sorting (common/hsort.h: no recursion, no allocation) ---- */

static int by_addr(const void *x, const void *y)
{
    uintptr_t a = ((const struct rm_block *)x)->addr, b = ((const struct rm_block *)y)->addr;
    return a < b ? -1 : a > b;
}

void rm_blocks_sort(struct rm_block *b, size_t n)
{
    /* The table's snapshot comes in address order but for a few overflow
     * records: check before sorting. */
    size_t k = 1;
    while (k < n && b[k - 1].addr < b[k].addr)
        k++;
    if (k >= n)
        return;
    ratmem_hsort(b, n, sizeof *b, by_addr);
}

/* ---- lookup ---- */

static inline size_t bsize(const struct rm_block *b)
{
    return b->size ? (size_t)b->size : 1;
}

/* The last block in [lo, hi) whose address is <= v, or -1. */
static inline long pred_in(const struct rm_block *b, size_t lo, size_t hi, uintptr_t v)
{
    if (lo >= hi || b[lo].addr > v)
        return -1;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (b[mid].addr <= v)
            lo = mid;
        else
            hi = mid;
    }
    return (long)lo;
}

static inline uint64_t rmix(uint64_t x)
{
    x ^= x >> 31;
    x *= UINT64_C(0x9e3779b97f4a7c15);
    x ^= x >> 29;
    return x;
}

static inline const struct rm_region *region_of(const struct rm_scan *s, uint64_t r)
{
    for (size_t i = rmix(r) & s->rmask;; i = (i + 1) & s->rmask) {
        if (s->rtab[i].key == r + 1)
            return &s->rtab[i];
        if (!s->rtab[i].key)
            return NULL;
    }
}

static inline bool holds(const struct rm_block *b, uintptr_t v)
{
    return v >= b->addr && v - b->addr < bsize(b);
}

/* The block holding v, or -1.  Blocks never overlap, so the holder is the
 * last block starting at or before v. */
static inline long find_block(const struct rm_scan *s, uintptr_t v)
{
    if (v < s->min || v >= s->max)
        return -1;
    if (!s->rtab) {
        long j = pred_in(s->b, 0, s->n, v);
        return j >= 0 && holds(&s->b[j], v) ? j : -1;
    }
    uint64_t r = v >> RM_REGION_SHIFT;
    const struct rm_region *e = region_of(s, r);
    if (e) {
        long j;
        if (e->map != RM_NO_MAP) {
            size_t g = (v >> RM_GRANULE_SHIFT) & (RM_GRANULES - 1);
            unsigned rel = s->gmap[(size_t)e->map * RM_GRANULES + g];
            j = (long)e->first + (long)rel - 1;
            /* A block may start later in v's granule (16 bytes in). */
            if (rel && s->b[j].addr > v)
                j--;
        } else {
            j = pred_in(s->b, e->first, e->first + e->count, v);
            if (j < 0)
                j = (long)e->first - 1;   /* the block before the region's first */
        }
        return j >= 0 && holds(&s->b[j], v) ? j : -1;
    }
    /* No block starts in v's region: the holder starts in the region before
     * (a block smaller than a region), or is a large block. */
    e = r ? region_of(s, r - 1) : NULL;
    if (e) {
        long j = (long)(e->first + e->count - 1);
        return holds(&s->b[j], v) ? j : -1;
    }
    size_t lo = 0, hi = s->nbigs;
    if (!hi || s->b[s->bigs[0]].addr > v)
        return -1;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->b[s->bigs[mid]].addr <= v)
            lo = mid;
        else
            hi = mid;
    }
    long j = s->bigs[lo];
    return holds(&s->b[j], v) ? j : -1;
}

/* Build the region index; on failure the scan does without.  Returns the
 * bytes mapped for it (to unmap). */
static void gmap_build(struct rm_scan *s, size_t nreg, size_t *gbytes);

static void index_build(struct rm_scan *s, size_t *rbytes, size_t *bbytes, size_t *gbytes)
{
    *rbytes = *bbytes = *gbytes = 0;
    size_t nreg = 0, nbig = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (!i || (s->b[i].addr >> RM_REGION_SHIFT) != (s->b[i - 1].addr >> RM_REGION_SHIFT))
            nreg++;
        if (bsize(&s->b[i]) > ((size_t)1 << RM_REGION_SHIFT))
            nbig++;
    }
    size_t cap = 16;
    while (cap < 2 * nreg)
        cap *= 2;
    struct rm_region *t = rm_mem_map_scratch(cap * sizeof *t);
    uint32_t *bg = nbig ? rm_mem_map_scratch(nbig * sizeof *bg) : NULL;
    if (!t || (nbig && !bg) || s->n > UINT32_MAX) {
        rm_mem_unmap_scratch(t, cap * sizeof *t);
        rm_mem_unmap_scratch(bg, nbig * sizeof *bg);
        return;
    }
    s->rtab = t;
    s->rmask = cap - 1;
    s->bigs = bg;
    for (size_t i = 0; i < s->n; i++) {
        uint64_t r = s->b[i].addr >> RM_REGION_SHIFT;
        if (!i || r != (s->b[i - 1].addr >> RM_REGION_SHIFT)) {
            size_t k = rmix(r) & s->rmask;
            while (t[k].key)
                k = (k + 1) & s->rmask;
            t[k].key = r + 1;
            t[k].first = (uint32_t)i;
            t[k].count = 0;
            t[k].map = RM_NO_MAP;
            /* the slot is found again by region_of for the next blocks */
        }
        struct rm_region *e = (struct rm_region *)region_of(s, r);
        e->count++;
        if (bsize(&s->b[i]) > ((size_t)1 << RM_REGION_SHIFT))
            bg[s->nbigs++] = (uint32_t)i;
    }
    *rbytes = cap * sizeof *t;
    *bbytes = nbig * sizeof *bg;
    gmap_build(s, nreg, gbytes);
}

/* The granule maps of the regions that hold at most 255 blocks (all of
 * glibc's: its chunks are 32 bytes at least); the others keep the binary
 * search.  Without memory for them, none. */
static void gmap_build(struct rm_scan *s, size_t nreg, size_t *gbytes)
{
    uint8_t *gm = rm_mem_map_scratch(nreg * RM_GRANULES);
    if (!gm)
        return;
    s->gmap = gm;
    *gbytes = nreg * RM_GRANULES;
    uint32_t next = 0;
    for (size_t i = 0; i < s->n;) {
        uint64_t r = s->b[i].addr >> RM_REGION_SHIFT;
        struct rm_region *e = (struct rm_region *)region_of(s, r);
        size_t end = (size_t)e->first + e->count;
        if (e->count <= 255) {
            uint8_t *m = gm + (size_t)next * RM_GRANULES;
            e->map = next++;
            uintptr_t base = (uintptr_t)r << RM_REGION_SHIFT;
            size_t k = e->first;
            unsigned rel = 0;
            for (size_t g = 0; g < RM_GRANULES; g++) {
                uintptr_t gend = base + ((g + 1) << RM_GRANULE_SHIFT);
                while (k < end && s->b[k].addr < gend)
                    rel = (unsigned)(++k - e->first);
                m[g] = (uint8_t)rel;
            }
        }
        i = end;
    }
}

/* ---- reading memory ---- */

enum mode { M_REACH, M_INDIRECT, M_COVER, M_CYCLE };

struct visit {
    enum mode mode;
    long self;
    uint32_t epoch;
    size_t visits;
};

static long vm_read(void *dst, uintptr_t src, size_t len);

/* Where glibc would put the header of the chunk after a block of n bytes
 * if its chunk were the smallest that holds n: request2size(n) - 16,
 * counted from the block's address.  Only for n 1..8 past a multiple of 16
 * does that lie inside the block (its last bytes); a cheap first test. */
static inline uintptr_t next_chunk_off(size_t n)
{
    size_t c = n + 8 + 15 < 32 ? 32 : (n + 8 + 15) & ~(size_t)15;
    return c - 16;
}

/* Read the word at a (which must lie in mapped memory when the read is
 * direct); false when it could not be read. */
static bool read_word(const struct rm_scan *s, uintptr_t a, uintptr_t *w)
{
    if (s->safe && !atomic_load_explicit(&rm_vm_readv_broken, memory_order_relaxed)) {
        long k = vm_read(w, a, sizeof *w);
        if (k == (long)sizeof *w)
            return true;
        if (k >= 0)
            return false;
    }
    memcpy(w, (const void *)a, sizeof *w);
    return true;
}

/* True when offset off (inside block j, not 0) is where glibc keeps the
 * header of the chunk after block j.  Its bins, its top pointer and free
 * chunks' links point at free chunks' headers: such a pointer is glibc's,
 * not a reference to block j (it would keep a leaked block "reachable").
 * The real chunk size comes from the block's own header (the size word
 * just before it): a chunk may be larger than the request needs (realloc
 * shrinking in place or growing into a neighbour, a free chunk too small
 * to split taken whole), and then the next header lies past the block and
 * a pointer to the same offset is an ordinary interior reference. */
static bool glibc_next_header(const struct rm_scan *s, size_t j, uintptr_t off)
{
    const struct rm_block *b = &s->b[j];
    if (off != next_chunk_off(b->size))
        return false;
    uintptr_t hdr;
    if (!read_word(s, b->addr - sizeof hdr, &hdr))
        return false;
    if (hdr & 2)   /* IS_MMAPPED: a chunk of its own, no next chunk */
        return false;
    uintptr_t csize = hdr & ~(uintptr_t)7;
    /* The block starts 16 bytes into its chunk. */
    return csize >= 32 && csize - 16 == off;
}

static void visit_word(struct rm_scan *s, struct visit *vs, uintptr_t v)
{
    long j = find_block(s, v);
    if (j < 0 || j == vs->self)
        return;
    if (v != s->b[j].addr && glibc_next_header(s, (size_t)j, v - s->b[j].addr))
        return;
    uint8_t *k = &s->kind[j];
    switch (vs->mode) {
    case M_REACH:
        if (*k == RM_KIND_UNREACHED || *k == RM_KIND_INDIRECT) {
            *k = RM_KIND_REACHABLE;
            s->unreached--;
            s->work[s->nwork++] = (uint32_t)j;
            /* Its memory is read soon (the work list is a stack): start
             * the load now. */
            __builtin_prefetch((const void *)s->b[j].addr);
        }
        break;
    case M_INDIRECT:
        if (*k == RM_KIND_UNREACHED)
            *k = RM_KIND_INDIRECT;
        break;
    case M_COVER:
        if (*k == RM_KIND_INDIRECT && s->mark[j] != 1) {
            s->mark[j] = 1;
            s->work[s->nwork++] = (uint32_t)j;
        }
        break;
    case M_CYCLE:
        if ((*k == RM_KIND_INDIRECT || *k == RM_KIND_DIRECT) && s->mark[j] != 1 &&
            s->mark[j] != vs->epoch) {
            if (*k == RM_KIND_DIRECT)
                *k = RM_KIND_INDIRECT;   /* an earlier candidate, reached */
            s->mark[j] = vs->epoch;
            s->work[s->nwork++] = (uint32_t)j;
        }
        break;
    }
}

/* The word v lies in [min, min + span): the page filter, then the block. */
static inline void visit_candidate(struct rm_scan *s, struct visit *vs, const uint64_t *pf,
                                   uintptr_t v)
{
    if (pf) {
        size_t k = pf_bit(v);
        if (!(pf[k >> 6] & (UINT64_C(1) << (k & 63))))
            return;
    }
    visit_word(s, vs, v);
}

/* Most words of a large scan (the heap, in sampled mode) point at no
 * block: four at a time, one range test each (bounds held in registers,
 * which visit_word cannot change), and only a group with a word in range
 * goes further. */
static void visit_buf(struct rm_scan *s, struct visit *vs, const uintptr_t *w, size_t nw)
{
    const uint64_t *pf = s->pf;
    const uintptr_t min = s->min, span = s->max - s->min;
    size_t i = 0;
    for (; i + 4 <= nw; i += 4) {
        uintptr_t a = w[i] - min, b = w[i + 1] - min, c = w[i + 2] - min, d = w[i + 3] - min;
        if (__builtin_expect(!((a < span) | (b < span) | (c < span) | (d < span)), 1))
            continue;
        if (a < span)
            visit_candidate(s, vs, pf, a + min);
        if (b < span)
            visit_candidate(s, vs, pf, b + min);
        if (c < span)
            visit_candidate(s, vs, pf, c + min);
        if (d < span)
            visit_candidate(s, vs, pf, d + min);
    }
    for (; i < nw; i++)
        if (w[i] - min < span)
            visit_candidate(s, vs, pf, w[i]);
}

/* Build the page filter when the blocks cover few pages (at most 1/8 of
 * the bits: a sparse filter answers most words "no block here"). */
static void pf_build(struct rm_scan *s)
{
    size_t pages = 0;
    for (size_t i = 0; i < s->n && pages <= ((size_t)1 << RM_PF_SHIFT) / 8; i++)
        pages += ((s->b[i].addr + bsize(&s->b[i]) - 1) >> 12) - (s->b[i].addr >> 12) + 1;
    if (pages > ((size_t)1 << RM_PF_SHIFT) / 8)
        return;
    uint64_t *pf = rm_mem_map_scratch(RM_PF_BYTES);
    if (!pf)
        return;
    for (size_t i = 0; i < s->n; i++) {
        uintptr_t last = (s->b[i].addr + bsize(&s->b[i]) - 1) >> 12;
        for (uintptr_t pg = s->b[i].addr >> 12; pg <= last; pg++) {
            size_t k = pf_bit(pg << 12);
            pf[k >> 6] |= UINT64_C(1) << (k & 63);
        }
    }
    s->pf = pf;
}

#define RM_CHUNK 16384

/* Copy [src, src+len) through process_vm_readv; bytes copied (may be short
 * at an unmapped page), or -1 when the call is unavailable. */
static long vm_read(void *dst, uintptr_t src, size_t len)
{
    struct iovec l = { dst, len }, r = { (void *)src, len };
    ssize_t k = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
    if (k < 0) {
        if (errno == ENOSYS || errno == EPERM) {
            atomic_store_explicit(&rm_vm_readv_broken, 1, memory_order_relaxed);
            return -1;
        }
        return 0;
    }
    return k;
}

static void scan_range(struct rm_scan *s, struct visit *vs, uintptr_t lo, uintptr_t hi)
{
    const size_t W = sizeof(uintptr_t);
    lo = (lo + W - 1) & ~(uintptr_t)(W - 1);
    hi &= ~(uintptr_t)(W - 1);
    if (lo >= hi)
        return;
    /* Phase 1 stops reading once every block is reachable. */
    bool stop = vs->mode == M_REACH;
    if (!s->safe || atomic_load_explicit(&rm_vm_readv_broken, memory_order_relaxed)) {
        for (uintptr_t p = lo; p < hi && !(stop && !s->unreached); p += RM_CHUNK) {
            size_t len = hi - p < RM_CHUNK ? hi - p : RM_CHUNK;
            visit_buf(s, vs, (const uintptr_t *)p, len / W);
        }
        return;
    }
    uintptr_t buf[RM_CHUNK / sizeof(uintptr_t)];
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    uintptr_t p = lo;
    while (p < hi && !(stop && !s->unreached)) {
        size_t len = hi - p < RM_CHUNK ? hi - p : RM_CHUNK;
        long got = vm_read(buf, p, len);
        if (got < 0) {   /* unavailable: fall back to direct reads */
            visit_buf(s, vs, (const uintptr_t *)p, (hi - p) / W);
            return;
        }
        visit_buf(s, vs, buf, (size_t)got / W);
        if ((size_t)got == len) {
            p += len;
        } else {
            /* Unmapped page at p + got: skip to the next page. */
            uintptr_t bad = p + (uintptr_t)got;
            p = (bad & ~(uintptr_t)(page - 1)) + page;
        }
    }
}

static void scan_block(struct rm_scan *s, struct visit *vs, size_t i)
{
    vs->self = (long)i;
    vs->visits++;
    scan_range(s, vs, s->b[i].addr, s->b[i].addr + s->b[i].size);
}

static void drain(struct rm_scan *s, struct visit *vs)
{
    while (s->nwork) {
        uint32_t i = s->work[--s->nwork];
        scan_block(s, vs, i);
    }
}

int rm_scan_classify(const struct rm_block *blocks, size_t n,
                     const struct rm_range *roots, size_t nroots,
                     bool safe_blocks, uint8_t *kind)
{
    return rm_scan_classify_ex(blocks, n, roots, nroots, NULL, safe_blocks, nroots, kind);
}

int rm_scan_classify_ex(const struct rm_block *blocks, size_t n,
                        const struct rm_range *roots, size_t nroots,
                        const uint8_t *root_block, bool safe_blocks, size_t direct_from,
                        uint8_t *kind)
{
    memset(kind, RM_KIND_UNREACHED, n);
    if (!n)
        return 0;
    size_t wbytes = n * sizeof(uint32_t);
    uint32_t *work = rm_mem_map_scratch(wbytes);
    uint32_t *mark = rm_mem_map_scratch(wbytes);
    if (!work || !mark) {
        rm_mem_unmap_scratch(work, wbytes);
        rm_mem_unmap_scratch(mark, wbytes);
        memset(kind, RM_KIND_REACHABLE, n);
        return -1;
    }
    struct rm_scan s = { .b = blocks, .n = n, .kind = kind, .mark = mark,
                         .work = work, .safe = true };
    s.min = blocks[0].addr;
    s.max = 0;
    for (size_t i = 0; i < n; i++)
        if (blocks[i].addr + bsize(&blocks[i]) > s.max)
            s.max = blocks[i].addr + bsize(&blocks[i]);
    size_t ixr, ixb, ixg;
    index_build(&s, &ixr, &ixb, &ixg);
    pf_build(&s);

    /* 1. Reachable from the roots: the blocks reachable by fiat first, then
     * the root ranges, until every block is reached (the result is the
     * same in any order; sampled mode's heap roots come last, and are
     * often not needed at all). */
    struct visit vs = { .mode = M_REACH, .self = -1 };
    s.unreached = n;
    s.safe = safe_blocks;
    if (root_block) {
        for (size_t i = 0; i < n; i++) {
            if (root_block[i] && kind[i] != RM_KIND_REACHABLE) {
                kind[i] = RM_KIND_REACHABLE;
                s.unreached--;
                s.work[s.nwork++] = (uint32_t)i;
                drain(&s, &vs);
            }
        }
    }
    for (size_t r = 0; r < nroots && s.unreached; r++) {
        vs.self = -1;
        s.safe = r < direct_from;
        scan_range(&s, &vs, roots[r].lo, roots[r].hi);
        s.safe = safe_blocks;
        drain(&s, &vs);
    }
    s.safe = safe_blocks;

    /* 2. Pointed to by another unreached block: indirect. */
    vs.mode = M_INDIRECT;
    size_t nind = 0;
    for (size_t i = 0; i < n; i++)
        if (kind[i] != RM_KIND_REACHABLE)
            scan_block(&s, &vs, i);
    for (size_t i = 0; i < n; i++) {
        if (kind[i] == RM_KIND_UNREACHED)
            kind[i] = RM_KIND_DIRECT;
        else if (kind[i] == RM_KIND_INDIRECT)
            nind++;
    }

    /* 3. Ownerless cycles. */
    if (nind) {
        vs.mode = M_COVER;
        for (size_t i = 0; i < n; i++) {
            if (kind[i] == RM_KIND_DIRECT) {
                mark[i] = 1;
                scan_block(&s, &vs, i);
                drain(&s, &vs);
            }
        }
        vs.mode = M_CYCLE;
        vs.visits = 0;
        uint32_t epoch = 1;
        size_t budget = 16 * n + (1u << 20);
        for (size_t i = 0; i < n; i++) {
            if (kind[i] != RM_KIND_INDIRECT || mark[i] != 0)
                continue;
            /* Not reached by any flood so far: a candidate. */
            kind[i] = RM_KIND_DIRECT;
            if (vs.visits > budget) {
                /* Too much work: stop at anything already flooded (may
                 * leave an extra direct block, never a missed one). */
                vs.mode = M_COVER;
                mark[i] = 1;
                scan_block(&s, &vs, i);
                drain(&s, &vs);
                continue;
            }
            if (++epoch == 0)
                epoch = 2;
            mark[i] = epoch;
            vs.epoch = epoch;
            scan_block(&s, &vs, i);
            drain(&s, &vs);
            kind[i] = RM_KIND_DIRECT;   /* a flood may come back to i */
        }
    }
    rm_mem_unmap_scratch(work, wbytes);
    rm_mem_unmap_scratch(mark, wbytes);
    rm_mem_unmap_scratch(s.pf, s.pf ? RM_PF_BYTES : 0);
    rm_mem_unmap_scratch(s.rtab, ixr);
    rm_mem_unmap_scratch(s.bigs, ixb);
    rm_mem_unmap_scratch(s.gmap, ixg);
    return 0;
}
