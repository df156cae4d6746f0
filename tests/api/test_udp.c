/*
 * test_udp.c: UDPSocket against plain POSIX peers on loopback: echo, the sender's
 * address, a receive buffer smaller than the datagram, the device.udp_max limit at its
 * default (65507), nonblocking and timed-out receives, binding, and IPv6 over ::1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netsocket/netsocket.h>

#include "api_support.h"
#include "harness.h"

static udp_socket_t *opened_udp(void)
{
    udp_socket_t *s = udp_socket_new();

    assert_non_null(s);
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    socket_set_timeout(s, WAIT_MS);
    return s;
}

static void test_echo_through_a_posix_peer_returns_the_datagram(void **state)
{
    struct echo_server *echo = echo_server_start("127.0.0.1", SOCK_DGRAM);
    udp_socket_t *s = opened_udp();
    socket_address_t to, from;
    uint8_t out[1200], in[1500];

    (void)state;
    fill_pattern(out, sizeof(out), 11);
    addr_of(&to, "127.0.0.1", echo_server_port(echo));
    assert_int_equal(udp_socket_sendto(s, &to, out, sizeof(out)), (int)sizeof(out));
    socket_address_init(&from);
    assert_int_equal(udp_socket_recvfrom(s, &from, in, sizeof(in)), (int)sizeof(out));
    assert_memory_equal(in, out, sizeof(out));
    assert_true(socket_address_equal(&from, &to));
    socket_delete(s);
    echo_server_stop(echo);
}

static void test_many_datagrams_echo_in_order_with_their_checksums(void **state)
{
    struct echo_server *echo = echo_server_start("127.0.0.1", SOCK_DGRAM);
    udp_socket_t *s = opened_udp();
    socket_address_t to;
    uint8_t out[512], in[512];

    (void)state;
    addr_of(&to, "127.0.0.1", echo_server_port(echo));
    for (uint32_t i = 0; i < 200; i++) {
        fill_pattern(out, sizeof(out), i);
        assert_int_equal(udp_socket_sendto(s, &to, out, sizeof(out)), (int)sizeof(out));
        assert_int_equal(udp_socket_recvfrom(s, NULL, in, sizeof(in)), (int)sizeof(in));
        assert_int_equal(checksum(CHECKSUM_START, in, sizeof(in)),
                         checksum(CHECKSUM_START, out, sizeof(out)));
    }
    socket_delete(s);
    echo_server_stop(echo);
}

static void test_recvfrom_reports_the_senders_address_and_port(void **state)
{
    uint16_t peer_port = 0, my_port = free_port("127.0.0.1");
    int peer = posix_udp_socket("127.0.0.1", &peer_port);
    udp_socket_t *s = opened_udp();
    socket_address_t from;
    char buf[8];

    (void)state;
    assert_int_equal(socket_bind_port(s, my_port), NSAPI_ERROR_OK);
    posix_sendto(peer, "127.0.0.1", my_port, "hello", 5);
    socket_address_init(&from);
    assert_int_equal(udp_socket_recvfrom(s, &from, buf, sizeof(buf)), 5);
    assert_string_equal(socket_address_get_ip_address(&from), "127.0.0.1");
    assert_int_equal(socket_address_get_port(&from), peer_port);
    close(peer);
    socket_delete(s);
}

static void
test_recvfrom_buffer_smaller_than_the_datagram_copies_what_fits_and_drops_the_rest(void **state)
{
    uint16_t peer_port = 0, my_port = free_port("127.0.0.1");
    int peer = posix_udp_socket("127.0.0.1", &peer_port);
    udp_socket_t *s = opened_udp();
    uint8_t big[100], buf[100];

    (void)state;
    fill_pattern(big, sizeof(big), 3);
    assert_int_equal(socket_bind_port(s, my_port), NSAPI_ERROR_OK);
    posix_sendto(peer, "127.0.0.1", my_port, big, sizeof(big));
    posix_sendto(peer, "127.0.0.1", my_port, "next", 4);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(udp_socket_recvfrom(s, NULL, buf, 10), 10);
    assert_memory_equal(buf, big, 10);
    assert_int_equal(buf[10], 0);
    /* The other 90 bytes are gone: the next call gets the next datagram. */
    assert_int_equal(udp_socket_recvfrom(s, NULL, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "next", 4);
    close(peer);
    socket_delete(s);
}

static void test_sendto_above_the_default_udp_max_returns_no_memory(void **state)
{
    uint16_t peer_port = 0;
    int peer = posix_udp_socket("127.0.0.1", &peer_port);
    udp_socket_t *s = opened_udp();
    socket_address_t to;
    uint8_t *big = calloc(1, 65508);
    char buf[8];

    (void)state;
    assert_non_null(big);
    addr_of(&to, "127.0.0.1", peer_port);
    assert_int_equal(udp_socket_sendto(s, &to, big, 65508), NSAPI_ERROR_NO_MEMORY);
    assert_int_equal(posix_recvfrom_within(peer, buf, sizeof(buf), 0, NULL, NULL), -1);
    free(big);
    close(peer);
    socket_delete(s);
}

static void test_sendto_of_exactly_the_default_udp_max_arrives_whole(void **state)
{
    uint16_t peer_port = 0;
    int peer = posix_udp_socket("127.0.0.1", &peer_port);
    udp_socket_t *s = opened_udp();
    socket_address_t to;
    uint8_t *out = malloc(65507), *in = malloc(65536);

    (void)state;
    assert_non_null(out);
    assert_non_null(in);
    fill_pattern(out, 65507, 9);
    addr_of(&to, "127.0.0.1", peer_port);
    assert_int_equal(udp_socket_sendto(s, &to, out, 65507), 65507);
    assert_int_equal(posix_recvfrom_within(peer, in, 65536, WAIT_MS, NULL, NULL), 65507);
    assert_memory_equal(in, out, 65507);
    free(out);
    free(in);
    close(peer);
    socket_delete(s);
}

static void test_empty_datagram_is_sent_and_received(void **state)
{
    struct echo_server *echo = echo_server_start("127.0.0.1", SOCK_DGRAM);
    udp_socket_t *s = opened_udp();
    socket_address_t to;
    char buf[8];

    (void)state;
    addr_of(&to, "127.0.0.1", echo_server_port(echo));
    assert_int_equal(udp_socket_sendto(s, &to, buf, 0), 0);
    assert_int_equal(udp_socket_recvfrom(s, NULL, buf, sizeof(buf)), 0);
    socket_delete(s);
    echo_server_stop(echo);
}

static void test_nonblocking_recvfrom_with_nothing_ready_returns_would_block(void **state)
{
    udp_socket_t *s = opened_udp();
    char buf[8];

    (void)state;
    assert_int_equal(socket_bind_port(s, 0), NSAPI_ERROR_OK);
    socket_set_blocking(s, false);
    assert_int_equal(udp_socket_recvfrom(s, NULL, buf, sizeof(buf)), NSAPI_ERROR_WOULD_BLOCK);
    socket_delete(s);
}

static void test_recvfrom_timeout_returns_would_block_after_about_the_timeout(void **state)
{
    udp_socket_t *s = opened_udp();
    char buf[8];
    uint64_t start, took;

    (void)state;
    assert_int_equal(socket_bind_port(s, 0), NSAPI_ERROR_OK);
    socket_set_timeout(s, 100);
    start = test_now_ms();
    assert_int_equal(udp_socket_recvfrom(s, NULL, buf, sizeof(buf)), NSAPI_ERROR_WOULD_BLOCK);
    took = test_now_ms() - start;
    assert_in_range(took, 90, 2000);
    socket_delete(s);
}

static void test_bind_to_a_port_in_use_returns_parameter(void **state)
{
    uint16_t port = free_port("127.0.0.1");
    udp_socket_t *a = opened_udp(), *b = opened_udp();

    (void)state;
    assert_int_equal(socket_bind_port(a, port), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(b, port), NSAPI_ERROR_PARAMETER);
    socket_delete(a);
    socket_delete(b);
}

static void test_bind_twice_returns_parameter(void **state)
{
    udp_socket_t *s = opened_udp();

    (void)state;
    assert_int_equal(socket_bind_port(s, 0), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(s, 0), NSAPI_ERROR_PARAMETER);
    socket_delete(s);
}

static void test_bound_socket_receives_on_its_port(void **state)
{
    uint16_t peer_port = 0, my_port = free_port("127.0.0.1");
    int peer = posix_udp_socket("127.0.0.1", &peer_port);
    udp_socket_t *s = opened_udp();
    socket_address_t local;
    char buf[8];

    (void)state;
    addr_of(&local, "127.0.0.1", my_port);
    assert_int_equal(socket_bind(s, &local), NSAPI_ERROR_OK);
    posix_sendto(peer, "127.0.0.1", my_port, "abc", 3);
    assert_int_equal(udp_socket_recvfrom(s, NULL, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "abc", 3);
    close(peer);
    socket_delete(s);
}

static void test_sendto_host_with_an_ip_literal_sends(void **state)
{
    uint16_t peer_port = 0;
    int peer = posix_udp_socket("127.0.0.1", &peer_port);
    udp_socket_t *s = opened_udp();
    char buf[8];

    (void)state;
    assert_int_equal(udp_socket_sendto_host(s, "127.0.0.1", peer_port, "lit", 3), 3);
    assert_int_equal(posix_recvfrom_within(peer, buf, sizeof(buf), WAIT_MS, NULL, NULL), 3);
    assert_memory_equal(buf, "lit", 3);
    close(peer);
    socket_delete(s);
}

static void test_ipv6_datagrams_over_loopback_go_both_ways(void **state)
{
    uint16_t peer_port = 0, from_port = 0;
    int peer = posix_udp_socket("::1", &peer_port);
    udp_socket_t *s = opened_udp();
    socket_address_t to, from;
    char buf[16], sender[NSAPI_IP_SIZE];

    (void)state;
    addr_of(&to, "::1", peer_port);
    assert_int_equal(udp_socket_sendto(s, &to, "six", 3), 3);
    assert_int_equal(posix_recvfrom_within(peer, buf, sizeof(buf), WAIT_MS, sender, &from_port), 3);
    assert_memory_equal(buf, "six", 3);
    assert_string_equal(sender, "::1");
    posix_sendto(peer, "::1", from_port, "back", 4);
    socket_address_init(&from);
    assert_int_equal(udp_socket_recvfrom(s, &from, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "back", 4);
    assert_int_equal(socket_address_get_ip_version(&from), NSAPI_IPv6);
    assert_true(socket_address_equal(&from, &to));
    close(peer);
    socket_delete(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_through_a_posix_peer_returns_the_datagram),
        cmocka_unit_test(test_many_datagrams_echo_in_order_with_their_checksums),
        cmocka_unit_test(test_recvfrom_reports_the_senders_address_and_port),
        cmocka_unit_test(
            test_recvfrom_buffer_smaller_than_the_datagram_copies_what_fits_and_drops_the_rest),
        cmocka_unit_test(test_sendto_above_the_default_udp_max_returns_no_memory),
        cmocka_unit_test(test_sendto_of_exactly_the_default_udp_max_arrives_whole),
        cmocka_unit_test(test_empty_datagram_is_sent_and_received),
        cmocka_unit_test(test_nonblocking_recvfrom_with_nothing_ready_returns_would_block),
        cmocka_unit_test(test_recvfrom_timeout_returns_would_block_after_about_the_timeout),
        cmocka_unit_test(test_bind_to_a_port_in_use_returns_parameter),
        cmocka_unit_test(test_bind_twice_returns_parameter),
        cmocka_unit_test(test_bound_socket_receives_on_its_port),
        cmocka_unit_test(test_sendto_host_with_an_ip_literal_sends),
        cmocka_unit_test(test_ipv6_datagrams_over_loopback_go_both_ways),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
