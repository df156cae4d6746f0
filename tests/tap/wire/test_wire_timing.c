/*
 * test_wire_timing.c: the wire's timing faults, each set and cleared at runtime through
 * the control API: frame.delay_ms adds to each direction, frame.jitter_ms adds a random
 * 0..N ms per frame, frame.rate_kbps holds each direction to its rate, and frames beyond
 * the queue's bound are dropped, counted and logged. Off, none of them slows anything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "tap.h"
#include "wire_support.h"

static int setup(void **state)
{
    (void)state;
    wire_setup();
    return 0;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Round trip of one UDP echo, in ms. */
static double udp_rtt_ms(void)
{
    double t = now_s();

    assert_true(wire_udp_echo(200, 1));
    return (now_s() - t) * 1000;
}

static void test_off_by_default_round_trips_are_fast(void **state)
{
    (void)state;
    assert_true(wire_udp_echo(200, 10)); /* ARP first */
    double rtt = udp_rtt_ms();

    if (rtt >= 20)
        fail_msg("round trip %.1f ms without faults", rtt);
}

static void test_delay_adds_to_each_direction(void **state)
{
    double rtt;

    (void)state;
    assert_int_equal(nsemu_set("frame.delay_ms", "60"), NSAPI_ERROR_OK);
    rtt = udp_rtt_ms();
    assert_int_equal(nsemu_clear("frame.delay_ms"), NSAPI_ERROR_OK);
    if (rtt < 120 || rtt >= 250)
        fail_msg("round trip %.1f ms with 60 ms each way", rtt);
}

static void test_jitter_spreads_round_trips(void **state)
{
    double lo = 1e9, hi = 0;

    (void)state;
    assert_int_equal(nsemu_set("frame.jitter_ms", "40"), NSAPI_ERROR_OK);
    for (int i = 0; i < 20; i++) {
        double rtt = udp_rtt_ms();

        lo = rtt < lo ? rtt : lo;
        hi = rtt > hi ? rtt : hi;
    }
    assert_int_equal(nsemu_clear("frame.jitter_ms"), NSAPI_ERROR_OK);
    if (hi - lo < 10 || hi >= 80 + 50)
        fail_msg("round trips from %.1f to %.1f ms with 0-40 ms jitter each way", lo, hi);
}

static void test_rate_holds_each_direction_to_it(void **state)
{
    double t;

    (void)state;
    assert_int_equal(nsemu_set("frame.rate_kbps", "8000"), NSAPI_ERROR_OK); /* 1 MB/s */
    t = now_s();
    wire_tcp_echo(1 << 20, 0);
    t = now_s() - t;
    assert_int_equal(nsemu_clear("frame.rate_kbps"), NSAPI_ERROR_OK);
    if (t < 1.0 || t >= 3.0) /* 1 MiB plus headers each way, both at once */
        fail_msg("1 MiB echoed in %.2f s at 1 MB/s", t);
    t = now_s();
    wire_tcp_echo(1 << 20, 0);
    t = now_s() - t;
    if (t >= 0.5)
        fail_msg("1 MiB echoed in %.2f s without a rate", t);
}

/* 1500 datagrams at once behind 100 kbit/s: the queue takes 1000 frames, the rest drop.
 * Clearing the rate lets the queued frames go at once. */
static void test_a_full_queue_drops_counts_and_logs(void **state)
{
    udp_socket_t *s = udp_socket_new();
    socket_address_t to;
    static uint8_t data[1000];

    (void)state;
    socket_address_init(&to);
    assert_true(socket_address_set_ip_address(&to, TAP_GATEWAY_IP));
    socket_address_set_port(&to, 9); /* discard: nothing listens, the peer drops them */
    assert_int_equal(socket_open(s, network_interface_get_default_instance()), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_set("frame.rate_kbps", "100"), NSAPI_ERROR_OK);
    for (int i = 0; i < 1500; i++)
        assert_int_equal(udp_socket_sendto(s, &to, data, sizeof(data)), (int)sizeof(data));
    socket_delete(s);
    /* The wire may still be taking them in: wait until the drops stop. */
    for (uint64_t last = UINT64_MAX; wire_counter("frames.dropped.queue") != last;) {
        last = wire_counter("frames.dropped.queue");
        usleep(200000);
    }
    assert_true(wire_counter("frames.dropped.queue") > 0);
    assert_int_equal(wire_log_count("wire out queue.full drop len="),
                     wire_counter("frames.dropped.queue"));
    assert_int_equal(nsemu_clear("frame.rate_kbps"), NSAPI_ERROR_OK);
    /* Queued, it would take 80 s; the burst it lets go may overflow the peer's
     * backlog, so an echo gets a few tries. */
    assert_true(wire_udp_echo(200, 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_by_default_round_trips_are_fast),
        cmocka_unit_test(test_delay_adds_to_each_direction),
        cmocka_unit_test(test_jitter_spreads_round_trips),
        cmocka_unit_test(test_rate_holds_each_direction_to_it),
        cmocka_unit_test(test_a_full_queue_drops_counts_and_logs),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
