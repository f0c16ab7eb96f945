/* badfree.h - free() or realloc() of a pointer that is not a live block.
 *
 * With tracking on, every block the shim hands out is in the live-block
 * table, in the exempt set (exempt.h), or counted untracked.  So a pointer
 * in neither, while nothing went untracked, was never given out or is
 * freed already: it is reported (one line naming the caller) and kept away
 * from glibc, whose heap it would corrupt.  Once some block went untracked
 * the table is no proof; then only a pointer whose chunk header glibc
 * could not have made is refused, and the rest goes on to glibc, whose own
 * checks apply. */
#ifndef RATMEM_TRACK_BADFREE_H
#define RATMEM_TRACK_BADFREE_H

#include <stdbool.h>
#include <stdint.h>

/* p was not in the table.  what: "free" or "realloc"; caller: the return
 * address into the calling code.  True when p may be valid (pass it on);
 * false when it is not a live block (reported; drop the call). */
bool rm_badfree_check(uintptr_t p, const char *what, uintptr_t caller);

/* Count p as an invalid free and say so (one line naming the caller, up
 * to a limit); the caller drops the call. */
void rm_badfree_report(uintptr_t p, const char *what, uintptr_t caller);

/* Invalid frees seen so far (report summary). */
uint64_t rm_badfree_count(void);

/* glibc's chunk header around p, read without faulting: true when glibc
 * could have handed p out (alignment, size field, neighbour's in-use bit
 * or mmapped chunk bounds).  Exposed for the unit tests. */
bool rm_badfree_plausible(uintptr_t p);

#endif
