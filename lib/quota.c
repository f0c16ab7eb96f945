/* quota.c - RatMemSetQuota, RatMemGetQuota, and the charging of RatAPI's
 * own memory.  One quota per process: when libratmem-preload.so is loaded,
 * its counter is the process's (it already charges every malloc, so the
 * RatAPI heap is not charged twice here); otherwise libratmem's own counter
 * below is, charged by the RatAPI heap and mappings.
 *
 * Global state: `lib_quota` (atomics) and `hooks` (resolved once under
 * pthread_once, read-only afterwards). */
#include "config.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include "internal.h"
#include "quota.h"

static struct ratmem_quota lib_quota;

static struct {
    void (*set)(size_t);
    void (*get)(size_t *, size_t *, size_t *);
    int (*charge)(size_t);
    void (*release)(size_t);
} hooks;
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static void find_hooks(void)
{
    hooks.set = (void (*)(size_t))dlsym(RTLD_DEFAULT, "ratmem_preload_quota_set");
    hooks.get = (void (*)(size_t *, size_t *, size_t *))dlsym(RTLD_DEFAULT, "ratmem_preload_quota_get");
    hooks.charge = (int (*)(size_t))dlsym(RTLD_DEFAULT, "ratmem_preload_quota_charge");
    hooks.release = (void (*)(size_t))dlsym(RTLD_DEFAULT, "ratmem_preload_quota_release");
    if (!hooks.set || !hooks.get || !hooks.charge || !hooks.release)
        hooks.set = NULL;
}

static bool under_shim(void)
{
    pthread_once(&hooks_once, find_hooks);
    return hooks.set != NULL;
}

bool ratmem_quota_charge_map(size_t n)
{
    return under_shim() ? hooks.charge(n) != 0 : ratmem_quota_charge(&lib_quota, n);
}

void ratmem_quota_release_map(size_t n)
{
    if (under_shim())
        hooks.release(n);
    else
        ratmem_quota_release(&lib_quota, n);
}

bool ratmem_quota_charge_heap(size_t n)
{
    return under_shim() || ratmem_quota_charge(&lib_quota, n);
}

void ratmem_quota_release_heap(size_t n)
{
    if (!under_shim())
        ratmem_quota_release(&lib_quota, n);
}

RatStatus RatMemSetQuota(size_t limit)
{
    if (under_shim())
        hooks.set(limit);
    else
        atomic_store_explicit(&lib_quota.limit, limit, memory_order_relaxed);
    return RAT_STATUS_OK;
}

RatStatus RatMemGetQuota(size_t *limit, size_t *used, size_t *peak)
{
    size_t l, u, p;
    if (under_shim()) {
        hooks.get(&l, &u, &p);
    } else {
        l = atomic_load_explicit(&lib_quota.limit, memory_order_relaxed);
        u = atomic_load_explicit(&lib_quota.used, memory_order_relaxed);
        p = atomic_load_explicit(&lib_quota.peak, memory_order_relaxed);
    }
    if (limit)
        *limit = l;
    if (used)
        *used = u;
    if (peak)
        *peak = p;
    return RAT_STATUS_OK;
}
