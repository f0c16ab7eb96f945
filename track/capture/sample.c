/* sample.c - sampled tracking (see sample.h).
 *
 * Per thread: the byte count to the next sample (rm_sample_left) and an
 * xorshift64* generator, both initial-exec TLS, seeded on the thread's
 * first allocation from the clock, the thread's TLS address and a global
 * counter (a fork child reseeds).  A draw is -ln(U) * mean with U uniform
 * in (0, 1], at least 1: the exponential distribution is memoryless, so a
 * fresh draw after each sample (the overshoot dropped) and a fresh draw on
 * a thread's first allocation keep every byte's chance the same.
 *
 * Per stack: the estimated objects and bytes allocated, as doubles
 * updated by compare-and-swap, in 64 KiB chunks of 4096 stacks mapped on
 * first use (stack ids are dense from 1).  Only recorded allocations touch
 * them: one in SIZE bytes when sampling. */
#define _GNU_SOURCE
#include "config.h"
#include "fmath.h"
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "mem.h"
#include "table.h"
#include "threads.h"
#include "sample.h"

__thread uint64_t rm_sample_left __attribute__((tls_model("initial-exec")));
static __thread uint64_t rm_sample_rng __attribute__((tls_model("initial-exec")));

/* Set once at init, read-only afterwards. */
uint64_t rm_sample_mean_bytes;
bool rm_sample_totals_on;
static _Atomic uint64_t rm_seed_counter;

#define CHUNK_SHIFT 12
#define CHUNK_STACKS (1u << CHUNK_SHIFT)
#define NCHUNKS ((RM_STACK_ID_MAX >> CHUNK_SHIFT) + 1)

struct acc {
    _Atomic uint64_t objects;   /* double bits */
    _Atomic uint64_t bytes;     /* double bits */
};
static struct acc *_Atomic rm_chunks[NCHUNKS];

void rm_sample_setup(uint64_t mean, bool totals)
{
    rm_sample_mean_bytes = mean;
    rm_sample_totals_on = totals;
}

static uint64_t splitmix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static void seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
                 (uint64_t)(uintptr_t)&rm_sample_rng ^ ((uint64_t)getpid() << 40) ^
                 splitmix(atomic_fetch_add_explicit(&rm_seed_counter, 1, memory_order_relaxed));
    s = splitmix(s);
    rm_sample_rng = s ? s : 1;   /* xorshift's state must not be 0 */
}

static uint64_t draw(void)
{
    uint64_t x = rm_sample_rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rm_sample_rng = x;
    x *= UINT64_C(0x2545f4914f6cdd1d);
    /* U in (0, 1]: 53 random bits, never 0. */
    double u = (double)((x >> 11) + 1) * (1.0 / 9007199254740992.0);
    double d = -rm_log(u) * (double)rm_sample_mean_bytes;
    if (d < 1)
        return 1;
    if (d > 1e18)
        return UINT64_C(1000000000000000000);
    return (uint64_t)d;
}

bool rm_sample_decide_slow(size_t size)
{
    if (rm_sample_left == 0) {
        /* This thread's first allocation (or first since a fork). */
        if (!rm_sample_rng)
            seed();
        rm_threads_ensure();
        rm_sample_left = draw();
    }
    if ((uint64_t)size < rm_sample_left) {
        rm_sample_left -= size;
        return false;
    }
    rm_sample_left = draw();
    return true;
}

double rm_sample_scale(uint64_t size)
{
    if (!rm_sample_mean_bytes)
        return 1.0;
    if (size == 0)
        size = 1;   /* a malloc(0) block took one byte's chance */
    double p = -rm_expm1(-(double)size / (double)rm_sample_mean_bytes);
    return p > 0 ? 1.0 / p : 1.0;
}

static void add_double(_Atomic uint64_t *a, double v)
{
    uint64_t old = atomic_load_explicit(a, memory_order_relaxed), nv;
    for (;;) {
        double d;
        memcpy(&d, &old, sizeof d);
        d += v;
        memcpy(&nv, &d, sizeof nv);
        if (atomic_compare_exchange_weak_explicit(a, &old, nv, memory_order_relaxed,
                                                  memory_order_relaxed))
            return;
    }
}

static struct acc *acc_of(uint32_t stack, bool create)
{
    if (stack > RM_STACK_ID_MAX)
        return NULL;
    _Atomic(struct acc *) *slot = &rm_chunks[stack >> CHUNK_SHIFT];
    struct acc *c = atomic_load_explicit(slot, memory_order_acquire);
    if (!c) {
        if (!create)
            return NULL;
        struct acc *n = rm_mem_map(CHUNK_STACKS * sizeof *n);
        if (!n)
            return NULL;
        if (atomic_compare_exchange_strong_explicit(slot, &c, n, memory_order_acq_rel,
                                                    memory_order_acquire))
            c = n;
        else
            rm_mem_unmap(n, CHUNK_STACKS * sizeof *n);   /* another thread won */
    }
    return &c[stack & (CHUNK_STACKS - 1)];
}

void rm_sample_count_slow(uint32_t stack, uint64_t size)
{
    struct acc *a = acc_of(stack, true);
    if (!a)
        return;
    double s = rm_sample_scale(size);
    add_double(&a->objects, s);
    add_double(&a->bytes, s * (double)size);
}

bool rm_sample_totals(uint32_t stack, double *objects, double *bytes)
{
    struct acc *a = acc_of(stack, false);
    uint64_t o = a ? atomic_load_explicit(&a->objects, memory_order_relaxed) : 0;
    uint64_t b = a ? atomic_load_explicit(&a->bytes, memory_order_relaxed) : 0;
    memcpy(objects, &o, sizeof *objects);
    memcpy(bytes, &b, sizeof *bytes);
    return o != 0;
}

_Atomic uint8_t rm_sample_cf[1 << 16];

void rm_sample_note(uintptr_t a)
{
    _Atomic uint8_t *c = &rm_sample_cf[rm_sample_cf_slot(a)];
    uint8_t v = atomic_load_explicit(c, memory_order_relaxed);
    while (v != 255 &&
           !atomic_compare_exchange_weak_explicit(c, &v, (uint8_t)(v + 1), memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
}

void rm_sample_forget(uintptr_t a)
{
    _Atomic uint8_t *c = &rm_sample_cf[rm_sample_cf_slot(a)];
    uint8_t v = atomic_load_explicit(c, memory_order_relaxed);
    while (v != 255 && v != 0 &&
           !atomic_compare_exchange_weak_explicit(c, &v, (uint8_t)(v - 1), memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
}

void rm_sample_reset_child(void)
{
    rm_sample_rng = 0;
    seed();
    if (rm_sample_mean_bytes)
        rm_sample_left = draw();
}
