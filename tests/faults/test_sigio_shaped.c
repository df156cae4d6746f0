/*
 * test_sigio_shaped.c: sigio while faults hold data back — tcp.latency_ms /
 * tcp.rate_kbps shaping a connection, udp.reorder holding a datagram — and the callback
 * rules that must hold whatever they do: data that becomes due is reported, room in a
 * full send queue is reported, a callback may close or delete sockets without hanging
 * the stack thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <nsemu/nsemu.h>

#include "api_support.h"
#include "harness.h"

static struct event calls;

static void count_call(void *ctx)
{
    (void)ctx;
    event_signal(&calls);
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(nsemu_reset(), NSAPI_ERROR_OK);
    return 0;
}

/* Reads with nonblocking calls, each after a sigio, until n bytes came or no callback
 * comes within a second. */
static size_t read_by_sigio(tcp_socket_t *s, char *buf, size_t n)
{
    size_t got = 0;

    for (unsigned seen = event_count(&calls); got < n; seen++) {
        nsapi_size_or_error_t r;

        while ((r = tcp_socket_recv(s, buf + got, (nsapi_size_t)(n - got))) > 0)
            got += (size_t)r;
        if (got == n || !event_wait_count(&calls, seen + 1, 1000))
            break;
    }
    return got;
}

static void test_sigio_reports_data_that_latency_held_back(void **state)
{
    tcp_socket_t *s;
    char buf[5];
    int peer;

    (void)state;
    event_init(&calls);
    tcp_pair(up_interface(), &s, &peer);
    socket_set_blocking(s, false);
    socket_sigio(s, count_call, NULL);
    assert_int_equal(nsemu_set("tcp.latency_ms", "50"), NSAPI_ERROR_OK);
    assert_int_equal(tcp_socket_recv(s, buf, sizeof(buf)), NSAPI_ERROR_WOULD_BLOCK);
    posix_send_all(peer, "hello", 5);
    assert_int_equal(read_by_sigio(s, buf, 5), 5);
    assert_memory_equal(buf, "hello", 5);
    socket_delete(s);
    close(peer);
    event_destroy(&calls);
}

static void test_sigio_reports_room_after_a_full_shaped_send_queue(void **state)
{
    static char chunk[65536];
    tcp_socket_t *s;
    int peer;
    nsapi_size_or_error_t r;
    unsigned before;
    char sink[65536];

    (void)state;
    event_init(&calls);
    tcp_pair(up_interface(), &s, &peer);
    socket_set_blocking(s, false);
    assert_int_equal(nsemu_set("tcp.rate_kbps", "8000"), NSAPI_ERROR_OK);
    socket_sigio(s, count_call, NULL);
    while ((r = tcp_socket_send(s, chunk, sizeof(chunk))) > 0)
        ;
    assert_int_equal(r, NSAPI_ERROR_WOULD_BLOCK);
    /* The peer drains; the shaper's queue makes room; sigio must say so. Callbacks may
     * come spuriously: after each, try again; only a callback may prompt a retry. */
    for (int tries = 0; r == NSAPI_ERROR_WOULD_BLOCK; tries++) {
        before = event_count(&calls);
        while (!event_wait_count(&calls, before + 1, 50))
            assert_true(posix_recv_within(peer, sink, sizeof(sink), 2000) > 0);
        r = tcp_socket_send(s, chunk, 10);
        assert_true(tries < 1000);
    }
    assert_int_equal(r, 10);
    socket_delete(s);
    close(peer);
    event_destroy(&calls);
}

static void test_sigio_reports_a_datagram_that_udp_reorder_held_back(void **state)
{
    udp_socket_t *s = udp_socket_new();
    socket_address_t to, from;
    uint16_t port = 0, dev_port = 0;
    int peer = posix_udp_socket("127.0.0.1", &port);
    char buf[16], dev[NSAPI_IP_SIZE];
    unsigned seen;
    nsapi_size_or_error_t n = NSAPI_ERROR_WOULD_BLOCK;

    (void)state;
    event_init(&calls);
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    addr_of(&to, "127.0.0.1", port);
    assert_int_equal(udp_socket_sendto(s, &to, "x", 1), 1); /* binds: the peer learns us */
    assert_int_equal(posix_recvfrom_within(peer, buf, sizeof(buf), 2000, dev, &dev_port), 1);
    socket_set_blocking(s, false);
    socket_sigio(s, count_call, NULL);
    assert_int_equal(nsemu_set("udp.reorder", "1"), NSAPI_ERROR_OK);
    seen = event_count(&calls);
    posix_sendto(peer, dev, dev_port, "hello", 5);
    /* The datagram is held back (no other passes it): only its 10 ms may free it, and
     * the kernel socket has nothing to say by then. Read on callbacks only. */
    for (int tries = 0; n == NSAPI_ERROR_WOULD_BLOCK && tries < 100; tries++) {
        assert_true(event_wait_count(&calls, seen + 1, 2000));
        seen = event_count(&calls);
        n = udp_socket_recvfrom(s, &from, buf, sizeof(buf));
    }
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "hello", 5);
    socket_sigio(s, NULL, NULL);
    socket_delete(s);
    close(peer);
    event_destroy(&calls);
}

static tcp_socket_t *victim;

static void close_other(void *ctx)
{
    (void)ctx;
    if (victim != NULL) {
        socket_close(victim); /* from the stack thread, during the shaper's tick */
        event_signal(&calls);
    }
}

static void test_callback_may_close_a_socket_while_the_shaper_runs(void **state)
{
    tcp_socket_t *s;
    char buf[8];
    int peer, peer2;

    (void)state;
    event_init(&calls);
    tcp_pair(up_interface(), &s, &peer);
    tcp_pair(up_interface(), &victim, &peer2);
    socket_set_blocking(s, false);
    assert_int_equal(nsemu_set("tcp.latency_ms", "20"), NSAPI_ERROR_OK);
    socket_sigio(s, close_other, NULL);
    assert_int_equal(tcp_socket_recv(s, buf, sizeof(buf)), NSAPI_ERROR_WOULD_BLOCK);
    posix_send_all(peer, "x", 1);
    assert_true(event_wait_count(&calls, 1, 2000));
    /* The stack thread is still alive: a call that needs it returns. */
    socket_sigio(s, NULL, NULL);
    assert_int_equal(tcp_socket_send(victim, "y", 1), NSAPI_ERROR_NO_SOCKET);
    socket_delete(victim);
    victim = NULL;
    socket_delete(s);
    close(peer);
    close(peer2);
    event_destroy(&calls);
}

static tcp_socket_t *self;

static void delete_self(void *ctx)
{
    (void)ctx;
    if (self != NULL) {
        socket_delete(self); /* a socket deleted from its own callback */
        self = NULL;
        event_signal(&calls);
    }
}

static void test_socket_deleted_from_its_own_callback_is_freed_safely(void **state)
{
    char buf[4];
    int peer;

    (void)state;
    event_init(&calls);
    tcp_pair(up_interface(), &self, &peer);
    socket_set_blocking(self, false);
    assert_int_equal(tcp_socket_recv(self, buf, sizeof(buf)), NSAPI_ERROR_WOULD_BLOCK);
    socket_sigio(self, delete_self, NULL);
    posix_send_all(peer, "data", 4);
    assert_true(event_wait_count(&calls, 1, 2000));
    close(peer);
    event_destroy(&calls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_sigio_reports_data_that_latency_held_back, teardown),
        cmocka_unit_test_teardown(test_sigio_reports_room_after_a_full_shaped_send_queue,
                                  teardown),
        cmocka_unit_test_teardown(test_sigio_reports_a_datagram_that_udp_reorder_held_back,
                                  teardown),
        cmocka_unit_test_teardown(test_callback_may_close_a_socket_while_the_shaper_runs,
                                  teardown),
        cmocka_unit_test_teardown(test_socket_deleted_from_its_own_callback_is_freed_safely,
                                  teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
