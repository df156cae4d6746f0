/*
 * test_tcp.c: TCPSocket against plain POSIX peers on loopback: the connect rows of
 * DESIGN §2 (refused, already connected, nonblocking IN_PROGRESS / ALREADY /
 * IS_CONNECTED, blocking connect timeouts), unconnected sends, the peer's orderly close
 * and reset, nonblocking and timed-out calls, and data both ways (a 4 MB echo with a
 * checksum, IPv6 over ::1).
 *
 * A connect that must stay pending goes to a listener whose accept queue is full: the
 * kernel drops the SYN, and retransmits it only after a second.
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

static void sigio_count(void *ctx)
{
    event_signal(ctx);
}

static tcp_socket_t *opened_tcp(void)
{
    tcp_socket_t *s = tcp_socket_new();

    assert_non_null(s);
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    return s;
}

static void test_connect_to_a_listener_is_seen_by_it(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    tcp_socket_t *s = tcp_connected(up_interface(), "127.0.0.1", port);
    int peer = posix_accept_within(lfd, WAIT_MS, NULL);

    (void)state;
    assert_true(peer >= 0);
    close(peer);
    close(lfd);
    socket_delete(s);
}

static void test_connect_refused_returns_no_connection(void **state)
{
    tcp_socket_t *s = opened_tcp();
    socket_address_t to;

    (void)state;
    addr_of(&to, "127.0.0.1", free_port("127.0.0.1"));
    socket_set_timeout(s, WAIT_MS);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_NO_CONNECTION);
    socket_delete(s);
}

static void test_connect_after_a_refused_one_can_succeed(void **state)
{
    uint16_t port = free_port("127.0.0.1");
    tcp_socket_t *s = opened_tcp();
    socket_address_t to;
    int lfd;

    (void)state;
    addr_of(&to, "127.0.0.1", port);
    socket_set_timeout(s, WAIT_MS);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_NO_CONNECTION);
    lfd = posix_tcp_listener("127.0.0.1", &port);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_OK);
    close(lfd);
    socket_delete(s);
}

static void test_connect_while_connected_returns_is_connected(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    tcp_socket_t *s = tcp_connected(up_interface(), "127.0.0.1", port);
    socket_address_t to;

    (void)state;
    addr_of(&to, "127.0.0.1", port);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_IS_CONNECTED);
    close(lfd);
    socket_delete(s);
}

/* Calls a nonblocking connect until it says IS_CONNECTED, waiting for a sigio between
 * calls; every answer before must be ALREADY. */
static void connect_until_connected(tcp_socket_t *s, const socket_address_t *to,
                                    struct event *sigio)
{
    uint64_t end = test_now_ms() + WAIT_MS;

    for (;;) {
        unsigned seen = event_count(sigio);
        nsapi_error_t r = tcp_socket_connect(s, to);

        if (r == NSAPI_ERROR_IS_CONNECTED)
            return;
        assert_int_equal(r, NSAPI_ERROR_ALREADY);
        assert_true(test_now_ms() < end);
        assert_true(event_wait_count(sigio, seen + 1, WAIT_MS));
    }
}

static void test_nonblocking_connect_is_in_progress_then_is_connected(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    tcp_socket_t *s = opened_tcp();
    socket_address_t to;
    struct event sigio;

    (void)state;
    event_init(&sigio);
    socket_set_blocking(s, false);
    socket_sigio(s, sigio_count, &sigio);
    addr_of(&to, "127.0.0.1", port);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_IN_PROGRESS);
    connect_until_connected(s, &to, &sigio);
    socket_delete(s);
    event_destroy(&sigio);
    close(lfd);
}

static void test_nonblocking_connect_pending_returns_already_then_is_connected(void **state)
{
    int fillers[2], queued;
    uint16_t port;
    int lfd = full_backlog_listener("127.0.0.1", &port, fillers);
    tcp_socket_t *s = opened_tcp();
    socket_address_t to;
    struct event sigio;

    (void)state;
    event_init(&sigio);
    socket_set_blocking(s, false);
    socket_sigio(s, sigio_count, &sigio);
    addr_of(&to, "127.0.0.1", port);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_IN_PROGRESS);
    /* The SYN was dropped and is retransmitted only after a second: still pending. */
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_ALREADY);
    queued = posix_accept_within(lfd, WAIT_MS, NULL); /* room for the retransmitted SYN */
    assert_true(queued >= 0);
    connect_until_connected(s, &to, &sigio);
    socket_delete(s);
    event_destroy(&sigio);
    close(queued);
    close(fillers[0]);
    close(fillers[1]);
    close(lfd);
}

static void test_nonblocking_connect_refused_says_no_connection_on_a_later_call(void **state)
{
    tcp_socket_t *s = opened_tcp();
    socket_address_t to;
    struct event sigio;
    uint64_t end = test_now_ms() + WAIT_MS;
    nsapi_error_t r;

    (void)state;
    event_init(&sigio);
    socket_set_blocking(s, false);
    socket_sigio(s, sigio_count, &sigio);
    addr_of(&to, "127.0.0.1", free_port("127.0.0.1"));
    r = tcp_socket_connect(s, &to);
    while (r == NSAPI_ERROR_IN_PROGRESS || r == NSAPI_ERROR_ALREADY) {
        unsigned seen = event_count(&sigio);

        r = tcp_socket_connect(s, &to);
        if (r != NSAPI_ERROR_ALREADY)
            break;
        assert_true(test_now_ms() < end);
        assert_true(event_wait_count(&sigio, seen + 1, WAIT_MS));
    }
    assert_int_equal(r, NSAPI_ERROR_NO_CONNECTION);
    socket_delete(s);
    event_destroy(&sigio);
}

/* A POSIX peer that reads until the connection ends. */
static void *sink_main(void *arg)
{
    static uint8_t buf[65536];
    int fd = *(int *)arg;

    while (recv(fd, buf, sizeof(buf), 0) > 0)
        ;
    return NULL;
}

static void test_sigio_is_called_when_a_full_socket_can_send_again(void **state)
{
    static uint8_t chunk[65536];
    tcp_socket_t *s;
    int peer;
    struct event sigio;
    nsapi_size_or_error_t r;
    pthread_t sink;
    uint64_t end;

    (void)state;
    event_init(&sigio);
    tcp_pair(up_interface(), &s, &peer);
    socket_set_blocking(s, false);
    socket_sigio(s, sigio_count, &sigio);
    assert_true(event_wait_count(&sigio, 1, WAIT_MS)); /* writable at once */
    while ((r = tcp_socket_send(s, chunk, sizeof(chunk))) > 0)
        ;
    assert_int_equal(r, NSAPI_ERROR_WOULD_BLOCK);
    /* The peer starts reading; the device is told it may send again. */
    assert_int_equal(pthread_create(&sink, NULL, sink_main, &peer), 0);
    end = test_now_ms() + WAIT_MS;
    for (;;) {
        unsigned seen = event_count(&sigio);

        r = tcp_socket_send(s, chunk, sizeof(chunk));
        if (r != NSAPI_ERROR_WOULD_BLOCK)
            break;
        assert_true(test_now_ms() < end);
        assert_true(event_wait_count(&sigio, seen + 1, WAIT_MS));
    }
    assert_true(r > 0);
    socket_sigio(s, NULL, NULL);
    socket_delete(s); /* the sink reads the end of the stream */
    join_within(sink, WAIT_MS);
    close(peer);
    event_destroy(&sigio);
}

static void test_blocking_connect_without_answer_times_out_after_the_socket_timeout(void **state)
{
    int fillers[2];
    uint16_t port;
    int lfd = full_backlog_listener("127.0.0.1", &port, fillers);
    tcp_socket_t *s = opened_tcp();
    socket_address_t to;
    uint64_t start, took;

    (void)state;
    addr_of(&to, "127.0.0.1", port);
    socket_set_timeout(s, 300);
    start = test_now_ms();
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_CONNECTION_TIMEOUT);
    took = test_now_ms() - start;
    assert_in_range(took, 250, 3000);
    socket_delete(s);
    close(fillers[0]);
    close(fillers[1]);
    close(lfd);
}

static void test_blocking_connect_with_timeout_forever_uses_device_connect_timeout(void **state)
{
    int fillers[2];
    uint16_t port;
    int lfd = full_backlog_listener("127.0.0.1", &port, fillers);
    tcp_socket_t *s = opened_tcp();
    socket_address_t to;
    uint64_t start, took;

    (void)state;
    assert_int_equal(nsemu_set("device.connect_timeout_ms", "300"), NSAPI_ERROR_OK);
    addr_of(&to, "127.0.0.1", port);
    socket_set_blocking(s, true);
    start = test_now_ms();
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_CONNECTION_TIMEOUT);
    took = test_now_ms() - start;
    assert_int_equal(nsemu_clear("device.connect_timeout_ms"), NSAPI_ERROR_OK);
    assert_in_range(took, 250, 3000);
    socket_delete(s);
    close(fillers[0]);
    close(fillers[1]);
    close(lfd);
}

static void test_connect_after_a_timed_out_one_can_succeed(void **state)
{
    int fillers[2];
    uint16_t port;
    int lfd = full_backlog_listener("127.0.0.1", &port, fillers);
    tcp_socket_t *s = opened_tcp();
    socket_address_t to;
    int a, b;

    (void)state;
    addr_of(&to, "127.0.0.1", port);
    socket_set_timeout(s, 200);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_CONNECTION_TIMEOUT);
    a = posix_accept_within(lfd, WAIT_MS, NULL);
    b = posix_accept_within(lfd, WAIT_MS, NULL);
    assert_true(a >= 0 && b >= 0);
    socket_set_timeout(s, WAIT_MS);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_OK);
    socket_delete(s);
    close(a);
    close(b);
    close(fillers[0]);
    close(fillers[1]);
    close(lfd);
}

static void test_send_on_an_unconnected_socket_returns_no_connection(void **state)
{
    tcp_socket_t *s = opened_tcp();

    (void)state;
    assert_int_equal(tcp_socket_send(s, "x", 1), NSAPI_ERROR_NO_CONNECTION);
    socket_delete(s);
}

static void test_recv_on_an_unconnected_socket_returns_no_connection(void **state)
{
    tcp_socket_t *s = opened_tcp();
    char buf[4];

    (void)state;
    assert_int_equal(tcp_socket_recv(s, buf, sizeof(buf)), NSAPI_ERROR_NO_CONNECTION);
    socket_delete(s);
}

static void test_recv_after_peer_close_returns_zero(void **state)
{
    tcp_socket_t *s;
    int peer;
    char buf[8];

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    close(peer);
    assert_int_equal(tcp_socket_recv(s, buf, sizeof(buf)), 0);
    assert_int_equal(tcp_socket_recv(s, buf, sizeof(buf)), 0);
    socket_delete(s);
}

static void test_recv_returns_pending_data_before_the_peer_close(void **state)
{
    tcp_socket_t *s;
    int peer;
    char buf[8];

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    posix_send_all(peer, "last", 4);
    close(peer);
    nsemu_recv_all(s, buf, 4);
    assert_memory_equal(buf, "last", 4);
    assert_int_equal(tcp_socket_recv(s, buf, sizeof(buf)), 0);
    socket_delete(s);
}

static void test_recv_after_peer_reset_returns_connection_lost(void **state)
{
    tcp_socket_t *s;
    int peer;
    char buf[8];

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    posix_reset(peer);
    assert_int_equal(tcp_socket_recv(s, buf, sizeof(buf)), NSAPI_ERROR_CONNECTION_LOST);
    socket_delete(s);
}

static void test_send_after_peer_reset_returns_connection_lost(void **state)
{
    tcp_socket_t *s;
    int peer;
    char buf[8];

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    posix_reset(peer);
    /* The blocking recv returns once the reset has arrived; the send comes after it. */
    assert_int_equal(tcp_socket_recv(s, buf, sizeof(buf)), NSAPI_ERROR_CONNECTION_LOST);
    assert_int_equal(tcp_socket_send(s, "x", 1), NSAPI_ERROR_CONNECTION_LOST);
    socket_delete(s);
}

static void test_nonblocking_recv_with_nothing_ready_returns_would_block(void **state)
{
    tcp_socket_t *s;
    int peer;
    char buf[8];

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    socket_set_blocking(s, false);
    assert_int_equal(tcp_socket_recv(s, buf, sizeof(buf)), NSAPI_ERROR_WOULD_BLOCK);
    close(peer);
    socket_delete(s);
}

static void test_recv_timeout_returns_would_block_after_about_the_timeout(void **state)
{
    tcp_socket_t *s;
    int peer;
    char buf[8];
    uint64_t start, took;

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    socket_set_timeout(s, 100);
    start = test_now_ms();
    assert_int_equal(tcp_socket_recv(s, buf, sizeof(buf)), NSAPI_ERROR_WOULD_BLOCK);
    took = test_now_ms() - start;
    assert_in_range(took, 90, 2000);
    close(peer);
    socket_delete(s);
}

static void test_nonblocking_send_into_a_full_window_returns_would_block(void **state)
{
    static uint8_t chunk[65536];
    tcp_socket_t *s;
    int peer, small = 4096;
    size_t total = 0;
    nsapi_size_or_error_t r;

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    assert_int_equal(socket_setsockopt(s, NSAPI_SOCKET, NSAPI_SNDBUF, &small, sizeof(small)),
                     NSAPI_ERROR_OK);
    socket_set_blocking(s, false);
    /* The peer reads nothing: the buffers fill up within a few MB at most. */
    while ((r = tcp_socket_send(s, chunk, sizeof(chunk))) > 0 && total < (64u << 20))
        total += (size_t)r;
    assert_int_equal(r, NSAPI_ERROR_WOULD_BLOCK);
    assert_true(total > 0);
    close(peer);
    socket_delete(s);
}

static void test_4mb_echo_through_a_posix_peer_keeps_every_byte(void **state)
{
    struct echo_server *echo = echo_server_start("127.0.0.1", SOCK_STREAM);
    tcp_socket_t *s = tcp_connected(up_interface(), "127.0.0.1", echo_server_port(echo));
    uint8_t *out = malloc(ECHO_BYTES), *in = malloc(ECHO_BYTES);

    (void)state;
    assert_non_null(out);
    assert_non_null(in);
    fill_pattern(out, ECHO_BYTES, 4);
    memset(in, 0, ECHO_BYTES);
    for (size_t at = 0; at < ECHO_BYTES; at += ECHO_CHUNK) {
        nsemu_send_all(s, out + at, ECHO_CHUNK);
        nsemu_recv_all(s, in + at, ECHO_CHUNK);
    }
    assert_int_equal(checksum(CHECKSUM_START, in, ECHO_BYTES),
                     checksum(CHECKSUM_START, out, ECHO_BYTES));
    assert_memory_equal(in, out, ECHO_BYTES);
    free(out);
    free(in);
    socket_delete(s);
    echo_server_stop(echo);
}

static void test_ipv6_connection_over_loopback_carries_data_both_ways(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("::1", &port), peer;
    tcp_socket_t *s = tcp_connected(up_interface(), "::1", port);
    char from[NSAPI_IP_SIZE], buf[16];

    (void)state;
    peer = posix_accept_within(lfd, WAIT_MS, from);
    assert_true(peer >= 0);
    assert_string_equal(from, "::1");
    nsemu_send_all(s, "ping6", 5);
    assert_int_equal(posix_recv_within(peer, buf, sizeof(buf), WAIT_MS), 5);
    assert_memory_equal(buf, "ping6", 5);
    posix_send_all(peer, "pong6", 5);
    nsemu_recv_all(s, buf, 5);
    assert_memory_equal(buf, "pong6", 5);
    close(peer);
    close(lfd);
    socket_delete(s);
}

static void test_ipv6_echo_of_1mb_keeps_every_byte(void **state)
{
    enum { BYTES = 1 << 20 };
    struct echo_server *echo = echo_server_start("::1", SOCK_STREAM);
    tcp_socket_t *s = tcp_connected(up_interface(), "::1", echo_server_port(echo));
    uint8_t *out = malloc(BYTES), *in = malloc(BYTES);

    (void)state;
    assert_non_null(out);
    assert_non_null(in);
    fill_pattern(out, BYTES, 6);
    for (size_t at = 0; at < BYTES; at += ECHO_CHUNK) {
        nsemu_send_all(s, out + at, ECHO_CHUNK);
        nsemu_recv_all(s, in + at, ECHO_CHUNK);
    }
    assert_int_equal(checksum(CHECKSUM_START, in, BYTES), checksum(CHECKSUM_START, out, BYTES));
    free(out);
    free(in);
    socket_delete(s);
    echo_server_stop(echo);
}

static void test_connect_host_with_an_ip_literal_connects(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port), peer;
    tcp_socket_t *s = opened_tcp();

    (void)state;
    socket_set_timeout(s, WAIT_MS);
    assert_int_equal(tcp_socket_connect_host(s, "127.0.0.1", port), NSAPI_ERROR_OK);
    peer = posix_accept_within(lfd, WAIT_MS, NULL);
    assert_true(peer >= 0);
    close(peer);
    close(lfd);
    socket_delete(s);
}

static void test_bytes_sent_counter_counts_the_payload(void **state)
{
    tcp_socket_t *s;
    int peer;
    uint64_t before, after;
    char buf[16];

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    assert_int_equal(nsemu_counter("bytes.sent", &before), NSAPI_ERROR_OK);
    nsemu_send_all(s, "0123456789", 10);
    assert_int_equal(nsemu_counter("bytes.sent", &after), NSAPI_ERROR_OK);
    assert_int_equal(after - before, 10);
    assert_int_equal(posix_recv_within(peer, buf, sizeof(buf), WAIT_MS), 10);
    close(peer);
    socket_delete(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_to_a_listener_is_seen_by_it),
        cmocka_unit_test(test_connect_refused_returns_no_connection),
        cmocka_unit_test(test_connect_after_a_refused_one_can_succeed),
        cmocka_unit_test(test_connect_while_connected_returns_is_connected),
        cmocka_unit_test(test_nonblocking_connect_is_in_progress_then_is_connected),
        cmocka_unit_test(test_nonblocking_connect_pending_returns_already_then_is_connected),
        cmocka_unit_test(test_nonblocking_connect_refused_says_no_connection_on_a_later_call),
        cmocka_unit_test(test_sigio_is_called_when_a_full_socket_can_send_again),
        cmocka_unit_test(test_blocking_connect_without_answer_times_out_after_the_socket_timeout),
        cmocka_unit_test(test_blocking_connect_with_timeout_forever_uses_device_connect_timeout),
        cmocka_unit_test(test_connect_after_a_timed_out_one_can_succeed),
        cmocka_unit_test(test_send_on_an_unconnected_socket_returns_no_connection),
        cmocka_unit_test(test_recv_on_an_unconnected_socket_returns_no_connection),
        cmocka_unit_test(test_recv_after_peer_close_returns_zero),
        cmocka_unit_test(test_recv_returns_pending_data_before_the_peer_close),
        cmocka_unit_test(test_recv_after_peer_reset_returns_connection_lost),
        cmocka_unit_test(test_send_after_peer_reset_returns_connection_lost),
        cmocka_unit_test(test_nonblocking_recv_with_nothing_ready_returns_would_block),
        cmocka_unit_test(test_recv_timeout_returns_would_block_after_about_the_timeout),
        cmocka_unit_test(test_nonblocking_send_into_a_full_window_returns_would_block),
        cmocka_unit_test(test_4mb_echo_through_a_posix_peer_keeps_every_byte),
        cmocka_unit_test(test_ipv6_connection_over_loopback_carries_data_both_ways),
        cmocka_unit_test(test_ipv6_echo_of_1mb_keeps_every_byte),
        cmocka_unit_test(test_connect_host_with_an_ip_literal_connects),
        cmocka_unit_test(test_bytes_sent_counter_counts_the_payload),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
