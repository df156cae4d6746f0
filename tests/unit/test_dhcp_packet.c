/*
 * test_dhcp_packet.c: unit tests of the DHCP codec (tap/dhcp_packet.c) and of the
 * built-in gateway's server logic (tap/dhcp_server.c). Valid messages come from the
 * codec's builder; hostile ones are that message with exactly one thing broken, each
 * copied into a heap block of its exact length so AddressSanitizer sees any read past
 * the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "dhcp.h"

#define XID 0x12345678u

static const uint8_t MAC1[6] = {0x02, 0, 0, 0, 0, 0x01};

static struct in_addr ip(const char *text)
{
    struct in_addr a;

    assert_int_equal(inet_pton(AF_INET, text, &a), 1);
    return a;
}

static void assert_ip(struct in_addr a, const char *text)
{
    char buf[INET_ADDRSTRLEN];

    assert_string_equal(inet_ntop(AF_INET, &a, buf, sizeof(buf)), text);
}

/* Parses a heap copy of exactly len bytes of buf. */
static enum dhcp_parse_result parse_exact(const uint8_t *buf, size_t len, uint8_t op,
                                          struct dhcp_msg_info *m)
{
    uint8_t *copy = malloc(len ? len : 1);
    enum dhcp_parse_result r;

    assert_non_null(copy);
    memcpy(copy, buf, len);
    r = dhcp_parse(copy, len, op, m);
    free(copy);
    return r;
}

static void msg_base(struct dhcp_msg_info *m, uint8_t op, enum dhcp_msg type, const uint8_t *mac)
{
    memset(m, 0, sizeof(*m));
    m->op = op;
    m->type = type;
    m->xid = XID;
    m->flags = DHCP_FLAG_BROADCAST;
    memcpy(m->chaddr, mac, 6);
}

/* A DHCPACK with every option the client reads. */
static size_t build_full_ack(uint8_t *buf, size_t cap)
{
    struct dhcp_msg_info m;
    struct dhcp_builder b;
    uint8_t dns[8];
    struct in_addr d1 = ip("10.0.2.3"), d2 = ip("10.0.2.4");

    msg_base(&m, DHCP_BOOTREPLY, DHCPACK, MAC1);
    m.yiaddr = ip("10.0.2.15");
    m.siaddr = ip("10.0.2.2");
    dhcp_build_start(&b, buf, cap, &m);
    dhcp_build_opt_addr(&b, DHCP_OPT_SERVER_ID, ip("10.0.2.2"));
    dhcp_build_opt_u32(&b, DHCP_OPT_LEASE_TIME, 3600);
    dhcp_build_opt_u32(&b, DHCP_OPT_T1, 1800);
    dhcp_build_opt_u32(&b, DHCP_OPT_T2, 3150);
    dhcp_build_opt_addr(&b, DHCP_OPT_MASK, ip("255.255.255.0"));
    dhcp_build_opt_addr(&b, DHCP_OPT_ROUTER, ip("10.0.2.2"));
    memcpy(dns, &d1.s_addr, 4);
    memcpy(dns + 4, &d2.s_addr, 4);
    dhcp_build_opt(&b, DHCP_OPT_DNS, dns, sizeof(dns));
    return dhcp_build_end(&b);
}

/* A minimal message: fixed part, cookie, then the given option bytes as they are. */
static size_t raw_msg(uint8_t *buf, const uint8_t *opts, size_t n)
{
    struct dhcp_msg_info m;
    struct dhcp_builder b;

    msg_base(&m, DHCP_BOOTREQUEST, DHCPDISCOVER, MAC1);
    dhcp_build_start(&b, buf, DHCP_MIN_LEN + 3, &m);
    memcpy(buf + DHCP_MIN_LEN, opts, n);
    return DHCP_MIN_LEN + n;
}

/* ---- the codec ----------------------------------------------------------------------- */

static void test_build_then_parse_gives_back_every_field(void **state)
{
    uint8_t buf[DHCP_MAX_LEN];
    struct dhcp_msg_info m;
    size_t n = build_full_ack(buf, sizeof(buf));

    (void)state;
    assert_int_equal(dhcp_parse(buf, n, DHCP_BOOTREPLY, &m), DHCP_PARSE_OK);
    assert_int_equal(m.type, DHCPACK);
    assert_int_equal(m.xid, XID);
    assert_int_equal(m.flags, DHCP_FLAG_BROADCAST);
    assert_memory_equal(m.chaddr, MAC1, 6);
    assert_ip(m.yiaddr, "10.0.2.15");
    assert_ip(m.siaddr, "10.0.2.2");
    assert_true(m.has_server_id && m.has_mask && m.has_router && m.has_lease);
    assert_ip(m.server_id, "10.0.2.2");
    assert_ip(m.mask, "255.255.255.0");
    assert_ip(m.router, "10.0.2.2");
    assert_int_equal(m.lease_s, 3600);
    assert_int_equal(m.t1_s, 1800);
    assert_int_equal(m.t2_s, 3150);
    assert_int_equal(m.ndns, 2);
    assert_ip(m.dns[0], "10.0.2.3");
    assert_ip(m.dns[1], "10.0.2.4");
}

static void test_build_pads_to_bootp_minimum_of_300(void **state)
{
    uint8_t buf[DHCP_MAX_LEN];

    (void)state;
    assert_int_equal(build_full_ack(buf, sizeof(buf)), 300);
}

static void test_build_reports_a_buffer_too_small(void **state)
{
    uint8_t buf[DHCP_MAX_LEN];
    size_t cap;

    (void)state;
    for (cap = 0; cap < 290; cap++) /* 240 + 49 bytes of options + end */
        assert_int_equal(build_full_ack(buf, cap), 0);
}

/* Cut anywhere before the end option, a message is refused; from there on it is whole. */
static void test_every_truncation_is_refused_until_the_end_option(void **state)
{
    uint8_t buf[DHCP_MAX_LEN];
    struct dhcp_msg_info m;
    size_t n = build_full_ack(buf, sizeof(buf)), end, len;

    (void)state;
    for (end = DHCP_MIN_LEN; buf[end] != DHCP_OPT_END; end += 2u + buf[end + 1])
        ;
    for (len = 0; len <= n; len++) {
        enum dhcp_parse_result r = parse_exact(buf, len, DHCP_BOOTREPLY, &m);

        if (len > end)
            assert_int_equal(r, DHCP_PARSE_OK);
        else if (len < DHCP_MIN_LEN)
            assert_int_equal(r, DHCP_PARSE_SHORT);
        else
            assert_true(r == DHCP_PARSE_BAD_OPTION || r == DHCP_PARSE_NO_END);
    }
}

static void test_option_length_past_the_buffer_is_refused(void **state)
{
    static const uint8_t opts[] = {DHCP_OPT_MSG_TYPE, 1, DHCPDISCOVER, 12, 40, 'h', 'o'};
    uint8_t buf[DHCP_MAX_LEN];
    struct dhcp_msg_info m;

    (void)state;
    assert_int_equal(parse_exact(buf, raw_msg(buf, opts, sizeof(opts)), 0, &m),
                     DHCP_PARSE_BAD_OPTION);
}

static void test_option_code_as_last_byte_is_refused(void **state)
{
    static const uint8_t opts[] = {DHCP_OPT_MSG_TYPE, 1, DHCPDISCOVER, DHCP_OPT_ROUTER};
    uint8_t buf[DHCP_MAX_LEN];
    struct dhcp_msg_info m;

    (void)state;
    assert_int_equal(parse_exact(buf, raw_msg(buf, opts, sizeof(opts)), 0, &m),
                     DHCP_PARSE_BAD_OPTION);
}

static void test_missing_end_option_is_refused(void **state)
{
    static const uint8_t opts[] = {DHCP_OPT_MSG_TYPE, 1, DHCPDISCOVER, 0, 0, 0};
    uint8_t buf[DHCP_MAX_LEN];
    struct dhcp_msg_info m;

    (void)state;
    assert_int_equal(parse_exact(buf, raw_msg(buf, opts, sizeof(opts)), 0, &m),
                     DHCP_PARSE_NO_END);
}

static void test_wrong_magic_cookie_is_refused(void **state)
{
    uint8_t buf[DHCP_MAX_LEN];
    struct dhcp_msg_info m;
    size_t n = build_full_ack(buf, sizeof(buf));

    (void)state;
    buf[DHCP_FIXED_LEN + 3] ^= 1;
    assert_int_equal(parse_exact(buf, n, 0, &m), DHCP_PARSE_BAD_COOKIE);
}

static void test_wrong_op_htype_and_hlen_are_refused(void **state)
{
    uint8_t buf[DHCP_MAX_LEN];
    struct dhcp_msg_info m;
    size_t n = build_full_ack(buf, sizeof(buf));

    (void)state;
    assert_int_equal(parse_exact(buf, n, DHCP_BOOTREQUEST, &m), DHCP_PARSE_BAD_OP);
    buf[0] = 3;
    assert_int_equal(parse_exact(buf, n, 0, &m), DHCP_PARSE_BAD_OP);
    buf[0] = DHCP_BOOTREPLY;
    buf[1] = 6; /* IEEE 802 */
    assert_int_equal(parse_exact(buf, n, 0, &m), DHCP_PARSE_BAD_HTYPE);
    buf[1] = 1;
    buf[2] = 16;
    assert_int_equal(parse_exact(buf, n, 0, &m), DHCP_PARSE_BAD_HTYPE);
}

static void test_pad_runs_and_zero_length_options_are_skipped(void **state)
{
    static const uint8_t opts[] = {0, 0, 0, 0, 0,  DHCP_OPT_MSG_TYPE, 1, DHCPREQUEST, 0, 0,
                                   200, 0, 0, 0, 12, 0, DHCP_OPT_END};
    uint8_t buf[DHCP_MAX_LEN];
    struct dhcp_msg_info m;

    (void)state;
    assert_int_equal(parse_exact(buf, raw_msg(buf, opts, sizeof(opts)), 0, &m), DHCP_PARSE_OK);
    assert_int_equal(m.type, DHCPREQUEST);
}

static void test_known_option_of_impossible_length_is_refused(void **state)
{
    static const uint8_t cases[][8] = {
        {DHCP_OPT_MSG_TYPE, 0, DHCP_OPT_END},
        {DHCP_OPT_MSG_TYPE, 2, 1, 1, DHCP_OPT_END},
        {DHCP_OPT_MSG_TYPE, 1, 0, DHCP_OPT_END},
        {DHCP_OPT_MSG_TYPE, 1, 9, DHCP_OPT_END},
        {DHCP_OPT_MASK, 3, 255, 255, 255, DHCP_OPT_END},
        {DHCP_OPT_DNS, 6, 10, 0, 2, 3, 10, 0},
        {DHCP_OPT_ROUTER, 0, DHCP_OPT_END},
        {DHCP_OPT_LEASE_TIME, 2, 1, 1, DHCP_OPT_END},
    };
    uint8_t buf[DHCP_MAX_LEN];
    struct dhcp_msg_info m;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = raw_msg(buf, cases[i], sizeof(cases[i]));

        buf[n - 1] = DHCP_OPT_END; /* so only the option itself is wrong */
        assert_int_equal(parse_exact(buf, n, 0, &m), DHCP_PARSE_BAD_VALUE);
    }
}

static void test_message_without_type_is_plain_bootp(void **state)
{
    static const uint8_t opts[] = {DHCP_OPT_END};
    uint8_t buf[DHCP_MAX_LEN];
    struct dhcp_msg_info m;

    (void)state;
    assert_int_equal(parse_exact(buf, raw_msg(buf, opts, sizeof(opts)), 0, &m),
                     DHCP_PARSE_NO_TYPE);
}

static void test_dns_list_keeps_the_first_four(void **state)
{
    uint8_t opts[3 + 2 + 24 + 1] = {DHCP_OPT_MSG_TYPE, 1, DHCPACK, DHCP_OPT_DNS, 24};
    uint8_t buf[DHCP_MAX_LEN];
    struct dhcp_msg_info m;
    int i;

    (void)state;
    for (i = 0; i < 6; i++) {
        opts[5 + 4 * i] = 10;
        opts[5 + 4 * i + 3] = (uint8_t)(i + 1);
    }
    opts[sizeof(opts) - 1] = DHCP_OPT_END;
    assert_int_equal(parse_exact(buf, raw_msg(buf, opts, sizeof(opts)), 0, &m), DHCP_PARSE_OK);
    assert_int_equal(m.ndns, 4);
    assert_ip(m.dns[3], "10.0.0.4");
}

static void test_option_overload_is_ignored(void **state)
{
    static const uint8_t opts[] = {DHCP_OPT_OVERLOAD, 1, 3, DHCP_OPT_MSG_TYPE, 1, DHCPOFFER,
                                   DHCP_OPT_END};
    uint8_t buf[DHCP_MAX_LEN];
    struct dhcp_msg_info m;
    size_t n = raw_msg(buf, opts, sizeof(opts));

    (void)state;
    memset(buf + 44, 0xFF, 64 + 128); /* sname and file: garbage, never read */
    assert_int_equal(parse_exact(buf, n, 0, &m), DHCP_PARSE_OK);
    assert_int_equal(m.type, DHCPOFFER);
}

static void test_result_and_message_names(void **state)
{
    (void)state;
    assert_string_equal(dhcp_parse_result_name(DHCP_PARSE_NO_END), "no-end");
    assert_string_equal(dhcp_parse_result_name(DHCP_PARSE_BAD_COOKIE), "bad-cookie");
    assert_string_equal(dhcp_msg_name(DHCPNAK), "nak");
    assert_string_equal(dhcp_msg_name(DHCP_NONE), "unknown");
}

/* ---- IPv4 + UDP ---------------------------------------------------------------------- */

static size_t wrapped(uint8_t *pkt, size_t cap)
{
    uint8_t payload[DHCP_MAX_LEN];
    size_t n = build_full_ack(payload, sizeof(payload));

    return dhcp_wrap_udp(pkt, cap, ip("10.0.2.2"), DHCP_SERVER_PORT, ip("255.255.255.255"),
                         DHCP_CLIENT_PORT, payload, n);
}

/* RFC 1071 written out again, so the codec is not checked only against itself. */
static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum)
{
    size_t i;

    for (i = 0; i < n; i += 2)
        sum += (uint32_t)(p[i] << 8) + (i + 1 < n ? p[i + 1] : 0);
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)~sum;
}

static void test_wrapped_packet_has_valid_checksums_and_unwraps(void **state)
{
    uint8_t pkt[DHCP_MAX_LEN + 28];
    const uint8_t *payload;
    size_t n = wrapped(pkt, sizeof(pkt));
    uint32_t pseudo;

    (void)state;
    assert_int_equal(n, 328);
    assert_int_equal(pkt[0], 0x45);
    assert_int_equal(csum(pkt, 20, 0), 0);
    pseudo = (uint32_t)((pkt[12] << 8) + pkt[13] + (pkt[14] << 8) + pkt[15] + (pkt[16] << 8) +
                        pkt[17] + (pkt[18] << 8) + pkt[19] + 17 + (n - 20));
    assert_int_equal(csum(pkt + 20, n - 20, pseudo), 0);
    assert_int_equal(dhcp_unwrap_udp(pkt, n, DHCP_CLIENT_PORT, true, &payload), 300);
    assert_ptr_equal(payload, pkt + 28);
}

static void test_unwrap_accepts_ethernet_padding_after_the_packet(void **state)
{
    uint8_t pkt[DHCP_MAX_LEN + 64];
    const uint8_t *payload;
    size_t n = wrapped(pkt, sizeof(pkt));

    (void)state;
    assert_int_equal(dhcp_unwrap_udp(pkt, n + 30, DHCP_CLIENT_PORT, true, &payload), 300);
}

static void test_unwrap_refuses_every_truncation(void **state)
{
    uint8_t pkt[DHCP_MAX_LEN + 28];
    size_t n = wrapped(pkt, sizeof(pkt)), len;

    (void)state;
    for (len = 0; len < n; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        const uint8_t *payload;

        memcpy(copy, pkt, len);
        assert_int_equal(dhcp_unwrap_udp(copy, len, DHCP_CLIENT_PORT, true, &payload), -1);
        free(copy);
    }
}

static void test_unwrap_refuses_bad_headers(void **state)
{
    uint8_t pkt[DHCP_MAX_LEN + 28], bad[DHCP_MAX_LEN + 28];
    const uint8_t *payload;
    size_t n = wrapped(pkt, sizeof(pkt));
    /* offset, xor: IP checksum, version, protocol, fragment offset, UDP checksum, UDP
     * length, a payload byte (caught by the UDP checksum). */
    static const size_t offs[] = {10, 0, 9, 7, 26, 24, 100};
    static const uint8_t flips[] = {1, 0x10, 1, 1, 1, 0x80, 1};
    uint16_t c;
    size_t i;

    (void)state;
    assert_int_equal(dhcp_unwrap_udp(pkt, n, DHCP_SERVER_PORT, true, &payload), -1);
    for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        memcpy(bad, pkt, n);
        bad[offs[i]] ^= flips[i];
        if (offs[i] < 20 && offs[i] != 10) { /* a valid IP checksum: the field is what fails */
            bad[10] = bad[11] = 0;
            c = csum(bad, 20, 0);
            bad[10] = (uint8_t)(c >> 8);
            bad[11] = (uint8_t)c;
        }
        assert_int_equal(dhcp_unwrap_udp(bad, n, DHCP_CLIENT_PORT, true, &payload), -1);
    }
}

static void test_unwrap_skips_udp_checksum_when_told_or_zero(void **state)
{
    uint8_t pkt[DHCP_MAX_LEN + 28];
    const uint8_t *payload;
    size_t n = wrapped(pkt, sizeof(pkt));

    (void)state;
    pkt[100] ^= 1;
    assert_int_equal(dhcp_unwrap_udp(pkt, n, DHCP_CLIENT_PORT, false, &payload), 300);
    pkt[26] = pkt[27] = 0;
    assert_int_equal(dhcp_unwrap_udp(pkt, n, DHCP_CLIENT_PORT, true, &payload), 300);
}

/* ---- the server ---------------------------------------------------------------------- */

static struct dhcp_server *server_with(const char *first, int size)
{
    struct dhcp_server_cfg cfg = {.server = ip("10.0.2.2"),
                                  .dns = ip("10.0.2.3"),
                                  .pool_first = ip(first),
                                  .pool_size = size,
                                  .mask = ip("255.255.255.0"),
                                  .lease_s = 600};
    struct dhcp_server *s = dhcp_server_new(&cfg);

    assert_non_null(s);
    return s;
}

static void mac_n(uint8_t *mac, int n)
{
    memcpy(mac, MAC1, 6);
    mac[5] = (uint8_t)n;
}

/* What a client sends; requested/server/ciaddr only when not NULL. */
static size_t request(uint8_t *buf, enum dhcp_msg type, int mac, const char *requested,
                      const char *server, const char *ciaddr)
{
    struct dhcp_msg_info m;
    struct dhcp_builder b;
    uint8_t hw[6];

    mac_n(hw, mac);
    msg_base(&m, DHCP_BOOTREQUEST, type, hw);
    if (ciaddr)
        m.ciaddr = ip(ciaddr);
    dhcp_build_start(&b, buf, DHCP_MAX_LEN, &m);
    if (requested)
        dhcp_build_opt_addr(&b, DHCP_OPT_REQUESTED_IP, ip(requested));
    if (server)
        dhcp_build_opt_addr(&b, DHCP_OPT_SERVER_ID, ip(server));
    return dhcp_build_end(&b);
}

/* Sends one request, parses the reply; DHCP_NONE when there is none. */
static enum dhcp_msg answer(struct dhcp_server *s, long mode, enum dhcp_msg type, int mac,
                            const char *requested, const char *server, const char *ciaddr,
                            struct dhcp_msg_info *reply)
{
    uint8_t req[DHCP_MAX_LEN], out[DHCP_MAX_LEN];
    size_t n = request(req, type, mac, requested, server, ciaddr);

    n = dhcp_server_answer(s, req, n, mode, out, sizeof(out));
    memset(reply, 0, sizeof(*reply));
    if (n == 0)
        return DHCP_NONE;
    assert_int_equal(dhcp_parse(out, n, DHCP_BOOTREPLY, reply), DHCP_PARSE_OK);
    return reply->type;
}

/* DISCOVER then REQUEST for the offered address: the address leased, or "" */
static const char *lease_for(struct dhcp_server *s, int mac, char *buf)
{
    struct dhcp_msg_info r;

    if (answer(s, 0, DHCPDISCOVER, mac, NULL, NULL, NULL, &r) != DHCPOFFER)
        return "";
    inet_ntop(AF_INET, &r.yiaddr, buf, INET_ADDRSTRLEN);
    assert_int_equal(answer(s, 0, DHCPREQUEST, mac, buf, "10.0.2.2", NULL, &r), DHCPACK);
    return buf;
}

static void test_server_offers_first_pool_address_with_network_options(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.15", 64);
    struct dhcp_msg_info r;

    (void)state;
    assert_int_equal(answer(s, 0, DHCPDISCOVER, 1, NULL, NULL, NULL, &r), DHCPOFFER);
    assert_int_equal(r.xid, XID);
    assert_memory_equal(r.chaddr, MAC1, 6);
    assert_int_equal(r.flags, DHCP_FLAG_BROADCAST);
    assert_ip(r.yiaddr, "10.0.2.15");
    assert_ip(r.server_id, "10.0.2.2");
    assert_ip(r.router, "10.0.2.2");
    assert_ip(r.mask, "255.255.255.0");
    assert_int_equal(r.ndns, 1);
    assert_ip(r.dns[0], "10.0.2.3");
    assert_int_equal(r.lease_s, 600);
    assert_int_equal(r.t1_s, 300);
    assert_int_equal(r.t2_s, 525);
    dhcp_server_free(s);
}

static void test_server_acks_the_offered_address(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.15", 64);
    char buf[INET_ADDRSTRLEN];

    (void)state;
    assert_string_equal(lease_for(s, 1, buf), "10.0.2.15");
    dhcp_server_free(s);
}

static void test_server_gives_same_mac_the_same_address(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.15", 64);
    struct dhcp_msg_info r;
    char buf[INET_ADDRSTRLEN];

    (void)state;
    assert_string_equal(lease_for(s, 1, buf), "10.0.2.15");
    assert_string_equal(lease_for(s, 2, buf), "10.0.2.16");
    assert_int_equal(answer(s, 0, DHCPDISCOVER, 1, NULL, NULL, NULL, &r), DHCPOFFER);
    assert_ip(r.yiaddr, "10.0.2.15");
    assert_int_equal(answer(s, 0, DHCPDISCOVER, 2, NULL, NULL, NULL, &r), DHCPOFFER);
    assert_ip(r.yiaddr, "10.0.2.16");
    dhcp_server_free(s);
}

static void test_server_naks_a_request_for_someone_elses_address(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.15", 64);
    struct dhcp_msg_info r;
    char buf[INET_ADDRSTRLEN];

    (void)state;
    lease_for(s, 1, buf);
    assert_int_equal(answer(s, 0, DHCPDISCOVER, 2, NULL, NULL, NULL, &r), DHCPOFFER);
    assert_int_equal(answer(s, 0, DHCPREQUEST, 2, "10.0.2.15", "10.0.2.2", NULL, &r), DHCPNAK);
    assert_ip(r.server_id, "10.0.2.2");
    assert_int_equal(r.yiaddr.s_addr, 0);
    dhcp_server_free(s);
}

static void test_server_is_silent_when_another_server_was_chosen(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.15", 1);
    struct dhcp_msg_info r;

    (void)state;
    assert_int_equal(answer(s, 0, DHCPDISCOVER, 1, NULL, NULL, NULL, &r), DHCPOFFER);
    assert_int_equal(answer(s, 0, DHCPREQUEST, 1, "10.0.2.99", "10.0.2.9", NULL, &r), DHCP_NONE);
    /* and the offer is free again for the next client */
    assert_int_equal(answer(s, 0, DHCPDISCOVER, 2, NULL, NULL, NULL, &r), DHCPOFFER);
    assert_ip(r.yiaddr, "10.0.2.15");
    dhcp_server_free(s);
}

static void test_server_mode_fail_never_answers(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.15", 64);
    struct dhcp_msg_info r;

    (void)state;
    assert_int_equal(answer(s, -1, DHCPDISCOVER, 1, NULL, NULL, NULL, &r), DHCP_NONE);
    assert_int_equal(answer(s, -1, DHCPREQUEST, 1, "10.0.2.15", "10.0.2.2", NULL, &r),
                     DHCP_NONE);
    assert_int_equal(answer(s, -1, DHCPINFORM, 1, NULL, NULL, "10.0.2.40", &r), DHCP_NONE);
    dhcp_server_free(s);
}

static void test_server_mode_nak_offers_but_naks_every_request(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.15", 64);
    struct dhcp_msg_info r;

    (void)state;
    assert_int_equal(answer(s, -2, DHCPDISCOVER, 1, NULL, NULL, NULL, &r), DHCPOFFER);
    assert_int_equal(answer(s, -2, DHCPREQUEST, 1, "10.0.2.15", "10.0.2.2", NULL, &r), DHCPNAK);
    assert_int_equal(answer(s, -2, DHCPREQUEST, 1, NULL, NULL, "10.0.2.15", &r), DHCPNAK);
    dhcp_server_free(s);
}

static void test_server_mode_delay_answers_like_ok(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.15", 64);
    struct dhcp_msg_info r;

    (void)state;
    assert_int_equal(answer(s, 3000, DHCPDISCOVER, 1, NULL, NULL, NULL, &r), DHCPOFFER);
    assert_int_equal(answer(s, 3000, DHCPREQUEST, 1, "10.0.2.15", "10.0.2.2", NULL, &r),
                     DHCPACK);
    dhcp_server_free(s);
}

static void test_server_acks_renewing_and_init_reboot_of_own_address(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.15", 64);
    struct dhcp_msg_info r;
    char buf[INET_ADDRSTRLEN];

    (void)state;
    lease_for(s, 1, buf);
    assert_int_equal(answer(s, 0, DHCPREQUEST, 1, NULL, NULL, "10.0.2.15", &r), DHCPACK);
    assert_ip(r.yiaddr, "10.0.2.15");
    assert_ip(r.ciaddr, "10.0.2.15");
    assert_int_equal(r.lease_s, 600);
    assert_int_equal(answer(s, 0, DHCPREQUEST, 1, "10.0.2.15", NULL, NULL, &r), DHCPACK);
    dhcp_server_free(s);
}

static void test_server_naks_renewing_of_someone_elses_address(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.15", 64);
    struct dhcp_msg_info r;
    char buf[INET_ADDRSTRLEN];

    (void)state;
    lease_for(s, 1, buf);
    assert_int_equal(answer(s, 0, DHCPREQUEST, 2, NULL, NULL, "10.0.2.15", &r), DHCPNAK);
    dhcp_server_free(s);
}

static void test_server_naks_init_reboot_from_another_network(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.15", 64);
    struct dhcp_msg_info r;

    (void)state;
    assert_int_equal(answer(s, 0, DHCPREQUEST, 1, "192.168.1.20", NULL, NULL, &r), DHCPNAK);
    dhcp_server_free(s);
}

static void test_server_release_frees_the_address(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.15", 1);
    struct dhcp_msg_info r;
    char buf[INET_ADDRSTRLEN];

    (void)state;
    lease_for(s, 1, buf);
    assert_int_equal(answer(s, 0, DHCPDISCOVER, 2, NULL, NULL, NULL, &r), DHCP_NONE);
    assert_int_equal(answer(s, 0, DHCPRELEASE, 1, NULL, "10.0.2.2", "10.0.2.15", &r), DHCP_NONE);
    assert_string_equal(lease_for(s, 2, buf), "10.0.2.15");
    dhcp_server_free(s);
}

static void test_server_release_of_another_macs_address_is_ignored(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.15", 1);
    struct dhcp_msg_info r;
    char buf[INET_ADDRSTRLEN];

    (void)state;
    lease_for(s, 1, buf);
    answer(s, 0, DHCPRELEASE, 2, NULL, "10.0.2.2", "10.0.2.15", &r);
    assert_int_equal(answer(s, 0, DHCPDISCOVER, 2, NULL, NULL, NULL, &r), DHCP_NONE);
    dhcp_server_free(s);
}

static void test_server_never_offers_a_declined_address_again(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.15", 2);
    struct dhcp_msg_info r;
    char buf[INET_ADDRSTRLEN];

    (void)state;
    lease_for(s, 1, buf);
    assert_int_equal(answer(s, 0, DHCPDECLINE, 1, "10.0.2.15", "10.0.2.2", NULL, &r), DHCP_NONE);
    assert_string_equal(lease_for(s, 1, buf), "10.0.2.16");
    assert_int_equal(answer(s, 0, DHCPDISCOVER, 2, NULL, NULL, NULL, &r), DHCP_NONE);
    dhcp_server_free(s);
}

static void test_server_answers_inform_without_a_lease(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.15", 64);
    struct dhcp_msg_info r;

    (void)state;
    assert_int_equal(answer(s, 0, DHCPINFORM, 1, NULL, NULL, "10.0.2.40", &r), DHCPACK);
    assert_int_equal(r.yiaddr.s_addr, 0);
    assert_false(r.has_lease);
    assert_ip(r.router, "10.0.2.2");
    assert_ip(r.dns[0], "10.0.2.3");
    dhcp_server_free(s);
}

static void test_server_pool_exhaustion_gives_no_offer(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.15", 2);
    struct dhcp_msg_info r;
    char buf[INET_ADDRSTRLEN];

    (void)state;
    assert_string_equal(lease_for(s, 1, buf), "10.0.2.15");
    assert_string_equal(lease_for(s, 2, buf), "10.0.2.16");
    assert_int_equal(answer(s, 0, DHCPDISCOVER, 3, NULL, NULL, NULL, &r), DHCP_NONE);
    dhcp_server_free(s);
}

static void test_server_pool_never_goes_past_254(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.250", 64);
    struct dhcp_msg_info r;
    char buf[INET_ADDRSTRLEN];
    int mac;

    (void)state;
    for (mac = 1; mac <= 5; mac++)
        assert_string_not_equal(lease_for(s, mac, buf), "");
    assert_string_equal(buf, "10.0.2.254");
    assert_int_equal(answer(s, 0, DHCPDISCOVER, 6, NULL, NULL, NULL, &r), DHCP_NONE);
    dhcp_server_free(s);
}

static void test_server_ignores_malformed_and_reply_messages(void **state)
{
    struct dhcp_server *s = server_with("10.0.2.15", 64);
    uint8_t req[DHCP_MAX_LEN], out[DHCP_MAX_LEN];
    size_t n = request(req, DHCPDISCOVER, 1, NULL, NULL, NULL), len;

    (void)state;
    for (len = 0; len < DHCP_MIN_LEN + 3; len++)
        assert_int_equal(dhcp_server_answer(s, req, len, 0, out, sizeof(out)), 0);
    req[0] = DHCP_BOOTREPLY;
    assert_int_equal(dhcp_server_answer(s, req, n, 0, out, sizeof(out)), 0);
    req[0] = DHCP_BOOTREQUEST;
    assert_int_equal(dhcp_server_answer(s, req, n, 0, out, 100), 0); /* no room to answer */
    assert_int_not_equal(dhcp_server_answer(s, req, n, 0, out, sizeof(out)), 0);
    dhcp_server_free(s);
}

static void test_server_refuses_a_pool_outside_its_subnet(void **state)
{
    struct dhcp_server_cfg cfg = {.server = ip("10.0.2.2"),
                                  .pool_first = ip("10.0.2.255"),
                                  .pool_size = 4,
                                  .mask = ip("255.255.255.0")};

    (void)state;
    assert_null(dhcp_server_new(&cfg));
    cfg.pool_first = ip("10.0.2.15");
    cfg.pool_size = 0;
    assert_null(dhcp_server_new(&cfg));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_then_parse_gives_back_every_field),
        cmocka_unit_test(test_build_pads_to_bootp_minimum_of_300),
        cmocka_unit_test(test_build_reports_a_buffer_too_small),
        cmocka_unit_test(test_every_truncation_is_refused_until_the_end_option),
        cmocka_unit_test(test_option_length_past_the_buffer_is_refused),
        cmocka_unit_test(test_option_code_as_last_byte_is_refused),
        cmocka_unit_test(test_missing_end_option_is_refused),
        cmocka_unit_test(test_wrong_magic_cookie_is_refused),
        cmocka_unit_test(test_wrong_op_htype_and_hlen_are_refused),
        cmocka_unit_test(test_pad_runs_and_zero_length_options_are_skipped),
        cmocka_unit_test(test_known_option_of_impossible_length_is_refused),
        cmocka_unit_test(test_message_without_type_is_plain_bootp),
        cmocka_unit_test(test_dns_list_keeps_the_first_four),
        cmocka_unit_test(test_option_overload_is_ignored),
        cmocka_unit_test(test_result_and_message_names),
        cmocka_unit_test(test_wrapped_packet_has_valid_checksums_and_unwraps),
        cmocka_unit_test(test_unwrap_accepts_ethernet_padding_after_the_packet),
        cmocka_unit_test(test_unwrap_refuses_every_truncation),
        cmocka_unit_test(test_unwrap_refuses_bad_headers),
        cmocka_unit_test(test_unwrap_skips_udp_checksum_when_told_or_zero),
        cmocka_unit_test(test_server_offers_first_pool_address_with_network_options),
        cmocka_unit_test(test_server_acks_the_offered_address),
        cmocka_unit_test(test_server_gives_same_mac_the_same_address),
        cmocka_unit_test(test_server_naks_a_request_for_someone_elses_address),
        cmocka_unit_test(test_server_is_silent_when_another_server_was_chosen),
        cmocka_unit_test(test_server_mode_fail_never_answers),
        cmocka_unit_test(test_server_mode_nak_offers_but_naks_every_request),
        cmocka_unit_test(test_server_mode_delay_answers_like_ok),
        cmocka_unit_test(test_server_acks_renewing_and_init_reboot_of_own_address),
        cmocka_unit_test(test_server_naks_renewing_of_someone_elses_address),
        cmocka_unit_test(test_server_naks_init_reboot_from_another_network),
        cmocka_unit_test(test_server_release_frees_the_address),
        cmocka_unit_test(test_server_release_of_another_macs_address_is_ignored),
        cmocka_unit_test(test_server_never_offers_a_declined_address_again),
        cmocka_unit_test(test_server_answers_inform_without_a_lease),
        cmocka_unit_test(test_server_pool_exhaustion_gives_no_offer),
        cmocka_unit_test(test_server_pool_never_goes_past_254),
        cmocka_unit_test(test_server_ignores_malformed_and_reply_messages),
        cmocka_unit_test(test_server_refuses_a_pool_outside_its_subnet),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
