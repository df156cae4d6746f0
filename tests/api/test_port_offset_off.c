/*
 * test_port_offset_off.c: host.port_offset=0 (set by meson.build) turns the port offset
 * of DESIGN §3 off: a device server binds the very port it asks for, below 1024 too
 * (that case needs the privilege to bind such a port, and is skipped without it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "api_support.h"
#include "harness.h"

/* True when 127.0.0.1:port can be bound right now for TCP. */
static bool bindable(uint16_t port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok;

    assert_true(fd >= 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
    close(fd);
    return ok;
}

/* A device server on port; a POSIX client connects to 127.0.0.1:port itself. */
static void expect_server_on_the_same_port(uint16_t port)
{
    tcp_server_t *srv = tcp_server_new();
    tcp_socket_t *conn = tcp_socket_new();
    int client;

    assert_int_equal(socket_open(srv, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(srv, port), NSAPI_ERROR_OK);
    assert_int_equal(tcp_server_listen(srv, 2), NSAPI_ERROR_OK);
    socket_set_timeout(srv, WAIT_MS);
    client = posix_connect_to("127.0.0.1", port);
    assert_int_equal(tcp_server_accept(srv, conn, NULL), NSAPI_ERROR_OK);
    close(client);
    socket_delete(conn);
    socket_delete(srv);
}

static void test_port_offset_reads_back_zero(void **state)
{
    char value[16];

    (void)state;
    assert_int_equal(nsemu_get("host.port_offset", value, sizeof(value)), NSAPI_ERROR_OK);
    assert_string_equal(value, "0");
}

static void test_high_port_is_bound_as_asked(void **state)
{
    (void)state;
    expect_server_on_the_same_port(free_port("127.0.0.1"));
}

static void test_privileged_port_is_bound_as_asked(void **state)
{
    uint16_t p = 899; /* test_host_link.c, which may run at the same time, takes 900+ */

    (void)state;
    while (p >= 600 && !bindable(p))
        p--;
    if (p < 600) {
        skip(); /* binding a port below 1024 needs privileges this run lacks */
        return;
    }
    expect_server_on_the_same_port(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port_offset_reads_back_zero),
        cmocka_unit_test(test_high_port_is_bound_as_asked),
        cmocka_unit_test(test_privileged_port_is_bound_as_asked),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
