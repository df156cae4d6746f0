/*
 * test_wifi_default_params.c: the default instance's [wifi] credentials are checked
 * like any others. world.ini with wifi.password=short from NSEMU_FAULTS: a WPA2
 * password of 5 characters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <netsocket/netsocket.h>

#include "wifi_support.h"

static void test_default_instance_with_a_bad_knob_password_returns_parameter(void **state)
{
    network_interface_t *d = network_interface_get_default_instance();
    struct status_log log;

    (void)state;
    status_log_attach(&log, d);
    assert_int_equal(network_interface_connect(d), NSAPI_ERROR_PARAMETER);
    assert_int_equal(status_log_count(&log), 0);
    /* Credentials set on it replace the knobs. */
    assert_int_equal(
        wifi_interface_set_credentials(d, "Home", "home-password", NSAPI_SECURITY_WPA2),
        NSAPI_ERROR_OK);
    assert_int_equal(network_interface_connect(d), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_disconnect(d), NSAPI_ERROR_OK);
    status_log_detach(&log, d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_instance_with_a_bad_knob_password_returns_parameter),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
