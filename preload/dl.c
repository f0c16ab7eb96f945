/* dl.c - the interposed dlclose: tells the tracker which module goes, so
 * that leak reports still name its functions after it is unmapped.  The
 * real dlclose is found once with dlsym(RTLD_NEXT). */
#define _GNU_SOURCE
#include "config.h"
#include <dlfcn.h>
#include <errno.h>
#include "shim.h"
#include "track.h"

typedef int (*dlclose_fn)(void *);
/* Set once (any thread may race to set the same value); relaxed atomics. */
static dlclose_fn real_dlclose;

SHIM_EXPORT int dlclose(void *handle)
{
    dlclose_fn fn = __atomic_load_n(&real_dlclose, __ATOMIC_RELAXED);
    if (!fn) {
        ratmem_shim_guard++;   /* dlsym may allocate (its error buffer) */
        fn = (dlclose_fn)dlsym(RTLD_NEXT, "dlclose");
        ratmem_shim_guard--;
        if (!fn) {
            errno = ENOSYS;
            return -1;
        }
        __atomic_store_n(&real_dlclose, fn, __ATOMIC_RELAXED);
    }
    SHIM_TRACK(ratmem_track_dlclose(handle));
    int r = fn(handle);
    ratmem_track_modules_changed();   /* unwind rules of unmapped code go */
    return r;
}
