/* prot.h - the protection policy: RAT_MEM_* <-> PROT_* and the W^X rule.
 * The only place where W^X is decided; libratmem and the preload shim both
 * call it. */
#ifndef RATMEM_CORE_PROT_H
#define RATMEM_CORE_PROT_H

#include <stdbool.h>
#include "ratmem.h"

#define RATMEM_PROT_MASK (RAT_MEM_READ | RAT_MEM_WRITE | RAT_MEM_EXECUTE)

/* True when a PROT_* set is writable and executable at once. */
bool ratmem_prot_is_wx(int prot);

/* Translate RAT_MEM_* flags into PROT_* bits in *prot.
 * Returns RAT_STATUS_INVALID_ARG for unknown bits, RAT_STATUS_PERMISSION for
 * WRITE|EXECUTE (W^X), RAT_STATUS_OK otherwise.  *prot is untouched on
 * failure. */
RatStatus ratmem_prot_from_flags(int flags, int *prot);

/* Translate PROT_* bits back to RAT_MEM_* flags (PROT_* bits that RatAPI
 * does not know are dropped). */
int ratmem_prot_to_flags(int prot);

#endif
