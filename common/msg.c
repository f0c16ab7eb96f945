/* msg.c - messages that never allocate (see msg.h). */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include "msg.h"

/* 1 = fd 2 was open at start-up (or nobody looked).  Written once by the
 * shim's start-up, before other threads exist; read-only afterwards. */
static int ratmem_stderr_open = 1;

void ratmem_stderr_note_start(void)
{
    int saved = errno;
    ratmem_stderr_open = fcntl(2, F_GETFD) >= 0;
    errno = saved;
}

int ratmem_stderr_usable(void)
{
    return ratmem_stderr_open;
}

void ratmem_write_all(int fd, const char *s, unsigned long len)
{
    if (fd == 2 && !ratmem_stderr_open)
        return;
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
