/* nulltrack.c - placeholder tracker so the shim builds until the tracker
 * is merged; it tracks nothing and reports nothing. */
#include "config.h"
#include "track.h"
void ratmem_track_init(const struct ratmem_options *opts) { (void)opts; }
void ratmem_track_alloc(void *p, size_t size) { (void)p; (void)size; }
void ratmem_track_free(void *p) { (void)p; }
void ratmem_track_realloc(void *old, void *p, size_t size) { (void)old; (void)p; (void)size; }
int ratmem_track_report(const char *path, bool *leaks_found) { (void)path; if (leaks_found) *leaks_found = false; return 0; }
void ratmem_track_atfork_prepare(void) {}
void ratmem_track_atfork_parent(void) {}
void ratmem_track_atfork_child(void) {}
