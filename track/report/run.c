/* run.c - the processes of one run (see run.h).
 *
 * Records in the launcher's run directory (run_dir=DIR, mode 0700, made by
 * the launcher), one set per process image, named by ID = "PID-N" (N = 0,
 * 1, ...: the images a process id runs through exec, in order):
 *   ID.start  {"pid", "ppid", "exe", "argv", "start_ms", "forked",
 *              "tracked", "skipped"}      a line written at start-up, and
 *             {"status": N}               a second line when exit() is called
 *   ID.json   the process's own JSON leak report (written as ID.json.tmp
 *             and renamed)                 written at exit, tracked only
 *   reaped    {"pid": P, "wait_status": N} a line for each child that a
 *             process of the run reaped with a wait call (as waitpid(2)
 *             gives it), all processes appending to one file
 * A process that ends otherwise (a signal, _exit, exec) leaves no exit
 * record; the launcher tells these apart.  Every file is opened O_CLOEXEC,
 * O_NOFOLLOW, mode 0600 and closed at once: nothing stays in the program's
 * descriptors.  No allocation: buffers are tracker scratch mappings. */
#define _GNU_SOURCE
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include "fdhigh.h"
#include "json.h"
#include "mem.h"
#include "out.h"
#include "run.h"

/* Owned by this file; written at start-up and in a fork child (each time
 * single-threaded), read afterwards. */
static struct {
    const struct ratmem_options *o;
    bool root;              /* the run's first process */
    bool adopted;           /* root whose parent may not be its own: it
                             * is init or a service manager (systemd),
                             * which adopt the orphans of ended parents */
    bool forked;            /* a fork child (not exec'd since) */
    bool tracked;
    const char *skipped;    /* "skip", "only" or NULL */
    char id[48];            /* "PID-N" in the run directory; "" = none */
    struct timespec start;  /* CLOCK_REALTIME_COARSE, as file times */
    /* Files this process wrote under a claimed plain path (the report
     * written on demand and again at exit). */
    dev_t mine_dev[4];
    ino_t mine_ino[4];
    unsigned nmine;
} rm_run;

#define WORK_CMDLINE 32768
/* Free space the run directory needs for a report to go there. */
#define RUN_MIN_FREE (4ull << 20)

/* Scratch for a record: the writer and the command line. */
struct work {
    struct rm_out out;
    char cmdline[WORK_CMDLINE];
    char path[RATMEM_PATH_MAX + 64];
    char exe[RATMEM_PATH_MAX];
};

static size_t read_file(const char *path, char *buf, size_t cap)
{
    int fd = ratmem_fd_open(path, O_RDONLY, 0);
    if (fd < 0)
        return 0;
    size_t n = ratmem_fd_read_all(fd, buf, cap);
    close(fd);
    return n;
}

/* Whether process pid maps libratmem-preload.so (runs under the shim). */
static bool under_shim(pid_t pid)
{
    static const char needle[] = "libratmem-preload";
    const size_t nl = sizeof needle - 1;
    char path[64], buf[4096 + sizeof needle];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    int fd = ratmem_fd_open(path, O_RDONLY, 0);
    if (fd < 0)
        return false;
    size_t keep = 0;
    bool found = false;
    for (;;) {
        ssize_t k = read(fd, buf + keep, 4096);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        size_t n = keep + (size_t)k;
        if (memmem(buf, n, needle, nl)) {
            found = true;
            break;
        }
        keep = n < nl ? n : nl - 1;
        memmove(buf, buf + n - keep, keep);
    }
    close(fd);
    return found;
}

/* Whether PID may have adopted us rather than started us: init, or a
 * service manager (systemd, system or user instance) that is a child
 * subreaper.  Only such a first process needs the file-time rule of
 * rm_run_claim; a first process whose parent started it is the first of
 * a new run, however soon after the last run it starts (file times are
 * kernel clock ticks, a few milliseconds: a back-to-back run looked like
 * the same run and wrote PATH.PID). */
static bool adopter(pid_t pid)
{
    if (pid == 1)
        return true;
    char path[64], comm[32];
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    size_t n = read_file(path, comm, sizeof comm - 1);
    comm[n] = 0;
    return strcmp(comm, "systemd\n") == 0;
}

/* A GLOB[,GLOB] list against the executable's path and argv[0]: a
 * pattern with a '/' against the full paths, one without against their
 * base names. */
static bool glob_match(const char *list, const char *exe, const char *arg0)
{
    const char *exe_base = strrchr(exe, '/');
    exe_base = exe_base ? exe_base + 1 : exe;
    const char *arg_base = strrchr(arg0, '/');
    arg_base = arg_base ? arg_base + 1 : arg0;
    char pat[RATMEM_PATH_MAX];
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n && n < sizeof pat) {
            memcpy(pat, p, n);
            pat[n] = 0;
            bool full = memchr(pat, '/', n) != NULL;
            const char *a = full ? exe : exe_base, *b = full ? arg0 : arg_base;
            if ((*a && fnmatch(pat, a, 0) == 0) || (*b && fnmatch(pat, b, 0) == 0))
                return true;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return false;
}

static void exe_path(char *buf, size_t cap)
{
    ssize_t k = readlink("/proc/self/exe", buf, cap - 1);
    buf[k > 0 ? (size_t)k : 0] = 0;
}

/* Create dir/name (O_EXCL unless replace), write out's buffer, close. */
/* Open dir/name for writing, flags O_CREAT|O_EXCL (a new record) or
 * O_APPEND (a line added, to a record of this process or the shared
 * "reaped" file: one write(2) of a short line each, whole under O_APPEND;
 * creating few files keeps the cost per process low). */
static int open_record(const char *name, int flags, struct work *w)
{
    int n = snprintf(w->path, sizeof w->path, "%s/%s", rm_run.o->run_dir, name);
    if (n < 0 || (size_t)n >= sizeof w->path)
        return -1;
    int fd;
    do
        fd = ratmem_fd_open(w->path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | flags, 0600);
    while (fd < 0 && errno == EINTR);
    return fd;
}

static void start_record(void)
{
    struct work *w = rm_mem_map_scratch(sizeof *w);
    if (!w)
        return;
    int fd = -1;
    for (int n = 0; n < 64 && fd < 0; n++) {
        char name[64];
        snprintf(rm_run.id, sizeof rm_run.id, "%d-%d", (int)getpid(), n);
        snprintf(name, sizeof name, "%s.start", rm_run.id);
        fd = open_record(name, O_CREAT | O_EXCL, w);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        rm_run.id[0] = 0;
        rm_mem_unmap_scratch(w, sizeof *w);
        return;
    }
    struct rm_out *o = &w->out;
    rm_out_init(o, fd);
    rm_out_str(o, "{\"pid\": ");
    rm_out_u64(o, (uint64_t)getpid());
    rm_out_str(o, ", \"ppid\": ");
    rm_out_u64(o, (uint64_t)getppid());
    rm_out_str(o, ", \"exe\": ");
    exe_path(w->exe, sizeof w->exe);
    rm_json_cstr(o, w->exe);
    rm_out_str(o, ", \"argv\": [");
    size_t n = read_file("/proc/self/cmdline", w->cmdline, sizeof w->cmdline);
    for (size_t i = 0; i < n;) {
        size_t len = strnlen(w->cmdline + i, n - i);
        rm_out_str(o, i ? ", " : "");
        rm_json_string(o, w->cmdline + i, len);
        i += len + 1;
    }
    rm_out_str(o, "], \"start_ms\": ");
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    rm_out_u64(o, (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000);
    rm_out_str(o, rm_run.forked ? ", \"forked\": true" : ", \"forked\": false");
    rm_out_str(o, rm_run.tracked ? ", \"tracked\": true" : ", \"tracked\": false");
    rm_out_str(o, ", \"skipped\": ");
    rm_json_cstr(o, rm_run.skipped);
    rm_out_str(o, "}\n");
    rm_out_flush(o);
    close(fd);
    rm_mem_unmap_scratch(w, sizeof *w);
}

static bool has_pid(const char *tmpl);

bool rm_run_start(const struct ratmem_options *o)
{
    rm_run.o = o;
    clock_gettime(CLOCK_REALTIME_COARSE, &rm_run.start);
    /* Only a file path needs the rule (reports to stderr do not). */
    /* The rule is asked only for a report or dump path of the options
     * without %p (rm_run_claim), and only with leaks=1: otherwise the
     * parent's /proc files are not read (the maps of a large parent cost
     * the kernel more than the rest of a small process's start). */
    bool rule = o->leaks && ((o->report[0] && !has_pid(o->report)) ||
                             (o->dump[0] && !has_pid(o->dump)));
    pid_t ppid = getppid();
    rm_run.root = !rule || !under_shim(ppid);
    rm_run.adopted = rm_run.root && rule && adopter(ppid);
    rm_run.tracked = o->leaks;
    if (o->skip[0] || o->only[0]) {
        struct work *w = rm_mem_map_scratch(sizeof *w);
        if (w) {
            exe_path(w->exe, sizeof w->exe);
            size_t n = read_file("/proc/self/cmdline", w->cmdline, sizeof w->cmdline - 1);
            w->cmdline[n] = 0;
            if (o->skip[0] && glob_match(o->skip, w->exe, w->cmdline))
                rm_run.skipped = "skip";
            else if (o->only[0] && !glob_match(o->only, w->exe, w->cmdline))
                rm_run.skipped = "only";
            rm_mem_unmap_scratch(w, sizeof *w);
        }
        if (rm_run.skipped)
            rm_run.tracked = false;
    }
    if (o->run_dir[0])
        start_record();
    return rm_run.tracked;
}

void rm_run_forked(void)
{
    if (!rm_run.o)
        return;
    rm_run.forked = true;
    rm_run.root = false;
    rm_run.nmine = 0;
    clock_gettime(CLOCK_REALTIME_COARSE, &rm_run.start);
    if (rm_run.o->run_dir[0])
        start_record();
}

void rm_run_exited(int status)
{
    if (!rm_run.o || !rm_run.o->run_dir[0] || !rm_run.id[0])
        return;
    struct work *w = rm_mem_map_scratch(sizeof *w);
    if (!w)
        return;
    char name[64];
    snprintf(name, sizeof name, "%s.start", rm_run.id);
    int fd = open_record(name, O_APPEND, w);
    if (fd >= 0) {
        rm_out_init(&w->out, fd);
        rm_out_str(&w->out, "{\"status\": ");
        rm_out_u64(&w->out, (uint64_t)(status & 0xff));
        rm_out_str(&w->out, "}\n");
        rm_out_flush(&w->out);
        close(fd);
    }
    rm_mem_unmap_scratch(w, sizeof *w);
}

void rm_run_reaped(int pid, int status)
{
    if (!rm_run.o || !rm_run.o->run_dir[0])
        return;
    struct work *w = rm_mem_map_scratch(sizeof *w);
    if (!w)
        return;
    int fd = open_record("reaped", O_CREAT | O_APPEND, w);
    if (fd >= 0) {
        rm_out_init(&w->out, fd);
        rm_out_str(&w->out, "{\"pid\": ");
        rm_out_u64(&w->out, (uint64_t)(unsigned)pid);
        rm_out_str(&w->out, ", \"wait_status\": ");
        rm_out_u64(&w->out, (uint64_t)(unsigned)status);
        rm_out_str(&w->out, "}\n");
        rm_out_flush(&w->out);
        close(fd);
    }
    rm_mem_unmap_scratch(w, sizeof *w);
}

/* tmpl holds "%p" (not "%%p"). */
static bool has_pid(const char *tmpl)
{
    for (const char *p = tmpl; *p; p++)
        if (p[0] == '%') {
            if (p[1] == 'p')
                return true;
            if (p[1])
                p++;
        }
    return false;
}

static bool mine(const struct stat *st)
{
    for (unsigned i = 0; i < rm_run.nmine; i++)
        if (rm_run.mine_dev[i] == st->st_dev && rm_run.mine_ino[i] == st->st_ino)
            return true;
    return false;
}

int rm_run_claim(const char *tmpl, char *path, size_t cap, bool report)
{
    if (!path[0] || has_pid(tmpl))
        return 0;
    /* Under the launcher the plain report path is the tree document's. */
    bool plain = rm_run.root && !(report && rm_run.o && rm_run.o->run_dir[0]);
    struct stat st;
    if (plain && rm_run.adopted && lstat(path, &st) == 0 && !mine(&st) &&
        (st.st_mtim.tv_sec > rm_run.start.tv_sec ||
         (st.st_mtim.tv_sec == rm_run.start.tv_sec &&
          st.st_mtim.tv_nsec >= rm_run.start.tv_nsec)))
        plain = false;   /* another process of this run wrote it */
    if (plain)
        return 0;
    size_t n = strlen(path);
    int k = snprintf(path + n, cap - n, ".%d", (int)getpid());
    return k > 0 && (size_t)k < cap - n ? 0 : -1;
}

void rm_run_wrote(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0 || mine(&st))
        return;
    unsigned i = rm_run.nmine < 4 ? rm_run.nmine++ : 3;
    rm_run.mine_dev[i] = st.st_dev;
    rm_run.mine_ino[i] = st.st_ino;
}

int rm_run_report_open(char *tmp, char *dst, size_t cap)
{
    if (!rm_run.o || !rm_run.o->run_dir[0] || !rm_run.id[0])
        return -1;
    /* A run directory on a full file system ($TMPDIR) would cut the
     * report short: then it goes where it would without the launcher. */
    struct statvfs vfs;
    if (statvfs(rm_run.o->run_dir, &vfs) == 0 &&
        (unsigned long long)vfs.f_bavail * vfs.f_frsize < RUN_MIN_FREE)
        return -1;
    int n = snprintf(dst, cap, "%s/%s.json", rm_run.o->run_dir, rm_run.id);
    if (n < 0 || (size_t)n + 4 >= cap)
        return -1;
    snprintf(tmp, cap, "%s.tmp", dst);
    int fd;
    do
        fd = ratmem_fd_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
    while (fd < 0 && errno == EINTR);
    return fd;
}
