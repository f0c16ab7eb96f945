/* msg.c - messages that never allocate (see msg.h). */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "msg.h"

void ratmem_write_all(int fd, const char *s, unsigned long len)
{
    int saved = errno;
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        s += n;
        len -= (unsigned long)n;
    }
    errno = saved;
}

void ratmem_msg(const char *fmt, ...)
{
    char buf[1024];
    const char prefix[] = "ratmem: ";
    size_t off = sizeof prefix - 1;
    memcpy(buf, prefix, off);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + off, sizeof buf - off - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    off += (size_t)n < sizeof buf - off - 1 ? (size_t)n : sizeof buf - off - 2;
    buf[off++] = '\n';
    ratmem_write_all(2, buf, off);
}
