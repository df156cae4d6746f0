/*
 * test_socket_address.c: SocketAddress as a value type: parsing and printing IPv4 and
 * IPv6 text (canonical form), raw bytes, the port, equality, is_set (the any-address is
 * not set) and text that is not an IP literal. No network, no threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include <netsocket/netsocket.h>

static void test_init_makes_an_empty_address_with_port_zero(void **state)
{
    socket_address_t a;

    (void)state;
    memset(&a, 0xa5, sizeof(a));
    socket_address_init(&a);
    assert_false(socket_address_is_set(&a));
    assert_null(socket_address_get_ip_address(&a));
    assert_int_equal(socket_address_get_port(&a), 0);
    assert_int_equal(socket_address_get_ip_version(&a), NSAPI_UNSPEC);
}

static void test_ipv4_text_parses_and_prints_back(void **state)
{
    socket_address_t a;

    (void)state;
    socket_address_init(&a);
    assert_true(socket_address_set_ip_address(&a, "10.0.2.15"));
    assert_int_equal(socket_address_get_ip_version(&a), NSAPI_IPv4);
    assert_string_equal(socket_address_get_ip_address(&a), "10.0.2.15");
    assert_true(socket_address_is_set(&a));
}

static void test_ipv6_text_prints_in_canonical_form(void **state)
{
    socket_address_t a;

    (void)state;
    socket_address_init(&a);
    assert_true(socket_address_set_ip_address(&a, "2001:DB8:0:0:0:0:0:1"));
    assert_int_equal(socket_address_get_ip_version(&a), NSAPI_IPv6);
    assert_string_equal(socket_address_get_ip_address(&a), "2001:db8::1");
    assert_true(socket_address_set_ip_address(&a, "0:0:0:0:0:0:0:1"));
    assert_string_equal(socket_address_get_ip_address(&a), "::1");
}

static void test_ipv4_bytes_are_in_network_order(void **state)
{
    static const uint8_t expected[4] = {192, 0, 2, 1};
    socket_address_t a;

    (void)state;
    socket_address_init(&a);
    assert_true(socket_address_set_ip_address(&a, "192.0.2.1"));
    assert_memory_equal(socket_address_get_ip_bytes(&a), expected, 4);
}

static void test_ipv4_bytes_set_the_text(void **state)
{
    static const uint8_t bytes[4] = {127, 0, 0, 5};
    socket_address_t a;

    (void)state;
    socket_address_init(&a);
    socket_address_set_ip_bytes(&a, bytes, NSAPI_IPv4);
    assert_int_equal(socket_address_get_ip_version(&a), NSAPI_IPv4);
    assert_string_equal(socket_address_get_ip_address(&a), "127.0.0.5");
}

static void test_ipv6_bytes_set_the_text(void **state)
{
    static const uint8_t bytes[16] = {0xfe, 0x80, [15] = 0x2a};
    socket_address_t a;

    (void)state;
    socket_address_init(&a);
    socket_address_set_ip_bytes(&a, bytes, NSAPI_IPv6);
    assert_int_equal(socket_address_get_ip_version(&a), NSAPI_IPv6);
    assert_string_equal(socket_address_get_ip_address(&a), "fe80::2a");
    assert_memory_equal(socket_address_get_ip_bytes(&a), bytes, 16);
}

static void test_unspec_bytes_clear_the_ip(void **state)
{
    socket_address_t a;

    (void)state;
    socket_address_init(&a);
    assert_true(socket_address_set_ip_address(&a, "10.1.2.3"));
    socket_address_set_ip_bytes(&a, NULL, NSAPI_UNSPEC);
    assert_int_equal(socket_address_get_ip_version(&a), NSAPI_UNSPEC);
    assert_null(socket_address_get_ip_address(&a));
    assert_false(socket_address_is_set(&a));
}

static void test_addr_round_trips_through_nsapi_addr(void **state)
{
    socket_address_t a, b;
    nsapi_addr_t raw;

    (void)state;
    socket_address_init(&a);
    socket_address_init(&b);
    assert_true(socket_address_set_ip_address(&a, "2001:db8::7"));
    raw = socket_address_get_addr(&a);
    assert_int_equal(raw.version, NSAPI_IPv6);
    socket_address_set_addr(&b, raw);
    assert_string_equal(socket_address_get_ip_address(&b), "2001:db8::7");
    assert_true(socket_address_equal(&a, &b));
}

static void test_port_is_set_and_read_back(void **state)
{
    socket_address_t a;

    (void)state;
    socket_address_init(&a);
    socket_address_set_port(&a, 65535);
    assert_int_equal(socket_address_get_port(&a), 65535);
    socket_address_set_port(&a, 80);
    assert_int_equal(socket_address_get_port(&a), 80);
}

static void test_port_is_kept_when_the_ip_changes(void **state)
{
    socket_address_t a;

    (void)state;
    socket_address_init(&a);
    socket_address_set_port(&a, 5683);
    assert_true(socket_address_set_ip_address(&a, "::1"));
    assert_true(socket_address_set_ip_address(&a, "127.0.0.1"));
    assert_int_equal(socket_address_get_port(&a), 5683);
}

static void test_text_that_is_not_an_ip_literal_is_rejected(void **state)
{
    static const char *const bad[] = {
        "",
        "example.com",
        "localhost",
        "300.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        "1.2.3.4:80",
        "[::1]",
        "::1%lo",
        " 10.0.0.1",
        "10.0.0.1 ",
        "::g",
        "1:2:3:4:5:6:7:8:9",
    };
    socket_address_t a;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        socket_address_init(&a);
        assert_true(socket_address_set_ip_address(&a, "10.9.8.7"));
        assert_false(socket_address_set_ip_address(&a, bad[i]));
        assert_false(socket_address_is_set(&a));
        assert_null(socket_address_get_ip_address(&a));
        assert_int_equal(socket_address_get_ip_version(&a), NSAPI_UNSPEC);
    }
}

static void test_rejected_text_keeps_the_port(void **state)
{
    socket_address_t a;

    (void)state;
    socket_address_init(&a);
    socket_address_set_port(&a, 1883);
    assert_false(socket_address_set_ip_address(&a, "broker.example"));
    assert_int_equal(socket_address_get_port(&a), 1883);
}

static void test_ipv4_any_address_is_not_set(void **state)
{
    socket_address_t a;

    (void)state;
    socket_address_init(&a);
    assert_true(socket_address_set_ip_address(&a, "0.0.0.0"));
    assert_int_equal(socket_address_get_ip_version(&a), NSAPI_IPv4);
    assert_false(socket_address_is_set(&a));
}

static void test_ipv6_any_address_is_not_set(void **state)
{
    socket_address_t a;

    (void)state;
    socket_address_init(&a);
    assert_true(socket_address_set_ip_address(&a, "::"));
    assert_int_equal(socket_address_get_ip_version(&a), NSAPI_IPv6);
    assert_false(socket_address_is_set(&a));
}

static void test_equal_addresses_have_same_version_bytes_and_port(void **state)
{
    socket_address_t a, b;

    (void)state;
    socket_address_init(&a);
    socket_address_init(&b);
    assert_true(socket_address_set_ip_address(&a, "127.0.0.1"));
    assert_true(socket_address_set_ip_address(&b, "127.0.0.1"));
    socket_address_set_port(&a, 7);
    socket_address_set_port(&b, 7);
    assert_true(socket_address_equal(&a, &b));
    socket_address_set_port(&b, 8);
    assert_false(socket_address_equal(&a, &b));
    socket_address_set_port(&b, 7);
    assert_true(socket_address_set_ip_address(&b, "127.0.0.2"));
    assert_false(socket_address_equal(&a, &b));
}

static void test_ipv4_and_its_mapped_ipv6_form_are_not_equal(void **state)
{
    socket_address_t a, b;

    (void)state;
    socket_address_init(&a);
    socket_address_init(&b);
    assert_true(socket_address_set_ip_address(&a, "127.0.0.1"));
    assert_true(socket_address_set_ip_address(&b, "::ffff:127.0.0.1"));
    assert_false(socket_address_equal(&a, &b));
}

static void test_empty_addresses_with_one_port_are_equal(void **state)
{
    socket_address_t a, b;

    (void)state;
    socket_address_init(&a);
    socket_address_init(&b);
    socket_address_set_port(&a, 99);
    socket_address_set_port(&b, 99);
    assert_true(socket_address_equal(&a, &b));
}

static void test_a_copy_is_an_independent_value(void **state)
{
    socket_address_t a, b;

    (void)state;
    socket_address_init(&a);
    assert_true(socket_address_set_ip_address(&a, "10.0.0.1"));
    b = a;
    assert_true(socket_address_set_ip_address(&a, "10.0.0.2"));
    assert_string_equal(socket_address_get_ip_address(&b), "10.0.0.1");
    assert_string_equal(socket_address_get_ip_address(&a), "10.0.0.2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_makes_an_empty_address_with_port_zero),
        cmocka_unit_test(test_ipv4_text_parses_and_prints_back),
        cmocka_unit_test(test_ipv6_text_prints_in_canonical_form),
        cmocka_unit_test(test_ipv4_bytes_are_in_network_order),
        cmocka_unit_test(test_ipv4_bytes_set_the_text),
        cmocka_unit_test(test_ipv6_bytes_set_the_text),
        cmocka_unit_test(test_unspec_bytes_clear_the_ip),
        cmocka_unit_test(test_addr_round_trips_through_nsapi_addr),
        cmocka_unit_test(test_port_is_set_and_read_back),
        cmocka_unit_test(test_port_is_kept_when_the_ip_changes),
        cmocka_unit_test(test_text_that_is_not_an_ip_literal_is_rejected),
        cmocka_unit_test(test_rejected_text_keeps_the_port),
        cmocka_unit_test(test_ipv4_any_address_is_not_set),
        cmocka_unit_test(test_ipv6_any_address_is_not_set),
        cmocka_unit_test(test_equal_addresses_have_same_version_bytes_and_port),
        cmocka_unit_test(test_ipv4_and_its_mapped_ipv6_form_are_not_equal),
        cmocka_unit_test(test_empty_addresses_with_one_port_are_equal),
        cmocka_unit_test(test_a_copy_is_an_independent_value),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
