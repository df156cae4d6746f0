/*
 * test_wifi_args.c: the argument rules of the WiFi calls on a WiFi interface (DESIGN
 * §2): NULL first, then the values: an SSID of 1 to 32 characters, a password of the
 * right length for the security (WPA/WPA2: 8-63; WEP: 5 or 13 characters, 10 or 26 hex
 * digits), no password needed for an open network. Refused credentials leave the
 * stored ones as they were. (tests/api/test_args.c has NULL interfaces and Ethernet.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include <netsocket/netsocket.h>

#include "wifi_support.h"

static nsapi_error_t set(wifi_interface_t *w, const char *ssid, const char *pass,
                         nsapi_security_t sec)
{
    return wifi_interface_set_credentials(w, ssid, pass, sec);
}

static void test_null_ssid_or_missing_password_returns_parameter(void **state)
{
    wifi_interface_t *w = wifi_new();
    nsapi_wifi_ap_t res[2];

    (void)state;
    assert_int_equal(set(w, NULL, "home-password", NSAPI_SECURITY_WPA2), NSAPI_ERROR_PARAMETER);
    assert_int_equal(set(w, "Home", NULL, NSAPI_SECURITY_WPA2), NSAPI_ERROR_PARAMETER);
    assert_int_equal(set(w, "Home", NULL, NSAPI_SECURITY_UNKNOWN), NSAPI_ERROR_PARAMETER);
    assert_int_equal(wifi_interface_connect_to(w, "Home", NULL, NSAPI_SECURITY_WPA2, 0),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(wifi_interface_scan(w, NULL, 2), NSAPI_ERROR_PARAMETER);
    assert_int_equal(wifi_interface_scan(w, res, 0), 12);
    /* An open network needs no password. */
    assert_int_equal(set(w, "Cafe", NULL, NSAPI_SECURITY_NONE), NSAPI_ERROR_OK);
    network_interface_delete(w);
}

static void test_ssid_must_have_1_to_32_characters(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(set(w, "", NULL, NSAPI_SECURITY_NONE), NSAPI_ERROR_PARAMETER);
    assert_int_equal(set(w, "abcdefghijklmnopqrstuvwxyz0123456", NULL, NSAPI_SECURITY_NONE),
                     NSAPI_ERROR_PARAMETER); /* 33 */
    assert_int_equal(set(w, "abcdefghijklmnopqrstuvwxyz012345", NULL, NSAPI_SECURITY_NONE),
                     NSAPI_ERROR_OK); /* 32 */
    assert_int_equal(wifi_interface_connect_to(w, "", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_PARAMETER);
    network_interface_delete(w);
}

static void test_wpa_passwords_take_8_to_63_characters(void **state)
{
    static const nsapi_security_t kinds[] = {NSAPI_SECURITY_WPA, NSAPI_SECURITY_WPA2,
                                             NSAPI_SECURITY_WPA_WPA2};
    char p63[64], p64[65];
    wifi_interface_t *w = wifi_new();

    (void)state;
    memset(p63, 'x', 63);
    p63[63] = '\0';
    memset(p64, 'x', 64);
    p64[64] = '\0';
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        assert_int_equal(set(w, "Home", "", kinds[i]), NSAPI_ERROR_PARAMETER);
        assert_int_equal(set(w, "Home", "1234567", kinds[i]), NSAPI_ERROR_PARAMETER);
        assert_int_equal(set(w, "Home", "12345678", kinds[i]), NSAPI_ERROR_OK);
        assert_int_equal(set(w, "Home", p63, kinds[i]), NSAPI_ERROR_OK);
        assert_int_equal(set(w, "Home", p64, kinds[i]), NSAPI_ERROR_PARAMETER);
    }
    assert_int_equal(wifi_interface_connect_to(w, "Home", "short", NSAPI_SECURITY_WPA2, 0),
                     NSAPI_ERROR_PARAMETER);
    network_interface_delete(w);
}

static void test_wep_keys_take_5_or_13_characters_or_10_or_26_hex_digits(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(set(w, "Old", "abcde", NSAPI_SECURITY_WEP), NSAPI_ERROR_OK);
    assert_int_equal(set(w, "Old", "abcdefghijklm", NSAPI_SECURITY_WEP), NSAPI_ERROR_OK);
    assert_int_equal(set(w, "Old", "0123456789", NSAPI_SECURITY_WEP), NSAPI_ERROR_OK);
    assert_int_equal(set(w, "Old", "0123456789abcdefABCDEF0123", NSAPI_SECURITY_WEP),
                     NSAPI_ERROR_OK);
    assert_int_equal(set(w, "Old", "abcdefghij", NSAPI_SECURITY_WEP), NSAPI_ERROR_PARAMETER);
    assert_int_equal(set(w, "Old", "abcdef", NSAPI_SECURITY_WEP), NSAPI_ERROR_PARAMETER);
    assert_int_equal(set(w, "Old", "", NSAPI_SECURITY_WEP), NSAPI_ERROR_PARAMETER);
    network_interface_delete(w);
}

static void test_securities_no_ap_offers_return_unsupported(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(set(w, "Home", "home-password", NSAPI_SECURITY_PAP), NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(set(w, "Home", "home-password", NSAPI_SECURITY_WPA3), NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(set(w, "Home", "home-password", (nsapi_security_t)0x42),
                     NSAPI_ERROR_PARAMETER); /* not a security at all */
    network_interface_delete(w);
}

static void test_refused_credentials_keep_the_stored_ones(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(set(w, "Cafe", NULL, NSAPI_SECURITY_NONE), NSAPI_ERROR_OK);
    assert_int_equal(set(w, "Home", "short", NSAPI_SECURITY_WPA2), NSAPI_ERROR_PARAMETER);
    assert_int_equal(network_interface_connect(w), NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_get_rssi(w), -60); /* Cafe */
    network_interface_delete(w);
}

static void test_set_channel_takes_any_channel(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(wifi_interface_set_channel(w, 0), NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_set_channel(w, 165), NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_set_channel(w, 255), NSAPI_ERROR_OK);
    /* No AP lives there. */
    assert_int_equal(set(w, "Cafe", NULL, NSAPI_SECURITY_NONE), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_connect(w), NSAPI_ERROR_NO_SSID);
    network_interface_delete(w);
}

static void test_argument_errors_come_before_state_errors(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(set(w, "Cafe", NULL, NSAPI_SECURITY_NONE), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_connect(w), NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_connect_to(w, "Home", "short", NSAPI_SECURITY_WPA2, 0),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(wifi_interface_connect_to(w, "Home", "home-password", NSAPI_SECURITY_WPA2, 0),
                     NSAPI_ERROR_IS_CONNECTED);
    network_interface_delete(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_ssid_or_missing_password_returns_parameter),
        cmocka_unit_test(test_ssid_must_have_1_to_32_characters),
        cmocka_unit_test(test_wpa_passwords_take_8_to_63_characters),
        cmocka_unit_test(test_wep_keys_take_5_or_13_characters_or_10_or_26_hex_digits),
        cmocka_unit_test(test_securities_no_ap_offers_return_unsupported),
        cmocka_unit_test(test_refused_credentials_keep_the_stored_ones),
        cmocka_unit_test(test_set_channel_takes_any_channel),
        cmocka_unit_test(test_argument_errors_come_before_state_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
