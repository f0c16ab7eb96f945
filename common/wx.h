/* wx.h - the W^X decision for a mapping request made by an unmodified
 * program (the preload shim's mmap, mprotect, pkey_mprotect, shmat). */
#ifndef RATMEM_COMMON_WX_H
#define RATMEM_COMMON_WX_H

#include <stdbool.h>

/* May a request for prot (PROT_* bits) from the code at caller go ahead,
 * under mode (enum ratmem_wx_mode)?  False only for a writable+executable
 * request under wx=enforce.  Under wx=enforce and wx=warn, the first
 * writable+executable request from each distinct caller writes one line to
 * stderr, before the call returns: the call and protection asked, refused
 * or allowed, the calling function and module, and (when refused) how to
 * allow it; wx=off is silent.  what names the call ("mmap", "mprotect",
 * ...).  Never allocates. */
bool ratmem_wx_allow(int mode, int prot, const char *what, const void *caller);

/* Does exe (an absolute path) match one of globs ("GLOB[,GLOB]", the
 * wx_allow option)?  A pattern holding a slash is matched against the
 * whole path, where '*' also matches slashes ('*'/node'); one without a
 * slash against the file name alone ('node'). */
bool ratmem_wx_exe_allowed(const char *globs, const char *exe);

#endif
