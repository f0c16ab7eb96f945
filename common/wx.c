/* wx.c - the W^X decision for the preload shim (see wx.h); the W^X rule
 * itself is ratmem_prot_is_wx in prot.c. */
#include "config.h"
#include <dlfcn.h>
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

bool ratmem_wx_allow(int mode, int prot, const char *what, const void *caller)
{
    if (!ratmem_prot_is_wx(prot) || mode == RATMEM_WX_OFF)
        return true;
    if (mode == RATMEM_WX_ENFORCE)
        return false;
    if (first_warning((uintptr_t)caller)) {
        Dl_info info;
        if (dladdr(caller, &info) && info.dli_fname) {
            ratmem_msg("W^X: writable+executable %s allowed (wx=warn), called from %p in %s (%s+0x%lx)",
                       what, caller, info.dli_sname ? info.dli_sname : "??", info.dli_fname,
                       (unsigned long)((uintptr_t)caller - (uintptr_t)info.dli_fbase));
        } else {
            ratmem_msg("W^X: writable+executable %s allowed (wx=warn), called from %p", what, caller);
        }
    }
    return true;
}
