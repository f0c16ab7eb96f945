/* fmath.h - the two functions of libm that sampled tracking needs, so
 * that the shim does not load libm into every process (0.2-0.3 ms of
 * start-up on /bin/true, measured with perf stat: libm's relocations and
 * IFUNC resolvers).  Double precision to within a few ulp, which is far
 * more than an exponential countdown or an estimate 1/(1-exp(-s/R))
 * needs; no errno, no special cases beyond what the callers pass. */
#ifndef RATMEM_TRACK_FMATH_H
#define RATMEM_TRACK_FMATH_H

#include <stdint.h>
#include <string.h>

#define RM_LN2_HI 6.93147180369123816490e-01
#define RM_LN2_LO 1.90821492927058770002e-10

/* x * 2^k for a normal result (|k| < 1000 here). */
static inline double rm_ldexp(double x, int k)
{
    uint64_t b = (uint64_t)(int64_t)(k + 1023) << 52;
    double s;
    memcpy(&s, &b, sizeof s);
    return x * s;
}

/* log(u) for u in (0, 1] (the sampling countdown's uniform draw; any
 * positive normal u works). */
static inline double rm_log(double u)
{
    uint64_t b;
    memcpy(&b, &u, sizeof b);
    int e = (int)((b >> 52) & 0x7ff) - 1023;
    b = (b & UINT64_C(0x000fffffffffffff)) | UINT64_C(0x3ff0000000000000);
    double m;
    memcpy(&m, &b, sizeof m);   /* u = m * 2^e, m in [1, 2) */
    if (m > 1.41421356237309504880) {
        m *= 0.5;
        e++;
    }
    /* log(m) = 2 atanh(s), |s| <= 0.1716: the series to s^23 is exact
     * to well below an ulp. */
    double s = (m - 1) / (m + 1), s2 = s * s, t = 0;
    for (int k = 23; k >= 3; k -= 2)
        t = (t + 1.0 / k) * s2;
    return (double)e * RM_LN2_HI + ((double)e * RM_LN2_LO + 2 * s * (1 + t));
}

/* exp(x) - 1, exact to a few ulp also for tiny |x|; x may be any value
 * the estimate passes (-size/rate: <= 0, possibly huge). */
static inline double rm_expm1(double x)
{
    if (x < -745)
        return -1;
    if (x > 709)
        x = 709;
    int k = 0;
    double r = x;
    if (x > 0.34657359027997264 || x < -0.34657359027997264) {
        double kd = x * 1.44269504088896340736;
        k = (int)(kd < 0 ? kd - 0.5 : kd + 0.5);
        r = (x - k * RM_LN2_HI) - k * RM_LN2_LO;
    }
    /* expm1(r), |r| <= ln2/2: Taylor to r^17/17! (< 1e-19 relative). */
    double t = 0;
    for (int n = 17; n >= 2; n--)
        t = (t + 1) * r / n;
    double em = r + r * t;   /* r * (1 + r/2 + r^2/6 + ...) */
    if (k == 0)
        return em;
    if (k < -1020)
        return -1;
    return rm_ldexp(em + 1, k) - 1;
}

#endif
