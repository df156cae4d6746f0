/*
 * test_args.c: DESIGN §2's argument rules for every public function, in their order: a
 * NULL pointer is NSAPI_ERROR_PARAMETER (except the NULLs Mbed allows: recvfrom's and
 * accept's from, an open network's password, the callbacks of sigio and attach); then
 * an operation the socket's or interface's kind lacks is UNSUPPORTED; only then come
 * the state rules. Functions whose return type cannot carry an error (void, bool, a
 * pointer, int8_t) do nothing on bad arguments and return false, NULL or 0. Nothing
 * crashes.
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

static void ignore_sigio(void *ctx)
{
    (void)ctx;
}

static void ignore_status(void *ctx, nsapi_event_t ev, intptr_t arg)
{
    (void)ctx;
    (void)ev;
    (void)arg;
}

static socket_t *opened(socket_t *s)
{
    assert_non_null(s);
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    return s;
}

/* ---- SocketAddress: void, bool, pointer and value returns ------------------------ */

static void test_socket_address_setters_ignore_a_null_address(void **state)
{
    static const uint8_t bytes[4] = {127, 0, 0, 1};
    nsapi_addr_t raw = {.version = NSAPI_IPv4, .bytes = {127, 0, 0, 1}};

    (void)state;
    socket_address_init(NULL);
    assert_false(socket_address_set_ip_address(NULL, "127.0.0.1"));
    socket_address_set_ip_bytes(NULL, bytes, NSAPI_IPv4);
    socket_address_set_addr(NULL, raw);
    socket_address_set_port(NULL, 80);
}

static void test_socket_address_getters_of_null_return_neutral_values(void **state)
{
    nsapi_addr_t raw;

    (void)state;
    assert_null(socket_address_get_ip_address(NULL));
    assert_null(socket_address_get_ip_bytes(NULL));
    raw = socket_address_get_addr(NULL);
    assert_int_equal(raw.version, NSAPI_UNSPEC);
    assert_int_equal(socket_address_get_port(NULL), 0);
    assert_int_equal(socket_address_get_ip_version(NULL), NSAPI_UNSPEC);
    assert_false(socket_address_is_set(NULL));
}

static void test_socket_address_equal_with_null_is_false(void **state)
{
    socket_address_t a;

    (void)state;
    addr_of(&a, "127.0.0.1", 1);
    assert_false(socket_address_equal(NULL, &a));
    assert_false(socket_address_equal(&a, NULL));
    assert_false(socket_address_equal(NULL, NULL));
}

static void test_set_ip_address_with_null_text_returns_false(void **state)
{
    socket_address_t a;

    (void)state;
    addr_of(&a, "127.0.0.1", 1);
    assert_false(socket_address_set_ip_address(&a, NULL));
    assert_int_equal(socket_address_get_port(&a), 1);
}

static void test_set_ip_bytes_with_null_bytes_changes_nothing(void **state)
{
    socket_address_t a;

    (void)state;
    addr_of(&a, "127.0.0.7", 1);
    socket_address_set_ip_bytes(&a, NULL, NSAPI_IPv4);
    socket_address_set_ip_bytes(&a, NULL, NSAPI_IPv6);
    assert_string_equal(socket_address_get_ip_address(&a), "127.0.0.7");
}

static void test_set_ip_bytes_with_an_unknown_version_changes_nothing(void **state)
{
    static const uint8_t bytes[16] = {1, 2, 3, 4};
    socket_address_t a;

    (void)state;
    addr_of(&a, "127.0.0.7", 1);
    socket_address_set_ip_bytes(&a, bytes, (nsapi_version_t)7);
    assert_string_equal(socket_address_get_ip_address(&a), "127.0.0.7");
    assert_int_equal(socket_address_get_ip_version(&a), NSAPI_IPv4);
}

/* ---- sockets: NULL ---------------------------------------------------------------- */

static void test_socket_void_functions_ignore_a_null_socket(void **state)
{
    (void)state;
    socket_delete(NULL);
    socket_set_blocking(NULL, true);
    socket_set_timeout(NULL, 100);
    socket_sigio(NULL, ignore_sigio, NULL);
    socket_sigio(NULL, NULL, NULL);
}

static void test_socket_open_with_null_returns_parameter(void **state)
{
    tcp_socket_t *s = tcp_socket_new();

    (void)state;
    assert_int_equal(socket_open(NULL, up_interface()), NSAPI_ERROR_PARAMETER);
    assert_int_equal(socket_open(s, NULL), NSAPI_ERROR_PARAMETER);
    socket_delete(s);
}

static void test_socket_close_with_null_returns_parameter(void **state)
{
    (void)state;
    assert_int_equal(socket_close(NULL), NSAPI_ERROR_PARAMETER);
}

static void test_socket_bind_with_null_returns_parameter(void **state)
{
    udp_socket_t *s = opened(udp_socket_new());
    socket_address_t a;

    (void)state;
    addr_of(&a, "127.0.0.1", 0);
    assert_int_equal(socket_bind(NULL, &a), NSAPI_ERROR_PARAMETER);
    assert_int_equal(socket_bind(s, NULL), NSAPI_ERROR_PARAMETER);
    assert_int_equal(socket_bind_port(NULL, 0), NSAPI_ERROR_PARAMETER);
    socket_delete(s);
}

static void test_setsockopt_with_null_returns_parameter(void **state)
{
    tcp_socket_t *s = opened(tcp_socket_new());
    int v = 1;

    (void)state;
    assert_int_equal(socket_setsockopt(NULL, NSAPI_SOCKET, NSAPI_KEEPALIVE, &v, sizeof(v)),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(socket_setsockopt(s, NSAPI_SOCKET, NSAPI_KEEPALIVE, NULL, sizeof(v)),
                     NSAPI_ERROR_PARAMETER);
    socket_delete(s);
}

static void test_getsockopt_with_null_returns_parameter(void **state)
{
    tcp_socket_t *s = opened(tcp_socket_new());
    int v = 1;
    unsigned len = sizeof(v);

    (void)state;
    assert_int_equal(socket_getsockopt(NULL, NSAPI_SOCKET, NSAPI_KEEPALIVE, &v, &len),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(socket_getsockopt(s, NSAPI_SOCKET, NSAPI_KEEPALIVE, NULL, &len),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(socket_getsockopt(s, NSAPI_SOCKET, NSAPI_KEEPALIVE, &v, NULL),
                     NSAPI_ERROR_PARAMETER);
    socket_delete(s);
}

static void test_tcp_connect_with_null_returns_parameter(void **state)
{
    tcp_socket_t *s = opened(tcp_socket_new());
    socket_address_t a;

    (void)state;
    addr_of(&a, "127.0.0.1", 9);
    assert_int_equal(tcp_socket_connect(NULL, &a), NSAPI_ERROR_PARAMETER);
    assert_int_equal(tcp_socket_connect(s, NULL), NSAPI_ERROR_PARAMETER);
    assert_int_equal(tcp_socket_connect_host(NULL, "localhost", 9), NSAPI_ERROR_PARAMETER);
    assert_int_equal(tcp_socket_connect_host(s, NULL, 9), NSAPI_ERROR_PARAMETER);
    socket_delete(s);
}

static void test_tcp_send_and_recv_with_null_return_parameter(void **state)
{
    tcp_socket_t *s;
    int peer;
    char buf[4];

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    assert_int_equal(tcp_socket_send(NULL, "x", 1), NSAPI_ERROR_PARAMETER);
    assert_int_equal(tcp_socket_send(s, NULL, 1), NSAPI_ERROR_PARAMETER);
    assert_int_equal(tcp_socket_recv(NULL, buf, sizeof(buf)), NSAPI_ERROR_PARAMETER);
    assert_int_equal(tcp_socket_recv(s, NULL, sizeof(buf)), NSAPI_ERROR_PARAMETER);
    close(peer);
    socket_delete(s);
}

static void test_udp_sendto_with_null_returns_parameter(void **state)
{
    udp_socket_t *s = opened(udp_socket_new());
    socket_address_t a;

    (void)state;
    addr_of(&a, "127.0.0.1", 9);
    assert_int_equal(udp_socket_sendto(NULL, &a, "x", 1), NSAPI_ERROR_PARAMETER);
    assert_int_equal(udp_socket_sendto(s, NULL, "x", 1), NSAPI_ERROR_PARAMETER);
    assert_int_equal(udp_socket_sendto(s, &a, NULL, 1), NSAPI_ERROR_PARAMETER);
    assert_int_equal(udp_socket_sendto_host(NULL, "localhost", 9, "x", 1), NSAPI_ERROR_PARAMETER);
    assert_int_equal(udp_socket_sendto_host(s, NULL, 9, "x", 1), NSAPI_ERROR_PARAMETER);
    assert_int_equal(udp_socket_sendto_host(s, "localhost", 9, NULL, 1), NSAPI_ERROR_PARAMETER);
    socket_delete(s);
}

static void test_udp_recvfrom_with_null_socket_or_buffer_returns_parameter(void **state)
{
    udp_socket_t *s = opened(udp_socket_new());
    socket_address_t from;
    char buf[4];

    (void)state;
    assert_int_equal(udp_socket_recvfrom(NULL, &from, buf, sizeof(buf)), NSAPI_ERROR_PARAMETER);
    assert_int_equal(udp_socket_recvfrom(s, &from, NULL, sizeof(buf)), NSAPI_ERROR_PARAMETER);
    socket_delete(s);
}

static void test_udp_recvfrom_allows_a_null_from(void **state)
{
    uint16_t port = free_port("127.0.0.1"), peer_port = 0;
    int peer = posix_udp_socket("127.0.0.1", &peer_port);
    udp_socket_t *s = opened(udp_socket_new());
    char buf[4];

    (void)state;
    assert_int_equal(socket_bind_port(s, port), NSAPI_ERROR_OK);
    socket_set_timeout(s, WAIT_MS);
    posix_sendto(peer, "127.0.0.1", port, "ok", 2);
    assert_int_equal(udp_socket_recvfrom(s, NULL, buf, sizeof(buf)), 2);
    close(peer);
    socket_delete(s);
}

static void test_server_listen_and_accept_with_null_return_parameter(void **state)
{
    tcp_server_t *srv = opened(tcp_server_new());
    tcp_socket_t *conn = tcp_socket_new();

    (void)state;
    assert_int_equal(tcp_server_listen(NULL, 1), NSAPI_ERROR_PARAMETER);
    assert_int_equal(tcp_server_listen(srv, 1), NSAPI_ERROR_OK);
    assert_int_equal(tcp_server_accept(NULL, conn, NULL), NSAPI_ERROR_PARAMETER);
    assert_int_equal(tcp_server_accept(srv, NULL, NULL), NSAPI_ERROR_PARAMETER);
    socket_delete(conn);
    socket_delete(srv);
}

static void test_sigio_null_callback_detaches_without_error(void **state)
{
    udp_socket_t *s = opened(udp_socket_new());

    (void)state;
    socket_sigio(s, ignore_sigio, NULL);
    socket_sigio(s, NULL, NULL);
    socket_sigio(s, NULL, NULL);
    assert_int_equal(socket_close(s), NSAPI_ERROR_OK);
    socket_delete(s);
}

/* ---- sockets: wrong kind, bad values -------------------------------------------- */

static void test_udp_socket_given_to_tcp_functions_returns_unsupported(void **state)
{
    udp_socket_t *u = opened(udp_socket_new());
    tcp_socket_t *conn = tcp_socket_new();
    socket_address_t a;
    char buf[4];

    (void)state;
    addr_of(&a, "127.0.0.1", 9);
    assert_int_equal(tcp_socket_connect(u, &a), NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(tcp_socket_connect_host(u, "localhost", 9), NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(tcp_socket_send(u, "x", 1), NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(tcp_socket_recv(u, buf, sizeof(buf)), NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(tcp_server_listen(u, 1), NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(tcp_server_accept(u, conn, NULL), NSAPI_ERROR_UNSUPPORTED);
    socket_delete(conn);
    socket_delete(u);
}

static void test_tcp_socket_given_to_udp_functions_returns_unsupported(void **state)
{
    tcp_socket_t *t = opened(tcp_socket_new());
    socket_address_t a;
    char buf[4];

    (void)state;
    addr_of(&a, "127.0.0.1", 9);
    assert_int_equal(udp_socket_sendto(t, &a, "x", 1), NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(udp_socket_sendto_host(t, "localhost", 9, "x", 1), NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(udp_socket_recvfrom(t, NULL, buf, sizeof(buf)), NSAPI_ERROR_UNSUPPORTED);
    socket_delete(t);
}

static void test_server_given_to_udp_functions_returns_unsupported(void **state)
{
    tcp_server_t *srv = opened(tcp_server_new());
    socket_address_t a;
    char buf[4];

    (void)state;
    addr_of(&a, "127.0.0.1", 9);
    assert_int_equal(udp_socket_sendto(srv, &a, "x", 1), NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(udp_socket_sendto_host(srv, "localhost", 9, "x", 1), NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(udp_socket_recvfrom(srv, NULL, buf, sizeof(buf)), NSAPI_ERROR_UNSUPPORTED);
    socket_delete(srv);
}

static void test_null_is_checked_before_the_kind(void **state)
{
    udp_socket_t *u = opened(udp_socket_new());
    tcp_socket_t *t = opened(tcp_socket_new());

    (void)state;
    assert_int_equal(tcp_socket_send(u, NULL, 1), NSAPI_ERROR_PARAMETER);
    assert_int_equal(tcp_socket_connect(u, NULL), NSAPI_ERROR_PARAMETER);
    assert_int_equal(udp_socket_sendto(t, NULL, "x", 1), NSAPI_ERROR_PARAMETER);
    assert_int_equal(udp_socket_recvfrom(t, NULL, NULL, 1), NSAPI_ERROR_PARAMETER);
    socket_delete(u);
    socket_delete(t);
}

static void test_kind_is_checked_before_the_state(void **state)
{
    udp_socket_t *never_opened = udp_socket_new();
    tcp_socket_t *closed = opened(tcp_socket_new());
    socket_address_t a;
    char buf[4];

    (void)state;
    assert_int_equal(socket_close(closed), NSAPI_ERROR_OK);
    addr_of(&a, "127.0.0.1", 9);
    assert_int_equal(tcp_socket_send(never_opened, "x", 1), NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(tcp_socket_connect(never_opened, &a), NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(udp_socket_sendto(closed, &a, "x", 1), NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(udp_socket_recvfrom(closed, NULL, buf, sizeof(buf)), NSAPI_ERROR_UNSUPPORTED);
    socket_delete(never_opened);
    socket_delete(closed);
}

static void test_accept_into_a_connection_that_is_not_tcp_returns_parameter(void **state)
{
    tcp_server_t *srv = opened(tcp_server_new());
    udp_socket_t *u = udp_socket_new();

    (void)state;
    assert_int_equal(tcp_server_listen(srv, 1), NSAPI_ERROR_OK);
    assert_int_equal(tcp_server_accept(srv, u, NULL), NSAPI_ERROR_PARAMETER);
    assert_int_equal(tcp_server_accept(srv, srv, NULL), NSAPI_ERROR_PARAMETER);
    socket_delete(u);
    socket_delete(srv);
}

static void test_listen_with_a_negative_backlog_returns_parameter(void **state)
{
    tcp_server_t *srv = opened(tcp_server_new());

    (void)state;
    assert_int_equal(tcp_server_listen(srv, -1), NSAPI_ERROR_PARAMETER);
    socket_delete(srv);
}

static void test_connect_to_an_address_without_ip_returns_parameter(void **state)
{
    tcp_socket_t *s = opened(tcp_socket_new());
    socket_address_t none;

    (void)state;
    socket_address_init(&none);
    socket_address_set_port(&none, 80);
    assert_int_equal(tcp_socket_connect(s, &none), NSAPI_ERROR_PARAMETER);
    socket_delete(s);
}

static void test_sendto_an_address_without_ip_returns_parameter(void **state)
{
    udp_socket_t *s = opened(udp_socket_new());
    socket_address_t none;

    (void)state;
    socket_address_init(&none);
    socket_address_set_port(&none, 80);
    assert_int_equal(udp_socket_sendto(s, &none, "x", 1), NSAPI_ERROR_PARAMETER);
    socket_delete(s);
}

/* ---- interfaces ------------------------------------------------------------------ */

static void test_interface_void_functions_ignore_a_null_interface(void **state)
{
    (void)state;
    network_interface_delete(NULL);
    network_interface_attach(NULL, ignore_status, NULL);
    network_interface_attach(NULL, NULL, NULL);
}

static void test_interface_getters_of_null_return_null(void **state)
{
    (void)state;
    assert_null(network_interface_get_ip_address(NULL));
    assert_null(network_interface_get_mac_address(NULL));
    assert_null(network_interface_get_netmask(NULL));
    assert_null(network_interface_get_gateway(NULL));
}

static void test_connection_status_of_null_is_disconnected(void **state)
{
    (void)state;
    assert_int_equal(network_interface_get_connection_status(NULL), NSAPI_STATUS_DISCONNECTED);
}

static void test_interface_connect_and_disconnect_with_null_return_parameter(void **state)
{
    (void)state;
    assert_int_equal(network_interface_connect(NULL), NSAPI_ERROR_PARAMETER);
    assert_int_equal(network_interface_disconnect(NULL), NSAPI_ERROR_PARAMETER);
}

static void test_set_network_with_null_returns_parameter(void **state)
{
    network_interface_t *ni = ethernet_interface_new();

    (void)state;
    assert_int_equal(network_interface_set_network(NULL, "10.0.0.2", "255.0.0.0", "10.0.0.1"),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(network_interface_set_network(ni, NULL, "255.0.0.0", "10.0.0.1"),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(network_interface_set_network(ni, "10.0.0.2", NULL, "10.0.0.1"),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(network_interface_set_network(ni, "10.0.0.2", "255.0.0.0", NULL),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(network_interface_set_dhcp(NULL, true), NSAPI_ERROR_PARAMETER);
    network_interface_delete(ni);
}

static void test_gethostbyname_with_null_returns_parameter(void **state)
{
    socket_address_t out;

    (void)state;
    assert_int_equal(network_interface_gethostbyname(NULL, "localhost", &out, NSAPI_UNSPEC),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(network_interface_gethostbyname(up_interface(), NULL, &out, NSAPI_UNSPEC),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(
        network_interface_gethostbyname(up_interface(), "localhost", NULL, NSAPI_UNSPEC),
        NSAPI_ERROR_PARAMETER);
}

static void test_gethostbyname_with_an_unknown_version_returns_parameter(void **state)
{
    socket_address_t out;

    (void)state;
    socket_address_init(&out);
    assert_int_equal(
        network_interface_gethostbyname(up_interface(), "localhost", &out, (nsapi_version_t)9),
        NSAPI_ERROR_PARAMETER);
}

static void test_add_dns_server_with_null_returns_parameter(void **state)
{
    socket_address_t server;

    (void)state;
    addr_of(&server, "127.0.0.1", 53);
    assert_int_equal(network_interface_add_dns_server(NULL, &server), NSAPI_ERROR_PARAMETER);
    assert_int_equal(network_interface_add_dns_server(up_interface(), NULL), NSAPI_ERROR_PARAMETER);
}

static void test_attach_null_callback_detaches(void **state)
{
    network_interface_t *ni = ethernet_interface_new();

    (void)state;
    network_interface_attach(ni, ignore_status, NULL);
    network_interface_attach(ni, NULL, NULL);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    network_interface_delete(ni);
}

/* ---- WiFi: NULL arguments; Ethernet interfaces lack it (tests/wifi has the rest) --- */

static void test_wifi_interface_new_returns_a_disconnected_interface(void **state)
{
    wifi_interface_t *w = wifi_interface_new();

    (void)state;
    assert_non_null(w);
    assert_int_equal(network_interface_get_connection_status(w), NSAPI_STATUS_DISCONNECTED);
    assert_null(network_interface_get_ip_address(w));
    network_interface_delete(w);
}

static void test_wifi_functions_with_a_null_interface_return_parameter(void **state)
{
    nsapi_wifi_ap_t aps[2];

    (void)state;
    assert_int_equal(wifi_interface_set_credentials(NULL, "ssid", "password", NSAPI_SECURITY_WPA2),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(wifi_interface_set_channel(NULL, 6), NSAPI_ERROR_PARAMETER);
    assert_int_equal(wifi_interface_connect_to(NULL, "ssid", "password", NSAPI_SECURITY_WPA2, 0),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(wifi_interface_scan(NULL, aps, 2), NSAPI_ERROR_PARAMETER);
    assert_int_equal(wifi_interface_scan(NULL, NULL, 0), NSAPI_ERROR_PARAMETER);
    assert_int_equal(wifi_interface_get_rssi(NULL), 0);
}

static void test_wifi_functions_with_a_null_ssid_return_parameter(void **state)
{
    network_interface_t *eth = up_interface();

    (void)state;
    assert_int_equal(wifi_interface_set_credentials(eth, NULL, "password", NSAPI_SECURITY_WPA2),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(wifi_interface_connect_to(eth, NULL, "password", NSAPI_SECURITY_WPA2, 0),
                     NSAPI_ERROR_PARAMETER);
}

static void test_wifi_null_password_for_a_secured_network_returns_parameter(void **state)
{
    network_interface_t *eth = up_interface();

    (void)state;
    assert_int_equal(wifi_interface_set_credentials(eth, "ssid", NULL, NSAPI_SECURITY_WPA2),
                     NSAPI_ERROR_PARAMETER);
    assert_int_equal(wifi_interface_connect_to(eth, "ssid", NULL, NSAPI_SECURITY_WEP, 0),
                     NSAPI_ERROR_PARAMETER);
}

static void test_wifi_scan_with_null_results_but_a_count_returns_parameter(void **state)
{
    (void)state;
    assert_int_equal(wifi_interface_scan(up_interface(), NULL, 3), NSAPI_ERROR_PARAMETER);
}

static void test_wifi_functions_on_ethernet_return_unsupported(void **state)
{
    network_interface_t *eth = up_interface();
    nsapi_wifi_ap_t aps[2];

    (void)state;
    assert_int_equal(wifi_interface_set_credentials(eth, "ssid", "password", NSAPI_SECURITY_WPA2),
                     NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(wifi_interface_set_channel(eth, 6), NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(wifi_interface_connect_to(eth, "ssid", "password", NSAPI_SECURITY_WPA2, 0),
                     NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(wifi_interface_scan(eth, aps, 2), NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(wifi_interface_scan(eth, NULL, 0), NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(wifi_interface_get_rssi(eth), 0);
}

static void test_wifi_null_password_for_an_open_network_is_allowed(void **state)
{
    network_interface_t *eth = up_interface();

    (void)state;
    /* Allowed, so the next rule decides: Ethernet has no WiFi. */
    assert_int_equal(wifi_interface_set_credentials(eth, "ssid", NULL, NSAPI_SECURITY_NONE),
                     NSAPI_ERROR_UNSUPPORTED);
    assert_int_equal(wifi_interface_connect_to(eth, "ssid", NULL, NSAPI_SECURITY_NONE, 0),
                     NSAPI_ERROR_UNSUPPORTED);
}

/* ---- the control API ------------------------------------------------------------- */

static void test_nsemu_set_with_null_or_unknown_knob_returns_parameter(void **state)
{
    (void)state;
    assert_int_equal(nsemu_set(NULL, "100"), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_set("device.connect_timeout_ms", NULL), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_set("no.such_knob", "1"), NSAPI_ERROR_PARAMETER);
}

static void test_nsemu_set_of_a_start_up_knob_returns_parameter(void **state)
{
    char value[16];

    (void)state;
    assert_int_equal(nsemu_set("device.sockets", "3"), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_get("device.sockets", value, sizeof(value)), NSAPI_ERROR_OK);
    assert_string_equal(value, "16");
}

static void test_nsemu_set_with_a_bad_value_returns_parameter(void **state)
{
    char value[16];

    (void)state;
    assert_int_equal(nsemu_set("device.connect_timeout_ms", "soon"), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_set("device.connect_timeout_ms", "0"), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_get("device.connect_timeout_ms", value, sizeof(value)), NSAPI_ERROR_OK);
    assert_string_equal(value, "10000");
}

static void test_nsemu_clear_with_null_or_unknown_knob_returns_parameter(void **state)
{
    (void)state;
    assert_int_equal(nsemu_clear(NULL), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_clear("no.such_knob"), NSAPI_ERROR_PARAMETER);
}

static void test_nsemu_get_with_null_returns_parameter(void **state)
{
    char value[16];

    (void)state;
    assert_int_equal(nsemu_get(NULL, value, sizeof(value)), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_get("device.sockets", NULL, 16), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_get("no.such_knob", value, sizeof(value)), NSAPI_ERROR_PARAMETER);
}

static void test_nsemu_get_into_a_small_buffer_returns_no_memory(void **state)
{
    char value[2];

    (void)state;
    assert_int_equal(nsemu_get("device.sockets", value, sizeof(value)), NSAPI_ERROR_NO_MEMORY);
}

static void test_nsemu_counter_with_null_or_unknown_name_returns_parameter(void **state)
{
    uint64_t v;

    (void)state;
    assert_int_equal(nsemu_counter(NULL, &v), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_counter("sockets.open", NULL), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_counter("no.such_counter", &v), NSAPI_ERROR_PARAMETER);
}

static void test_nsemu_set_then_clear_restores_the_start_up_value(void **state)
{
    char value[16];

    (void)state;
    assert_int_equal(nsemu_set("device.connect_timeout_ms", "1234"), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_get("device.connect_timeout_ms", value, sizeof(value)), NSAPI_ERROR_OK);
    assert_string_equal(value, "1234");
    assert_int_equal(nsemu_clear("device.connect_timeout_ms"), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_get("device.connect_timeout_ms", value, sizeof(value)), NSAPI_ERROR_OK);
    assert_string_equal(value, "10000");
}

static void test_nsemu_reset_restores_every_runtime_knob(void **state)
{
    char value[16];

    (void)state;
    assert_int_equal(nsemu_set("device.connect_timeout_ms", "4321"), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_reset(), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_get("device.connect_timeout_ms", value, sizeof(value)), NSAPI_ERROR_OK);
    assert_string_equal(value, "10000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_socket_address_setters_ignore_a_null_address),
        cmocka_unit_test(test_socket_address_getters_of_null_return_neutral_values),
        cmocka_unit_test(test_socket_address_equal_with_null_is_false),
        cmocka_unit_test(test_set_ip_address_with_null_text_returns_false),
        cmocka_unit_test(test_set_ip_bytes_with_null_bytes_changes_nothing),
        cmocka_unit_test(test_set_ip_bytes_with_an_unknown_version_changes_nothing),
        cmocka_unit_test(test_socket_void_functions_ignore_a_null_socket),
        cmocka_unit_test(test_socket_open_with_null_returns_parameter),
        cmocka_unit_test(test_socket_close_with_null_returns_parameter),
        cmocka_unit_test(test_socket_bind_with_null_returns_parameter),
        cmocka_unit_test(test_setsockopt_with_null_returns_parameter),
        cmocka_unit_test(test_getsockopt_with_null_returns_parameter),
        cmocka_unit_test(test_tcp_connect_with_null_returns_parameter),
        cmocka_unit_test(test_tcp_send_and_recv_with_null_return_parameter),
        cmocka_unit_test(test_udp_sendto_with_null_returns_parameter),
        cmocka_unit_test(test_udp_recvfrom_with_null_socket_or_buffer_returns_parameter),
        cmocka_unit_test(test_udp_recvfrom_allows_a_null_from),
        cmocka_unit_test(test_server_listen_and_accept_with_null_return_parameter),
        cmocka_unit_test(test_sigio_null_callback_detaches_without_error),
        cmocka_unit_test(test_udp_socket_given_to_tcp_functions_returns_unsupported),
        cmocka_unit_test(test_tcp_socket_given_to_udp_functions_returns_unsupported),
        cmocka_unit_test(test_server_given_to_udp_functions_returns_unsupported),
        cmocka_unit_test(test_null_is_checked_before_the_kind),
        cmocka_unit_test(test_kind_is_checked_before_the_state),
        cmocka_unit_test(test_accept_into_a_connection_that_is_not_tcp_returns_parameter),
        cmocka_unit_test(test_listen_with_a_negative_backlog_returns_parameter),
        cmocka_unit_test(test_connect_to_an_address_without_ip_returns_parameter),
        cmocka_unit_test(test_sendto_an_address_without_ip_returns_parameter),
        cmocka_unit_test(test_interface_void_functions_ignore_a_null_interface),
        cmocka_unit_test(test_interface_getters_of_null_return_null),
        cmocka_unit_test(test_connection_status_of_null_is_disconnected),
        cmocka_unit_test(test_interface_connect_and_disconnect_with_null_return_parameter),
        cmocka_unit_test(test_set_network_with_null_returns_parameter),
        cmocka_unit_test(test_gethostbyname_with_null_returns_parameter),
        cmocka_unit_test(test_gethostbyname_with_an_unknown_version_returns_parameter),
        cmocka_unit_test(test_add_dns_server_with_null_returns_parameter),
        cmocka_unit_test(test_attach_null_callback_detaches),
        cmocka_unit_test(test_wifi_interface_new_returns_a_disconnected_interface),
        cmocka_unit_test(test_wifi_functions_with_a_null_interface_return_parameter),
        cmocka_unit_test(test_wifi_functions_with_a_null_ssid_return_parameter),
        cmocka_unit_test(test_wifi_null_password_for_a_secured_network_returns_parameter),
        cmocka_unit_test(test_wifi_scan_with_null_results_but_a_count_returns_parameter),
        cmocka_unit_test(test_wifi_functions_on_ethernet_return_unsupported),
        cmocka_unit_test(test_wifi_null_password_for_an_open_network_is_allowed),
        cmocka_unit_test(test_nsemu_set_with_null_or_unknown_knob_returns_parameter),
        cmocka_unit_test(test_nsemu_set_of_a_start_up_knob_returns_parameter),
        cmocka_unit_test(test_nsemu_set_with_a_bad_value_returns_parameter),
        cmocka_unit_test(test_nsemu_clear_with_null_or_unknown_knob_returns_parameter),
        cmocka_unit_test(test_nsemu_get_with_null_returns_parameter),
        cmocka_unit_test(test_nsemu_get_into_a_small_buffer_returns_no_memory),
        cmocka_unit_test(test_nsemu_counter_with_null_or_unknown_name_returns_parameter),
        cmocka_unit_test(test_nsemu_set_then_clear_restores_the_start_up_value),
        cmocka_unit_test(test_nsemu_reset_restores_every_runtime_knob),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
