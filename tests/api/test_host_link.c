/*
 * test_host_link.c: DESIGN §3's host link with its default knobs: the device's address
 * is 127.0.0.1, so binds (the any-address included) land there and loopback peers see
 * the device from there; ports 1-1023 the device binds are moved up by 8000 on the
 * host, while connects and sendto are never remapped; set_network with a loopback
 * address is used for real, any other is only reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netsocket/netsocket.h>

#include "api_support.h"
#include "harness.h"

#define OFFSET 8000 /* host.port_offset's default */

/* True when ip:port can be bound right now for type (checked with a bind). */
static bool bindable(const char *ip, uint16_t port, int type)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    bool ok;

    assert_true(fd >= 0);
    assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
    ok = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
    close(fd);
    return ok;
}

/* A port p in 1..1023 with p + offset free for TCP and UDP on 127.0.0.1. */
static uint16_t privileged_port_with_free_host_port(int offset)
{
    for (uint16_t p = 1023; p >= 600; p--)
        if (bindable("127.0.0.1", (uint16_t)(p + offset), SOCK_STREAM) &&
            bindable("127.0.0.1", (uint16_t)(p + offset), SOCK_DGRAM))
            return p;
    fail_msg("no port p in 600..1023 with p + %d free", offset);
    return 0;
}

/* A port in 900..1023 free for TCP and UDP on 127.0.0.1, or 0 when none can be bound
 * (binding them needs privileges). test_port_offset_off.c, which may run at the same
 * time, takes its port below 900. */
static uint16_t bindable_privileged_port(void)
{
    for (uint16_t p = 1023; p >= 900; p--)
        if (bindable("127.0.0.1", p, SOCK_STREAM) && bindable("127.0.0.1", p, SOCK_DGRAM))
            return p;
    return 0;
}

/* 0 when a POSIX TCP connect to ip:port succeeds, else its errno. */
static int posix_connect_error(const char *ip, uint16_t port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err;

    assert_true(fd >= 0);
    assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
    err = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 ? 0 : errno;
    close(fd);
    return err;
}

static tcp_server_t *server_on(network_interface_t *ni, uint16_t port)
{
    tcp_server_t *srv = tcp_server_new();

    assert_int_equal(socket_open(srv, ni), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(srv, port), NSAPI_ERROR_OK);
    assert_int_equal(tcp_server_listen(srv, 2), NSAPI_ERROR_OK);
    socket_set_timeout(srv, WAIT_MS);
    return srv;
}

static void test_server_bound_to_a_privileged_port_listens_on_port_plus_8000(void **state)
{
    uint16_t p = privileged_port_with_free_host_port(OFFSET);
    tcp_server_t *srv = server_on(up_interface(), p);
    tcp_socket_t *conn = tcp_socket_new();
    int client = posix_connect_to("127.0.0.1", (uint16_t)(p + OFFSET));

    (void)state;
    assert_int_equal(tcp_server_accept(srv, conn, NULL), NSAPI_ERROR_OK);
    close(client);
    socket_delete(conn);
    socket_delete(srv);
}

static void test_udp_bound_to_a_privileged_port_receives_on_port_plus_8000(void **state)
{
    uint16_t p = privileged_port_with_free_host_port(OFFSET), peer_port = 0;
    int peer = posix_udp_socket("127.0.0.1", &peer_port);
    udp_socket_t *s = udp_socket_new();
    char buf[8];

    (void)state;
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(s, p), NSAPI_ERROR_OK);
    socket_set_timeout(s, WAIT_MS);
    posix_sendto(peer, "127.0.0.1", (uint16_t)(p + OFFSET), "low", 3);
    assert_int_equal(udp_socket_recvfrom(s, NULL, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "low", 3);
    close(peer);
    socket_delete(s);
}

static void test_replies_from_a_privileged_port_leave_from_port_plus_8000(void **state)
{
    uint16_t p = privileged_port_with_free_host_port(OFFSET), peer_port = 0, from_port = 0;
    int peer = posix_udp_socket("127.0.0.1", &peer_port);
    udp_socket_t *s = udp_socket_new();
    socket_address_t to;
    char buf[8];

    (void)state;
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(s, p), NSAPI_ERROR_OK);
    addr_of(&to, "127.0.0.1", peer_port);
    assert_int_equal(udp_socket_sendto(s, &to, "src", 3), 3);
    assert_int_equal(posix_recvfrom_within(peer, buf, sizeof(buf), WAIT_MS, NULL, &from_port), 3);
    assert_int_equal(from_port, p + OFFSET);
    close(peer);
    socket_delete(s);
}

static void test_connect_to_a_privileged_port_is_not_remapped(void **state)
{
    uint16_t p = bindable_privileged_port();
    tcp_socket_t *s = tcp_socket_new();
    socket_address_t to;
    int lfd = -1, peer;

    (void)state;
    if (p == 0) {
        socket_delete(s);
        skip(); /* binding a port below 1024 needs privileges this run lacks */
        return;
    }
    lfd = posix_tcp_listener("127.0.0.1", &p);
    addr_of(&to, "127.0.0.1", p);
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    socket_set_timeout(s, WAIT_MS);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_OK);
    peer = posix_accept_within(lfd, WAIT_MS, NULL);
    assert_true(peer >= 0);
    close(peer);
    close(lfd);
    socket_delete(s);
}

static void test_sendto_a_privileged_port_is_not_remapped(void **state)
{
    uint16_t p = bindable_privileged_port();
    udp_socket_t *s = udp_socket_new();
    socket_address_t to;
    char buf[8];
    int peer;

    (void)state;
    if (p == 0) {
        socket_delete(s);
        skip(); /* binding a port below 1024 needs privileges this run lacks */
        return;
    }
    peer = posix_udp_socket("127.0.0.1", &p);
    addr_of(&to, "127.0.0.1", p);
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(udp_socket_sendto(s, &to, "raw", 3), 3);
    assert_int_equal(posix_recvfrom_within(peer, buf, sizeof(buf), WAIT_MS, NULL, NULL), 3);
    close(peer);
    socket_delete(s);
}

static void test_peer_on_loopback_sees_connects_from_127_0_0_1(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.2", &port), peer;
    tcp_socket_t *s = tcp_connected(up_interface(), "127.0.0.2", port);
    char from[NSAPI_IP_SIZE];

    (void)state;
    peer = posix_accept_within(lfd, WAIT_MS, from);
    assert_true(peer >= 0);
    assert_string_equal(from, "127.0.0.1");
    close(peer);
    close(lfd);
    socket_delete(s);
}

static void test_peer_on_loopback_sees_datagrams_from_127_0_0_1(void **state)
{
    uint16_t port = 0;
    int peer = posix_udp_socket("127.0.0.2", &port);
    udp_socket_t *s = udp_socket_new();
    socket_address_t to;
    char buf[8], from[NSAPI_IP_SIZE];

    (void)state;
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    addr_of(&to, "127.0.0.2", port);
    assert_int_equal(udp_socket_sendto(s, &to, "src", 3), 3);
    assert_int_equal(posix_recvfrom_within(peer, buf, sizeof(buf), WAIT_MS, from, NULL), 3);
    assert_string_equal(from, "127.0.0.1");
    close(peer);
    socket_delete(s);
}

static void test_bind_to_the_any_address_binds_the_device_address_only(void **state)
{
    uint16_t port = free_port("127.0.0.1");
    tcp_server_t *srv = tcp_server_new();
    socket_address_t any;

    (void)state;
    addr_of(&any, "0.0.0.0", port);
    assert_int_equal(socket_open(srv, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind(srv, &any), NSAPI_ERROR_OK);
    assert_int_equal(tcp_server_listen(srv, 2), NSAPI_ERROR_OK);
    assert_int_equal(posix_connect_error("127.0.0.2", port), ECONNREFUSED);
    assert_int_equal(posix_connect_error("127.0.0.1", port), 0);
    socket_delete(srv);
}

static void test_set_network_with_a_loopback_address_is_used_for_real(void **state)
{
    network_interface_t *ni = ethernet_interface_new();
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port), peer;
    char from[NSAPI_IP_SIZE];
    tcp_socket_t *s;

    (void)state;
    assert_int_equal(network_interface_set_network(ni, "127.0.0.6", "255.0.0.0", ""),
                     NSAPI_ERROR_OK);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_string_equal(network_interface_get_ip_address(ni), "127.0.0.6");
    s = tcp_connected(ni, "127.0.0.1", port);
    peer = posix_accept_within(lfd, WAIT_MS, from);
    assert_true(peer >= 0);
    assert_string_equal(from, "127.0.0.6");
    close(peer);
    close(lfd);
    socket_delete(s);
    network_interface_delete(ni);
}

static void test_set_network_with_another_address_is_only_reported(void **state)
{
    network_interface_t *ni = ethernet_interface_new();
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port), peer;
    char from[NSAPI_IP_SIZE];
    tcp_socket_t *s;

    (void)state;
    assert_int_equal(network_interface_set_network(ni, "10.0.2.15", "255.255.255.0", "10.0.2.2"),
                     NSAPI_ERROR_OK);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_string_equal(network_interface_get_ip_address(ni), "10.0.2.15");
    s = tcp_connected(ni, "127.0.0.1", port);
    peer = posix_accept_within(lfd, WAIT_MS, from);
    assert_true(peer >= 0);
    assert_string_equal(from, "127.0.0.1");
    close(peer);
    close(lfd);
    socket_delete(s);
    network_interface_delete(ni);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_bound_to_a_privileged_port_listens_on_port_plus_8000),
        cmocka_unit_test(test_udp_bound_to_a_privileged_port_receives_on_port_plus_8000),
        cmocka_unit_test(test_replies_from_a_privileged_port_leave_from_port_plus_8000),
        cmocka_unit_test(test_connect_to_a_privileged_port_is_not_remapped),
        cmocka_unit_test(test_sendto_a_privileged_port_is_not_remapped),
        cmocka_unit_test(test_peer_on_loopback_sees_connects_from_127_0_0_1),
        cmocka_unit_test(test_peer_on_loopback_sees_datagrams_from_127_0_0_1),
        cmocka_unit_test(test_bind_to_the_any_address_binds_the_device_address_only),
        cmocka_unit_test(test_set_network_with_a_loopback_address_is_used_for_real),
        cmocka_unit_test(test_set_network_with_another_address_is_only_reported),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
