/* suppress.h - leak suppressions: lines "leak:SUBSTRING" ('#' comments). */
#ifndef RATMEM_TRACK_SUPPRESS_H
#define RATMEM_TRACK_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>

struct rm_suppress;

/* Read the file at path (NULL or "" = none).  On an unreadable file, one
 * line on stderr and an empty list.  No allocation (scratch mappings). */
struct rm_suppress *rm_suppress_load(const char *path);
/* Parse the text s[0..n) (tests). */
struct rm_suppress *rm_suppress_parse(const char *s, size_t n);
/* Whether a frame with this function (may be NULL) or module matches. */
bool rm_suppress_match(const struct rm_suppress *sp, const char *function, const char *module);
size_t rm_suppress_count(const struct rm_suppress *sp);
void rm_suppress_free(struct rm_suppress *sp);

#endif
