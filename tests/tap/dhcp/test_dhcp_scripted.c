/*
 * test_dhcp_scripted.c: the device's DHCP client (tap/dhcp_client.c) through the late
 * states of a lease, which real servers reach only after minutes: a server in the peer
 * namespace ([tap] far = peer), run by this test on the gateway's server logic
 * (tap/dhcp_server.c) with a 6 s lease (T1 3 s, T2 5 s: 7/8 of it, rounded down), and told how to misbehave:
 * ignore unicast renewals (the client must rebind by broadcast at T2) or go silent
 * (the lease must expire at 6 s and the address go). Run through tap_run.sh.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <netsocket/netsocket.h>

#include "dhcp.h"
#include "tap_support.h"

#define LEASE_S 6

enum behaviour { ANSWER_ALL, IGNORE_UNICAST, SILENT };

static atomic_int behaviour;

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- the scripted server ------------------------------------------------------------ */

/* Whether the request was sent to the limited broadcast address (IP_PKTINFO). */
static bool was_broadcast(struct msghdr *mh)
{
    struct cmsghdr *cm;

    for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
        struct in_pktinfo pi;

        if (cm->cmsg_level != IPPROTO_IP || cm->cmsg_type != IP_PKTINFO)
            continue;
        memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
        return pi.ipi_addr.s_addr == htonl(INADDR_BROADCAST);
    }
    return false;
}

static void *serve(void *arg)
{
    int fd = *(int *)arg;
    struct dhcp_server_cfg cfg = {.server = {inet_addr("10.0.2.2")},
                                  .dns = {inet_addr("10.0.2.2")},
                                  .pool_first = {inet_addr("10.0.2.15")},
                                  .pool_size = 8,
                                  .mask = {inet_addr("255.255.255.0")},
                                  .lease_s = LEASE_S};
    struct dhcp_server *s = dhcp_server_new(&cfg);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(DHCP_CLIENT_PORT),
                             .sin_addr = {htonl(INADDR_BROADCAST)}};

    for (;;) {
        uint8_t req[1500], reply[DHCP_MAX_LEN], ctl[256];
        struct iovec iov = {req, sizeof(req)};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                            .msg_controllen = sizeof(ctl)};
        ssize_t n = recvmsg(fd, &mh, 0);
        size_t len;

        if (n <= 0)
            continue;
        if (behaviour == SILENT || (behaviour == IGNORE_UNICAST && !was_broadcast(&mh)))
            continue;
        len = dhcp_server_answer(s, req, (size_t)n, 0, reply, sizeof(reply));
        if (len > 0)
            sendto(fd, reply, len, 0, (struct sockaddr *)&to, sizeof(to));
    }
    return NULL;
}

static void start_server(void)
{
    static int fd;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(DHCP_SERVER_PORT)};
    int one = 1;
    pthread_t t;

    fd = tap_socket_in(tap_ns("peer"), AF_INET, SOCK_DGRAM);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)), 0);
    assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)), 0);
    /* the peer namespace has no default route: broadcasts leave by eth0 */
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "eth0", 5), 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(pthread_create(&t, NULL, serve, &fd), 0);
    pthread_detach(t);
}

/* ---- the event log -------------------------------------------------------------------- */

static int log_count(const char *needle)
{
    FILE *f = fopen(getenv("NSEMU_LOG"), "r");
    char line[512];
    int n = 0;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* Waits, bounded, for the n-th line holding needle. Polled: the log is a file another
 * thread appends to, which gives no event to wait on. */
static bool wait_log(const char *needle, int n, long timeout_ms)
{
    uint64_t give_up = now_ms() + (uint64_t)timeout_ms;

    while (log_count(needle) < n) {
        if (now_ms() >= give_up)
            return false;
        usleep(50000);
    }
    return true;
}

static bool dev_has_address(void)
{
    char out[2048] = "";

    tap_sh(out, sizeof(out), "ip -n %s -4 addr show dev eth0", tap_ns("dev"));
    return strstr(out, "inet 10.0.2.15/24") != NULL;
}

/* ---- tests ------------------------------------------------------------------------------ */

static network_interface_t *fresh_lease(void)
{
    network_interface_t *ni = network_interface_get_default_instance();

    if (network_interface_get_connection_status(ni) != NSAPI_STATUS_DISCONNECTED)
        network_interface_disconnect(ni);
    behaviour = ANSWER_ALL;
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
    assert_string_equal(network_interface_get_ip_address(ni), "10.0.2.15");
    return ni;
}

static void test_unanswered_renewal_rebinds_by_broadcast_at_t2(void **state)
{
    int renews, rebinds, leases;
    uint64_t t0;

    (void)state;
    fresh_lease();
    t0 = now_ms();
    behaviour = IGNORE_UNICAST;
    renews = log_count("dhcp renew");
    rebinds = log_count("dhcp rebind");
    leases = log_count("dhcp lease ip=10.0.2.15");
    assert_true(wait_log("dhcp renew", renews + 1, 5000));
    assert_true(wait_log("dhcp rebind", rebinds + 1, 5000));
    assert_true(now_ms() - t0 >= 4500); /* not before T2 = 5 s after the REQUEST */
    assert_true(wait_log("dhcp lease ip=10.0.2.15", leases + 1, 2000));
    assert_true(dev_has_address());
}

static void test_silent_server_lets_the_lease_expire(void **state)
{
    int expired;

    (void)state;
    fresh_lease();
    behaviour = SILENT;
    expired = log_count("dhcp expired");
    assert_true(wait_log("dhcp expired", expired + 1, LEASE_S * 1000 + 2000));
    assert_true(log_count("tap lease gone") >= 1);
    assert_false(dev_has_address());
}

static int teardown(void **state)
{
    network_interface_t *ni = network_interface_get_default_instance();

    (void)state;
    if (network_interface_get_connection_status(ni) != NSAPI_STATUS_DISCONNECTED)
        network_interface_disconnect(ni);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    start_server();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unanswered_renewal_rebinds_by_broadcast_at_t2),
        cmocka_unit_test(test_silent_server_lets_the_lease_expire),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
