/*
 * test_tap_basic.c: the tap link's namespaces and static configuration, against real
 * servers in the peer namespace ([tap] far = peer): the device's eth0 (MAC, MTU), the
 * address set_network puts there, TCP and UDP echo through the wire, and clean-up —
 * at exit, on SIGTERM, on a crash (abort), and of a SIGKILLed run's leftovers by the
 * next run.
 * Run by tap_run.sh with NSEMU_LINK=tap and a scenario choosing far = peer.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netsocket/netsocket.h>

#include "tap_support.h"

#define WAIT_MS 10000

static char self[1024];

static socket_address_t peer_addr(int port)
{
    socket_address_t a;

    socket_address_init(&a);
    assert_true(socket_address_set_ip_address(&a, "10.0.2.2"));
    socket_address_set_port(&a, (uint16_t)port);
    return a;
}

static void test_device_namespace_has_eth0_with_the_mac_and_mtu(void **state)
{
    char out[4096];

    (void)state;
    assert_int_equal(tap_sh(out, sizeof(out), "ip netns list"), 0);
    assert_non_null(strstr(out, tap_ns("dev")));
    assert_non_null(strstr(out, tap_ns("peer")));
    assert_int_equal(tap_sh(out, sizeof(out), "ip -n %s -o link show eth0", tap_ns("dev")), 0);
    assert_non_null(strstr(out, "link/ether 02:00:00:00:00:01"));
    assert_non_null(strstr(out, "mtu 1500"));
    assert_non_null(strstr(out, "UP"));
}

static void test_set_network_puts_the_address_and_route_in_the_namespace(void **state)
{
    network_interface_t *ni = network_interface_get_default_instance();
    char out[4096];

    (void)state;
    assert_string_equal(network_interface_get_ip_address(ni), "10.0.2.15");
    assert_string_equal(network_interface_get_netmask(ni), "255.255.255.0");
    assert_string_equal(network_interface_get_gateway(ni), "10.0.2.2");
    assert_int_equal(tap_sh(out, sizeof(out), "ip -n %s -4 -o addr show eth0", tap_ns("dev")), 0);
    assert_non_null(strstr(out, "inet 10.0.2.15/24"));
    assert_int_equal(tap_sh(out, sizeof(out), "ip -n %s -4 route", tap_ns("dev")), 0);
    assert_non_null(strstr(out, "default via 10.0.2.2 dev eth0"));
}

static void test_tcp_echo_with_a_server_in_the_peer_namespace(void **state)
{
    tcp_socket_t *s = tcp_socket_new();
    socket_address_t to = peer_addr(7001);
    static uint8_t out[1 << 20], in[1 << 20];
    size_t sent = 0, got = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (uint8_t)(i * 7 + (i >> 9));
    assert_int_equal(socket_open(s, network_interface_get_default_instance()), NSAPI_ERROR_OK);
    socket_set_timeout(s, WAIT_MS);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_OK);
    while (got < sizeof(in)) {
        if (sent < sizeof(out)) {
            nsapi_size_or_error_t n = tcp_socket_send(s, out + sent, sizeof(out) - sent > 65536
                                                                         ? 65536
                                                                         : sizeof(out) - sent);
            assert_true(n > 0);
            sent += (size_t)n;
        }
        nsapi_size_or_error_t n = tcp_socket_recv(s, in + got, sizeof(in) - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    assert_memory_equal(in, out, sizeof(out));
    assert_int_equal(socket_close(s), NSAPI_ERROR_OK);
    socket_delete(s);
}

static void test_udp_echo_with_a_server_in_the_peer_namespace(void **state)
{
    udp_socket_t *s = udp_socket_new();
    socket_address_t to = peer_addr(7002), from;
    uint8_t out[1400], in[1500];

    (void)state;
    memset(out, 0x5a, sizeof(out));
    assert_int_equal(socket_open(s, network_interface_get_default_instance()), NSAPI_ERROR_OK);
    socket_set_timeout(s, 500);
    /* The first datagram may wait for ARP; a few tries are what a device would do. */
    for (int i = 0; i < 10; i++) {
        nsapi_size_or_error_t n;

        out[0] = (uint8_t)i;
        assert_int_equal(udp_socket_sendto(s, &to, out, sizeof(out)), (int)sizeof(out));
        n = udp_socket_recvfrom(s, &from, in, sizeof(in));
        if (n == NSAPI_ERROR_WOULD_BLOCK)
            continue;
        assert_int_equal(n, (int)sizeof(out));
        assert_memory_equal(in, out, sizeof(out));
        assert_string_equal(socket_address_get_ip_address(&from), "10.0.2.2");
        assert_int_equal(socket_address_get_port(&from), 7002);
        break;
    }
    assert_int_equal(socket_close(s), NSAPI_ERROR_OK);
    socket_delete(s);
}

/* ---- clean-up: children running this program with "child" -------------------------- */

static pid_t start_child(const char *how)
{
    pid_t pid = fork();

    if (pid == 0) {
        execl(self, self, "child", how, (char *)NULL);
        _exit(127);
    }
    assert_true(pid > 0);
    return pid;
}

/* True when nothing named after pid is left: namespaces or links. */
static bool nothing_left_of(pid_t pid)
{
    char out[8192], name[32];

    snprintf(name, sizeof(name), "nsemu-%ld", (long)pid);
    tap_sh(out, sizeof(out), "ip netns list; ip -o link");
    return strstr(out, name) == NULL;
}

static bool wait_for_namespace_of(pid_t pid)
{
    char out[8192], name[32];

    snprintf(name, sizeof(name), "nsemu-%ld-dev", (long)pid);
    for (int i = 0; i < 500; i++) {
        tap_sh(out, sizeof(out), "ip netns list");
        if (strstr(out, name) != NULL)
            return true;
        usleep(10000);
    }
    return false;
}

static void test_exit_removes_the_namespaces(void **state)
{
    pid_t pid = start_child("exit");
    int status;

    (void)state;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(nothing_left_of(pid));
}

static void test_sigterm_removes_the_namespaces(void **state)
{
    pid_t pid = start_child("wait");
    int status;

    (void)state;
    assert_true(wait_for_namespace_of(pid));
    kill(pid, SIGTERM);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    assert_true(nothing_left_of(pid));
}

static void test_a_crash_removes_the_namespaces(void **state)
{
    pid_t pid = start_child("abort");
    int status;

    (void)state;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    assert_true(nothing_left_of(pid));
}

static void test_the_next_run_removes_a_killed_runs_leftovers(void **state)
{
    pid_t killed = start_child("wait"), next;
    int status;

    (void)state;
    assert_true(wait_for_namespace_of(killed));
    kill(killed, SIGKILL);
    assert_int_equal(waitpid(killed, &status, 0), killed);
    assert_false(nothing_left_of(killed)); /* SIGKILL leaves the names behind */
    next = start_child("exit");
    assert_int_equal(waitpid(next, &status, 0), next);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(nothing_left_of(killed));
    assert_true(nothing_left_of(next));
}

static int child(const char *how)
{
    network_interface_t *ni = network_interface_get_default_instance();

    if (network_interface_set_network(ni, "10.0.2.16", "255.255.255.0", "10.0.2.2") != 0 ||
        network_interface_connect(ni) != 0)
        return 3;
    if (strcmp(how, "wait") == 0)
        pause();
    if (strcmp(how, "abort") == 0)
        abort();
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_device_namespace_has_eth0_with_the_mac_and_mtu),
        cmocka_unit_test(test_set_network_puts_the_address_and_route_in_the_namespace),
        cmocka_unit_test(test_tcp_echo_with_a_server_in_the_peer_namespace),
        cmocka_unit_test(test_udp_echo_with_a_server_in_the_peer_namespace),
        cmocka_unit_test(test_exit_removes_the_namespaces),
        cmocka_unit_test(test_sigterm_removes_the_namespaces),
        cmocka_unit_test(test_a_crash_removes_the_namespaces),
        cmocka_unit_test(test_the_next_run_removes_a_killed_runs_leftovers),
    };

    if (argc == 3 && strcmp(argv[1], "child") == 0)
        return child(argv[2]);
    if (realpath(argv[0], self) == NULL)
        return 1;
    tap_tcp_echo_in(tap_ns("peer"), "10.0.2.2", 7001);
    tap_udp_echo_in(tap_ns("peer"), "10.0.2.2", 7002);
    tap_static_up();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
