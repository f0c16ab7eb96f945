/* fdhigh.h - the shim's own file descriptors, kept out of the program's
 * range: every descriptor ratmem opens inside a program is close-on-exec
 * and moved to RATMEM_FD_FLOOR or above (see libratmem-preload(7),
 * "What the program can see").  The numbers below the floor are the
 * program's: a program that closes its descriptors and opens files gets
 * the numbers it expects, and a child started with a closed 0, 1 or 2
 * finds them closed. */
#ifndef RATMEM_COMMON_FDHIGH_H
#define RATMEM_COMMON_FDHIGH_H

#include <sys/types.h>

/* The lowest number the shim's descriptors take.  1000: above the numbers
 * programs use (and so above what a plain open() hands out), yet low
 * enough that the kernel's descriptor table stays small (a descriptor near
 * a soft limit of 1048576 would grow it to a million slots) and below
 * FD_SETSIZE.  When the soft RLIMIT_NOFILE is below 1024, the top quarter
 * of the range. */
#define RATMEM_FD_FLOOR 1000

/* The floor for this process: RATMEM_FD_FLOOR, or 3/4 of the soft
 * RLIMIT_NOFILE when that is below 1024 (at least 3). */
int ratmem_fd_floor(void);

/* Move fd to the floor or above, close-on-exec; the old number is closed.
 * Returns the new descriptor, or fd itself (made close-on-exec) when no
 * number at or above the floor is free.  fd < 0 is returned as it is.
 * errno is left alone. */
int ratmem_fd_high(int fd);

/* open(2) with O_CLOEXEC, retried on EINTR, the descriptor moved high.
 * -1 with errno set on failure. */
int ratmem_fd_open(const char *path, int flags, mode_t mode);

/* read(2) into buf until end of file, an error or cap bytes, retried on
 * EINTR.  Returns the bytes read (a short count says which came first
 * only with the caller's own test, e.g. == cap). */
size_t ratmem_fd_read_all(int fd, char *buf, size_t cap);

#endif
