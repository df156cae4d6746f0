/*
 * test_dhcp_faults.c: ethernet.dhcp on the host link's emulated DHCP: fail (no offers:
 * DHCP_FAILURE after device.dhcp_timeout_ms), nak (refused at once), delay_ms:N (then
 * success, or failure when N reaches the timeout), and ok by default. The status
 * callback sees CONNECTING then GLOBAL_UP, or CONNECTING then DISCONNECTED.
 *
 * meson.build sets device.dhcp_timeout_ms=300. Each test brings its own interface from
 * ethernet_interface_new(), so none depends on what another left behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "faults_support.h"
#include "harness.h"

#define DHCP_TIMEOUT_MS 300

struct dhcp_fixture {
    network_interface_t *ni;
    struct status_log log;
};

static int fixture_setup(void **state)
{
    struct dhcp_fixture *f = calloc(1, sizeof(*f));

    if (f == NULL || nsemu_reset() != NSAPI_ERROR_OK)
        return -1;
    f->ni = ethernet_interface_new();
    if (f->ni == NULL)
        return -1;
    status_log_init(&f->log);
    network_interface_attach(f->ni, status_record, &f->log);
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    struct dhcp_fixture *f = *state;

    network_interface_attach(f->ni, NULL, NULL);
    network_interface_delete(f->ni);
    event_destroy(&f->log.ev);
    free(f);
    return nsemu_reset() == NSAPI_ERROR_OK ? 0 : -1;
}

/* Connects f's interface: the result, and how long it took in *took_ms. */
static nsapi_error_t connect_timed(struct dhcp_fixture *f, uint64_t *took_ms)
{
    uint64_t start = test_now_ms();
    nsapi_error_t r = network_interface_connect(f->ni);

    *took_ms = test_now_ms() - start;
    return r;
}

/* The callback saw exactly CONNECTING, then last (it has run before connect returns). */
static void assert_statuses(struct dhcp_fixture *f, nsapi_connection_status_t last)
{
    assert_int_equal(status_count(&f->log), 2);
    assert_int_equal(status_at(&f->log, 0), NSAPI_STATUS_CONNECTING);
    assert_int_equal(status_at(&f->log, 1), last);
}

static void assert_failed_and_down(struct dhcp_fixture *f)
{
    assert_statuses(f, NSAPI_STATUS_DISCONNECTED);
    assert_null(network_interface_get_ip_address(f->ni));
    assert_int_equal(network_interface_get_connection_status(f->ni), NSAPI_STATUS_DISCONNECTED);
}

static void test_ethernet_dhcp_is_ok_by_default(void **state)
{
    struct dhcp_fixture *f = *state;
    char value[64];
    uint64_t took;

    assert_int_equal(nsemu_get("ethernet.dhcp", value, sizeof(value)), NSAPI_ERROR_OK);
    assert_string_equal(value, "ok");
    assert_int_equal(connect_timed(f, &took), NSAPI_ERROR_OK);
    assert_in_range(took, 0, DHCP_TIMEOUT_MS - 1);
    assert_statuses(f, NSAPI_STATUS_GLOBAL_UP);
    assert_string_equal(network_interface_get_ip_address(f->ni), "127.0.0.1");
}

static void test_ethernet_dhcp_fail_gives_dhcp_failure_after_the_dhcp_timeout(void **state)
{
    struct dhcp_fixture *f = *state;
    uint64_t took;

    assert_int_equal(nsemu_set("ethernet.dhcp", "fail"), NSAPI_ERROR_OK);
    assert_int_equal(connect_timed(f, &took), NSAPI_ERROR_DHCP_FAILURE);
    assert_in_range(took, DHCP_TIMEOUT_MS, 3000);
    assert_failed_and_down(f);
}

static void test_ethernet_dhcp_nak_gives_dhcp_failure_at_once(void **state)
{
    struct dhcp_fixture *f = *state;
    uint64_t took;

    assert_int_equal(nsemu_set("ethernet.dhcp", "nak"), NSAPI_ERROR_OK);
    assert_int_equal(connect_timed(f, &took), NSAPI_ERROR_DHCP_FAILURE);
    assert_in_range(took, 0, DHCP_TIMEOUT_MS - 1);
    assert_failed_and_down(f);
}

static void test_ethernet_dhcp_delay_succeeds_after_the_delay(void **state)
{
    struct dhcp_fixture *f = *state;
    uint64_t took;

    assert_int_equal(nsemu_set("ethernet.dhcp", "delay_ms:150"), NSAPI_ERROR_OK);
    assert_int_equal(connect_timed(f, &took), NSAPI_ERROR_OK);
    assert_in_range(took, 150, 3000);
    assert_statuses(f, NSAPI_STATUS_GLOBAL_UP);
    assert_string_equal(network_interface_get_ip_address(f->ni), "127.0.0.1");
}

static void test_ethernet_dhcp_delay_past_the_dhcp_timeout_fails_at_the_timeout(void **state)
{
    struct dhcp_fixture *f = *state;
    uint64_t took;

    assert_int_equal(nsemu_set("ethernet.dhcp", "delay_ms:2000"), NSAPI_ERROR_OK);
    assert_int_equal(connect_timed(f, &took), NSAPI_ERROR_DHCP_FAILURE);
    assert_in_range(took, DHCP_TIMEOUT_MS, 1999);
    assert_failed_and_down(f);
}

static void test_an_interface_connects_once_ethernet_dhcp_is_cleared(void **state)
{
    struct dhcp_fixture *f = *state;
    uint64_t took;

    assert_int_equal(nsemu_set("ethernet.dhcp", "nak"), NSAPI_ERROR_OK);
    assert_int_equal(connect_timed(f, &took), NSAPI_ERROR_DHCP_FAILURE);
    assert_int_equal(nsemu_clear("ethernet.dhcp"), NSAPI_ERROR_OK);
    assert_int_equal(connect_timed(f, &took), NSAPI_ERROR_OK);
    assert_int_equal(status_at(&f->log, 3), NSAPI_STATUS_GLOBAL_UP);
}

static void test_ethernet_dhcp_does_not_touch_a_static_configuration(void **state)
{
    struct dhcp_fixture *f = *state;
    uint64_t took;

    assert_int_equal(nsemu_set("ethernet.dhcp", "fail"), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_set_network(f->ni, "127.0.0.1", "255.0.0.0", ""),
                     NSAPI_ERROR_OK);
    assert_int_equal(connect_timed(f, &took), NSAPI_ERROR_OK);
    assert_in_range(took, 0, DHCP_TIMEOUT_MS - 1);
    assert_statuses(f, NSAPI_STATUS_GLOBAL_UP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)
        T(test_ethernet_dhcp_is_ok_by_default),
        T(test_ethernet_dhcp_fail_gives_dhcp_failure_after_the_dhcp_timeout),
        T(test_ethernet_dhcp_nak_gives_dhcp_failure_at_once),
        T(test_ethernet_dhcp_delay_succeeds_after_the_delay),
        T(test_ethernet_dhcp_delay_past_the_dhcp_timeout_fails_at_the_timeout),
        T(test_an_interface_connects_once_ethernet_dhcp_is_cleared),
        T(test_ethernet_dhcp_does_not_touch_a_static_configuration),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
