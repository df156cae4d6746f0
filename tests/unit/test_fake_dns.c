/*
 * test_fake_dns.c: tests of the fake DNS server the other tests use (tests/support/
 * fake_dns.c), and so of the DNS codec end to end over real loopback UDP. Each test asks
 * through a plain POSIX socket with dns_build_query() and judges with
 * dns_parse_response(), waiting for the reply with a bounded poll().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dns_packet.h"
#include "fake_dns.h"

#define WAIT_MS 2000 /* bound on waiting for something that must happen */
#define NAME    "host.test"

/* A UDP socket connected to the server at ip. */
static int client_open(const struct fake_dns *d, const char *ip)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;

    memset(&ss, 0, sizeof(ss));
    if (inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        ss.ss_family = AF_INET;
        ((struct sockaddr_in *)&ss)->sin_port = htons(fake_dns_port(d));
        len = sizeof(struct sockaddr_in);
    } else {
        assert_int_equal(inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
        ss.ss_family = AF_INET6;
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons(fake_dns_port(d));
        len = sizeof(struct sockaddr_in6);
    }
    fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
    return fd;
}

static void send_query(int fd, uint16_t id, const char *name, uint16_t qtype)
{
    uint8_t buf[DNS_MAX_PACKET];
    int len = dns_build_query(buf, sizeof(buf), id, name, qtype);

    assert_true(len > 0);
    assert_int_equal(send(fd, buf, (size_t)len, 0), len);
}

/* Receives one datagram, failing the test if none comes within WAIT_MS. */
static size_t recv_reply(int fd, uint8_t *buf, size_t cap)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    ssize_t n;

    assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
    n = recv(fd, buf, cap, 0);
    assert_true(n >= 0);
    return (size_t)n;
}

/* One query and its first reply, judged as the answer to (id, name, qtype). */
static enum dns_result ask_on(struct fake_dns *d, const char *server_ip, const char *name,
                              uint16_t qtype, nsapi_addr_t *addrs, int max, int *count)
{
    uint8_t buf[1024];
    int fd = client_open(d, server_ip);
    size_t len;

    send_query(fd, 0xBEEF, name, qtype);
    len = recv_reply(fd, buf, sizeof(buf));
    close(fd);
    return dns_parse_response(buf, len, 0xBEEF, name, qtype, addrs, max, count);
}

static enum dns_result ask(struct fake_dns *d, const char *name, uint16_t qtype,
                           nsapi_addr_t *addrs, int max, int *count)
{
    return ask_on(d, "127.0.0.1", name, qtype, addrs, max, count);
}

static enum dns_result ask_result(struct fake_dns *d, const char *name, uint16_t qtype)
{
    nsapi_addr_t addrs[4];
    int count;

    return ask(d, name, qtype, addrs, 4, &count);
}

/* Waits, boundedly, until the server has counted n datagrams. */
static void wait_for_queries(const struct fake_dns *d, unsigned n)
{
    const struct timespec tick = {.tv_sec = 0, .tv_nsec = 1000000};
    int waited_ms;

    for (waited_ms = 0; fake_dns_queries(d) < n; waited_ms++) {
        assert_true(waited_ms < WAIT_MS);
        nanosleep(&tick, NULL);
    }
}

static void assert_ipv4(const nsapi_addr_t *a, const char *ip)
{
    uint8_t bytes[4];

    assert_int_equal(inet_pton(AF_INET, ip, bytes), 1);
    assert_int_equal(a->version, NSAPI_IPv4);
    assert_memory_equal(a->bytes, bytes, 4);
}

static void assert_ipv6(const nsapi_addr_t *a, const char *ip)
{
    uint8_t bytes[16];

    assert_int_equal(inet_pton(AF_INET6, ip, bytes), 1);
    assert_int_equal(a->version, NSAPI_IPv6);
    assert_memory_equal(a->bytes, bytes, 16);
}

static int start_answering(void **state)
{
    struct fake_dns *d = fake_dns_start("127.0.0.1", 0, FAKE_DNS_ANSWER);

    if (!d)
        return -1;
    *state = d;
    return 0;
}

static int stop(void **state)
{
    fake_dns_stop(*state);
    return 0;
}

/* ---- ANSWER mode ---- */

static void test_answer_mode_returns_the_added_ipv4_address(void **state)
{
    struct fake_dns *d = *state;
    nsapi_addr_t got[2];
    int count;

    fake_dns_add(d, NAME, "192.0.2.10");
    assert_int_equal(ask(d, NAME, DNS_TYPE_A, got, 2, &count), DNS_PKT_OK);
    assert_int_equal(count, 1);
    assert_ipv4(&got[0], "192.0.2.10");
}

static void test_answer_mode_returns_the_added_ipv6_address(void **state)
{
    struct fake_dns *d = *state;
    nsapi_addr_t got[2];
    int count;

    fake_dns_add(d, NAME, "2001:db8::10");
    assert_int_equal(ask(d, NAME, DNS_TYPE_AAAA, got, 2, &count), DNS_PKT_OK);
    assert_int_equal(count, 1);
    assert_ipv6(&got[0], "2001:db8::10");
}

static void test_answer_mode_returns_every_address_of_a_name_in_order(void **state)
{
    struct fake_dns *d = *state;
    nsapi_addr_t got[4];
    int count;

    fake_dns_add(d, NAME, "192.0.2.3");
    fake_dns_add(d, NAME, "2001:db8::1");
    fake_dns_add(d, NAME, "192.0.2.1");
    fake_dns_add(d, "other.test", "192.0.2.99");
    fake_dns_add(d, NAME, "192.0.2.2");
    assert_int_equal(ask(d, NAME, DNS_TYPE_A, got, 4, &count), DNS_PKT_OK);
    assert_int_equal(count, 3);
    assert_ipv4(&got[0], "192.0.2.3");
    assert_ipv4(&got[1], "192.0.2.1");
    assert_ipv4(&got[2], "192.0.2.2");
}

static void test_answer_mode_matches_names_without_regard_to_case(void **state)
{
    struct fake_dns *d = *state;

    fake_dns_add(d, "Host.TEST.", "192.0.2.10");
    assert_int_equal(ask_result(d, "hOST.test", DNS_TYPE_A), DNS_PKT_OK);
}

static void test_answer_mode_gives_nodata_for_a_name_known_for_the_other_type(void **state)
{
    struct fake_dns *d = *state;

    fake_dns_add(d, NAME, "192.0.2.10");
    assert_int_equal(ask_result(d, NAME, DNS_TYPE_AAAA), DNS_PKT_NODATA);
}

static void test_answer_mode_gives_nxdomain_for_an_unknown_name(void **state)
{
    struct fake_dns *d = *state;

    fake_dns_add(d, NAME, "192.0.2.10");
    assert_int_equal(ask_result(d, "unknown.test", DNS_TYPE_A), DNS_PKT_NXDOMAIN);
}

static void test_answer_mode_sets_tc_when_addresses_overflow_512_bytes(void **state)
{
    struct fake_dns *d = *state;
    char ip[32];
    int i;

    for (i = 0; i < 40; i++) { /* 40 A records: 640 bytes */
        snprintf(ip, sizeof(ip), "192.0.2.%d", i);
        fake_dns_add(d, NAME, ip);
    }
    assert_int_equal(ask_result(d, NAME, DNS_TYPE_A), DNS_PKT_TRUNCATED);
}

/* ---- the fixed-answer modes ---- */

static void test_nxdomain_mode_answers_nxdomain_even_for_known_names(void **state)
{
    struct fake_dns *d = *state;

    fake_dns_add(d, NAME, "192.0.2.10");
    fake_dns_set_mode(d, FAKE_DNS_NXDOMAIN);
    assert_int_equal(ask_result(d, NAME, DNS_TYPE_A), DNS_PKT_NXDOMAIN);
}

static void test_servfail_mode_answers_server_error(void **state)
{
    struct fake_dns *d = *state;

    fake_dns_add(d, NAME, "192.0.2.10");
    fake_dns_set_mode(d, FAKE_DNS_SERVFAIL);
    assert_int_equal(ask_result(d, NAME, DNS_TYPE_A), DNS_PKT_SERVER_ERROR);
}

static void test_nodata_mode_answers_nodata_even_for_known_names(void **state)
{
    struct fake_dns *d = *state;

    fake_dns_add(d, NAME, "192.0.2.10");
    fake_dns_set_mode(d, FAKE_DNS_NODATA);
    assert_int_equal(ask_result(d, NAME, DNS_TYPE_A), DNS_PKT_NODATA);
}

/* The first query is counted under SILENT; the first datagram back is the reply to the
 * second, asked under ANSWER: so the first got none. */
static void test_silent_mode_counts_but_never_answers(void **state)
{
    struct fake_dns *d = *state;
    uint8_t buf[1024];
    int fd = client_open(d, "127.0.0.1");
    size_t len;

    fake_dns_add(d, NAME, "192.0.2.10");
    fake_dns_set_mode(d, FAKE_DNS_SILENT);
    send_query(fd, 1, NAME, DNS_TYPE_A);
    wait_for_queries(d, 1);
    fake_dns_set_mode(d, FAKE_DNS_ANSWER);
    send_query(fd, 2, NAME, DNS_TYPE_A);
    len = recv_reply(fd, buf, sizeof(buf));
    assert_int_equal(dns_parse_response(buf, len, 2, NAME, DNS_TYPE_A, NULL, 0, NULL), DNS_PKT_OK);
    assert_int_equal(fake_dns_queries(d), 2);
    close(fd);
}

static void test_malformed_then_answer_sends_garbage_then_wrong_id_then_the_answer(void **state)
{
    struct fake_dns *d = *state;
    static const enum dns_result expected[3] = {DNS_PKT_MALFORMED, DNS_PKT_MISMATCH, DNS_PKT_OK};
    uint8_t buf[1024];
    nsapi_addr_t got[1];
    int fd = client_open(d, "127.0.0.1");
    int i, count;

    fake_dns_add(d, NAME, "192.0.2.10");
    fake_dns_set_mode(d, FAKE_DNS_MALFORMED_THEN_ANSWER);
    send_query(fd, 7, NAME, DNS_TYPE_A);
    for (i = 0; i < 3; i++) {
        size_t len = recv_reply(fd, buf, sizeof(buf));

        assert_int_equal(dns_parse_response(buf, len, 7, NAME, DNS_TYPE_A, got, 1, &count),
                         expected[i]);
    }
    assert_ipv4(&got[0], "192.0.2.10");
    close(fd);
}

static void test_set_mode_applies_to_the_next_query(void **state)
{
    struct fake_dns *d = *state;

    fake_dns_add(d, NAME, "192.0.2.10");
    assert_int_equal(ask_result(d, NAME, DNS_TYPE_A), DNS_PKT_OK);
    fake_dns_set_mode(d, FAKE_DNS_SERVFAIL);
    assert_int_equal(ask_result(d, NAME, DNS_TYPE_A), DNS_PKT_SERVER_ERROR);
    fake_dns_set_mode(d, FAKE_DNS_ANSWER);
    assert_int_equal(ask_result(d, NAME, DNS_TYPE_A), DNS_PKT_OK);
}

/* ---- counting, starting, stopping ---- */

/* Both datagrams come from one socket, so the server reads the junk before the query. */
static void test_queries_counts_garbage_datagrams_too(void **state)
{
    struct fake_dns *d = *state;
    uint8_t buf[1024];
    int fd = client_open(d, "127.0.0.1");
    size_t len;

    fake_dns_add(d, NAME, "192.0.2.10");
    assert_int_equal(fake_dns_queries(d), 0);
    assert_int_equal(send(fd, "junk", 4, 0), 4);
    send_query(fd, 3, NAME, DNS_TYPE_A);
    len = recv_reply(fd, buf, sizeof(buf));
    assert_int_equal(dns_parse_response(buf, len, 3, NAME, DNS_TYPE_A, NULL, 0, NULL), DNS_PKT_OK);
    assert_int_equal(fake_dns_queries(d), 2);
    close(fd);
}

static void test_serves_on_ipv6_loopback(void **state)
{
    struct fake_dns *d = fake_dns_start("::1", 0, FAKE_DNS_ANSWER);
    nsapi_addr_t got[1];
    int count;

    (void)state;
    if (!d)
        skip(); /* no IPv6 loopback on this machine */
    fake_dns_add(d, NAME, "2001:db8::1");
    assert_int_equal(ask_on(d, "::1", NAME, DNS_TYPE_AAAA, got, 1, &count), DNS_PKT_OK);
    assert_ipv6(&got[0], "2001:db8::1");
    fake_dns_stop(d);
}

static void test_start_binds_the_given_port_and_fails_when_it_is_taken(void **state)
{
    struct fake_dns *first = *state;

    assert_true(fake_dns_port(first) != 0);
    assert_null(fake_dns_start("127.0.0.1", fake_dns_port(first), FAKE_DNS_ANSWER));
}

static void test_start_rejects_a_name_instead_of_an_ip_literal(void **state)
{
    (void)state;
    assert_null(fake_dns_start("localhost", 0, FAKE_DNS_ANSWER));
}

static void test_stop_returns_within_a_second(void **state)
{
    struct fake_dns *d = fake_dns_start("127.0.0.1", 0, FAKE_DNS_SILENT);
    struct timespec t0, t1;
    double elapsed;

    (void)state;
    assert_non_null(d);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fake_dns_stop(d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(elapsed < 1.0);
}

static void test_stop_ignores_null(void **state)
{
    (void)state;
    fake_dns_stop(NULL);
}

#define SERVER_TEST(f) cmocka_unit_test_setup_teardown(f, start_answering, stop)

int main(void)
{
    const struct CMUnitTest tests[] = {
        SERVER_TEST(test_answer_mode_returns_the_added_ipv4_address),
        SERVER_TEST(test_answer_mode_returns_the_added_ipv6_address),
        SERVER_TEST(test_answer_mode_returns_every_address_of_a_name_in_order),
        SERVER_TEST(test_answer_mode_matches_names_without_regard_to_case),
        SERVER_TEST(test_answer_mode_gives_nodata_for_a_name_known_for_the_other_type),
        SERVER_TEST(test_answer_mode_gives_nxdomain_for_an_unknown_name),
        SERVER_TEST(test_answer_mode_sets_tc_when_addresses_overflow_512_bytes),
        SERVER_TEST(test_nxdomain_mode_answers_nxdomain_even_for_known_names),
        SERVER_TEST(test_servfail_mode_answers_server_error),
        SERVER_TEST(test_nodata_mode_answers_nodata_even_for_known_names),
        SERVER_TEST(test_silent_mode_counts_but_never_answers),
        SERVER_TEST(test_malformed_then_answer_sends_garbage_then_wrong_id_then_the_answer),
        SERVER_TEST(test_set_mode_applies_to_the_next_query),
        SERVER_TEST(test_queries_counts_garbage_datagrams_too),
        cmocka_unit_test(test_serves_on_ipv6_loopback),
        SERVER_TEST(test_start_binds_the_given_port_and_fails_when_it_is_taken),
        cmocka_unit_test(test_start_rejects_a_name_instead_of_an_ip_literal),
        cmocka_unit_test(test_stop_returns_within_a_second),
        cmocka_unit_test(test_stop_ignores_null),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
