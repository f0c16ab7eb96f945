/* profile.h - pprof heap profiles from the tracker (profile=PATH): Go's
 * four sample types, estimated from the recorded blocks (sample.h). */
#ifndef RATMEM_TRACK_PROFILE_H
#define RATMEM_TRACK_PROFILE_H

#include <stdint.h>
#include "options.h"

/* The next profile number of this process: 1, 2, ...  Thread-safe. */
uint64_t rm_profile_next_seq(void);
/* A fork child numbers its own profiles from 1 again. */
void rm_profile_reset_child(void);

/* Write profile seq to o->profile ("%n" = seq, "%p" = pid) as PATH.tmp,
 * renamed when complete.  The caller holds the report lock and the report
 * heap (the encoder mallocs).  Returns 0 or an errno value; a failure
 * writes one line on stderr. */
int rm_profile_write(const struct ratmem_options *o, uint64_t seq);

#endif
