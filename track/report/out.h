/* out.h - a buffered writer over write(2) for reports: no stdio (it may be
 * gone at exit), no allocation. */
#ifndef RATMEM_TRACK_OUT_H
#define RATMEM_TRACK_OUT_H

#include <stddef.h>
#include <stdint.h>

struct rm_out {
    int fd;
    int error;          /* first errno of a failed write, 0 if none */
    size_t len;
    char buf[8192];
    void *gz;           /* zlib stream while gzip'ing (rm_out_gzip_start) */
};

void rm_out_init(struct rm_out *o, int fd);
void rm_out_bytes(struct rm_out *o, const char *s, size_t n);
void rm_out_str(struct rm_out *o, const char *s);
void rm_out_u64(struct rm_out *o, uint64_t v);
void rm_out_i64(struct rm_out *o, int64_t v);
void rm_out_hex(struct rm_out *o, uint64_t v);     /* "0x1a2b" */
void rm_out_flush(struct rm_out *o);
/* From now on gzip what is written (zlib, its memory from tracker scratch
 * mappings, never the program's heap); rm_out_gzip_finish ends the gzip
 * stream and writes it out.  A failure sets o->error. */
void rm_out_gzip_start(struct rm_out *o);
void rm_out_gzip_finish(struct rm_out *o);

/* One line on standard error: "ratmem: ", the strings up to the NULL, a
 * newline; written at once.  For messages naming paths (up to
 * RATMEM_PATH_MAX bytes), too long for ratmem_msg's 1 KiB. */
void rm_out_line(const char *first, ...) __attribute__((sentinel));

#endif
