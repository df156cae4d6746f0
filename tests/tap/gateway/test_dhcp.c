/*
 * test_dhcp.c: the built-in gateway's DHCP server (DESIGN §3) with the device's own
 * client on the wire: the lease (address, mask, router) applied in the device's
 * namespace, the DNS server learned through it, and ethernet.dhcp acting at the server:
 * nak and fail give DHCP_FAILURE, delay_ms:N holds the answers back. with_pcap.sh
 * checks that the exchange crossed the wire.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "gateway_support.h"

#define DHCP_TIMEOUT_MS 2000 /* dhcp.ini: device.dhcp_timeout_ms */

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The default interface, down, so that a connect runs DHCP afresh. */
static network_interface_t *down_interface(void)
{
    network_interface_t *ni = network_interface_get_default_instance();

    assert_non_null(ni);
    if (network_interface_get_connection_status(ni) != NSAPI_STATUS_DISCONNECTED)
        assert_int_equal(network_interface_disconnect(ni), NSAPI_ERROR_OK);
    return ni;
}

static void test_lease_is_obtained_and_applied(void **state)
{
    network_interface_t *ni = down_interface();
    char cmd[128];

    (void)state;
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_string_equal(network_interface_get_ip_address(ni), "10.0.2.15");
    assert_string_equal(network_interface_get_netmask(ni), "255.255.255.0");
    assert_string_equal(network_interface_get_gateway(ni), "10.0.2.2");
    snprintf(cmd, sizeof(cmd), "ip -n nsemu-%ld-dev -4 addr show dev eth0", (long)getpid());
    assert_true(command_output_has(cmd, "inet 10.0.2.15/24"));
    assert_true(eventlog_count("gateway dhcp offer ip=10.0.2.15") >= 1);
    assert_true(eventlog_count("gateway dhcp ack ip=10.0.2.15") >= 1);
}

static void test_dns_server_comes_from_the_lease(void **state)
{
    network_interface_t *ni = network_interface_get_default_instance();
    socket_address_t a;

    (void)state;
    if (network_interface_get_connection_status(ni) != NSAPI_STATUS_GLOBAL_UP)
        assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    socket_address_init(&a);
    assert_int_equal(network_interface_gethostbyname(ni, "dev.test", &a, NSAPI_IPv4),
                     NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&a), "10.0.2.99");
    assert_true(eventlog_count("gateway dns dev.test A -> 10.0.2.99") >= 1);
}

static void test_nak_gives_dhcp_failure(void **state)
{
    network_interface_t *ni = down_interface();
    nsapi_error_t r;

    (void)state;
    assert_int_equal(nsemu_set("ethernet.dhcp", "nak"), NSAPI_ERROR_OK);
    r = network_interface_connect(ni);
    assert_int_equal(nsemu_clear("ethernet.dhcp"), NSAPI_ERROR_OK);
    assert_int_equal(r, NSAPI_ERROR_DHCP_FAILURE);
    assert_null(network_interface_get_ip_address(ni));
    assert_true(eventlog_count("gateway dhcp nak") >= 1);
}

static void test_no_offers_give_dhcp_failure_after_the_timeout(void **state)
{
    network_interface_t *ni = down_interface();
    uint64_t start;
    nsapi_error_t r;

    (void)state;
    assert_int_equal(nsemu_set("ethernet.dhcp", "fail"), NSAPI_ERROR_OK);
    start = now_ms();
    r = network_interface_connect(ni);
    assert_int_equal(nsemu_clear("ethernet.dhcp"), NSAPI_ERROR_OK);
    assert_int_equal(r, NSAPI_ERROR_DHCP_FAILURE);
    assert_true(now_ms() - start >= DHCP_TIMEOUT_MS);
    assert_true(eventlog_count("gateway dhcp ignore discover mode=fail") >= 1);
}

static void test_delay_holds_the_answers_back(void **state)
{
    network_interface_t *ni = down_interface();
    uint64_t start;
    nsapi_error_t r;

    (void)state;
    assert_int_equal(nsemu_set("ethernet.dhcp", "delay_ms:300"), NSAPI_ERROR_OK);
    start = now_ms();
    r = network_interface_connect(ni);
    assert_int_equal(nsemu_clear("ethernet.dhcp"), NSAPI_ERROR_OK);
    assert_int_equal(r, NSAPI_ERROR_OK);
    assert_true(now_ms() - start >= 300);
    assert_string_equal(network_interface_get_ip_address(ni), "10.0.2.15");
    assert_true(eventlog_count("gateway dhcp delay ms=300") >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lease_is_obtained_and_applied),
        cmocka_unit_test(test_dns_server_comes_from_the_lease),
        cmocka_unit_test(test_nak_gives_dhcp_failure),
        cmocka_unit_test(test_no_offers_give_dhcp_failure_after_the_timeout),
        cmocka_unit_test(test_delay_holds_the_answers_back),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
