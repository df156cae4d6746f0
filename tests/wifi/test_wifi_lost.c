/*
 * test_wifi_lost.c: the AP goes mid-transfer (lost.ini: the only AP, "Home", goes at
 * 1 s and comes back at 2 s). Every socket open on the interface dies: blocked calls
 * wake with NSAPI_ERROR_CONNECTION_LOST, every later call returns it until the socket
 * is closed; the status callback says DISCONNECTED. Once the AP is back, connecting
 * again and moving data (against a plain POSIX echo peer on loopback) works.
 *
 * One test walks the timeline, so it must start within its first second.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <netsocket/netsocket.h>

#include "harness.h"
#include "wifi_support.h"

/* A device thread moving data to the echo peer until a call fails. It records; it
 * does not assert. */
struct pump {
    tcp_socket_t *s;
    nsapi_error_t error;
    uint64_t moved;
};

static void *pump_main(void *arg)
{
    struct pump *p = arg;
    uint8_t out[1024], back[1024];

    fill_pattern(out, sizeof(out), 42);
    for (;;) {
        nsapi_size_or_error_t n = tcp_socket_send(p->s, out, sizeof(out));
        size_t got = 0;

        if (n < 0) {
            p->error = n;
            return NULL;
        }
        while (got < (size_t)n) {
            nsapi_size_or_error_t m = tcp_socket_recv(p->s, back + got, (size_t)n - got);

            if (m <= 0) {
                p->error = m == 0 ? NSAPI_ERROR_OK : m;
                return NULL;
            }
            got += (size_t)m;
        }
        p->moved += got;
    }
}

struct acceptor {
    tcp_server_t *srv;
    nsapi_error_t error;
};

static void *accept_main(void *arg)
{
    struct acceptor *a = arg;
    tcp_socket_t *conn = tcp_socket_new();

    a->error = tcp_server_accept(a->srv, conn, NULL); /* blocks: nobody connects */
    socket_delete(conn);
    return NULL;
}

static void transfer_64k(wifi_interface_t *w, uint16_t port)
{
    static uint8_t out[65536], back[65536];
    tcp_socket_t *s = tcp_connected(w, "127.0.0.1", port);

    fill_pattern(out, sizeof(out), 9);
    nsemu_send_all(s, out, sizeof(out));
    nsemu_recv_all(s, back, sizeof(back));
    assert_int_equal(checksum(CHECKSUM_START, out, sizeof(out)),
                     checksum(CHECKSUM_START, back, sizeof(back)));
    socket_delete(s);
}

static void test_ap_lost_mid_transfer_kills_every_socket_then_reconnect_works(void **state)
{
    wifi_interface_t *w = wifi_new();
    struct echo_server *echo = echo_server_start("127.0.0.1", SOCK_STREAM);
    struct timespec backoff = {0, 50 * 1000000L};
    struct pump pump = {0};
    struct acceptor acc = {0};
    struct status_log log;
    udp_socket_t *u = udp_socket_new();
    tcp_socket_t *idle = tcp_socket_new(), *conn = tcp_socket_new();
    socket_address_t peer;
    pthread_t pump_thread, accept_thread;
    uint8_t byte = 0;
    int one = 1;
    nsapi_error_t r;

    (void)state;
    status_log_attach(&log, w);
    assert_int_equal(wifi_interface_connect_to(w, "Home", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_OK);
    if (timeline_ms() >= 900)
        fail_msg("started too late for lost.ini's timeline (t=%llu ms)",
                 (unsigned long long)timeline_ms());

    /* One socket of each kind and state on the interface. */
    pump.s = tcp_connected(w, "127.0.0.1", echo_server_port(echo));
    acc.srv = tcp_server_new();
    assert_int_equal(socket_open(acc.srv, w), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(acc.srv, free_port("127.0.0.1")), NSAPI_ERROR_OK);
    assert_int_equal(tcp_server_listen(acc.srv, 1), NSAPI_ERROR_OK);
    assert_int_equal(socket_open(u, w), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(u, 0), NSAPI_ERROR_OK);
    assert_int_equal(socket_open(idle, w), NSAPI_ERROR_OK);
    assert_int_equal(pthread_create(&pump_thread, NULL, pump_main, &pump), 0);
    assert_int_equal(pthread_create(&accept_thread, NULL, accept_main, &acc), 0);

    /* 1 s: the AP goes; there is no other. */
    assert_true(status_log_wait(&log, NSAPI_STATUS_DISCONNECTED, 2, WAIT_MS));
    join_within(pump_thread, WAIT_MS);
    join_within(accept_thread, WAIT_MS);
    assert_int_equal(pump.error, NSAPI_ERROR_CONNECTION_LOST);
    assert_true(pump.moved > 0);
    assert_int_equal(acc.error, NSAPI_ERROR_CONNECTION_LOST); /* a blocked call woke */
    assert_null(network_interface_get_ip_address(w));
    assert_int_equal(wifi_interface_get_rssi(w), 0);
    assert_int_equal(network_interface_get_connection_status(w), NSAPI_STATUS_DISCONNECTED);
    assert_true(event_log_has("wifi lost ap=\"Home\""));

    /* Every call on every socket of the interface, until it is closed. */
    addr_of(&peer, "127.0.0.1", echo_server_port(echo));
    assert_int_equal(tcp_socket_send(pump.s, &byte, 1), NSAPI_ERROR_CONNECTION_LOST);
    assert_int_equal(tcp_socket_recv(pump.s, &byte, 1), NSAPI_ERROR_CONNECTION_LOST);
    assert_int_equal(tcp_socket_connect(pump.s, &peer), NSAPI_ERROR_CONNECTION_LOST);
    assert_int_equal(socket_setsockopt(pump.s, NSAPI_SOCKET, NSAPI_KEEPALIVE, &one, sizeof(one)),
                     NSAPI_ERROR_CONNECTION_LOST);
    assert_int_equal(udp_socket_sendto(u, &peer, &byte, 1), NSAPI_ERROR_CONNECTION_LOST);
    assert_int_equal(udp_socket_recvfrom(u, NULL, &byte, 1), NSAPI_ERROR_CONNECTION_LOST);
    assert_int_equal(tcp_server_accept(acc.srv, conn, NULL), NSAPI_ERROR_CONNECTION_LOST);
    assert_int_equal(tcp_socket_connect(idle, &peer), NSAPI_ERROR_CONNECTION_LOST);
    assert_int_equal(socket_bind_port(idle, 0), NSAPI_ERROR_CONNECTION_LOST);

    /* The device retries, backing off 50 ms each time, until the AP is back (2 s). */
    do {
        r = network_interface_connect(w);
        if (r != NSAPI_ERROR_OK) {
            assert_int_equal(r, NSAPI_ERROR_NO_SSID);
            nanosleep(&backoff, NULL);
        }
    } while (r != NSAPI_ERROR_OK && timeline_ms() < 2000 + WAIT_MS);
    assert_int_equal(r, NSAPI_ERROR_OK);
    assert_true(timeline_ms() >= 2000);

    /* The old sockets stay dead after the reconnect, until closed; then they open
     * again. */
    assert_int_equal(tcp_socket_send(pump.s, &byte, 1), NSAPI_ERROR_CONNECTION_LOST);
    assert_int_equal(socket_close(pump.s), NSAPI_ERROR_OK);
    assert_int_equal(socket_open(pump.s, w), NSAPI_ERROR_OK);
    assert_int_equal(tcp_socket_connect(pump.s, &peer), NSAPI_ERROR_OK);
    assert_int_equal(tcp_socket_send(pump.s, &byte, 1), 1);
    socket_delete(pump.s);

    transfer_64k(w, echo_server_port(echo));

    socket_delete(u);
    socket_delete(idle);
    socket_delete(conn);
    socket_delete(acc.srv);
    status_log_detach(&log, w);
    network_interface_delete(w);
    echo_server_stop(echo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ap_lost_mid_transfer_kills_every_socket_then_reconnect_works),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
