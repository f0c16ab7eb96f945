/* stats.c - the tracker's own counters (see stats.h). */
#include "config.h"
#include <stdatomic.h>
#include <string.h>
#include "stats.h"

__thread struct rm_stats rm_stats_self __attribute__((tls_model("initial-exec")));

#define NFIELDS (sizeof(struct rm_stats) / sizeof(uint64_t))
/* Exited threads' counts. */
static _Atomic uint64_t rm_stats_done[NFIELDS];

void rm_stats_thread_exit(void)
{
    const uint64_t *f = (const uint64_t *)&rm_stats_self;
    for (size_t i = 0; i < NFIELDS; i++)
        atomic_fetch_add_explicit(&rm_stats_done[i], f[i], memory_order_relaxed);
    memset(&rm_stats_self, 0, sizeof rm_stats_self);
}

void rm_stats_total(struct rm_stats *out)
{
    uint64_t *o = (uint64_t *)out;
    const uint64_t *f = (const uint64_t *)&rm_stats_self;
    for (size_t i = 0; i < NFIELDS; i++)
        o[i] = atomic_load_explicit(&rm_stats_done[i], memory_order_relaxed) + f[i];
}

void rm_stats_reset_child(void)
{
    for (size_t i = 0; i < NFIELDS; i++)
        atomic_store_explicit(&rm_stats_done[i], 0, memory_order_relaxed);
    memset(&rm_stats_self, 0, sizeof rm_stats_self);
}
