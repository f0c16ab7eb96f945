/* pprof/encode.h - build a pprof profile (profile.proto) from plain C
 * structs and write it gzip'd.
 *
 * Shared by `ratmem report --format=pprof` and the shim's sampled heap
 * profiles.  The encoder only calls malloc and free (never realloc, never
 * stdio): inside the shim it runs on the reporting thread while the report
 * heap (track/report/rheap.c) serves that thread's malloc.  Output goes to a file
 * descriptor with write(2), to a caller buffer, or to a malloc'd buffer.
 *
 * Usage:
 *     static const struct rm_pprof_type types[] = {
 *         { "inuse_objects", "count" }, { "inuse_space", "bytes" } };
 *     struct rm_pprof *p = rm_pprof_new(types, 2);
 *     rm_pprof_add_sample(p, (int64_t[]){ 3, 48 }, frames, nframes, NULL, 0);
 *     rm_pprof_write_fd(p, fd);
 *     rm_pprof_free(p);
 *
 * Strings are copied when added: the caller's strings need to live only
 * for the call.  Profiles hold UTF-8 only (proto3 strings; pprof refuses
 * others): each byte of an ill-formed sequence becomes U+FFFD.  Functions, locations, mappings and strings are
 * deduplicated inside: adding the same frame twice makes one location.
 * Every function returns 0 on success and -1 with errno set on failure
 * (ENOMEM, EINVAL for a bad argument, ENOBUFS for a caller buffer that is
 * too small, or write(2)'s errno); a failed add leaves the profile as it
 * was before the call.  A profile is not thread-safe: one thread at a time.
 */
#ifndef RATMEM_PPROF_ENCODE_H
#define RATMEM_PPROF_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A sample type or the period type: a name and a unit, e.g.
 * { "inuse_space", "bytes" }, { "leaked_objects", "count" }. */
struct rm_pprof_type {
    const char *type;
    const char *unit;
};

/* One stack frame.  Any string may be NULL (unknown).  pc is the
 * location's address: for a return address, pass it less 1 (and offset
 * less 1), a call PC inside the call instruction, as Go's profiles do, so
 * that pprof's own symbolization (of frames without names, -disasm)
 * finds the call's line, not the next one.  pc and offset
 * together give the module's load address (pc - offset), which becomes
 * the mapping's memory_start; module and build_id name the mapping
 * (build_id in hex, as pprof and `file` print the GNU build-id note).
 * line 0 means unknown. */
struct rm_pprof_frame {
    uint64_t pc;
    const char *module;
    const char *build_id;
    uint64_t offset;
    const char *function;
    const char *file;
    int64_t line;
    /* Optional: the mapped segment that holds pc as a line of
     * /proc/PID/maps gives it (start, end, file offset).  pprof's local
     * symbolizer (and Parca's, which follows it) picks the ELF segment, and
     * so the address arithmetic, from these: used when map_start <= pc <
     * map_limit.  Left 0, the mapping starts at pc - offset with file
     * offset 0 and ends past the highest pc seen. */
    uint64_t map_start, map_limit, map_offset;
};

/* A label on a sample: key with either a string (str != NULL) or a
 * number (num, with an optional unit such as "bytes"). */
struct rm_pprof_label {
    const char *key;
    const char *str;
    int64_t num;
    const char *num_unit;
};

struct rm_pprof;

/* A new, empty profile whose samples carry ntypes values, types[i]
 * describing values[i] (1 <= ntypes <= 16).  NULL with errno on failure. */
struct rm_pprof *rm_pprof_new(const struct rm_pprof_type *types, size_t ntypes);

/* Release everything; NULL is a no-op. */
void rm_pprof_free(struct rm_pprof *p);

/* The period: the kind of events between samples and their number
 * (e.g. { "space", "bytes" }, 524288 for a sampled heap profile). */
int rm_pprof_set_period(struct rm_pprof *p, struct rm_pprof_type period_type, int64_t period);

/* Collection time in ns since the epoch (UTC), and duration in ns (0 = none). */
int rm_pprof_set_time(struct rm_pprof *p, int64_t time_nanos, int64_t duration_nanos);

/* The sample type pprof shows by default (one of the types' names). */
int rm_pprof_set_default_type(struct rm_pprof *p, const char *type);

/* The main program's path: its mapping is listed first (pprof takes
 * mapping[0] as the main binary).  Without it, the first module seen is. */
int rm_pprof_set_main(struct rm_pprof *p, const char *module);

/* A free-form line shown by pprof (e.g. "sampling rate 524288 bytes"). */
int rm_pprof_add_comment(struct rm_pprof *p, const char *text);

/* One sample: values[ntypes], frames[0] the leaf (the allocation site),
 * frames[nframes-1] the outermost caller; labels may be NULL when
 * nlabels is 0.  nframes may be 0 (an unknown stack). */
int rm_pprof_add_sample(struct rm_pprof *p, const int64_t *values,
                        const struct rm_pprof_frame *frames, size_t nframes,
                        const struct rm_pprof_label *labels, size_t nlabels);

/* Samples added so far. */
size_t rm_pprof_samples(const struct rm_pprof *p);

/* The gzip'd profile into a new malloc'd buffer (*out, *len); the caller
 * frees *out. */
int rm_pprof_encode(struct rm_pprof *p, unsigned char **out, size_t *len);

/* The gzip'd profile into buf[cap]; *len receives its size.  ENOBUFS when
 * it does not fit (*len is then 0 and buf's contents are undefined). */
int rm_pprof_write_buf(struct rm_pprof *p, void *buf, size_t cap, size_t *len);

/* The gzip'd profile written to fd (write(2), retried on EINTR and short
 * writes).  On failure part of it may have been written. */
int rm_pprof_write_fd(struct rm_pprof *p, int fd);

#ifdef __cplusplus
}
#endif

#endif
