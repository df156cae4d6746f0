/*
 * test_pool.c: the device's socket pool, made small from the environment
 * (device.sockets=4, see meson.build): opening beyond it is NSAPI_ERROR_NO_SOCKET, as is
 * accepting beyond it and a name lookup (which holds one socket while it runs); closing
 * gives a socket back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "api_support.h"
#include "fake_dns.h"
#include "harness.h"

#define POOL 4 /* as meson.build sets it */

/* The whole pool, opened: alternately UDP and TCP sockets. */
static void open_all(socket_t *s[POOL])
{
    for (int i = 0; i < POOL; i++) {
        s[i] = i % 2 ? tcp_socket_new() : udp_socket_new();
        assert_non_null(s[i]);
        assert_int_equal(socket_open(s[i], up_interface()), NSAPI_ERROR_OK);
    }
}

static void delete_all(socket_t *s[POOL])
{
    for (int i = 0; i < POOL; i++)
        socket_delete(s[i]);
}

static void test_the_pool_starts_empty_with_the_size_from_the_environment(void **state)
{
    uint64_t open;
    char value[16];

    (void)state;
    assert_int_equal(nsemu_get("device.sockets", value, sizeof(value)), NSAPI_ERROR_OK);
    assert_string_equal(value, "4");
    assert_int_equal(nsemu_counter("sockets.open", &open), NSAPI_ERROR_OK);
    assert_int_equal(open, 0);
}

static void test_open_beyond_the_pool_returns_no_socket(void **state)
{
    socket_t *all[POOL];
    tcp_socket_t *extra = tcp_socket_new();

    (void)state;
    open_all(all);
    assert_int_equal(socket_open(extra, up_interface()), NSAPI_ERROR_NO_SOCKET);
    /* The failed open left it closed. */
    assert_int_equal(socket_close(extra), NSAPI_ERROR_NO_SOCKET);
    socket_delete(extra);
    delete_all(all);
}

static void test_close_gives_a_socket_back_to_the_pool(void **state)
{
    socket_t *all[POOL];
    udp_socket_t *extra = udp_socket_new();

    (void)state;
    open_all(all);
    assert_int_equal(socket_open(extra, up_interface()), NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(socket_close(all[0]), NSAPI_ERROR_OK);
    assert_int_equal(socket_open(extra, up_interface()), NSAPI_ERROR_OK);
    socket_delete(extra);
    delete_all(all);
}

static void test_accept_beyond_the_pool_returns_no_socket(void **state)
{
    uint16_t port = free_port("127.0.0.1");
    tcp_server_t *srv = tcp_server_new();
    tcp_socket_t *conn = tcp_socket_new();
    udp_socket_t *others[POOL - 1];
    int client;

    (void)state;
    assert_int_equal(socket_open(srv, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(srv, port), NSAPI_ERROR_OK);
    assert_int_equal(tcp_server_listen(srv, 1), NSAPI_ERROR_OK);
    socket_set_timeout(srv, WAIT_MS);
    for (int i = 0; i < POOL - 1; i++) {
        others[i] = udp_socket_new();
        assert_int_equal(socket_open(others[i], up_interface()), NSAPI_ERROR_OK);
    }
    client = posix_connect_to("127.0.0.1", port);
    assert_int_equal(tcp_server_accept(srv, conn, NULL), NSAPI_ERROR_NO_SOCKET);
    /* The connection still waits; with a socket free again it is accepted. */
    socket_delete(others[0]);
    assert_int_equal(tcp_server_accept(srv, conn, NULL), NSAPI_ERROR_OK);
    close(client);
    for (int i = 1; i < POOL - 1; i++)
        socket_delete(others[i]);
    socket_delete(conn);
    socket_delete(srv);
}

static void test_name_lookup_with_the_pool_used_up_returns_no_socket(void **state)
{
    network_interface_t *ni = ethernet_interface_new();
    struct fake_dns *dns = fake_dns_start("127.0.0.1", 0, FAKE_DNS_ANSWER);
    socket_address_t server, out;
    socket_t *all[POOL];

    (void)state;
    assert_non_null(dns);
    fake_dns_add(dns, "pool.test", "127.0.0.8");
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    addr_of(&server, "127.0.0.1", fake_dns_port(dns));
    assert_int_equal(network_interface_add_dns_server(ni, &server), NSAPI_ERROR_OK);
    open_all(all);
    socket_address_init(&out);
    assert_int_equal(network_interface_gethostbyname(ni, "pool.test", &out, NSAPI_IPv4),
                     NSAPI_ERROR_NO_SOCKET);
    assert_int_equal(fake_dns_queries(dns), 0);
    /* One socket back, and the same lookup works. */
    socket_delete(all[0]);
    all[0] = NULL;
    assert_int_equal(network_interface_gethostbyname(ni, "pool.test", &out, NSAPI_IPv4),
                     NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&out), "127.0.0.8");
    delete_all(all);
    network_interface_delete(ni);
    fake_dns_stop(dns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_pool_starts_empty_with_the_size_from_the_environment),
        cmocka_unit_test(test_open_beyond_the_pool_returns_no_socket),
        cmocka_unit_test(test_close_gives_a_socket_back_to_the_pool),
        cmocka_unit_test(test_accept_beyond_the_pool_returns_no_socket),
        cmocka_unit_test(test_name_lookup_with_the_pool_used_up_returns_no_socket),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
