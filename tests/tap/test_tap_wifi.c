/*
 * test_tap_wifi.c: WiFi over the tap link. Associating is emulated (DESIGN §4), but the
 * AP's dhcp behaviour is played by the built-in gateway's DHCP server in a real exchange
 * with the device's client on the wire: a good AP gives a lease whose ACK is in the
 * capture, an AP with dhcp = nak makes the server refuse the REQUEST (a NAK frame, then
 * DHCP_FAILURE), one with a delay answers late but still in time.
 * Run by tap_run.sh in a scratch directory (the capture is wifi.pcap there).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "tap_support.h"

static wifi_interface_t *wifi;

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* How many frames of the capture match a tshark display filter. The capture is flushed
 * as frames pass, so reading it while the program runs sees them. */
static int frames_matching(const char *filter)
{
    char out[64];

    tap_sh(out, sizeof(out), "tshark -r wifi.pcap -Y '%s' 2>/dev/null | wc -l", filter);
    return atoi(out);
}

static void test_a_good_ap_gives_a_lease_from_the_gateway(void **state)
{
    (void)state;
    assert_int_equal(wifi_interface_connect_to(wifi, "Good", "", NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_OK);
    assert_string_equal(network_interface_get_ip_address(wifi), "10.0.2.15");
    assert_string_equal(network_interface_get_gateway(wifi), "10.0.2.2");
    assert_true(frames_matching("dhcp.option.dhcp == 5") >= 1); /* an ACK */
    assert_int_equal(network_interface_disconnect(wifi), NSAPI_ERROR_OK);
}

static void test_an_ap_whose_dhcp_naks_fails_after_a_nak_on_the_wire(void **state)
{
    (void)state;
    assert_int_equal(wifi_interface_connect_to(wifi, "Refusing", "", NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_DHCP_FAILURE);
    assert_null(network_interface_get_ip_address(wifi));
    assert_true(frames_matching("dhcp.option.dhcp == 6") >= 1); /* a NAK */
}

static void test_an_ap_whose_dhcp_is_slow_answers_late(void **state)
{
    uint64_t start = now_ms();

    (void)state;
    assert_int_equal(wifi_interface_connect_to(wifi, "Slow", "", NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_OK);
    assert_true(now_ms() - start >= 300);
    assert_string_equal(network_interface_get_ip_address(wifi), "10.0.2.15");
    assert_int_equal(network_interface_disconnect(wifi), NSAPI_ERROR_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_good_ap_gives_a_lease_from_the_gateway),
        cmocka_unit_test(test_an_ap_whose_dhcp_naks_fails_after_a_nak_on_the_wire),
        cmocka_unit_test(test_an_ap_whose_dhcp_is_slow_answers_late),
    };

    wifi = wifi_interface_new();
    assert_non_null(wifi);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
