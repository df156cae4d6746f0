/*
 * test_wire_modes.c: the wire switches modes at runtime as frame faults come and go
 * through the control API: offloaded (TSO on the device's eth0, GSO frames larger than
 * an MTU on the wire), then per-frame while frame.dup is set (TSO off, every frame at
 * most 1514 bytes), then offloaded again once it is cleared. Captured throughout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <nsemu/nsemu.h>

#include "tap_support.h"
#include "wire_support.h"

#define MAX_FRAMES 200000

static uint64_t end_of_phase[3]; /* frames on the wire at the end of each phase */

static int setup(void **state)
{
    (void)state;
    wire_setup();
    return 0;
}

static bool device_tso_on(void)
{
    char out[4096];

    assert_int_equal(tap_sh(out, sizeof(out), "ip netns exec %s ethtool -k eth0", tap_ns("dev")),
                     0);
    return strstr(out, "tcp-segmentation-offload: on") != NULL;
}

static uint64_t frames_so_far(void)
{
    return wire_counter("frames.out") + wire_counter("frames.in");
}

static void test_offload_mode_without_frame_faults(void **state)
{
    (void)state;
    assert_true(device_tso_on());
    wire_tcp_echo(2 << 20, 0);
    end_of_phase[0] = frames_so_far();
}

static void test_per_frame_mode_while_a_frame_fault_is_set(void **state)
{
    (void)state;
    assert_int_equal(nsemu_set("frame.dup", "0.0001"), NSAPI_ERROR_OK);
    assert_int_equal(wire_log_count("wire mode per-frame"), 1);
    assert_false(device_tso_on());
    wire_tcp_echo(2 << 20, 0);
    end_of_phase[1] = frames_so_far();
}

static void test_offload_mode_again_once_it_is_cleared(void **state)
{
    (void)state;
    assert_int_equal(nsemu_clear("frame.dup"), NSAPI_ERROR_OK);
    assert_int_equal(wire_log_count("wire mode offload"), 2);
    assert_true(device_tso_on());
    wire_tcp_echo(2 << 20, 0);
    end_of_phase[2] = frames_so_far();
}

static int count_between(const uint64_t *frames, int n, uint64_t after, uint64_t upto)
{
    int k = 0;

    for (int i = 0; i < n; i++)
        k += frames[i] > after && frames[i] <= upto;
    return k;
}

/* Runs last: stops the wire to close the capture. */
static void test_capture_shows_gso_frames_only_in_offload_mode(void **state)
{
    static uint64_t big[MAX_FRAMES];
    int n;

    (void)state;
    wire_finish();
    assert_int_equal(wire_tshark_count("frame"), frames_so_far());
    n = wire_tshark_frames("frame.len > 1514", big, MAX_FRAMES);
    assert_true(count_between(big, n, 0, end_of_phase[0]) > 0);
    assert_int_equal(count_between(big, n, end_of_phase[0], end_of_phase[1]), 0);
    assert_true(count_between(big, n, end_of_phase[1], end_of_phase[2]) > 0);
    assert_int_equal(wire_tshark_count(WIRE_BAD_CHECKSUM), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offload_mode_without_frame_faults),
        cmocka_unit_test(test_per_frame_mode_while_a_frame_fault_is_set),
        cmocka_unit_test(test_offload_mode_again_once_it_is_cleared),
        cmocka_unit_test(test_capture_shows_gso_frames_only_in_offload_mode),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
