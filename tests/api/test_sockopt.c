/*
 * test_sockopt.c: socket_setsockopt / socket_getsockopt. Level NSAPI_SOCKET and the
 * options REUSEADDR, KEEPALIVE, KEEPIDLE and KEEPINTVL (int milliseconds, kept by the
 * kernel in whole seconds), LINGER (int seconds, negative: off), SNDBUF and RCVBUF; any
 * other option or level is UNSUPPORTED, an optlen other than an int's is PARAMETER.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netsocket/netsocket.h>

#include "api_support.h"
#include "harness.h"

static int open_tcp(void **state)
{
    tcp_socket_t *s = tcp_socket_new();

    *state = s;
    return s == NULL || socket_open(s, up_interface()) != NSAPI_ERROR_OK ? -1 : 0;
}

static int open_udp(void **state)
{
    udp_socket_t *s = udp_socket_new();

    *state = s;
    return s == NULL || socket_open(s, up_interface()) != NSAPI_ERROR_OK ? -1 : 0;
}

static int delete_socket(void **state)
{
    socket_delete(*state);
    return 0;
}

static void set_int(socket_t *s, int opt, int value)
{
    assert_int_equal(socket_setsockopt(s, NSAPI_SOCKET, opt, &value, sizeof(value)),
                     NSAPI_ERROR_OK);
}

static int get_int(socket_t *s, int opt)
{
    int value = 0x5a5a5a5a;
    unsigned len = sizeof(value);

    assert_int_equal(socket_getsockopt(s, NSAPI_SOCKET, opt, &value, &len), NSAPI_ERROR_OK);
    assert_int_equal(len, sizeof(int));
    return value;
}

static void test_reuseaddr_set_on_reads_back_on(void **state)
{
    set_int(*state, NSAPI_REUSEADDR, 1);
    assert_int_not_equal(get_int(*state, NSAPI_REUSEADDR), 0);
}

static void test_reuseaddr_set_off_reads_back_off(void **state)
{
    set_int(*state, NSAPI_REUSEADDR, 0);
    assert_int_equal(get_int(*state, NSAPI_REUSEADDR), 0);
}

static void test_keepalive_set_on_reads_back_on(void **state)
{
    set_int(*state, NSAPI_KEEPALIVE, 1);
    assert_int_not_equal(get_int(*state, NSAPI_KEEPALIVE), 0);
    set_int(*state, NSAPI_KEEPALIVE, 0);
    assert_int_equal(get_int(*state, NSAPI_KEEPALIVE), 0);
}

static void test_keepidle_in_whole_seconds_reads_back_the_same_milliseconds(void **state)
{
    set_int(*state, NSAPI_KEEPIDLE, 5000);
    assert_int_equal(get_int(*state, NSAPI_KEEPIDLE), 5000);
}

static void test_keepidle_is_kept_in_whole_seconds_rounded_up(void **state)
{
    set_int(*state, NSAPI_KEEPIDLE, 1500);
    assert_int_equal(get_int(*state, NSAPI_KEEPIDLE), 2000);
}

static void test_keepintvl_in_whole_seconds_reads_back_the_same_milliseconds(void **state)
{
    set_int(*state, NSAPI_KEEPINTVL, 3000);
    assert_int_equal(get_int(*state, NSAPI_KEEPINTVL), 3000);
}

static void test_keepintvl_is_kept_in_whole_seconds_rounded_up(void **state)
{
    set_int(*state, NSAPI_KEEPINTVL, 200);
    assert_int_equal(get_int(*state, NSAPI_KEEPINTVL), 1000);
}

static void test_keepidle_of_zero_returns_parameter(void **state)
{
    int zero = 0;

    assert_int_equal(socket_setsockopt(*state, NSAPI_SOCKET, NSAPI_KEEPIDLE, &zero, sizeof(zero)),
                     NSAPI_ERROR_PARAMETER);
}

static void test_keepidle_on_a_udp_socket_returns_unsupported(void **state)
{
    int ms = 5000;

    assert_int_equal(socket_setsockopt(*state, NSAPI_SOCKET, NSAPI_KEEPIDLE, &ms, sizeof(ms)),
                     NSAPI_ERROR_UNSUPPORTED);
}

static void test_linger_in_seconds_reads_back_the_same(void **state)
{
    set_int(*state, NSAPI_LINGER, 7);
    assert_int_equal(get_int(*state, NSAPI_LINGER), 7);
}

static void test_linger_of_zero_reads_back_zero(void **state)
{
    set_int(*state, NSAPI_LINGER, 0);
    assert_int_equal(get_int(*state, NSAPI_LINGER), 0);
}

static void test_negative_linger_turns_it_off(void **state)
{
    set_int(*state, NSAPI_LINGER, 7);
    set_int(*state, NSAPI_LINGER, -1);
    assert_true(get_int(*state, NSAPI_LINGER) < 0);
}

static void test_linger_is_off_by_default(void **state)
{
    assert_true(get_int(*state, NSAPI_LINGER) < 0);
}

static void test_linger_of_zero_makes_close_reset_the_peer(void **state)
{
    tcp_socket_t *s;
    int peer;
    char buf[4];

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    set_int(s, NSAPI_LINGER, 0);
    assert_int_equal(socket_close(s), NSAPI_ERROR_OK);
    assert_true(posix_readable_within(peer, WAIT_MS));
    errno = 0;
    assert_int_equal(recv(peer, buf, sizeof(buf), MSG_DONTWAIT), -1);
    assert_int_equal(errno, ECONNRESET);
    close(peer);
    socket_delete(s);
}

static void test_sndbuf_reads_back_at_least_the_size_set(void **state)
{
    set_int(*state, NSAPI_SNDBUF, 32768);
    assert_true(get_int(*state, NSAPI_SNDBUF) >= 32768);
}

static void test_rcvbuf_reads_back_at_least_the_size_set(void **state)
{
    set_int(*state, NSAPI_RCVBUF, 32768);
    assert_true(get_int(*state, NSAPI_RCVBUF) >= 32768);
}

static void test_buffer_sizes_change_what_reads_back(void **state)
{
    int small, large;

    set_int(*state, NSAPI_RCVBUF, 8192);
    small = get_int(*state, NSAPI_RCVBUF);
    set_int(*state, NSAPI_RCVBUF, 131072);
    large = get_int(*state, NSAPI_RCVBUF);
    assert_true(large > small);
}

static void test_options_outlive_a_refused_connect(void **state)
{
    socket_address_t to;

    set_int(*state, NSAPI_KEEPIDLE, 7000);
    set_int(*state, NSAPI_LINGER, 3);
    addr_of(&to, "127.0.0.1", free_port("127.0.0.1"));
    socket_set_timeout(*state, WAIT_MS);
    assert_int_equal(tcp_socket_connect(*state, &to), NSAPI_ERROR_NO_CONNECTION);
    /* The next connect needs a new kernel socket; the options go with it. */
    assert_int_equal(tcp_socket_connect(*state, &to), NSAPI_ERROR_NO_CONNECTION);
    assert_int_equal(get_int(*state, NSAPI_KEEPIDLE), 7000);
    assert_int_equal(get_int(*state, NSAPI_LINGER), 3);
}

static void test_other_options_return_unsupported(void **state)
{
    static const int others[] = {
        NSAPI_ADD_MEMBERSHIP,
        NSAPI_DROP_MEMBERSHIP,
        NSAPI_BIND_TO_DEVICE,
        NSAPI_LATENCY,
        NSAPI_STAGGER,
        NSAPI_IPTOS,
        NSAPI_BROADCAST,
        NSAPI_PKTINFO,
        -1,
        999,
    };
    int v = 1;
    unsigned len = sizeof(v);

    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        assert_int_equal(socket_setsockopt(*state, NSAPI_SOCKET, others[i], &v, sizeof(v)),
                         NSAPI_ERROR_UNSUPPORTED);
        len = sizeof(v);
        assert_int_equal(socket_getsockopt(*state, NSAPI_SOCKET, others[i], &v, &len),
                         NSAPI_ERROR_UNSUPPORTED);
    }
}

static void test_other_levels_return_unsupported(void **state)
{
    static const int levels[] = {NSAPI_STACK, SOL_SOCKET, 0, -1};
    int v = 1;
    unsigned len;

    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        assert_int_equal(socket_setsockopt(*state, levels[i], NSAPI_KEEPALIVE, &v, sizeof(v)),
                         NSAPI_ERROR_UNSUPPORTED);
        len = sizeof(v);
        assert_int_equal(socket_getsockopt(*state, levels[i], NSAPI_KEEPALIVE, &v, &len),
                         NSAPI_ERROR_UNSUPPORTED);
    }
}

static void test_setsockopt_with_an_optlen_other_than_an_ints_returns_parameter(void **state)
{
    int64_t v = 1;

    assert_int_equal(socket_setsockopt(*state, NSAPI_SOCKET, NSAPI_KEEPALIVE, &v, 2),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(socket_setsockopt(*state, NSAPI_SOCKET, NSAPI_KEEPALIVE, &v, sizeof(v)),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(socket_setsockopt(*state, NSAPI_SOCKET, NSAPI_KEEPALIVE, &v, 0),
                     NSAPI_ERROR_PARAMETER);
}

static void test_getsockopt_with_a_buffer_smaller_than_an_int_returns_parameter(void **state)
{
    int v = 0;
    unsigned len = 2;

    assert_int_equal(socket_getsockopt(*state, NSAPI_SOCKET, NSAPI_KEEPALIVE, &v, &len),
                     NSAPI_ERROR_PARAMETER);
}

static void test_getsockopt_sets_optlen_to_the_size_of_an_int(void **state)
{
    int v[4] = {0};
    unsigned len = sizeof(v);

    assert_int_equal(socket_getsockopt(*state, NSAPI_SOCKET, NSAPI_RCVBUF, v, &len),
                     NSAPI_ERROR_OK);
    assert_int_equal(len, sizeof(int));
}

#define TCP_TEST(f) cmocka_unit_test_setup_teardown(f, open_tcp, delete_socket)
#define UDP_TEST(f) cmocka_unit_test_setup_teardown(f, open_udp, delete_socket)

int main(void)
{
    const struct CMUnitTest tests[] = {
        UDP_TEST(test_reuseaddr_set_on_reads_back_on),
        TCP_TEST(test_reuseaddr_set_off_reads_back_off),
        TCP_TEST(test_keepalive_set_on_reads_back_on),
        TCP_TEST(test_keepidle_in_whole_seconds_reads_back_the_same_milliseconds),
        TCP_TEST(test_keepidle_is_kept_in_whole_seconds_rounded_up),
        TCP_TEST(test_keepintvl_in_whole_seconds_reads_back_the_same_milliseconds),
        TCP_TEST(test_keepintvl_is_kept_in_whole_seconds_rounded_up),
        TCP_TEST(test_keepidle_of_zero_returns_parameter),
        UDP_TEST(test_keepidle_on_a_udp_socket_returns_unsupported),
        TCP_TEST(test_linger_in_seconds_reads_back_the_same),
        TCP_TEST(test_linger_of_zero_reads_back_zero),
        TCP_TEST(test_negative_linger_turns_it_off),
        TCP_TEST(test_linger_is_off_by_default),
        cmocka_unit_test(test_linger_of_zero_makes_close_reset_the_peer),
        TCP_TEST(test_sndbuf_reads_back_at_least_the_size_set),
        UDP_TEST(test_rcvbuf_reads_back_at_least_the_size_set),
        UDP_TEST(test_buffer_sizes_change_what_reads_back),
        TCP_TEST(test_options_outlive_a_refused_connect),
        TCP_TEST(test_other_options_return_unsupported),
        UDP_TEST(test_other_levels_return_unsupported),
        TCP_TEST(test_setsockopt_with_an_optlen_other_than_an_ints_returns_parameter),
        TCP_TEST(test_getsockopt_with_a_buffer_smaller_than_an_int_returns_parameter),
        TCP_TEST(test_getsockopt_sets_optlen_to_the_size_of_an_int),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
