/*
 * test_link_dhcp.c: the cable goes out (t=200ms) while DHCP waits for a late lease
 * (ethernet.dhcp = delay_ms:1000). The connect must not report an interface that is up
 * while nothing can move; the interface comes up by itself when the cable is back
 * (t=4s). Scenario: link_dhcp.ini.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "api_support.h"
#include "harness.h"

static struct event up;

static void on_status(void *ctx, nsapi_event_t ev, intptr_t arg)
{
    (void)ctx;
    if (ev == NSAPI_EVENT_CONNECTION_STATUS_CHANGE && arg == NSAPI_STATUS_GLOBAL_UP)
        event_signal(&up);
}

static void test_connect_that_ends_while_the_cable_is_out_is_not_up(void **state)
{
    network_interface_t *ni = network_interface_get_default_instance();

    (void)state;
    event_init(&up);
    network_interface_attach(ni, on_status, NULL);
    /* The lease would come 1 s after the call, but the cable is out from 200 ms to 4 s. */
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_NO_CONNECTION);
    assert_int_equal(network_interface_get_connection_status(ni), NSAPI_STATUS_DISCONNECTED);
    assert_null(network_interface_get_ip_address(ni));
    assert_int_equal(event_count(&up), 0);
    /* The cable returns at 4 s: the interface comes up without being asked. */
    assert_true(event_wait_count(&up, 1, 10000));
    assert_int_equal(network_interface_get_connection_status(ni), NSAPI_STATUS_GLOBAL_UP);
    assert_non_null(network_interface_get_ip_address(ni));
    network_interface_attach(ni, NULL, NULL);
    event_destroy(&up);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_that_ends_while_the_cable_is_out_is_not_up),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
