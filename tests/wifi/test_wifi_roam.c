/*
 * test_wifi_roam.c: roaming and losing the last AP, along roam.ini's timeline. Three
 * APs share the SSID "Office": A (-40), B (-60) and C (-50, another password). At
 * 0.5 s A's signal changes, at 1 s A goes (the device roams to B, not to C, which would
 * refuse it), at 1.5 s B falls below -90 (nothing to roam to: disconnected), at 2.5 s
 * B is back and C gone.
 *
 * One test walks the whole timeline, so it must start within its first half second.
 * States no callback reports (the RSSI after a change or a roam) are waited for with a
 * bounded poll; the disconnect is waited for on the status callback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <netsocket/netsocket.h>

#include "wifi_support.h"

#define OFFICE_PASS "office-password"

struct rssi_wanted {
    wifi_interface_t *w;
    int rssi;
};

static bool rssi_is(void *arg)
{
    struct rssi_wanted *r = arg;

    return wifi_interface_get_rssi(r->w) == r->rssi;
}

static void wait_rssi(wifi_interface_t *w, int rssi)
{
    struct rssi_wanted r = {w, rssi};

    if (!wait_until(rssi_is, &r, WAIT_MS))
        fail_msg("rssi is %d, not %d, at t=%llu ms", wifi_interface_get_rssi(w), rssi,
                 (unsigned long long)timeline_ms());
}

/* 1000 bytes to the echo server and back. */
static void echo_once(tcp_socket_t *s, uint32_t seed)
{
    uint8_t out[1000], back[1000];

    fill_pattern(out, sizeof(out), seed);
    nsemu_send_all(s, out, sizeof(out));
    nsemu_recv_all(s, back, sizeof(back));
    assert_memory_equal(out, back, sizeof(out));
}

static void test_roaming_keeps_connections_and_losing_the_last_ap_disconnects(void **state)
{
    wifi_interface_t *w = wifi_new();
    struct echo_server *echo = echo_server_start("127.0.0.1", SOCK_STREAM);
    struct timespec backoff = {0, 50 * 1000000L};
    struct status_log log;
    tcp_socket_t *s;
    uint8_t byte = 0;
    nsapi_error_t r;

    (void)state;
    status_log_attach(&log, w);
    assert_int_equal(wifi_interface_connect_to(w, "Office", OFFICE_PASS, NSAPI_SECURITY_WPA2, 0),
                     NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_get_rssi(w), -40); /* A, the strongest */
    if (timeline_ms() >= 450)
        fail_msg("started too late for roam.ini's timeline (t=%llu ms)",
                 (unsigned long long)timeline_ms());
    s = tcp_connected(w, "127.0.0.1", echo_server_port(echo));
    echo_once(s, 1);

    wait_rssi(w, -45); /* 0.5 s: A's signal changed; still on A */

    wait_rssi(w, -60); /* 1 s: A is gone; the device roamed to B */
    assert_int_equal(network_interface_get_connection_status(w), NSAPI_STATUS_GLOBAL_UP);
    assert_int_equal(status_log_count(&log), 2); /* CONNECTING, GLOBAL_UP: nothing since */
    echo_once(s, 2);                             /* the connection survived */
    assert_true(event_log_has("wifi roam from=\"Office-A\" to=\"Office-B\" rssi=-60"));

    /* 1.5 s: B falls out of range, and C takes another password: disconnected. */
    assert_true(status_log_wait(&log, NSAPI_STATUS_DISCONNECTED, 2, WAIT_MS));
    assert_null(network_interface_get_ip_address(w));
    assert_int_equal(wifi_interface_get_rssi(w), 0);
    assert_int_equal(tcp_socket_send(s, &byte, 1), NSAPI_ERROR_CONNECTION_LOST);
    assert_int_equal(tcp_socket_recv(s, &byte, 1), NSAPI_ERROR_CONNECTION_LOST);
    assert_true(event_log_has("wifi lost ap=\"Office-B\""));
    socket_delete(s);

    /* Until 2.5 s the strongest AP of "Office" is C, which refuses the password; then
     * B is back. The device retries, backing off 50 ms each time. */
    do {
        r = network_interface_connect(w);
        if (r != NSAPI_ERROR_OK) {
            assert_int_equal(r, NSAPI_ERROR_AUTH_FAILURE);
            nanosleep(&backoff, NULL);
        }
    } while (r != NSAPI_ERROR_OK && timeline_ms() < 2500 + WAIT_MS);
    assert_int_equal(r, NSAPI_ERROR_OK);
    assert_true(timeline_ms() >= 2500);
    assert_int_equal(wifi_interface_get_rssi(w), -60);
    assert_true(event_log_has("wifi auth fail ap=\"Office-C\" reason=password"));

    s = tcp_connected(w, "127.0.0.1", echo_server_port(echo));
    echo_once(s, 3);
    socket_delete(s);
    status_log_detach(&log, w);
    network_interface_delete(w);
    echo_server_stop(echo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roaming_keeps_connections_and_losing_the_last_ap_disconnects),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
