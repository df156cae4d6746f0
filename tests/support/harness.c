/*
 * harness.c: shared helpers of the cmocka tests (see harness.h).
 */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

void addr_of(socket_address_t *a, const char *ip, uint16_t port)
{
    socket_address_init(a);
    assert_true(socket_address_set_ip_address(a, ip));
    socket_address_set_port(a, port);
}

network_interface_t *up_interface(void)
{
    network_interface_t *ni = network_interface_get_default_instance();
    nsapi_error_t r;

    assert_non_null(ni);
    r = network_interface_connect(ni);
    assert_true(r == NSAPI_ERROR_OK || r == NSAPI_ERROR_IS_CONNECTED);
    return ni;
}

static int posix_bound(const char *ip, int type, uint16_t *port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd, one = 1;

    memset(&ss, 0, sizeof(ss));
    if (strchr(ip, ':') != NULL) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(*port);
        assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
        len = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

        s4->sin_family = AF_INET;
        s4->sin_port = htons(*port);
        assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
        len = sizeof(*s4);
    }
    fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    *port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                          : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

int posix_tcp_listener(const char *ip, uint16_t *port)
{
    int fd = posix_bound(ip, SOCK_STREAM, port);

    assert_int_equal(listen(fd, 16), 0);
    return fd;
}

int posix_udp_socket(const char *ip, uint16_t *port)
{
    return posix_bound(ip, SOCK_DGRAM, port);
}

uint16_t free_port(const char *ip)
{
    uint16_t port = 0;
    int fd = posix_bound(ip, SOCK_STREAM, &port);

    close(fd);
    return port;
}

int open_fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    assert_non_null(d);
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

uint64_t test_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
