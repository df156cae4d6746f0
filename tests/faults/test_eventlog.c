/*
 * test_eventlog.c: the event log (DESIGN §5), read back from its file: the first line
 * records the seed; each fault kind, when it strikes, writes its line
 * `t=SECONDS SUBJECT WHAT key=value ...`, where sock=N is the socket's ordinal (1 = the
 * first opened) and the device's kernel-chosen ports never appear; knob changes through
 * the control API are logged too.
 *
 * meson.build runs this program with NSEMU_LOG (its path is argv[1]), NSEMU_SEED=5,
 * dns_static.ini as scenario, dns.timeout_ms=200, dns.retries=0 and
 * device.dhcp_timeout_ms=200.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "fake_dns.h"
#include "faults_support.h"
#include "harness.h"

static const char *log_path;

/* What a test logged: the log's text from the test's start on. */
struct logged {
    long mark;
    char *text;
    char line[512];
};

static int log_start(void **state)
{
    struct logged *l = calloc(1, sizeof(*l));

    if (l == NULL || nsemu_reset() != NSAPI_ERROR_OK)
        return -1;
    l->mark = log_mark(log_path);
    *state = l;
    return 0;
}

static int log_end(void **state)
{
    struct logged *l = *state;

    free(l->text);
    free(l);
    return nsemu_reset() == NSAPI_ERROR_OK ? 0 : -1;
}

/* Reads what was logged since the test started. */
static const char *logged_now(struct logged *l)
{
    free(l->text);
    l->text = log_since(log_path, l->mark);
    return l->text;
}

/* The text of "sock=N" for the socket opened last. */
static const char *last_sock(char *buf, size_t len)
{
    uint64_t n = 0;

    assert_int_equal(nsemu_counter("sockets.opened", &n), NSAPI_ERROR_OK);
    snprintf(buf, len, "sock=%" PRIu64 " ", n);
    return buf;
}

static const char *peer_text(char *buf, size_t len, const char *dir, uint16_t port)
{
    snprintf(buf, len, "%s=127.0.0.1:%u", dir, port);
    return buf;
}

/* ---- the first line ------------------------------------------------------------------ */

static void test_the_first_line_records_the_seed(void **state)
{
    char *text = log_since(log_path, 0);
    char first[128];

    (void)state;
    assert_true(sscanf(text, "%127[^\n]", first) == 1);
    assert_string_equal(first, "nsemu " NSEMU_VERSION " seed=5");
    free(text);
}

/* ---- UDP faults ---------------------------------------------------------------------- */

/* A device UDP socket (unbound until its first sendto) and a POSIX peer. */
struct udp_case {
    udp_socket_t *s;
    char sock[32];
    int fd;
    uint16_t peer_port, device_port;
    char to[64], from[64];
};

static void udp_case_open(struct udp_case *c)
{
    c->s = udp_socket_new();
    assert_non_null(c->s);
    assert_int_equal(socket_open(c->s, up_interface()), NSAPI_ERROR_OK);
    socket_set_timeout(c->s, 200);
    last_sock(c->sock, sizeof(c->sock));
    c->peer_port = 0;
    c->fd = posix_udp_socket("127.0.0.1", &c->peer_port);
    peer_text(c->to, sizeof(c->to), "to", c->peer_port);
    peer_text(c->from, sizeof(c->from), "from", c->peer_port);
}

static void udp_case_close(struct udp_case *c)
{
    socket_delete(c->s);
    close(c->fd);
}

/* The device sends len bytes; the peer's received length (or -1), and it learns the
 * device's kernel-chosen port. */
static ssize_t udp_case_out(struct udp_case *c, size_t len, int wait_ms)
{
    uint8_t buf[512];
    socket_address_t to;
    ssize_t n;

    memset(buf, 'u', sizeof(buf));
    addr_of(&to, "127.0.0.1", c->peer_port);
    assert_int_equal(udp_socket_sendto(c->s, &to, buf, (nsapi_size_t)len), (int)len);
    n = posix_recvfrom_within(c->fd, buf, sizeof(buf), wait_ms, NULL, &c->device_port);
    return n;
}

/* The peer sends len bytes to the device's port; the device's result. */
static nsapi_size_or_error_t udp_case_in(struct udp_case *c, size_t len)
{
    uint8_t buf[512];

    memset(buf, 'i', sizeof(buf));
    assert_true(c->device_port != 0);
    posix_sendto(c->fd, "127.0.0.1", c->device_port, buf, len);
    return udp_socket_recvfrom(c->s, NULL, buf, sizeof(buf));
}

/* No line names the device's kernel-chosen port. */
static void assert_port_absent(const char *text, uint16_t port)
{
    char a[16], b[16];

    snprintf(a, sizeof(a), ":%u\n", port);
    snprintf(b, sizeof(b), ":%u ", port);
    assert_null(strstr(text, a));
    assert_null(strstr(text, b));
}

static void test_udp_loss_logs_each_dropped_datagram(void **state)
{
    struct logged *l = *state;
    struct udp_case c;

    udp_case_open(&c);
    assert_true(udp_case_out(&c, 10, WAIT_MS) == 10); /* learns the device's port */
    assert_int_equal(nsemu_set("udp.loss", "1"), NSAPI_ERROR_OK);
    assert_true(udp_case_out(&c, 100, 200) < 0);
    assert_int_equal(udp_case_in(&c, 50), NSAPI_ERROR_WOULD_BLOCK);
    logged_now(l);
    assert_true(
        log_find(l->text, l->line, sizeof(l->line), c.sock, "udp.loss drop len=100 ", c.to, NULL));
    assert_true(
        log_find(l->text, l->line, sizeof(l->line), c.sock, "udp.loss drop len=50 ", c.from, NULL));
    assert_true(log_find(l->text, l->line, sizeof(l->line), "control set udp.loss 1", NULL));
    assert_port_absent(l->text, c.device_port);
    udp_case_close(&c);
}

static void test_udp_dup_logs_each_doubled_datagram(void **state)
{
    struct logged *l = *state;
    struct udp_case c;

    udp_case_open(&c);
    assert_int_equal(nsemu_set("udp.dup", "1"), NSAPI_ERROR_OK);
    assert_true(udp_case_out(&c, 100, WAIT_MS) == 100);
    assert_int_equal(udp_case_in(&c, 50), 50);
    logged_now(l);
    assert_true(
        log_find(l->text, l->line, sizeof(l->line), c.sock, "udp.dup dup len=100 ", c.to, NULL));
    assert_true(
        log_find(l->text, l->line, sizeof(l->line), c.sock, "udp.dup dup len=50 ", c.from, NULL));
    assert_port_absent(l->text, c.device_port);
    udp_case_close(&c);
}

static void test_udp_reorder_logs_each_held_datagram(void **state)
{
    struct logged *l = *state;
    struct udp_case c;

    udp_case_open(&c);
    assert_int_equal(nsemu_set("udp.reorder", "1"), NSAPI_ERROR_OK);
    assert_true(udp_case_out(&c, 100, WAIT_MS) == 100);
    assert_int_equal(udp_case_in(&c, 50), 50);
    logged_now(l);
    assert_true(log_find(l->text, l->line, sizeof(l->line), c.sock, "udp.reorder hold len=100 ",
                         c.to, NULL));
    assert_true(log_find(l->text, l->line, sizeof(l->line), c.sock, "udp.reorder hold len=50 ",
                         c.from, NULL));
    assert_port_absent(l->text, c.device_port);
    udp_case_close(&c);
}

static void test_udp_truncate_logs_each_cut_datagram_with_its_new_length(void **state)
{
    struct logged *l = *state;
    struct udp_case c;
    char out_len[32], in_len[32];
    nsapi_size_or_error_t in;
    ssize_t out;

    udp_case_open(&c);
    assert_int_equal(nsemu_set("udp.truncate", "1"), NSAPI_ERROR_OK);
    out = udp_case_out(&c, 100, WAIT_MS);
    assert_in_range(out, 0, 99);
    in = udp_case_in(&c, 50);
    assert_in_range(in, 0, 49);
    snprintf(out_len, sizeof(out_len), "to_len=%zd ", out);
    snprintf(in_len, sizeof(in_len), "to_len=%d ", (int)in);
    logged_now(l);
    assert_true(log_find(l->text, l->line, sizeof(l->line), c.sock, "udp.truncate cut len=100 ",
                         out_len, c.to, NULL));
    assert_true(log_find(l->text, l->line, sizeof(l->line), c.sock, "udp.truncate cut len=50 ",
                         in_len, c.from, NULL));
    udp_case_close(&c);
}

/* ---- TCP faults ---------------------------------------------------------------------- */

static void test_tcp_connect_logs_refusals_and_timeouts(void **state)
{
    struct logged *l = *state;
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    tcp_socket_t *s = tcp_socket_new();
    char sock[32], to[64];
    socket_address_t addr;

    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    last_sock(sock, sizeof(sock));
    peer_text(to, sizeof(to), "to", port);
    addr_of(&addr, "127.0.0.1", port);
    socket_set_timeout(s, 100);
    assert_int_equal(nsemu_set("tcp.connect", "refuse"), NSAPI_ERROR_OK);
    assert_int_equal(tcp_socket_connect(s, &addr), NSAPI_ERROR_NO_CONNECTION);
    assert_int_equal(nsemu_set("tcp.connect", "timeout"), NSAPI_ERROR_OK);
    assert_int_equal(tcp_socket_connect(s, &addr), NSAPI_ERROR_CONNECTION_TIMEOUT);
    logged_now(l);
    assert_true(log_find(l->text, l->line, sizeof(l->line), sock, "tcp.connect refuse ", to, NULL));
    assert_true(
        log_find(l->text, l->line, sizeof(l->line), sock, "tcp.connect timeout ", to, NULL));
    close(lfd);
    socket_delete(s);
}

static void test_tcp_reset_after_bytes_logs_the_reset(void **state)
{
    struct logged *l = *state;
    tcp_socket_t *s;
    char sock[32];
    int peer;

    assert_int_equal(nsemu_set("tcp.reset_after_bytes", "10"), NSAPI_ERROR_OK);
    tcp_pair(up_interface(), &s, &peer);
    last_sock(sock, sizeof(sock));
    assert_int_equal(tcp_socket_send(s, "0123456789abcdef", 16), 10);
    logged_now(l);
    assert_true(
        log_find(l->text, l->line, sizeof(l->line), sock, "tcp.reset_after_bytes reset", NULL));
    close(peer);
    socket_delete(s);
}

/* Knobs that shape rather than strike leave their changes in the log. */
static void test_control_changes_of_knobs_are_logged(void **state)
{
    struct logged *l = *state;

    assert_int_equal(nsemu_set("tcp.latency_ms", "50"), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_set("tcp.rate_kbps", "800"), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_set("tcp.send_chunk", "3"), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_set("tcp.recv_chunk", "4"), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_set("device.connect_timeout_ms", "500"), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_clear("tcp.latency_ms"), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_reset(), NSAPI_ERROR_OK);
    logged_now(l);
    assert_true(log_find(l->text, l->line, sizeof(l->line), "control set tcp.latency_ms 50", NULL));
    assert_true(log_find(l->text, l->line, sizeof(l->line), "control set tcp.rate_kbps 800", NULL));
    assert_true(log_find(l->text, l->line, sizeof(l->line), "control set tcp.send_chunk 3", NULL));
    assert_true(log_find(l->text, l->line, sizeof(l->line), "control set tcp.recv_chunk 4", NULL));
    assert_true(log_find(l->text, l->line, sizeof(l->line),
                         "control set device.connect_timeout_ms 500", NULL));
    assert_true(log_find(l->text, l->line, sizeof(l->line), "control clear tcp.latency_ms", NULL));
    assert_true(log_find(l->text, l->line, sizeof(l->line), "control reset", NULL));
}

static void test_a_refused_set_is_not_logged(void **state)
{
    struct logged *l = *state;

    assert_int_equal(nsemu_set("udp.loss", "7"), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_set("device.sockets", "3"), NSAPI_ERROR_PARAMETER);
    logged_now(l);
    assert_false(log_find(l->text, l->line, sizeof(l->line), "udp.loss 7", NULL));
    assert_false(log_find(l->text, l->line, sizeof(l->line), "device.sockets", NULL));
}

/* ---- DNS ----------------------------------------------------------------------------- */

struct dns_case {
    network_interface_t *ni;
    struct fake_dns *dns;
    char server[64];
};

static void dns_case_open(struct dns_case *c)
{
    socket_address_t server;

    c->ni = ethernet_interface_new();
    c->dns = fake_dns_start("127.0.0.1", 0, FAKE_DNS_ANSWER);
    assert_non_null(c->ni);
    assert_non_null(c->dns);
    assert_int_equal(network_interface_connect(c->ni), NSAPI_ERROR_OK);
    fake_dns_add(c->dns, "device.example", "127.0.0.7");
    addr_of(&server, "127.0.0.1", fake_dns_port(c->dns));
    assert_int_equal(network_interface_add_dns_server(c->ni, &server), NSAPI_ERROR_OK);
    snprintf(c->server, sizeof(c->server), "server=127.0.0.1:%u", fake_dns_port(c->dns));
}

static void dns_case_close(struct dns_case *c)
{
    network_interface_delete(c->ni);
    fake_dns_stop(c->dns);
}

static nsapi_error_t dns_case_lookup(struct dns_case *c, const char *name)
{
    socket_address_t out;

    return network_interface_gethostbyname(c->ni, name, &out, NSAPI_IPv4);
}

static void test_dns_lookups_log_query_and_answer(void **state)
{
    struct logged *l = *state;
    struct dns_case c;

    dns_case_open(&c);
    assert_int_equal(dns_case_lookup(&c, "device.example"), NSAPI_ERROR_OK);
    logged_now(l);
    assert_true(log_find(l->text, l->line, sizeof(l->line), "dns query name=device.example type=A ",
                         c.server, NULL));
    assert_true(log_find(l->text, l->line, sizeof(l->line),
                         "dns answer name=device.example addr=127.0.0.7 ", c.server, NULL));
    dns_case_close(&c);
}

static void test_dns_mode_logs_failures_and_timeouts(void **state)
{
    struct logged *l = *state;
    struct dns_case c;

    dns_case_open(&c);
    assert_int_equal(nsemu_set("dns.mode", "fail"), NSAPI_ERROR_OK);
    assert_int_equal(dns_case_lookup(&c, "device.example"), NSAPI_ERROR_DNS_FAILURE);
    assert_int_equal(nsemu_set("dns.mode", "timeout"), NSAPI_ERROR_OK);
    assert_int_equal(dns_case_lookup(&c, "device.example"), NSAPI_ERROR_DNS_FAILURE);
    logged_now(l);
    assert_true(log_find(l->text, l->line, sizeof(l->line), "dns.mode fail ", c.server, NULL));
    assert_true(log_find(l->text, l->line, sizeof(l->line), "dns.mode timeout ", c.server, NULL));
    dns_case_close(&c);
}

static void test_dns_delay_logs_each_delayed_answer(void **state)
{
    struct logged *l = *state;
    struct dns_case c;

    dns_case_open(&c);
    assert_int_equal(nsemu_set("dns.delay_ms", "20"), NSAPI_ERROR_OK);
    assert_int_equal(dns_case_lookup(&c, "device.example"), NSAPI_ERROR_OK);
    logged_now(l);
    assert_true(log_find(l->text, l->line, sizeof(l->line), "dns.delay_ms delay ms=20", NULL));
    dns_case_close(&c);
}

static void test_static_names_log_their_answer(void **state)
{
    struct logged *l = *state;
    struct dns_case c;

    dns_case_open(&c);
    assert_int_equal(dns_case_lookup(&c, "broker.example"), NSAPI_ERROR_OK);
    logged_now(l);
    assert_true(log_find(l->text, l->line, sizeof(l->line),
                         "dns static name=broker.example addr=127.0.0.9", NULL));
    assert_false(log_find(l->text, l->line, sizeof(l->line), "dns query", NULL));
    dns_case_close(&c);
}

/* ---- DHCP ---------------------------------------------------------------------------- */

static nsapi_error_t connect_new_interface(void)
{
    network_interface_t *ni = ethernet_interface_new();
    nsapi_error_t r;

    assert_non_null(ni);
    r = network_interface_connect(ni);
    network_interface_delete(ni);
    return r;
}

static void test_ethernet_dhcp_logs_each_exchange(void **state)
{
    struct logged *l = *state;

    assert_int_equal(connect_new_interface(), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_set("ethernet.dhcp", "nak"), NSAPI_ERROR_OK);
    assert_int_equal(connect_new_interface(), NSAPI_ERROR_DHCP_FAILURE);
    assert_int_equal(nsemu_set("ethernet.dhcp", "fail"), NSAPI_ERROR_OK);
    assert_int_equal(connect_new_interface(), NSAPI_ERROR_DHCP_FAILURE);
    assert_int_equal(nsemu_set("ethernet.dhcp", "delay_ms:20"), NSAPI_ERROR_OK);
    assert_int_equal(connect_new_interface(), NSAPI_ERROR_OK);
    logged_now(l);
    assert_true(log_find(l->text, l->line, sizeof(l->line), "dhcp discover", NULL));
    assert_true(log_find(l->text, l->line, sizeof(l->line), "dhcp lease ip=127.0.0.1", NULL));
    assert_true(log_find(l->text, l->line, sizeof(l->line), "dhcp nak", NULL));
    assert_true(
        log_find(l->text, l->line, sizeof(l->line), "dhcp fail no-offer timeout_ms=200", NULL));
    assert_true(log_find(l->text, l->line, sizeof(l->line), "dhcp delay ms=20", NULL));
}

/* ---- the shape of every line --------------------------------------------------------- */

static void test_every_line_after_the_first_starts_with_its_time(void **state)
{
    char *text = log_since(log_path, 0);
    double last = 0;
    int lines = 0;

    (void)state;
    for (char *p = strchr(text, '\n'); p != NULL && p[1] != '\0'; p = strchr(p + 1, '\n')) {
        const char *line = p + 1;
        double t;
        int used = 0;

        assert_int_equal(sscanf(line, "t=%lf %n", &t, &used), 1);
        assert_true(used > 0 && line[used] != ' ' && line[used] != '\n');
        assert_true(t >= last); /* one mutex writes them in order */
        last = t;
        lines++;
    }
    assert_true(lines > 20);
    free(text);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, log_start, log_end)
        T(test_the_first_line_records_the_seed),
        T(test_udp_loss_logs_each_dropped_datagram),
        T(test_udp_dup_logs_each_doubled_datagram),
        T(test_udp_reorder_logs_each_held_datagram),
        T(test_udp_truncate_logs_each_cut_datagram_with_its_new_length),
        T(test_tcp_connect_logs_refusals_and_timeouts),
        T(test_tcp_reset_after_bytes_logs_the_reset),
        T(test_control_changes_of_knobs_are_logged),
        T(test_a_refused_set_is_not_logged),
        T(test_dns_lookups_log_query_and_answer),
        T(test_dns_mode_logs_failures_and_timeouts),
        T(test_dns_delay_logs_each_delayed_answer),
        T(test_static_names_log_their_answer),
        T(test_ethernet_dhcp_logs_each_exchange),
        T(test_every_line_after_the_first_starts_with_its_time),
#undef T
    };

    if (argc != 2) {
        fprintf(stderr, "usage: %s EVENT_LOG\n", argv[0]);
        return 2;
    }
    log_path = argv[1];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
