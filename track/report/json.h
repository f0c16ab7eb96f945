/* json.h - JSON string output: always valid JSON whatever the bytes. */
#ifndef RATMEM_TRACK_JSON_H
#define RATMEM_TRACK_JSON_H

#include <stddef.h>
#include "out.h"

/* Write s[0..n) as a quoted JSON string: '"' and '\\' escaped, control bytes
 * (and DEL) as \u00XX, well-formed UTF-8 passed through, every byte of an
 * ill-formed sequence (overlong, surrogate, > U+10FFFF, truncated, stray
 * continuation) replaced by \ufffd. */
void rm_json_string(struct rm_out *o, const char *s, size_t n);
/* The same for a NUL-terminated string; NULL writes null. */
void rm_json_cstr(struct rm_out *o, const char *s);

/* Length of the well-formed UTF-8 sequence at s[0..n), or 0 when ill-formed.
 * s[0] must be >= 0x80. */
size_t rm_utf8_seq(const unsigned char *s, size_t n);

#endif
