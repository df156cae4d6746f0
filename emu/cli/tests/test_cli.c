/*
 * test_cli.c: the nsemu program from outside, as a user runs it (DESIGN §6,
 * docs/cli.md): nsemu run passes the program's exit status through, forwards signals,
 * stops a bad configuration before the program starts with one line naming its source,
 * lets --fault win over the scenario and the environment, prints a summary of the event
 * log and removes the temporary one; --version, --help and doctor.
 *
 * argv[1] is the nsemu program, argv[2] cli_device (a device program). Each test works
 * in a fresh directory of its own under $TMPDIR or /tmp.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_ENV    ((const char *const[]){NULL})
#define ENV(...)  ((const char *const[]){__VA_ARGS__, NULL})

#define OUTPUT_MAX 16384
#define WAIT_MS    10000

static const char *nsemu_path, *device_path;
static char dir[256]; /* this test's directory */

struct result {
    int status; /* exit status; 128+N for signal N */
    char out[OUTPUT_MAX], err[OUTPUT_MAX];
};

/* ---- helpers ------------------------------------------------------------------------ */

static int setup(void **state)
{
    const char *tmp = getenv("TMPDIR");

    (void)state;
    snprintf(dir, sizeof(dir), "%s/nsemu-cli-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    char cmd[300];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* dir/name */
static const char *path_in_dir(const char *name)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];

    snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void read_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static bool exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

/* Starts nsemu ARGS with stdout and stderr going to files in dir. Each env entry is
 * NAME=VALUE to set, or NAME to unset. */
static pid_t start(const char *const *env, const char *const *args)
{
    const char *argv[32];
    int n = 0;
    pid_t pid;

    argv[n++] = nsemu_path;
    for (int i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int out = open(path_in_dir("stdout"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(path_in_dir("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0644);

        if (out < 0 || err < 0 || chdir(dir) != 0)
            _exit(99);
        dup2(out, STDOUT_FILENO);
        dup2(err, STDERR_FILENO);
        for (int i = 0; env[i] != NULL; i++) {
            const char *eq = strchr(env[i], '=');
            char name[128];

            if (eq == NULL) {
                unsetenv(env[i]);
                continue;
            }
            snprintf(name, sizeof(name), "%.*s", (int)(eq - env[i]), env[i]);
            setenv(name, eq + 1, 1);
        }
        execv(nsemu_path, (char *const *)argv);
        _exit(98);
    }
    return pid;
}

static void finish(pid_t pid, struct result *r)
{
    int status;

    assert_int_equal(waitpid(pid, &status, 0), pid);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    read_file(path_in_dir("stdout"), r->out, sizeof(r->out));
    read_file(path_in_dir("stderr"), r->err, sizeof(r->err));
}

static void nsemu(struct result *r, const char *const *env, const char *const *args)
{
    finish(start(env, args), r);
}

static void assert_contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL)
        fail_msg("expected \"%s\" in:\n%s", part, text);
}

static void wait_for_file(const char *path)
{
    struct timespec tick = {.tv_nsec = 5 * 1000 * 1000};

    for (int waited = 0; !exists(path); waited += 5) {
        if (waited >= WAIT_MS)
            fail_msg("%s did not appear", path);
        nanosleep(&tick, NULL);
    }
}

static int count_files(const char *path)
{
    char cmd[600], out[32];
    FILE *p;
    int n;

    snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", path);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(out, sizeof(out), p));
    pclose(p);
    n = atoi(out);
    return n;
}

/* ---- version, help, doctor --------------------------------------------------------- */

static void test_version_prints_name_and_version(void **state)
{
    struct result r;

    (void)state;
    nsemu(&r, NO_ENV, ARGS("--version"));
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "nsemu " NSEMU_VERSION "\n");
    assert_string_equal(r.err, "");
}

static void test_nsemu_ignores_a_broken_configuration_in_its_own_environment(void **state)
{
    struct result r;

    (void)state;
    nsemu(&r, ENV("NSEMU_SCENARIO=/nonexistent/broken.ini", "NSEMU_FAULTS=nonsense"),
          ARGS("--version"));
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "nsemu " NSEMU_VERSION "\n");
    assert_string_equal(r.err, "");
}

static void test_help_lists_commands_and_options(void **state)
{
    struct result r;

    (void)state;
    nsemu(&r, NO_ENV, ARGS("--help"));
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "usage: nsemu COMMAND");
    assert_contains(r.out, "  run ");
    assert_contains(r.out, "  doctor ");
    assert_contains(r.out, "--version");
    assert_string_equal(r.err, "");
}

static void test_run_help_lists_every_option(void **state)
{
    static const char *const options[] = {"--scenario FILE", "--seed N",    "--fault KNOB=V",
                                          "--link host|tap", "--pcap FILE", "--log FILE",
                                          "--help"};
    struct result r, again;

    (void)state;
    nsemu(&r, NO_ENV, ARGS("run", "--help"));
    assert_int_equal(r.status, 0);
    assert_contains(r.out, "usage: nsemu run [OPTIONS] [--] PROGRAM [ARGS...]");
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
        assert_contains(r.out, options[i]);
    nsemu(&again, NO_ENV, ARGS("help", "run"));
    assert_int_equal(again.status, 0);
    assert_string_equal(again.out, r.out);
}

static void test_no_command_or_an_unknown_one_is_a_usage_error(void **state)
{
    struct result r;

    (void)state;
    nsemu(&r, NO_ENV, ARGS(NULL));
    assert_int_equal(r.status, 2);
    assert_contains(r.err, "usage: nsemu COMMAND");
    nsemu(&r, NO_ENV, ARGS("frobnicate"));
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "nsemu: unknown command 'frobnicate' (see nsemu --help)\n");
}

static void test_doctor_reports_each_need_and_exits_0(void **state)
{
    static const char *const rows[] = {"host link",     "root",          "/dev/net/tun",
                                       "CAP_NET_ADMIN", "CAP_SYS_ADMIN", "namespaces",
                                       "libpcap",       "kernel",        "tap link"};
    struct result r;

    (void)state;
    nsemu(&r, ENV("NSEMU_SCENARIO=/nonexistent/broken.ini"), ARGS("doctor"));
    assert_int_equal(r.status, 0);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_contains(r.out, rows[i]);
    assert_contains(r.out, geteuid() == 0 ? "works here (--link tap" : "needs: ");
    assert_string_equal(r.err, "");
}

/* ---- exit status and signals ------------------------------------------------------- */

static void test_run_passes_the_exit_status_through(void **state)
{
    struct result r;

    (void)state;
    nsemu(&r, NO_ENV, ARGS("run", "--", "/bin/sh", "-c", "exit 3"));
    assert_int_equal(r.status, 3);
    assert_contains(r.err, "nsemu: /bin/sh exited with status 3\n");
    assert_contains(r.err, "nsemu: /bin/sh wrote no event log (is it linked with libnsemu?)\n");
    nsemu(&r, NO_ENV, ARGS("run", "--", device_path, "exit", "5"));
    assert_int_equal(r.status, 5);
    assert_contains(r.err, "exited with status 5\n");
}

static void test_run_finds_the_program_on_the_path(void **state)
{
    struct result r;

    (void)state;
    nsemu(&r, ENV("PATH=/usr/bin:/bin"), ARGS("run", "sh", "-c", "exit 4"));
    assert_int_equal(r.status, 4);
}

static void test_run_reports_death_by_signal_as_128_plus_the_signal(void **state)
{
    struct result r;

    (void)state;
    nsemu(&r, NO_ENV, ARGS("run", "--", "/bin/sh", "-c", "kill -KILL $$"));
    assert_int_equal(r.status, 128 + SIGKILL);
    assert_contains(r.err, "nsemu: /bin/sh was killed by SIGKILL (exit status 137)\n");
}

static void test_run_of_a_missing_program_exits_127(void **state)
{
    struct result r;

    (void)state;
    nsemu(&r, NO_ENV, ARGS("run", "--", "/nonexistent/firmware"));
    assert_int_equal(r.status, 127);
    assert_string_equal(r.err, "nsemu: /nonexistent/firmware: No such file or directory\n");
}

/* The program traps sig, says it is ready, and when sig comes writes a file and exits
 * with status 7. */
static void check_signal_is_forwarded(int sig, const char *name)
{
    char script[600], caught[64];
    struct result r;
    pid_t pid;

    snprintf(script, sizeof(script),
             "trap 'echo caught > caught; kill $sleeper; exit 7' %s; "
             "sleep 30 & sleeper=$!; echo > ready; wait",
             name);
    pid = start(NO_ENV, ARGS("run", "--", "/bin/sh", "-c", script));
    wait_for_file(path_in_dir("ready"));
    assert_int_equal(kill(pid, sig), 0);
    finish(pid, &r);
    assert_int_equal(r.status, 7);
    read_file(path_in_dir("caught"), caught, sizeof(caught));
    assert_string_equal(caught, "caught\n");
}

static void test_run_forwards_sigterm_to_the_program(void **state)
{
    (void)state;
    check_signal_is_forwarded(SIGTERM, "TERM");
}

static void test_run_forwards_sigusr1_to_the_program(void **state)
{
    (void)state;
    check_signal_is_forwarded(SIGUSR1, "USR1");
}

/* ---- configuration errors ----------------------------------------------------------- */

/* nsemu run with a program that would create dir/started: it must not start. */
static void run_not_started(struct result *r, const char *const *env, const char *const *args)
{
    const char *argv[24];
    int n = 0;

    argv[n++] = "run";
    for (int i = 0; args[i] != NULL; i++)
        argv[n++] = args[i];
    argv[n++] = "--";
    argv[n++] = "/bin/sh";
    argv[n++] = "-c";
    argv[n++] = "touch started";
    argv[n] = NULL;
    nsemu(r, env, argv);
    assert_false(exists(path_in_dir("started")));
    assert_string_equal(r->out, "");
}

static void test_bad_scenario_stops_the_run_before_the_program_starts(void **state)
{
    char expected[600];
    struct result r;

    (void)state;
    write_file(path_in_dir("bad.ini"), "[device]\nsockets = 0\n");
    run_not_started(&r, NO_ENV, ARGS("--scenario", path_in_dir("bad.ini")));
    assert_int_equal(r.status, 2);
    snprintf(expected, sizeof(expected),
             "%s:2: sockets: '0' is not a whole number from 1 to 1024\n", path_in_dir("bad.ini"));
    assert_string_equal(r.err, expected);
}

static void test_missing_scenario_stops_the_run(void **state)
{
    struct result r;

    (void)state;
    run_not_started(&r, NO_ENV, ARGS("--scenario=/nonexistent/s.ini"));
    assert_int_equal(r.status, 2);
    assert_int_equal(strchr(r.err, '\n') - r.err + 1, (long)strlen(r.err)); /* one line */
    assert_contains(r.err, "/nonexistent/s.ini: ");
}

static void test_bad_environment_faults_are_named_by_the_variable(void **state)
{
    struct result r;

    (void)state;
    run_not_started(&r, ENV("NSEMU_FAULTS=udp.nonsense=1"), ARGS("--fault", "udp.loss=0.1"));
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "NSEMU_FAULTS: udp.nonsense: unknown knob\n");
}

static void test_bad_fault_flags_are_named_by_the_flag(void **state)
{
    static const struct {
        const char *fault, *err;
    } cases[] = {
        {"device.sockets=0", "--fault: device.sockets: '0' is not a whole number from 1 to 1024\n"},
        {"udp.nonsense=1", "--fault: udp.nonsense: unknown knob\n"},
        {"udp.loss=0.1,udp.dup=0.2", "--fault: udp.loss: a value cannot contain a comma\n"},
        {"udp.loss", "--fault: udp.loss: expected knob=value\n"},
        {"frame.loss=0.1",
         "--fault: frame.loss: applies to the tap link only, and the link is host\n"},
        {"udp.loss=2", NULL},
    };
    struct result r;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_not_started(&r, NO_ENV, ARGS("--fault", "udp.dup=0.5", "--fault", cases[i].fault));
        assert_int_equal(r.status, 2);
        if (cases[i].err != NULL)
            assert_string_equal(r.err, cases[i].err);
        else
            assert_true(strncmp(r.err, "--fault: udp.loss: ", 19) == 0);
    }
}

static void test_scenario_errors_come_before_fault_flag_errors(void **state)
{
    struct result r;

    (void)state;
    write_file(path_in_dir("bad.ini"), "[nonsense]\n");
    run_not_started(&r, NO_ENV,
                    ARGS("--fault", "udp.nonsense=1", "--scenario", path_in_dir("bad.ini")));
    assert_int_equal(r.status, 2);
    assert_true(strncmp(r.err, path_in_dir("bad.ini"), strlen(path_in_dir("bad.ini"))) == 0);
}

static void test_bad_seed_link_and_pcap_flags_are_named_by_the_flag(void **state)
{
    static const struct {
        const char *flag, *value, *err;
    } cases[] = {
        {"--seed", "abc", "--seed: 'abc' is not a whole number from 0 to 18446744073709551615\n"},
        {"--link", "wire", "--link: 'wire' is not host or tap\n"},
        {"--pcap", "x.pcap", "--pcap: applies to the tap link only, and the link is host\n"},
    };
    struct result r;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_not_started(&r, NO_ENV, ARGS(cases[i].flag, cases[i].value));
        assert_int_equal(r.status, 2);
        assert_string_equal(r.err, cases[i].err);
    }
    /* The same from the environment keeps the variable's name. */
    run_not_started(&r, ENV("NSEMU_SEED=abc"), ARGS("--fault", "udp.loss=0"));
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err,
                        "NSEMU_SEED: 'abc' is not a whole number from 0 to 18446744073709551615\n");
}

/* Without the capabilities the tap link needs, --link tap is a configuration error that
 * names what is missing (DESIGN §3). Root drops them with setpriv's bounding set. */
static void test_link_tap_without_capabilities_is_refused(void **state)
{
    char cmd[1200], out[600] = "";
    size_t n;
    FILE *p;

    (void)state;
    if (access("/usr/bin/setpriv", X_OK) != 0)
        skip();
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && /usr/bin/setpriv --bounding-set=-net_admin,-sys_admin '%s' run "
             "--link tap -- /bin/sh -c 'touch started' 2>&1; echo status=$?",
             path_in_dir("."), nsemu_path);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    pclose(p);
    assert_string_equal(out, "--link: the tap link needs CAP_NET_ADMIN and CAP_SYS_ADMIN (run as "
                             "root); see nsemu doctor, or use --link host\nstatus=2\n");
    assert_false(exists(path_in_dir("started")));
}

static void test_run_usage_errors_exit_2(void **state)
{
    struct result r;

    (void)state;
    nsemu(&r, NO_ENV, ARGS("run"));
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "nsemu run: no program to run: nsemu run [OPTIONS] -- PROGRAM "
                               "[ARGS] (see nsemu run --help)\n");
    nsemu(&r, NO_ENV, ARGS("run", "--bogus", "--", "/bin/true"));
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "nsemu run: unknown option '--bogus' (see nsemu run --help)\n");
    nsemu(&r, NO_ENV, ARGS("run", "--seed"));
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "nsemu run: --seed needs a value (see nsemu run --help)\n");
}

/* ---- precedence --------------------------------------------------------------------- */

static void knob_in_run(struct result *r, const char *const *env, const char *const *flags)
{
    const char *argv[24];
    int n = 0;

    argv[n++] = "run";
    for (int i = 0; flags[i] != NULL; i++)
        argv[n++] = flags[i];
    argv[n++] = "--";
    argv[n++] = device_path;
    argv[n++] = "knob";
    argv[n++] = "udp.loss";
    argv[n] = NULL;
    nsemu(r, env, argv);
    assert_int_equal(r->status, 0);
}

static void test_fault_flag_wins_over_scenario_and_environment(void **state)
{
    const char *scenario = path_in_dir("loss.ini");
    struct result r;

    (void)state;
    write_file(scenario, "[faults]\nudp.loss = 0.5\n");
    knob_in_run(&r, NO_ENV, ARGS("--scenario", scenario));
    assert_string_equal(r.out, "0.5\n");
    knob_in_run(&r, ENV("NSEMU_FAULTS=dns.resolv_conf=,udp.loss=0.25"),
                ARGS("--scenario", scenario));
    assert_string_equal(r.out, "0.25\n");
    knob_in_run(&r, ENV("NSEMU_FAULTS=dns.resolv_conf=,udp.loss=0.25"),
                ARGS("--scenario", scenario, "--fault", "udp.loss=0.75"));
    assert_string_equal(r.out, "0.75\n");
    knob_in_run(&r, NO_ENV, ARGS("--fault", "udp.loss=0.1", "--fault=udp.loss=0.2"));
    assert_string_equal(r.out, "0.2\n");
}

static void test_run_sets_the_variables_from_the_flags(void **state)
{
    struct result r;

    (void)state;
    write_file(path_in_dir("empty.ini"), "");
    nsemu(&r, ENV("NSEMU_FAULTS=dns.resolv_conf="),
          ARGS("run", "--scenario", "empty.ini", "--seed", "42", "--link", "host", "--log",
               "run.log", "--fault", "udp.dup=0.5", "--", "/bin/sh", "-c",
               "echo \"$NSEMU_SCENARIO|$NSEMU_SEED|$NSEMU_LINK|$NSEMU_LOG|$NSEMU_FAULTS\""));
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "empty.ini|42|host|run.log|dns.resolv_conf=,udp.dup=0.5\n");
}

/* ---- the summary and the event log -------------------------------------------------- */

static void test_summary_lists_the_faults_of_a_run(void **state)
{
    struct result r;

    (void)state;
    nsemu(&r, NO_ENV,
          ARGS("run", "--seed", "7", "--fault", "udp.loss=1", "--", device_path, "udp", "5"));
    assert_int_equal(r.status, 0);
    assert_contains(r.err, "exited with status 0\n"
                           "nsemu: seed 7 (replay with --seed 7)\n"
                           "nsemu: started with: dns.resolv_conf=, udp.loss=1\n"
                           "nsemu: faults: udp.loss 5\n"
                           "nsemu: dhcp: lease 1\n"
                           "nsemu: sockets: 2 opened (tcp 1, udp 1), 1 left open: sock=2 (tcp)\n");
    assert_null(strstr(r.err, "nsemu: event log:"));
}

static void test_summary_without_faults_says_none(void **state)
{
    struct result r;

    (void)state;
    nsemu(&r, NO_ENV, ARGS("run", "--", device_path, "udp", "2"));
    assert_int_equal(r.status, 0);
    assert_contains(r.err, "nsemu: faults: none\n");
}

static void test_temporary_log_is_used_then_removed(void **state)
{
    const char *tmp = path_in_dir("tmp");
    char env[600], prefix[600];
    struct result r;

    (void)state;
    assert_int_equal(mkdir(tmp, 0700), 0);
    snprintf(env, sizeof(env), "TMPDIR=%s", tmp);
    nsemu(
        &r, ENV(env, "NSEMU_LOG"),
        ARGS("run", "--", "/bin/sh", "-c", "echo \"$NSEMU_LOG\"; exec \"$0\" udp 1", device_path));
    assert_int_equal(r.status, 0);
    snprintf(prefix, sizeof(prefix), "%s/nsemu-", tmp);
    assert_true(strncmp(r.out, prefix, strlen(prefix)) == 0);
    assert_non_null(strstr(r.out, ".log\n"));
    assert_contains(r.err, "nsemu: sockets: 2 opened"); /* the log was there to read */
    assert_int_equal(count_files(tmp), 0);
}

static void test_log_flag_keeps_the_log(void **state)
{
    char log[4096];
    struct result r;

    (void)state;
    nsemu(&r, NO_ENV,
          ARGS("run", "--log", "run.log", "--seed", "9", "--", device_path, "udp", "1"));
    assert_int_equal(r.status, 0);
    assert_contains(r.err, "nsemu: event log: run.log\n");
    read_file(path_in_dir("run.log"), log, sizeof(log));
    assert_true(strncmp(log, "nsemu " NSEMU_VERSION " seed=9\n",
                        strlen("nsemu " NSEMU_VERSION " seed=9\n")) == 0);
    assert_contains(log, " sock=1 open udp\n");
    assert_contains(log, " sock=1 close\n");
    assert_contains(log, " sock=2 open tcp\n");
}

static void test_a_log_the_scenario_names_is_used_and_kept(void **state)
{
    struct result r;

    (void)state;
    write_file(path_in_dir("log.ini"), "[emulator]\nlog = scenario.log\n");
    nsemu(&r, ENV("NSEMU_LOG"),
          ARGS("run", "--scenario", "log.ini", "--", "/bin/sh", "-c",
               "echo \"${NSEMU_LOG:-unset}\"; exec \"$0\" udp 1", device_path));
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "unset\n");
    assert_true(exists(path_in_dir("scenario.log")));
    assert_contains(r.err, "nsemu: event log: scenario.log\n");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_version_prints_name_and_version, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_nsemu_ignores_a_broken_configuration_in_its_own_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_lists_commands_and_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_help_lists_every_option, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_command_or_an_unknown_one_is_a_usage_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_doctor_reports_each_need_and_exits_0, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_passes_the_exit_status_through, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_finds_the_program_on_the_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_reports_death_by_signal_as_128_plus_the_signal,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_of_a_missing_program_exits_127, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_forwards_sigterm_to_the_program, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_forwards_sigusr1_to_the_program, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_scenario_stops_the_run_before_the_program_starts,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_scenario_stops_the_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_environment_faults_are_named_by_the_variable,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_fault_flags_are_named_by_the_flag, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_scenario_errors_come_before_fault_flag_errors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_seed_link_and_pcap_flags_are_named_by_the_flag,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_tap_without_capabilities_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_run_usage_errors_exit_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_flag_wins_over_scenario_and_environment, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_run_sets_the_variables_from_the_flags, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_summary_lists_the_faults_of_a_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summary_without_faults_says_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_temporary_log_is_used_then_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_flag_keeps_the_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_log_the_scenario_names_is_used_and_kept, setup,
                                        teardown),
    };

    if (argc != 3) {
        fprintf(stderr, "usage: test_cli NSEMU CLI_DEVICE\n");
        return 2;
    }
    /* Absolute: each test runs nsemu in its own directory. */
    nsemu_path = realpath(argv[1], NULL);
    device_path = realpath(argv[2], NULL);
    if (nsemu_path == NULL || device_path == NULL) {
        perror("test_cli: realpath");
        return 2;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
