/*
 * test_dhcp_renew.c: a short lease ([gateway] lease_s = 4, renew.ini) is renewed by
 * the device's client at T1 with the built-in server, and the address stays.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <unistd.h>

#include <netsocket/netsocket.h>

#include "gateway_support.h"

#define LEASE_S 4
#define ACK "gateway dhcp ack ip=10.0.2.15"

static void test_short_lease_is_renewed(void **state)
{
    network_interface_t *ni = network_interface_get_default_instance();
    char cmd[128];

    (void)state;
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_int_equal(eventlog_count(ACK), 1);
    /* T1 is half the lease: renewals are ACKed at about 2 s and 4 s. */
    assert_true(eventlog_reaches(ACK, 2, LEASE_S * 1000));
    assert_true(eventlog_reaches(ACK, 3, LEASE_S * 1000));
    assert_string_equal(network_interface_get_ip_address(ni), "10.0.2.15");
    snprintf(cmd, sizeof(cmd), "ip -n nsemu-%ld-dev -4 addr show dev eth0", (long)getpid());
    assert_true(command_output_has(cmd, "inet 10.0.2.15/24"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_lease_is_renewed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
