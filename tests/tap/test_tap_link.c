/*
 * test_tap_link.c: link down / up on the tap link with DHCP (DESIGN §3). The interface
 * reports DISCONNECTED when the cable goes (t=1 s), then GLOBAL_UP again after a second
 * DHCP exchange when it returns (t=2 s), keeping its address; a TCP connection through
 * a gateway forward that was moving data when the cable went completes byte for byte.
 * Run by tap_run.sh with link.ini, the event log in the build directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netsocket/netsocket.h>

#include "tap_support.h"

#define TOTAL (3u << 20)

/* An echo server on host loopback, the forward's target. */
static void *echo_once(void *arg)
{
    int lfd = (int)(intptr_t)arg, c = accept(lfd, NULL, NULL);
    static char buf[65536];
    ssize_t n;

    while (c >= 0 && (n = recv(c, buf, sizeof(buf), 0)) > 0)
        send(c, buf, (size_t)n, MSG_NOSIGNAL);
    if (c >= 0)
        close(c);
    return NULL;
}

static int start_host_echo(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(17000)};
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    pthread_t t;

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(pthread_create(&t, NULL, echo_once, (void *)(intptr_t)fd), 0);
    pthread_detach(t);
    return fd;
}

static void test_a_connection_lives_through_the_cable_and_dhcp_is_redone(void **state)
{
    network_interface_t *ni = network_interface_get_default_instance();
    static uint8_t out[TOTAL], in[TOTAL];
    tcp_socket_t *s = tcp_socket_new();
    socket_address_t to;
    size_t sent = 0, got = 0;

    (void)state;
    start_host_echo();
    for (size_t i = 0; i < TOTAL; i++)
        out[i] = (uint8_t)(i * 31 + (i >> 12));
    network_interface_attach(ni, tap_status_record, NULL);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_string_equal(network_interface_get_ip_address(ni), "10.0.2.15");
    socket_address_init(&to);
    socket_address_set_ip_address(&to, "10.0.2.2");
    socket_address_set_port(&to, 7000);
    assert_int_equal(socket_open(s, ni), NSAPI_ERROR_OK);
    socket_set_timeout(s, 8000);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_OK);
    /* About 1 MB/s, so the transfer spans the outage from 1 s to 2 s. */
    while (got < TOTAL) {
        if (sent < TOTAL) {
            nsapi_size_or_error_t n = tcp_socket_send(s, out + sent, 8192);

            assert_true(n > 0);
            sent += (size_t)n;
            usleep(8000);
        }
        nsapi_size_or_error_t n = tcp_socket_recv(s, in + got, TOTAL - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    assert_memory_equal(in, out, TOTAL);
    socket_close(s);
    socket_delete(s);

    /* CONNECTING, GLOBAL_UP; the cable: DISCONNECTED, GLOBAL_UP. */
    assert_int_equal(tap_status_count(), 4);
    assert_int_equal(tap_status_at(1), NSAPI_STATUS_GLOBAL_UP);
    assert_int_equal(tap_status_at(2), NSAPI_STATUS_DISCONNECTED);
    assert_int_equal(tap_status_at(3), NSAPI_STATUS_GLOBAL_UP);
    assert_string_equal(network_interface_get_ip_address(ni), "10.0.2.15");
    assert_int_equal(tap_log_count("link.log", " dhcp lease "), 2);
    assert_int_equal(tap_log_count("link.log", " link down"), 1);
    assert_int_equal(tap_log_count("link.log", " wire carrier off"), 1);
    assert_int_equal(tap_log_count("link.log", " wire carrier on"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_connection_lives_through_the_cable_and_dhcp_is_redone),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
