/* quota.c - lock-free quota accounting (see quota.h). */
#include "config.h"
#include <stdatomic.h>
#include <stdint.h>
#include "quota.h"

bool ratmem_quota_charge(struct ratmem_quota *q, size_t n)
{
    size_t limit = atomic_load_explicit(&q->limit, memory_order_relaxed);
    size_t used = atomic_load_explicit(&q->used, memory_order_relaxed);
    size_t want;
    do {
        if (__builtin_add_overflow(used, n, &want) || (limit && want > limit))
            return false;
    } while (!atomic_compare_exchange_weak_explicit(&q->used, &used, want, memory_order_relaxed,
                                                    memory_order_relaxed));
    size_t peak = atomic_load_explicit(&q->peak, memory_order_relaxed);
    while (want > peak &&
           !atomic_compare_exchange_weak_explicit(&q->peak, &peak, want, memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
    return true;
}

void ratmem_quota_release(struct ratmem_quota *q, size_t n)
{
    size_t used = atomic_load_explicit(&q->used, memory_order_relaxed);
    size_t want;
    do {
        want = used > n ? used - n : 0;
    } while (!atomic_compare_exchange_weak_explicit(&q->used, &used, want, memory_order_relaxed,
                                                    memory_order_relaxed));
}

bool ratmem_quota_parse_size(const char *s, size_t len, size_t *out)
{
    size_t v = 0, i = 0;
    if (len == 0)
        return false;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (size_t)(s[i] - '0'), &v))
            return false;
    if (i == 0)
        return false;
    unsigned shift = 0;
    if (i < len) {
        if (i + 1 != len)
            return false;
        switch (s[i]) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        case 't': case 'T': shift = 40; break;
        default: return false;
        }
    }
    if (shift && v > (SIZE_MAX >> shift))
        return false;
    *out = v << shift;
    return true;
}
