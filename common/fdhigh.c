/* fdhigh.c - descriptors kept above the program's range (see fdhigh.h). */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fdhigh.h"

int ratmem_fd_floor(void)
{
    struct rlimit rl;
    /* The raw syscall: no errno, no interposition. */
    if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl) != 0 ||
        rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= 1024)
        return RATMEM_FD_FLOOR;
    int floor = (int)(rl.rlim_cur * 3 / 4);
    return floor > 3 ? floor : 3;
}

int ratmem_fd_high(int fd)
{
    if (fd < 0)
        return fd;
    int saved = errno;
    int floor = ratmem_fd_floor();
    int hi = fd >= floor ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, floor);
    if (hi >= 0) {
        close(fd);
        fd = hi;
    } else {
        fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    errno = saved;
    return fd;
}

int ratmem_fd_open(const char *path, int flags, mode_t mode)
{
    int fd;
    do
        fd = open(path, flags | O_CLOEXEC, mode);
    while (fd < 0 && errno == EINTR);
    return ratmem_fd_high(fd);
}

size_t ratmem_fd_read_all(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap) {
        ssize_t k = read(fd, buf + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    return n;
}
