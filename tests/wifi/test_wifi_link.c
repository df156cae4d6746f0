/*
 * test_wifi_link.c: WiFi interfaces under link down / up (link.ini). Home's interface
 * rides out both outages and comes back up by itself each time; Cafe's AP goes while the
 * cable is out the second time, so Cafe's interface stays down when the cable returns
 * and its sockets are dead. Waits are on the status callbacks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <unistd.h>

#include <netsocket/netsocket.h>

#include "harness.h"
#include "wifi_support.h"

static void exchange(tcp_socket_t *s, int peer)
{
    uint8_t out[100], back[100];

    fill_pattern(out, sizeof(out), 3);
    nsemu_send_all(s, out, sizeof(out));
    for (size_t got = 0; got < sizeof(back);) {
        ssize_t n = posix_recv_within(peer, back + got, sizeof(back) - got, WAIT_MS);

        assert_true(n > 0);
        got += (size_t)n;
    }
    assert_memory_equal(out, back, sizeof(out));
}

static void test_wifi_comes_back_with_the_cable_unless_its_ap_went(void **state)
{
    wifi_interface_t *home = wifi_new(), *cafe = wifi_new();
    struct status_log home_log, cafe_log;
    tcp_socket_t *hs, *cs;
    int hpeer, cpeer;
    uint8_t byte = 0;

    (void)state;
    assert_int_equal(wifi_interface_connect_to(home, "Home", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_OK);
    assert_int_equal(wifi_interface_connect_to(cafe, "Cafe", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_OK);
    if (timeline_ms() >= 450)
        fail_msg("started too late for link.ini's timeline (t=%llu ms)",
                 (unsigned long long)timeline_ms());
    status_log_attach(&home_log, home);
    status_log_attach(&cafe_log, cafe);
    tcp_pair(home, &hs, &hpeer);
    tcp_pair(cafe, &cs, &cpeer);

    /* 0.5 s down, 1 s up: both come back by themselves. */
    assert_true(status_log_wait(&home_log, NSAPI_STATUS_GLOBAL_UP, 1, WAIT_MS));
    assert_true(status_log_wait(&cafe_log, NSAPI_STATUS_GLOBAL_UP, 1, WAIT_MS));
    assert_int_equal(status_log_at(&home_log, 0), NSAPI_STATUS_DISCONNECTED);
    assert_int_equal(wifi_interface_get_rssi(cafe), -60);
    exchange(hs, hpeer);
    exchange(cs, cpeer);

    /* 1.5 s down, 2 s Cafe goes, 2.5 s up: only Home comes back. */
    assert_true(status_log_wait(&home_log, NSAPI_STATUS_GLOBAL_UP, 3, WAIT_MS));
    assert_int_equal(status_log_at(&home_log, 2), NSAPI_STATUS_DISCONNECTED);
    assert_true(event_log_has("wifi lost ap=\"Cafe\""));
    assert_int_equal(network_interface_get_connection_status(cafe), NSAPI_STATUS_DISCONNECTED);
    assert_int_equal(status_log_count(&cafe_log), 3); /* DISCONNECTED, GLOBAL_UP, DISCONNECTED */
    assert_null(network_interface_get_ip_address(cafe));
    assert_int_equal(tcp_socket_send(cs, &byte, 1), NSAPI_ERROR_CONNECTION_LOST);
    exchange(hs, hpeer); /* Home's connection rode out both outages */

    socket_delete(hs);
    socket_delete(cs);
    close(hpeer);
    close(cpeer);
    status_log_detach(&home_log, home);
    status_log_detach(&cafe_log, cafe);
    network_interface_delete(home);
    network_interface_delete(cafe);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wifi_comes_back_with_the_cable_unless_its_ap_went),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
