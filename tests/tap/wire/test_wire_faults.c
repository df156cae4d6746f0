/*
 * test_wire_faults.c: loss, reorder and duplication on the wire (per-frame mode), from
 * the start (frame.loss=0.05, frame.reorder=0.05, frame.dup=0.02 in NSEMU_FAULTS): a
 * 10 MB TCP echo comes back byte-exact, each fault is counted, logged once per frame
 * and listed in the capture's .faults file, and the capture holds exactly the frames
 * that left the wire — real frames, none larger than an Ethernet MTU, every checksum
 * complete.
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

static void test_10mb_tcp_echo_is_byte_exact_under_loss_reorder_and_dup(void **state)
{
    (void)state;
    wire_tcp_echo(10 << 20, 0);
}

static void test_udp_echo_gets_through_with_retries(void **state)
{
    (void)state;
    assert_true(wire_udp_echo(1000, 20));
}

static void test_each_fault_is_counted_and_logged_once(void **state)
{
    (void)state;
    assert_int_equal(wire_log_count("wire mode per-frame"), 1);
    assert_true(wire_counter("faults.frame.loss") > 0);
    assert_true(wire_counter("faults.frame.dup") > 0);
    assert_true(wire_counter("faults.frame.reorder") > 0);
    assert_int_equal(wire_counter("faults.frame.corrupt"), 0);
    assert_int_equal(wire_log_count(" frame.loss drop len="), wire_counter("faults.frame.loss"));
    assert_int_equal(wire_log_count(" frame.dup dup len="), wire_counter("faults.frame.dup"));
    assert_int_equal(wire_log_count(" frame.reorder hold len="),
                     wire_counter("faults.frame.reorder"));
    assert_true(wire_log_count("wire out frame.") > 0);
    assert_true(wire_log_count("wire in frame.") > 0);
}

/* Runs last: stops the wire to close the capture. */
static void test_capture_and_faults_file_match_the_counters(void **state)
{
    (void)state;
    wire_finish();
    assert_int_equal(wire_tshark_count("frame"),
                     wire_counter("frames.out") + wire_counter("frames.in"));
    assert_int_equal(wire_tshark_count("frame.len > 1514"), 0);
    assert_int_equal(wire_tshark_count(WIRE_BAD_CHECKSUM), 0);
    assert_int_equal(wire_faults_count("- drop t="), wire_counter("faults.frame.loss"));
    assert_int_equal(wire_faults_count(" frame.loss len="), wire_log_count(" frame.loss drop"));
    assert_int_equal(wire_faults_count(" frame.dup dir="), wire_log_count(" frame.dup dup"));
    assert_int_equal(wire_faults_count(" frame.reorder held_ms="),
                     wire_log_count(" frame.reorder hold"));
    assert_int_equal(wire_faults_count(""),
                     wire_log_count("wire out frame.") + wire_log_count("wire in frame."));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_10mb_tcp_echo_is_byte_exact_under_loss_reorder_and_dup),
        cmocka_unit_test(test_udp_echo_gets_through_with_retries),
        cmocka_unit_test(test_each_fault_is_counted_and_logged_once),
        cmocka_unit_test(test_capture_and_faults_file_match_the_counters),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
