/*
 * test_dnsmasq.c: the DNS client against a real, independently written server:
 * dnsmasq (Debian's dnsmasq-base), started by this test on a loopback address and a
 * free port, answering from its own configuration only (--no-resolv --no-hosts), and
 * stopped at the end. Exits 77 (skipped) when dnsmasq is not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <nsemu/nsemu.h>

#include "harness.h"

#define DNSMASQ "/usr/sbin/dnsmasq"
#define DNSMASQ_IP "127.0.0.1"

static pid_t dnsmasq_pid;
static uint16_t dnsmasq_port;
static char pid_file[64];

static void stop_dnsmasq(void)
{
    if (dnsmasq_pid > 0) {
        kill(dnsmasq_pid, SIGTERM);
        waitpid(dnsmasq_pid, NULL, 0);
        dnsmasq_pid = 0;
    }
    if (pid_file[0] != '\0')
        unlink(pid_file);
}

static void on_signal(int sig)
{
    stop_dnsmasq();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Starts dnsmasq in the foreground (it writes its pid file once it is ready) and waits,
 * bounded, for the pid file. */
static int start_dnsmasq(void)
{
    char port_arg[32], pid_arg[96];
    uint64_t give_up;

    dnsmasq_port = free_port(DNSMASQ_IP);
    snprintf(pid_file, sizeof(pid_file), "/tmp/nsemu-dnsmasq-%d.pid", (int)getpid());
    snprintf(port_arg, sizeof(port_arg), "--port=%u", dnsmasq_port);
    snprintf(pid_arg, sizeof(pid_arg), "--pid-file=%s", pid_file);
    unlink(pid_file);
    dnsmasq_pid = fork();
    if (dnsmasq_pid < 0)
        return -1;
    if (dnsmasq_pid == 0) {
        char *argv[] = {
            DNSMASQ, "--keep-in-foreground", pid_arg, "--bind-interfaces",
            "--listen-address=" DNSMASQ_IP, port_arg, "--no-resolv", "--no-hosts",
            "--conf-file=/dev/null", "--log-facility=-",
            "--address=/dev.test/127.0.0.9", "--address=/v6.test/fd00::9",
            "--local=/nx.test/", getuid() == 0 ? "--user=root" : "--bind-interfaces", NULL,
        };
        int devnull = open("/dev/null", O_WRONLY);

        dup2(devnull, STDOUT_FILENO);
        execv(DNSMASQ, argv);
        _exit(127);
    }
    give_up = test_now_ms() + 10000;
    while (test_now_ms() < give_up) {
        struct stat st;
        int status;

        if (stat(pid_file, &st) == 0 && st.st_size > 0)
            return 0;
        if (waitpid(dnsmasq_pid, &status, WNOHANG) == dnsmasq_pid) {
            dnsmasq_pid = 0;
            return -1;
        }
        usleep(10000); /* polling a file that dnsmasq writes: no event to wait on */
    }
    return -1;
}

static network_interface_t *interface_with_dnsmasq(void)
{
    static bool added;
    network_interface_t *ni = up_interface();
    socket_address_t server;

    if (!added) {
        addr_of(&server, DNSMASQ_IP, dnsmasq_port);
        assert_int_equal(network_interface_add_dns_server(ni, &server), NSAPI_ERROR_OK);
        added = true;
    }
    return ni;
}

static void test_name_resolves_to_dnsmasq_address(void **state)
{
    socket_address_t out;

    (void)state;
    socket_address_init(&out);
    assert_int_equal(network_interface_gethostbyname(interface_with_dnsmasq(), "dev.test",
                                                     &out, NSAPI_IPv4),
                     NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&out), "127.0.0.9");
}

static void test_subdomain_resolves_with_unspec_version(void **state)
{
    socket_address_t out;

    (void)state;
    socket_address_init(&out);
    assert_int_equal(network_interface_gethostbyname(interface_with_dnsmasq(),
                                                     "api.dev.test", &out, NSAPI_UNSPEC),
                     NSAPI_ERROR_OK);
    assert_int_equal(socket_address_get_ip_version(&out), NSAPI_IPv4);
    assert_string_equal(socket_address_get_ip_address(&out), "127.0.0.9");
}

static void test_aaaa_record_resolves_for_ipv6(void **state)
{
    socket_address_t out;

    (void)state;
    socket_address_init(&out);
    assert_int_equal(network_interface_gethostbyname(interface_with_dnsmasq(), "v6.test",
                                                     &out, NSAPI_IPv6),
                     NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&out), "fd00::9");
}

static void test_unspec_falls_back_to_aaaa_when_no_a_record(void **state)
{
    socket_address_t out;

    (void)state;
    socket_address_init(&out);
    assert_int_equal(network_interface_gethostbyname(interface_with_dnsmasq(), "v6.test",
                                                     &out, NSAPI_UNSPEC),
                     NSAPI_ERROR_OK);
    assert_int_equal(socket_address_get_ip_version(&out), NSAPI_IPv6);
}

static void test_nxdomain_from_dnsmasq_is_dns_failure(void **state)
{
    socket_address_t out;
    uint64_t before, after;

    (void)state;
    socket_address_init(&out);
    assert_int_equal(nsemu_counter("dns.queries", &before), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_gethostbyname(interface_with_dnsmasq(),
                                                     "missing.nx.test", &out, NSAPI_UNSPEC),
                     NSAPI_ERROR_DNS_FAILURE);
    assert_int_equal(nsemu_counter("dns.queries", &after), NSAPI_ERROR_OK);
    /* NXDOMAIN ends the lookup: one query, no AAAA attempt, no retry. */
    assert_int_equal(after - before, 1);
    assert_null(socket_address_get_ip_address(&out));
}

static void test_tcp_connect_by_name_through_dnsmasq(void **state)
{
    tcp_socket_t *s = tcp_socket_new();
    uint16_t port = 0;
    int listener = posix_tcp_listener("127.0.0.9", &port);

    (void)state;
    assert_int_equal(socket_open(s, interface_with_dnsmasq()), NSAPI_ERROR_OK);
    assert_int_equal(tcp_socket_connect_host(s, "www.dev.test", port), NSAPI_ERROR_OK);
    assert_int_equal(tcp_socket_send(s, "hi", 2), 2);
    socket_delete(s);
    close(listener);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_resolves_to_dnsmasq_address),
        cmocka_unit_test(test_subdomain_resolves_with_unspec_version),
        cmocka_unit_test(test_aaaa_record_resolves_for_ipv6),
        cmocka_unit_test(test_unspec_falls_back_to_aaaa_when_no_a_record),
        cmocka_unit_test(test_nxdomain_from_dnsmasq_is_dns_failure),
        cmocka_unit_test(test_tcp_connect_by_name_through_dnsmasq),
    };
    int failed;

    if (access(DNSMASQ, X_OK) != 0) {
        printf("skipped: %s not found (apt-get install dnsmasq-base)\n", DNSMASQ);
        return 77;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (start_dnsmasq() != 0) {
        printf("dnsmasq did not start\n");
        stop_dnsmasq();
        return 1;
    }
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    stop_dnsmasq();
    return failed;
}
