/*
 * test_control.c: the control API of <nsemu/nsemu.h> (DESIGN §5): nsemu_set refuses
 * start-up knobs, unknown knobs and bad values with PARAMETER and leaves the knob as it
 * was; nsemu_clear and nsemu_reset go back to start-up values, which include what
 * NSEMU_FAULTS set; nsemu_get reads any knob; nsemu_counter knows its names and counts.
 *
 * meson.build starts this program with NSEMU_FAULTS=dns.resolv_conf=,
 * tcp.send_chunk=512, dns.mode=fail, device.connect_timeout_ms=4000: start-up values
 * that differ from the defaults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "faults_support.h"
#include "harness.h"

/* Every knob with its start-up value in this program. */
static const struct {
    const char *name, *startup;
} knobs[] = {
    {"device.sockets", "16"},
    {"device.udp_max", "65507"},
    {"device.mac", "02:00:00:00:00:01"},
    {"device.connect_timeout_ms", "4000"},
    {"device.dhcp_timeout_ms", "10000"},
    {"host.address", "127.0.0.1"},
    {"host.address6", "::1"},
    {"host.expose", "false"},
    {"host.port_offset", "8000"},
    {"tap.pcap", ""},
    {"tap.far", "gateway"},
    {"ethernet.dhcp", "ok"},
    {"wifi.ssid", ""},
    {"wifi.password", ""},
    {"wifi.security", "none"},
    {"wifi.assoc_timeout_ms", "10000"},
    {"dns.mode", "fail"},
    {"dns.delay_ms", "0"},
    {"dns.servers", ""},
    {"dns.resolv_conf", ""},
    {"dns.timeout_ms", "2000"},
    {"dns.retries", "1"},
    {"udp.loss", "0"},
    {"udp.dup", "0"},
    {"udp.reorder", "0"},
    {"udp.truncate", "0"},
    {"tcp.connect", "ok"},
    {"tcp.latency_ms", "0"},
    {"tcp.rate_kbps", "0"},
    {"tcp.send_chunk", "512"},
    {"tcp.recv_chunk", "0"},
    {"tcp.reset_after_bytes", "0"},
    {"frame.loss", "0"},
    {"frame.dup", "0"},
    {"frame.corrupt", "0"},
    {"frame.reorder", "0"},
    {"frame.delay_ms", "0"},
    {"frame.jitter_ms", "0"},
    {"frame.rate_kbps", "0"},
};

/* Every runtime knob (DESIGN §5) with a good value other than its start-up one. */
static const struct {
    const char *name, *value;
} runtime[] = {
    {"device.connect_timeout_ms", "1234"},
    {"ethernet.dhcp", "delay_ms:5"},
    {"dns.mode", "timeout"},
    {"dns.delay_ms", "25"},
    {"udp.loss", "0.25"},
    {"udp.dup", "0.5"},
    {"udp.reorder", "0.125"},
    {"udp.truncate", "1"},
    {"tcp.connect", "refuse"},
    {"tcp.latency_ms", "60000"},
    {"tcp.rate_kbps", "10000000"},
    {"tcp.send_chunk", "0"},
    {"tcp.recv_chunk", "1048576"},
    {"tcp.reset_after_bytes", "2147483647"},
};

static const char *const counters[] = {
    "sockets.open",        "sockets.opened",     "bytes.sent",
    "bytes.received",      "datagrams.sent",     "datagrams.received",
    "tcp.connects",        "tcp.accepts",        "dns.queries",
    "faults.udp.loss",     "faults.udp.dup",     "faults.udp.reorder",
    "faults.udp.truncate", "faults.tcp.connect", "faults.tcp.reset_after_bytes",
};

static void assert_knob(const char *knob, const char *expect)
{
    char value[256];

    assert_int_equal(nsemu_get(knob, value, sizeof(value)), NSAPI_ERROR_OK);
    assert_string_equal(value, expect);
}

static uint64_t counter(const char *name)
{
    uint64_t v = UINT64_MAX;

    assert_int_equal(nsemu_counter(name, &v), NSAPI_ERROR_OK);
    return v;
}

/* ---- nsemu_get ------------------------------------------------------------------- */

static void test_get_reads_every_knob_at_its_start_up_value(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
        assert_knob(knobs[i].name, knobs[i].startup);
}

static void test_get_of_an_unknown_knob_returns_parameter(void **state)
{
    char value[64];

    (void)state;
    assert_int_equal(nsemu_get("udp.nonsense", value, sizeof(value)), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_get("loss", value, sizeof(value)), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_get("", value, sizeof(value)), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_get(NULL, value, sizeof(value)), NSAPI_ERROR_PARAMETER);
}

static void test_get_needs_room_for_the_value_and_its_nul(void **state)
{
    char value[5];

    (void)state;
    assert_int_equal(nsemu_get("device.connect_timeout_ms", value, 4), NSAPI_ERROR_NO_MEMORY);
    assert_int_equal(nsemu_get("device.connect_timeout_ms", value, 5), NSAPI_ERROR_OK);
    assert_string_equal(value, "4000");
    assert_int_equal(nsemu_get("tap.pcap", value, 1), NSAPI_ERROR_OK);
    assert_string_equal(value, "");
}

/* ---- nsemu_set ------------------------------------------------------------------- */

static void test_set_changes_every_runtime_knob(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(runtime) / sizeof(runtime[0]); i++) {
        assert_int_equal(nsemu_set(runtime[i].name, runtime[i].value), NSAPI_ERROR_OK);
        assert_knob(runtime[i].name, runtime[i].value);
    }
}

static void test_set_of_a_start_up_knob_returns_parameter_and_changes_nothing(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
        bool is_runtime = false;

        for (size_t j = 0; j < sizeof(runtime) / sizeof(runtime[0]); j++)
            is_runtime |= strcmp(runtime[j].name, knobs[i].name) == 0;
        if (is_runtime || strncmp(knobs[i].name, "frame.", 6) == 0)
            continue;
        assert_int_equal(nsemu_set(knobs[i].name, knobs[i].startup), NSAPI_ERROR_PARAMETER);
        assert_knob(knobs[i].name, knobs[i].startup);
    }
    assert_int_equal(nsemu_set("device.sockets", "4"), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_set("dns.timeout_ms", "100"), NSAPI_ERROR_PARAMETER);
    assert_knob("device.sockets", "16");
    assert_knob("dns.timeout_ms", "2000");
}

/* Like a frame.* key in the scenario file or NSEMU_FAULTS on the host link. */
static void test_set_of_a_knob_of_the_other_link_returns_parameter(void **state)
{
    (void)state;
    assert_int_equal(nsemu_set("frame.loss", "0.5"), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_set("frame.delay_ms", "10"), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_clear("frame.loss"), NSAPI_ERROR_PARAMETER);
    assert_knob("frame.loss", "0");
    assert_knob("frame.delay_ms", "0");
}

static void test_set_of_an_unknown_knob_returns_parameter(void **state)
{
    (void)state;
    assert_int_equal(nsemu_set("udp.nonsense", "1"), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_set("UDP.LOSS", "1"), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_set("faults.udp.loss", "1"), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_set("", "1"), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_set(NULL, "1"), NSAPI_ERROR_PARAMETER);
}

static void test_set_with_a_bad_value_returns_parameter_and_changes_nothing(void **state)
{
    static const struct {
        const char *name, *value;
    } bad[] = {
        {"udp.loss", "2"},
        {"udp.loss", "-0.1"},
        {"udp.loss", "half"},
        {"udp.loss", ""},
        {"udp.dup", "1.5"},
        {"udp.reorder", "0.5x"},
        {"udp.truncate", "nan"},
        {"tcp.connect", "sometimes"},
        {"tcp.connect", "OK"},
        {"tcp.latency_ms", "60001"},
        {"tcp.latency_ms", "-1"},
        {"tcp.latency_ms", "10ms"},
        {"tcp.rate_kbps", "10000001"},
        {"tcp.send_chunk", "1048577"},
        {"tcp.recv_chunk", "1.5"},
        {"tcp.reset_after_bytes", "2147483648"},
        {"dns.mode", "slow"},
        {"dns.delay_ms", "3600001"},
        {"ethernet.dhcp", "delay_ms:"},
        {"ethernet.dhcp", "delay_ms:-1"},
        {"ethernet.dhcp", "maybe"},
        {"device.connect_timeout_ms", "0"},
        {"udp.loss", NULL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char before[256];

        assert_int_equal(nsemu_get(bad[i].name, before, sizeof(before)), NSAPI_ERROR_OK);
        assert_int_equal(nsemu_set(bad[i].name, bad[i].value), NSAPI_ERROR_PARAMETER);
        assert_knob(bad[i].name, before);
    }
}

static void test_a_set_takes_effect_on_the_next_call(void **state)
{
    uint8_t data[1000];
    tcp_socket_t *s;
    int peer;

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    /* tcp.send_chunk=512 from NSEMU_FAULTS is in force from the start. */
    assert_int_equal(tcp_socket_send(s, data, sizeof(data)), 512);
    assert_int_equal(nsemu_set("tcp.send_chunk", "100"), NSAPI_ERROR_OK);
    assert_int_equal(tcp_socket_send(s, data, sizeof(data)), 100);
    assert_int_equal(nsemu_set("tcp.send_chunk", "0"), NSAPI_ERROR_OK);
    assert_int_equal(tcp_socket_send(s, data, sizeof(data)), (int)sizeof(data));
    assert_int_equal(nsemu_clear("tcp.send_chunk"), NSAPI_ERROR_OK);
    assert_int_equal(tcp_socket_send(s, data, sizeof(data)), 512);
    close(peer);
    socket_delete(s);
}

/* ---- nsemu_clear and nsemu_reset ----------------------------------------------------- */

static void test_clear_restores_the_start_up_value_from_the_environment(void **state)
{
    (void)state;
    assert_int_equal(nsemu_set("tcp.send_chunk", "7"), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_set("dns.mode", "ok"), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_set("udp.loss", "0.5"), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_clear("tcp.send_chunk"), NSAPI_ERROR_OK);
    assert_knob("tcp.send_chunk", "512");
    assert_knob("dns.mode", "ok"); /* the others stay as set */
    assert_knob("udp.loss", "0.5");
    assert_int_equal(nsemu_clear("dns.mode"), NSAPI_ERROR_OK);
    assert_knob("dns.mode", "fail");
    assert_int_equal(nsemu_clear("udp.loss"), NSAPI_ERROR_OK);
    assert_knob("udp.loss", "0");
}

static void test_clear_of_an_unknown_or_start_up_knob_returns_parameter(void **state)
{
    (void)state;
    assert_int_equal(nsemu_clear("udp.nonsense"), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_clear("device.sockets"), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_clear(NULL), NSAPI_ERROR_PARAMETER);
}

static void test_reset_restores_every_runtime_knob(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(runtime) / sizeof(runtime[0]); i++)
        assert_int_equal(nsemu_set(runtime[i].name, runtime[i].value), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_reset(), NSAPI_ERROR_OK);
    for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
        assert_knob(knobs[i].name, knobs[i].startup);
}

/* ---- nsemu_counter ----------------------------------------------------------------- */

static void test_every_counter_name_is_known(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
        counter(counters[i]);
}

static void test_an_unknown_counter_returns_parameter(void **state)
{
    uint64_t v = 42;

    (void)state;
    assert_int_equal(nsemu_counter("sockets.nonsense", &v), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_counter("udp.loss", &v), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_counter(NULL, &v), NSAPI_ERROR_PARAMETER);
    assert_int_equal(nsemu_counter("sockets.open", NULL), NSAPI_ERROR_PARAMETER);
    assert_int_equal(v, 42);
}

static void test_socket_counters_follow_open_and_close(void **state)
{
    uint64_t open = counter("sockets.open"), opened = counter("sockets.opened");
    udp_socket_t *s = udp_socket_new();

    (void)state;
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(counter("sockets.open"), open + 1);
    assert_int_equal(counter("sockets.opened"), opened + 1);
    assert_int_equal(socket_close(s), NSAPI_ERROR_OK);
    assert_int_equal(counter("sockets.open"), open);
    assert_int_equal(counter("sockets.opened"), opened + 1);
    socket_delete(s);
}

static void test_datagram_and_byte_counters_count_udp(void **state)
{
    uint64_t sent = counter("bytes.sent"), received = counter("bytes.received");
    uint64_t dsent = counter("datagrams.sent"), dreceived = counter("datagrams.received");
    uint16_t port, peer_port = 0;
    udp_socket_t *s = udp_bound(up_interface(), &port, WAIT_MS);
    int fd = posix_udp_socket("127.0.0.1", &peer_port);
    socket_address_t to;
    char buf[64];

    (void)state;
    addr_of(&to, "127.0.0.1", peer_port);
    assert_int_equal(udp_socket_sendto(s, &to, "0123456789", 10), 10);
    assert_int_equal(posix_recvfrom_within(fd, buf, sizeof(buf), WAIT_MS, NULL, NULL), 10);
    posix_sendto(fd, "127.0.0.1", port, "abc", 3);
    assert_int_equal(udp_socket_recvfrom(s, NULL, buf, sizeof(buf)), 3);
    assert_int_equal(counter("bytes.sent"), sent + 10);
    assert_int_equal(counter("bytes.received"), received + 3);
    assert_int_equal(counter("datagrams.sent"), dsent + 1);
    assert_int_equal(counter("datagrams.received"), dreceived + 1);
    close(fd);
    socket_delete(s);
}

static void test_tcp_counters_count_connects_and_accepts(void **state)
{
    uint64_t connects = counter("tcp.connects"), accepts = counter("tcp.accepts");
    tcp_server_t *server = tcp_server_new();
    tcp_socket_t *conn = tcp_socket_new(), *s;
    uint16_t port = free_port("127.0.0.1");
    int peer, client;

    (void)state;
    tcp_pair(up_interface(), &s, &peer); /* the device connects */
    assert_int_equal(counter("tcp.connects"), connects + 1);
    assert_int_equal(socket_open(server, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(server, port), NSAPI_ERROR_OK);
    assert_int_equal(tcp_server_listen(server, 1), NSAPI_ERROR_OK);
    client = posix_connect_to("127.0.0.1", port);
    socket_set_timeout(server, WAIT_MS);
    assert_int_equal(tcp_server_accept(server, conn, NULL), NSAPI_ERROR_OK);
    assert_int_equal(counter("tcp.accepts"), accepts + 1);
    assert_int_equal(counter("tcp.connects"), connects + 1);
    close(client);
    close(peer);
    socket_delete(conn);
    socket_delete(server);
    socket_delete(s);
}

/* Sends n datagrams of 10 bytes from the device and n from the peer, and reads what
 * the device gets, so every fault has had its chance both ways. */
static void datagrams_both_ways(int n)
{
    uint16_t port, peer_port = 0;
    udp_socket_t *s = udp_bound(up_interface(), &port, 50);
    int fd = posix_udp_socket("127.0.0.1", &peer_port);
    socket_address_t to;
    char buf[16];

    addr_of(&to, "127.0.0.1", peer_port);
    for (int i = 0; i < n; i++) {
        assert_int_equal(udp_socket_sendto(s, &to, "0123456789", 10), 10);
        posix_sendto(fd, "127.0.0.1", port, "0123456789", 10);
    }
    while (udp_socket_recvfrom(s, NULL, buf, sizeof(buf)) >= 0)
        ;
    close(fd);
    socket_delete(s);
}

static void test_fault_counters_count_each_fault_applied(void **state)
{
    static const char *const udp[] = {"udp.loss", "udp.dup", "udp.reorder", "udp.truncate"};
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);
    tcp_socket_t *s;
    socket_address_t to;
    uint64_t before;
    int peer;

    (void)state;
    for (size_t i = 0; i < sizeof(udp) / sizeof(udp[0]); i++) {
        char name[64];

        snprintf(name, sizeof(name), "faults.%s", udp[i]);
        before = counter(name);
        datagrams_both_ways(3); /* off: nothing counted */
        assert_int_equal(counter(name), before);
        assert_int_equal(nsemu_set(udp[i], "1"), NSAPI_ERROR_OK);
        datagrams_both_ways(3);
        assert_int_equal(counter(name), before + 6);
        assert_int_equal(nsemu_clear(udp[i]), NSAPI_ERROR_OK);
    }

    before = counter("faults.tcp.connect");
    addr_of(&to, "127.0.0.1", port);
    s = tcp_socket_new();
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    socket_set_timeout(s, 50);
    assert_int_equal(nsemu_set("tcp.connect", "refuse"), NSAPI_ERROR_OK);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_NO_CONNECTION);
    assert_int_equal(nsemu_set("tcp.connect", "timeout"), NSAPI_ERROR_OK);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_CONNECTION_TIMEOUT);
    assert_int_equal(counter("faults.tcp.connect"), before + 2);
    socket_delete(s);
    assert_int_equal(nsemu_clear("tcp.connect"), NSAPI_ERROR_OK);

    before = counter("faults.tcp.reset_after_bytes");
    assert_int_equal(nsemu_set("tcp.send_chunk", "0"), NSAPI_ERROR_OK);
    assert_int_equal(nsemu_set("tcp.reset_after_bytes", "4"), NSAPI_ERROR_OK);
    tcp_pair(up_interface(), &s, &peer);
    assert_int_equal(tcp_socket_send(s, "0123456789", 10), 4);
    assert_int_equal(tcp_socket_send(s, "0123456789", 10), NSAPI_ERROR_CONNECTION_LOST);
    assert_int_equal(counter("faults.tcp.reset_after_bytes"), before + 1); /* once */
    close(peer);
    close(lfd);
    socket_delete(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, knobs_reset, knobs_reset)
        T(test_get_reads_every_knob_at_its_start_up_value),
        T(test_get_of_an_unknown_knob_returns_parameter),
        T(test_get_needs_room_for_the_value_and_its_nul),
        T(test_set_changes_every_runtime_knob),
        T(test_set_of_a_start_up_knob_returns_parameter_and_changes_nothing),
        T(test_set_of_a_knob_of_the_other_link_returns_parameter),
        T(test_set_of_an_unknown_knob_returns_parameter),
        T(test_set_with_a_bad_value_returns_parameter_and_changes_nothing),
        T(test_a_set_takes_effect_on_the_next_call),
        T(test_clear_restores_the_start_up_value_from_the_environment),
        T(test_clear_of_an_unknown_or_start_up_knob_returns_parameter),
        T(test_reset_restores_every_runtime_knob),
        T(test_every_counter_name_is_known),
        T(test_an_unknown_counter_returns_parameter),
        T(test_socket_counters_follow_open_and_close),
        T(test_datagram_and_byte_counters_count_udp),
        T(test_tcp_counters_count_connects_and_accepts),
        T(test_fault_counters_count_each_fault_applied),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
