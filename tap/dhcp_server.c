/*
 * dhcp_server.c: the built-in gateway's DHCP server (RFC 2131 §4.3), as pure logic: a
 * request's bytes in, a reply's bytes out. gateway.c owns the socket and calls it from
 * its one thread. The pool is small and bindings are sticky: a MAC keeps its address
 * (offered or leased) until it releases it, so a device that reconnects gets the same
 * address again; leases are not timed out here (a run is short and the pool is
 * ample). An address a client declines is never offered again.
 */
#include "dhcp.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"

#define MODE_FAIL -1
#define MODE_NAK  -2

enum binding_state { SLOT_FREE, SLOT_OFFERED, SLOT_LEASED, SLOT_BAD };

struct binding {
    enum binding_state state;
    uint8_t mac[6];
};

struct dhcp_server {
    struct dhcp_server_cfg cfg;
    struct binding *slots; /* slots[i] is pool_first + i */
};

struct dhcp_server *dhcp_server_new(const struct dhcp_server_cfg *cfg)
{
    uint32_t first = ntohl(cfg->pool_first.s_addr), mask = ntohl(cfg->mask.s_addr);
    uint32_t bcast = first | ~mask;
    struct dhcp_server *s;

    if (cfg->pool_size <= 0 || (first & ~mask) == 0 || first >= bcast)
        return NULL;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->cfg = *cfg;
    /* Never past the subnet's last host address (.254 in a /24). */
    if ((uint32_t)s->cfg.pool_size > bcast - first)
        s->cfg.pool_size = (int)(bcast - first);
    s->slots = calloc((size_t)s->cfg.pool_size, sizeof(*s->slots));
    if (s->slots == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

void dhcp_server_free(struct dhcp_server *s)
{
    if (s == NULL)
        return;
    free(s->slots);
    free(s);
}

static struct in_addr slot_addr(const struct dhcp_server *s, int i)
{
    struct in_addr a = {htonl(ntohl(s->cfg.pool_first.s_addr) + (uint32_t)i)};

    return a;
}

/* The slot of addr, or -1 when addr is not in the pool. */
static int slot_of(const struct dhcp_server *s, struct in_addr addr)
{
    uint32_t off = ntohl(addr.s_addr) - ntohl(s->cfg.pool_first.s_addr);

    return off < (uint32_t)s->cfg.pool_size ? (int)off : -1;
}

static int slot_of_mac(const struct dhcp_server *s, const uint8_t *mac)
{
    int i;

    for (i = 0; i < s->cfg.pool_size; i++) {
        const struct binding *b = &s->slots[i];

        if ((b->state == SLOT_OFFERED || b->state == SLOT_LEASED) &&
            memcmp(b->mac, mac, 6) == 0)
            return i;
    }
    return -1;
}

static bool on_subnet(const struct dhcp_server *s, struct in_addr a)
{
    return ((a.s_addr ^ s->cfg.server.s_addr) & s->cfg.mask.s_addr) == 0;
}

static void bind_slot(struct dhcp_server *s, int i, const uint8_t *mac,
                      enum binding_state state)
{
    s->slots[i].state = state;
    memcpy(s->slots[i].mac, mac, 6);
}

/* The address to offer mac: its own binding, else the one it asks for if free, else
 * the first free one. -1 when the pool is exhausted. */
static int choose_slot(const struct dhcp_server *s, const struct dhcp_msg_info *req)
{
    int i = slot_of_mac(s, req->chaddr);

    if (i >= 0)
        return i;
    if (req->has_requested) {
        i = slot_of(s, req->requested);
        if (i >= 0 && s->slots[i].state == SLOT_FREE)
            return i;
    }
    for (i = 0; i < s->cfg.pool_size; i++)
        if (s->slots[i].state == SLOT_FREE)
            return i;
    return -1;
}

static const char *addr_text(struct in_addr a, char *buf)
{
    return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static const char *mac_text(const uint8_t *m, char *buf)
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return buf;
}

static void log_event(const char *what, struct in_addr addr, const uint8_t *mac)
{
    char ip[INET_ADDRSTRLEN], m[18];

    eventlog("gateway dhcp %s ip=%s mac=%s", what, addr_text(addr, ip), mac_text(mac, m));
}

/* A reply to req of the given type: xid, flags, chaddr and giaddr copied. */
static void reply_start(const struct dhcp_server *s, struct dhcp_builder *b, uint8_t *buf,
                        size_t cap, const struct dhcp_msg_info *req, enum dhcp_msg type,
                        struct in_addr yiaddr)
{
    struct dhcp_msg_info m;

    memset(&m, 0, sizeof(m));
    m.op = DHCP_BOOTREPLY;
    m.type = type;
    m.xid = req->xid;
    m.flags = req->flags;
    m.giaddr = req->giaddr;
    memcpy(m.chaddr, req->chaddr, sizeof(m.chaddr));
    if (type != DHCPNAK) {
        m.ciaddr = req->ciaddr;
        m.yiaddr = yiaddr;
        m.siaddr = s->cfg.server;
    }
    dhcp_build_start(b, buf, cap, &m);
    dhcp_build_opt_addr(b, DHCP_OPT_SERVER_ID, s->cfg.server);
}

/* The network's options; with_lease adds the lease time and T1/T2 (not for INFORM). */
static void add_config(const struct dhcp_server *s, struct dhcp_builder *b, bool with_lease)
{
    uint32_t lease = s->cfg.lease_s;

    if (with_lease) {
        dhcp_build_opt_u32(b, DHCP_OPT_LEASE_TIME, lease);
        dhcp_build_opt_u32(b, DHCP_OPT_T1, lease / 2);
        dhcp_build_opt_u32(b, DHCP_OPT_T2, (uint32_t)((uint64_t)lease * 7 / 8));
    }
    dhcp_build_opt_addr(b, DHCP_OPT_MASK, s->cfg.mask);
    dhcp_build_opt_addr(b, DHCP_OPT_ROUTER, s->cfg.server);
    dhcp_build_opt_addr(b, DHCP_OPT_DNS, s->cfg.dns);
}

static size_t answer_discover(struct dhcp_server *s, const struct dhcp_msg_info *req,
                              uint8_t *reply, size_t cap)
{
    struct dhcp_builder b;
    int i = choose_slot(s, req);
    char m[18];

    if (i < 0) {
        eventlog("gateway dhcp exhausted mac=%s", mac_text(req->chaddr, m));
        return 0;
    }
    if (s->slots[i].state != SLOT_LEASED)
        bind_slot(s, i, req->chaddr, SLOT_OFFERED);
    log_event("offer", slot_addr(s, i), req->chaddr);
    reply_start(s, &b, reply, cap, req, DHCPOFFER, slot_addr(s, i));
    add_config(s, &b, true);
    return dhcp_build_end(&b);
}

static size_t send_nak(const struct dhcp_server *s, const struct dhcp_msg_info *req,
                       struct in_addr asked, uint8_t *reply, size_t cap)
{
    static const char why[] = "address not available";
    struct in_addr none = {0};
    struct dhcp_builder b;

    log_event("nak", asked, req->chaddr);
    reply_start(s, &b, reply, cap, req, DHCPNAK, none);
    dhcp_build_opt(&b, DHCP_OPT_MESSAGE, why, sizeof(why) - 1);
    return dhcp_build_end(&b);
}

/* The address a REQUEST asks for, by the client's state (RFC 2131 §4.3.2): SELECTING
 * and INIT-REBOOT name it in option 50, RENEWING and REBINDING in ciaddr. */
static struct in_addr requested_addr(const struct dhcp_msg_info *req)
{
    return req->has_requested ? req->requested : req->ciaddr;
}

static size_t answer_request(struct dhcp_server *s, const struct dhcp_msg_info *req, long mode,
                             uint8_t *reply, size_t cap)
{
    struct in_addr asked = requested_addr(req);
    struct dhcp_builder b;
    int i, mine;

    mine = slot_of_mac(s, req->chaddr);
    if (req->has_server_id && req->server_id.s_addr != s->cfg.server.s_addr) {
        /* The client chose another server's offer: ours is free again. */
        if (mine >= 0 && s->slots[mine].state == SLOT_OFFERED)
            s->slots[mine].state = SLOT_FREE;
        return 0;
    }
    if (asked.s_addr == 0)
        return 0; /* neither option 50 nor ciaddr: not a request we can read */
    if (mode == MODE_NAK)
        return send_nak(s, req, asked, reply, cap);
    i = slot_of(s, asked);
    if (i < 0 || (i != mine && s->slots[i].state != SLOT_FREE)) {
        /* Not ours to give. Off our subnet, or someone else's: NAK; on our subnet but
         * outside the pool, a client we have no record of: stay silent (§4.3.2). */
        if (on_subnet(s, asked) && i < 0 && !req->has_server_id)
            return 0;
        return send_nak(s, req, asked, reply, cap);
    }
    if (mine >= 0 && mine != i)
        s->slots[mine].state = SLOT_FREE; /* it moved to the address it asked for */
    bind_slot(s, i, req->chaddr, SLOT_LEASED);
    log_event("ack", asked, req->chaddr);
    reply_start(s, &b, reply, cap, req, DHCPACK, asked);
    add_config(s, &b, true);
    return dhcp_build_end(&b);
}

/* RELEASE and DECLINE: no reply. A client may only give back its own address. */
static void answer_giveback(struct dhcp_server *s, const struct dhcp_msg_info *req)
{
    bool decline = req->type == DHCPDECLINE;
    struct in_addr addr = decline ? req->requested : req->ciaddr;
    int i = slot_of(s, addr);

    if (req->has_server_id && req->server_id.s_addr != s->cfg.server.s_addr)
        return;
    if (i < 0 || i != slot_of_mac(s, req->chaddr))
        return;
    s->slots[i].state = decline ? SLOT_BAD : SLOT_FREE;
    log_event(decline ? "decline" : "release", addr, req->chaddr);
}

/* INFORM: a client with an address of its own asks only for the network's options. */
static size_t answer_inform(const struct dhcp_server *s, const struct dhcp_msg_info *req,
                            uint8_t *reply, size_t cap)
{
    struct in_addr none = {0};
    struct dhcp_builder b;

    log_event("inform", req->ciaddr, req->chaddr);
    reply_start(s, &b, reply, cap, req, DHCPACK, none);
    add_config(s, &b, false);
    return dhcp_build_end(&b);
}

size_t dhcp_server_answer(struct dhcp_server *s, const uint8_t *req, size_t len, long mode,
                          uint8_t *reply, size_t cap)
{
    struct dhcp_msg_info m;
    enum dhcp_parse_result r = dhcp_parse(req, len, DHCP_BOOTREQUEST, &m);

    if (r != DHCP_PARSE_OK) {
        eventlog("gateway dhcp malformed reason=%s", dhcp_parse_result_name(r));
        return 0;
    }
    if (mode == MODE_FAIL) {
        eventlog("gateway dhcp ignore %s mode=fail", dhcp_msg_name(m.type));
        return 0;
    }
    switch (m.type) {
    case DHCPDISCOVER: return answer_discover(s, &m, reply, cap);
    case DHCPREQUEST: return answer_request(s, &m, mode, reply, cap);
    case DHCPDECLINE:
    case DHCPRELEASE: answer_giveback(s, &m); return 0;
    case DHCPINFORM: return answer_inform(s, &m, reply, cap);
    default: return 0; /* OFFER, ACK, NAK come from servers */
    }
}
