/*
 * test_wire_link_down.c: timeline `link down` at 1.5 s and `link up` at 3.5 s
 * (link_down.ini), in the middle of a TCP echo paced over about five seconds. While the
 * cable is out, both TAPs have no carrier and no frame crosses the wire; afterwards the
 * connection carries on and every byte comes back.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tap_support.h"
#include "wire_support.h"

static int setup(void **state)
{
    (void)state;
    wire_setup();
    return 0;
}

struct outage {
    bool seen;         /* the carrier went off while the transfer ran */
    bool no_carrier;   /* ip link showed NO-CARRIER on both ends */
    uint64_t before, after; /* frames crossed, 0.2 s into the outage and 1.5 s later */
};

static void *watch_outage(void *arg)
{
    struct outage *o = arg;
    char dev[4096], peer[4096];

    for (int i = 0; i < 400 && wire_log_count("wire carrier off") == 0; i++)
        usleep(10000);
    if (wire_log_count("wire carrier off") == 0)
        return NULL;
    usleep(200000);
    o->before = wire_counter("frames.out") + wire_counter("frames.in");
    tap_sh(dev, sizeof(dev), "ip -n %s link show eth0", tap_ns("dev"));
    tap_sh(peer, sizeof(peer), "ip -n %s link show eth0", tap_ns("peer"));
    o->no_carrier = strstr(dev, "NO-CARRIER") != NULL && strstr(peer, "NO-CARRIER") != NULL;
    usleep(1500000);
    o->after = wire_counter("frames.out") + wire_counter("frames.in");
    o->seen = wire_log_count("wire carrier on") == 0; /* still out when sampled */
    return NULL;
}

static void test_a_connection_survives_two_seconds_without_carrier(void **state)
{
    struct outage o = {0};
    pthread_t t;

    (void)state;
    assert_int_equal(pthread_create(&t, NULL, watch_outage, &o), 0);
    wire_tcp_echo(6 << 20, 50); /* 96 chunks of 64 KB, 50 ms apart */
    pthread_join(t, NULL);
    assert_true(o.seen);
    assert_true(o.no_carrier);
    assert_int_equal(o.after, o.before);
    assert_int_equal(wire_log_count("wire carrier off"), 1);
    assert_int_equal(wire_log_count("wire carrier on"), 1);
}

static void test_frames_pass_again_after_link_up(void **state)
{
    (void)state;
    assert_true(wire_udp_echo(1000, 10));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_connection_survives_two_seconds_without_carrier),
        cmocka_unit_test(test_frames_pass_again_after_link_up),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
