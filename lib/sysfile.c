/* sysfile.c - read the small /proc and /sys files that describe the
 * machine (huge page pools, THP mode, NUMA nodes) without allocating. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "internal.h"

long ratmem_read_small_file(const char *path, char *buf, size_t cap)
{
    if (cap == 0)
        return -1;
    int saved = errno;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        errno = saved;
        return -1;
    }
    size_t n = 0;
    while (n < cap - 1) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r < 0)
                n = (size_t)-1;
            break;
        }
        n += (size_t)r;
    }
    close(fd);
    errno = saved;
    if (n == (size_t)-1)
        return -1;
    buf[n] = '\0';
    return (long)n;
}
