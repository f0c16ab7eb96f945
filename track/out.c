/* out.c - the buffered report writer (see out.h). */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include "msg.h"
#include "out.h"

void rm_out_init(struct rm_out *o, int fd)
{
    o->fd = fd;
    o->error = 0;
    o->len = 0;
}

void rm_out_flush(struct rm_out *o)
{
    size_t off = 0;
    if (o->fd == 2 && !ratmem_stderr_usable()) {
        /* No standard error at start-up: fd 2 is the program's own file. */
        if (!o->error)
            o->error = EBADF;
        o->len = 0;
        return;
    }
    while (off < o->len) {
        ssize_t k = write(o->fd, o->buf + off, o->len - off);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            if (!o->error)
                o->error = errno;
            break;
        }
        off += (size_t)k;
    }
    o->len = 0;
}

void rm_out_bytes(struct rm_out *o, const char *s, size_t n)
{
    while (n) {
        if (o->len == sizeof o->buf)
            rm_out_flush(o);
        size_t k = sizeof o->buf - o->len;
        if (k > n)
            k = n;
        memcpy(o->buf + o->len, s, k);
        o->len += k;
        s += k;
        n -= k;
    }
}

void rm_out_str(struct rm_out *o, const char *s)
{
    rm_out_bytes(o, s, strlen(s));
}

void rm_out_u64(struct rm_out *o, uint64_t v)
{
    char t[24];
    int i = sizeof t;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    rm_out_bytes(o, t + i, sizeof t - (size_t)i);
}

void rm_out_i64(struct rm_out *o, int64_t v)
{
    if (v < 0) {
        rm_out_bytes(o, "-", 1);
        rm_out_u64(o, (uint64_t)0 - (uint64_t)v);
    } else {
        rm_out_u64(o, (uint64_t)v);
    }
}

void rm_out_hex(struct rm_out *o, uint64_t v)
{
    char t[20];
    int i = sizeof t;
    do {
        t[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    t[--i] = 'x';
    t[--i] = '0';
    rm_out_bytes(o, t + i, sizeof t - (size_t)i);
}

void rm_out_line(const char *first, ...)
{
    struct rm_out o;
    rm_out_init(&o, 2);
    rm_out_str(&o, "ratmem: ");
    va_list ap;
    va_start(ap, first);
    for (const char *s = first; s; s = va_arg(ap, const char *))
        rm_out_str(&o, s);
    va_end(ap);
    rm_out_str(&o, "\n");
    rm_out_flush(&o);
}
