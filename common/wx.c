/* wx.c - the W^X decision for the preload shim (see wx.h); the W^X rule
 * itself is ratmem_prot_is_wx in prot.c. */
#include "config.h"
#include <dlfcn.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/mman.h>
#include <stdatomic.h>
#include <stdint.h>
#include "msg.h"
#include "options.h"
#include "prot.h"
#include "wx.h"

/* Calling sites already warned about.  Owned by this file; slots are claimed
 * with compare-and-swap, so concurrent callers never lose or repeat one.
 * Past WARN_SITES distinct sites, every further site is still warned about. */
#define WARN_SITES 128
static _Atomic(uintptr_t) warned[WARN_SITES];

static bool first_warning(uintptr_t site)
{
    for (int i = 0; i < WARN_SITES; i++) {
        uintptr_t cur = atomic_load_explicit(&warned[i], memory_order_acquire);
        if (cur == site)
            return false;
        if (cur == 0) {
            uintptr_t expect = 0;
            if (atomic_compare_exchange_strong(&warned[i], &expect, site))
                return true;
            if (expect == site)
                return false;
        }
    }
    return true;
}

/* "PROT_READ|PROT_WRITE|PROT_EXEC" for prot, in buf. */
static const char *prot_text(int prot, char *buf, size_t cap)
{
    static const struct { int bit; const char *name; } bits[] = {
        { PROT_READ, "PROT_READ" }, { PROT_WRITE, "PROT_WRITE" }, { PROT_EXEC, "PROT_EXEC" },
    };
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        if (!(prot & bits[i].bit))
            continue;
        size_t k = strlen(bits[i].name);
        if (n + k + 2 > cap)
            break;
        if (n)
            buf[n++] = '|';
        memcpy(buf + n, bits[i].name, k + 1);
        n += k;
    }
    return buf;
}

/* One line naming the call, its protection, the calling function and
 * module.  dladdr takes the loader's lock and reads its tables; it
 * allocates nothing, nor does the message (msg.h). */
static void say(bool refused, int prot, const char *what, const void *caller)
{
    char pt[64];
    prot_text(prot, pt, sizeof pt);
    const char *verb = refused ? "refused (EACCES)" : "allowed (wx=warn)";
    const char *hint = refused ? "; to allow it: RATMEM_OPTIONS=wx=warn for the whole run, "
                                 "or wx_allow=GLOB (ratmem --wx-allow=GLOB) for this executable"
                               : "";
    Dl_info info;
    if (dladdr(caller, &info) && info.dli_fname) {
        ratmem_msg("W^X: writable+executable %s(%s) %s, called from %p in %s (%s+0x%lx)%s", what,
                   pt, verb, caller, info.dli_sname ? info.dli_sname : "??", info.dli_fname,
                   (unsigned long)((uintptr_t)caller - (uintptr_t)info.dli_fbase), hint);
    } else {
        ratmem_msg("W^X: writable+executable %s(%s) %s, called from %p%s", what, pt, verb, caller,
                   hint);
    }
}

bool ratmem_wx_allow(int mode, int prot, const char *what, const void *caller)
{
    if (!ratmem_prot_is_wx(prot) || mode == RATMEM_WX_OFF)
        return true;
    bool refused = mode == RATMEM_WX_ENFORCE;
    if (first_warning((uintptr_t)caller))
        say(refused, prot, what, caller);
    return !refused;
}

bool ratmem_wx_exe_allowed(const char *globs, const char *exe)
{
    if (!globs || !*globs || !exe || !*exe)
        return false;
    const char *base = strrchr(exe, '/');
    base = base ? base + 1 : exe;
    const char *p = globs;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char g[RATMEM_PATH_MAX];
        if (n > 0 && n < sizeof g) {
            memcpy(g, p, n);
            g[n] = 0;
            /* A pattern with a slash is matched against the whole path
             * ('*' crosses slashes), one without against the file name. */
            if (fnmatch(g, memchr(g, '/', n) ? exe : base, 0) == 0)
                return true;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}
