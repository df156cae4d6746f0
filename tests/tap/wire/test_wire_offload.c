/*
 * test_wire_offload.c: the wire with no frame fault (offload mode), captured: device
 * TCP and UDP echo against servers in the peer namespace, GSO frames (larger than an
 * Ethernet MTU) passing whole, and a capture that holds exactly the frames the counters
 * saw, every checksum in it good (the partial checksums of offloaded frames completed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "wire_support.h"

static int setup(void **state)
{
    (void)state;
    wire_setup();
    return 0;
}

static void test_tcp_echo_through_the_wire(void **state)
{
    (void)state;
    wire_tcp_echo(4 << 20, 0);
    assert_true(wire_counter("frames.out") > 0);
    assert_true(wire_counter("frames.in") > 0);
}

static void test_udp_echo_through_the_wire(void **state)
{
    (void)state;
    assert_true(wire_udp_echo(1400, 5));
    assert_true(wire_udp_echo(9000, 5)); /* fragmented: several frames */
}

static void test_no_fault_is_counted_or_logged(void **state)
{
    (void)state;
    assert_int_equal(wire_counter("faults.frame.loss"), 0);
    assert_int_equal(wire_counter("faults.frame.dup"), 0);
    assert_int_equal(wire_counter("faults.frame.corrupt"), 0);
    assert_int_equal(wire_counter("faults.frame.reorder"), 0);
    assert_int_equal(wire_log_count("wire mode offload"), 1);
    assert_int_equal(wire_log_count("wire mode per-frame"), 0);
    assert_int_equal(wire_log_count(" frame."), 0);
}

/* Runs last: stops the wire to close the capture. */
static void test_capture_holds_every_frame_with_good_checksums(void **state)
{
    uint64_t frames;

    (void)state;
    wire_finish();
    frames = wire_counter("frames.out") + wire_counter("frames.in");
    assert_int_equal(wire_tshark_count("frame"), frames);
    /* Offloaded: TCP segments of up to 64 KB, in both directions. */
    assert_true(wire_tshark_count("frame.len > 1514 && ip.src == 10.0.2.15 && tcp") > 0);
    assert_true(wire_tshark_count("frame.len > 1514 && ip.src == 10.0.2.2 && tcp") > 0);
    assert_int_equal(wire_tshark_count(WIRE_BAD_CHECKSUM), 0);
    assert_true(wire_tshark_count("tcp.checksum.status == 1 && frame.len > 1514") > 0);
    assert_true(wire_tshark_count("udp.checksum.status == 1") > 0);
    assert_int_equal(wire_faults_count(""), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_echo_through_the_wire),
        cmocka_unit_test(test_udp_echo_through_the_wire),
        cmocka_unit_test(test_no_fault_is_counted_or_logged),
        cmocka_unit_test(test_capture_holds_every_frame_with_good_checksums),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
