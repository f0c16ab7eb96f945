/* fuzz_vmem.c - libFuzzer target: the reservation state machine of
 * lib/vmem.c, driven through the public API and checked against a model.
 *
 * The input is a program of operations: reserve, commit, decommit,
 * protect, release, write bytes, set a quota, with pointers and sizes
 * that stray outside and across reservations.  The model (what
 * RatMemReserve(3) documents) keeps, per page of each live reservation, its
 * state (reserved or committed), its protection and its contents.  After
 * every call the harness checks the status, RatGetLastError (set to the
 * status on failure, unchanged on success), the quota's bytes in use (the
 * committed pages: nothing else in this process charges the RatAPI quota),
 * and the contents of every committed readable page: what the harness
 * wrote, zero after a (re)commit of a reserved page.  Any disagreement
 * aborts.  Each input ends by releasing everything it reserved. */
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ratmem.h"
#include "check.h"

#define MAXRES 6        /* live reservations at once */
#define MAXPAGES 12     /* pages per reservation */
#define MAXOPS 96

enum pstate { RESERVED, COMMITTED };

struct mres {
    int live;
    uintptr_t base;
    size_t user_size, npages;
    unsigned char state[MAXPAGES];
    unsigned char prot[MAXPAGES];
    unsigned char *shadow;  /* npages * ps bytes: the contents expected */
};

static struct mres res[MAXRES];
static uintptr_t stale[4];  /* bases of released reservations */
static size_t ps;
static size_t quota_limit;

struct rd {
    const uint8_t *p;
    size_t n;
};

static unsigned get(struct rd *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static unsigned get16(struct rd *r)
{
    unsigned a = get(r);
    return a | get(r) << 8;
}

static size_t committed_bytes(void)
{
    size_t n = 0;
    for (int i = 0; i < MAXRES; i++)
        for (size_t j = 0; res[i].live && j < res[i].npages; j++)
            n += res[i].state[j] == COMMITTED;
    return n * ps;
}

/* The live reservation holding all pages of [a, a+len), or NULL; *first
 * and *count get the pages.  Mirrors the documented range rule. */
static struct mres *find_span(uintptr_t a, size_t len, size_t *first, size_t *count)
{
    if (len == 0 || a + len < a || a + len > UINTPTR_MAX - ps)
        return NULL;
    uintptr_t s = a & ~(ps - 1), e = (a + len + ps - 1) & ~(ps - 1);
    for (int i = 0; i < MAXRES; i++) {
        struct mres *m = &res[i];
        if (m->live && s >= m->base && e <= m->base + m->npages * ps) {
            *first = (s - m->base) / ps;
            *count = (e - s) / ps;
            return m;
        }
    }
    return NULL;
}

/* The expected status of the protection flags alone (checked first). */
static RatStatus flags_status(int flags)
{
    if (flags & ~(RAT_MEM_READ | RAT_MEM_WRITE | RAT_MEM_EXECUTE))
        return RAT_STATUS_INVALID_ARG;
    if ((flags & RAT_MEM_WRITE) && (flags & RAT_MEM_EXECUTE))
        return RAT_STATUS_PERMISSION;
    return RAT_STATUS_OK;
}

static void check_status(RatStatus got, RatStatus want, RatStatus before)
{
    if (got != want)
        fprintf(stderr, "fuzz_vmem: status %d, model expects %d\n", got, want);
    CHECK(got == want);
    CHECK(RatGetLastError() == (want == RAT_STATUS_OK ? before : want));
}

static void verify(void)
{
    size_t used;
    CHECK(RatMemGetQuota(NULL, &used, NULL) == RAT_STATUS_OK);
    if (used != committed_bytes())
        fprintf(stderr, "fuzz_vmem: quota used %zu, model %zu\n", used, committed_bytes());
    CHECK(used == committed_bytes());
    for (int i = 0; i < MAXRES; i++) {
        struct mres *m = &res[i];
        for (size_t j = 0; m->live && j < m->npages; j++)
            if (m->state[j] == COMMITTED && (m->prot[j] & RAT_MEM_READ))
                CHECK(memcmp((char *)m->base + j * ps, m->shadow + j * ps, ps) == 0);
    }
}

/* The k-th live reservation (k taken modulo their number), or NULL. */
static struct mres *pick_res(struct rd *r)
{
    unsigned k = get(r), nlive = 0;
    for (int i = 0; i < MAXRES; i++)
        nlive += res[i].live;
    if (nlive == 0)
        return NULL;
    k %= nlive;
    for (int i = 0; i < MAXRES; i++)
        if (res[i].live && k-- == 0)
            return &res[i];
    return NULL;
}

/* A pointer for an operation: in or near a live reservation (possibly
 * before or past it, or misaligned), a stale base, NULL, or a wild
 * address. */
static uintptr_t pick_ptr(struct rd *r)
{
    unsigned how = get(r) % 16;
    if (how == 0)
        return 0;
    if (how == 1)
        return stale[get(r) % 4];
    if (how == 2)
        return UINTPTR_MAX - get16(r);
    struct mres *m = pick_res(r);
    uintptr_t base = m ? m->base : stale[0];
    long pages = how < 12 ? (long)(get(r) % MAXPAGES) : (long)(get(r) % (MAXPAGES + 4)) - 2;
    uintptr_t off = how < 10 ? 0 : get16(r) % ps;
    return base + (uintptr_t)(pages * (long)ps) + off;
}

/* Fill the writable pages [first, first+count) of m with a fresh pattern,
 * so that later checks see whether their contents survive or go. */
static void scribble(struct mres *m, size_t first, size_t count)
{
    static unsigned char v;
    for (size_t j = first; j < first + count; j++)
        if (m->state[j] == COMMITTED && (m->prot[j] & RAT_MEM_WRITE)) {
            v = (unsigned char)(v * 5 + 1);
            memset((char *)m->base + j * ps, v, ps);
            memset(m->shadow + j * ps, v, ps);
        }
}

static size_t pick_size(struct rd *r)
{
    unsigned how = get(r) % 16;
    if (how == 0)
        return 0;
    if (how == 1)
        return SIZE_MAX - get(r);
    if (how == 2)
        return (size_t)PTRDIFF_MAX + 1;
    if (how < 8)
        return (size_t)(1 + get(r) % (MAXPAGES + 2)) * ps;
    return 1 + get16(r) % ((MAXPAGES + 2) * ps);
}

static void op_reserve(struct rd *r)
{
    int slot = -1;
    for (int i = 0; i < MAXRES; i++)
        if (!res[i].live)
            slot = i;
    unsigned how = get(r) % 8;
    size_t size;
    RatStatus want = RAT_STATUS_OK;
    if (how == 0) {
        size = 0;
        want = RAT_STATUS_INVALID_ARG;
    } else if (how == 1) {
        size = get(r) & 1 ? SIZE_MAX - get(r) : (size_t)PTRDIFF_MAX + 1 + get(r);
        want = RAT_STATUS_NO_MEMORY;
    } else {
        size = (size_t)(1 + get(r) % MAXPAGES) * ps - get16(r) % ps;
        if (slot < 0)
            return; /* the model is full */
    }
    RatStatus before = RatGetLastError();
    void *p = RatMemReserve(size);
    check_status(p ? RAT_STATUS_OK : RatGetLastError(), want, before);
    if (!p)
        return;
    CHECK(((uintptr_t)p & (ps - 1)) == 0);
    struct mres *m = &res[slot];
    memset(m, 0, sizeof *m);
    m->live = 1;
    m->base = (uintptr_t)p;
    m->user_size = size;
    m->npages = (size + ps - 1) / ps;
    m->shadow = calloc(m->npages, ps);
    CHECK(m->shadow != NULL);
    for (int i = 0; i < MAXRES; i++)
        CHECK(&res[i] == m || !res[i].live || res[i].base + res[i].npages * ps <= m->base ||
              m->base + m->npages * ps <= res[i].base);
}

static void op_range(struct rd *r, int which)
{
    uintptr_t a = pick_ptr(r);
    size_t len = pick_size(r);
    int flags = (int)(get(r) % 8);
    if (get(r) % 16 == 0)
        flags |= 8 << (get(r) % 20);
    size_t first = 0, count = 0;
    struct mres *m = find_span(a, len, &first, &count);
    RatStatus want = which == 1 ? RAT_STATUS_OK : flags_status(flags);
    if (want == RAT_STATUS_OK && !m)
        want = RAT_STATUS_INVALID_ARG;
    if (want == RAT_STATUS_OK && which == 2)
        for (size_t j = 0; j < count; j++)
            if (m->state[first + j] != COMMITTED)
                want = RAT_STATUS_INVALID_ARG;
    if (want == RAT_STATUS_OK && which == 0 && quota_limit) {
        size_t fresh = 0;
        for (size_t j = 0; j < count; j++)
            fresh += m->state[first + j] != COMMITTED;
        if (fresh && committed_bytes() + fresh * ps > quota_limit)
            want = RAT_STATUS_NO_MEMORY;
    }
    RatStatus before = RatGetLastError(), got;
    if (which == 0)
        got = RatMemCommit((void *)a, len, flags);
    else if (which == 1)
        got = RatMemDecommit((void *)a, len);
    else
        got = RatMemProtect((void *)a, len, flags);
    check_status(got, want, before);
    if (got != RAT_STATUS_OK)
        return;
    for (size_t j = first; j < first + count; j++) {
        if (which == 1) {
            m->state[j] = RESERVED;
            m->prot[j] = 0;
            memset(m->shadow + j * ps, 0, ps);
        } else {
            m->state[j] = COMMITTED;
            m->prot[j] = (unsigned char)flags;
        }
    }
    if (which != 1)
        scribble(m, first, count);
}

static void op_release(struct rd *r)
{
    unsigned i = get(r) % 4, how = get(r) % 8;
    struct mres *m = pick_res(r);
    static struct mres none;
    if (!m || get(r) % 8 == 0)
        m = &none;
    uintptr_t a = m->live ? m->base : stale[i];
    size_t size = 0;
    switch (how) {
    case 0: size = 0; break;
    case 1: size = m->user_size; break;
    case 2: size = m->npages * ps; break;
    case 3: size = m->user_size + 1; break;
    case 4: size = m->npages * ps + ps; break;
    case 5: a += ps; break;
    case 6: size = SIZE_MAX; break;
    case 7: size = m->user_size > 1 ? m->user_size - 1 : 0; break;
    }
    struct mres *t = NULL;
    for (int k = 0; k < MAXRES; k++)
        if (res[k].live && res[k].base == a)
            t = &res[k];
    RatStatus want = RAT_STATUS_INVALID_ARG;
    if (t && (size == 0 || size == t->user_size || size == t->npages * ps))
        want = RAT_STATUS_OK;
    RatStatus before = RatGetLastError();
    check_status(RatMemRelease((void *)a, size), want, before);
    if (want == RAT_STATUS_OK) {
        t->live = 0;
        free(t->shadow);
        t->shadow = NULL;
        stale[i] = t->base;
    }
}

static void op_write(struct rd *r)
{
    struct mres *m = pick_res(r);
    size_t page = get(r) % MAXPAGES, off = get16(r) % ps, len = 1 + get(r) % 64;
    unsigned char v = (unsigned char)get(r);
    if (!m || page >= m->npages)
        return;
    if (off + len > ps)
        len = ps - off;
    if (m->state[page] != COMMITTED || !(m->prot[page] & RAT_MEM_WRITE))
        return;
    memset((char *)m->base + page * ps + off, v, len);
    memset(m->shadow + page * ps + off, v, len);
}

static void op_quota(struct rd *r)
{
    unsigned how = get(r) % 4;
    quota_limit = how == 0 ? 0 : committed_bytes() + (size_t)(get(r) % 8) * ps;
    CHECK(RatMemSetQuota(quota_limit) == RAT_STATUS_OK);
    size_t l;
    CHECK(RatMemGetQuota(&l, NULL, NULL) == RAT_STATUS_OK && l == quota_limit);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rd r = { data, size };
    ps = (size_t)sysconf(_SC_PAGESIZE);
    for (int n = 0; n < MAXOPS && r.n > 0; n++) {
        switch (get(&r) % 8) {
        case 0: op_reserve(&r); break;
        case 1: op_range(&r, 0); break;   /* commit */
        case 2: op_range(&r, 1); break;   /* decommit */
        case 3: op_range(&r, 2); break;   /* protect */
        case 4: op_release(&r); break;
        case 5: case 6: op_write(&r); break;
        case 7: op_quota(&r); break;
        }
        verify();
    }
    /* Leave nothing behind for the next input. */
    CHECK(RatMemSetQuota(0) == RAT_STATUS_OK);
    quota_limit = 0;
    for (int i = 0; i < MAXRES; i++)
        if (res[i].live) {
            CHECK(RatMemRelease((void *)res[i].base, 0) == RAT_STATUS_OK);
            CHECK(RatMemRelease((void *)res[i].base, 0) == RAT_STATUS_INVALID_ARG);
            res[i].live = 0;
            free(res[i].shadow);
            res[i].shadow = NULL;
        }
    verify();
    return 0;
}
