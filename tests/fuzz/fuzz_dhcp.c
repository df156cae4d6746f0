/*
 * fuzz_dhcp.c: libFuzzer target for the DHCP codec (tap/dhcp_packet.c) and the built-in
 * gateway's server logic (tap/dhcp_server.c). Each input is parsed as either kind of
 * message, unwrapped as an IPv4+UDP packet both with and without the UDP checksum
 * check, and answered by a fresh server twice (the second answer sees the binding the
 * first made) in the mode its first byte picks. Every reply must parse back as a
 * BOOTREPLY of the same xid. A message that parses is rebuilt from its decoded fields
 * and must decode to the same fields.
 * Build: see tests/fuzz/meson.build; run: tests/fuzz/run_fuzzers.sh.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"

/* The server logs through the event log; the fuzzer has none. */
void eventlog(const char *fmt, ...);
void eventlog(const char *fmt, ...)
{
    (void)fmt;
}

static void check(int ok)
{
    if (!ok)
        abort();
}

static void parse_any(const uint8_t *data, size_t size)
{
    static const uint8_t ops[] = {0, DHCP_BOOTREQUEST, DHCP_BOOTREPLY};
    struct dhcp_msg_info m;
    size_t i;

    for (i = 0; i < sizeof(ops); i++) {
        enum dhcp_parse_result r = dhcp_parse(data, size, ops[i], &m);

        check(dhcp_parse_result_name(r)[0] != '\0');
        if (r == DHCP_PARSE_OK)
            check(m.type >= DHCPDISCOVER && m.type <= DHCPINFORM && m.ndns >= 0 &&
                  m.ndns <= 4);
    }
}

static void unwrap_any(const uint8_t *data, size_t size)
{
    const uint8_t *payload;
    long n;

    n = dhcp_unwrap_udp(data, size, DHCP_CLIENT_PORT, true, &payload);
    check(n < 0 || (payload >= data && payload + n <= data + size));
    n = dhcp_unwrap_udp(data, size, DHCP_SERVER_PORT, false, &payload);
    check(n < 0 || (payload >= data && payload + n <= data + size));
    if (n >= 0)
        parse_any(payload, (size_t)n);
}

/* Rebuilds a parsed message from its fields; the copy must read the same. */
static void rebuild(const struct dhcp_msg_info *m)
{
    uint8_t buf[DHCP_MAX_LEN];
    struct dhcp_builder b;
    struct dhcp_msg_info again;
    size_t n;

    dhcp_build_start(&b, buf, sizeof(buf), m);
    if (m->has_requested)
        dhcp_build_opt_addr(&b, DHCP_OPT_REQUESTED_IP, m->requested);
    if (m->has_server_id)
        dhcp_build_opt_addr(&b, DHCP_OPT_SERVER_ID, m->server_id);
    if (m->has_lease)
        dhcp_build_opt_u32(&b, DHCP_OPT_LEASE_TIME, m->lease_s);
    n = dhcp_build_end(&b);
    check(n >= DHCP_MIN_LEN);
    check(dhcp_parse(buf, n, m->op, &again) == DHCP_PARSE_OK);
    check(again.type == m->type && again.xid == m->xid && again.flags == m->flags &&
          again.ciaddr.s_addr == m->ciaddr.s_addr && again.lease_s == m->lease_s &&
          again.requested.s_addr == m->requested.s_addr &&
          memcmp(again.chaddr, m->chaddr, sizeof(m->chaddr)) == 0);
}

static void answer_twice(const uint8_t *data, size_t size, long mode)
{
    struct dhcp_server_cfg cfg = {.server = {inet_addr("10.0.2.2")},
                                  .dns = {inet_addr("10.0.2.3")},
                                  .pool_first = {inet_addr("10.0.2.15")},
                                  .pool_size = 2, /* small: exhaustion is reachable */
                                  .mask = {inet_addr("255.255.255.0")},
                                  .lease_s = 3600};
    struct dhcp_server *s = dhcp_server_new(&cfg);
    struct dhcp_msg_info req, rep;
    uint8_t reply[DHCP_MAX_LEN];
    int round;

    check(s != NULL);
    for (round = 0; round < 2; round++) {
        /* a reply buffer from too small to ample, by the input's size */
        size_t cap = round == 0 ? sizeof(reply) : size % sizeof(reply);
        size_t n = dhcp_server_answer(s, data, size, mode, reply, cap);

        check(n <= cap);
        if (n == 0)
            continue;
        check(mode != -1);
        check(dhcp_parse(data, size, DHCP_BOOTREQUEST, &req) == DHCP_PARSE_OK);
        check(dhcp_parse(reply, n, DHCP_BOOTREPLY, &rep) == DHCP_PARSE_OK);
        check(rep.xid == req.xid && rep.has_server_id);
        check(rep.type == DHCPOFFER || rep.type == DHCPACK || rep.type == DHCPNAK);
        check(mode != -2 || req.type != DHCPREQUEST || rep.type == DHCPNAK);
    }
    dhcp_server_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long modes[] = {0, -1, -2, 250};
    struct dhcp_msg_info m;

    parse_any(data, size);
    unwrap_any(data, size);
    if (dhcp_parse(data, size, 0, &m) == DHCP_PARSE_OK)
        rebuild(&m);
    answer_twice(data, size, modes[size > 0 ? data[size - 1] % 4 : 0]);
    return 0;
}
