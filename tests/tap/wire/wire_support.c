/*
 * wire_support.c: see wire_support.h.
 */
#include "wire_support.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "tap.h"
#include "tap_support.h"

#define CHUNK   65536
#define WAIT_MS 20000 /* a blocked call gives up after this: under frame loss TCP backs off */

static uint8_t pattern_byte(size_t i)
{
    return (uint8_t)(i * 131 + (i >> 11) * 7 + (i >> 19));
}

void wire_setup(void)
{
    tap_tcp_echo_in(tap_ns("peer"), TAP_GATEWAY_IP, WIRE_ECHO_PORT);
    tap_udp_echo_in(tap_ns("peer"), TAP_GATEWAY_IP, WIRE_UDP_PORT);
    tap_static_up();
}

static socket_address_t peer(int port)
{
    socket_address_t a;

    socket_address_init(&a);
    assert_true(socket_address_set_ip_address(&a, TAP_GATEWAY_IP));
    socket_address_set_port(&a, (uint16_t)port);
    return a;
}

struct echo_rx {
    tcp_socket_t *s;
    size_t want, got;
    long bad_at; /* first wrong byte, or -1 */
    int error;
};

static void *echo_receive(void *arg)
{
    struct echo_rx *rx = arg;
    static uint8_t buf[CHUNK];

    while (rx->got < rx->want) {
        nsapi_size_or_error_t n = tcp_socket_recv(rx->s, buf, sizeof(buf));

        if (n <= 0) {
            rx->error = n == 0 ? -1 : n;
            return NULL;
        }
        for (nsapi_size_or_error_t i = 0; i < n && rx->bad_at < 0; i++)
            if (buf[i] != pattern_byte(rx->got + (size_t)i))
                rx->bad_at = (long)(rx->got + (size_t)i);
        rx->got += (size_t)n;
    }
    return NULL;
}

void wire_tcp_echo(size_t bytes, int pace_ms)
{
    tcp_socket_t *s = tcp_socket_new();
    socket_address_t to = peer(WIRE_ECHO_PORT);
    struct echo_rx rx = {.s = s, .want = bytes, .bad_at = -1};
    static uint8_t out[CHUNK];
    pthread_t t;

    assert_int_equal(socket_open(s, network_interface_get_default_instance()), NSAPI_ERROR_OK);
    socket_set_timeout(s, WAIT_MS);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_OK);
    assert_int_equal(pthread_create(&t, NULL, echo_receive, &rx), 0);
    for (size_t sent = 0; sent < bytes;) {
        size_t n = bytes - sent < CHUNK ? bytes - sent : CHUNK;
        nsapi_size_or_error_t r;

        for (size_t i = 0; i < n; i++)
            out[i] = pattern_byte(sent + i);
        for (size_t off = 0; off < n; off += (size_t)r) {
            r = tcp_socket_send(s, out + off, n - off);
            if (r <= 0)
                fail_msg("send failed after %zu bytes: %d", sent + off, r);
        }
        sent += n;
        if (pace_ms > 0)
            usleep((useconds_t)pace_ms * 1000);
    }
    pthread_join(t, NULL);
    if (rx.error != 0)
        fail_msg("recv failed after %zu of %zu bytes: %d", rx.got, bytes, rx.error);
    if (rx.bad_at >= 0)
        fail_msg("byte %ld came back wrong", rx.bad_at);
    assert_int_equal(socket_close(s), NSAPI_ERROR_OK);
    socket_delete(s);
}

bool wire_udp_echo(size_t len, int tries)
{
    udp_socket_t *s = udp_socket_new();
    socket_address_t to = peer(WIRE_UDP_PORT), from;
    static uint8_t out[65536], in[65536];
    bool ok = false;

    assert_true(len <= sizeof(out));
    assert_int_equal(socket_open(s, network_interface_get_default_instance()), NSAPI_ERROR_OK);
    socket_set_timeout(s, 300);
    for (int i = 0; i < tries && !ok; i++) {
        nsapi_size_or_error_t n;

        for (size_t j = 0; j < len; j++)
            out[j] = pattern_byte(j + (size_t)i);
        assert_int_equal(udp_socket_sendto(s, &to, out, (nsapi_size_t)len), (int)len);
        /* Earlier tries may still come back: read until this one does or time is up. */
        while ((n = udp_socket_recvfrom(s, &from, in, sizeof(in))) > 0)
            if ((size_t)n == len && memcmp(in, out, len) == 0) {
                ok = true;
                break;
            }
    }
    assert_int_equal(socket_close(s), NSAPI_ERROR_OK);
    socket_delete(s);
    return ok;
}

uint64_t wire_counter(const char *name)
{
    uint64_t v = 0;

    assert_int_equal(nsemu_counter(name, &v), NSAPI_ERROR_OK);
    return v;
}

static int count_lines(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int n = 0;

    if (f == NULL)
        fail_msg("cannot read %s", path);
    while (fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

int wire_log_count(const char *needle)
{
    const char *log = getenv("NSEMU_LOG");

    assert_non_null(log);
    return count_lines(log, needle);
}

int wire_faults_count(const char *needle)
{
    char path[1024];

    assert_non_null(getenv("NSEMU_PCAP"));
    snprintf(path, sizeof(path), "%s.faults", getenv("NSEMU_PCAP"));
    return count_lines(path, needle);
}

void wire_finish(void)
{
    wire_stop();
}

/* tshark over the capture with every checksum check on; its stderr (the root warning)
 * is the test's. */
#define TSHARK "tshark -n -r '%s' -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE " \
               "-o udp.check_checksum:TRUE"

int wire_tshark_count(const char *filter)
{
    char out[64];

    assert_int_equal(tap_sh(out, sizeof(out), TSHARK " -Y '%s' -T fields -e frame.number | wc -l",
                            getenv("NSEMU_PCAP"), filter),
                     0);
    return atoi(out);
}

int wire_tshark_frames(const char *filter, uint64_t *out, int max)
{
    static char text[1 << 20];
    int n = 0;

    assert_int_equal(tap_sh(text, sizeof(text), TSHARK " -Y '%s' -T fields -e frame.number",
                            getenv("NSEMU_PCAP"), filter),
                     0);
    for (char *p = strtok(text, "\n"); p != NULL && n < max; p = strtok(NULL, "\n"))
        out[n++] = strtoull(p, NULL, 10);
    return n;
}
