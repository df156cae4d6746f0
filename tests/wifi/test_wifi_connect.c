/*
 * test_wifi_connect.c: connecting a WiFi interface in the static world of world.ini
 * (DESIGN §4): which AP is chosen (strongest of the SSID, the channel rule, hidden
 * APs), how each failure comes out (NO_SSID, AUTH_FAILURE by the security matching
 * rule, CONNECTION_TIMEOUT, DHCP_FAILURE), the status callback, the connect state rules,
 * RSSI, the default instance, and a WiFi interface carrying real loopback traffic.
 *
 * Each test brings its own interface from wifi_interface_new() (but the default-instance
 * test), so none depends on what another left behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netsocket/netsocket.h>

#include "harness.h"
#include "wifi_support.h"

#define HOME_PASS "home-password"

static nsapi_error_t connect_home(wifi_interface_t *w)
{
    return wifi_interface_connect_to(w, "Home", HOME_PASS, NSAPI_SECURITY_WPA2, 0);
}

/* ---- success, status and addresses --------------------------------------------- */

static void test_connect_to_an_open_ap_reports_connecting_then_global_up(void **state)
{
    wifi_interface_t *w = wifi_new();
    struct status_log log;

    (void)state;
    status_log_attach(&log, w);
    assert_int_equal(wifi_interface_connect_to(w, "Cafe", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_OK);
    assert_int_equal(status_log_count(&log), 2); /* GLOBAL_UP before connect returns */
    assert_int_equal(status_log_at(&log, 0), NSAPI_STATUS_CONNECTING);
    assert_int_equal(status_log_at(&log, 1), NSAPI_STATUS_GLOBAL_UP);
    assert_int_equal(network_interface_get_connection_status(w), NSAPI_STATUS_GLOBAL_UP);
    assert_string_equal(network_interface_get_ip_address(w), "127.0.0.1");
    assert_non_null(network_interface_get_netmask(w));
    assert_non_null(network_interface_get_gateway(w));
    assert_non_null(network_interface_get_mac_address(w));
    assert_int_equal(wifi_interface_get_rssi(w), -60);
    status_log_detach(&log, w);
    network_interface_delete(w);
}

static void test_disconnect_reports_disconnected_and_clears_address_and_rssi(void **state)
{
    wifi_interface_t *w = wifi_new();
    struct status_log log;

    (void)state;
    assert_int_equal(connect_home(w), NSAPI_ERROR_OK);
    status_log_attach(&log, w);
    assert_int_equal(network_interface_disconnect(w), NSAPI_ERROR_OK);
    assert_int_equal(status_log_count(&log), 1);
    assert_int_equal(status_log_at(&log, 0), NSAPI_STATUS_DISCONNECTED);
    assert_null(network_interface_get_ip_address(w));
    assert_int_equal(wifi_interface_get_rssi(w), 0);
    assert_int_equal(network_interface_disconnect(w), NSAPI_ERROR_NO_CONNECTION);
    status_log_detach(&log, w);
    network_interface_delete(w);
}

static void test_connect_while_connected_returns_is_connected(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(connect_home(w), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_connect(w), NSAPI_ERROR_IS_CONNECTED);
    assert_int_equal(connect_home(w), NSAPI_ERROR_IS_CONNECTED);
    network_interface_delete(w);
}

static void *connect_slow(void *arg)
{
    return (void *)(intptr_t)wifi_interface_connect_to(arg, "Slow", NULL, NSAPI_SECURITY_NONE, 0);
}

static void test_connect_while_connecting_returns_already(void **state)
{
    wifi_interface_t *w = wifi_new();
    struct status_log log;
    pthread_t t;
    void *r;

    (void)state;
    status_log_attach(&log, w);
    assert_int_equal(pthread_create(&t, NULL, connect_slow, w), 0);
    assert_true(status_log_wait(&log, NSAPI_STATUS_CONNECTING, 0, WAIT_MS));
    /* "Slow" takes 400 ms to associate: the first connect is still running. */
    assert_int_equal(network_interface_connect(w), NSAPI_ERROR_ALREADY);
    assert_int_equal(network_interface_disconnect(w), NSAPI_ERROR_ALREADY);
    assert_int_equal(pthread_join(t, &r), 0);
    assert_int_equal((intptr_t)r, NSAPI_ERROR_OK);
    status_log_detach(&log, w);
    network_interface_delete(w);
}

static void test_association_takes_the_aps_assoc_ms(void **state)
{
    wifi_interface_t *w = wifi_new();
    uint64_t t0 = test_now_ms();

    (void)state;
    assert_int_equal(wifi_interface_connect_to(w, "Slow", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_OK);
    assert_true(test_now_ms() - t0 >= 400);
    network_interface_delete(w);
}

/* ---- which AP ------------------------------------------------------------------- */

static void test_connect_picks_the_strongest_ap_of_the_ssid(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(connect_home(w), NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_get_rssi(w), -40); /* "Home", not "Home-far" (-70) */
    network_interface_delete(w);
}

static void test_set_channel_limits_connect_to_the_aps_on_it(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(wifi_interface_set_credentials(w, "Home", HOME_PASS, NSAPI_SECURITY_WPA2),
                     NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_set_channel(w, 11), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_connect(w), NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_get_rssi(w), -70); /* "Home-far" lives on 11 */
    assert_int_equal(network_interface_disconnect(w), NSAPI_ERROR_OK);

    assert_int_equal(wifi_interface_set_channel(w, 1), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_connect(w), NSAPI_ERROR_NO_SSID); /* none on 1 */

    assert_int_equal(wifi_interface_set_channel(w, 0), NSAPI_ERROR_OK); /* any */
    assert_int_equal(network_interface_connect(w), NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_get_rssi(w), -40);
    network_interface_delete(w);
}

static void test_connect_to_stores_credentials_and_channel_first(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(wifi_interface_connect_to(w, "Home", HOME_PASS, NSAPI_SECURITY_WPA2, 11),
                     NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_get_rssi(w), -70);
    assert_int_equal(network_interface_disconnect(w), NSAPI_ERROR_OK);
    /* A plain connect now uses what connect_to stored: the same AP on channel 11. */
    assert_int_equal(network_interface_connect(w), NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_get_rssi(w), -70);
    assert_int_equal(network_interface_disconnect(w), NSAPI_ERROR_OK);
    /* connect_to's channel 0 means any channel again. */
    assert_int_equal(connect_home(w), NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_get_rssi(w), -40);
    network_interface_delete(w);
}

static void test_connect_to_on_a_channel_without_the_ssid_returns_no_ssid(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(wifi_interface_connect_to(w, "Cafe", NULL, NSAPI_SECURITY_NONE, 6),
                     NSAPI_ERROR_NO_SSID);
    network_interface_delete(w);
}

static void test_a_hidden_ap_is_connectable_by_name(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(
        wifi_interface_connect_to(w, "Attic", "attic-password", NSAPI_SECURITY_WPA2, 0),
        NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_get_rssi(w), -55);
    network_interface_delete(w);
}

static void test_an_ap_at_minus_90_is_in_range(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(wifi_interface_connect_to(w, "Edge", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_get_rssi(w), -90);
    network_interface_delete(w);
}

/* ---- failures ------------------------------------------------------------------- */

static void test_unknown_ssid_returns_no_ssid_and_reports_disconnected(void **state)
{
    wifi_interface_t *w = wifi_new();
    struct status_log log;

    (void)state;
    status_log_attach(&log, w);
    assert_int_equal(wifi_interface_connect_to(w, "Nowhere", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_NO_SSID);
    assert_int_equal(status_log_count(&log), 2);
    assert_int_equal(status_log_at(&log, 0), NSAPI_STATUS_CONNECTING);
    assert_int_equal(status_log_at(&log, 1), NSAPI_STATUS_DISCONNECTED);
    assert_null(network_interface_get_ip_address(w));
    status_log_detach(&log, w);
    network_interface_delete(w);
}

static void test_an_ap_below_minus_90_returns_no_ssid(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(wifi_interface_connect_to(w, "Basement", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_NO_SSID);
    network_interface_delete(w);
}

static void test_wrong_password_returns_auth_failure(void **state)
{
    wifi_interface_t *w = wifi_new();
    struct status_log log;

    (void)state;
    status_log_attach(&log, w);
    assert_int_equal(
        wifi_interface_connect_to(w, "Home", "not-the-password", NSAPI_SECURITY_WPA2, 0),
        NSAPI_ERROR_AUTH_FAILURE);
    assert_int_equal(status_log_at(&log, 1), NSAPI_STATUS_DISCONNECTED);
    assert_int_equal(network_interface_get_connection_status(w), NSAPI_STATUS_DISCONNECTED);
    assert_null(network_interface_get_ip_address(w));
    assert_int_equal(wifi_interface_get_rssi(w), 0);
    assert_int_equal(wifi_interface_connect_to(w, "Old", "edcba", NSAPI_SECURITY_WEP, 0),
                     NSAPI_ERROR_AUTH_FAILURE);
    status_log_detach(&log, w);
    network_interface_delete(w);
}

static void test_a_security_other_than_the_aps_returns_auth_failure(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    /* An open network asked of a WPA2 AP, and the other way round. */
    assert_int_equal(wifi_interface_connect_to(w, "Home", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_AUTH_FAILURE);
    assert_int_equal(wifi_interface_connect_to(w, "Cafe", "any-password", NSAPI_SECURITY_WPA2, 0),
                     NSAPI_ERROR_AUTH_FAILURE);
    /* The right password under the wrong security. */
    assert_int_equal(wifi_interface_connect_to(w, "Home", HOME_PASS, NSAPI_SECURITY_WPA, 0),
                     NSAPI_ERROR_AUTH_FAILURE);
    assert_int_equal(wifi_interface_connect_to(w, "Old", "abcde", NSAPI_SECURITY_UNKNOWN, 0),
                     NSAPI_ERROR_OK);
    network_interface_delete(w);
}

static void test_wpa_wpa2_on_either_side_matches_wpa_or_wpa2(void **state)
{
    static const struct {
        const char *ssid, *pass;
        nsapi_security_t sec;
        nsapi_error_t want;
    } cases[] = {
        {"Attic", "attic-password", NSAPI_SECURITY_WPA2, NSAPI_ERROR_OK}, /* AP wpa_wpa2 */
        {"Attic", "attic-password", NSAPI_SECURITY_WPA, NSAPI_ERROR_OK},
        {"Attic", "attic-password", NSAPI_SECURITY_WPA_WPA2, NSAPI_ERROR_OK},
        {"Home", HOME_PASS, NSAPI_SECURITY_WPA_WPA2, NSAPI_ERROR_OK},           /* AP wpa2 */
        {"Legacy", "legacy-password", NSAPI_SECURITY_WPA_WPA2, NSAPI_ERROR_OK}, /* AP wpa */
        {"Legacy", "legacy-password", NSAPI_SECURITY_WPA2, NSAPI_ERROR_AUTH_FAILURE},
        {"Attic", "attic-password", NSAPI_SECURITY_WEP, NSAPI_ERROR_PARAMETER}, /* length */
    };
    wifi_interface_t *w = wifi_new();

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        nsapi_error_t r =
            wifi_interface_connect_to(w, cases[i].ssid, cases[i].pass, cases[i].sec, 0);

        if (r != cases[i].want)
            fail_msg("case %zu (%s): got %d, want %d", i, cases[i].ssid, r, cases[i].want);
        if (r == NSAPI_ERROR_OK)
            assert_int_equal(network_interface_disconnect(w), NSAPI_ERROR_OK);
    }
    network_interface_delete(w);
}

static void test_unknown_security_on_the_device_matches_any_ap(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(wifi_interface_connect_to(w, "Home", HOME_PASS, NSAPI_SECURITY_UNKNOWN, 0),
                     NSAPI_ERROR_OK);
    assert_int_equal(network_interface_disconnect(w), NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_connect_to(w, "Cafe", "", NSAPI_SECURITY_UNKNOWN, 0),
                     NSAPI_ERROR_OK);
    assert_int_equal(network_interface_disconnect(w), NSAPI_ERROR_OK);
    /* It matches any security; the password must still be right. */
    assert_int_equal(wifi_interface_connect_to(w, "Home", "wrong-pass", NSAPI_SECURITY_UNKNOWN, 0),
                     NSAPI_ERROR_AUTH_FAILURE);
    network_interface_delete(w);
}

static void test_dhcp_nak_returns_dhcp_failure(void **state)
{
    wifi_interface_t *w = wifi_new();
    struct status_log log;

    (void)state;
    status_log_attach(&log, w);
    assert_int_equal(wifi_interface_connect_to(w, "NoLease", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_DHCP_FAILURE);
    assert_int_equal(status_log_at(&log, 1), NSAPI_STATUS_DISCONNECTED);
    assert_null(network_interface_get_ip_address(w));
    assert_int_equal(wifi_interface_get_rssi(w), 0);
    status_log_detach(&log, w);
    network_interface_delete(w);
}

static void test_dhcp_without_offers_returns_dhcp_failure_after_the_timeout(void **state)
{
    wifi_interface_t *w = wifi_new();
    uint64_t t0 = test_now_ms();

    (void)state;
    assert_int_equal(wifi_interface_connect_to(w, "NoOffer", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_DHCP_FAILURE);
    assert_true(test_now_ms() - t0 >= 200); /* device.dhcp_timeout_ms */
    network_interface_delete(w);
}

static void test_dhcp_delay_then_the_lease(void **state)
{
    wifi_interface_t *w = wifi_new();
    uint64_t t0 = test_now_ms();

    (void)state;
    assert_int_equal(wifi_interface_connect_to(w, "SlowLease", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_OK);
    assert_true(test_now_ms() - t0 >= 100);
    assert_string_equal(network_interface_get_ip_address(w), "127.0.0.1");
    network_interface_delete(w);
}

static void test_silent_ap_returns_connection_timeout_after_assoc_timeout_ms(void **state)
{
    wifi_interface_t *w = wifi_new();
    uint64_t t0 = test_now_ms(), took;

    (void)state;
    assert_int_equal(wifi_interface_connect_to(w, "Silent", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_CONNECTION_TIMEOUT);
    took = test_now_ms() - t0;
    assert_true(took >= 200 && took < WAIT_MS); /* wifi.assoc_timeout_ms = 200 */
    assert_int_equal(network_interface_get_connection_status(w), NSAPI_STATUS_DISCONNECTED);
    network_interface_delete(w);
}

static void test_connecting_again_after_a_failure_works(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(
        wifi_interface_connect_to(w, "Home", "not-the-password", NSAPI_SECURITY_WPA2, 0),
        NSAPI_ERROR_AUTH_FAILURE);
    assert_int_equal(connect_home(w), NSAPI_ERROR_OK);
    network_interface_delete(w);
}

/* ---- RSSI, callbacks, the default instance ---------------------------------------- */

static void test_get_rssi_is_zero_unless_connected(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(wifi_interface_get_rssi(w), 0);
    assert_int_equal(wifi_interface_set_credentials(w, "Home", HOME_PASS, NSAPI_SECURITY_WPA2),
                     NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_get_rssi(w), 0);
    assert_int_equal(network_interface_connect(w), NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_get_rssi(w), -40);
    network_interface_delete(w);
}

struct from_callback {
    wifi_interface_t *other;
    nsapi_error_t connect, connect_to;
    nsapi_size_or_error_t scan;
    bool ran;
};

static void connect_in_callback(void *ctx, nsapi_event_t ev, intptr_t arg)
{
    struct from_callback *f = ctx;

    if (ev != NSAPI_EVENT_CONNECTION_STATUS_CHANGE || arg != NSAPI_STATUS_GLOBAL_UP)
        return;
    f->connect = network_interface_connect(f->other);
    f->connect_to = wifi_interface_connect_to(f->other, "Cafe", NULL, NSAPI_SECURITY_NONE, 0);
    f->scan = wifi_interface_scan(f->other, NULL, 0); /* takes no time: allowed */
    f->ran = true;
}

static void test_connect_from_a_status_callback_returns_would_block(void **state)
{
    wifi_interface_t *w = wifi_new();
    struct from_callback f = {.other = wifi_new()};

    (void)state;
    assert_int_equal(wifi_interface_set_credentials(f.other, "Cafe", NULL, NSAPI_SECURITY_NONE),
                     NSAPI_ERROR_OK);
    network_interface_attach(w, connect_in_callback, &f);
    assert_int_equal(connect_home(w), NSAPI_ERROR_OK);
    network_interface_attach(w, NULL, NULL);
    assert_true(f.ran);
    assert_int_equal(f.connect, NSAPI_ERROR_WOULD_BLOCK);
    assert_int_equal(f.connect_to, NSAPI_ERROR_WOULD_BLOCK);
    assert_int_equal(f.scan, 12);
    assert_int_equal(network_interface_get_connection_status(f.other), NSAPI_STATUS_DISCONNECTED);
    network_interface_delete(f.other);
    network_interface_delete(w);
}

static void test_a_new_interface_has_no_credentials(void **state)
{
    wifi_interface_t *w = wifi_new();
    struct status_log log;

    (void)state;
    status_log_attach(&log, w);
    assert_int_equal(network_interface_connect(w), NSAPI_ERROR_PARAMETER);
    assert_int_equal(status_log_count(&log), 0); /* refused before CONNECTING */
    status_log_detach(&log, w);
    network_interface_delete(w);
}

static void test_default_instance_is_wifi_and_connects_with_the_wifi_knobs(void **state)
{
    network_interface_t *d = network_interface_get_default_instance();

    (void)state;
    assert_non_null(d);
    /* WiFi calls work on it (an Ethernet default would say UNSUPPORTED). */
    assert_int_equal(wifi_interface_scan(d, NULL, 0), 12);
    assert_int_equal(network_interface_connect(d), NSAPI_ERROR_OK); /* [wifi] Home, wpa2 */
    assert_int_equal(wifi_interface_get_rssi(d), -40);
    assert_string_equal(network_interface_get_ip_address(d), "127.0.0.1");
    assert_int_equal(network_interface_disconnect(d), NSAPI_ERROR_OK);
    /* Credentials set on it replace the knobs. */
    assert_int_equal(wifi_interface_set_credentials(d, "Cafe", NULL, NSAPI_SECURITY_NONE),
                     NSAPI_ERROR_OK);
    assert_int_equal(network_interface_connect(d), NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_get_rssi(d), -60);
    assert_int_equal(network_interface_disconnect(d), NSAPI_ERROR_OK);
}

/* ---- traffic and name lookups over WiFi ------------------------------------------ */

static void test_gethostbyname_on_wifi_needs_the_interface_up(void **state)
{
    wifi_interface_t *w = wifi_new();
    socket_address_t a;

    (void)state;
    socket_address_init(&a);
    assert_int_equal(network_interface_gethostbyname(w, "printer.wifi.test", &a, NSAPI_UNSPEC),
                     NSAPI_ERROR_NO_CONNECTION);
    assert_int_equal(connect_home(w), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_gethostbyname(w, "printer.wifi.test", &a, NSAPI_UNSPEC),
                     NSAPI_ERROR_OK);
    assert_string_equal(socket_address_get_ip_address(&a), "127.0.0.9");
    network_interface_delete(w);
}

static void test_tcp_over_wifi_reaches_a_loopback_peer(void **state)
{
    wifi_interface_t *w = wifi_new();
    uint8_t out[4096], back[4096];
    tcp_socket_t *s;
    int peer;

    (void)state;
    assert_int_equal(connect_home(w), NSAPI_ERROR_OK);
    tcp_pair(w, &s, &peer);
    fill_pattern(out, sizeof(out), 7);
    nsemu_send_all(s, out, sizeof(out));
    for (size_t got = 0; got < sizeof(back);) {
        ssize_t n = posix_recv_within(peer, back + got, sizeof(back) - got, WAIT_MS);

        assert_true(n > 0);
        got += (size_t)n;
    }
    assert_memory_equal(out, back, sizeof(out));
    posix_send_all(peer, out, sizeof(out));
    memset(back, 0, sizeof(back));
    nsemu_recv_all(s, back, sizeof(back));
    assert_memory_equal(out, back, sizeof(out));
    socket_delete(s);
    close(peer);
    network_interface_delete(w);
}

static void test_disconnect_kills_the_interfaces_sockets(void **state)
{
    wifi_interface_t *w = wifi_new();
    network_interface_t *eth = ethernet_interface_new();
    tcp_socket_t *s, *other;
    int peer, other_peer;
    uint8_t byte = 1;

    (void)state;
    assert_int_equal(connect_home(w), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_connect(eth), NSAPI_ERROR_OK);
    tcp_pair(w, &s, &peer);
    tcp_pair(eth, &other, &other_peer);
    assert_int_equal(network_interface_disconnect(w), NSAPI_ERROR_OK);
    /* Leaving the AP ends the connections through it, as WiFi modules do ... */
    assert_int_equal(tcp_socket_send(s, &byte, 1), NSAPI_ERROR_CONNECTION_LOST);
    assert_int_equal(tcp_socket_recv(s, &byte, 1), NSAPI_ERROR_CONNECTION_LOST);
    /* ... and only those. */
    assert_int_equal(tcp_socket_send(other, &byte, 1), 1);
    socket_delete(s);
    socket_delete(other);
    close(peer);
    close(other_peer);
    network_interface_delete(eth);
    network_interface_delete(w);
}

/* ---- the event log ---------------------------------------------------------------- */

static void test_every_step_is_in_the_event_log(void **state)
{
    wifi_interface_t *w = wifi_new();

    (void)state;
    assert_int_equal(wifi_interface_scan(w, NULL, 0), 12);
    assert_int_equal(wifi_interface_connect_to(w, "Nowhere", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_NO_SSID);
    assert_int_equal(
        wifi_interface_connect_to(w, "Home", "not-the-password", NSAPI_SECURITY_WPA2, 0),
        NSAPI_ERROR_AUTH_FAILURE);
    assert_int_equal(wifi_interface_connect_to(w, "Silent", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_CONNECTION_TIMEOUT);
    assert_int_equal(wifi_interface_connect_to(w, "NoLease", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_DHCP_FAILURE);
    assert_int_equal(connect_home(w), NSAPI_ERROR_OK);
    assert_int_equal(network_interface_disconnect(w), NSAPI_ERROR_OK);
    assert_true(event_log_has("wifi scan found=12 returned=0"));
    assert_true(event_log_has("wifi no-ssid ssid=\"Nowhere\" reason=absent"));
    assert_true(event_log_has("wifi auth fail ap=\"Home\" reason=password"));
    assert_true(event_log_has("wifi assoc timeout ap=\"Silent\" ms=200"));
    assert_true(event_log_has("wifi dhcp ap=\"NoLease\" dhcp=nak"));
    assert_true(event_log_has("dhcp nak"));
    assert_true(event_log_has("wifi assoc ap=\"Home\""));
    assert_true(event_log_has("wifi assoc ok ap=\"Home\""));
    assert_true(event_log_has("wifi leave ap=\"Home\" why=disconnect"));
    network_interface_delete(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_to_an_open_ap_reports_connecting_then_global_up),
        cmocka_unit_test(test_disconnect_reports_disconnected_and_clears_address_and_rssi),
        cmocka_unit_test(test_connect_while_connected_returns_is_connected),
        cmocka_unit_test(test_connect_while_connecting_returns_already),
        cmocka_unit_test(test_association_takes_the_aps_assoc_ms),
        cmocka_unit_test(test_connect_picks_the_strongest_ap_of_the_ssid),
        cmocka_unit_test(test_set_channel_limits_connect_to_the_aps_on_it),
        cmocka_unit_test(test_connect_to_stores_credentials_and_channel_first),
        cmocka_unit_test(test_connect_to_on_a_channel_without_the_ssid_returns_no_ssid),
        cmocka_unit_test(test_a_hidden_ap_is_connectable_by_name),
        cmocka_unit_test(test_an_ap_at_minus_90_is_in_range),
        cmocka_unit_test(test_unknown_ssid_returns_no_ssid_and_reports_disconnected),
        cmocka_unit_test(test_an_ap_below_minus_90_returns_no_ssid),
        cmocka_unit_test(test_wrong_password_returns_auth_failure),
        cmocka_unit_test(test_a_security_other_than_the_aps_returns_auth_failure),
        cmocka_unit_test(test_wpa_wpa2_on_either_side_matches_wpa_or_wpa2),
        cmocka_unit_test(test_unknown_security_on_the_device_matches_any_ap),
        cmocka_unit_test(test_dhcp_nak_returns_dhcp_failure),
        cmocka_unit_test(test_dhcp_without_offers_returns_dhcp_failure_after_the_timeout),
        cmocka_unit_test(test_dhcp_delay_then_the_lease),
        cmocka_unit_test(test_silent_ap_returns_connection_timeout_after_assoc_timeout_ms),
        cmocka_unit_test(test_connecting_again_after_a_failure_works),
        cmocka_unit_test(test_get_rssi_is_zero_unless_connected),
        cmocka_unit_test(test_connect_from_a_status_callback_returns_would_block),
        cmocka_unit_test(test_a_new_interface_has_no_credentials),
        cmocka_unit_test(test_default_instance_is_wifi_and_connects_with_the_wifi_knobs),
        cmocka_unit_test(test_gethostbyname_on_wifi_needs_the_interface_up),
        cmocka_unit_test(test_tcp_over_wifi_reaches_a_loopback_peer),
        cmocka_unit_test(test_disconnect_kills_the_interfaces_sockets),
        cmocka_unit_test(test_every_step_is_in_the_event_log),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
