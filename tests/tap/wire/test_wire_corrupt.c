/*
 * test_wire_corrupt.c: frame.corrupt (NSEMU_FAULTS frame.corrupt=0.03) flips one bit of
 * a frame's IP packet, and a checksum catches it: TCP still delivers byte-exact (the
 * receiving kernel drops the bad frames, the sender retransmits), and in the capture
 * tshark shows a bad IP, TCP or UDP checksum on exactly the frames the .faults file
 * lists as corrupted — and on no other frame.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire_support.h"

#define MAX_FRAMES 100000

static int setup(void **state)
{
    (void)state;
    wire_setup();
    return 0;
}

static void test_tcp_echo_is_byte_exact_under_corruption(void **state)
{
    (void)state;
    wire_tcp_echo(2 << 20, 0);
}

static void test_udp_echo_gets_through_with_retries(void **state)
{
    (void)state;
    for (int i = 0; i < 20; i++)
        assert_true(wire_udp_echo(1000, 20));
}

static void test_each_corruption_is_counted_and_logged(void **state)
{
    (void)state;
    assert_true(wire_counter("faults.frame.corrupt") > 0);
    assert_int_equal(wire_log_count(" frame.corrupt flip bit="),
                     wire_counter("faults.frame.corrupt"));
    assert_int_equal(wire_counter("faults.frame.loss") + wire_counter("faults.frame.dup") +
                         wire_counter("faults.frame.reorder"),
                     0);
}

static bool listed(const uint64_t *list, int n, uint64_t v)
{
    for (int i = 0; i < n; i++)
        if (list[i] == v)
            return true;
    return false;
}

/* Runs last: stops the wire to close the capture. */
static void test_tshark_shows_bad_checksums_on_exactly_the_corrupted_frames(void **state)
{
    static uint64_t bad[MAX_FRAMES], ipv4[MAX_FRAMES];
    char path[1024], line[256];
    int nbad, nipv4, corrupted = 0, checked = 0;
    FILE *f;

    (void)state;
    wire_finish();
    assert_int_equal(wire_tshark_count("frame"),
                     wire_counter("frames.out") + wire_counter("frames.in"));
    nbad = wire_tshark_frames(WIRE_BAD_CHECKSUM, bad, MAX_FRAMES);
    nipv4 = wire_tshark_frames("eth.type == 0x0800", ipv4, MAX_FRAMES);
    snprintf(path, sizeof(path), "%s.faults", getenv("NSEMU_PCAP"));
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned long long frame;
        long bit;

        assert_int_equal(sscanf(line, "%llu frame.corrupt bit=%ld dir=", &frame, &bit), 2);
        corrupted++;
        /* Bits 0-7 are IPv4's version and header length: with those changed tshark does
         * not dissect the header far enough to check a sum. */
        if (bit >= 8 && listed(ipv4, nipv4, frame)) {
            if (!listed(bad, nbad, frame))
                fail_msg("frame %llu (bit %ld flipped) shows good checksums", frame, bit);
            checked++;
        }
    }
    fclose(f);
    assert_int_equal(corrupted, wire_counter("faults.frame.corrupt"));
    assert_true(checked > 0);
    /* And no frame that was not corrupted shows a bad sum (per-frame mode: complete). */
    assert_true(nbad <= corrupted);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_echo_is_byte_exact_under_corruption),
        cmocka_unit_test(test_udp_echo_gets_through_with_retries),
        cmocka_unit_test(test_each_corruption_is_counted_and_logged),
        cmocka_unit_test(test_tshark_shows_bad_checksums_on_exactly_the_corrupted_frames),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
