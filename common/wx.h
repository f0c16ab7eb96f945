/* wx.h - the W^X decision for a mapping request made by an unmodified
 * program (the preload shim's mmap, mprotect, pkey_mprotect, shmat). */
#ifndef RATMEM_COMMON_WX_H
#define RATMEM_COMMON_WX_H

#include <stdbool.h>

/* May a request for prot (PROT_* bits) from the code at caller go ahead,
 * under mode (enum ratmem_wx_mode)?  False only for a writable+executable
 * request under wx=enforce.  Under wx=warn a writable+executable request is
 * allowed and logged once per distinct caller; wx=off is silent.  what
 * names the call ("mmap", "mprotect", ...). */
bool ratmem_wx_allow(int mode, int prot, const char *what, const void *caller);

#endif
