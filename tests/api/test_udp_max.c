/*
 * test_udp_max.c: the device.udp_max limit set small from the environment
 * (device.udp_max=512, see meson.build): larger datagrams are refused with
 * NSAPI_ERROR_NO_MEMORY and nothing leaves; one of exactly the limit is sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "api_support.h"
#include "harness.h"

#define UDP_MAX 512 /* as meson.build sets it */

static udp_socket_t *opened_udp(void)
{
    udp_socket_t *s = udp_socket_new();

    assert_non_null(s);
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    return s;
}

static void test_udp_max_reads_back_as_set_from_the_environment(void **state)
{
    char value[16];

    (void)state;
    assert_int_equal(nsemu_get("device.udp_max", value, sizeof(value)), NSAPI_ERROR_OK);
    assert_string_equal(value, "512");
}

static void test_sendto_above_a_small_udp_max_returns_no_memory(void **state)
{
    uint16_t peer_port = 0;
    int peer = posix_udp_socket("127.0.0.1", &peer_port);
    udp_socket_t *s = opened_udp();
    socket_address_t to;
    uint8_t data[UDP_MAX + 1];

    (void)state;
    memset(data, 7, sizeof(data));
    addr_of(&to, "127.0.0.1", peer_port);
    assert_int_equal(udp_socket_sendto(s, &to, data, UDP_MAX + 1), NSAPI_ERROR_NO_MEMORY);
    assert_int_equal(posix_recvfrom_within(peer, data, sizeof(data), 0, NULL, NULL), -1);
    close(peer);
    socket_delete(s);
}

static void test_sendto_host_above_a_small_udp_max_returns_no_memory(void **state)
{
    uint16_t peer_port = 0;
    int peer = posix_udp_socket("127.0.0.1", &peer_port);
    udp_socket_t *s = opened_udp();
    uint8_t data[UDP_MAX + 1];

    (void)state;
    memset(data, 7, sizeof(data));
    assert_int_equal(udp_socket_sendto_host(s, "127.0.0.1", peer_port, data, UDP_MAX + 1),
                     NSAPI_ERROR_NO_MEMORY);
    close(peer);
    socket_delete(s);
}

static void test_sendto_of_exactly_a_small_udp_max_arrives_whole(void **state)
{
    uint16_t peer_port = 0;
    int peer = posix_udp_socket("127.0.0.1", &peer_port);
    udp_socket_t *s = opened_udp();
    socket_address_t to;
    uint8_t out[UDP_MAX], in[UDP_MAX + 16];

    (void)state;
    fill_pattern(out, sizeof(out), 12);
    addr_of(&to, "127.0.0.1", peer_port);
    assert_int_equal(udp_socket_sendto(s, &to, out, UDP_MAX), UDP_MAX);
    assert_int_equal(posix_recvfrom_within(peer, in, sizeof(in), WAIT_MS, NULL, NULL), UDP_MAX);
    assert_memory_equal(in, out, UDP_MAX);
    close(peer);
    socket_delete(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_max_reads_back_as_set_from_the_environment),
        cmocka_unit_test(test_sendto_above_a_small_udp_max_returns_no_memory),
        cmocka_unit_test(test_sendto_host_above_a_small_udp_max_returns_no_memory),
        cmocka_unit_test(test_sendto_of_exactly_a_small_udp_max_arrives_whole),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
