/*
 * test_tap_lease.c: a short lease on the tap link. The device renews at T1 and keeps its
 * address; once the gateway refuses a renewal (ethernet.dhcp changed to nak while the
 * program runs) the address goes, the interface reports DISCONNECTED and asks DHCP once
 * more (refused again: it stays down); when DHCP works again the application connects.
 * Run by tap_run.sh with lease.ini, the event log in the build directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "tap_support.h"

static void test_renewal_keeps_the_address_and_a_refused_one_loses_it(void **state)
{
    network_interface_t *ni = network_interface_get_default_instance();
    char out[1024];

    (void)state;
    network_interface_attach(ni, tap_status_record, NULL);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    sleep(3); /* T1 at 2 s */
    assert_true(tap_log_count("lease.log", " dhcp renew") >= 1);
    assert_int_equal(tap_log_count("lease.log", " tap lease gone"), 0);
    assert_string_equal(network_interface_get_ip_address(ni), "10.0.2.15");
    assert_int_equal(tap_status_count(), 2); /* CONNECTING, GLOBAL_UP */

    /* The next renewal (at most 2 s away) is refused, and so is the new DISCOVER's
     * REQUEST: the interface goes down and stays down. */
    assert_int_equal(nsemu_set("ethernet.dhcp", "nak"), NSAPI_ERROR_OK);
    for (int i = 0; i < 50 && tap_log_count("lease.log", " dhcp nak") < 2; i++)
        usleep(100000);
    usleep(200000);
    assert_int_equal(tap_log_count("lease.log", " tap lease gone"), 1);
    assert_int_equal(tap_status_count(), 3);
    assert_int_equal(tap_status_at(2), NSAPI_STATUS_DISCONNECTED);
    assert_null(network_interface_get_ip_address(ni));
    tap_sh(out, sizeof(out), "ip -n %s -4 -o addr show eth0", tap_ns("dev"));
    assert_null(strstr(out, "inet "));

    assert_int_equal(nsemu_set("ethernet.dhcp", "ok"), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_string_equal(network_interface_get_ip_address(ni), "10.0.2.15");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_renewal_keeps_the_address_and_a_refused_one_loses_it),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
