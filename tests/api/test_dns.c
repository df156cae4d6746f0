/*
 * test_dns.c: network_interface_gethostbyname and the calls that resolve names
 * (connect_host, sendto_host), against the fake DNS server of tests/support on
 * loopback, added with network_interface_add_dns_server. IP literals and localhost
 * never reach DNS; NXDOMAIN, NODATA, SERVFAIL and silence end in DNS_FAILURE.
 *
 * meson.build sets dns.timeout_ms=300 for this program, so a silent server costs
 * 300 ms per try (1 + dns.retries tries) instead of seconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "api_support.h"
#include "fake_dns.h"
#include "harness.h"

/* An interface of its own, up, with one fake server added to it. */
struct dns_fixture {
    network_interface_t *ni;
    struct fake_dns *dns;
};

static void add_server(network_interface_t *ni, struct fake_dns *dns, const char *ip)
{
    socket_address_t server;

    addr_of(&server, ip, fake_dns_port(dns));
    assert_int_equal(network_interface_add_dns_server(ni, &server), NSAPI_ERROR_OK);
}

static int fixture_setup(void **state)
{
    struct dns_fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    f->ni = ethernet_interface_new();
    f->dns = fake_dns_start("127.0.0.1", 0, FAKE_DNS_ANSWER);
    if (f->ni == NULL || f->dns == NULL || network_interface_connect(f->ni) != NSAPI_ERROR_OK)
        return -1;
    fake_dns_add(f->dns, "device.test", "127.0.0.9");
    fake_dns_add(f->dns, "six.test", "::1");
    fake_dns_add(f->dns, "here.test", "127.0.0.1");
    add_server(f->ni, f->dns, "127.0.0.1");
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    struct dns_fixture *f = *state;

    network_interface_delete(f->ni);
    fake_dns_stop(f->dns);
    free(f);
    return 0;
}

/* Resolves host with version v on f's interface; the result, *out filled on success. */
static nsapi_error_t lookup(struct dns_fixture *f, const char *host, nsapi_version_t v,
                            socket_address_t *out)
{
    socket_address_init(out);
    return network_interface_gethostbyname(f->ni, host, out, v);
}

static void test_ipv4_literal_resolves_without_dns(void **state)
{
    struct dns_fixture *f = *state;
    socket_address_t out;

    assert_int_equal(lookup(f, "127.0.0.4", NSAPI_UNSPEC, &out), NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&out), "127.0.0.4");
    assert_int_equal(fake_dns_queries(f->dns), 0);
}

static void test_ipv6_literal_resolves_without_dns(void **state)
{
    struct dns_fixture *f = *state;
    socket_address_t out;

    assert_int_equal(lookup(f, "::1", NSAPI_UNSPEC, &out), NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&out), "::1");
    assert_int_equal(fake_dns_queries(f->dns), 0);
}

static void test_localhost_resolves_to_127_0_0_1_without_dns(void **state)
{
    struct dns_fixture *f = *state;
    socket_address_t out;

    assert_int_equal(lookup(f, "localhost", NSAPI_UNSPEC, &out), NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&out), "127.0.0.1");
    assert_int_equal(lookup(f, "localhost", NSAPI_IPv4, &out), NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&out), "127.0.0.1");
    assert_int_equal(fake_dns_queries(f->dns), 0);
}

static void test_localhost_asked_as_ipv6_resolves_to_ip6_loopback_without_dns(void **state)
{
    struct dns_fixture *f = *state;
    socket_address_t out;

    assert_int_equal(lookup(f, "localhost", NSAPI_IPv6, &out), NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&out), "::1");
    assert_int_equal(socket_address_get_ip_version(&out), NSAPI_IPv6);
    assert_int_equal(fake_dns_queries(f->dns), 0);
}

static void test_name_resolves_through_an_added_server(void **state)
{
    struct dns_fixture *f = *state;
    socket_address_t out;

    assert_int_equal(lookup(f, "device.test", NSAPI_UNSPEC, &out), NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&out), "127.0.0.9");
    assert_true(fake_dns_queries(f->dns) >= 1);
}

static void test_name_asked_as_ipv6_resolves_to_its_aaaa_record(void **state)
{
    struct dns_fixture *f = *state;
    socket_address_t out;

    assert_int_equal(lookup(f, "six.test", NSAPI_IPv6, &out), NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&out), "::1");
}

static void test_lookup_keeps_the_port_of_the_result_address(void **state)
{
    struct dns_fixture *f = *state;
    socket_address_t out;

    socket_address_init(&out);
    socket_address_set_port(&out, 8883);
    assert_int_equal(network_interface_gethostbyname(f->ni, "device.test", &out, NSAPI_IPv4),
                     NSAPI_ERROR_OK);
    assert_int_equal(socket_address_get_port(&out), 8883);
}

static void test_nxdomain_returns_dns_failure(void **state)
{
    struct dns_fixture *f = *state;
    socket_address_t out;

    fake_dns_set_mode(f->dns, FAKE_DNS_NXDOMAIN);
    assert_int_equal(lookup(f, "device.test", NSAPI_UNSPEC, &out), NSAPI_ERROR_DNS_FAILURE);
    assert_true(fake_dns_queries(f->dns) >= 1);
    assert_false(socket_address_is_set(&out));
}

static void test_unknown_name_returns_dns_failure(void **state)
{
    struct dns_fixture *f = *state;
    socket_address_t out;

    assert_int_equal(lookup(f, "nowhere.test", NSAPI_IPv4, &out), NSAPI_ERROR_DNS_FAILURE);
    assert_true(fake_dns_queries(f->dns) >= 1);
}

static void test_answer_without_addresses_returns_dns_failure(void **state)
{
    struct dns_fixture *f = *state;
    socket_address_t out;

    fake_dns_set_mode(f->dns, FAKE_DNS_NODATA);
    assert_int_equal(lookup(f, "device.test", NSAPI_UNSPEC, &out), NSAPI_ERROR_DNS_FAILURE);
    assert_true(fake_dns_queries(f->dns) >= 1);
}

static void test_name_with_only_the_other_version_returns_dns_failure(void **state)
{
    struct dns_fixture *f = *state;
    socket_address_t out;

    assert_int_equal(lookup(f, "six.test", NSAPI_IPv4, &out), NSAPI_ERROR_DNS_FAILURE);
}

static void test_silent_server_returns_dns_failure_after_its_timeout(void **state)
{
    struct dns_fixture *f = *state;
    socket_address_t out;
    uint64_t start, took;

    fake_dns_set_mode(f->dns, FAKE_DNS_SILENT);
    start = test_now_ms();
    assert_int_equal(lookup(f, "device.test", NSAPI_IPv4, &out), NSAPI_ERROR_DNS_FAILURE);
    took = test_now_ms() - start;
    assert_true(fake_dns_queries(f->dns) >= 1);
    assert_in_range(took, 250, 5000);
}

static void test_server_failure_returns_dns_failure(void **state)
{
    struct dns_fixture *f = *state;
    socket_address_t out;

    fake_dns_set_mode(f->dns, FAKE_DNS_SERVFAIL);
    assert_int_equal(lookup(f, "device.test", NSAPI_IPv4, &out), NSAPI_ERROR_DNS_FAILURE);
    assert_true(fake_dns_queries(f->dns) >= 1);
}

static void test_failing_server_is_skipped_for_the_next_one(void **state)
{
    struct dns_fixture *f = *state;
    struct fake_dns *failing = fake_dns_start("127.0.0.1", 0, FAKE_DNS_SERVFAIL);
    socket_address_t out;

    assert_non_null(failing);
    add_server(f->ni, failing, "127.0.0.1"); /* added last: asked first */
    assert_int_equal(lookup(f, "device.test", NSAPI_IPv4, &out), NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&out), "127.0.0.9");
    assert_true(fake_dns_queries(failing) >= 1);
    fake_dns_stop(failing);
}

static void test_garbage_and_wrong_ids_before_the_answer_are_ignored(void **state)
{
    struct dns_fixture *f = *state;
    socket_address_t out;

    fake_dns_set_mode(f->dns, FAKE_DNS_MALFORMED_THEN_ANSWER);
    assert_int_equal(lookup(f, "device.test", NSAPI_IPv4, &out), NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&out), "127.0.0.9");
}

static void test_interface_without_servers_returns_dns_failure(void **state)
{
    network_interface_t *ni = ethernet_interface_new();
    socket_address_t out;

    (void)state;
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    socket_address_init(&out);
    assert_int_equal(network_interface_gethostbyname(ni, "device.test", &out, NSAPI_UNSPEC),
                     NSAPI_ERROR_DNS_FAILURE);
    network_interface_delete(ni);
}

static void test_dns_queries_counter_counts_what_the_server_received(void **state)
{
    struct dns_fixture *f = *state;
    socket_address_t out;
    uint64_t before, after;

    assert_int_equal(nsemu_counter("dns.queries", &before), NSAPI_ERROR_OK);
    assert_int_equal(lookup(f, "device.test", NSAPI_IPv4, &out), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_counter("dns.queries", &after), NSAPI_ERROR_OK);
    assert_int_equal(after - before, fake_dns_queries(f->dns));
}

static void test_connect_host_resolves_the_name_then_connects(void **state)
{
    struct dns_fixture *f = *state;
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port), peer;
    tcp_socket_t *s = tcp_socket_new();

    assert_int_equal(socket_open(s, f->ni), NSAPI_ERROR_OK);
    socket_set_timeout(s, WAIT_MS);
    assert_int_equal(tcp_socket_connect_host(s, "here.test", port), NSAPI_ERROR_OK);
    peer = posix_accept_within(lfd, WAIT_MS, NULL);
    assert_true(peer >= 0);
    assert_true(fake_dns_queries(f->dns) >= 1);
    close(peer);
    close(lfd);
    socket_delete(s);
}

static void test_connect_host_with_an_unknown_name_returns_dns_failure(void **state)
{
    struct dns_fixture *f = *state;
    tcp_socket_t *s = tcp_socket_new();

    assert_int_equal(socket_open(s, f->ni), NSAPI_ERROR_OK);
    assert_int_equal(tcp_socket_connect_host(s, "nowhere.test", 80), NSAPI_ERROR_DNS_FAILURE);
    socket_delete(s);
}

static void test_sendto_host_resolves_the_name_then_sends(void **state)
{
    struct dns_fixture *f = *state;
    uint16_t port = 0;
    int peer = posix_udp_socket("127.0.0.1", &port);
    udp_socket_t *s = udp_socket_new();
    char buf[8];

    assert_int_equal(socket_open(s, f->ni), NSAPI_ERROR_OK);
    assert_int_equal(udp_socket_sendto_host(s, "here.test", port, "dns", 3), 3);
    assert_int_equal(posix_recvfrom_within(peer, buf, sizeof(buf), WAIT_MS, NULL, NULL), 3);
    close(peer);
    socket_delete(s);
}

static void test_connect_host_localhost_connects_without_dns(void **state)
{
    struct dns_fixture *f = *state;
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port), peer;
    tcp_socket_t *s = tcp_socket_new();

    assert_int_equal(socket_open(s, f->ni), NSAPI_ERROR_OK);
    socket_set_timeout(s, WAIT_MS);
    assert_int_equal(tcp_socket_connect_host(s, "localhost", port), NSAPI_ERROR_OK);
    peer = posix_accept_within(lfd, WAIT_MS, NULL);
    assert_true(peer >= 0);
    assert_int_equal(fake_dns_queries(f->dns), 0);
    close(peer);
    close(lfd);
    socket_delete(s);
}

#define DNS_TEST(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        DNS_TEST(test_ipv4_literal_resolves_without_dns),
        DNS_TEST(test_ipv6_literal_resolves_without_dns),
        DNS_TEST(test_localhost_resolves_to_127_0_0_1_without_dns),
        DNS_TEST(test_localhost_asked_as_ipv6_resolves_to_ip6_loopback_without_dns),
        DNS_TEST(test_name_resolves_through_an_added_server),
        DNS_TEST(test_name_asked_as_ipv6_resolves_to_its_aaaa_record),
        DNS_TEST(test_lookup_keeps_the_port_of_the_result_address),
        DNS_TEST(test_nxdomain_returns_dns_failure),
        DNS_TEST(test_unknown_name_returns_dns_failure),
        DNS_TEST(test_answer_without_addresses_returns_dns_failure),
        DNS_TEST(test_name_with_only_the_other_version_returns_dns_failure),
        DNS_TEST(test_silent_server_returns_dns_failure_after_its_timeout),
        DNS_TEST(test_server_failure_returns_dns_failure),
        DNS_TEST(test_failing_server_is_skipped_for_the_next_one),
        DNS_TEST(test_garbage_and_wrong_ids_before_the_answer_are_ignored),
        cmocka_unit_test(test_interface_without_servers_returns_dns_failure),
        DNS_TEST(test_dns_queries_counter_counts_what_the_server_received),
        DNS_TEST(test_connect_host_resolves_the_name_then_connects),
        DNS_TEST(test_connect_host_with_an_unknown_name_returns_dns_failure),
        DNS_TEST(test_sendto_host_resolves_the_name_then_sends),
        DNS_TEST(test_connect_host_localhost_connects_without_dns),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
