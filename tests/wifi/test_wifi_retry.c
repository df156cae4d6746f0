/*
 * test_wifi_retry.c: a firmware loop "connect, back off, retry" on the default
 * instance (retry.ini: interface = wifi, [wifi] credentials of "Late"). The AP is gone
 * from t=0 and back at t=2 s: the loop must get through then, and traffic flows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sys/socket.h>
#include <time.h>

#include <netsocket/netsocket.h>

#include "wifi_support.h"

static bool no_ap_in_range(void *arg)
{
    return wifi_interface_scan(arg, NULL, 0) == 0;
}

static void test_connect_back_off_retry_gets_through_when_the_ap_is_back(void **state)
{
    network_interface_t *d = network_interface_get_default_instance();
    struct echo_server *echo = echo_server_start("127.0.0.1", SOCK_STREAM);
    long backoff_ms = 100;
    unsigned attempts = 0;
    uint8_t out[2048], back[2048];
    tcp_socket_t *s;
    nsapi_error_t r;

    (void)state;
    /* The timeline's first event (t=0) takes the AP away. */
    assert_true(wait_until(no_ap_in_range, d, WAIT_MS));
    do {
        r = network_interface_connect(d);
        attempts++;
        if (r != NSAPI_ERROR_OK) {
            struct timespec ts = {0, backoff_ms * 1000000L};

            assert_int_equal(r, NSAPI_ERROR_NO_SSID);
            nanosleep(&ts, NULL); /* the device's own back-off */
            backoff_ms = backoff_ms * 2 > 400 ? 400 : backoff_ms * 2;
        }
    } while (r != NSAPI_ERROR_OK && timeline_ms() < 2000 + WAIT_MS);
    assert_int_equal(r, NSAPI_ERROR_OK);
    assert_true(attempts > 1);
    assert_true(timeline_ms() >= 2000);
    assert_int_equal(wifi_interface_get_rssi(d), -55);
    assert_true(event_log_has("wifi ap=\"Late\" back"));

    s = tcp_connected(d, "127.0.0.1", echo_server_port(echo));
    fill_pattern(out, sizeof(out), 5);
    nsemu_send_all(s, out, sizeof(out));
    nsemu_recv_all(s, back, sizeof(back));
    assert_memory_equal(out, back, sizeof(out));
    socket_delete(s);
    assert_int_equal(network_interface_disconnect(d), NSAPI_ERROR_OK);
    echo_server_stop(echo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_back_off_retry_gets_through_when_the_ap_is_back),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
