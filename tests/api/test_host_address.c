/*
 * test_host_address.c: a device with its own loopback address (meson.build sets
 * host.address=127.0.0.5, DESIGN §3): the interface reports it, loopback peers see the
 * device's connects and datagrams come from it, and the device's servers listen on it
 * alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netsocket/netsocket.h>

#include "api_support.h"
#include "harness.h"

#define DEVICE_IP "127.0.0.5" /* as meson.build sets it */

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

static void test_interface_reports_the_host_address(void **state)
{
    (void)state;
    assert_string_equal(network_interface_get_ip_address(up_interface()), DEVICE_IP);
}

static void test_peer_sees_connects_from_the_host_address(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port), peer;
    tcp_socket_t *s = tcp_connected(up_interface(), "127.0.0.1", port);
    char from[NSAPI_IP_SIZE];

    (void)state;
    peer = posix_accept_within(lfd, WAIT_MS, from);
    assert_true(peer >= 0);
    assert_string_equal(from, DEVICE_IP);
    close(peer);
    close(lfd);
    socket_delete(s);
}

static void test_peer_sees_datagrams_from_the_host_address(void **state)
{
    uint16_t port = 0;
    int peer = posix_udp_socket("127.0.0.1", &port);
    udp_socket_t *s = udp_socket_new();
    socket_address_t to;
    char buf[8], from[NSAPI_IP_SIZE];

    (void)state;
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    addr_of(&to, "127.0.0.1", port);
    assert_int_equal(udp_socket_sendto(s, &to, "me", 2), 2);
    assert_int_equal(posix_recvfrom_within(peer, buf, sizeof(buf), WAIT_MS, from, NULL), 2);
    assert_string_equal(from, DEVICE_IP);
    close(peer);
    socket_delete(s);
}

static void test_device_server_listens_on_the_host_address_only(void **state)
{
    uint16_t port = free_port(DEVICE_IP);
    tcp_server_t *srv = tcp_server_new();

    (void)state;
    assert_int_equal(socket_open(srv, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(srv, port), NSAPI_ERROR_OK);
    assert_int_equal(tcp_server_listen(srv, 2), NSAPI_ERROR_OK);
    assert_int_equal(posix_connect_error(DEVICE_IP, port), 0);
    assert_int_equal(posix_connect_error("127.0.0.1", port), ECONNREFUSED);
    socket_delete(srv);
}

static void test_accepted_connection_reports_the_clients_address(void **state)
{
    uint16_t port = free_port(DEVICE_IP);
    tcp_server_t *srv = tcp_server_new();
    tcp_socket_t *conn = tcp_socket_new();
    socket_address_t from;
    int client;

    (void)state;
    assert_int_equal(socket_open(srv, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(srv, port), NSAPI_ERROR_OK);
    assert_int_equal(tcp_server_listen(srv, 2), NSAPI_ERROR_OK);
    socket_set_timeout(srv, WAIT_MS);
    client = posix_connect_to(DEVICE_IP, port);
    socket_address_init(&from);
    assert_int_equal(tcp_server_accept(srv, conn, &from), NSAPI_ERROR_OK);
    /* The kernel picks the client's source for a connect to 127.0.0.5: 127.0.0.1. */
    assert_string_equal(socket_address_get_ip_address(&from), "127.0.0.1");
    assert_int_equal(socket_address_get_port(&from), posix_local_port(client));
    close(client);
    socket_delete(conn);
    socket_delete(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interface_reports_the_host_address),
        cmocka_unit_test(test_peer_sees_connects_from_the_host_address),
        cmocka_unit_test(test_peer_sees_datagrams_from_the_host_address),
        cmocka_unit_test(test_device_server_listens_on_the_host_address_only),
        cmocka_unit_test(test_accepted_connection_reports_the_clients_address),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
