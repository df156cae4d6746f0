/*
 * test_dns.c: the built-in gateway's DNS server at 10.0.2.3 (DESIGN §3), asked by the
 * device's own DNS client over the wire: [dns] static.* names (A and AAAA), NXDOMAIN
 * for others, and dns.mode / dns.delay_ms acting at the server — once, the client does
 * not add its own. with_pcap.sh checks that the answers crossed the wire.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <time.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "gateway_support.h"

#define DNS_TIMEOUT_MS 500 /* dns.ini: timeout_ms, no retries */
#define DELAY_MS 300

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static nsapi_error_t lookup(const char *name, nsapi_version_t v, socket_address_t *out)
{
    socket_address_init(out);
    return network_interface_gethostbyname(lan_interface(), name, out, v);
}

static void test_static_name_resolves_through_the_gateway(void **state)
{
    socket_address_t a;

    (void)state;
    assert_int_equal(lookup("dev.test", NSAPI_IPv4, &a), NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&a), "10.0.2.99");
    assert_true(eventlog_count("gateway dns dev.test A -> 10.0.2.99") >= 1);
    assert_true(eventlog_count("dns static name=") == 0); /* not short-cut by the client */
}

static void test_static_ipv6_name_resolves_as_aaaa(void **state)
{
    socket_address_t a;

    (void)state;
    assert_int_equal(lookup("six.test", NSAPI_IPv6, &a), NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&a), "fd00::99");
    assert_true(eventlog_count("gateway dns six.test AAAA -> fd00::99") >= 1);
}

static void test_unknown_name_is_nxdomain(void **state)
{
    socket_address_t a;

    (void)state;
    assert_int_equal(lookup("nope.test", NSAPI_IPv4, &a), NSAPI_ERROR_DNS_FAILURE);
    assert_true(eventlog_count("gateway dns nope.test nxdomain") >= 1);
}

static void test_mode_fail_answers_servfail_at_once(void **state)
{
    socket_address_t a;
    uint64_t start;

    (void)state;
    assert_int_equal(nsemu_set("dns.mode", "fail"), NSAPI_ERROR_OK);
    start = now_ms();
    assert_int_equal(lookup("dev.test", NSAPI_IPv4, &a), NSAPI_ERROR_DNS_FAILURE);
    assert_true(now_ms() - start < DNS_TIMEOUT_MS);
    assert_int_equal(nsemu_clear("dns.mode"), NSAPI_ERROR_OK);
    assert_int_equal(eventlog_count("gateway dns dev.test A dns.mode=fail servfail"), 1);
    assert_int_equal(eventlog_count("dns.mode fail server="), 0); /* the client's own */
}

static void test_mode_timeout_leaves_the_query_unanswered(void **state)
{
    socket_address_t a;
    uint64_t start;

    (void)state;
    assert_int_equal(nsemu_set("dns.mode", "timeout"), NSAPI_ERROR_OK);
    start = now_ms();
    assert_int_equal(lookup("dev.test", NSAPI_IPv4, &a), NSAPI_ERROR_DNS_FAILURE);
    assert_true(now_ms() - start >= DNS_TIMEOUT_MS);
    assert_int_equal(nsemu_clear("dns.mode"), NSAPI_ERROR_OK);
    assert_int_equal(eventlog_count("gateway dns dev.test A dns.mode=timeout no answer"), 1);
    assert_int_equal(eventlog_count("dns.mode timeout server="), 0);
}

static void test_delay_holds_the_answer_back_once(void **state)
{
    socket_address_t a;
    uint64_t start, took;

    (void)state;
    assert_int_equal(nsemu_set("dns.delay_ms", "300"), NSAPI_ERROR_OK);
    start = now_ms();
    assert_int_equal(lookup("dev.test", NSAPI_IPv4, &a), NSAPI_ERROR_OK);
    took = now_ms() - start;
    assert_int_equal(nsemu_clear("dns.delay_ms"), NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&a), "10.0.2.99");
    assert_true(took >= DELAY_MS);
    assert_true(took < DNS_TIMEOUT_MS); /* not delayed a second time by the client */
    assert_int_equal(eventlog_count("gateway dns dev.test A delay ms=300"), 1);
    assert_int_equal(eventlog_count("dns.delay_ms delay"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_name_resolves_through_the_gateway),
        cmocka_unit_test(test_static_ipv6_name_resolves_as_aaaa),
        cmocka_unit_test(test_unknown_name_is_nxdomain),
        cmocka_unit_test(test_mode_fail_answers_servfail_at_once),
        cmocka_unit_test(test_mode_timeout_leaves_the_query_unanswered),
        cmocka_unit_test(test_delay_holds_the_answer_back_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
