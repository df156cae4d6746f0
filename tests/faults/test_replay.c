/*
 * test_replay.c: replay (DESIGN §5). Every random fault decision comes from the seed,
 * so two runs of the same device behaviour with one seed give the same event log once
 * the t= fields are removed, and another seed gives another log; the log's first line
 * records the seed; without a log, a random fault that is on prints the seed once on
 * stderr, and nothing else is printed.
 *
 * The runs are children: this program started again with `child MODE PORT` and an
 * environment of the test's choosing (the library reads it before main). In mode
 * `exchange` the device sends 100 numbered datagrams through udp.loss, udp.dup and
 * udp.reorder to a POSIX peer on PORT (the same in every run, so the log's peer
 * addresses match), the peer echoes what it got, and the device reads until silence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "faults_support.h"
#include "harness.h"

#define DATAGRAMS 100
#define LOSSY     "dns.resolv_conf=,udp.loss=0.3,udp.dup=0.2,udp.reorder=0.2"
#define CHILD_MS  15000

static char self[PATH_MAX];
static char dir[] = "/tmp/nsemu-replay-XXXXXX";
static char port_text[16];

/* ---- the children -------------------------------------------------------------------- */

/* The device's side of the exchange: sends, lets the peer echo, reads until silence. */
static int child_exchange(uint16_t port)
{
    network_interface_t *ni = network_interface_get_default_instance();
    udp_socket_t *s = udp_socket_new();
    uint16_t bound = port;
    int fd = posix_udp_socket("127.0.0.1", &bound);
    socket_address_t to;
    unsigned peer_got = 0, device_got = 0;
    uint8_t buf[64];

    if (network_interface_connect(ni) != NSAPI_ERROR_OK || socket_open(s, ni) != NSAPI_ERROR_OK)
        return 3;
    socket_set_timeout(s, SILENCE_MS);
    addr_of(&to, "127.0.0.1", port);
    for (uint32_t i = 0; i < DATAGRAMS; i++) {
        datagram_fill(buf, sizeof(buf), i);
        if (udp_socket_sendto(s, &to, buf, sizeof(buf)) != (int)sizeof(buf))
            return 4;
    }
    for (;;) {
        char from[NSAPI_IP_SIZE];
        uint16_t from_port;
        ssize_t n = posix_recvfrom_within(fd, buf, sizeof(buf), SILENCE_MS, from, &from_port);

        if (n < 0)
            break;
        peer_got++;
        posix_sendto(fd, from, from_port, buf, (size_t)n);
    }
    while (udp_socket_recvfrom(s, NULL, buf, sizeof(buf)) >= 0)
        device_got++;
    printf("peer_got=%u device_got=%u\n", peer_got, device_got);
    socket_delete(s);
    close(fd);
    return 0;
}

/* Random faults turned on through the control API, twice. */
static int child_runtime(void)
{
    if (nsemu_set("udp.loss", "0.1") != NSAPI_ERROR_OK ||
        nsemu_set("udp.dup", "0.2") != NSAPI_ERROR_OK ||
        nsemu_set("udp.loss", "0.3") != NSAPI_ERROR_OK)
        return 3;
    return 0;
}

static int child_main(const char *mode, const char *port)
{
    if (strcmp(mode, "exchange") == 0)
        return child_exchange((uint16_t)atoi(port));
    if (strcmp(mode, "runtime") == 0)
        return child_runtime();
    return 2;
}

/* ---- the parent ---------------------------------------------------------------------- */

/* Runs a child in mode with env; asserts it succeeded. */
static void run(const char *mode, const char *const env[], struct child_run *r)
{
    char *argv[] = {self, "child", (char *)mode, port_text, NULL};

    child_run(argv, env, CHILD_MS, r);
    if (r->status != 0)
        print_error("child %s: status %d\nstdout: %s\nstderr: %s\n", mode, r->status, r->out,
                    r->err);
    assert_int_equal(r->status, 0);
}

/* Runs an exchange with seed (NULL: none) logging into dir/name; returns the log. */
static char *exchange_log(const char *seed, const char *name, struct child_run *r)
{
    char log_env[PATH_MAX + 16], seed_env[64], path[PATH_MAX];
    const char *env[] = {log_env, "NSEMU_FAULTS=" LOSSY, seed_env, NULL};

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(log_env, sizeof(log_env), "NSEMU_LOG=%s", path);
    snprintf(seed_env, sizeof(seed_env), "NSEMU_SEED=%s", seed != NULL ? seed : "");
    run("exchange", env, r);
    return log_since(path, 0);
}

static void assert_has_every_decision(const char *log)
{
    char line[256];

    assert_true(log_find(log, line, sizeof(line), "sock=1 udp.loss drop", " to=", NULL));
    assert_true(log_find(log, line, sizeof(line), "sock=1 udp.loss drop", " from=", NULL));
    assert_true(log_find(log, line, sizeof(line), "sock=1 udp.dup dup", " to=", NULL));
    assert_true(log_find(log, line, sizeof(line), "sock=1 udp.dup dup", " from=", NULL));
    assert_true(log_find(log, line, sizeof(line), "sock=1 udp.reorder hold", " to=", NULL));
    assert_true(log_find(log, line, sizeof(line), "sock=1 udp.reorder hold", " from=", NULL));
}

static void test_one_seed_gives_the_same_log_twice(void **state)
{
    struct child_run r;
    char *a = exchange_log("42", "a.log", &r), *b = exchange_log("42", "b.log", &r);
    char *ta = log_without_times(a), *tb = log_without_times(b);

    (void)state;
    assert_has_every_decision(a);
    assert_string_equal(ta, tb);
    assert_string_not_equal(a, ta); /* there were t= fields to remove */
    free(a);
    free(b);
    free(ta);
    free(tb);
}

static void test_another_seed_gives_another_log(void **state)
{
    struct child_run r;
    char *a = exchange_log("42", "c.log", &r), *b = exchange_log("43", "d.log", &r);
    char *ta = log_without_times(a), *tb = log_without_times(b);

    (void)state;
    assert_has_every_decision(b);
    assert_string_not_equal(ta, tb);
    free(a);
    free(b);
    free(ta);
    free(tb);
}

static void test_the_log_first_line_records_the_seed(void **state)
{
    struct child_run r;
    char *log = exchange_log("42", "e.log", &r);
    char first[128];

    (void)state;
    assert_int_equal(sscanf(log, "%127[^\n]", first), 1);
    assert_string_equal(first, "nsemu " NSEMU_VERSION " seed=42");
    assert_string_equal(r.err, ""); /* with a log, the seed is not printed */
    free(log);
}

static void test_the_logged_seed_of_an_unseeded_run_replays_it(void **state)
{
    struct child_run r;
    char *a = exchange_log(NULL, "f.log", &r), *b, *ta, *tb;
    char seed[32];

    (void)state;
    assert_int_equal(sscanf(a, "nsemu %*s seed=%31[0-9]", seed), 1);
    b = exchange_log(seed, "g.log", &r);
    ta = log_without_times(a);
    tb = log_without_times(b);
    assert_string_equal(ta, tb);
    free(a);
    free(b);
    free(ta);
    free(tb);
}

static void test_without_a_log_a_random_fault_prints_the_seed_once(void **state)
{
    const char *env[] = {"NSEMU_FAULTS=" LOSSY, "NSEMU_SEED=42", NULL};
    struct child_run r;

    (void)state;
    run("exchange", env, &r);
    assert_string_equal(r.err, "nsemu: seed 42 (replay with NSEMU_SEED=42)\n");
}

static void test_a_random_fault_turned_on_at_runtime_prints_the_seed_once(void **state)
{
    const char *env[] = {"NSEMU_FAULTS=dns.resolv_conf=", "NSEMU_SEED=42", NULL};
    struct child_run r;

    (void)state;
    run("runtime", env, &r);
    assert_string_equal(r.err, "nsemu: seed 42 (replay with NSEMU_SEED=42)\n");
}

static void test_without_a_random_fault_nothing_is_printed(void **state)
{
    const char *env[] = {"NSEMU_FAULTS=dns.resolv_conf=,tcp.latency_ms=5,tcp.connect=refuse",
                         "NSEMU_SEED=42", NULL};
    struct child_run r;

    (void)state;
    run("exchange", env, &r);
    assert_string_equal(r.err, "");
}

static int make_dir(void **state)
{
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    (void)state;
    if (n <= 0 || mkdtemp(dir) == NULL)
        return -1;
    self[n] = '\0';
    snprintf(port_text, sizeof(port_text), "%u", free_port("127.0.0.1"));
    return 0;
}

static int remove_dir(void **state)
{
    static const char *const names[] = {"a", "b", "c", "d", "e", "f", "g"};
    char path[PATH_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s.log", dir, names[i]);
        unlink(path);
    }
    return rmdir(dir);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_seed_gives_the_same_log_twice),
        cmocka_unit_test(test_another_seed_gives_another_log),
        cmocka_unit_test(test_the_log_first_line_records_the_seed),
        cmocka_unit_test(test_the_logged_seed_of_an_unseeded_run_replays_it),
        cmocka_unit_test(test_without_a_log_a_random_fault_prints_the_seed_once),
        cmocka_unit_test(test_a_random_fault_turned_on_at_runtime_prints_the_seed_once),
        cmocka_unit_test(test_without_a_random_fault_nothing_is_printed),
    };

    if (argc == 4 && strcmp(argv[1], "child") == 0)
        return child_main(argv[2], argv[3]);
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
