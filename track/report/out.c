/* out.c - the buffered report writer (see out.h). */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "mem.h"
#include "msg.h"
#include "out.h"

void rm_out_init(struct rm_out *o, int fd)
{
    o->fd = fd;
    o->error = 0;
    o->len = 0;
    o->gz = NULL;
}

static void write_raw(struct rm_out *o, const char *p, size_t n)
{
    size_t off = 0;
    if (o->fd == 2 && !ratmem_stderr_usable()) {
        /* No standard error at start-up: fd 2 is the program's own file. */
        if (!o->error)
            o->error = EBADF;
        return;
    }
    while (off < n) {
        ssize_t k = write(o->fd, p + off, n - off);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            if (!o->error)
                o->error = errno;
            break;
        }
        off += (size_t)k;
    }
}

/* Feed buf to the gzip stream (flush: Z_NO_FLUSH or Z_FINISH). */
static void deflate_out(struct rm_out *o, int flush)
{
    z_stream *z = o->gz;
    char chunk[16384];
    z->next_in = (Bytef *)o->buf;
    z->avail_in = (uInt)o->len;
    int r;
    do {
        z->next_out = (Bytef *)chunk;
        z->avail_out = sizeof chunk;
        r = deflate(z, flush);
        if (r == Z_STREAM_ERROR) {
            if (!o->error)
                o->error = EIO;
            return;
        }
        write_raw(o, chunk, sizeof chunk - z->avail_out);
    } while (z->avail_out == 0 || (flush == Z_FINISH && r != Z_STREAM_END));
}

void rm_out_flush(struct rm_out *o)
{
    if (o->gz)
        deflate_out(o, Z_NO_FLUSH);
    else
        write_raw(o, o->buf, o->len);
    o->len = 0;
}

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    size_t n = (size_t)items * size + 16;
    char *p = rm_mem_map_scratch(n);
    if (!p)
        return Z_NULL;
    *(size_t *)(void *)p = n;
    return p + 16;
}

static void z_free(voidpf opaque, voidpf p)
{
    (void)opaque;
    if (p) {
        char *b = (char *)p - 16;
        rm_mem_unmap_scratch(b, *(size_t *)(void *)b);
    }
}

void rm_out_gzip_start(struct rm_out *o)
{
    rm_out_flush(o);
    z_stream *z = z_alloc(NULL, 1, sizeof *z);
    if (!z) {
        o->error = ENOMEM;
        return;
    }
    memset(z, 0, sizeof *z);
    z->zalloc = z_alloc;
    z->zfree = z_free;
    /* Level 1: dumps are written while the program runs; 15 + 16 = a
     * gzip header and trailer. */
    if (deflateInit2(z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        z_free(NULL, z);
        o->error = ENOMEM;
        return;
    }
    o->gz = z;
}

void rm_out_gzip_finish(struct rm_out *o)
{
    z_stream *z = o->gz;
    if (!z)
        return;
    deflate_out(o, Z_FINISH);
    o->len = 0;
    deflateEnd(z);
    z_free(NULL, z);
    o->gz = NULL;
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
