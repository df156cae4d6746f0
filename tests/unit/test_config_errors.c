/*
 * test_config_errors.c: a bad NSEMU_FAULTS stops a device program before main() with
 * exactly one line on stderr naming the variable and the key, and exit status 2
 * (DESIGN §5); a good one sets the knob.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static const char *probe;

struct run {
    int status;
    char out[512], err[512];
};

static void read_all(int fd, char *buf, size_t len)
{
    size_t n = 0;
    ssize_t r;

    while (n + 1 < len && (r = read(fd, buf + n, len - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
}

/* Runs the probe with NSEMU_FAULTS=faults, printing knob. */
static void run_probe(const char *faults, const char *knob, struct run *r)
{
    int out[2], err[2], status;
    pid_t pid;

    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        setenv("NSEMU_FAULTS", faults, 1);
        execl(probe, probe, knob, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    read_all(out[0], r->out, sizeof(r->out));
    read_all(err[0], r->err, sizeof(r->err));
    close(out[0]);
    close(err[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_good_faults_set_the_knob(void **state)
{
    struct run r;

    (void)state;
    run_probe("device.sockets=4, host.port_offset=0", "device.sockets", &r);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "4\n");
    assert_string_equal(r.err, "");
}

static void test_unknown_knob_is_one_line_and_exit_2(void **state)
{
    struct run r;

    (void)state;
    run_probe("device.sockets=4,udp.nonsense=1", "device.sockets", &r);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "NSEMU_FAULTS: udp.nonsense: unknown knob\n");
    assert_string_equal(r.out, "");
}

static void test_out_of_range_value_names_the_key(void **state)
{
    struct run r;

    (void)state;
    run_probe("device.sockets=0", "device.sockets", &r);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err,
                        "NSEMU_FAULTS: device.sockets: '0' is not a whole number from 1 to 1024\n");
}

static void test_entry_without_equals_sign_is_an_error(void **state)
{
    struct run r;

    (void)state;
    run_probe("device.sockets", "device.sockets", &r);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "NSEMU_FAULTS: device.sockets: expected knob=value\n");
}

static void test_bad_address_value_is_an_error(void **state)
{
    struct run r;

    (void)state;
    run_probe("host.address=localhost", "host.address", &r);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "NSEMU_FAULTS: host.address: 'localhost' is not an IPv4 address\n");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_faults_set_the_knob),
        cmocka_unit_test(test_unknown_knob_is_one_line_and_exit_2),
        cmocka_unit_test(test_out_of_range_value_names_the_key),
        cmocka_unit_test(test_entry_without_equals_sign_is_an_error),
        cmocka_unit_test(test_bad_address_value_is_an_error),
    };

    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH_TO_KNOB_PROBE\n", argv[0]);
        return 1;
    }
    probe = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
