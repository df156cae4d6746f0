/*
 * dhcp_packet.c: the DHCP codec (RFC 2131, options of RFC 2132) that the device's
 * client and the gateway's server share, and the IPv4+UDP wrapping the client needs on
 * its AF_PACKET socket. It keeps no state and allocates nothing, so any thread may call
 * it. Every received packet is read as hostile: each read is bounds-checked against
 * the length the caller gives, whatever the packet claims.
 */
#include "dhcp.h"

#include <string.h>

#include "bytes.h"
#include "inet_csum.h"

#define OFF_OP      0
#define OFF_HTYPE   1
#define OFF_HLEN    2
#define OFF_XID     4
#define OFF_SECS    8
#define OFF_FLAGS   10
#define OFF_CIADDR  12
#define OFF_YIADDR  16
#define OFF_SIADDR  20
#define OFF_GIADDR  24
#define OFF_CHADDR  28
#define OFF_COOKIE  DHCP_FIXED_LEN
#define OFF_OPTIONS DHCP_MIN_LEN

#define HTYPE_ETHER 1
#define ETHER_LEN   6
#define COOKIE      0x63825363u
#define BOOTP_MIN   300 /* RFC 1542: relays may drop anything shorter */

#define IP_HDR_LEN  20
#define UDP_HDR_LEN 8
#define WRAP_TTL      64
#define IP_PROTO_UDP 17
#define IP_FRAG_MASK 0x3FFFu /* MF flag and fragment offset */

/* An address as it stands in the packet (network order in, network order out). */
static struct in_addr get_addr(const uint8_t *p)
{
    struct in_addr a;

    memcpy(&a.s_addr, p, 4);
    return a;
}

/* ---- parsing ------------------------------------------------------------------------- */

/* One option's value into *m. A known option with a length it cannot have makes the
 * whole message suspect: BAD_VALUE. Unknown options (any length, 0 included) pass. */
static enum dhcp_parse_result parse_option(uint8_t code, const uint8_t *v, size_t n,
                                           struct dhcp_msg_info *m)
{
    switch (code) {
    case DHCP_OPT_MSG_TYPE:
        if (n != 1 || v[0] < DHCPDISCOVER || v[0] > DHCPINFORM)
            return DHCP_PARSE_BAD_VALUE;
        m->type = (enum dhcp_msg)v[0];
        return DHCP_PARSE_OK;
    case DHCP_OPT_ROUTER: /* a list; the first one is ours */
    case DHCP_OPT_DNS:
        if (n == 0 || n % 4 != 0)
            return DHCP_PARSE_BAD_VALUE;
        if (code == DHCP_OPT_ROUTER) {
            m->router = get_addr(v);
            m->has_router = true;
            return DHCP_PARSE_OK;
        }
        for (m->ndns = 0; m->ndns < 4 && (size_t)m->ndns * 4 < n; m->ndns++)
            m->dns[m->ndns] = get_addr(v + 4 * m->ndns);
        return DHCP_PARSE_OK;
    case DHCP_OPT_MASK:
    case DHCP_OPT_REQUESTED_IP:
    case DHCP_OPT_SERVER_ID:
    case DHCP_OPT_LEASE_TIME:
    case DHCP_OPT_T1:
    case DHCP_OPT_T2:
        if (n != 4)
            return DHCP_PARSE_BAD_VALUE;
        break;
    default:
        return DHCP_PARSE_OK;
    }
    switch (code) {
    case DHCP_OPT_MASK: m->mask = get_addr(v), m->has_mask = true; break;
    case DHCP_OPT_REQUESTED_IP: m->requested = get_addr(v), m->has_requested = true; break;
    case DHCP_OPT_SERVER_ID: m->server_id = get_addr(v), m->has_server_id = true; break;
    case DHCP_OPT_LEASE_TIME: m->lease_s = get32(v), m->has_lease = true; break;
    case DHCP_OPT_T1: m->t1_s = get32(v), m->has_t1 = true; break;
    default: m->t2_s = get32(v), m->has_t2 = true; break;
    }
    return DHCP_PARSE_OK;
}

/* The options field: code, length, value ... up to the end option, which must come
 * before the buffer ends. Pad bytes are skipped; a later copy of an option wins. */
static enum dhcp_parse_result parse_options(const uint8_t *buf, size_t len,
                                            struct dhcp_msg_info *m)
{
    size_t i = OFF_OPTIONS;

    while (i < len) {
        uint8_t code = buf[i];
        size_t n;
        enum dhcp_parse_result r;

        if (code == DHCP_OPT_PAD) {
            i++;
            continue;
        }
        if (code == DHCP_OPT_END)
            return DHCP_PARSE_OK;
        if (len - i < 2)
            return DHCP_PARSE_BAD_OPTION;
        n = buf[i + 1];
        if (len - i - 2 < n)
            return DHCP_PARSE_BAD_OPTION;
        r = parse_option(code, buf + i + 2, n, m);
        if (r != DHCP_PARSE_OK)
            return r;
        i += 2 + n;
    }
    return DHCP_PARSE_NO_END;
}

enum dhcp_parse_result dhcp_parse(const uint8_t *buf, size_t len, uint8_t expect_op,
                                  struct dhcp_msg_info *out)
{
    enum dhcp_parse_result r;

    memset(out, 0, sizeof(*out));
    if (buf == NULL || len < DHCP_MIN_LEN)
        return DHCP_PARSE_SHORT;
    out->op = buf[OFF_OP];
    if ((out->op != DHCP_BOOTREQUEST && out->op != DHCP_BOOTREPLY) ||
        (expect_op != 0 && out->op != expect_op))
        return DHCP_PARSE_BAD_OP;
    out->htype = buf[OFF_HTYPE];
    out->hlen = buf[OFF_HLEN];
    if (out->htype != HTYPE_ETHER || out->hlen != ETHER_LEN)
        return DHCP_PARSE_BAD_HTYPE;
    if (get32(buf + OFF_COOKIE) != COOKIE)
        return DHCP_PARSE_BAD_COOKIE;
    out->xid = get32(buf + OFF_XID);
    out->secs = get16(buf + OFF_SECS);
    out->flags = get16(buf + OFF_FLAGS);
    out->ciaddr = get_addr(buf + OFF_CIADDR);
    out->yiaddr = get_addr(buf + OFF_YIADDR);
    out->siaddr = get_addr(buf + OFF_SIADDR);
    out->giaddr = get_addr(buf + OFF_GIADDR);
    memcpy(out->chaddr, buf + OFF_CHADDR, sizeof(out->chaddr));
    r = parse_options(buf, len, out);
    if (r != DHCP_PARSE_OK)
        return r;
    return out->type == DHCP_NONE ? DHCP_PARSE_NO_TYPE : DHCP_PARSE_OK;
}

const char *dhcp_parse_result_name(enum dhcp_parse_result r)
{
    switch (r) {
    case DHCP_PARSE_OK: return "ok";
    case DHCP_PARSE_SHORT: return "short";
    case DHCP_PARSE_BAD_OP: return "bad-op";
    case DHCP_PARSE_BAD_HTYPE: return "bad-htype";
    case DHCP_PARSE_BAD_COOKIE: return "bad-cookie";
    case DHCP_PARSE_BAD_OPTION: return "bad-option";
    case DHCP_PARSE_NO_END: return "no-end";
    case DHCP_PARSE_BAD_VALUE: return "bad-value";
    case DHCP_PARSE_NO_TYPE: return "no-type";
    }
    return "unknown";
}

const char *dhcp_msg_name(enum dhcp_msg type)
{
    switch (type) {
    case DHCPDISCOVER: return "discover";
    case DHCPOFFER: return "offer";
    case DHCPREQUEST: return "request";
    case DHCPDECLINE: return "decline";
    case DHCPACK: return "ack";
    case DHCPNAK: return "nak";
    case DHCPRELEASE: return "release";
    case DHCPINFORM: return "inform";
    case DHCP_NONE: break;
    }
    return "unknown";
}

/* ---- building ------------------------------------------------------------------------ */

void dhcp_build_start(struct dhcp_builder *b, uint8_t *buf, size_t cap,
                      const struct dhcp_msg_info *msg)
{
    uint8_t type = (uint8_t)msg->type;

    b->buf = buf;
    b->cap = cap;
    b->len = 0;
    b->overflow = cap < OFF_OPTIONS;
    if (b->overflow)
        return;
    memset(buf, 0, OFF_OPTIONS);
    buf[OFF_OP] = msg->op;
    buf[OFF_HTYPE] = HTYPE_ETHER;
    buf[OFF_HLEN] = ETHER_LEN;
    put32(buf + OFF_XID, msg->xid);
    put16(buf + OFF_SECS, msg->secs);
    put16(buf + OFF_FLAGS, msg->flags);
    memcpy(buf + OFF_CIADDR, &msg->ciaddr.s_addr, 4);
    memcpy(buf + OFF_YIADDR, &msg->yiaddr.s_addr, 4);
    memcpy(buf + OFF_SIADDR, &msg->siaddr.s_addr, 4);
    memcpy(buf + OFF_GIADDR, &msg->giaddr.s_addr, 4);
    memcpy(buf + OFF_CHADDR, msg->chaddr, sizeof(msg->chaddr));
    put32(buf + OFF_COOKIE, COOKIE);
    b->len = OFF_OPTIONS;
    dhcp_build_opt(b, DHCP_OPT_MSG_TYPE, &type, 1);
}

bool dhcp_build_opt(struct dhcp_builder *b, uint8_t code, const void *data, size_t len)
{
    /* Room for this option and, always, the end option after it. */
    if (b->overflow || len > 255 || b->cap - b->len < 2 + len + 1) {
        b->overflow = true;
        return false;
    }
    b->buf[b->len] = code;
    b->buf[b->len + 1] = (uint8_t)len;
    if (len > 0)
        memcpy(b->buf + b->len + 2, data, len);
    b->len += 2 + len;
    return true;
}

bool dhcp_build_opt_addr(struct dhcp_builder *b, uint8_t code, struct in_addr addr)
{
    return dhcp_build_opt(b, code, &addr.s_addr, 4);
}

bool dhcp_build_opt_u32(struct dhcp_builder *b, uint8_t code, uint32_t value)
{
    uint8_t v[4];

    put32(v, value);
    return dhcp_build_opt(b, code, v, 4);
}

size_t dhcp_build_end(struct dhcp_builder *b)
{
    if (b->overflow)
        return 0;
    b->buf[b->len++] = DHCP_OPT_END;
    if (b->len < BOOTP_MIN && b->cap >= BOOTP_MIN) {
        memset(b->buf + b->len, DHCP_OPT_PAD, BOOTP_MIN - b->len);
        b->len = BOOTP_MIN;
    }
    return b->len;
}

/* ---- IPv4 + UDP ---------------------------------------------------------------------- */

size_t dhcp_wrap_udp(uint8_t *pkt, size_t cap, struct in_addr src, uint16_t sport,
                     struct in_addr dst, uint16_t dport, const uint8_t *payload, size_t len)
{
    size_t total = IP_HDR_LEN + UDP_HDR_LEN + len;
    uint8_t *ip = pkt, *udp = pkt + IP_HDR_LEN;
    uint64_t sum;
    uint16_t csum;

    if (total > cap || total > 0xFFFF)
        return 0;
    memset(pkt, 0, IP_HDR_LEN + UDP_HDR_LEN);
    ip[0] = 0x45; /* version 4, 5 words of header */
    put16(ip + 2, (uint16_t)total);
    ip[8] = WRAP_TTL;
    ip[9] = IP_PROTO_UDP;
    memcpy(ip + 12, &src.s_addr, 4);
    memcpy(ip + 16, &dst.s_addr, 4);
    csum = inet_checksum(inet_sum(ip, IP_HDR_LEN, 0));
    memcpy(ip + 10, &csum, 2);

    put16(udp, sport);
    put16(udp + 2, dport);
    put16(udp + 4, (uint16_t)(UDP_HDR_LEN + len));
    memmove(udp + UDP_HDR_LEN, payload, len);
    sum = inet_pseudo_sum(ip + 12, ip + 16, 4, IP_PROTO_UDP, UDP_HDR_LEN + len);
    csum = inet_checksum(inet_sum(udp, UDP_HDR_LEN + len, sum));
    if (csum == 0)
        csum = 0xFFFF; /* 0 would mean "no checksum" */
    memcpy(udp + 6, &csum, 2);
    return total;
}

long dhcp_unwrap_udp(const uint8_t *pkt, size_t len, uint16_t dport, bool check_udp_sum,
                     const uint8_t **payload)
{
    size_t ihl, total, ulen;
    const uint8_t *udp;

    if (len < IP_HDR_LEN || pkt[0] >> 4 != 4)
        return -1;
    ihl = (size_t)(pkt[0] & 0xF) * 4;
    total = get16(pkt + 2);
    /* A frame may carry padding after the packet: trust total, not len. */
    if (ihl < IP_HDR_LEN || total < ihl + UDP_HDR_LEN || total > len)
        return -1;
    if (inet_fold(inet_sum(pkt, ihl, 0)) != 0xFFFF || pkt[9] != IP_PROTO_UDP ||
        (get16(pkt + 6) & IP_FRAG_MASK) != 0)
        return -1;
    udp = pkt + ihl;
    ulen = get16(udp + 4);
    if (ulen < UDP_HDR_LEN || ulen > total - ihl || get16(udp + 2) != dport)
        return -1;
    if (check_udp_sum && get16(udp + 6) != 0 &&
        inet_fold(inet_sum(udp, ulen, inet_pseudo_sum(pkt + 12, pkt + 16, 4, IP_PROTO_UDP,
                                                      ulen))) != 0xFFFF)
        return -1;
    *payload = udp + UDP_HDR_LEN;
    return (long)(ulen - UDP_HDR_LEN);
}
