/*
 * run.c: `nsemu run` (DESIGN §6, docs/cli.md). Sets the environment the library reads
 * from the flags, checks the whole configuration, runs the device program, forwards
 * signals to it, prints the summary of its event log and exits with its status.
 * Single-threaded; the only concurrency is the signal handler, which just forwards.
 *
 * How the configuration is checked. The library reads its configuration in a
 * constructor and exits 2 on an error, and nsemu must neither exit that way nor start
 * the stack thread. So nsemu links the static libnsemu archive, from which the linker
 * takes only the objects nsemu needs — config.c, knobs.c, addr.c and common.c, none
 * with the constructor (stack.c) — and calls config_get() in a forked child, with the
 * environment the program will get. config_get() exits 2 with its one line when
 * something is wrong, and the child's exit status says so; the parent never reads the
 * configuration itself, so nothing is left over in it. Two things differ from the
 * program's environment, so that each error names its source (DESIGN §5):
 *   - the --fault entries are not yet in NSEMU_FAULTS: once config_get() has checked
 *     the scenario and the environment, the child checks each entry with the same
 *     knob table calls (knob_find, knob_set) the library's NSEMU_FAULTS reader uses,
 *     then the link it applies to, reporting "--fault: KEY: ...". Appended after the
 *     environment's entries, they win, as when the library reads them.
 *   - the library's line names the variable (NSEMU_SEED: ...); when a flag set that
 *     variable, the line is given the flag's name instead (--seed: ...).
 * The temporary event log is chosen after the check (whether one is needed depends on
 * the scenario); the library only checks that a log path fits, which a mkstemp path in
 * $TMPDIR does.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "knobs.h"
#include "summary.h"

#define ERR_TEXT_MAX 4096

/* The flags that set a variable of their own (--fault adds to NSEMU_FAULTS). */
enum run_flag { FLAG_SCENARIO, FLAG_SEED, FLAG_LINK, FLAG_PCAP, FLAG_LOG, FLAG_COUNT };

static const struct {
    const char *flag, *variable;
} flag_vars[FLAG_COUNT] = {
    [FLAG_SCENARIO] = {"--scenario", "NSEMU_SCENARIO"},
    [FLAG_SEED] = {"--seed", "NSEMU_SEED"},
    [FLAG_LINK] = {"--link", "NSEMU_LINK"},
    [FLAG_PCAP] = {"--pcap", "NSEMU_PCAP"},
    [FLAG_LOG] = {"--log", "NSEMU_LOG"},
};

struct run_opts {
    const char *value[FLAG_COUNT]; /* NULL: flag not given */
    const char **faults;           /* --fault entries, in order */
    int nfaults;
    char **program; /* PROGRAM ARGS..., NULL-terminated */
};

/* What the check learnt from the configuration, sent from the child to the parent. */
struct checked {
    enum config_link link;
    char log[CONFIG_PATH_MAX];  /* the event log the program will write; "" for none */
    char pcap[CONFIG_PATH_MAX]; /* tap.pcap */
};

/* Signals forwarded to the program (DESIGN §6). */
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static volatile sig_atomic_t program_pid;
static struct sigaction saved_actions[sizeof(forwarded) / sizeof(forwarded[0])];

void cli_run_usage(FILE *out)
{
    fputs("usage: nsemu run [OPTIONS] [--] PROGRAM [ARGS...]\n"
          "\n"
          "Runs PROGRAM, a device program linked with libnsemu, in the scenario the options\n"
          "describe. The scenario, the environment and the options are checked first: a\n"
          "configuration error prints one line and exits 2, and PROGRAM is not started.\n"
          "SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded to PROGRAM;\n"
          "nsemu exits with PROGRAM's exit status (128+N when signal N killed it) after\n"
          "printing a summary of the run's event log on stderr.\n"
          "\n"
          "Each option sets the variable the library reads, over its value in the\n"
          "environment:\n"
          "  --scenario FILE   NSEMU_SCENARIO: the scenario file\n"
          "  --seed N          NSEMU_SEED: seed of every random fault decision\n"
          "  --fault KNOB=V    adds KNOB=V to NSEMU_FAULTS; repeatable, later wins; the value\n"
          "                    cannot contain a comma\n"
          "  --link host|tap   NSEMU_LINK: where the device's sockets live\n"
          "  --pcap FILE       NSEMU_PCAP: capture of the wire (tap link only)\n"
          "  --log FILE        NSEMU_LOG: the event log, kept after the run; without it (and\n"
          "                    without NSEMU_LOG or [emulator] log) a temporary log in\n"
          "                    $TMPDIR or /tmp is used for the summary and removed\n"
          "  -h, --help        this text\n"
          "Options take their value as the next argument or after '=' (--seed=42).\n"
          "\n"
          "example:\n"
          "  nsemu run --scenario flaky.ini --seed 42 --fault udp.loss=0.1 -- ./firmware\n"
          "\n"
          "See docs/cli.md for the summary's lines.\n",
          out);
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("nsemu run: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see nsemu run --help)\n", stderr);
    return CLI_EXIT_USAGE;
}

/* ---- the command line -------------------------------------------------------------- */

/* Matches arg against --name or --name=value. */
static bool match_option(const char *arg, const char *name, const char **inline_value)
{
    size_t n = strlen(name);

    if (strncmp(arg, name, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
        return false;
    *inline_value = arg[n] == '=' ? arg + n + 1 : NULL;
    return true;
}

/* Fills o from argv; returns -1 when all is well, else the exit status. */
static int parse_options(int argc, char **argv, struct run_opts *o)
{
    int i;

    o->faults = calloc((size_t)argc, sizeof(*o->faults));
    if (o->faults == NULL) {
        perror("nsemu run");
        return CLI_EXIT_USAGE;
    }
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *arg = argv[i], *value = NULL;
        int flag;

        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            cli_run_usage(stdout);
            return CLI_EXIT_OK;
        }
        for (flag = 0; flag < FLAG_COUNT; flag++)
            if (match_option(arg, flag_vars[flag].flag, &value))
                break;
        if (flag == FLAG_COUNT && !match_option(arg, "--fault", &value))
            return usage_error("unknown option '%s'", arg);
        if (value == NULL && i + 1 == argc)
            return usage_error("%s needs a value", arg);
        if (value == NULL)
            value = argv[++i];
        if (flag == FLAG_COUNT) {
            o->faults[o->nfaults++] = value;
        } else if (value[0] == '\0') {
            return usage_error("%s needs a value", flag_vars[flag].flag);
        } else {
            o->value[flag] = value;
        }
    }
    if (i == argc)
        return usage_error("%s", "no program to run: nsemu run [OPTIONS] -- PROGRAM [ARGS]");
    o->program = argv + i;
    return -1;
}

/* ---- the check ----------------------------------------------------------------------- */

static void fault_error(const char *key, const char *what) __attribute__((noreturn));

static void fault_error(const char *key, const char *what)
{
    fprintf(stderr, "--fault: %s: %s\n", key, what);
    exit(CLI_EXIT_USAGE);
}

/* One --fault entry, as the library checks an NSEMU_FAULTS entry, and the link it
 * applies to. Exits 2 with one line when it is wrong. */
static void check_fault(const char *item, const struct config *cfg)
{
    const char *eq, *link = cfg->link == CONFIG_LINK_TAP ? "tap" : "host";
    char key[128], why[200];
    unsigned flags;
    int id;

    item += strspn(item, " ");
    eq = strchr(item, '=');
    if (eq == NULL)
        fault_error(item, "expected knob=value");
    snprintf(key, sizeof(key), "%.*s", (int)(eq - item), item);
    if (strchr(eq + 1, ',') != NULL)
        fault_error(key, "a value cannot contain a comma");
    id = knob_find(key);
    if (id < 0)
        fault_error(key, "unknown knob");
    if (!knob_set(id, eq + 1, true, why, sizeof(why)))
        fault_error(key, why);
    flags = knob_defs[id].flags;
    if ((flags & KNOB_HOST) && cfg->link != CONFIG_LINK_HOST) {
        snprintf(why, sizeof(why), "applies to the host link only, and the link is %s", link);
        fault_error(key, why);
    }
    if ((flags & KNOB_TAP) && cfg->link != CONFIG_LINK_TAP) {
        snprintf(why, sizeof(why), "applies to the tap link only, and the link is %s", link);
        fault_error(key, why);
    }
}

/* The child's side: the library's reader, then the --fault entries. */
static void check_in_child(const struct run_opts *o, int result_fd) __attribute__((noreturn));

static void check_in_child(const struct run_opts *o, int result_fd)
{
    const struct config *cfg = config_get(); /* exits 2 on an error */
    struct checked c;

    for (int i = 0; i < o->nfaults; i++)
        check_fault(o->faults[i], cfg);
    memset(&c, 0, sizeof(c));
    c.link = cfg->link;
    snprintf(c.log, sizeof(c.log), "%s", cfg->log);
    knob_text(KNOB_TAP_PCAP, c.pcap, sizeof(c.pcap));
    if (write(result_fd, &c, sizeof(c)) != (ssize_t)sizeof(c))
        _exit(CLI_EXIT_USAGE);
    _exit(CLI_EXIT_OK);
}

static size_t read_all(int fd, void *buf, size_t len)
{
    size_t n = 0;
    ssize_t r;

    while (n < len && ((r = read(fd, (char *)buf + n, len - n)) > 0 || (r < 0 && errno == EINTR)))
        n += r > 0 ? (size_t)r : 0;
    return n;
}

/* Prints the child's error line, with a flag's name where the flag set the variable
 * the line names: "NSEMU_SEED: ..." becomes "--seed: ...", "NSEMU_LINK=host" becomes
 * "--link host". */
static void print_check_error(const struct run_opts *o, const char *text)
{
    char out[2 * ERR_TEXT_MAX];
    size_t n = 0;

    while (*text != '\0' && n + 64 < sizeof(out)) {
        int flag;

        for (flag = 0; flag < FLAG_COUNT; flag++) {
            size_t vlen = strlen(flag_vars[flag].variable);

            if (o->value[flag] != NULL && strncmp(text, flag_vars[flag].variable, vlen) == 0 &&
                (text[vlen] == ':' || text[vlen] == '=')) {
                n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", flag_vars[flag].flag,
                                      text[vlen] == '=' ? " " : "");
                text += vlen + (text[vlen] == '=');
                break;
            }
        }
        if (flag == FLAG_COUNT)
            out[n++] = *text++;
    }
    out[n] = '\0';
    fputs(out, stderr);
}

/* Runs the check in a child; true when the configuration is good. */
static bool check_configuration(const struct run_opts *o, struct checked *c)
{
    int result[2], err[2], status;
    char text[ERR_TEXT_MAX];
    size_t got, len;
    pid_t pid;

    if (pipe2(result, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        perror("nsemu run: pipe");
        return false;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        perror("nsemu run: fork");
        return false;
    }
    if (pid == 0) {
        close(result[0]);
        close(err[0]);
        dup2(err[1], STDERR_FILENO);
        check_in_child(o, result[1]);
    }
    close(result[1]);
    close(err[1]);
    len = read_all(err[0], text, sizeof(text) - 1);
    text[len] = '\0';
    got = read_all(result[0], c, sizeof(*c));
    close(result[0]);
    close(err[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && got == sizeof(*c))
        return true;
    if (len == 0)
        strcpy(text, "nsemu run: the configuration check failed\n");
    print_check_error(o, text);
    return false;
}

/* ---- the environment ------------------------------------------------------------------ */

static bool set_flag_variables(const struct run_opts *o)
{
    for (int flag = 0; flag < FLAG_COUNT; flag++)
        if (o->value[flag] != NULL && setenv(flag_vars[flag].variable, o->value[flag], 1) != 0)
            return false;
    return true;
}

/* NSEMU_FAULTS gets the --fault entries after its own: later wins. */
static bool append_faults(const struct run_opts *o)
{
    const char *env = getenv("NSEMU_FAULTS");
    size_t len = env != NULL ? strlen(env) + 1 : 0;
    char *all, *p;
    bool ok;

    for (int i = 0; i < o->nfaults; i++)
        len += strlen(o->faults[i]) + 1;
    if (o->nfaults == 0)
        return true;
    all = malloc(len + 1);
    if (all == NULL)
        return false;
    p = all;
    if (env != NULL && env[0] != '\0')
        p += sprintf(p, "%s", env);
    for (int i = 0; i < o->nfaults; i++)
        p += sprintf(p, "%s%s", p == all ? "" : ",", o->faults[i]);
    ok = setenv("NSEMU_FAULTS", all, 1) == 0;
    free(all);
    return ok;
}

/* A temporary event log: $TMPDIR (or /tmp)/nsemu-XXXXXX.log, created empty. */
static char *make_temporary_log(void)
{
    const char *dir = getenv("TMPDIR");
    char *path;
    int fd;

    if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
    if (asprintf(&path, "%s/nsemu-XXXXXX.log", dir) < 0)
        return NULL;
    fd = mkostemps(path, 4, O_CLOEXEC);
    if (fd < 0 || strlen(path) >= CONFIG_PATH_MAX) {
        if (fd >= 0) {
            close(fd);
            unlink(path);
        }
        fprintf(stderr, "nsemu run: cannot create a temporary event log in %s: %s\n", dir,
                fd < 0 ? strerror(errno) : "path too long");
        free(path);
        return NULL;
    }
    close(fd);
    return path;
}

/* ---- the program ------------------------------------------------------------------- */

/* The terminal sends SIGINT, SIGQUIT and SIGHUP (si_code SI_KERNEL) to its whole
 * foreground process group, which holds the program already: only signals sent to
 * nsemu alone are passed on, so the program gets each signal once. */
static void forward_signal(int sig, siginfo_t *info, void *context)
{
    (void)context;
    if (info->si_code != SI_KERNEL && program_pid > 0)
        kill((pid_t)program_pid, sig);
}

/* Catches the forwarded signals, except those nsemu was started ignoring (a shell's
 * background job ignores SIGINT): the program inherits those ignored. */
static void install_forwarding(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = forward_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        if (sigaction(forwarded[i], NULL, &saved_actions[i]) == 0 &&
            saved_actions[i].sa_handler != SIG_IGN)
            sigaction(forwarded[i], &sa, NULL);
}

/* Once the program is gone, a signal acts on nsemu itself again. */
static void remove_forwarding(void)
{
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaction(forwarded[i], &saved_actions[i], NULL);
}

/* In the child: the dispositions and mask the program should start with (nsemu's own
 * when it started), then exec. */
static void exec_program(char **program, int error_fd, const sigset_t *mask)
    __attribute__((noreturn));

static void exec_program(char **program, int error_fd, const sigset_t *mask)
{
    int err;

    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) {
        struct sigaction old;

        if (sigaction(forwarded[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            signal(forwarded[i], SIG_DFL);
    }
    sigprocmask(SIG_SETMASK, mask, NULL);
    execvp(program[0], program);
    err = errno;
    if (write(error_fd, &err, sizeof(err)) != (ssize_t)sizeof(err))
        _exit(127);
    _exit(err == ENOENT ? 127 : 126);
}

/* Starts the program and waits for it; returns its wait status, or -1 with *exec_err
 * set when it could not be started. */
static int run_program(char **program, int *exec_err)
{
    sigset_t block, old;
    int errpipe[2], status = -1;
    pid_t pid;

    *exec_err = 0;
    if (pipe2(errpipe, O_CLOEXEC) != 0) {
        *exec_err = errno;
        return -1;
    }
    sigemptyset(&block);
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaddset(&block, forwarded[i]);
    sigprocmask(SIG_BLOCK, &block, &old);
    install_forwarding();
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        close(errpipe[0]);
        exec_program(program, errpipe[1], &old);
    }
    program_pid = pid > 0 ? pid : 0;
    if (pid < 0)
        *exec_err = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(errpipe[1]);
    if (pid > 0 && read_all(errpipe[0], exec_err, sizeof(*exec_err)) != sizeof(*exec_err))
        *exec_err = 0;
    close(errpipe[0]);
    if (pid < 0) {
        remove_forwarding();
        return -1;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    remove_forwarding();
    program_pid = 0;
    return *exec_err != 0 ? -1 : status;
}

/* ---- the end ------------------------------------------------------------------------ */

static int exit_status_of(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

static void print_ending(const char *program, int status)
{
    if (WIFSIGNALED(status)) {
        const char *name = sigabbrev_np(WTERMSIG(status));

        fprintf(stderr, "nsemu: %s was killed by SIG%s (exit status %d)\n", program,
                name != NULL ? name : "?", exit_status_of(status));
    } else {
        fprintf(stderr, "nsemu: %s exited with status %d\n", program, exit_status_of(status));
    }
}

static void print_summary(const struct run_opts *o, const struct checked *c, const char *log,
                          bool temporary)
{
    struct summary s;
    bool readable;

    summary_init(&s);
    readable = summary_read_file(&s, log);
    if (!readable) {
        fprintf(stderr, "nsemu: cannot read the event log %s: %s\n", log, strerror(errno));
    } else if (!s.have_seed && s.events == 0) {
        fprintf(stderr, "nsemu: %s wrote no event log (is it linked with libnsemu?)\n",
                o->program[0]);
    } else {
        summary_print(&s, stderr);
    }
    if (c->link == CONFIG_LINK_TAP && c->pcap[0] == '\0') {
        fputs("nsemu: frames: not captured (no --pcap)\n", stderr);
    } else if (c->link == CONFIG_LINK_TAP) {
        long frames = summary_pcap_frames(c->pcap);

        if (frames < 0)
            fprintf(stderr, "nsemu: frames: cannot read %s\n", c->pcap);
        else
            fprintf(stderr, "nsemu: frames: %ld captured in %s\n", frames, c->pcap);
    }
    if (readable && !temporary)
        fprintf(stderr, "nsemu: event log: %s\n", log);
    summary_free(&s);
}

int cli_run(int argc, char **argv)
{
    struct run_opts o = {0};
    struct checked c;
    char *temporary = NULL;
    int status, exec_err, code = parse_options(argc, argv, &o);

    if (code >= 0)
        goto out;
    code = CLI_EXIT_USAGE;
    if (!set_flag_variables(&o)) {
        perror("nsemu run: setenv");
        goto out;
    }
    if (!check_configuration(&o, &c))
        goto out;
    if (c.log[0] == '\0') {
        temporary = make_temporary_log();
        if (temporary == NULL || setenv("NSEMU_LOG", temporary, 1) != 0)
            goto out_log;
    }
    if (!append_faults(&o)) {
        perror("nsemu run: setenv");
        goto out_log;
    }
    status = run_program(o.program, &exec_err);
    if (status < 0) {
        fprintf(stderr, "nsemu: %s: %s\n", o.program[0], strerror(exec_err));
        code = exec_err == ENOENT ? 127 : 126;
        goto out_log;
    }
    code = exit_status_of(status);
    print_ending(o.program[0], status);
    print_summary(&o, &c, temporary != NULL ? temporary : c.log, temporary != NULL);
out_log:
    if (temporary != NULL)
        unlink(temporary);
    free(temporary);
out:
    free(o.faults);
    return code;
}
