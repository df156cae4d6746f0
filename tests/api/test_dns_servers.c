/*
 * test_dns_servers.c: dns.servers from the environment (meson.build sets
 * dns.servers=127.0.0.78:5378): the servers it names are the ones asked, and they
 * replace the servers added to the interface.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <netsocket/netsocket.h>

#include "api_support.h"
#include "fake_dns.h"
#include "harness.h"

#define SERVER_IP   "127.0.0.78" /* as meson.build sets it */
#define SERVER_PORT 5378

static void test_name_resolves_through_the_server_named_in_the_environment(void **state)
{
    struct fake_dns *dns = fake_dns_start(SERVER_IP, SERVER_PORT, FAKE_DNS_ANSWER);
    socket_address_t out;

    (void)state;
    assert_non_null(dns);
    fake_dns_add(dns, "env.test", "127.0.0.10");
    socket_address_init(&out);
    assert_int_equal(network_interface_gethostbyname(up_interface(), "env.test", &out, NSAPI_IPv4),
                     NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&out), "127.0.0.10");
    assert_int_equal(fake_dns_queries(dns), 1);
    fake_dns_stop(dns);
}

static void test_servers_from_the_environment_replace_the_added_ones(void **state)
{
    struct fake_dns *env = fake_dns_start(SERVER_IP, SERVER_PORT, FAKE_DNS_ANSWER);
    struct fake_dns *added = fake_dns_start("127.0.0.1", 0, FAKE_DNS_ANSWER);
    network_interface_t *ni = ethernet_interface_new();
    socket_address_t server, out;

    (void)state;
    assert_non_null(env);
    assert_non_null(added);
    fake_dns_add(env, "which.test", "127.0.0.11");
    fake_dns_add(added, "which.test", "127.0.0.12");
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    addr_of(&server, "127.0.0.1", fake_dns_port(added));
    assert_int_equal(network_interface_add_dns_server(ni, &server), NSAPI_ERROR_OK);
    socket_address_init(&out);
    assert_int_equal(network_interface_gethostbyname(ni, "which.test", &out, NSAPI_IPv4),
                     NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&out), "127.0.0.11");
    assert_int_equal(fake_dns_queries(added), 0);
    network_interface_delete(ni);
    fake_dns_stop(added);
    fake_dns_stop(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_resolves_through_the_server_named_in_the_environment),
        cmocka_unit_test(test_servers_from_the_environment_replace_the_added_ones),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
