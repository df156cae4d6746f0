/*
 * test_tcp_faults.c: the TCP fault knobs that act on calls, each turned on through the
 * control API and seen at work against a plain POSIX peer, and each shown off by
 * default: tcp.connect (refuse, timeout), device.connect_timeout_ms, tcp.send_chunk,
 * tcp.recv_chunk and tcp.reset_after_bytes. Every test starts and ends with
 * nsemu_reset(). tcp.latency_ms and tcp.rate_kbps are in test_shaper.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "faults_support.h"
#include "harness.h"

#define QUIET_MS 300 /* how long "nothing happens" is watched for */

static tcp_socket_t *opened_tcp(int timeout_ms)
{
    tcp_socket_t *s = tcp_socket_new();

    assert_non_null(s);
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    socket_set_timeout(s, timeout_ms);
    return s;
}

static void assert_knob(const char *knob, const char *expect)
{
    char value[64];

    assert_int_equal(nsemu_get(knob, value, sizeof(value)), NSAPI_ERROR_OK);
    assert_string_equal(value, expect);
}

/* The POSIX peer reads until the connection ends; returns the bytes it got and leaves
 * in *err the errno that ended it (0 for an orderly close, ETIMEDOUT for silence). */
static size_t peer_read_to_end(int fd, int *err)
{
    uint8_t buf[65536];
    size_t total = 0;

    for (;;) {
        ssize_t n;

        if (!posix_readable_within(fd, WAIT_MS)) {
            *err = ETIMEDOUT;
            return total;
        }
        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
            total += (size_t)n;
            continue;
        }
        *err = n == 0 ? 0 : errno;
        if (n < 0 && errno == EAGAIN)
            continue;
        return total;
    }
}

/* ---- tcp.connect -------------------------------------------------------------------- */

static void test_tcp_connect_is_ok_by_default(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    tcp_socket_t *s = opened_tcp(WAIT_MS);
    socket_address_t to;
    int peer;

    (void)state;
    assert_knob("tcp.connect", "ok");
    addr_of(&to, "127.0.0.1", port);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_OK);
    peer = posix_accept_within(lfd, WAIT_MS, NULL);
    assert_true(peer >= 0);
    close(peer);
    close(lfd);
    socket_delete(s);
}

static void
test_tcp_connect_refuse_returns_no_connection_and_the_listener_sees_nothing(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    tcp_socket_t *s = opened_tcp(WAIT_MS);
    socket_address_t to;
    uint64_t start;

    (void)state;
    assert_int_equal(nsemu_set("tcp.connect", "refuse"), NSAPI_ERROR_OK);
    addr_of(&to, "127.0.0.1", port);
    start = test_now_ms();
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_NO_CONNECTION);
    assert_in_range(test_now_ms() - start, 0, 1000); /* refused at once */
    assert_false(posix_readable_within(lfd, QUIET_MS));
    close(lfd);
    socket_delete(s);
}

static void test_connect_after_tcp_connect_is_cleared_succeeds(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    tcp_socket_t *s = opened_tcp(WAIT_MS);
    socket_address_t to;
    int peer;

    (void)state;
    addr_of(&to, "127.0.0.1", port);
    assert_int_equal(nsemu_set("tcp.connect", "refuse"), NSAPI_ERROR_OK);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_NO_CONNECTION);
    assert_int_equal(nsemu_clear("tcp.connect"), NSAPI_ERROR_OK);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_OK);
    peer = posix_accept_within(lfd, WAIT_MS, NULL);
    assert_true(peer >= 0);
    close(peer);
    close(lfd);
    socket_delete(s);
}

static void
test_tcp_connect_timeout_returns_connection_timeout_after_the_socket_timeout(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    tcp_socket_t *s = opened_tcp(300);
    socket_address_t to;
    uint64_t start;

    (void)state;
    assert_int_equal(nsemu_set("tcp.connect", "timeout"), NSAPI_ERROR_OK);
    addr_of(&to, "127.0.0.1", port);
    start = test_now_ms();
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_CONNECTION_TIMEOUT);
    assert_in_range(test_now_ms() - start, 290, 3000);
    assert_false(posix_readable_within(lfd, QUIET_MS));
    close(lfd);
    socket_delete(s);
}

static void test_tcp_connect_timeout_nonblocking_is_in_progress_then_already(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    tcp_socket_t *s = opened_tcp(0);
    socket_address_t to;

    (void)state;
    assert_int_equal(nsemu_set("tcp.connect", "timeout"), NSAPI_ERROR_OK);
    addr_of(&to, "127.0.0.1", port);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_IN_PROGRESS);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_ALREADY);
    /* Nobody ever answers: it stays pending, and the listener sees nothing. */
    assert_false(posix_readable_within(lfd, QUIET_MS));
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_ALREADY);
    close(lfd);
    socket_delete(s);
}

/* As on a real connect whose SYN goes unanswered, nothing moves: not lost, not
 * refused, just not yet. */
static void test_data_calls_on_a_silent_connect_would_block(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    tcp_socket_t *s = opened_tcp(0);
    socket_address_t to;
    uint64_t start;
    char buf[4];

    (void)state;
    assert_int_equal(nsemu_set("tcp.connect", "timeout"), NSAPI_ERROR_OK);
    addr_of(&to, "127.0.0.1", port);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_IN_PROGRESS);
    assert_int_equal(tcp_socket_send(s, "x", 1), NSAPI_ERROR_WOULD_BLOCK);
    assert_int_equal(tcp_socket_recv(s, buf, sizeof(buf)), NSAPI_ERROR_WOULD_BLOCK);
    socket_set_timeout(s, 200);
    start = test_now_ms();
    assert_int_equal(tcp_socket_recv(s, buf, sizeof(buf)), NSAPI_ERROR_WOULD_BLOCK);
    assert_in_range(test_now_ms() - start, 190, 3000);
    close(lfd);
    socket_delete(s);
}

/* ---- device.connect_timeout_ms ------------------------------------------------------- */

static void test_connect_timeout_ms_bounds_a_blocking_connect_with_timeout_forever(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    tcp_socket_t *s = opened_tcp(-1);
    socket_address_t to;
    uint64_t start;

    (void)state;
    assert_int_equal(nsemu_set("tcp.connect", "timeout"), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_set("device.connect_timeout_ms", "300"), NSAPI_ERROR_OK);
    addr_of(&to, "127.0.0.1", port);
    start = test_now_ms();
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_CONNECTION_TIMEOUT);
    assert_in_range(test_now_ms() - start, 290, 3000);
    close(lfd);
    socket_delete(s);
}

struct pending_connect {
    tcp_socket_t *s;
    socket_address_t to;
    struct event done;
    nsapi_error_t result;
};

static void *connect_thread(void *arg)
{
    struct pending_connect *c = arg;

    c->result = tcp_socket_connect(c->s, &c->to);
    event_signal(&c->done);
    return NULL;
}

static void test_connect_timeout_ms_is_ten_seconds_by_default(void **state)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    struct pending_connect c;
    pthread_t t;

    (void)state;
    assert_knob("device.connect_timeout_ms", "10000");
    assert_int_equal(nsemu_set("tcp.connect", "timeout"), NSAPI_ERROR_OK);
    c.s = opened_tcp(-1);
    addr_of(&c.to, "127.0.0.1", port);
    event_init(&c.done);
    assert_int_equal(pthread_create(&t, NULL, connect_thread, &c), 0);
    /* A connect bounded by 300 ms would be over long before this second ends. */
    assert_false(event_wait_count(&c.done, 1, 1000));
    socket_close(c.s); /* ends the wait: the socket closed under the call */
    join_within(t, WAIT_MS);
    assert_int_equal(c.result, NSAPI_ERROR_NO_SOCKET);
    event_destroy(&c.done);
    close(lfd);
    socket_delete(c.s);
}

/* ---- tcp.send_chunk ----------------------------------------------------------------- */

static void test_tcp_send_chunk_is_off_by_default(void **state)
{
    static uint8_t data[10000], got[10000];
    tcp_socket_t *s;
    size_t n = 0;
    int peer;

    (void)state;
    assert_knob("tcp.send_chunk", "0");
    tcp_pair(up_interface(), &s, &peer);
    fill_pattern(data, sizeof(data), 1);
    assert_int_equal(tcp_socket_send(s, data, sizeof(data)), (int)sizeof(data));
    while (n < sizeof(got)) {
        ssize_t k = posix_recv_within(peer, got + n, sizeof(got) - n, WAIT_MS);

        assert_true(k > 0);
        n += (size_t)k;
    }
    assert_memory_equal(got, data, sizeof(data));
    close(peer);
    socket_delete(s);
}

static void test_tcp_send_chunk_makes_a_send_accept_at_most_that_many_bytes(void **state)
{
    static uint8_t data[10000], got[10000];
    tcp_socket_t *s;
    size_t n = 0;
    int peer;

    (void)state;
    assert_int_equal(nsemu_set("tcp.send_chunk", "100"), NSAPI_ERROR_OK);
    tcp_pair(up_interface(), &s, &peer);
    fill_pattern(data, sizeof(data), 2);
    assert_int_equal(tcp_socket_send(s, data, sizeof(data)), 100);
    while (n < 100) {
        ssize_t k = posix_recv_within(peer, got + n, sizeof(got) - n, WAIT_MS);

        assert_true(k > 0);
        n += (size_t)k;
    }
    assert_int_equal(n, 100);
    assert_memory_equal(got, data, 100);
    assert_false(posix_readable_within(peer, QUIET_MS)); /* and not a byte more */
    /* The rest goes 100 bytes per call, in order. */
    for (size_t off = 100; off < sizeof(data); off += 100)
        assert_int_equal(tcp_socket_send(s, data + off, (nsapi_size_t)(sizeof(data) - off)), 100);
    while (n < sizeof(got)) {
        ssize_t k = posix_recv_within(peer, got + n, sizeof(got) - n, WAIT_MS);

        assert_true(k > 0);
        n += (size_t)k;
    }
    assert_memory_equal(got, data, sizeof(data));
    close(peer);
    socket_delete(s);
}

/* ---- tcp.recv_chunk ----------------------------------------------------------------- */

static void test_tcp_recv_chunk_is_off_by_default(void **state)
{
    uint8_t data[1000], got[4096];
    tcp_socket_t *s;
    int peer;

    (void)state;
    assert_knob("tcp.recv_chunk", "0");
    tcp_pair(up_interface(), &s, &peer);
    fill_pattern(data, sizeof(data), 3);
    posix_send_all(peer, data, sizeof(data)); /* one segment on loopback */
    assert_int_equal(tcp_socket_recv(s, got, sizeof(got)), (int)sizeof(data));
    assert_memory_equal(got, data, sizeof(data));
    close(peer);
    socket_delete(s);
}

static void test_tcp_recv_chunk_makes_a_recv_return_at_most_that_many_bytes(void **state)
{
    uint8_t data[1000], got[1000];
    tcp_socket_t *s;
    int peer;

    (void)state;
    assert_int_equal(nsemu_set("tcp.recv_chunk", "10"), NSAPI_ERROR_OK);
    tcp_pair(up_interface(), &s, &peer);
    fill_pattern(data, sizeof(data), 4);
    posix_send_all(peer, data, sizeof(data));
    for (size_t off = 0; off < sizeof(got); off += 10)
        assert_int_equal(tcp_socket_recv(s, got + off, (nsapi_size_t)(sizeof(got) - off)), 10);
    assert_memory_equal(got, data, sizeof(data));
    close(peer);
    socket_delete(s);
}

/* ---- tcp.reset_after_bytes ------------------------------------------------------------ */

static void test_tcp_reset_after_bytes_is_off_by_default(void **state)
{
    static uint8_t data[200000], got[200000];
    struct echo_server *e = echo_server_start("127.0.0.1", SOCK_STREAM);
    tcp_socket_t *s = tcp_connected(up_interface(), "127.0.0.1", echo_server_port(e));

    (void)state;
    assert_knob("tcp.reset_after_bytes", "0");
    fill_pattern(data, sizeof(data), 5);
    for (size_t off = 0; off < sizeof(data); off += 20000) {
        nsemu_send_all(s, data + off, 20000);
        nsemu_recv_all(s, got + off, 20000);
    }
    assert_memory_equal(got, data, sizeof(data));
    socket_delete(s);
    echo_server_stop(e);
}

static void test_tcp_reset_after_bytes_resets_a_connection_that_sends_too_much(void **state)
{
    uint8_t data[4000], buf[16];
    tcp_socket_t *s;
    int peer, err;

    (void)state;
    assert_int_equal(nsemu_set("tcp.reset_after_bytes", "1000"), NSAPI_ERROR_OK);
    tcp_pair(up_interface(), &s, &peer);
    fill_pattern(data, sizeof(data), 6);
    assert_int_equal(tcp_socket_send(s, data, sizeof(data)), 1000); /* what left before */
    assert_int_equal(tcp_socket_send(s, data, sizeof(data)), NSAPI_ERROR_CONNECTION_LOST);
    assert_int_equal(tcp_socket_recv(s, buf, sizeof(buf)), NSAPI_ERROR_CONNECTION_LOST);
    assert_in_range(peer_read_to_end(peer, &err), 0, 1000);
    assert_int_equal(err, ECONNRESET);
    close(peer);
    socket_delete(s);
}

static void test_tcp_reset_after_bytes_resets_a_connection_that_receives_too_much(void **state)
{
    uint8_t data[4000], got[4000];
    tcp_socket_t *s;
    size_t total = 0;
    int peer, err;

    (void)state;
    assert_int_equal(nsemu_set("tcp.reset_after_bytes", "1000"), NSAPI_ERROR_OK);
    tcp_pair(up_interface(), &s, &peer);
    fill_pattern(data, sizeof(data), 7);
    posix_send_all(peer, data, sizeof(data));
    for (;;) {
        nsapi_size_or_error_t n = tcp_socket_recv(s, got + total, sizeof(got) - total);

        if (n < 0) {
            assert_int_equal(n, NSAPI_ERROR_CONNECTION_LOST);
            break;
        }
        assert_true(n > 0);
        total += (size_t)n;
    }
    assert_int_equal(total, 1000);
    assert_memory_equal(got, data, total);
    assert_int_equal(peer_read_to_end(peer, &err), 0);
    assert_int_equal(err, ECONNRESET);
    close(peer);
    socket_delete(s);
}

static void test_tcp_reset_after_bytes_counts_both_directions(void **state)
{
    struct echo_server *e = echo_server_start("127.0.0.1", SOCK_STREAM);
    tcp_socket_t *s;
    uint8_t data[600], got[600];
    size_t total = 0;

    (void)state;
    assert_int_equal(nsemu_set("tcp.reset_after_bytes", "1000"), NSAPI_ERROR_OK);
    s = tcp_connected(up_interface(), "127.0.0.1", echo_server_port(e));
    fill_pattern(data, sizeof(data), 8);
    assert_int_equal(tcp_socket_send(s, data, sizeof(data)), (int)sizeof(data));
    /* 600 out, so only 400 of the 600 echoed may come in. */
    for (;;) {
        nsapi_size_or_error_t n = tcp_socket_recv(s, got + total, sizeof(got) - total);

        if (n < 0) {
            assert_int_equal(n, NSAPI_ERROR_CONNECTION_LOST);
            break;
        }
        assert_true(n > 0);
        total += (size_t)n;
    }
    assert_int_equal(total, 400);
    assert_memory_equal(got, data, total);
    socket_delete(s);
    echo_server_stop(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, knobs_reset, knobs_reset)
        T(test_tcp_connect_is_ok_by_default),
        T(test_tcp_connect_refuse_returns_no_connection_and_the_listener_sees_nothing),
        T(test_connect_after_tcp_connect_is_cleared_succeeds),
        T(test_tcp_connect_timeout_returns_connection_timeout_after_the_socket_timeout),
        T(test_tcp_connect_timeout_nonblocking_is_in_progress_then_already),
        T(test_data_calls_on_a_silent_connect_would_block),
        T(test_connect_timeout_ms_bounds_a_blocking_connect_with_timeout_forever),
        T(test_connect_timeout_ms_is_ten_seconds_by_default),
        T(test_tcp_send_chunk_is_off_by_default),
        T(test_tcp_send_chunk_makes_a_send_accept_at_most_that_many_bytes),
        T(test_tcp_recv_chunk_is_off_by_default),
        T(test_tcp_recv_chunk_makes_a_recv_return_at_most_that_many_bytes),
        T(test_tcp_reset_after_bytes_is_off_by_default),
        T(test_tcp_reset_after_bytes_resets_a_connection_that_sends_too_much),
        T(test_tcp_reset_after_bytes_resets_a_connection_that_receives_too_much),
        T(test_tcp_reset_after_bytes_counts_both_directions),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
