/*
 * test_link.c: the timeline's `link down` and `link up` (DESIGN §3): a cable pulled and
 * plugged back. link.ini (from meson.build, with NSEMU_LOG at argv[1]) pulls it at 1 s
 * and plugs it back at 4 s. The tests run in order through that story: set up before
 * the outage (the group setup), look inside it, look after it.
 *
 * While the link is down: the status callback said DISCONNECTED, get_ip_address is
 * NULL, connect, sendto, gethostbyname and network_interface_connect return
 * NO_CONNECTION, a recv waits out its timeout (WOULD_BLOCK) although the peer sent, an
 * established transfer stalls. When it is back: the interface comes up by itself
 * (GLOBAL_UP), the transfer completes byte-exact, data the peer sent during the outage
 * arrives, datagrams that came in during it are dropped, new connections work.
 *
 * Each test of the outage checks at its end that the link is still down, so a test
 * that ran too late fails rather than passing by accident.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "faults_support.h"
#include "harness.h"

#define TRANSFER     (1u << 20)
#define SMALL_BUFFER 16384 /* so the transfer is mostly still to go when the link drops */
#define DOWN_AT      1.0
#define UP_AT        4.0

static const char *log_path;

/* What the tests share, set up before the outage. */
static struct {
    network_interface_t *ni;
    struct status_log status;
    /* the transfer: the device sends TRANSFER bytes from its own thread */
    tcp_socket_t *xfer;
    int xfer_peer;
    pthread_t sender;
    nsapi_size_or_error_t sender_result;
    size_t peer_got;
    uint32_t peer_sum;
    /* a connection the peer writes to during the outage */
    tcp_socket_t *quiet;
    int quiet_peer;
    /* a UDP socket the peer sends a datagram to during the outage */
    udp_socket_t *udp;
    uint16_t udp_port;
    int udp_peer;
    uint16_t udp_peer_port;
} w;

static uint8_t transfer_data[TRANSFER];

static void *send_transfer(void *arg)
{
    size_t sent = 0;

    (void)arg;
    while (sent < TRANSFER) {
        nsapi_size_or_error_t n =
            tcp_socket_send(w.xfer, transfer_data + sent, (nsapi_size_t)(TRANSFER - sent));

        if (n <= 0) {
            w.sender_result = n;
            return NULL;
        }
        sent += (size_t)n;
    }
    w.sender_result = (nsapi_size_or_error_t)sent;
    return NULL;
}

/* A TCP connection from the device to a fresh POSIX listener whose accepted socket
 * gets a small receive buffer. */
static void small_pair(tcp_socket_t **s, int *peer)
{
    int small = SMALL_BUFFER;
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    socket_address_t to;

    assert_int_equal(setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
    *s = tcp_socket_new();
    assert_int_equal(socket_open(*s, w.ni), NSAPI_ERROR_OK);
    assert_int_equal(socket_setsockopt(*s, NSAPI_SOCKET, NSAPI_SNDBUF, &small, sizeof(small)),
                     NSAPI_ERROR_OK);
    addr_of(&to, "127.0.0.1", port);
    socket_set_timeout(*s, WAIT_MS);
    assert_int_equal(tcp_socket_connect(*s, &to), NSAPI_ERROR_OK);
    *peer = posix_accept_within(lfd, WAIT_MS, NULL);
    assert_true(*peer >= 0);
    close(lfd);
}

static int before_the_outage(void **state)
{
    (void)state;
    w.ni = up_interface();
    status_log_init(&w.status);
    network_interface_attach(w.ni, status_record, &w.status);
    fill_pattern(transfer_data, sizeof(transfer_data), 11);
    w.peer_sum = CHECKSUM_START;
    small_pair(&w.xfer, &w.xfer_peer);
    socket_set_timeout(w.xfer, -1);
    if (pthread_create(&w.sender, NULL, send_transfer, NULL) != 0)
        return -1;
    tcp_pair(w.ni, &w.quiet, &w.quiet_peer);
    w.udp = udp_bound(w.ni, &w.udp_port, 200);
    w.udp_peer = posix_udp_socket("127.0.0.1", &w.udp_peer_port);
    return 0;
}

static int after_the_story(void **state)
{
    (void)state;
    network_interface_attach(w.ni, NULL, NULL);
    socket_delete(w.xfer);
    socket_delete(w.quiet);
    socket_delete(w.udp);
    close(w.xfer_peer);
    close(w.quiet_peer);
    close(w.udp_peer);
    event_destroy(&w.status.ev);
    return 0;
}

/* The t= of the first log line containing what. */
static double logged_at(const char *what)
{
    char *text = log_since(log_path, 0);
    char line[256];
    double t;

    assert_true(log_find(text, line, sizeof(line), what, NULL));
    t = log_line_time(line);
    free(text);
    return t;
}

/* The outage has not ended: the callback has not said anything after DISCONNECTED. */
static void assert_still_down(void)
{
    assert_int_equal(status_count(&w.status), 1);
}

/* The peer of the transfer reads what comes until it has all, or quiet_ms pass
 * without a byte. */
static void transfer_peer_read(int quiet_ms)
{
    static uint8_t buf[65536];

    while (w.peer_got < TRANSFER) {
        ssize_t n = posix_recv_within(w.xfer_peer, buf, sizeof(buf), quiet_ms);

        if (n <= 0)
            return;
        w.peer_sum = checksum(w.peer_sum, buf, (size_t)n);
        w.peer_got += (size_t)n;
    }
}

/* ---- the outage ---------------------------------------------------------------------- */

static void test_link_down_reports_disconnected_at_its_time(void **state)
{
    (void)state;
    assert_true(status_wait_nth(&w.status, NSAPI_STATUS_DISCONNECTED, 1, WAIT_MS));
    assert_int_equal(status_at(&w.status, 0), NSAPI_STATUS_DISCONNECTED);
    assert_true(logged_at("link down") >= DOWN_AT);
    assert_int_equal(network_interface_get_connection_status(w.ni), NSAPI_STATUS_DISCONNECTED);
    assert_still_down();
}

static void test_get_ip_address_is_null_while_the_link_is_down(void **state)
{
    (void)state;
    assert_null(network_interface_get_ip_address(w.ni));
    assert_null(network_interface_get_netmask(w.ni));
    assert_null(network_interface_get_gateway(w.ni));
    assert_still_down();
}

static void test_connect_returns_no_connection_while_the_link_is_down(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    tcp_socket_t *s = tcp_socket_new();
    socket_address_t to;

    (void)state;
    assert_int_equal(socket_open(s, w.ni), NSAPI_ERROR_OK); /* opening is allowed */
    socket_set_timeout(s, WAIT_MS);
    addr_of(&to, "127.0.0.1", port);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_NO_CONNECTION);
    assert_false(posix_readable_within(lfd, 100));
    socket_delete(s);
    close(lfd);
    assert_still_down();
}

static void test_sendto_returns_no_connection_while_the_link_is_down(void **state)
{
    socket_address_t to;

    (void)state;
    addr_of(&to, "127.0.0.1", w.udp_peer_port);
    assert_int_equal(udp_socket_sendto(w.udp, &to, "lost", 4), NSAPI_ERROR_NO_CONNECTION);
    assert_true(posix_recvfrom_within(w.udp_peer, (char[8]){0}, 8, 100, NULL, NULL) < 0);
    assert_still_down();
}

static void test_gethostbyname_returns_no_connection_while_the_link_is_down(void **state)
{
    socket_address_t out;

    (void)state;
    assert_int_equal(network_interface_gethostbyname(w.ni, "broker.example", &out, NSAPI_UNSPEC),
                     NSAPI_ERROR_NO_CONNECTION);
    assert_still_down();
}

static void test_interface_connect_returns_no_connection_while_the_link_is_down(void **state)
{
    network_interface_t *other = ethernet_interface_new();

    (void)state;
    assert_int_equal(network_interface_connect(w.ni), NSAPI_ERROR_NO_CONNECTION);
    assert_int_equal(network_interface_connect(other), NSAPI_ERROR_NO_CONNECTION);
    assert_int_equal(network_interface_get_connection_status(other), NSAPI_STATUS_DISCONNECTED);
    network_interface_delete(other);
    assert_still_down();
}

static void test_a_recv_waits_out_its_timeout_while_the_link_is_down(void **state)
{
    char buf[16];
    uint64_t start;

    (void)state;
    posix_send_all(w.quiet_peer, "during", 6); /* reaches the kernel, not the device */
    socket_set_timeout(w.quiet, 300);
    start = test_now_ms();
    assert_int_equal(tcp_socket_recv(w.quiet, buf, sizeof(buf)), NSAPI_ERROR_WOULD_BLOCK);
    assert_in_range(test_now_ms() - start, 290, 2000);
    /* A datagram that comes in now is never delivered: the cable is out. */
    posix_sendto(w.udp_peer, "127.0.0.1", w.udp_port, "gone", 4);
    assert_int_equal(udp_socket_recvfrom(w.udp, NULL, buf, sizeof(buf)), NSAPI_ERROR_WOULD_BLOCK);
    assert_still_down();
}

static void test_an_established_transfer_stalls_while_the_link_is_down(void **state)
{
    (void)state;
    /* The peer gets what the kernels held when the cable went, and then nothing. */
    transfer_peer_read(300);
    assert_true(w.peer_got < TRANSFER / 2);
    assert_still_down();
}

/* ---- after the outage ---------------------------------------------------------------- */

static void test_the_interface_comes_back_up_by_itself_when_the_link_returns(void **state)
{
    (void)state;
    assert_true(status_wait_nth(&w.status, NSAPI_STATUS_GLOBAL_UP, 1, 3 * WAIT_MS / 2));
    assert_int_equal(status_count(&w.status), 2);
    assert_int_equal(status_at(&w.status, 1), NSAPI_STATUS_GLOBAL_UP);
    assert_true(logged_at("link up") >= UP_AT);
    assert_string_equal(network_interface_get_ip_address(w.ni), "127.0.0.1");
    assert_int_equal(network_interface_get_connection_status(w.ni), NSAPI_STATUS_GLOBAL_UP);
}

static void test_the_transfer_completes_byte_exact_after_the_link_returns(void **state)
{
    (void)state;
    while (w.peer_got < TRANSFER) {
        size_t before = w.peer_got;

        transfer_peer_read(WAIT_MS);
        assert_true(w.peer_got > before);
    }
    join_within(w.sender, WAIT_MS);
    assert_int_equal(w.sender_result, TRANSFER);
    assert_int_equal(w.peer_got, TRANSFER);
    assert_int_equal(w.peer_sum, checksum(CHECKSUM_START, transfer_data, TRANSFER));
}

static void test_what_the_peer_sent_during_the_outage_arrives_after_it(void **state)
{
    char buf[16];

    (void)state;
    socket_set_timeout(w.quiet, WAIT_MS);
    assert_int_equal(tcp_socket_recv(w.quiet, buf, sizeof(buf)), 6);
    assert_memory_equal(buf, "during", 6);
}

static void test_datagrams_that_came_in_during_the_outage_are_dropped(void **state)
{
    char buf[16], line[256], *text;

    (void)state;
    assert_int_equal(udp_socket_recvfrom(w.udp, NULL, buf, sizeof(buf)), NSAPI_ERROR_WOULD_BLOCK);
    posix_sendto(w.udp_peer, "127.0.0.1", w.udp_port, "back", 4);
    socket_set_timeout(w.udp, WAIT_MS);
    assert_int_equal(udp_socket_recvfrom(w.udp, NULL, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "back", 4);
    /* The udp socket was the third opened (transfer, quiet, udp). */
    text = log_since(log_path, 0);
    assert_true(log_find(text, line, sizeof(line), "sock=3 link down drop datagrams=1", NULL));
    free(text);
}

static void test_new_connections_and_datagrams_work_after_the_link_returns(void **state)
{
    struct echo_server *e = echo_server_start("127.0.0.1", SOCK_STREAM);
    tcp_socket_t *s = tcp_connected(w.ni, "127.0.0.1", echo_server_port(e));
    socket_address_t to, out;
    char buf[8];

    (void)state;
    nsemu_send_all(s, "again", 5);
    nsemu_recv_all(s, buf, 5);
    assert_memory_equal(buf, "again", 5);
    addr_of(&to, "127.0.0.1", w.udp_peer_port);
    assert_int_equal(udp_socket_sendto(w.udp, &to, "up", 2), 2);
    assert_int_equal(posix_recvfrom_within(w.udp_peer, buf, sizeof(buf), WAIT_MS, NULL, NULL), 2);
    assert_int_equal(network_interface_gethostbyname(w.ni, "127.0.0.1", &out, NSAPI_UNSPEC),
                     NSAPI_ERROR_OK);
    socket_delete(s);
    echo_server_stop(e);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_down_reports_disconnected_at_its_time),
        cmocka_unit_test(test_get_ip_address_is_null_while_the_link_is_down),
        cmocka_unit_test(test_connect_returns_no_connection_while_the_link_is_down),
        cmocka_unit_test(test_sendto_returns_no_connection_while_the_link_is_down),
        cmocka_unit_test(test_gethostbyname_returns_no_connection_while_the_link_is_down),
        cmocka_unit_test(test_interface_connect_returns_no_connection_while_the_link_is_down),
        cmocka_unit_test(test_a_recv_waits_out_its_timeout_while_the_link_is_down),
        cmocka_unit_test(test_an_established_transfer_stalls_while_the_link_is_down),
        cmocka_unit_test(test_the_interface_comes_back_up_by_itself_when_the_link_returns),
        cmocka_unit_test(test_the_transfer_completes_byte_exact_after_the_link_returns),
        cmocka_unit_test(test_what_the_peer_sent_during_the_outage_arrives_after_it),
        cmocka_unit_test(test_datagrams_that_came_in_during_the_outage_are_dropped),
        cmocka_unit_test(test_new_connections_and_datagrams_work_after_the_link_returns),
    };

    if (argc != 2) {
        fprintf(stderr, "usage: %s EVENT_LOG\n", argv[0]);
        return 2;
    }
    log_path = argv[1];
    return cmocka_run_group_tests(tests, before_the_outage, after_the_story);
}
