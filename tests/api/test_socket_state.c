/*
 * test_socket_state.c: the state rows of DESIGN §2 for sockets: every call on a socket
 * never opened, or closed, is NSAPI_ERROR_NO_SOCKET; open twice or with no interface is
 * PARAMETER; open and bind work while the interface is down, but connect, sendto and
 * name lookups say NO_CONNECTION; a closed socket opens again; open/close cycles leak
 * nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "api_support.h"
#include "fake_dns.h"
#include "harness.h"

static uint64_t open_sockets(void)
{
    uint64_t n;

    assert_int_equal(nsemu_counter("sockets.open", &n), NSAPI_ERROR_OK);
    return n;
}

/* Every TCP call but open, on s, which is not open. */
static void expect_tcp_calls_no_socket(tcp_socket_t *s)
{
    socket_address_t to;
    int v = 1;
    unsigned len = sizeof(v);
    char buf[4];

    addr_of(&to, "127.0.0.1", 9);
    assert_int_equal(socket_close(s), NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(socket_bind(s, &to), NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(socket_bind_port(s, 0), NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(socket_setsockopt(s, NSAPI_SOCKET, NSAPI_KEEPALIVE, &v, sizeof(v)),
                     NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(socket_getsockopt(s, NSAPI_SOCKET, NSAPI_KEEPALIVE, &v, &len),
                     NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(tcp_socket_connect_host(s, "localhost", 9), NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(tcp_socket_send(s, "x", 1), NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(tcp_socket_recv(s, buf, sizeof(buf)), NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(tcp_server_listen(s, 1), NSAPI_ERROR_NO_SOCKET);
}

/* Every UDP call but open, on s, which is not open. */
static void expect_udp_calls_no_socket(udp_socket_t *s)
{
    socket_address_t to;
    int v = 1;
    unsigned len = sizeof(v);
    char buf[4];

    addr_of(&to, "127.0.0.1", 9);
    assert_int_equal(socket_close(s), NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(socket_bind(s, &to), NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(socket_bind_port(s, 0), NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(socket_setsockopt(s, NSAPI_SOCKET, NSAPI_REUSEADDR, &v, sizeof(v)),
                     NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(socket_getsockopt(s, NSAPI_SOCKET, NSAPI_REUSEADDR, &v, &len),
                     NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(udp_socket_sendto(s, &to, "x", 1), NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(udp_socket_sendto_host(s, "localhost", 9, "x", 1), NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(udp_socket_recvfrom(s, NULL, buf, sizeof(buf)), NSAPI_ERROR_NO_SOCKET);
}

/* accept on server s, which is not open. */
static void expect_accept_no_socket(tcp_server_t *s)
{
    tcp_socket_t *conn = tcp_socket_new();

    assert_int_equal(tcp_server_accept(s, conn, NULL), NSAPI_ERROR_NO_SOCKET);
    socket_delete(conn);
}

static void test_every_call_on_a_never_opened_tcp_socket_returns_no_socket(void **state)
{
    tcp_socket_t *s = tcp_socket_new();

    (void)state;
    expect_tcp_calls_no_socket(s);
    socket_delete(s);
}

static void test_every_call_on_a_never_opened_udp_socket_returns_no_socket(void **state)
{
    udp_socket_t *s = udp_socket_new();

    (void)state;
    expect_udp_calls_no_socket(s);
    socket_delete(s);
}

static void test_every_call_on_a_never_opened_server_returns_no_socket(void **state)
{
    tcp_server_t *s = tcp_server_new();

    (void)state;
    expect_tcp_calls_no_socket(s);
    expect_accept_no_socket(s);
    socket_delete(s);
}

static void test_every_call_on_a_closed_tcp_socket_returns_no_socket(void **state)
{
    tcp_socket_t *s = tcp_socket_new();

    (void)state;
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_close(s), NSAPI_ERROR_OK);
    expect_tcp_calls_no_socket(s);
    socket_delete(s);
}

static void test_every_call_on_a_closed_connected_tcp_socket_returns_no_socket(void **state)
{
    tcp_socket_t *s;
    int peer;

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    assert_int_equal(socket_close(s), NSAPI_ERROR_OK);
    expect_tcp_calls_no_socket(s);
    close(peer);
    socket_delete(s);
}

static void test_every_call_on_a_closed_udp_socket_returns_no_socket(void **state)
{
    udp_socket_t *s = udp_socket_new();

    (void)state;
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(s, 0), NSAPI_ERROR_OK);
    assert_int_equal(socket_close(s), NSAPI_ERROR_OK);
    expect_udp_calls_no_socket(s);
    socket_delete(s);
}

static void test_every_call_on_a_closed_server_returns_no_socket(void **state)
{
    tcp_server_t *s = tcp_server_new();

    (void)state;
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(tcp_server_listen(s, 1), NSAPI_ERROR_OK);
    assert_int_equal(socket_close(s), NSAPI_ERROR_OK);
    expect_tcp_calls_no_socket(s);
    expect_accept_no_socket(s);
    socket_delete(s);
}

static void test_open_twice_returns_parameter(void **state)
{
    tcp_socket_t *s = tcp_socket_new();

    (void)state;
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_PARAMETER);
    socket_delete(s);
}

static void test_open_with_a_null_interface_returns_parameter(void **state)
{
    udp_socket_t *s = udp_socket_new();

    (void)state;
    assert_int_equal(socket_open(s, NULL), NSAPI_ERROR_PARAMETER);
    assert_int_equal(socket_close(s), NSAPI_ERROR_NO_SOCKET);
    socket_delete(s);
}

static void test_open_after_close_opens_the_socket_again(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port), peer;
    tcp_socket_t *s = tcp_socket_new();
    socket_address_t to;

    (void)state;
    addr_of(&to, "127.0.0.1", port);
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_close(s), NSAPI_ERROR_OK);
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    socket_set_timeout(s, WAIT_MS);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_OK);
    peer = posix_accept_within(lfd, WAIT_MS, NULL);
    assert_true(peer >= 0);
    close(peer);
    close(lfd);
    socket_delete(s);
}

static void test_delete_closes_an_open_socket(void **state)
{
    uint64_t before = open_sockets();
    tcp_socket_t *s = tcp_socket_new();

    (void)state;
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(open_sockets(), before + 1);
    socket_delete(s);
    assert_int_equal(open_sockets(), before);
}

static void test_1000_open_close_cycles_leak_no_descriptor(void **state)
{
    tcp_socket_t *t = tcp_socket_new();
    udp_socket_t *u = udp_socket_new();
    int fds_before = open_fd_count();
    uint64_t sockets_before = open_sockets();

    (void)state;
    for (int i = 0; i < 1000; i++) {
        socket_t *s = i % 2 ? t : u;

        assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
        assert_int_equal(socket_bind_port(s, 0), NSAPI_ERROR_OK);
        assert_int_equal(socket_close(s), NSAPI_ERROR_OK);
    }
    assert_int_equal(open_fd_count(), fds_before);
    assert_int_equal(open_sockets(), sockets_before);
    socket_delete(t);
    socket_delete(u);
}

/* ---- the interface is down ---------------------------------------------------- */

static int down_setup(void **state)
{
    network_interface_t *ni = ethernet_interface_new();

    *state = ni;
    return ni == NULL ? -1 : 0;
}

static int down_teardown(void **state)
{
    network_interface_delete(*state);
    return 0;
}

static void test_open_is_allowed_while_the_interface_is_down(void **state)
{
    network_interface_t *down = *state;
    tcp_socket_t *t = tcp_socket_new();
    udp_socket_t *u = udp_socket_new();

    assert_int_equal(network_interface_get_connection_status(down), NSAPI_STATUS_DISCONNECTED);
    assert_int_equal(socket_open(t, down), NSAPI_ERROR_OK);
    assert_int_equal(socket_open(u, down), NSAPI_ERROR_OK);
    socket_delete(t);
    socket_delete(u);
}

static void test_bind_is_allowed_while_the_interface_is_down(void **state)
{
    network_interface_t *down = *state;
    udp_socket_t *u = udp_socket_new();
    tcp_socket_t *t = tcp_socket_new();

    assert_int_equal(socket_open(u, down), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(u, 0), NSAPI_ERROR_OK);
    assert_int_equal(socket_open(t, down), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(t, free_port("127.0.0.1")), NSAPI_ERROR_OK);
    socket_delete(u);
    socket_delete(t);
}

static void test_connect_while_the_interface_is_down_returns_no_connection(void **state)
{
    network_interface_t *down = *state;
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    tcp_socket_t *s = tcp_socket_new();
    socket_address_t to;

    addr_of(&to, "127.0.0.1", port);
    assert_int_equal(socket_open(s, down), NSAPI_ERROR_OK);
    socket_set_timeout(s, WAIT_MS);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_NO_CONNECTION);
    assert_int_equal(posix_accept_within(lfd, 0, NULL), -1);
    close(lfd);
    socket_delete(s);
}

static void test_connect_host_while_the_interface_is_down_returns_no_connection(void **state)
{
    network_interface_t *down = *state;
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    tcp_socket_t *s = tcp_socket_new();

    assert_int_equal(socket_open(s, down), NSAPI_ERROR_OK);
    socket_set_timeout(s, WAIT_MS);
    assert_int_equal(tcp_socket_connect_host(s, "127.0.0.1", port), NSAPI_ERROR_NO_CONNECTION);
    close(lfd);
    socket_delete(s);
}

static void test_sendto_while_the_interface_is_down_returns_no_connection(void **state)
{
    network_interface_t *down = *state;
    uint16_t port = 0;
    int peer = posix_udp_socket("127.0.0.1", &port);
    udp_socket_t *s = udp_socket_new();
    socket_address_t to;
    char buf[4];

    addr_of(&to, "127.0.0.1", port);
    assert_int_equal(socket_open(s, down), NSAPI_ERROR_OK);
    assert_int_equal(udp_socket_sendto(s, &to, "x", 1), NSAPI_ERROR_NO_CONNECTION);
    assert_int_equal(posix_recvfrom_within(peer, buf, sizeof(buf), 0, NULL, NULL), -1);
    close(peer);
    socket_delete(s);
}

static void test_sendto_host_while_the_interface_is_down_returns_no_connection(void **state)
{
    network_interface_t *down = *state;
    uint16_t port = 0;
    int peer = posix_udp_socket("127.0.0.1", &port);
    udp_socket_t *s = udp_socket_new();

    assert_int_equal(socket_open(s, down), NSAPI_ERROR_OK);
    assert_int_equal(udp_socket_sendto_host(s, "127.0.0.1", port, "x", 1),
                     NSAPI_ERROR_NO_CONNECTION);
    close(peer);
    socket_delete(s);
}

static void test_gethostbyname_of_a_name_while_down_returns_no_connection(void **state)
{
    network_interface_t *down = *state;
    struct fake_dns *dns = fake_dns_start("127.0.0.1", 0, FAKE_DNS_ANSWER);
    socket_address_t server, out;

    assert_non_null(dns);
    fake_dns_add(dns, "device.test", "127.0.0.9");
    addr_of(&server, "127.0.0.1", fake_dns_port(dns));
    assert_int_equal(network_interface_add_dns_server(down, &server), NSAPI_ERROR_OK);
    socket_address_init(&out);
    assert_int_equal(network_interface_gethostbyname(down, "device.test", &out, NSAPI_UNSPEC),
                     NSAPI_ERROR_NO_CONNECTION);
    assert_int_equal(fake_dns_queries(dns), 0);
    fake_dns_stop(dns);
}

static void test_gethostbyname_of_an_ip_literal_works_while_down(void **state)
{
    network_interface_t *down = *state;
    socket_address_t out;

    socket_address_init(&out);
    assert_int_equal(network_interface_gethostbyname(down, "127.0.0.3", &out, NSAPI_UNSPEC),
                     NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&out), "127.0.0.3");
}

#define DOWN_TEST(f) cmocka_unit_test_setup_teardown(f, down_setup, down_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_call_on_a_never_opened_tcp_socket_returns_no_socket),
        cmocka_unit_test(test_every_call_on_a_never_opened_udp_socket_returns_no_socket),
        cmocka_unit_test(test_every_call_on_a_never_opened_server_returns_no_socket),
        cmocka_unit_test(test_every_call_on_a_closed_tcp_socket_returns_no_socket),
        cmocka_unit_test(test_every_call_on_a_closed_connected_tcp_socket_returns_no_socket),
        cmocka_unit_test(test_every_call_on_a_closed_udp_socket_returns_no_socket),
        cmocka_unit_test(test_every_call_on_a_closed_server_returns_no_socket),
        cmocka_unit_test(test_open_twice_returns_parameter),
        cmocka_unit_test(test_open_with_a_null_interface_returns_parameter),
        cmocka_unit_test(test_open_after_close_opens_the_socket_again),
        cmocka_unit_test(test_delete_closes_an_open_socket),
        cmocka_unit_test(test_1000_open_close_cycles_leak_no_descriptor),
        DOWN_TEST(test_open_is_allowed_while_the_interface_is_down),
        DOWN_TEST(test_bind_is_allowed_while_the_interface_is_down),
        DOWN_TEST(test_connect_while_the_interface_is_down_returns_no_connection),
        DOWN_TEST(test_connect_host_while_the_interface_is_down_returns_no_connection),
        DOWN_TEST(test_sendto_while_the_interface_is_down_returns_no_connection),
        DOWN_TEST(test_sendto_host_while_the_interface_is_down_returns_no_connection),
        DOWN_TEST(test_gethostbyname_of_a_name_while_down_returns_no_connection),
        DOWN_TEST(test_gethostbyname_of_an_ip_literal_works_while_down),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
