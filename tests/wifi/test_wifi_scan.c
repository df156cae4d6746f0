/*
 * test_wifi_scan.c: wifi_interface_scan over the static world of world.ini: the count
 * of APs in range, strongest first, truncation to the caller's array, hidden APs with
 * an empty SSID, and the fields of each result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include <netsocket/netsocket.h>

#include "wifi_support.h"

#define IN_RANGE 12 /* world.ini: every AP but Basement (-95) */

/* The scan order of world.ini: strongest first, "" for the hidden Attic. */
static const struct {
    const char *ssid;
    int rssi;
} expected[IN_RANGE] = {
    {"Home", -40},      {"", -55},       {"Cafe", -60},    {"Old", -65},
    {"Home", -70},      {"Legacy", -75}, {"NoLease", -80}, {"NoOffer", -81},
    {"SlowLease", -82}, {"Silent", -83}, {"Slow", -84},    {"Edge", -90},
};

static void test_scan_with_null_and_zero_counts_the_aps_in_range(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(wifi_interface_scan(w, NULL, 0), IN_RANGE);
    network_interface_delete(w);
}

static void test_scan_with_results_and_zero_only_counts(void **state)
{
    wifi_interface_t *w = wifi_new();
    nsapi_wifi_ap_t res[1];

    (void)state;
    memset(res, 0x5a, sizeof(res));
    assert_int_equal(wifi_interface_scan(w, res, 0), IN_RANGE);
    assert_int_equal(res[0].channel, 0x5a); /* untouched */
    network_interface_delete(w);
}

static void test_scan_fills_every_ap_in_range_strongest_first(void **state)
{
    wifi_interface_t *w = wifi_new();
    nsapi_wifi_ap_t res[IN_RANGE + 4];

    (void)state;
    assert_int_equal(wifi_interface_scan(w, res, IN_RANGE + 4), IN_RANGE);
    for (int i = 0; i < IN_RANGE; i++) {
        if (strcmp(res[i].ssid, expected[i].ssid) != 0 || res[i].rssi != expected[i].rssi)
            fail_msg("result %d: %s %d, want %s %d", i, res[i].ssid, res[i].rssi, expected[i].ssid,
                     expected[i].rssi);
        if (i > 0)
            assert_true(res[i - 1].rssi >= res[i].rssi);
    }
    network_interface_delete(w);
}

static void test_scan_truncates_to_count(void **state)
{
    wifi_interface_t *w = wifi_new();
    nsapi_wifi_ap_t res[4];

    (void)state;
    memset(res, 0x5a, sizeof(res));
    assert_int_equal(wifi_interface_scan(w, res, 3), 3);
    assert_string_equal(res[0].ssid, "Home");
    assert_string_equal(res[1].ssid, "");
    assert_string_equal(res[2].ssid, "Cafe");
    assert_int_equal(res[3].channel, 0x5a); /* beyond count: untouched */
    network_interface_delete(w);
}

static void test_a_hidden_ap_is_scanned_without_its_ssid(void **state)
{
    wifi_interface_t *w = wifi_new();
    nsapi_wifi_ap_t res[IN_RANGE];

    (void)state;
    assert_int_equal(wifi_interface_scan(w, res, IN_RANGE), IN_RANGE);
    for (int i = 0; i < IN_RANGE; i++)
        assert_string_not_equal(res[i].ssid, "Attic");
    assert_string_equal(res[1].ssid, "");
    assert_int_equal(res[1].security, NSAPI_SECURITY_WPA_WPA2);
    assert_int_equal(res[1].channel, 3);
    network_interface_delete(w);
}

static void test_scan_reports_bssid_security_and_channel(void **state)
{
    static const uint8_t cafe_bssid[6] = {0x02, 0, 0, 0, 0x01, 0x01};
    wifi_interface_t *w = wifi_new();
    nsapi_wifi_ap_t res[IN_RANGE];

    (void)state;
    assert_int_equal(wifi_interface_scan(w, res, IN_RANGE), IN_RANGE);
    assert_int_equal(res[0].security, NSAPI_SECURITY_WPA2); /* Home */
    assert_int_equal(res[0].channel, 6);
    assert_memory_equal(res[2].bssid, cafe_bssid, 6); /* Cafe: bssid as configured */
    assert_int_equal(res[2].security, NSAPI_SECURITY_NONE);
    assert_int_equal(res[3].security, NSAPI_SECURITY_WEP); /* Old */
    assert_int_equal(res[5].security, NSAPI_SECURITY_WPA); /* Legacy */
    /* Derived BSSIDs: locally administered unicast, one per AP. */
    assert_int_equal(res[0].bssid[0] & 0x03, 0x02);
    for (int i = 0; i < IN_RANGE; i++)
        for (int j = i + 1; j < IN_RANGE; j++)
            assert_memory_not_equal(res[i].bssid, res[j].bssid, 6);
    network_interface_delete(w);
}

static void test_scan_works_while_connected(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(wifi_interface_connect_to(w, "Cafe", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_scan(w, NULL, 0), IN_RANGE);
    network_interface_delete(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_with_null_and_zero_counts_the_aps_in_range),
        cmocka_unit_test(test_scan_with_results_and_zero_only_counts),
        cmocka_unit_test(test_scan_fills_every_ap_in_range_strongest_first),
        cmocka_unit_test(test_scan_truncates_to_count),
        cmocka_unit_test(test_a_hidden_ap_is_scanned_without_its_ssid),
        cmocka_unit_test(test_scan_reports_bssid_security_and_channel),
        cmocka_unit_test(test_scan_works_while_connected),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
