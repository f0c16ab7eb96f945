/* fastunwind.c - the fast stack capture (see fastunwind.h).
 *
 * Three caches make a capture cheap, all per thread and all checked:
 *
 * 1. Unwind rules by code address.  For a return address the rule says
 *    where the caller's frame is (CFA = rsp or rbp + offset) and where rbp
 *    was saved.  It comes from the object's .eh_frame, found with
 *    _dl_find_object and the .eh_frame_hdr search table, by running the
 *    FDE's call-frame instructions up to the address: the same information
 *    libunwind and the C++ runtime use.  Anything unusual (signal frames,
 *    CFA expressions, no unwind table) makes the capture give up, and the
 *    caller falls back to libunwind for the whole stack.
 *
 * 2. The frames of the previous capture (CFA and return address).  A new
 *    capture walks from the top until it meets a frame with the same CFA
 *    and return address as a remembered one; from there the older frames
 *    are taken from the memory if every remembered return-address slot
 *    still holds the remembered value (one load per frame instead of an
 *    unwind step).  A call writes its return address into the slot, so a
 *    slot that still holds the value belongs to the same call chain,
 *    where each CFA follows from the newer frame's (rsp-based rules).  An
 *    rbp-based rule (alloca, a realigned or frame-pointer frame) can put
 *    the frame elsewhere with the old slot left in dead memory: each
 *    frame keeps its rule, and such a link is taken only when the rbp the
 *    walk would have there (the last one saved by a frame taken, read
 *    again, else the walk's own) gives the remembered CFA.  The
 *    frames are kept outermost first: new frames below known older ones
 *    are written without moving those.  With each remembered frame goes
 *    its node in the thread's trace tree (stackdb.h), so that a complete
 *    stack's id costs one probe per new frame: no copy, hash or compare
 *    of the whole stack.
 *
 * 3. Call sites.  A capture is kept under where the program called in (its
 *    return address and entry frame, and the frame one older), with every
 *    stack word its walk depended on: the older frames' return-address
 *    slots, the saved rbp an rbp-based rule went on from, the zero that
 *    ended the stack.  When the same call comes again and every word holds
 *    its value, the stack is the same and so is its id: no walk, no rule,
 *    no trace-tree probe.  This pays where a few call sites alternate (the
 *    previous capture, 2., then shares only the oldest frames); where the
 *    entries keep missing (a compiler's thousands of sites) their cache
 *    misses cost more than they save, so a thread that finds too few of
 *    its captures there stops looking for a while, longer each time.
 *
 * Every stack read is bounded by the current stack pointer and the top of
 * the calling thread's stack: a wrong rule can give a wrong frame, never a
 * fault.  Rules of unloaded code are dropped when the loaded objects
 * change (rm_fastunwind_flush). */
#define _GNU_SOURCE
#include "config.h"
#include <dlfcn.h>
#include <link.h>
#include <stddef.h>
#include <ucontext.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include "fastunwind.h"
#include "mem.h"
#include "stackdb.h"
#include "stats.h"
#include "threads.h"
#include "unwind.h"

/* ---- call sites ---- */

/* A call site's last capture (see 3. above).  The key is where the program
 * called in: its return address ra0, the entry frame's CFA cfa0 and, when
 * the walk used it, the rbp it had (bp0).  off[] and val[] hold every
 * stack word the walk's result depends on, as its offset from cfa0 - 8
 * and the value it held: each older frame's return-address slot,
 * the slot of a saved rbp an rbp-based rule went on from, and the zero
 * slot that ended the stack.  By induction from cfa0, the same words give
 * the same walk: each CFA comes from the previous one (rsp-based) or from
 * a checked rbp, and each rule from a checked return address. */
#define SITE_WORDS 44
#define SITE_BITS_MIN 7               /* sets of two entries */
#define SITE_BITS_MAX 9
#define SITE_AFTER 1024
#define SITE_WINDOW 1024              /* lookups a judgement takes */
#define SITE_PAUSE 131072             /* captures without it after a bad window, */
#define SITE_PAUSE_MAX (1u << 24)     /* doubled after each bad one up to this */
#define SITE_BP0 1                    /* flags: bp0 is part of the key */
#define SITE_LRU 2                    /* (the set's first entry) the second was used last */
struct site {
    uintptr_t ra0, cfa0, bp0;
    uint32_t id;
    unsigned gen;
    uint16_t nw;                      /* words */
    uint16_t flags;
    uint32_t top;                     /* the highest word's offset + 8 */
    uint16_t off[SITE_WORDS];
    uint64_t val[SITE_WORDS];
};
_Static_assert(sizeof(struct site) == 480, "a site is 7.5 cache lines");

static size_t sites_bytes(unsigned bits)
{
    return ((size_t)2 << bits) * sizeof(struct site);
}

/* ---- rules ---- */


/* A rule without its address: what a remembered frame keeps of its own
 * (the call-site cache's fill reads a copy too).  bits: L_VALID (known),
 * L_OK (0: cannot unwind through pc: give up), L_END (the outermost frame:
 * return address undefined), L_RBP (CFA = rbp + cfa_off, else rsp +
 * cfa_off), L_NOFDE (not ok because no FDE covers pc, see the walk),
 * L_SIGNAL (not ok: a signal frame, the 'S' augmentation).  rbp_off: rbp
 * saved at CFA + rbp_off; 0 = unchanged. */
enum { L_VALID = 1, L_OK = 2, L_END = 4, L_RBP = 8, L_NOFDE = 16, L_SIGNAL = 32 };
struct lrule {
    int32_t cfa_off;
    int16_t rbp_off;
    uint8_t bits;
    uint8_t pad;
};
struct rule {
    uintptr_t pc;          /* 0 = empty */
    struct lrule l;
};
_Static_assert(sizeof(struct rule) == 16, "a rule is 16 bytes");

/* The rule cache, per thread, two ways a set, 16 bytes a rule: 256 sets
 * (8 KiB) at first, four times bigger (emptied: it is a cache) each time
 * it has missed twice as often as it holds rules, up to 8192 sets
 * (256 KiB).  A short process touches two pages, not 64 (each fresh page
 * is a fault: process trees are made of short processes). */
#define RULE_SET_BITS_MIN 8
#define RULE_SET_BITS_MAX 13
static size_t rules_bytes(unsigned bits)
{
    return ((size_t)2 << bits) * 16;
}
#define FRAMES_MAX (RM_FAST_MAX + 8)

struct tcache {
    unsigned gen;
    unsigned rbits;                   /* the rule cache has 1 << rbits sets */
    size_t rmiss;                     /* rules made since it was mapped */
    struct rule *rules;
    unsigned nframes;                 /* remembered frames */
    bool complete;                    /* the walk reached the stack's end */
    uintptr_t cfa[FRAMES_MAX], ra[FRAMES_MAX];
    /* The remembered frames are kept outermost first (index 0 = the
     * outermost), so that new frames of a capture below the same older
     * ones are written without moving the older ones.  node[i]: the
     * trace-tree node (stackdb.h) of frames 0..i, for a complete stack,
     * while tgen is the tree's generation; 0 = none. */
    unsigned tgen;
    uint32_t node[FRAMES_MAX];
    uint64_t ph[FRAMES_MAX];          /* node[i]'s path hash (stackdb.h) */
    struct lrule rl[FRAMES_MAX];      /* frame i's rule (L_VALID clear: not known) */
    uint8_t lb[FRAMES_MAX + 8];       /* rl[i].bits at lb[i + 8] (LB): 8 tested a load */
    /* The call-site cache (3. above): 1 << sbits entries, none before the
     * thread's SITE_AFTER-th capture (a short process maps nothing). */
    struct site *sites;
    struct site *slast, *sprev;       /* the entries found or made last */
    unsigned sbits;
    unsigned sgen;                    /* entries of another generation are empty */
    size_t sfills;                    /* fills since it was mapped */
    uint64_t ncap;                    /* this thread's captures */
    uint32_t slook, smiss;            /* lookups, and misses judged, in this window */
    uint32_t soff;                    /* captures left in a pause */
    uint32_t spause;                  /* the next pause's length */
    unsigned skeep, smax;             /* the configuration the entries were made for */
    uintptr_t sskip_lo, sskip_hi;
};

static __thread struct tcache *rm_tc __attribute__((tls_model("initial-exec")));
static __thread bool rm_tc_failed __attribute__((tls_model("initial-exec")));
static _Atomic unsigned rm_gen = 1;
static _Atomic int rm_fast_disabled;

void rm_fastunwind_flush(void)
{
    atomic_fetch_add_explicit(&rm_gen, 1, memory_order_release);
}

void rm_fastunwind_thread_exit(void)
{
    struct tcache *tc = rm_tc;
    rm_tc_failed = true;
    rm_tc = NULL;
    if (tc) {
        rm_mem_unmap(tc->rules, rules_bytes(tc->rbits));
        if (tc->sites)
            rm_mem_unmap(tc->sites, sites_bytes(tc->sbits));
        rm_mem_unmap(tc, sizeof *tc);
    }
}

void rm_fastunwind_set_enabled(bool on)
{
    atomic_store_explicit(&rm_fast_disabled, !on, memory_order_relaxed);
}

#ifdef HAVE__DL_FIND_OBJECT
/* ---- DWARF reading ---- */

struct rd {
    const uint8_t *p, *end;
    bool bad;
};

static uint64_t uleb(struct rd *r)
{
    uint64_t v = 0;
    unsigned shift = 0;
    while (r->p < r->end) {
        uint8_t b = *r->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            return v;
    }
    r->bad = true;
    return 0;
}

static int64_t sleb(struct rd *r)
{
    int64_t v = 0;
    unsigned shift = 0;
    uint8_t b = 0;
    while (r->p < r->end) {
        b = *r->p++;
        if (shift < 64)
            v |= (int64_t)((uint64_t)(b & 0x7f) << shift);
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (b & 0x40))
                v |= -((int64_t)1 << shift);
            return v;
        }
    }
    r->bad = true;
    return 0;
}

static uint64_t fixed(struct rd *r, unsigned n)
{
    if ((size_t)(r->end - r->p) < n) {
        r->bad = true;
        return 0;
    }
    uint64_t v = 0;
    memcpy(&v, r->p, n);   /* little-endian */
    r->p += n;
    return v;
}

/* A pointer in DW_EH_PE encoding enc; datarel relative to dbase. */
static uintptr_t eh_ptr(struct rd *r, uint8_t enc, uintptr_t dbase)
{
    if (enc == 0xff) {          /* omit */
        return 0;
    }
    uintptr_t at = (uintptr_t)r->p, v;
    switch (enc & 0x0f) {
    case 0x00: v = (uintptr_t)fixed(r, 8); break;
    case 0x01: v = (uintptr_t)uleb(r); break;
    case 0x02: v = (uintptr_t)fixed(r, 2); break;
    case 0x03: v = (uintptr_t)fixed(r, 4); break;
    case 0x04: v = (uintptr_t)fixed(r, 8); break;
    case 0x09: v = (uintptr_t)sleb(r); break;
    case 0x0a: v = (uintptr_t)(int64_t)(int16_t)fixed(r, 2); break;
    case 0x0b: v = (uintptr_t)(int64_t)(int32_t)fixed(r, 4); break;
    case 0x0c: v = (uintptr_t)fixed(r, 8); break;
    default: r->bad = true; return 0;
    }
    switch (enc & 0x70) {
    case 0x00: break;
    case 0x10: v += at; break;        /* pcrel */
    case 0x30: v += dbase; break;     /* datarel */
    default: r->bad = true; return 0;
    }
    if (enc & 0x80)                   /* indirect: rare in .eh_frame */
        r->bad = true;
    return v;
}

/* The FDE for pc through the .eh_frame_hdr search table at hdr. */
static const uint8_t *find_fde(const uint8_t *hdr, uintptr_t pc)
{
    if (hdr[0] != 1)
        return NULL;
    uint8_t ptr_enc = hdr[1], cnt_enc = hdr[2], tab_enc = hdr[3];
    struct rd r = { hdr + 4, hdr + 4 + 16, false };
    eh_ptr(&r, ptr_enc, (uintptr_t)hdr);
    uint64_t n = eh_ptr(&r, cnt_enc, (uintptr_t)hdr);
    if (r.bad || tab_enc != 0x3b || !n)   /* datarel | sdata4 */
        return NULL;
    const int32_t *tab = (const int32_t *)r.p;
    size_t lo = 0, hi = n;
    if ((uintptr_t)hdr + tab[0] > pc)
        return NULL;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)hdr + tab[2 * mid] <= pc)
            lo = mid;
        else
            hi = mid;
    }
    return hdr + tab[2 * lo + 1];
}

struct state {
    int64_t cfa_off;
    uint64_t cfa_reg;
    int64_t rbp_off;       /* 0 = unchanged */
    int64_t ra_off;
    bool rbp_odd, ra_odd, cfa_odd;   /* a rule we do not follow */
    bool ra_undef;                    /* DW_CFA_undefined: the outermost frame */
};

#define DW_RSP 7
#define DW_RBP 6
#define DW_RA 16

/* Run call-frame instructions [p, end) from location loc while loc <= pc. */
static bool run_cfi(struct rd *r, uintptr_t loc, uintptr_t pc, uint64_t caf, int64_t daf,
                    struct state *st, const struct state *init, uint8_t fde_enc)
{
    struct state stack[8];
    unsigned depth = 0;
    while (r->p < r->end && !r->bad) {
        uint8_t op = *r->p++;
        uint64_t reg = 0;
        int64_t off = 0;
        switch (op >> 6) {
        case 1:
            loc += (op & 0x3f) * caf;
            if (loc > pc)
                return true;
            continue;
        case 2:
            reg = op & 0x3f;
            off = (int64_t)uleb(r) * daf;
            goto set_offset;
        case 3:
            reg = op & 0x3f;
            goto restore;
        }
        switch (op) {
        case 0x00:
            break;
        case 0x01:
            loc = eh_ptr(r, fde_enc, 0);
            if (loc > pc)
                return true;
            break;
        case 0x02:
            loc += fixed(r, 1) * caf;
            if (loc > pc)
                return true;
            break;
        case 0x03:
            loc += fixed(r, 2) * caf;
            if (loc > pc)
                return true;
            break;
        case 0x04:
            loc += fixed(r, 4) * caf;
            if (loc > pc)
                return true;
            break;
        case 0x05:
            reg = uleb(r);
            off = (int64_t)uleb(r) * daf;
            goto set_offset;
        case 0x06:
            reg = uleb(r);
            goto restore;
        case 0x07:   /* undefined */
        case 0x08:   /* same value */
            reg = uleb(r);
            if (reg == DW_RBP) {
                st->rbp_off = 0;
                st->rbp_odd = false;
            } else if (reg == DW_RA) {
                st->ra_undef = op == 0x07;   /* undefined: the outermost frame */
                st->ra_odd = op != 0x07;
            }
            break;
        case 0x09:
            reg = uleb(r);
            uleb(r);
            if (reg == DW_RBP)
                st->rbp_odd = true;
            else if (reg == DW_RA)
                st->ra_odd = true;
            break;
        case 0x0a:
            if (depth == 8)
                return false;
            stack[depth++] = *st;
            break;
        case 0x0b:
            if (!depth)
                return false;
            {
                /* The CFA is not part of the remembered state in GCC's
                 * reading; keep it as libgcc does (restore all). */
                *st = stack[--depth];
            }
            break;
        case 0x0c:
            st->cfa_reg = uleb(r);
            st->cfa_off = (int64_t)uleb(r);
            st->cfa_odd = false;
            break;
        case 0x0d:
            st->cfa_reg = uleb(r);
            st->cfa_odd = false;
            break;
        case 0x0e:
            st->cfa_off = (int64_t)uleb(r);
            break;
        case 0x0f: {
            uint64_t len = uleb(r);
            if ((uint64_t)(r->end - r->p) < len)
                return false;
            r->p += len;
            st->cfa_odd = true;
            break;
        }
        case 0x10:
        case 0x16: {
            reg = uleb(r);
            uint64_t len = uleb(r);
            if ((uint64_t)(r->end - r->p) < len)
                return false;
            r->p += len;
            if (reg == DW_RBP)
                st->rbp_odd = true;
            else if (reg == DW_RA)
                st->ra_odd = true;
            break;
        }
        case 0x11:
            reg = uleb(r);
            off = sleb(r) * daf;
            goto set_offset;
        case 0x12:
            st->cfa_reg = uleb(r);
            st->cfa_off = sleb(r) * daf;
            st->cfa_odd = false;
            break;
        case 0x13:
            st->cfa_off = sleb(r) * daf;
            break;
        case 0x14:
        case 0x15:
            reg = uleb(r);
            if (op == 0x14)
                uleb(r);
            else
                sleb(r);
            if (reg == DW_RBP)
                st->rbp_odd = true;
            else if (reg == DW_RA)
                st->ra_odd = true;
            break;
        case 0x2e:
            uleb(r);
            break;
        case 0x2f:
            reg = uleb(r);
            off = -(int64_t)uleb(r) * daf;
            goto set_offset;
        default:
            return false;
        }
        continue;
    set_offset:
        if (reg == DW_RBP) {
            st->rbp_off = off;
            st->rbp_odd = off == 0;
        } else if (reg == DW_RA) {
            st->ra_off = off;
            st->ra_odd = false;
            st->ra_undef = false;
        }
        continue;
    restore:
        if (!init)
            return false;
        if (reg == DW_RBP) {
            st->rbp_off = init->rbp_off;
            st->rbp_odd = init->rbp_odd;
        } else if (reg == DW_RA) {
            st->ra_off = init->ra_off;
            st->ra_odd = init->ra_odd;
            st->ra_undef = init->ra_undef;
        }
    }
    return !r->bad;
}

/* The rule for code address pc (a return address minus one, or the
 * capture's own pc).  ok = 0 when it cannot be had. */
static struct rule make_rule(uintptr_t pc)
{
    struct rule ru = { .pc = pc, .l = { .bits = L_VALID } };
    struct dl_find_object fo;
    if (_dl_find_object((void *)pc, &fo) != 0)
        return ru;   /* in no loaded object: a wrong frame, or JIT code */
    const uint8_t *fde = fo.dlfo_eh_frame ? find_fde(fo.dlfo_eh_frame, pc) : NULL;
    if (!fde) {
        ru.l.bits |= L_NOFDE;   /* in a loaded object, without unwind information */
        return ru;
    }
    uint32_t len;
    memcpy(&len, fde, 4);
    if (len == 0 || len == 0xffffffffu)
        return ru;
    const uint8_t *fend = fde + 4 + len;
    int32_t cie_rel;
    memcpy(&cie_rel, fde + 4, 4);
    const uint8_t *cie = fde + 4 - cie_rel;
    uint32_t clen;
    memcpy(&clen, cie, 4);
    if (clen == 0 || clen == 0xffffffffu)
        return ru;
    struct rd c = { cie + 8, cie + 4 + clen, false };
    uint8_t ver = (uint8_t)fixed(&c, 1);
    const char *aug = (const char *)c.p;
    size_t alen = strnlen(aug, (size_t)(c.end - c.p));
    c.p += alen + 1;
    if ((ver != 1 && ver != 3) || c.p > c.end)
        return ru;
    uint64_t caf = uleb(&c);
    int64_t daf = sleb(&c);
    uint64_t ra_reg = ver == 1 ? fixed(&c, 1) : uleb(&c);
    uint8_t fde_enc = 0;
    bool has_z = aug[0] == 'z';
    if (aug[0] && !has_z)
        return ru;
    if (has_z) {
        uint64_t zl = uleb(&c);
        const uint8_t *zend = c.p + zl;
        for (const char *a = aug + 1; *a && !c.bad; a++) {
            if (*a == 'R')
                fde_enc = (uint8_t)fixed(&c, 1);
            else if (*a == 'L')
                fixed(&c, 1);
            else if (*a == 'P') {
                uint8_t penc = (uint8_t)fixed(&c, 1);
                eh_ptr(&c, (uint8_t)(penc & 0x7f), 0);
            } else {
                if (*a == 'S')
                    ru.l.bits |= L_SIGNAL;
                return ru;   /* 'S' (signal frame) and anything else */
            }
        }
        if (c.bad || zend > c.end)
            return ru;
        c.p = zend;
    }
    if (c.bad || ra_reg != DW_RA)
        return ru;
    struct state init = { .cfa_reg = DW_RSP, .cfa_off = 8, .ra_off = -8 };
    if (!run_cfi(&c, 0, 0, caf, daf, &init, NULL, fde_enc) && !c.bad)
        return ru;
    if (c.bad)
        return ru;
    struct rd f = { fde + 8, fend, false };
    uintptr_t begin = eh_ptr(&f, fde_enc, 0);
    uintptr_t range = eh_ptr(&f, (uint8_t)(fde_enc & 0x0f), 0);
    if (f.bad)
        return ru;
    if (pc < begin || pc - begin >= range) {
        ru.l.bits |= L_NOFDE;   /* the nearest FDE ends before pc: none covers it */
        return ru;
    }
    if (has_z) {
        uint64_t zl = uleb(&f);
        if ((uint64_t)(f.end - f.p) < zl)
            return ru;
        f.p += zl;
    }
    struct state st = init;
    if (!run_cfi(&f, begin, pc, caf, daf, &st, &init, fde_enc))
        return ru;
    if (st.ra_undef && !st.ra_odd) {
        ru.l.bits |= L_OK | L_END;
        return ru;
    }
    if (st.cfa_odd || st.rbp_odd || st.ra_odd || st.ra_off != -8 ||
        (st.cfa_reg != DW_RSP && st.cfa_reg != DW_RBP) || st.cfa_off < 8 ||
        st.cfa_off > INT32_MAX || st.rbp_off < INT16_MIN || st.rbp_off > INT16_MAX)
        return ru;
    if (st.cfa_reg == DW_RBP)
        ru.l.bits |= L_RBP;
    ru.l.cfa_off = (int32_t)st.cfa_off;
    ru.l.rbp_off = (int16_t)st.rbp_off;
    ru.l.bits |= L_OK;
    return ru;
}

/* Past twice as many misses as it holds rules: a four times bigger cache
 * (when it can be had; the old one stays otherwise). */
static __attribute__((noinline)) void rules_grow(struct tcache *tc)
{
    unsigned bits = tc->rbits + 2 > RULE_SET_BITS_MAX ? RULE_SET_BITS_MAX : tc->rbits + 2;
    struct rule *n = rm_mem_map(rules_bytes(bits));
    tc->rmiss = 0;
    if (!n)
        return;
    rm_mem_unmap(tc->rules, rules_bytes(tc->rbits));
    tc->rules = n;
    tc->rbits = bits;
}

static inline const struct rule *rule_of(struct tcache *tc, uintptr_t pc)
{
    /* Two ways a set, the most recent first. */
    size_t set = (size_t)((pc * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - tc->rbits));
    struct rule *e = &tc->rules[set * 2];
    if (__builtin_expect(e->pc == pc, 1))
        return e;
    struct rule r;
    if (e[1].pc == pc) {
        r = e[1];
    } else {
        r = make_rule(pc);
        if (__builtin_expect(++tc->rmiss > ((size_t)4 << tc->rbits), 0) &&
            tc->rbits < RULE_SET_BITS_MAX) {
            rules_grow(tc);
            set = (size_t)((pc * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - tc->rbits));
            e = &tc->rules[set * 2];
        }
    }
    e[1] = e[0];
    e[0] = r;
    return e;
}

/* Every call-site entry goes stale (the loaded objects or the options
 * changed).  When the generation wraps the entries are emptied too, so
 * that none made 2^32 generations ago matches again. */
static __attribute__((noinline)) void sites_forget(struct tcache *tc)
{
    if (++tc->sgen == 0) {
        tc->sgen = 1;
        if (tc->sites)
            memset(tc->sites, 0, sites_bytes(tc->sbits));
        tc->slast = tc->sprev = NULL;
    }
}

static struct tcache *tcache(void)
{
    struct tcache *tc = rm_tc;
    if (__builtin_expect(!tc, 0)) {
        if (rm_tc_failed)
            return NULL;
        tc = rm_mem_map(sizeof *tc);
        struct rule *rules = tc ? rm_mem_map(rules_bytes(RULE_SET_BITS_MIN)) : NULL;
        if (!rules) {
            rm_mem_unmap(tc, tc ? sizeof *tc : 0);
            rm_tc_failed = true;
            return NULL;
        }
        tc->rules = rules;
        tc->rbits = RULE_SET_BITS_MIN;
        tc->sgen = 1;
        tc->gen = atomic_load_explicit(&rm_gen, memory_order_acquire);
        rm_tc = tc;
    }
    unsigned g = atomic_load_explicit(&rm_gen, memory_order_acquire);
    if (__builtin_expect(tc->gen != g, 0)) {
        memset(tc->rules, 0, rules_bytes(tc->rbits));
        tc->nframes = 0;
        tc->tgen = 0;
        sites_forget(tc);
        tc->gen = g;
    }
    return tc;
}

#endif

/* Read the word at a, if it lies in [lo, hi). */
static inline bool rd_stack(uintptr_t a, uintptr_t lo, uintptr_t hi, uintptr_t *v)
{
    if (a < lo || a > hi - sizeof(uintptr_t) || (a & 7))
        return false;
    *v = *(const uintptr_t *)a;
    return true;
}

#ifndef HAVE__DL_FIND_OBJECT
int rm_fastunwind_capture_from(uintptr_t *pc, unsigned max, const struct rm_from *from,
                               bool *unchanged)
{
    (void)pc;
    (void)max;
    (void)from;
    *unchanged = false;
    return -1;
}

int rm_fastunwind_capture_id(uintptr_t *pc, unsigned max, const struct rm_from *from,
                             const struct rm_id_want *want, bool *unchanged, uint32_t *id)
{
    (void)want;
    *id = 0;
    return rm_fastunwind_capture_from(pc, max, from, unchanged);
}

int rm_fastunwind_capture(uintptr_t *pc, unsigned max)
{
    (void)pc;
    (void)max;
    return -1;
}

bool rm_fastunwind_stack(const struct rm_from *from, unsigned depth, uint32_t *last,
                         uint32_t *id)
{
    (void)from;
    (void)depth;
    (void)last;
    *id = 0;
    return false;
}
#else
/* The trace-tree nodes (stackdb.h) of the remembered frames from index
 * `from` to the innermost, the node of the frames older than `from` being
 * node (0: the root), frames in the skip range left out.  Returns the
 * innermost frame's node, or RM_TRACE_NONE (the tree filled up; no node
 * is kept). */
static uint32_t nodes_from(struct tcache *tc, unsigned from, uint32_t node, uint64_t h,
                           const struct rm_id_want *want)
{
    /* The path hashes first, each node's slot fetched at once; then the
     * probes, one after another, find them in the cache. */
    for (unsigned i = from; i < tc->nframes; i++) {
        uintptr_t ra = tc->ra[i];
        if (ra - want->skip_lo >= want->skip_hi - want->skip_lo) {
            h = rm_trace_hash(h, ra);
            rm_trace_prefetch(h);
        }
        tc->ph[i] = h;
    }
    for (unsigned i = from; i < tc->nframes; i++) {
        uintptr_t ra = tc->ra[i];
        if (ra - want->skip_lo >= want->skip_hi - want->skip_lo) {
            node = rm_trace_child(node, ra, tc->ph[i]);
            if (__builtin_expect(node == RM_TRACE_NONE, 0)) {
                tc->tgen = 0;
                return node;
            }
        }
        tc->node[i] = node;
    }
    return node;
}

#define LB(tc, i) ((tc)->lb[(i) + 8])

/* rbp as the walk has it on reaching remembered frame k from frame j
 * (k <= j; the frames between taken and their rules kept): what the
 * outermost of them that saves rbp saved (the rule of frame f, rl[f],
 * reads it at frame f - 1's CFA), else bp, the walk's at frame j. */
static inline bool link_bp(const struct tcache *tc, const uintptr_t *ocfa, unsigned k,
                           unsigned j, uintptr_t bp, uintptr_t lo, uintptr_t hi, uintptr_t *out)
{
    for (unsigned f = k + 1; f <= j; f++) {
        int16_t off = tc->rl[f].rbp_off;
        if (off)
            return rd_stack(ocfa[f - 1] + (uintptr_t)(intptr_t)off, lo, hi, out);
    }
    *out = bp;
    return true;
}

/* Inlined into each entry point, so that the walk starts in its frame.
 * want (may be NULL): find the stack id through the trace tree when the
 * stack is complete; *id is then set (else 0) and pc holds nothing. */
static inline __attribute__((always_inline)) int capture(uintptr_t *pc, unsigned max,
                                                         const struct rm_from *from,
                                                         bool *unchanged,
                                                         const struct rm_id_want *want,
                                                         uint32_t *id)
{
    *unchanged = false;
    *id = 0;
    if (atomic_load_explicit(&rm_fast_disabled, memory_order_relaxed))
        return -1;
    uintptr_t lo, hi;
    if (!rm_threads_self_stack(&lo, &hi))
        return -1;
    struct tcache *tc = tcache();
    if (!tc)
        return -1;
    if (max > FRAMES_MAX)
        max = FRAMES_MAX;
    uintptr_t ip, sp, bp;
    __asm__ volatile("lea 0(%%rip), %0\n\t"
                     "mov %%rsp, %1\n\t"
                     "mov %%rbp, %2"
                     : "=r"(ip), "=r"(sp), "=r"(bp));
    if (sp < lo || sp >= hi)
        return -1;   /* an alternate signal stack, a coroutine: libunwind */
    lo = sp;
    if (from && (from->cfa < lo || from->cfa > hi))
        return -1;
    /* The new frames, innermost first: return addresses in pc, CFAs
     * here.  The memory (tc, outermost first) is read while walking and
     * rewritten at the end. */
    uintptr_t ncfa[FRAMES_MAX];
    struct lrule nrl[FRAMES_MAX];   /* their rules, as they become known */
    const uintptr_t *ocfa = tc->cfa, *ora = tc->ra;
    const unsigned on = tc->nframes;
    const bool reuse = want && want->reuse;
    unsigned n = 0;
    int j = (int)on - 1;    /* the next remembered frame to meet; < 0: none */
    bool complete = false;
    /* Set when the walk met remembered frame j (our frame n - 1) and the
     * older ones down to m hold: the new stack is memory[m..j] + ours. */
    bool met = false;
    unsigned m = 0;
    uintptr_t look = ip;   /* the first pc is not a return address */
    while (n < max) {
        uintptr_t cfa, ra;
        if (from) {
            /* The entry frame: given, no rule needed. */
            cfa = from->cfa;
            ra = from->ra;
            bp = from->bp;
            from = NULL;
        } else {
            const struct rule *ru = rule_of(tc, look);
            RM_STAT(walked, 1);
            if (n)
                nrl[n - 1] = ru->l;
            if (!(ru->l.bits & L_OK)) {
                /* The dynamic linker's code without unwind information
                 * whose frame has rbp 0: the end of the stack, as libunwind
                 * decides (its frame chain ends at a null rbp).  That is
                 * its entry (_dl_start_user, which runs the libraries'
                 * constructors).  Elsewhere such a pc may come from a
                 * wrong frame: libunwind decides. */
                if ((ru->l.bits & L_NOFDE) && !bp && rm_unwind_in_linker(look)) {
                    complete = true;
                    break;
                }
                /* A signal frame: libunwind goes on (loading it first if
                 * need be, unwind.c), unless it is not loaded yet and the
                 * handler interrupted the dynamic linker, which loading it
                 * would re-enter: the stack then ends at the signal
                 * frame, as at the depth limit. */
                if ((ru->l.bits & L_SIGNAL) && !rm_unwind_loaded()) {
                    uintptr_t rip;
                    if (!rd_stack(sp + offsetof(ucontext_t, uc_mcontext.gregs[REG_RIP]), lo, hi,
                                  &rip) ||
                        rm_unwind_in_linker(rip))
                        break;
                }
                return -1;
            }
            if (ru->l.bits & L_END) {
                complete = true;
                break;
            }
            cfa = ((ru->l.bits & L_RBP) ? bp : sp) + (uintptr_t)(intptr_t)ru->l.cfa_off;
            if (!rd_stack(cfa - 8, lo, hi, &ra))
                return -1;
            if (ru->l.rbp_off && !rd_stack(cfa + (uintptr_t)(intptr_t)ru->l.rbp_off, lo, hi, &bp))
                return -1;
        }
        if (!ra) {
            complete = true;
            break;
        }
        ncfa[n] = cfa;
        nrl[n].bits = 0;
        pc[n++] = ra;
        sp = cfa;
        look = ra - 1;
        if (look < 4096)
            return -1;
        if (j < 0)
            continue;
        /* A remembered frame?  Remembered CFAs fall with the index (the
         * outermost first); ours grow. */
        while (j >= 0 && ocfa[j] < cfa)
            j--;
        if (j < 0 || ocfa[j] != cfa || ora[j] != ra)
            continue;
        /* The older frames whose return-address slots still hold the
         * remembered values are the same: down to m, at most room more. */
        unsigned room = max - n, lowest = (unsigned)j > room ? (unsigned)j - room : 0;
        m = (unsigned)j;
        if (m > lowest && ocfa[m - 1] - 8 >= lo && ocfa[lowest] <= hi) {
            /* The remembered CFAs fall: the first and last bound them all.
             * Four slots a step while they all hold their values. */
            while (m >= lowest + 4 &&
                   ((*(const uintptr_t *)(ocfa[m - 1] - 8) ^ ora[m - 1]) |
                    (*(const uintptr_t *)(ocfa[m - 2] - 8) ^ ora[m - 2]) |
                    (*(const uintptr_t *)(ocfa[m - 3] - 8) ^ ora[m - 3]) |
                    (*(const uintptr_t *)(ocfa[m - 4] - 8) ^ ora[m - 4])) == 0)
                m -= 4;
            while (m > lowest && *(const uintptr_t *)(ocfa[m - 1] - 8) == ora[m - 1])
                m--;
        }
        /* A slot that holds its value proves a frame only where the CFA
         * follows from the newer frame's (rsp-based): under an rbp-based
         * rule (alloca, a realigned or frame-pointer frame) the old slot
         * may lie in dead memory of a frame of another size.  Where the
         * frames to take have such a link (or one whose rule is not
         * kept), they are taken as the walk would find them, by their
         * kept rules: rbp restored through them, each rbp-based CFA
         * checked; where one differs, the walk goes on by rule from
         * there.  (Most code has none: eight frames' flags tested a
         * load.) */
        unsigned k = (unsigned)j;
        bool differs = false;
        while (k > m) {
            /* The next link down that is rbp-based or not kept: the
             * flags of frames k - 7..k in one load (those at or below m
             * masked off). */
            uint64_t w;
            memcpy(&w, &tc->lb[k + 1], 8);
            uint64_t flagged = (w ^ UINT64_C(0x0101010101010101)) & UINT64_C(0x0909090909090909);
            unsigned span = k - m;
            if (span < 8)
                flagged &= ~UINT64_C(0) << (8 * (8 - span));
            if (!flagged) {
                k = span <= 8 ? m : k - 8;
                continue;
            }
            k = k - 7 + (unsigned)(63 - __builtin_clzll(flagged)) / 8;
            uintptr_t v;
            if (!(LB(tc, k) & L_VALID) || !link_bp(tc, ocfa, k, (unsigned)j, bp, lo, hi, &v) ||
                v + (uintptr_t)(intptr_t)tc->rl[k].cfa_off != ocfa[k - 1]) {
                differs = true;
                break;
            }
            k--;
        }
        if (differs)
            m = k;
        unsigned same = (unsigned)j - m;
        RM_STAT(remembered, same);
        if (n + same >= max || (tc->complete && m == 0)) {
            met = true;
            complete = tc->complete && m == 0;
            break;
        }
        /* Changed below frame m (or the memory ends): take j-1..m as ours
         * and unwind on by rule from m; older frames may be met again. */
        for (unsigned t = 0; t < same; t++) {
            ncfa[n + t] = ocfa[j - 1 - t];
            pc[n + t] = ora[j - 1 - t];
            nrl[n + t] = tc->rl[j - 1 - t];
        }
        /* rbp as the walk goes on from m: the last one read on the way
         * through the frames taken, by their kept rules (no unwind step). */
        if (!link_bp(tc, ocfa, m, (unsigned)j, bp, lo, hi, &bp))
            return -1;
        n += same;
        sp = ncfa[n - 1];
        look = pc[n - 1] - 1;
        j = (int)m - 1;
    }
    /* The new memory, outermost first: [m..j] of the old when met (our
     * frame n - 1 is j), then ours. */
    unsigned base = 0;       /* where our frame n - 1 goes */
    bool nodes_kept = false; /* node[base] stays right */
    if (met) {
        unsigned jj = (unsigned)j;
        /* Our frame n - 1 is remembered frame jj: its rule too. */
        if (!(nrl[n - 1].bits & L_VALID))
            nrl[n - 1] = tc->rl[jj];
        if (m == 0) {
            bool again = jj + n == on;
            for (unsigned t = 0; again && t + 1 < n; t++)
                again = pc[t] == ora[on - 1 - t];
            if (again) {
                *unchanged = true;
                if (!reuse) {
                    for (unsigned t = n; t < on; t++)
                        pc[t] = ora[on - 1 - t];
                }
                return (int)on;
            }
            nodes_kept = true;
        } else {
            memmove(tc->cfa, tc->cfa + m, (jj - m) * sizeof *tc->cfa);
            memmove(tc->ra, tc->ra + m, (jj - m) * sizeof *tc->ra);
            memmove(tc->rl, tc->rl + m, (jj - m) * sizeof *tc->rl);
            memmove(tc->lb + 8, tc->lb + 8 + m, (jj - m) * sizeof *tc->lb);
        }
        base = jj - m;
    }
    /* The tree's generation (0: no id wanted, or no tree). */
    const unsigned tgen = want && want->keep ? rm_trace_gen() : 0;
    nodes_kept = nodes_kept && tgen && tc->tgen == tgen;
    unsigned total = base + n;
    for (unsigned t = 0; t < n; t++) {
        unsigned i = base + n - 1 - t;
        tc->cfa[i] = ncfa[t];
        tc->ra[i] = pc[t];
        tc->rl[i] = nrl[t];
        LB(tc, i) = nrl[t].bits;
    }
    tc->nframes = total;
    tc->complete = complete;
    if (tgen && complete) {
        uint32_t leaf = nodes_kept ? nodes_from(tc, base + 1, tc->node[base], tc->ph[base], want)
                                   : nodes_from(tc, 0, 0, RM_TRACE_ROOT_HASH, want);
        if (leaf != RM_TRACE_NONE) {
            tc->tgen = tgen;
            *id = rm_trace_stack(leaf, want->keep);
            if (*id)
                return (int)total;
        }
    } else {
        tc->tgen = 0;
    }
    /* The frames for the caller, innermost first. */
    if (met) {
        for (unsigned t = n; t < total; t++)
            pc[t] = tc->ra[total - 1 - t];
    }
    return (int)total;
}

int rm_fastunwind_capture_from(uintptr_t *pc, unsigned max, const struct rm_from *from,
                               bool *unchanged)
{
    uint32_t id;
    return capture(pc, max, from, unchanged, NULL, &id);
}

int rm_fastunwind_capture_id(uintptr_t *pc, unsigned max, const struct rm_from *from,
                             const struct rm_id_want *want, bool *unchanged, uint32_t *id)
{
    return capture(pc, max, from, unchanged, want, id);
}

int rm_fastunwind_capture(uintptr_t *pc, unsigned max)
{
    bool unchanged;
    uint32_t id;
    return capture(pc, max, NULL, &unchanged, NULL, &id);
}
/* Later shim frames room (a wrapper such as dlclose's deeper in the
 * stack), as unwind.c allows. */
#define LATER 4

/* The set of a call site: by ra0, cfa0 and ra1, the return address one
 * frame older when the entry frame's rule is rsp-based (else 0), so that
 * the callers of a function called at one depth from several places (an
 * allocation wrapper) do not share a set. */
static inline size_t site_set(const struct tcache *tc, uintptr_t ra0, uintptr_t cfa0,
                              uintptr_t ra1)
{
    uint64_t h = (ra0 ^ (cfa0 << 16)) * UINT64_C(0x9e3779b97f4a7c15);
    h = (h ^ (h >> 31) ^ ra1) * UINT64_C(0xbf58476d1ce4e5b9);
    return (size_t)(h >> (64 - tc->sbits));
}

/* e was found or made: the most recent of the two looked at first. */
static inline void site_used(struct tcache *tc, struct site *e)
{
    if (tc->slast != e) {
        tc->sprev = tc->slast;
        tc->slast = e;
    }
}

/* Does entry e hold from's stack (every word still as it was)? */
static inline bool site_holds(const struct site *e, const struct rm_from *from, unsigned gen,
                              uintptr_t hi)
{
    if (e->ra0 != from->ra || e->cfa0 != from->cfa || e->gen != gen ||
        ((e->flags & SITE_BP0) && e->bp0 != from->bp) || hi - from->cfa < e->top)
        return false;
    const char *base = (const char *)(from->cfa - 8);
    const unsigned n = e->nw;
#define SITE_WORD(k) (*(const uint64_t *)(base + e->off[k]) ^ e->val[k])
    if (n && SITE_WORD(0))
        return false;   /* the usual miss: another caller at the same depth */
    uint64_t diff = 0;
    unsigned k = 1;
    for (; k + 4 <= n; k += 4)
        diff |= SITE_WORD(k) | SITE_WORD(k + 1) | SITE_WORD(k + 2) | SITE_WORD(k + 3);
    for (; k < n; k++)
        diff |= SITE_WORD(k);
#undef SITE_WORD
    return diff == 0;
}

/* The call-site cache's stack id for from (0: none holds it).  Out of
 * line: the walk's code stays as it is without the cache. */
static __attribute__((noinline)) uint32_t site_find(struct tcache *tc, const struct rm_from *from,
                                 const struct rm_id_want *w, unsigned max)
{
    if (__builtin_expect(!tc->sites, 0) || tc->skeep != w->keep || tc->smax != max ||
        tc->sskip_lo != w->skip_lo || tc->sskip_hi != w->skip_hi)
        return 0;
    uintptr_t lo, hi;
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    if (!rm_threads_self_stack(&lo, &hi) || sp < lo || sp >= hi || from->cfa < sp ||
        from->cfa > hi)
        return 0;
    /* The entries found or made last first: a call site called again, or
     * two in turn. */
    struct site *l = tc->slast;
    if (l && site_holds(l, from, tc->sgen, hi))
        return l->id;
    struct site *p = tc->sprev;
    if (p && site_holds(p, from, tc->sgen, hi)) {
        tc->sprev = l;
        tc->slast = p;
        return p->id;
    }
    /* ra1 (see site_set): one rule, hot in the rule cache. */
    uintptr_t ra1 = 0;
    const struct rule *ru = rule_of(tc, from->ra - 1);
    if ((ru->l.bits & (L_OK | L_END | L_RBP)) == L_OK) {
        uintptr_t at = from->cfa + (uintptr_t)(intptr_t)ru->l.cfa_off - 8;
        if (at > hi - 8)
            return 0;
        ra1 = *(const uintptr_t *)at;
    }
    struct site *e = &tc->sites[2 * site_set(tc, from->ra, from->cfa, ra1)];
    if (site_holds(&e[0], from, tc->sgen, hi)) {
        e[0].flags &= (uint16_t)~SITE_LRU;
        site_used(tc, &e[0]);
        return e[0].id;
    }
    if (site_holds(&e[1], from, tc->sgen, hi)) {
        e[0].flags |= SITE_LRU;
        site_used(tc, &e[1]);
        return e[1].id;
    }
    return 0;
}

/* Past twice as many fills as it has entries: four times as many (when
 * they can be had). */
static __attribute__((noinline)) void sites_grow(struct tcache *tc)
{
    tc->sfills = 0;
    if (tc->sbits >= SITE_BITS_MAX)
        return;
    unsigned bits = tc->sbits + 2 > SITE_BITS_MAX ? SITE_BITS_MAX : tc->sbits + 2;
    struct site *n = rm_mem_map(sites_bytes(bits));
    if (!n)
        return;
    rm_mem_unmap(tc->sites, sites_bytes(tc->sbits));
    tc->sites = n;
    tc->slast = tc->sprev = NULL;
    tc->sbits = bits;
}

/* The words an entry checks, built by walking the remembered frames
 * (the capture just made) again by their rules. */
struct site_words {
    uint16_t off[SITE_WORDS];
    uint64_t val[SITE_WORDS];
    unsigned n;
    uintptr_t base, hi;
    bool bp0;                 /* the entry rbp was used */
    uintptr_t bp, bp_at;      /* rbp now, and its slot (0: the entry register) */
    bool bp_kept;             /* its slot is a word already */
};

static inline bool word_add(struct site_words *sw, uintptr_t at, uintptr_t v)
{
    uintptr_t off = at - sw->base;
    if (sw->n == SITE_WORDS || off > 0xffff - 8)
        return false;
    sw->off[sw->n] = (uint16_t)off;
    sw->val[sw->n++] = v;
    return true;
}

/* The CFA of the frame a rule leads to from sp (rbp-based: the rbp the
 * walk holds, which becomes a word). */
static inline bool site_cfa(struct site_words *sw, const struct lrule *ru, uintptr_t sp,
                            uintptr_t *cfa)
{
    if (!(ru->bits & L_RBP)) {
        *cfa = sp + (uintptr_t)(intptr_t)ru->cfa_off;
        return true;
    }
    if (!sw->bp_at)
        sw->bp0 = true;
    else if (!sw->bp_kept) {
        if (!word_add(sw, sw->bp_at, sw->bp))
            return false;
        sw->bp_kept = true;
    }
    *cfa = sw->bp + (uintptr_t)(intptr_t)ru->cfa_off;
    return true;
}

/* Remembered frame i's rule: kept with it, else looked up. */
static inline struct lrule frame_rule(struct tcache *tc, unsigned i)
{
    if (__builtin_expect(tc->rl[i].bits & L_VALID, 1))
        return tc->rl[i];
    return rule_of(tc, tc->ra[i] - 1)->l;
}

/* Keep the capture just made (the thread's remembered frames, with stack
 * id id) for its call site, when the words it depends on can be had: at
 * most SITE_WORDS of them within 64 KiB above the entry frame, and a
 * stack either cut at max frames or ended by a rule (the outermost
 * frame, the dynamic linker's entry) or by a zero return address. */
static __attribute__((noinline)) void site_fill(struct tcache *tc, const struct rm_from *from,
                                                const struct rm_id_want *w, unsigned max,
                                                uint32_t id)
{
    if (!tc)
        return;
    if (!tc->sites) {
        if (++tc->ncap < SITE_AFTER)
            return;
        tc->sites = rm_mem_map(sites_bytes(SITE_BITS_MIN));
        if (!tc->sites) {
            tc->ncap = 0;   /* try again later */
            return;
        }
        tc->sbits = SITE_BITS_MIN;
        tc->sfills = 0;
        tc->spause = SITE_PAUSE;
    }
    if (tc->skeep != w->keep || tc->smax != max || tc->sskip_lo != w->skip_lo ||
        tc->sskip_hi != w->skip_hi) {
        tc->skeep = w->keep;
        tc->smax = max;
        tc->sskip_lo = w->skip_lo;
        tc->sskip_hi = w->skip_hi;
        sites_forget(tc);
    }
    const unsigned n = tc->nframes;
    const uintptr_t cfa0 = from->cfa;
    /* The innermost remembered frame is the entry frame (its CFA and
     * those of other new frames may be older ones: a capture that found
     * the same return addresses keeps the memory as it was). */
    if (!id || n == 0 || tc->ra[n - 1] != from->ra)
        return;
    if (!tc->complete && n < max)
        return;   /* ended otherwise (a signal frame): not by its words */
    struct site_words sw = { .base = cfa0 - 8, .bp = from->bp };
    uintptr_t lo;
    if (!rm_threads_self_stack(&lo, &sw.hi))
        return;
    uintptr_t sp = cfa0;
    /* Links inner to outer: frame i's return address gives frame i-1,
     * whose slot must hold its return address now. */
    for (unsigned i = n - 1; i > 0; i--) {
        const struct lrule ru = frame_rule(tc, i);
        uintptr_t cfa, ra;
        if ((ru.bits & (L_OK | L_END)) != L_OK || !site_cfa(&sw, &ru, sp, &cfa) ||
            !rd_stack(cfa - 8, cfa0 - 8, sw.hi, &ra) || ra != tc->ra[i - 1] ||
            !word_add(&sw, cfa - 8, ra))
            return;
        if (ru.rbp_off) {
            uintptr_t at = cfa + (uintptr_t)(intptr_t)ru.rbp_off;
            if (!rd_stack(at, cfa0 - 8, sw.hi, &sw.bp))
                return;
            sw.bp_at = at;
            sw.bp_kept = false;
        }
        sp = cfa;
    }
    if (tc->complete) {
        const struct lrule ru = frame_rule(tc, 0);
        if ((ru.bits & (L_OK | L_END)) == L_OK) {
            /* Ended by a zero return address in the next frame's slot. */
            uintptr_t cfa, ra;
            if (!site_cfa(&sw, &ru, sp, &cfa) || !rd_stack(cfa - 8, cfa0 - 8, sw.hi, &ra) ||
                ra != 0 || !word_add(&sw, cfa - 8, 0))
                return;
        } else if (!(ru.bits & L_OK)) {
            /* The dynamic linker's entry: decided by rbp 0 (walk). */
            if (!(ru.bits & L_NOFDE) || sw.bp)
                return;
            if (!sw.bp_at)
                sw.bp0 = true;
            else if (!sw.bp_kept && !word_add(&sw, sw.bp_at, 0))
                return;
        }
    }
    uint32_t top = 0;
    for (unsigned k = 0; k < sw.n; k++)
        if ((uint32_t)sw.off[k] + 8 > top)
            top = (uint32_t)sw.off[k] + 8;
    if (__builtin_expect(++tc->sfills > ((size_t)4 << tc->sbits), 0))
        sites_grow(tc);
    uintptr_t ra1 = 0;
    if (n >= 2 && !(frame_rule(tc, n - 1).bits & L_RBP))
        ra1 = tc->ra[n - 2];
    struct site *set = &tc->sites[2 * site_set(tc, from->ra, cfa0, ra1)];
    /* The entry not used last, unless one is empty or stale. */
    unsigned way = (set[0].flags & SITE_LRU) ? 0 : 1;
    if (set[0].gen != tc->sgen)
        way = 0;
    else if (set[1].gen != tc->sgen)
        way = 1;
    struct site *e = &set[way];
    e->ra0 = from->ra;
    e->cfa0 = cfa0;
    e->bp0 = from->bp;
    e->id = id;
    e->gen = tc->sgen;
    e->nw = (uint16_t)sw.n;
    e->top = top;
    memcpy(e->off, sw.off, sw.n * sizeof *sw.off);
    memcpy(e->val, sw.val, sw.n * sizeof *sw.val);
    e->flags = sw.bp0 ? SITE_BP0 : 0;
    /* The new entry counts as used last (writing the first cleared it). */
    if (way == 1)
        set[0].flags |= SITE_LRU;
    site_used(tc, e);
}

bool rm_fastunwind_stack(const struct rm_from *from, unsigned depth, uint32_t *last,
                         uint32_t *id)
{
    uintptr_t buf[RM_STACK_MAX_DEPTH + LATER];
    if (depth > RM_STACK_MAX_DEPTH)
        depth = RM_STACK_MAX_DEPTH;
    struct rm_id_want w = {
        .keep = depth,
        .reuse = *last != 0,
        .skip_lo = atomic_load_explicit(&rm_skip_lo, memory_order_relaxed),
        .skip_hi = atomic_load_explicit(&rm_skip_hi, memory_order_relaxed),
    };
    if (w.skip_hi < w.skip_lo)
        w.skip_hi = w.skip_lo;
    const unsigned max = depth + LATER;
    struct tcache *tc = rm_tc;
    bool fill = true;
    if (tc && tc->sites) {
        if (tc->soff) {
            tc->soff--;      /* paused: no lookup, no fill */
            fill = false;
        } else if (!atomic_load_explicit(&rm_fast_disabled, memory_order_relaxed) &&
                   tc->gen == atomic_load_explicit(&rm_gen, memory_order_acquire)) {
            uint32_t s = site_find(tc, from, &w, max);
            /* A window's first half fills the entries, its second half
             * judges: more than one miss in ten pays neither for the
             * lookups nor for the entries' cache misses, so the cache
             * pauses (at once), longer each time in a row. */
            if (!s && tc->slook >= SITE_WINDOW / 2 &&
                __builtin_expect(++tc->smiss > SITE_WINDOW / 2 / 10, 0)) {
                tc->soff = tc->spause;
                if (tc->spause < SITE_PAUSE_MAX)
                    tc->spause *= 2;
                tc->slook = tc->smiss = 0;
            } else if (__builtin_expect(++tc->slook == SITE_WINDOW, 0)) {
                tc->spause = SITE_PAUSE;
                tc->slook = tc->smiss = 0;
            }
            if (s) {
                RM_STAT(captures, 1);
                RM_STAT(site, 1);
                *id = s;
                /* *last names the remembered frames' stack (the next
                 * capture may find them again), which this did not
                 * walk: none now. */
                *last = 0;
                return true;
            }
        }
    }
    bool unchanged;
    int n = capture(buf, max, from, &unchanged, &w, id);
    if (__builtin_expect(n < 0, 0))
        return false;
    RM_STAT(captures, 1);
    RM_STAT(again, unchanged);
    tc = rm_tc;
    if (unchanged && *last) {
        *id = *last;
        if (fill)
            site_fill(tc, from, &w, max, *id);
        return true;
    }
    if (!*id) {
        /* Not named by the tree (an incomplete stack): the shim's frames
         * left out (none lead from the program's call), hashed, interned. */
        unsigned k = 0;
        for (int i = 0; i < n && k < depth; i++) {
            uintptr_t p = buf[i];
            if (p - w.skip_lo >= w.skip_hi - w.skip_lo)
                buf[k++] = p;
        }
        *id = k ? rm_stackdb_intern(buf, k, rm_stack_hash(buf, k)) : 0;
    }
    *last = *id;
    if (fill)
        site_fill(tc, from, &w, max, *id);
    return true;
}
#endif
