/* vgmaps.c - preloaded (with LD_PRELOAD) into a program that compare.py
 * runs under valgrind: copies /proc/self/maps to $RATMEM_VG_MAPS.PID when
 * the program starts and again when it exits, so that valgrind's absolute
 * frame addresses can be turned into module + offset, as ratmem reports
 * them.  It allocates nothing (a stack buffer and plain system calls), so
 * valgrind's leak report of the program is unchanged. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static void copy_maps(void)
{
    const char *base = getenv("RATMEM_VG_MAPS");
    if (!base || !*base)
        return;
    char path[4096];
    size_t n = 0;
    while (base[n] && n < sizeof path - 32) {
        path[n] = base[n];
        n++;
    }
    path[n++] = '.';
    char digits[24];
    int k = 0;
    for (unsigned long pid = (unsigned long)getpid(); pid || !k; pid /= 10)
        digits[k++] = (char)('0' + pid % 10);
    while (k)
        path[n++] = digits[--k];
    path[n] = 0;
    int in = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return;
    int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out >= 0) {
        char buf[8192];
        ssize_t r;
        while ((r = read(in, buf, sizeof buf)) > 0)
            if (write(out, buf, (size_t)r) != r)
                break;
        close(out);
    }
    close(in);
}

__attribute__((constructor)) static void at_start(void)
{
    copy_maps();
}

__attribute__((destructor)) static void at_exit(void)
{
    copy_maps();
}
