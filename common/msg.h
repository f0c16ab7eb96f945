/* msg.h - messages to stderr that never allocate (a fixed stack buffer and
 * write(2)), safe inside malloc. */
#ifndef RATMEM_COMMON_MSG_H
#define RATMEM_COMMON_MSG_H

/* Write "ratmem: " + the formatted text + "\n" to fd 2 in one write.
 * Longer messages are cut at 1 KiB.  Formats: those of vsnprintf that do
 * not allocate (%s, %d, %u, %zu, %lx, %p, ...; no %ls, no %m). */
void ratmem_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write s (len bytes) to fd, retrying short writes and EINTR. */
void ratmem_write_all(int fd, const char *s, unsigned long len);

#endif
