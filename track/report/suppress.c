/* suppress.c - leak suppressions (see suppress.h). */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "fdhigh.h"
#include "mem.h"
#include "out.h"
#include "suppress.h"

#define RM_SUPP_MAX_BYTES ((size_t)1 << 20)
#define RM_SUPP_MAX 4096

struct rm_suppress {
    size_t n;
    size_t bytes;                 /* mapping size of this struct */
    const char *pat[RM_SUPP_MAX];
    char text[];                  /* NUL-separated patterns */
};

struct rm_suppress *rm_suppress_parse(const char *s, size_t n)
{
    if (n > RM_SUPP_MAX_BYTES)
        n = RM_SUPP_MAX_BYTES;
    size_t bytes = sizeof(struct rm_suppress) + n + 1;
    struct rm_suppress *sp = rm_mem_map_scratch(bytes);
    if (!sp)
        return NULL;
    sp->bytes = bytes;
    memcpy(sp->text, s, n);
    sp->text[n] = 0;
    char *p = sp->text, *end = sp->text + n;
    while (p < end && sp->n < RM_SUPP_MAX) {
        char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        *eol = 0;
        char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        char *t = eol;
        while (t > q && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
            *--t = 0;
        if (*q != '#' && strncmp(q, "leak:", 5) == 0 && q[5])
            sp->pat[sp->n++] = q + 5;
        p = eol + 1;
    }
    return sp;
}

struct rm_suppress *rm_suppress_load(const char *path)
{
    if (!path || !*path)
        return NULL;
    int fd = ratmem_fd_open(path, O_RDONLY, 0);
    if (fd < 0) {
        rm_out_line("cannot read suppressions ", path, ": ", strerror(errno), (char *)NULL);
        return NULL;
    }
    char *buf = rm_mem_map_scratch(RM_SUPP_MAX_BYTES);
    size_t n = buf ? ratmem_fd_read_all(fd, buf, RM_SUPP_MAX_BYTES) : 0;
    close(fd);
    struct rm_suppress *sp = buf ? rm_suppress_parse(buf, n) : NULL;
    rm_mem_unmap_scratch(buf, RM_SUPP_MAX_BYTES);
    return sp;
}

bool rm_suppress_match(const struct rm_suppress *sp, const char *function, const char *module)
{
    if (!sp)
        return false;
    for (size_t i = 0; i < sp->n; i++) {
        if (function && strstr(function, sp->pat[i]))
            return true;
        if (module && strstr(module, sp->pat[i]))
            return true;
    }
    return false;
}

size_t rm_suppress_count(const struct rm_suppress *sp)
{
    return sp ? sp->n : 0;
}

void rm_suppress_free(struct rm_suppress *sp)
{
    if (sp)
        rm_mem_unmap_scratch(sp, sp->bytes);
}
