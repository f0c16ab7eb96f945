/* unwmem.h - libunwind's memory reads without its validation pipe.
 *
 * libunwind 1.6 (Debian 12) validates the addresses it reads on its
 * fallback paths (frame-pointer chains through code without unwind info)
 * by writing one byte of the address to a pipe it opens at initialisation,
 * in the lowest free descriptor numbers, which are the program's (3 and 4,
 * or 0 and 1 in a program started with them closed).  When a read of that
 * pipe fails (the program closed it), it closes both numbers, whatever
 * they hold by then, and opens a new pipe, again in the program's range;
 * a program that reused the numbers would see libunwind read from and
 * write into its files.  Its numbers live in libunwind's own statics, so
 * the pipe cannot be moved.
 *
 * So the shim never lets libunwind validate: rm_unwmem_init initialises
 * libunwind, closes the pipe it just opened, and puts rm_unwmem's own
 * reader into the local address space's accessors (libunwind reads
 * through them on every path that may validate).  That reader checks an
 * address by reading it with process_vm_readv(2) on this process (no
 * descriptor, no signal on a bad address), or, where that system call is
 * refused, against /proc/self/maps; pages found readable are remembered
 * per thread until the program unmaps or protects memory. */
#ifndef RATMEM_TRACK_UNWMEM_H
#define RATMEM_TRACK_UNWMEM_H

/* Load and initialise libunwind (its per-thread caching policy) as above.
 * Once, before its first use (unwind.c, under its lock).  Returns 1 when
 * libunwind's pipe was found and closed, 0 when there was none to close
 * (libunwind already started by someone else, or a libunwind without
 * one), -1 when libunwind cannot be loaded. */
int rm_unwmem_init(void);

/* Memory may have gone or become unreadable (munmap, mremap, mprotect):
 * forget the pages found readable so far.  Any thread, lock-free. */
void rm_unwmem_forget(void);

/* The reader: 0 and the word at addr in *val when addr..addr+7 is
 * readable, -1 when it is not (without touching it).  errno is left
 * alone. */
int rm_unwmem_read(unsigned long addr, unsigned long *val);

/* For tests: check through /proc/self/maps only (on != 0), as where a
 * seccomp filter refuses process_vm_readv; or go back to probing. */
void rm_unwmem_test_force_maps(int on);

#endif
