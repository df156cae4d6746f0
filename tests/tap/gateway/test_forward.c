/*
 * test_forward.c: the built-in gateway's [gateway] forward rules (DESIGN §3), seen from
 * the device on the tap link: a TCP echo on host loopback reached at 10.0.2.2:7000,
 * byte-exact both ways, also under frame loss; a host that closes first; a host that
 * sends more than the device reads (backpressure); a host that
 * refuses (the device's connection is reset); a UDP exchange through a udp: forward,
 * also with a host server that starts only after the device's first datagram;
 * and TCP to a port nobody forwards, reset at once by the gateway's kernel.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "gateway_support.h"

#define GATEWAY "10.0.2.2"
#define ECHO_BYTES (1u << 20)
#define CHUNK 16384u
#define CLOSED_1MB "gateway forward tcp:7000 close up=1048576 down=1048576"

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static tcp_socket_t *connected_to_gateway(uint16_t port)
{
    tcp_socket_t *s = tcp_socket_new();
    socket_address_t to;

    assert_non_null(s);
    assert_int_equal(socket_open(s, lan_interface()), NSAPI_ERROR_OK);
    socket_address_init(&to);
    assert_true(socket_address_set_ip_address(&to, GATEWAY));
    socket_address_set_port(&to, port);
    socket_set_timeout(s, WAIT_MS);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_OK);
    return s;
}

struct sender {
    tcp_socket_t *s;
    const uint8_t *data;
    size_t n;
    nsapi_error_t error;
};

static void *send_all(void *arg)
{
    struct sender *snd = arg;

    for (size_t off = 0; off < snd->n;) {
        size_t want = snd->n - off < CHUNK ? snd->n - off : CHUNK;
        nsapi_size_or_error_t r = tcp_socket_send(snd->s, snd->data + off, want);

        if (r < 0 && r != NSAPI_ERROR_WOULD_BLOCK) {
            snd->error = r;
            return NULL;
        }
        off += r > 0 ? (size_t)r : 0;
    }
    return NULL;
}

/* Sends 1 MB through the tcp:7000 forward while reading the echo back; the echo must be
 * byte-exact, and the session's close is logged with both byte counts. */
static void echo_through_forward(int timeout_ms)
{
    uint8_t *out = malloc(ECHO_BYTES), *in = malloc(ECHO_BYTES);
    struct lan_server *echo = lan_server_start(LAN_TCP_ECHO, 47161);
    tcp_socket_t *s = connected_to_gateway(7000);
    struct sender snd = {.s = s, .data = out, .n = ECHO_BYTES};
    int before = eventlog_count(CLOSED_1MB);
    size_t got = 0;
    pthread_t t;

    assert_non_null(out);
    assert_non_null(in);
    fill_pattern(out, ECHO_BYTES, 7000);
    socket_set_timeout(s, timeout_ms);
    assert_int_equal(pthread_create(&t, NULL, send_all, &snd), 0);
    while (got < ECHO_BYTES) {
        nsapi_size_or_error_t r = tcp_socket_recv(s, in + got, ECHO_BYTES - got);

        if (r <= 0)
            fail_msg("recv after %zu bytes: %d", got, r);
        got += (size_t)r;
    }
    pthread_join(t, NULL);
    assert_int_equal(snd.error, NSAPI_ERROR_OK);
    assert_memory_equal(in, out, ECHO_BYTES);
    socket_delete(s); /* the device's FIN reaches the host, whose close comes back */
    assert_true(eventlog_reaches(CLOSED_1MB, before + 1, timeout_ms));
    lan_server_stop(echo);
    free(out);
    free(in);
}

static void test_tcp_forward_echoes_a_megabyte_byte_exact(void **state)
{
    (void)state;
    echo_through_forward(WAIT_MS);
    assert_true(eventlog_count("gateway forward tcp:7000 open") >= 1);
}

static void test_tcp_forward_echoes_a_megabyte_under_frame_loss(void **state)
{
    (void)state;
    assert_int_equal(nsemu_set("frame.loss", "0.02"), NSAPI_ERROR_OK);
    echo_through_forward(60000);
    assert_int_equal(nsemu_clear("frame.loss"), NSAPI_ERROR_OK);
    assert_true(eventlog_count("frame.loss drop") > 0); /* the wire really dropped frames */
}

static void test_host_closing_first_gives_data_then_zero(void **state)
{
    struct lan_server *greeter = lan_server_start(LAN_TCP_GREETER, 47164);
    tcp_socket_t *s = connected_to_gateway(7003);
    char buf[128];
    size_t got = 0;
    nsapi_size_or_error_t r;

    (void)state;
    while ((r = tcp_socket_recv(s, buf + got, sizeof(buf) - got)) > 0)
        got += (size_t)r;
    assert_int_equal(r, 0);
    assert_int_equal(got, strlen(GREETING));
    assert_memory_equal(buf, GREETING, got);
    socket_delete(s);
    assert_true(eventlog_has_within("gateway forward tcp:7003 close up=0 down=20", WAIT_MS));
    lan_server_stop(greeter);
}

/* The device reads nothing for a while: what the host sends fills the buffers on the
 * way (the gateway stops reading the host while its own is full), the host cannot send
 * it all; then all of it arrives, in order, and the host's close after it. */
static void test_host_sending_more_than_the_device_reads_is_held_back(void **state)
{
    struct lan_server *source = lan_server_start(LAN_TCP_SOURCE, 47165);
    tcp_socket_t *s = connected_to_gateway(7004);
    struct timespec pause = {.tv_nsec = 500 * 1000 * 1000};
    static uint8_t buf[65536];
    nsapi_size_or_error_t r;
    size_t n = 0;

    (void)state;
    nanosleep(&pause, NULL); /* not waiting for anything: the device is busy elsewhere */
    assert_int_equal(lan_server_done(source), 0);
    while (n < SOURCE_BYTES && (r = tcp_socket_recv(s, buf, sizeof(buf))) > 0) {
        for (size_t i = 0; i < (size_t)r; i++) {
            if (buf[i] != source_byte(n + i))
                fail_msg("byte %zu differs", n + i);
        }
        n += (size_t)r;
    }
    assert_int_equal(n, SOURCE_BYTES);
    assert_int_equal(tcp_socket_recv(s, buf, 1), 0);
    socket_delete(s);
    assert_true(eventlog_has_within("gateway forward tcp:7004 close up=0 down=33554432", WAIT_MS));
    assert_int_equal(lan_server_done(source), 1);
    lan_server_stop(source);
}

static bool is_reset(nsapi_error_t r)
{
    return r == NSAPI_ERROR_CONNECTION_LOST || r == NSAPI_ERROR_NO_CONNECTION;
}

/* The gateway accepts the device's connection, then resets it when the host refuses:
 * the reset may come before the device's connect returns, or after. */
static void test_host_refusing_resets_the_device_connection(void **state)
{
    tcp_socket_t *s = tcp_socket_new();
    socket_address_t to;
    nsapi_error_t r;
    char buf[16];

    (void)state;
    assert_int_equal(socket_open(s, lan_interface()), NSAPI_ERROR_OK);
    socket_address_init(&to);
    assert_true(socket_address_set_ip_address(&to, GATEWAY));
    socket_address_set_port(&to, 7002);
    socket_set_timeout(s, WAIT_MS);
    r = tcp_socket_connect(s, &to);
    if (r == NSAPI_ERROR_OK)
        r = tcp_socket_recv(s, buf, sizeof(buf));
    assert_true(is_reset(r));
    assert_true(eventlog_has_within("gateway forward tcp:7002 refused by host", WAIT_MS));
    socket_delete(s);
}

static void test_tcp_to_a_port_not_forwarded_is_reset_at_once(void **state)
{
    tcp_socket_t *s = tcp_socket_new();
    socket_address_t to;
    uint64_t start;

    (void)state;
    assert_int_equal(socket_open(s, lan_interface()), NSAPI_ERROR_OK);
    socket_address_init(&to);
    assert_true(socket_address_set_ip_address(&to, GATEWAY));
    socket_address_set_port(&to, 7999);
    socket_set_timeout(s, WAIT_MS);
    start = now_ms();
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_NO_CONNECTION);
    assert_true(now_ms() - start < 1000);
    socket_delete(s);
}

static void test_udp_forward_exchanges_datagrams(void **state)
{
    struct lan_server *echo = lan_server_start(LAN_UDP_ECHO, 47162);
    udp_socket_t *s = udp_socket_new();
    socket_address_t to, from;

    (void)state;
    assert_int_equal(socket_open(s, lan_interface()), NSAPI_ERROR_OK);
    socket_address_init(&to);
    assert_true(socket_address_set_ip_address(&to, GATEWAY));
    socket_address_set_port(&to, 7001);
    socket_set_timeout(s, WAIT_MS);
    for (int i = 0; i < 5; i++) {
        char msg[32], buf[64];
        int len = snprintf(msg, sizeof(msg), "datagram %d", i);
        nsapi_size_or_error_t r;

        assert_int_equal(udp_socket_sendto(s, &to, msg, (nsapi_size_t)len), len);
        r = udp_socket_recvfrom(s, &from, buf, sizeof(buf));
        assert_int_equal(r, len);
        assert_memory_equal(buf, msg, (size_t)len);
        assert_string_equal(socket_address_get_ip_address(&from), GATEWAY);
        assert_int_equal(socket_address_get_port(&from), 7001);
    }
    /* One device source is one session on the host side. */
    assert_int_equal(eventlog_count("gateway forward udp:7001 open from=10.0.2.15"), 1);
    socket_delete(s);
    lan_server_stop(echo);
}

static void test_udp_forward_carries_replies_once_the_host_server_starts(void **state)
{
    udp_socket_t *s = udp_socket_new();
    struct lan_server *echo;
    socket_address_t to, from;
    char buf[64];

    (void)state;
    assert_int_equal(socket_open(s, lan_interface()), NSAPI_ERROR_OK);
    socket_address_init(&to);
    assert_true(socket_address_set_ip_address(&to, GATEWAY));
    socket_address_set_port(&to, 7001);
    socket_set_timeout(s, 300);
    /* Nobody listens on the host yet: the host side's socket gets an ICMP error. */
    assert_int_equal(udp_socket_sendto(s, &to, "early", 5), 5);
    assert_int_equal(udp_socket_recvfrom(s, &from, buf, sizeof(buf)), NSAPI_ERROR_WOULD_BLOCK);
    echo = lan_server_start(LAN_UDP_ECHO, 47162);
    socket_set_timeout(s, WAIT_MS);
    assert_int_equal(udp_socket_sendto(s, &to, "later", 5), 5);
    assert_int_equal(udp_socket_recvfrom(s, &from, buf, sizeof(buf)), 5);
    assert_memory_equal(buf, "later", 5);
    socket_delete(s);
    lan_server_stop(echo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_forward_echoes_a_megabyte_byte_exact),
        cmocka_unit_test(test_host_closing_first_gives_data_then_zero),
        cmocka_unit_test(test_host_sending_more_than_the_device_reads_is_held_back),
        cmocka_unit_test(test_host_refusing_resets_the_device_connection),
        cmocka_unit_test(test_tcp_to_a_port_not_forwarded_is_reset_at_once),
        cmocka_unit_test(test_udp_forward_exchanges_datagrams),
        cmocka_unit_test(test_udp_forward_carries_replies_once_the_host_server_starts),
        cmocka_unit_test(test_tcp_forward_echoes_a_megabyte_under_frame_loss),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
