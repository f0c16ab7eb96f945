/* launch.c - ratmem [options] [--] program [args...]: run a program under
 * libratmem-preload.so and stay its parent.  See ratmem(1).
 *
 * The launcher turns its options into RATMEM_OPTIONS, puts the shim first
 * in LD_PRELOAD, forks and executes the program, forwards the signals a
 * terminal or a supervisor sends, waits, and gives back the program's
 * status (a terminating signal is raised again on the launcher itself, so
 * the shell sees 130 or 143 as without ratmem).  It is the child subreaper
 * of the tree: orphans (double-forked daemons) are reaped here.
 *
 * Signals: INT, TERM, HUP, QUIT, USR1, USR2 and the dump signal are
 * forwarded to the program when a process sent them (kill(2), si_code
 * SI_USER, SI_QUEUE, SI_TKILL).  A signal the kernel generated for the
 * terminal's foreground process group (Ctrl-C, Ctrl-\, a hang-up: si_code
 * SI_KERNEL) is not: the program is in that group and got it already.
 * Launcher errors exit with 125, as env(1) and timeout(1) do. */
#define _GNU_SOURCE
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include "die.h"
#include "options.h"
#include "cmds.h"
#include "launch.h"
#include "tree.h"

#define LAUNCH_ERROR 125

static const char *prog = "ratmem";

#define die(...) rm_die(LAUNCH_ERROR, prog, __VA_ARGS__)

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static void usage(FILE *to)
{
    fprintf(to,
            "usage: %s [options] [--] program [args...]\n"
            "       %s diff [--by=offset|function] [--frames=N] OLD.json NEW.json\n"
            "       %s report [--format=text|html|pprof|folded] [-o OUT] [--base OLD] FILE...\n"
            "  --wx=MODE            enforce (default), warn or off: writable+executable mappings\n"
            "  --wx-allow=GLOB[,GLOB]  executables matching a GLOB get --wx=warn (e.g. '*/node')\n"
            "  --no-leaks           no leak tracking (zeroing and W^X only)\n"
            "  --no-zero            do not zero allocations\n"
            "  --report=PATH        write the run's leak report to PATH instead of stderr\n"
            "  --json               JSON leak report (format=json)\n"
            "  --reachable          list still-reachable blocks too\n"
            "  --stack-depth=N      frames kept per allocation (1..256)\n"
            "  --exitcode=N         exit with N when any process of the run leaked\n"
            "  --suppressions=FILE  leaks to leave out of the report\n"
            "  --skip=GLOB[,GLOB]   leave matching programs untracked (sh, make, timeout...)\n"
            "  --only=GLOB[,GLOB]   track only matching programs\n"
            "  --dump-signal=SIG    write a heap dump on signal SIG (USR2, USR1, a number...)\n"
            "  --dump=PATH          where heap dumps go (%%p = pid, %%n = dump number)\n"
            "  --sample=SIZE        sampled tracking: one allocation per SIZE bytes on average (512K...)\n"
            "  --profile=PATH       pprof heap profiles, gzip'd (%%p = pid, %%n = profile number)\n"
            "  --profile-interval=SECONDS  a heap profile every SECONDS too (with --profile)\n"
            "  --options=STR        extra RATMEM_OPTIONS (key=value:key=value)\n"
            "  --preload=PATH       the shim to load (default: the installed one, or $RATMEM_PRELOAD)\n"
            "  -h, --help           this help\n"
            "  --version            print the version\n",
            prog, prog, prog);
}

/* ---- RATMEM_OPTIONS ---- */

struct strbuf {
    char *s;
    size_t len, cap;
};

static void sb_add(struct strbuf *b, const char *a, const char *c)
{
    size_t n1 = strlen(a), n2 = c ? strlen(c) : 0;
    if (b->len + n1 + n2 + 2 > b->cap) {
        b->cap = (b->len + n1 + n2 + 2) * 2;
        char *s = realloc(b->s, b->cap);
        if (!s)
            die("out of memory");
        b->s = s;
    }
    if (b->len)
        b->s[b->len++] = ':';
    memcpy(b->s + b->len, a, n1);
    memcpy(b->s + b->len + n1, c, n2);
    b->len += n1 + n2;
    b->s[b->len] = 0;
}

/* The last value of key in a RATMEM_OPTIONS string (NULL: not set), into
 * a new string.  The shim reads the same string with the same rule. */
static char *opt_value(const char *opts, const char *key)
{
    char *found = NULL;
    size_t kl = strlen(key);
    for (const char *p = opts; p && *p;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > kl && memcmp(p, key, kl) == 0 && p[kl] == '=') {
            free(found);
            found = strndup(p + kl + 1, len - kl - 1);
            if (!found)
                die("out of memory");
        }
        if (!end)
            break;
        p = end + 1;
    }
    return found;
}

char *rm_expand_pid(const char *tmpl, pid_t pid, bool *had)
{
    char *out = xmalloc(strlen(tmpl) * 8 + 32);
    size_t n = 0;
    if (had)
        *had = false;
    for (const char *p = tmpl; *p; p++) {
        if (p[0] == '%' && p[1] == 'p') {
            n += (size_t)sprintf(out + n, "%d", (int)pid);
            if (had)
                *had = true;
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            out[n++] = '%';
            p++;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = 0;
    return out;
}

/* Can the run's report be written to path (as the shim checks a report
 * path at start-up)?  NULL when it can, else why not. */
static const char *unwritable(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (S_ISLNK(st.st_mode))
            return strerror(ELOOP);
        if (S_ISDIR(st.st_mode))
            return strerror(EISDIR);
    } else if (errno != ENOENT) {
        return strerror(errno);
    }
    char *dir = strdup(path);
    if (!dir)
        die("out of memory");
    char *slash = strrchr(dir, '/');
    const char *d = !slash ? "." : slash == dir ? "/" : (*slash = 0, dir);
    const char *why = access(d, W_OK | X_OK) != 0 ? strerror(errno) : NULL;
    free(dir);
    return why;
}

/* ---- the shim ---- */

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* An absolute path to the shim: --preload=, else $RATMEM_PRELOAD, else
 * the build tree's (beside this program: ../preload/.libs/), else the
 * installed one. */
static char *find_shim(const char *given)
{
    if (!given || !*given)
        given = getenv("RATMEM_PRELOAD");
    if (given && *given) {
        char *abs = realpath(given, NULL);
        if (!abs || !is_file(abs))
            die("cannot find libratmem-preload.so at %s (set --preload=PATH)", given);
        return abs;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = 0;
            char cand[PATH_MAX + 64];
            snprintf(cand, sizeof cand, "%s/../preload/.libs/libratmem-preload.so", self);
            if (is_file(cand)) {
                char *abs = realpath(cand, NULL);
                if (abs)
                    return abs;
            }
        }
    }
#ifdef RATMEM_SHIM_PATH
    if (is_file(RATMEM_SHIM_PATH))
        return strdup(RATMEM_SHIM_PATH);
#endif
    die("cannot find libratmem-preload.so (set --preload=PATH)");
}

/* ---- signals ---- */

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
#define NFWD (sizeof forwarded / sizeof forwarded[0])

/* Set before the handlers can run (the signals are blocked until then);
 * read by the handler. */
static volatile pid_t child_pid;
static int handled[NFWD + 1];
static size_t nhandled;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    /* The terminal's signals went to its whole foreground process group,
     * the program included. */
    if (si && si->si_code == SI_KERNEL)
        return;
    pid_t c = child_pid;
    if (c > 0) {
        int saved = errno;
        kill(c, sig);
        errno = saved;
    }
}

/* Install the forwarding handler for each signal (and the dump signal),
 * except those the launcher was started with ignored: the program inherits
 * the ignored disposition, as it would without ratmem. */
static void install_handlers(int dump_sig, sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i <= NFWD; i++) {
        int sig = i < NFWD ? forwarded[i] : dump_sig;
        if (sig <= 0 || sigismember(set, sig))
            continue;
        struct sigaction old, sa;
        if (sigaction(sig, NULL, &old) != 0 || old.sa_handler == SIG_IGN)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_signal;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigfillset(&sa.sa_mask);
        if (sigaction(sig, &sa, NULL) == 0) {
            sigaddset(set, sig);
            handled[nhandled++] = sig;
        }
    }
}

/* End the launcher as the program ended: the same exit status, or the
 * same signal (its default action, no second core file). */
static int mirror_status(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (!WIFSIGNALED(status))
        return LAUNCH_ERROR;
    int sig = WTERMSIG(status);
    fflush(NULL);
    struct rlimit nocore = { 0, 0 };
    setrlimit(RLIMIT_CORE, &nocore);
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
    return 128 + sig;   /* a signal whose default action is not to end */
}

/* Reap every child until the program has ended (recording orphans too),
 * then the orphans that have ended meanwhile. */
static void wait_all(struct run *r)
{
    size_t cap = 16;
    r->reaped = xmalloc(cap * sizeof *r->reaped);
    bool done = false;
    for (;;) {
        int st;
        pid_t p = waitpid(-1, &st, done ? WNOHANG : 0);
        if (p < 0 && errno == EINTR)
            continue;
        if (p <= 0)
            break;
        if (!WIFEXITED(st) && !WIFSIGNALED(st))
            continue;
        if (r->nreaped == cap) {
            cap *= 2;
            struct reaped *n = realloc(r->reaped, cap * sizeof *n);
            if (!n)
                die("out of memory");
            r->reaped = n;
        }
        r->reaped[r->nreaped].pid = p;
        r->reaped[r->nreaped].status = st;
        r->nreaped++;
        if (p == r->child) {
            r->status = st;
            done = true;
        }
    }
}

static void run_free(struct run *r)
{
    free(r->report);
    r->report = NULL;
    free(r->reaped);
    r->reaped = NULL;
    r->nreaped = 0;
}

int ratmem_launch_main(int argc, char **argv)
{
    struct strbuf opts = { 0 };
    const char *preload = NULL;
    int dump_sig = 0;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *v;
#define VAL(name) (strncmp(a, name "=", sizeof name) == 0 ? (v = a + sizeof name, 1) : 0)
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (a[0] != '-') {
            break;
        } else if (VAL("--wx")) {
            sb_add(&opts, "wx=", v);
        } else if (VAL("--wx-allow")) {
            sb_add(&opts, "wx_allow=", v);
        } else if (strcmp(a, "--no-leaks") == 0) {
            sb_add(&opts, "leaks=0", NULL);
        } else if (strcmp(a, "--no-zero") == 0) {
            sb_add(&opts, "zero=0", NULL);
        } else if (VAL("--report")) {
            sb_add(&opts, "report=", v);
        } else if (strcmp(a, "--json") == 0) {
            sb_add(&opts, "format=json", NULL);
        } else if (strcmp(a, "--reachable") == 0) {
            sb_add(&opts, "reachable=1", NULL);
        } else if (VAL("--stack-depth")) {
            sb_add(&opts, "stack_depth=", v);
        } else if (VAL("--exitcode")) {
            sb_add(&opts, "exitcode=", v);
        } else if (VAL("--suppressions")) {
            sb_add(&opts, "suppressions=", v);
        } else if (VAL("--skip")) {
            sb_add(&opts, "skip=", v);
        } else if (VAL("--only")) {
            sb_add(&opts, "only=", v);
        } else if (VAL("--dump-signal")) {
            sb_add(&opts, "dump_signal=", v);
        } else if (strcmp(a, "--dump-signal") == 0) {
            if (i + 1 >= argc)
                die("--dump-signal needs a signal");
            sb_add(&opts, "dump_signal=", argv[++i]);
        } else if (VAL("--dump")) {
            sb_add(&opts, "dump=", v);
        } else if (VAL("--sample")) {
            sb_add(&opts, "sample=", v);
        } else if (VAL("--profile")) {
            /* Absolute: the run's processes may change directory. */
            char cwd[PATH_MAX];
            if (v[0] && v[0] != '/' && getcwd(cwd, sizeof cwd)) {
                char *abs = xmalloc(strlen(cwd) + strlen(v) + 2);
                sprintf(abs, "%s/%s", cwd, v);
                sb_add(&opts, "profile=", abs);
                free(abs);
            } else {
                sb_add(&opts, "profile=", v);
            }
        } else if (VAL("--profile-interval")) {
            sb_add(&opts, "profile_interval=", v);
        } else if (VAL("--options")) {
            if (*v)
                sb_add(&opts, v, NULL);
        } else if (VAL("--preload")) {
            preload = v;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("%s %s\n", prog, PACKAGE_VERSION);
            return 0;
        } else {
            usage(stderr);
            die("unknown option: %s", a);
        }
#undef VAL
    }
    if (i >= argc) {
        usage(stderr);
        die("no program given");
    }
    if (opts.s && strchr(opts.s, '\n'))
        die("options must not contain a newline");

    char *shim = find_shim(preload);
    /* RATMEM_OPTIONS from the environment first: the launcher's own
     * options come later and win. */
    struct strbuf all = { 0 };
    const char *env = getenv("RATMEM_OPTIONS");
    if (env && *env)
        sb_add(&all, env, NULL);
    if (opts.s)
        sb_add(&all, opts.s, NULL);
    const char *old = getenv("LD_PRELOAD");
    struct strbuf pre = { 0 };
    pre.s = xmalloc(strlen(shim) + (old ? strlen(old) : 0) + 2);
    sprintf(pre.s, "%s%s%s", shim, old && *old ? ":" : "", old && *old ? old : "");
    free(shim);

    char *ds = opt_value(all.s, "dump_signal");
    if (ds) {
        dump_sig = ratmem_options_signal(ds, strlen(ds));
        free(ds);
    }

    struct run run = { .argv = argv + i };
    /* With tracking on, the processes of the run write their records and
     * reports into a private directory (mode 0700), and the launcher makes
     * the run's documents of them once the program has ended. */
    char *leaks = opt_value(all.s, "leaks");
    bool tracking = !leaks || strcmp(leaks, "0") != 0;
    free(leaks);
    char dirbuf[PATH_MAX];
    if (tracking) {
        const char *tmp = getenv("TMPDIR");
        if (!tmp || !*tmp || strchr(tmp, ':') || strlen(tmp) > PATH_MAX - 64)
            tmp = "/tmp";
        snprintf(dirbuf, sizeof dirbuf, "%s/ratmem-run.XXXXXX", tmp);
        if (!mkdtemp(dirbuf))
            die("cannot create a run directory in %s: %s", tmp, strerror(errno));
        /* Absolute: the processes of the run may change directory. */
        char *abs = realpath(dirbuf, NULL);
        if (abs && strlen(abs) < sizeof dirbuf && !strchr(abs, ':'))
            strcpy(dirbuf, abs);
        free(abs);
        run.dir = dirbuf;
        sb_add(&all, "run_dir=", dirbuf);
        /* The processes write their reports elsewhere when it is full
         * (track/report/run.c): say so once. */
        struct statvfs vfs;
        if (statvfs(dirbuf, &vfs) == 0 &&
            (unsigned long long)vfs.f_bavail * vfs.f_frsize < 4ull << 20)
            fprintf(stderr, "%s: %s is nearly full: the processes' reports may not reach the run's "
                            "report and go to their own files or stderr\n", prog, tmp);
        run.report = opt_value(all.s, "report");
        if (run.report && !*run.report) {
            free(run.report);
            run.report = NULL;
        }
        if (run.report) {
            char *p = rm_expand_pid(run.report, getpid(), NULL);
            const char *why = unwritable(p);
            if (why) {
                fprintf(stderr, "%s: report path %s cannot be written: %s; the report goes to "
                                "stderr\n", prog, p, why);
                free(run.report);
                run.report = NULL;
            }
            free(p);
        }
        char *fmt = opt_value(all.s, "format");
        run.json = fmt && strcmp(fmt, "json") == 0;
        free(fmt);
        char *ec = opt_value(all.s, "exitcode");
        if (ec) {
            char *end;
            long v = strtol(ec, &end, 10);
            run.exitcode = *ec && !*end && v > 0 && v < 256 ? (int)v : 0;
            free(ec);
        }
    }

    if (setenv("LD_PRELOAD", pre.s, 1) != 0 ||
        (all.s && setenv("RATMEM_OPTIONS", all.s, 1) != 0))
        die("cannot set the environment: %s", strerror(errno));
    /* setenv made its own copies. */
    free(pre.s);
    free(all.s);
    free(opts.s);

    /* Orphans of the tree (double-forked daemons) come to the launcher. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);

    sigset_t fwd, oldmask;
    install_handlers(dump_sig, &fwd);
    sigprocmask(SIG_BLOCK, &fwd, &oldmask);
    fflush(NULL);
    /* A failed exec is told through this pipe (closed by a successful
     * one): then the child's line is all the user sees, no summary. */
    int ep[2];
    if (pipe2(ep, O_CLOEXEC) != 0)
        die("cannot make a pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        die("cannot fork: %s", strerror(errno));
    if (pid == 0) {
        close(ep[0]);
        for (size_t k = 0; k < nhandled; k++)
            signal(handled[k], SIG_DFL);
        sigprocmask(SIG_SETMASK, &oldmask, NULL);
        execvp(run.argv[0], run.argv);
        int err = errno;
        fprintf(stderr, "%s: cannot run %s: %s\n", prog, run.argv[0], strerror(err));
        ssize_t w;
        do
            w = write(ep[1], &err, sizeof err);
        while (w < 0 && errno == EINTR);
        _exit(err == ENOENT ? 127 : 126);
    }
    close(ep[1]);
    child_pid = pid;
    run.child = pid;
    sigprocmask(SIG_SETMASK, &oldmask, NULL);
    int exec_err = 0;
    ssize_t got;
    do
        got = read(ep[0], &exec_err, sizeof exec_err);
    while (got < 0 && errno == EINTR);
    close(ep[0]);
    wait_all(&run);
    if (got == (ssize_t)sizeof exec_err) {
        if (run.dir)
            tree_remove_dir(run.dir);
        run_free(&run);
        return mirror_status(run.status);
    }
    /* The program has ended: signals to the launcher now take their
     * default action again. */
    child_pid = 0;
    for (size_t k = 0; k < nhandled; k++)
        signal(handled[k], SIG_DFL);
    if (!run.dir) {
        run_free(&run);
        return mirror_status(run.status);
    }
    struct tree t;
    tree_collect(&run, &t);
    char *path = run.report ? rm_expand_pid(run.report, run.child, NULL) : NULL;
    tree_write(&run, &t, path, run.json);
    summary_print(&run, &t, path);
    tree_remove_dir(run.dir);
    bool leaked = t.leaked > 0;
    tree_free(&t);
    free(path);
    run_free(&run);
    if (leaked && run.exitcode)
        return run.exitcode;
    return mirror_status(run.status);
}
