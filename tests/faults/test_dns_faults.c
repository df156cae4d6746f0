/*
 * test_dns_faults.c: dns.mode (fail, timeout), dns.delay_ms and the scenario's
 * [dns] static.NAME entries, against the fake DNS server of tests/support added to an
 * interface of the test's own. Each knob is turned on through the control API and seen
 * at work, and shown off by default.
 *
 * meson.build sets dns.timeout_ms=300 and dns.retries=0, so one lookup of one type
 * asks one server once and waits at most 300 ms, and passes dns_static.ini:
 * broker.example is 127.0.0.9 and ::9, v6only.example is ::10.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "faults_support.h"
#include "fake_dns.h"
#include "harness.h"

#define DNS_TIMEOUT_MS 300

struct dns_fixture {
    network_interface_t *ni;
    struct fake_dns *dns;
};

static int fixture_setup(void **state)
{
    struct dns_fixture *f = calloc(1, sizeof(*f));
    socket_address_t server;

    if (f == NULL || nsemu_reset() != NSAPI_ERROR_OK)
        return -1;
    f->ni = ethernet_interface_new();
    f->dns = fake_dns_start("127.0.0.1", 0, FAKE_DNS_ANSWER);
    if (f->ni == NULL || f->dns == NULL || network_interface_connect(f->ni) != NSAPI_ERROR_OK)
        return -1;
    fake_dns_add(f->dns, "device.example", "127.0.0.7");
    addr_of(&server, "127.0.0.1", fake_dns_port(f->dns));
    if (network_interface_add_dns_server(f->ni, &server) != NSAPI_ERROR_OK)
        return -1;
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    struct dns_fixture *f = *state;

    network_interface_delete(f->ni);
    fake_dns_stop(f->dns);
    free(f);
    return nsemu_reset() == NSAPI_ERROR_OK ? 0 : -1;
}

struct lookup {
    nsapi_error_t r;
    uint64_t took_ms;
    char ip[NSAPI_IP_SIZE];
};

static struct lookup resolve(struct dns_fixture *f, const char *host, nsapi_version_t v)
{
    struct lookup l = {0};
    socket_address_t out;
    uint64_t start = test_now_ms();
    const char *ip;

    socket_address_init(&out);
    l.r = network_interface_gethostbyname(f->ni, host, &out, v);
    l.took_ms = test_now_ms() - start;
    ip = socket_address_get_ip_address(&out);
    strcpy(l.ip, ip != NULL ? ip : "");
    return l;
}

static void assert_knob(const char *knob, const char *expect)
{
    char value[64];

    assert_int_equal(nsemu_get(knob, value, sizeof(value)), NSAPI_ERROR_OK);
    assert_string_equal(value, expect);
}

/* ---- dns.mode ---------------------------------------------------------------------- */

static void test_dns_mode_is_ok_by_default(void **state)
{
    struct dns_fixture *f = *state;
    struct lookup l;

    assert_knob("dns.mode", "ok");
    l = resolve(f, "device.example", NSAPI_IPv4);
    assert_int_equal(l.r, NSAPI_ERROR_OK);
    assert_string_equal(l.ip, "127.0.0.7");
    assert_int_equal(fake_dns_queries(f->dns), 1);
}

static void test_dns_mode_fail_returns_dns_failure_at_once_without_a_query(void **state)
{
    struct dns_fixture *f = *state;
    struct lookup l;

    assert_int_equal(nsemu_set("dns.mode", "fail"), NSAPI_ERROR_OK);
    l = resolve(f, "device.example", NSAPI_IPv4);
    assert_int_equal(l.r, NSAPI_ERROR_DNS_FAILURE);
    assert_in_range(l.took_ms, 0, DNS_TIMEOUT_MS - 1); /* an answer, not a wait */
    assert_int_equal(fake_dns_queries(f->dns), 0);
}

static void test_dns_mode_timeout_returns_dns_failure_after_the_dns_timeout(void **state)
{
    struct dns_fixture *f = *state;
    struct lookup l;

    assert_int_equal(nsemu_set("dns.mode", "timeout"), NSAPI_ERROR_OK);
    l = resolve(f, "device.example", NSAPI_IPv4);
    assert_int_equal(l.r, NSAPI_ERROR_DNS_FAILURE);
    assert_in_range(l.took_ms, DNS_TIMEOUT_MS - 10, 3000);
    assert_int_equal(fake_dns_queries(f->dns), 0);
}

static void test_lookups_work_again_once_dns_mode_is_cleared(void **state)
{
    struct dns_fixture *f = *state;

    assert_int_equal(nsemu_set("dns.mode", "fail"), NSAPI_ERROR_OK);
    assert_int_equal(resolve(f, "device.example", NSAPI_IPv4).r, NSAPI_ERROR_DNS_FAILURE);
    assert_int_equal(nsemu_clear("dns.mode"), NSAPI_ERROR_OK);
    assert_int_equal(resolve(f, "device.example", NSAPI_IPv4).r, NSAPI_ERROR_OK);
}

/* ---- dns.delay_ms ------------------------------------------------------------------ */

static void test_dns_delay_is_zero_by_default(void **state)
{
    struct dns_fixture *f = *state;
    struct lookup l;

    assert_knob("dns.delay_ms", "0");
    l = resolve(f, "device.example", NSAPI_IPv4);
    assert_int_equal(l.r, NSAPI_ERROR_OK);
    assert_in_range(l.took_ms, 0, 149);
}

static void test_dns_delay_holds_the_answer_back(void **state)
{
    struct dns_fixture *f = *state;
    struct lookup l;

    assert_int_equal(nsemu_set("dns.delay_ms", "150"), NSAPI_ERROR_OK);
    l = resolve(f, "device.example", NSAPI_IPv4);
    assert_int_equal(l.r, NSAPI_ERROR_OK);
    assert_string_equal(l.ip, "127.0.0.7");
    assert_in_range(l.took_ms, 150, 3000);
}

static void test_dns_delay_beyond_the_dns_timeout_makes_the_answer_too_late(void **state)
{
    struct dns_fixture *f = *state;
    struct lookup l;

    assert_int_equal(nsemu_set("dns.delay_ms", "1000"), NSAPI_ERROR_OK);
    l = resolve(f, "device.example", NSAPI_IPv4);
    assert_int_equal(l.r, NSAPI_ERROR_DNS_FAILURE);
    assert_in_range(l.took_ms, DNS_TIMEOUT_MS - 10, 999); /* the timeout, not the delay */
}

/* ---- [dns] static.NAME ------------------------------------------------------------- */

static void test_a_name_without_a_static_entry_is_asked_of_the_server(void **state)
{
    struct dns_fixture *f = *state;

    fake_dns_add(f->dns, "other.broker.example", "127.0.0.8");
    assert_string_equal(resolve(f, "other.broker.example", NSAPI_IPv4).ip, "127.0.0.8");
    assert_int_equal(fake_dns_queries(f->dns), 1);
}

static void test_a_static_name_resolves_without_a_query(void **state)
{
    struct dns_fixture *f = *state;
    struct lookup l;

    fake_dns_add(f->dns, "broker.example", "127.0.0.99"); /* never asked */
    l = resolve(f, "broker.example", NSAPI_IPv4);
    assert_int_equal(l.r, NSAPI_ERROR_OK);
    assert_string_equal(l.ip, "127.0.0.9");
    l = resolve(f, "broker.example", NSAPI_IPv6);
    assert_int_equal(l.r, NSAPI_ERROR_OK);
    assert_string_equal(l.ip, "::9");
    l = resolve(f, "broker.example", NSAPI_UNSPEC);
    assert_int_equal(l.r, NSAPI_ERROR_OK);
    assert_string_equal(l.ip, "127.0.0.9");
    assert_int_equal(fake_dns_queries(f->dns), 0);
}

static void test_a_static_name_matches_in_any_case_and_with_a_trailing_dot(void **state)
{
    struct dns_fixture *f = *state;

    assert_string_equal(resolve(f, "Broker.EXAMPLE.", NSAPI_IPv4).ip, "127.0.0.9");
    assert_int_equal(fake_dns_queries(f->dns), 0);
}

static void test_a_static_name_resolves_whatever_dns_mode_says(void **state)
{
    struct dns_fixture *f = *state;

    assert_int_equal(nsemu_set("dns.mode", "fail"), NSAPI_ERROR_OK);
    assert_string_equal(resolve(f, "broker.example", NSAPI_IPv4).ip, "127.0.0.9");
    assert_int_equal(nsemu_set("dns.mode", "timeout"), NSAPI_ERROR_OK);
    assert_string_equal(resolve(f, "v6only.example", NSAPI_UNSPEC).ip, "::10");
    assert_int_equal(fake_dns_queries(f->dns), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)
        T(test_dns_mode_is_ok_by_default),
        T(test_dns_mode_fail_returns_dns_failure_at_once_without_a_query),
        T(test_dns_mode_timeout_returns_dns_failure_after_the_dns_timeout),
        T(test_lookups_work_again_once_dns_mode_is_cleared),
        T(test_dns_delay_is_zero_by_default),
        T(test_dns_delay_holds_the_answer_back),
        T(test_dns_delay_beyond_the_dns_timeout_makes_the_answer_too_late),
        T(test_a_name_without_a_static_entry_is_asked_of_the_server),
        T(test_a_static_name_resolves_without_a_query),
        T(test_a_static_name_matches_in_any_case_and_with_a_trailing_dot),
        T(test_a_static_name_resolves_whatever_dns_mode_says),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
