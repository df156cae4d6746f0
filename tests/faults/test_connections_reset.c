/*
 * test_connections_reset.c: the timeline's `connections reset` (DESIGN §3).
 * connections_reset.ini (from meson.build, with NSEMU_LOG at argv[1]) resets every
 * established connection at 1 s. Set up before it (the group setup): a connection the
 * device made, one it accepted, a listening server and a UDP socket. Then: a recv
 * blocked across the reset returns CONNECTION_LOST, so does every later call, the POSIX
 * peers see a reset; the listener and the UDP socket live on; new connections work.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "faults_support.h"
#include "harness.h"

#define RESET_AT 1.0

static const char *log_path;

static struct {
    network_interface_t *ni;
    tcp_socket_t *out; /* the device connected it */
    int out_peer;
    tcp_server_t *server; /* listening */
    uint16_t server_port;
    tcp_socket_t *in; /* the device accepted it */
    int in_peer;
    udp_socket_t *udp;
    uint16_t udp_port;
} w;

static int before_the_reset(void **state)
{
    (void)state;
    w.ni = up_interface();
    tcp_pair(w.ni, &w.out, &w.out_peer);
    w.server = tcp_server_new();
    w.in = tcp_socket_new();
    w.server_port = free_port("127.0.0.1");
    if (socket_open(w.server, w.ni) != NSAPI_ERROR_OK ||
        socket_bind_port(w.server, w.server_port) != NSAPI_ERROR_OK ||
        tcp_server_listen(w.server, 4) != NSAPI_ERROR_OK)
        return -1;
    w.in_peer = posix_connect_to("127.0.0.1", w.server_port);
    socket_set_timeout(w.server, WAIT_MS);
    if (tcp_server_accept(w.server, w.in, NULL) != NSAPI_ERROR_OK)
        return -1;
    w.udp = udp_bound(w.ni, &w.udp_port, WAIT_MS);
    return 0;
}

static int after_the_reset(void **state)
{
    (void)state;
    socket_delete(w.out);
    socket_delete(w.in);
    socket_delete(w.server);
    socket_delete(w.udp);
    close(w.out_peer);
    close(w.in_peer);
    return 0;
}

/* The POSIX peer's next recv: -1 with errno ECONNRESET is what a reset looks like. */
static int peer_error(int fd)
{
    char buf[64];
    ssize_t n;

    if (!posix_readable_within(fd, WAIT_MS))
        return ETIMEDOUT;
    n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    return n < 0 ? errno : 0;
}

static void test_a_blocked_recv_returns_connection_lost_at_the_reset(void **state)
{
    char buf[16], line[256], *text;
    uint64_t start = test_now_ms();

    (void)state;
    socket_set_timeout(w.out, 3 * WAIT_MS);
    assert_int_equal(tcp_socket_recv(w.out, buf, sizeof(buf)), NSAPI_ERROR_CONNECTION_LOST);
    assert_in_range(test_now_ms() - start, 0, 2 * WAIT_MS); /* at the reset, not the timeout */
    /* The stack thread logs each reset just after the socket is woken. */
    assert_true(log_wait_for(log_path, 0, WAIT_MS, "sock=1 ", " reset", NULL));
    text = log_since(log_path, 0);
    assert_true(log_find(text, line, sizeof(line), "timeline connections reset", NULL));
    assert_true(log_line_time(line) >= RESET_AT);
    /* The connected and the accepted connection, not the server or the UDP socket. */
    assert_true(log_find(text, line, sizeof(line), "sock=3 ", " reset", NULL));
    assert_false(log_find(text, line, sizeof(line), "sock=2 ", " reset", NULL));
    assert_false(log_find(text, line, sizeof(line), "sock=4 ", " reset", NULL));
    free(text);
}

static void test_every_later_call_on_a_reset_connection_returns_connection_lost(void **state)
{
    char buf[16];

    (void)state;
    assert_int_equal(tcp_socket_send(w.out, "x", 1), NSAPI_ERROR_CONNECTION_LOST);
    assert_int_equal(tcp_socket_recv(w.out, buf, sizeof(buf)), NSAPI_ERROR_CONNECTION_LOST);
    assert_int_equal(tcp_socket_send(w.in, "x", 1), NSAPI_ERROR_CONNECTION_LOST);
    assert_int_equal(tcp_socket_recv(w.in, buf, sizeof(buf)), NSAPI_ERROR_CONNECTION_LOST);
}

static void test_the_peers_of_reset_connections_see_a_reset(void **state)
{
    (void)state;
    assert_int_equal(peer_error(w.out_peer), ECONNRESET);
    assert_int_equal(peer_error(w.in_peer), ECONNRESET);
}

static void test_a_listening_server_lives_on_and_accepts(void **state)
{
    tcp_socket_t *conn = tcp_socket_new();
    int client = posix_connect_to("127.0.0.1", w.server_port);
    char buf[8];

    (void)state;
    assert_int_equal(tcp_server_accept(w.server, conn, NULL), NSAPI_ERROR_OK);
    posix_send_all(client, "hi", 2);
    socket_set_timeout(conn, WAIT_MS);
    assert_int_equal(tcp_socket_recv(conn, buf, sizeof(buf)), 2);
    close(client);
    socket_delete(conn);
}

static void test_a_udp_socket_lives_on(void **state)
{
    uint16_t peer_port = 0;
    int fd = posix_udp_socket("127.0.0.1", &peer_port);
    char buf[8];

    (void)state;
    posix_sendto(fd, "127.0.0.1", w.udp_port, "dgram", 5);
    assert_int_equal(udp_socket_recvfrom(w.udp, NULL, buf, sizeof(buf)), 5);
    close(fd);
}

static void test_a_new_connection_after_the_reset_works(void **state)
{
    struct echo_server *e = echo_server_start("127.0.0.1", SOCK_STREAM);
    tcp_socket_t *s = tcp_connected(w.ni, "127.0.0.1", echo_server_port(e));
    char buf[8];

    (void)state;
    nsemu_send_all(s, "fresh", 5);
    nsemu_recv_all(s, buf, 5);
    assert_memory_equal(buf, "fresh", 5);
    socket_delete(s);
    echo_server_stop(e);
}

static void test_a_reset_socket_can_be_closed_and_opened_again(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    socket_address_t to;
    int peer;

    (void)state;
    assert_int_equal(socket_close(w.out), NSAPI_ERROR_OK);
    assert_int_equal(socket_open(w.out, w.ni), NSAPI_ERROR_OK);
    socket_set_timeout(w.out, WAIT_MS);
    addr_of(&to, "127.0.0.1", port);
    assert_int_equal(tcp_socket_connect(w.out, &to), NSAPI_ERROR_OK);
    peer = posix_accept_within(lfd, WAIT_MS, NULL);
    assert_true(peer >= 0);
    assert_int_equal(tcp_socket_send(w.out, "ok", 2), 2);
    close(peer);
    close(lfd);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_blocked_recv_returns_connection_lost_at_the_reset),
        cmocka_unit_test(test_every_later_call_on_a_reset_connection_returns_connection_lost),
        cmocka_unit_test(test_the_peers_of_reset_connections_see_a_reset),
        cmocka_unit_test(test_a_listening_server_lives_on_and_accepts),
        cmocka_unit_test(test_a_udp_socket_lives_on),
        cmocka_unit_test(test_a_new_connection_after_the_reset_works),
        cmocka_unit_test(test_a_reset_socket_can_be_closed_and_opened_again),
    };

    if (argc != 2) {
        fprintf(stderr, "usage: %s EVENT_LOG\n", argv[0]);
        return 2;
    }
    log_path = argv[1];
    return cmocka_run_group_tests(tests, before_the_reset, after_the_reset);
}
