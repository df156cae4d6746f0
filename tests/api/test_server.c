/*
 * test_server.c: TCPServer: listen and accept against POSIX clients (the peer's
 * address, nonblocking and timed-out accepts, accepting into an open connection, a port
 * in use, IPv6), and a 4 MB echo between an nsemu server and an nsemu client.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "api_support.h"
#include "harness.h"

#define ECHO_BYTES (4u << 20)
#define ECHO_CHUNK 65536u

/* A listening nsemu server on 127.0.0.1 (the device's address); its port in *port. */
static tcp_server_t *listening_server(uint16_t *port)
{
    tcp_server_t *srv = tcp_server_new();

    assert_non_null(srv);
    *port = free_port("127.0.0.1");
    assert_int_equal(socket_open(srv, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(srv, *port), NSAPI_ERROR_OK);
    assert_int_equal(tcp_server_listen(srv, 4), NSAPI_ERROR_OK);
    socket_set_timeout(srv, WAIT_MS);
    return srv;
}

static uint64_t open_sockets(void)
{
    uint64_t n;

    assert_int_equal(nsemu_counter("sockets.open", &n), NSAPI_ERROR_OK);
    return n;
}

static void test_accept_gives_a_connection_and_the_peers_address(void **state)
{
    uint16_t port;
    tcp_server_t *srv = listening_server(&port);
    tcp_socket_t *conn = tcp_socket_new();
    int client = posix_connect_to("127.0.0.1", port);
    socket_address_t from;
    char buf[8];

    (void)state;
    socket_address_init(&from);
    assert_int_equal(tcp_server_accept(srv, conn, &from), NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&from), "127.0.0.1");
    assert_int_equal(socket_address_get_port(&from), posix_local_port(client));
    socket_set_timeout(conn, WAIT_MS);
    posix_send_all(client, "req", 3);
    nsemu_recv_all(conn, buf, 3);
    assert_memory_equal(buf, "req", 3);
    nsemu_send_all(conn, "resp", 4);
    assert_int_equal(posix_recv_within(client, buf, sizeof(buf), WAIT_MS), 4);
    assert_memory_equal(buf, "resp", 4);
    close(client);
    socket_delete(conn);
    socket_delete(srv);
}

static void test_accept_takes_a_null_from(void **state)
{
    uint16_t port;
    tcp_server_t *srv = listening_server(&port);
    tcp_socket_t *conn = tcp_socket_new();
    int client = posix_connect_to("127.0.0.1", port);

    (void)state;
    assert_int_equal(tcp_server_accept(srv, conn, NULL), NSAPI_ERROR_OK);
    close(client);
    socket_delete(conn);
    socket_delete(srv);
}

static void test_nonblocking_accept_with_nothing_pending_returns_would_block(void **state)
{
    uint16_t port;
    tcp_server_t *srv = listening_server(&port);
    tcp_socket_t *conn = tcp_socket_new();

    (void)state;
    socket_set_blocking(srv, false);
    assert_int_equal(tcp_server_accept(srv, conn, NULL), NSAPI_ERROR_WOULD_BLOCK);
    socket_delete(conn);
    socket_delete(srv);
}

static void test_accept_timeout_returns_would_block_after_about_the_timeout(void **state)
{
    uint16_t port;
    tcp_server_t *srv = listening_server(&port);
    tcp_socket_t *conn = tcp_socket_new();
    uint64_t start, took;

    (void)state;
    socket_set_timeout(srv, 100);
    start = test_now_ms();
    assert_int_equal(tcp_server_accept(srv, conn, NULL), NSAPI_ERROR_WOULD_BLOCK);
    took = test_now_ms() - start;
    assert_in_range(took, 90, 2000);
    socket_delete(conn);
    socket_delete(srv);
}

static void test_failed_accept_leaves_the_pool_as_it_was(void **state)
{
    uint16_t port;
    tcp_server_t *srv = listening_server(&port);
    tcp_socket_t *conn = tcp_socket_new();
    uint64_t before = open_sockets();

    (void)state;
    socket_set_blocking(srv, false);
    assert_int_equal(tcp_server_accept(srv, conn, NULL), NSAPI_ERROR_WOULD_BLOCK);
    assert_int_equal(open_sockets(), before);
    socket_delete(conn);
    socket_delete(srv);
}

static void test_accept_into_an_open_connection_closes_it_first(void **state)
{
    uint16_t port, old_port = 0;
    tcp_server_t *srv = listening_server(&port);
    int old_listener = posix_tcp_listener("127.0.0.1", &old_port), old_peer, client;
    tcp_socket_t *conn = tcp_connected(up_interface(), "127.0.0.1", old_port);
    uint64_t before;
    char buf[8];

    (void)state;
    old_peer = posix_accept_within(old_listener, WAIT_MS, NULL);
    assert_true(old_peer >= 0);
    before = open_sockets();
    client = posix_connect_to("127.0.0.1", port);
    assert_int_equal(tcp_server_accept(srv, conn, NULL), NSAPI_ERROR_OK);
    /* The old connection was closed: its peer reads end of stream. */
    assert_int_equal(posix_recv_within(old_peer, buf, sizeof(buf), WAIT_MS), 0);
    assert_int_equal(open_sockets(), before);
    /* And conn now carries the new one. */
    socket_set_timeout(conn, WAIT_MS);
    posix_send_all(client, "new", 3);
    nsemu_recv_all(conn, buf, 3);
    assert_memory_equal(buf, "new", 3);
    close(client);
    close(old_peer);
    close(old_listener);
    socket_delete(conn);
    socket_delete(srv);
}

static void test_accept_with_nothing_pending_leaves_an_open_connection_alone(void **state)
{
    uint16_t port, old_port = 0;
    tcp_server_t *srv = listening_server(&port);
    int old_listener = posix_tcp_listener("127.0.0.1", &old_port), old_peer;
    tcp_socket_t *conn = tcp_connected(up_interface(), "127.0.0.1", old_port);
    char buf[4];

    (void)state;
    old_peer = posix_accept_within(old_listener, WAIT_MS, NULL);
    assert_true(old_peer >= 0);
    socket_set_blocking(srv, false);
    /* A polling accept loop must not kill the client it is still serving: the
     * connection object is closed only once a new connection is in hand. */
    assert_int_equal(tcp_server_accept(srv, conn, NULL), NSAPI_ERROR_WOULD_BLOCK);
    assert_int_equal(tcp_socket_send(conn, "ok", 2), 2);
    assert_int_equal(posix_recv_within(old_peer, buf, 2, WAIT_MS), 2);
    close(old_peer);
    close(old_listener);
    socket_delete(conn);
    socket_delete(srv);
}

static void test_two_device_sockets_cannot_bind_one_port(void **state)
{
    tcp_socket_t *a = tcp_socket_new(), *b = tcp_socket_new();
    uint16_t port = free_port("127.0.0.1");

    (void)state;
    assert_int_equal(socket_open(a, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_open(b, up_interface()), NSAPI_ERROR_OK);
    /* Neither listens yet, when the kernel alone (SO_REUSEADDR) would let both bind. */
    assert_int_equal(socket_bind_port(a, port), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(b, port), NSAPI_ERROR_PARAMETER);
    socket_delete(a);
    assert_int_equal(socket_bind_port(b, port), NSAPI_ERROR_OK);
    socket_delete(b);
}

static void test_bind_to_a_port_in_use_returns_parameter(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    tcp_server_t *srv = tcp_server_new();

    (void)state;
    assert_int_equal(socket_open(srv, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(srv, port), NSAPI_ERROR_PARAMETER);
    close(lfd);
    socket_delete(srv);
}

static void test_a_plain_tcp_socket_can_listen_and_accept(void **state)
{
    uint16_t port = free_port("127.0.0.1");
    tcp_socket_t *srv = tcp_socket_new(), *conn = tcp_socket_new();
    int client;

    (void)state;
    assert_int_equal(socket_open(srv, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(srv, port), NSAPI_ERROR_OK);
    assert_int_equal(tcp_server_listen(srv, 1), NSAPI_ERROR_OK);
    socket_set_timeout(srv, WAIT_MS);
    client = posix_connect_to("127.0.0.1", port);
    assert_int_equal(tcp_server_accept(srv, conn, NULL), NSAPI_ERROR_OK);
    close(client);
    socket_delete(conn);
    socket_delete(srv);
}

static void test_ipv6_server_accepts_over_loopback(void **state)
{
    uint16_t port = free_port("::1");
    tcp_server_t *srv = tcp_server_new();
    tcp_socket_t *conn = tcp_socket_new();
    socket_address_t any6, from;
    int client;

    (void)state;
    addr_of(&any6, "::", port);
    assert_int_equal(socket_open(srv, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind(srv, &any6), NSAPI_ERROR_OK);
    assert_int_equal(tcp_server_listen(srv, 1), NSAPI_ERROR_OK);
    socket_set_timeout(srv, WAIT_MS);
    client = posix_connect_to("::1", port);
    socket_address_init(&from);
    assert_int_equal(tcp_server_accept(srv, conn, &from), NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&from), "::1");
    close(client);
    socket_delete(conn);
    socket_delete(srv);
}

static void test_connect_on_a_listening_socket_returns_parameter(void **state)
{
    uint16_t port, other = 0;
    tcp_server_t *srv = listening_server(&port);
    int lfd = posix_tcp_listener("127.0.0.1", &other);
    socket_address_t to;

    (void)state;
    addr_of(&to, "127.0.0.1", other);
    assert_int_equal(tcp_socket_connect(srv, &to), NSAPI_ERROR_PARAMETER);
    close(lfd);
    socket_delete(srv);
}

static void test_listen_on_a_connected_socket_returns_is_connected(void **state)
{
    tcp_socket_t *s;
    int peer;

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    assert_int_equal(tcp_server_listen(s, 1), NSAPI_ERROR_IS_CONNECTED);
    close(peer);
    socket_delete(s);
}

/* The nsemu server side of the echo: one connection, echoed until the client closes.
 * Runs on its own thread, so it records instead of asserting. */
struct nsemu_echo {
    tcp_server_t *srv;
    nsapi_error_t result;
    size_t echoed;
};

static void *nsemu_echo_main(void *arg)
{
    static uint8_t buf[ECHO_CHUNK];
    struct nsemu_echo *e = arg;
    tcp_socket_t *conn = tcp_socket_new();
    nsapi_size_or_error_t n;

    e->result = tcp_server_accept(e->srv, conn, NULL);
    socket_set_timeout(conn, WAIT_MS);
    while (e->result == NSAPI_ERROR_OK && (n = tcp_socket_recv(conn, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            e->result = n;
            break;
        }
        for (nsapi_size_or_error_t at = 0; at < n;) {
            nsapi_size_or_error_t k = tcp_socket_send(conn, buf + at, (nsapi_size_t)(n - at));

            if (k <= 0) {
                e->result = k < 0 ? k : NSAPI_ERROR_DEVICE_ERROR;
                break;
            }
            at += k;
        }
        e->echoed += (size_t)n;
    }
    socket_delete(conn);
    return NULL;
}

static void test_nsemu_server_and_nsemu_client_echo_4mb_intact(void **state)
{
    uint16_t port;
    struct nsemu_echo echo = {.srv = listening_server(&port)};
    uint8_t *out = malloc(ECHO_BYTES), *in = malloc(ECHO_BYTES);
    tcp_socket_t *client;
    pthread_t t;

    (void)state;
    assert_non_null(out);
    assert_non_null(in);
    assert_int_equal(pthread_create(&t, NULL, nsemu_echo_main, &echo), 0);
    client = tcp_connected(up_interface(), "127.0.0.1", port);
    fill_pattern(out, ECHO_BYTES, 21);
    for (size_t at = 0; at < ECHO_BYTES; at += ECHO_CHUNK) {
        nsemu_send_all(client, out + at, ECHO_CHUNK);
        nsemu_recv_all(client, in + at, ECHO_CHUNK);
    }
    socket_delete(client);
    join_within(t, WAIT_MS);
    assert_int_equal(echo.result, NSAPI_ERROR_OK);
    assert_int_equal(echo.echoed, ECHO_BYTES);
    assert_int_equal(checksum(CHECKSUM_START, in, ECHO_BYTES),
                     checksum(CHECKSUM_START, out, ECHO_BYTES));
    free(out);
    free(in);
    socket_delete(echo.srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_gives_a_connection_and_the_peers_address),
        cmocka_unit_test(test_accept_takes_a_null_from),
        cmocka_unit_test(test_nonblocking_accept_with_nothing_pending_returns_would_block),
        cmocka_unit_test(test_accept_timeout_returns_would_block_after_about_the_timeout),
        cmocka_unit_test(test_failed_accept_leaves_the_pool_as_it_was),
        cmocka_unit_test(test_accept_into_an_open_connection_closes_it_first),
        cmocka_unit_test(test_bind_to_a_port_in_use_returns_parameter),
        cmocka_unit_test(test_a_plain_tcp_socket_can_listen_and_accept),
        cmocka_unit_test(test_ipv6_server_accepts_over_loopback),
        cmocka_unit_test(test_connect_on_a_listening_socket_returns_parameter),
        cmocka_unit_test(test_listen_on_a_connected_socket_returns_is_connected),
        cmocka_unit_test(test_nsemu_server_and_nsemu_client_echo_4mb_intact),
        cmocka_unit_test(test_accept_with_nothing_pending_leaves_an_open_connection_alone),
        cmocka_unit_test(test_two_device_sockets_cannot_bind_one_port),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
