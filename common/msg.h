/* msg.h - messages to stderr that never allocate (a fixed stack buffer and
 * write(2)), safe inside malloc. */
#ifndef RATMEM_COMMON_MSG_H
#define RATMEM_COMMON_MSG_H

/* Write "ratmem: " + the formatted text + "\n" to fd 2 in one write.
 * Longer messages are cut at 1 KiB.  Formats: those of vsnprintf that do
 * not allocate (%s, %d, %u, %zu, %lx, %p, ...; no %ls, no %m). */
void ratmem_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Standard error as the shim found it.  A program started with fd 2 closed
 * has no standard error: any later fd 2 is a file it opened for itself,
 * so ratmem's messages and stderr reports are then dropped, never written
 * into it.  ratmem_stderr_note_start looks once, at the shim's start-up;
 * until then (and in libratmem) fd 2 counts as open. */
void ratmem_stderr_note_start(void);
int ratmem_stderr_usable(void);

/* Write s (len bytes) to fd, retrying short writes and EINTR; nothing to
 * fd 2 when ratmem_stderr_usable() says no. */
void ratmem_write_all(int fd, const char *s, unsigned long len);

#endif
