/*
 * test_shaper.c: tcp.latency_ms and tcp.rate_kbps, the knobs that hold TCP data back in
 * the shaper's queues, measured against plain POSIX peers: with latency each direction
 * is at least that late; with a rate a transfer takes at least its size over the rate,
 * measured where the bytes arrive. Bounds are wide on the slow side. Each knob is also
 * shown off by default. Every test starts and ends with nsemu_reset().
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

#define LATENCY_MS     150
#define CLOCK_SLACK_MS 5              /* the shaper and the test each count whole milliseconds */
#define RATE_KBPS      "8000"         /* 1,000,000 bytes/s */
#define TRANSFER       (400u * 1024u) /* at the rate: about 0.41 s */
#define RATE_MIN_MS    300            /* what the rate must at least cost */

static void assert_knob(const char *knob, const char *expect)
{
    char value[64];

    assert_int_equal(nsemu_get(knob, value, sizeof(value)), NSAPI_ERROR_OK);
    assert_string_equal(value, expect);
}

/* ---- tcp.latency_ms ------------------------------------------------------------------ */

/* One byte from the device to the echo server and back: milliseconds. */
static uint64_t echo_round_trip(tcp_socket_t *s)
{
    uint64_t start = test_now_ms();
    char c = 'x', back = 0;

    assert_int_equal(tcp_socket_send(s, &c, 1), 1);
    assert_int_equal(tcp_socket_recv(s, &back, 1), 1);
    assert_int_equal(back, 'x');
    return test_now_ms() - start;
}

static void test_tcp_latency_is_off_by_default(void **state)
{
    struct echo_server *e = echo_server_start("127.0.0.1", SOCK_STREAM);
    tcp_socket_t *s = tcp_connected(up_interface(), "127.0.0.1", echo_server_port(e));

    (void)state;
    assert_knob("tcp.latency_ms", "0");
    assert_in_range(echo_round_trip(s), 0, LATENCY_MS - 1);
    socket_delete(s);
    echo_server_stop(e);
}

static void test_tcp_latency_delays_an_echo_by_twice_the_latency(void **state)
{
    struct echo_server *e = echo_server_start("127.0.0.1", SOCK_STREAM);
    tcp_socket_t *s = tcp_connected(up_interface(), "127.0.0.1", echo_server_port(e));

    (void)state;
    assert_int_equal(nsemu_set("tcp.latency_ms", "150"), NSAPI_ERROR_OK);
    assert_in_range(echo_round_trip(s), 2 * LATENCY_MS - CLOCK_SLACK_MS, 3000);
    assert_in_range(echo_round_trip(s), 2 * LATENCY_MS - CLOCK_SLACK_MS, 3000);
    socket_delete(s);
    echo_server_stop(e);
}

static void test_tcp_latency_delays_what_the_device_sends(void **state)
{
    tcp_socket_t *s;
    uint64_t start;
    char c = 0;
    int peer;

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    assert_int_equal(nsemu_set("tcp.latency_ms", "150"), NSAPI_ERROR_OK);
    start = test_now_ms();
    assert_int_equal(tcp_socket_send(s, "y", 1), 1);
    assert_int_equal(posix_recv_within(peer, &c, 1, WAIT_MS), 1);
    assert_in_range(test_now_ms() - start, LATENCY_MS - CLOCK_SLACK_MS, 3000);
    assert_int_equal(c, 'y');
    close(peer);
    socket_delete(s);
}

static void test_tcp_latency_delays_what_the_device_receives(void **state)
{
    tcp_socket_t *s;
    uint64_t start;
    char c = 0;
    int peer;

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    assert_int_equal(nsemu_set("tcp.latency_ms", "150"), NSAPI_ERROR_OK);
    start = test_now_ms();
    posix_send_all(peer, "z", 1);
    assert_int_equal(tcp_socket_recv(s, &c, 1), 1);
    assert_in_range(test_now_ms() - start, LATENCY_MS - CLOCK_SLACK_MS, 3000);
    assert_int_equal(c, 'z');
    close(peer);
    socket_delete(s);
}

/* ---- tcp.rate_kbps ------------------------------------------------------------------- */

/* A POSIX peer on its own thread: reads or writes TRANSFER bytes and notes when the
 * first and the last byte moved. It never asserts; the test checks what it recorded. */
struct peer_transfer {
    int fd;
    const uint8_t *data;
    uint8_t *got;
    size_t done;
    uint64_t first_ms, last_ms;
    int err;
};

static void *peer_receive(void *arg)
{
    struct peer_transfer *p = arg;

    while (p->done < TRANSFER) {
        ssize_t n;

        if (!posix_readable_within(p->fd, WAIT_MS)) {
            p->err = ETIMEDOUT;
            break;
        }
        n = recv(p->fd, p->got + p->done, TRANSFER - p->done, MSG_DONTWAIT);
        if (n <= 0) {
            if (n < 0 && errno == EAGAIN)
                continue;
            p->err = n == 0 ? EPIPE : errno;
            break;
        }
        if (p->done == 0)
            p->first_ms = test_now_ms();
        p->done += (size_t)n;
        p->last_ms = test_now_ms();
    }
    return NULL;
}

static void *peer_send(void *arg)
{
    struct peer_transfer *p = arg;

    p->first_ms = test_now_ms();
    while (p->done < TRANSFER) {
        ssize_t n = send(p->fd, p->data + p->done, TRANSFER - p->done, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            p->err = errno;
            break;
        }
        p->done += (size_t)n;
    }
    p->last_ms = test_now_ms();
    return NULL;
}

/* The device sends TRANSFER bytes; the peer's first-to-last-byte time, in ms. */
static uint64_t device_sends(void)
{
    static uint8_t data[TRANSFER], got[TRANSFER];
    struct peer_transfer p = {.got = got};
    tcp_socket_t *s;
    pthread_t t;

    tcp_pair(up_interface(), &s, &p.fd);
    fill_pattern(data, sizeof(data), 9);
    assert_int_equal(pthread_create(&t, NULL, peer_receive, &p), 0);
    nsemu_send_all(s, data, sizeof(data));
    join_within(t, 15000);
    assert_int_equal(p.err, 0);
    assert_int_equal(p.done, TRANSFER);
    assert_memory_equal(got, data, sizeof(data));
    close(p.fd);
    socket_delete(s);
    return p.last_ms - p.first_ms;
}

/* The peer sends TRANSFER bytes; the device's first-to-last-byte time, in ms. */
static uint64_t device_receives(void)
{
    static uint8_t data[TRANSFER], got[TRANSFER];
    struct peer_transfer p = {.data = data};
    uint64_t first = 0;
    size_t n = 0;
    tcp_socket_t *s;
    pthread_t t;

    tcp_pair(up_interface(), &s, &p.fd);
    fill_pattern(data, sizeof(data), 10);
    assert_int_equal(pthread_create(&t, NULL, peer_send, &p), 0);
    while (n < TRANSFER) {
        nsapi_size_or_error_t k = tcp_socket_recv(s, got + n, (nsapi_size_t)(TRANSFER - n));

        assert_true(k > 0);
        if (n == 0)
            first = test_now_ms();
        n += (size_t)k;
    }
    join_within(t, WAIT_MS);
    assert_int_equal(p.err, 0);
    assert_memory_equal(got, data, sizeof(data));
    close(p.fd);
    socket_delete(s);
    return test_now_ms() - first;
}

static void test_tcp_rate_is_unlimited_by_default(void **state)
{
    (void)state;
    assert_knob("tcp.rate_kbps", "0");
    assert_in_range(device_sends(), 0, RATE_MIN_MS - 1);
    assert_in_range(device_receives(), 0, RATE_MIN_MS - 1);
}

static void test_tcp_rate_limits_what_the_device_sends(void **state)
{
    (void)state;
    assert_int_equal(nsemu_set("tcp.rate_kbps", RATE_KBPS), NSAPI_ERROR_OK);
    assert_in_range(device_sends(), RATE_MIN_MS, 10000);
}

static void test_tcp_rate_limits_what_the_device_receives(void **state)
{
    (void)state;
    assert_int_equal(nsemu_set("tcp.rate_kbps", RATE_KBPS), NSAPI_ERROR_OK);
    assert_in_range(device_receives(), RATE_MIN_MS, 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, knobs_reset, knobs_reset)
        T(test_tcp_latency_is_off_by_default),
        T(test_tcp_latency_delays_an_echo_by_twice_the_latency),
        T(test_tcp_latency_delays_what_the_device_sends),
        T(test_tcp_latency_delays_what_the_device_receives),
        T(test_tcp_rate_is_unlimited_by_default),
        T(test_tcp_rate_limits_what_the_device_sends),
        T(test_tcp_rate_limits_what_the_device_receives),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
