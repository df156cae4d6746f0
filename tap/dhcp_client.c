/*
 * dhcp_client.c: the device's DHCP client on the tap link (RFC 2131). The first
 * exchange (DISCOVER, OFFER, REQUEST, ACK) runs on the thread that connects the
 * interface, over an AF_PACKET socket on the device's eth0: the device has no address
 * yet, so it writes whole IPv4+UDP packets (dhcp_packet.c) and the kernel adds the
 * Ethernet header. Once bound, a renewal thread owned by the client renews at T1
 * (unicast to the server), rebinds at T2 (broadcast) and gives the lease up at expiry;
 * it uses a plain UDP socket on port 68, since the device then has an address.
 *
 * Timing: RFC 2131 §4.1 retransmits after 4, 8, 16 ... 64 s, each ±1 s. An emulator
 * whose dhcp_timeout_ms defaults to 10 s wants a quicker first try: we wait 1-2 s,
 * then 4, 8, 16, 32, 64 s ±1 s, and never past the deadline. While renewing and
 * rebinding, a retransmission comes after half the time left to T2 (to expiry), as
 * §4.4.5 says, but at least 1 s rather than 60 s so short test leases work.
 */
#include "dhcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "eventlog.h"
#include "prng.h"

#define IFNAME          "eth0"
#define FIRST_RETRY_MS  1500 /* ±500: the first retransmission after 1-2 s */
#define RETRY_MS        4000
#define RETRY_MAX_MS    64000
#define JITTER_MS       1000
#define REQUEST_TRIES   4    /* REQUESTs without an answer before starting over */
#define MIN_RENEW_RETRY_MS 1000
#define LEASE_INFINITE  0xFFFFFFFFu
#define PKT_MAX         2048
#define RELEASE_WAIT_MS 1000

static atomic_uint_fast64_t clients_started;

/* What wait_reply accepts: a bit per message type. */
#define WANT(type) (1u << (type))

struct dhcp_client {
    struct dhcp_client_cfg cfg;
    struct prng rng;
    int ifindex;
    int raw;  /* AF_PACKET, the first exchange only */
    int udp;  /* port 68, for renewing, rebinding and releasing */
    int wake; /* eventfd: dhcp_client_stop */
    uint64_t began_ms;    /* when this exchange began, for the secs field */
    struct dhcp_lease lease;
    uint64_t lease_at_ms; /* the lease's clock starts when its REQUEST left */
    bool bound;           /* false once the lease expired or was refused */
    bool thread_started;
    pthread_t thread;
};

/* ---- sending ------------------------------------------------------------------------- */

/* The common part of every message we send: our MAC, the BROADCAST flag, xid, secs. */
static void msg_init(struct dhcp_client *c, struct dhcp_msg_info *m, enum dhcp_msg type,
                     uint32_t xid)
{
    uint64_t secs = (now_ms() - c->began_ms) / 1000;

    memset(m, 0, sizeof(*m));
    m->op = DHCP_BOOTREQUEST;
    m->type = type;
    m->xid = xid;
    m->secs = (uint16_t)(secs > 0xFFFF ? 0xFFFF : secs);
    m->flags = DHCP_FLAG_BROADCAST;
    memcpy(m->chaddr, c->cfg.mac, 6);
}

/* Builds msg with the options our state needs: requested address and server id
 * (SELECTING, DECLINE), the parameter list (DISCOVER, REQUEST). 0 when it fails. */
static size_t build(uint8_t *buf, size_t cap, const struct dhcp_msg_info *msg)
{
    static const uint8_t params[] = {DHCP_OPT_MASK,       DHCP_OPT_ROUTER, DHCP_OPT_DNS,
                                     DHCP_OPT_LEASE_TIME, DHCP_OPT_SERVER_ID, DHCP_OPT_T1,
                                     DHCP_OPT_T2};
    struct dhcp_builder b;

    dhcp_build_start(&b, buf, cap, msg);
    if (msg->has_requested)
        dhcp_build_opt_addr(&b, DHCP_OPT_REQUESTED_IP, msg->requested);
    if (msg->has_server_id)
        dhcp_build_opt_addr(&b, DHCP_OPT_SERVER_ID, msg->server_id);
    if (msg->type == DHCPDISCOVER || msg->type == DHCPREQUEST)
        dhcp_build_opt(&b, DHCP_OPT_PARAM_LIST, params, sizeof(params));
    return dhcp_build_end(&b);
}

/* Broadcasts msg from 0.0.0.0:68 to 255.255.255.255:67 on the AF_PACKET socket. */
static int send_raw(struct dhcp_client *c, const struct dhcp_msg_info *msg)
{
    uint8_t payload[DHCP_MAX_LEN], pkt[DHCP_MAX_LEN + 28];
    struct sockaddr_ll to = {.sll_family = AF_PACKET,
                             .sll_protocol = htons(ETH_P_IP),
                             .sll_ifindex = c->ifindex,
                             .sll_halen = ETH_ALEN,
                             .sll_addr = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    struct in_addr any = {htonl(INADDR_ANY)}, bcast = {htonl(INADDR_BROADCAST)};
    size_t n = build(payload, sizeof(payload), msg);

    n = n == 0 ? 0 : dhcp_wrap_udp(pkt, sizeof(pkt), any, DHCP_CLIENT_PORT, bcast,
                                   DHCP_SERVER_PORT, payload, n);
    if (n == 0)
        return -EMSGSIZE;
    if (sendto(c->raw, pkt, n, 0, (const struct sockaddr *)&to, sizeof(to)) < 0)
        return -errno;
    return 0;
}

/* Sends msg to to:67 on the UDP socket (renewing, rebinding, releasing). */
static int send_udp(struct dhcp_client *c, const struct dhcp_msg_info *msg, struct in_addr to)
{
    uint8_t payload[DHCP_MAX_LEN];
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(DHCP_SERVER_PORT),
                              .sin_addr = to};
    size_t n = build(payload, sizeof(payload), msg);

    if (n == 0)
        return -EMSGSIZE;
    if (sendto(c->udp, payload, n, 0, (const struct sockaddr *)&sin, sizeof(sin)) < 0)
        return -errno;
    return 0;
}

static int send_msg(struct dhcp_client *c, const struct dhcp_msg_info *msg, struct in_addr to)
{
    return c->udp >= 0 ? send_udp(c, msg, to) : send_raw(c, msg);
}

/* ---- receiving ----------------------------------------------------------------------- */

/* One packet from the AF_PACKET socket, as its UDP payload for port 68; -1 when it is
 * not one (or nothing is there). */
static long recv_raw(struct dhcp_client *c, uint8_t *buf, size_t cap, const uint8_t **payload)
{
    union {
        struct cmsghdr h;
        uint8_t b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
    } ctl;
    struct sockaddr_ll from;
    struct iovec iov = {buf, cap};
    struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
                        .msg_iovlen = 1, .msg_control = ctl.b,
                        .msg_controllen = sizeof(ctl.b)};
    bool check_sum = true;
    struct cmsghdr *cm;
    ssize_t n = recvmsg(c->raw, &mh, 0);

    if (n < 0 || from.sll_pkttype == PACKET_OUTGOING || (mh.msg_flags & MSG_TRUNC))
        return -1;
    /* A packet that came through an offloading TAP may still carry the partial UDP
     * checksum the sender's kernel left for the hardware to finish. */
    for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
        struct tpacket_auxdata aux;

        if (cm->cmsg_level != SOL_PACKET || cm->cmsg_type != PACKET_AUXDATA)
            continue;
        memcpy(&aux, CMSG_DATA(cm), sizeof(aux));
        check_sum = !(aux.tp_status & TP_STATUS_CSUMNOTREADY);
    }
    return dhcp_unwrap_udp(buf, (size_t)n, DHCP_CLIENT_PORT, check_sum, payload);
}

static long recv_payload(struct dhcp_client *c, uint8_t *buf, size_t cap,
                         const uint8_t **payload)
{
    ssize_t n;

    if (c->udp < 0)
        return recv_raw(c, buf, cap, payload);
    n = recv(c->udp, buf, cap, 0);
    *payload = buf;
    return n;
}

/* Is m a reply to our message xid, of a type in want, from server (when server is not
 * 0.0.0.0)? */
static bool is_reply(const struct dhcp_client *c, const struct dhcp_msg_info *m, uint32_t xid,
                     unsigned want, struct in_addr server)
{
    if (m->xid != xid || memcmp(m->chaddr, c->cfg.mac, 6) != 0 || !(want & WANT(m->type)))
        return false;
    if (m->type == DHCPOFFER && (m->yiaddr.s_addr == 0 || !m->has_server_id))
        return false;
    return server.s_addr == 0 || !m->has_server_id || m->server_id.s_addr == server.s_addr;
}

/* Waits up to wait_ms for a reply (see is_reply). 1 with *out filled, 0 when the time
 * is up, -ECANCELED when dhcp_client_stop asked us to end, or -errno. */
static int wait_reply(struct dhcp_client *c, uint32_t xid, unsigned want, struct in_addr server,
                      long wait_ms, struct dhcp_msg_info *out)
{
    uint64_t until = now_ms() + (uint64_t)(wait_ms > 0 ? wait_ms : 0);
    struct pollfd p[2] = {{.fd = c->udp >= 0 ? c->udp : c->raw, .events = POLLIN},
                          {.fd = c->wake, .events = POLLIN}};
    uint8_t buf[PKT_MAX];

    for (;;) {
        uint64_t now = now_ms();
        const uint8_t *payload;
        long n;

        if (now >= until)
            return 0;
        if (poll(p, 2, (int)(until - now)) < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (p[1].revents)
            return -ECANCELED;
        if (!(p[0].revents & POLLIN))
            continue;
        n = recv_payload(c, buf, sizeof(buf), &payload);
        if (n > 0 && dhcp_parse(payload, (size_t)n, DHCP_BOOTREPLY, out) == DHCP_PARSE_OK &&
            is_reply(c, out, xid, want, server))
            return 1;
    }
}

/* ---- the lease ----------------------------------------------------------------------- */

static const char *ip_text(struct in_addr a, char *buf)
{
    return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* The mask of the address's class, for a server that sends none (RFC 2131 §2.2
 * leaves it to the client). */
static struct in_addr class_mask(struct in_addr a)
{
    uint32_t h = ntohl(a.s_addr);
    struct in_addr m = {htonl(h < 0x80000000u ? 0xFF000000u
                              : h < 0xC0000000u ? 0xFFFF0000u : 0xFFFFFF00u)};

    return m;
}

/* The lease an ACK gives, with RFC 2131's T1 = 0.5 and T2 = 0.875 of the lease where
 * the server sends none or nonsense. No lease time: an infinite lease. */
static void lease_from_ack(const struct dhcp_msg_info *m, struct dhcp_lease *l)
{
    int i;

    memset(l, 0, sizeof(*l));
    l->addr = m->yiaddr;
    l->mask = m->has_mask ? m->mask : class_mask(m->yiaddr);
    l->router = m->router;
    l->server = m->server_id;
    for (i = 0; i < m->ndns; i++)
        l->dns[i] = m->dns[i];
    l->ndns = m->ndns;
    l->lease_s = m->has_lease ? m->lease_s : LEASE_INFINITE;
    l->t1_s = m->has_t1 ? m->t1_s : l->lease_s / 2;
    l->t2_s = m->has_t2 ? m->t2_s : (uint32_t)((uint64_t)l->lease_s * 7 / 8);
    if (l->t2_s > l->lease_s || l->t1_s > l->t2_s) {
        l->t1_s = l->lease_s / 2;
        l->t2_s = (uint32_t)((uint64_t)l->lease_s * 7 / 8);
    }
}

/* Whether the address an ACK gives can be used: a unicast host address of its subnet,
 * with a contiguous mask, and the router on that subnet. Else we DECLINE it. */
static bool lease_usable(const struct dhcp_lease *l)
{
    uint32_t a = ntohl(l->addr.s_addr), m = ntohl(l->mask.s_addr), host = ~m;

    if (m == 0 || (host & (host + 1)) != 0)
        return false;
    if (a == 0 || a >> 24 == 127 || a >= 0xE0000000u) /* none, loopback, multicast+ */
        return false;
    if (host > 1 && ((a & host) == 0 || (a & host) == host)) /* network, broadcast */
        return false;
    return l->router.s_addr == 0 || ((l->router.s_addr ^ l->addr.s_addr) & l->mask.s_addr) == 0;
}

static void log_lease(const struct dhcp_lease *l)
{
    char ip[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN], router[INET_ADDRSTRLEN];

    eventlog("dhcp lease ip=%s mask=%s router=%s dns=%d lease_s=%lu", ip_text(l->addr, ip),
             ip_text(l->mask, mask), ip_text(l->router, router), l->ndns,
             (unsigned long)l->lease_s);
}

/* ---- the first exchange -------------------------------------------------------------- */

/* The wait before retransmission number attempt (0 = after the first send). */
static long backoff_ms(struct dhcp_client *c, int attempt)
{
    long base = RETRY_MS, jitter = JITTER_MS;

    if (attempt == 0) {
        base = FIRST_RETRY_MS;
        jitter = FIRST_RETRY_MS - 1000;
    } else {
        for (; attempt > 1 && base < RETRY_MAX_MS; attempt--)
            base *= 2;
    }
    return base - jitter + (long)prng_below(&c->rng, (uint64_t)(2 * jitter + 1));
}

static long left_ms(uint64_t deadline)
{
    uint64_t now = now_ms();

    if (now >= deadline)
        return 0;
    return deadline - now > (uint64_t)LONG_MAX ? LONG_MAX : (long)(deadline - now);
}

/* Waits until at_ms; false when stopped first. */
static bool sleep_until(struct dhcp_client *c, uint64_t at_ms)
{
    struct pollfd p = {.fd = c->wake, .events = POLLIN};
    long left;

    while ((left = left_ms(at_ms)) > 0) {
        if (poll(&p, 1, left > 600000 ? 600000 : (int)left) > 0)
            return false;
    }
    return true;
}

/* Sends msg and retransmits it with backoff until a reply (see wait_reply) comes, or
 * tries sends have gone unanswered (tries 0: no limit), or the deadline passes. */
static int exchange(struct dhcp_client *c, const struct dhcp_msg_info *msg, unsigned want,
                    struct in_addr server, uint64_t deadline, int tries,
                    struct dhcp_msg_info *reply)
{
    struct in_addr bcast = {htonl(INADDR_BROADCAST)};
    int attempt, r;

    for (attempt = 0; tries == 0 || attempt < tries; attempt++) {
        long wait = backoff_ms(c, attempt), left = left_ms(deadline);

        if (left == 0)
            return 0;
        /* A send that fails now (ENOBUFS, the carrier out) is a message lost on the way:
         * the next try comes as for an unanswered one. */
        if (send_msg(c, msg, bcast) < 0) {
            if (!sleep_until(c, now_ms() + (uint64_t)(wait < left ? wait : left)))
                return -ECANCELED;
            continue;
        }
        r = wait_reply(c, msg->xid, want, server, wait < left ? wait : left, reply);
        if (r != 0)
            return r;
    }
    return 0;
}

static void send_decline(struct dhcp_client *c, const struct dhcp_msg_info *ack)
{
    struct in_addr bcast = {htonl(INADDR_BROADCAST)};
    char ip[INET_ADDRSTRLEN];
    struct dhcp_msg_info m;

    msg_init(c, &m, DHCPDECLINE, ack->xid);
    m.flags = 0;
    m.requested = ack->yiaddr;
    m.has_requested = true;
    m.server_id = ack->server_id;
    m.has_server_id = ack->has_server_id;
    eventlog("dhcp decline ip=%s", ip_text(ack->yiaddr, ip));
    send_msg(c, &m, bcast);
}

/* One round of INIT and SELECTING: DISCOVER until an OFFER, REQUEST it until an ACK or
 * NAK. 1 with *ack filled, 0 to start over (REQUESTs unanswered), -ETIMEDOUT, -EPROTO
 * for a NAK, or -errno. *offered says whether any offer came. */
static int discover_and_request(struct dhcp_client *c, uint64_t deadline, bool *offered,
                                struct dhcp_msg_info *ack)
{
    struct in_addr any = {0};
    struct dhcp_msg_info msg, offer;
    char ip[INET_ADDRSTRLEN], server[INET_ADDRSTRLEN];
    uint32_t xid = (uint32_t)prng_next(&c->rng);
    int r;

    c->began_ms = now_ms();
    msg_init(c, &msg, DHCPDISCOVER, xid);
    eventlog("dhcp discover");
    r = exchange(c, &msg, WANT(DHCPOFFER), any, deadline, 0, &offer);
    if (r <= 0)
        return r == 0 ? -ETIMEDOUT : r;
    *offered = true;
    eventlog("dhcp offer ip=%s server=%s", ip_text(offer.yiaddr, ip),
             ip_text(offer.server_id, server));

    msg_init(c, &msg, DHCPREQUEST, xid);
    msg.requested = offer.yiaddr;
    msg.has_requested = true;
    msg.server_id = offer.server_id;
    msg.has_server_id = true;
    eventlog("dhcp request");
    c->lease_at_ms = now_ms();
    r = exchange(c, &msg, WANT(DHCPACK) | WANT(DHCPNAK), offer.server_id, deadline,
                 REQUEST_TRIES, ack);
    if (r <= 0)
        return left_ms(deadline) == 0 ? -ETIMEDOUT : r;
    if (ack->type == DHCPNAK) {
        eventlog("dhcp nak");
        return -EPROTO;
    }
    return 1;
}

/* Until an ACK with a usable address, or the deadline: 0, or -ETIMEDOUT/-EPROTO/-errno. */
static int acquire(struct dhcp_client *c, struct dhcp_lease *lease)
{
    uint64_t deadline = now_ms() + (uint64_t)(c->cfg.timeout_ms > 0 ? c->cfg.timeout_ms : 0);
    bool offered = false;
    struct dhcp_msg_info ack;
    int r;

    for (;;) {
        r = discover_and_request(c, deadline, &offered, &ack);
        if (r < 0)
            break;
        if (r == 0)
            continue;
        lease_from_ack(&ack, lease);
        if (lease_usable(lease))
            return 0;
        send_decline(c, &ack);
    }
    if (r == -ETIMEDOUT)
        eventlog("dhcp fail %s timeout_ms=%ld", offered ? "no-ack" : "no-offer",
                 c->cfg.timeout_ms);
    return r;
}

/* ---- renewing and rebinding (the renewal thread) ------------------------------------- */

static uint64_t lease_point_ms(const struct dhcp_client *c, uint32_t s)
{
    return c->lease_at_ms + (uint64_t)s * 1000;
}

/* A new lease from a renewing or rebinding ACK: applied, or given up if it cannot be. */
static bool take_renewed(struct dhcp_client *c, const struct dhcp_msg_info *ack,
                         uint64_t sent_ms)
{
    struct dhcp_lease l;

    lease_from_ack(ack, &l);
    if (!lease_usable(&l) || c->cfg.apply(&l, c->cfg.ctx) < 0)
        return false;
    c->lease = l;
    c->lease_at_ms = sent_ms;
    log_lease(&l);
    return true;
}

/* RENEWING (unicast to the server) until T2, or REBINDING (broadcast) until expiry.
 * 1 when renewed, 0 when the phase ran out, -EPROTO on a NAK, -ECANCELED on stop. */
static int renew_phase(struct dhcp_client *c, bool rebind)
{
    struct in_addr bcast = {htonl(INADDR_BROADCAST)}, any = {0};
    uint64_t end = lease_point_ms(c, rebind ? c->lease.lease_s : c->lease.t2_s);
    uint32_t xid = (uint32_t)prng_next(&c->rng);
    struct dhcp_msg_info msg, reply;

    eventlog(rebind ? "dhcp rebind" : "dhcp renew");
    c->began_ms = now_ms();
    for (;;) {
        long left = left_ms(end), wait = left / 2;
        uint64_t sent = now_ms();
        int r;

        if (left == 0)
            return 0;
        msg_init(c, &msg, DHCPREQUEST, xid);
        msg.ciaddr = c->lease.addr;
        send_udp(c, &msg, rebind ? bcast : c->lease.server);
        if (wait < MIN_RENEW_RETRY_MS)
            wait = left < MIN_RENEW_RETRY_MS ? left : MIN_RENEW_RETRY_MS;
        r = wait_reply(c, xid, WANT(DHCPACK) | WANT(DHCPNAK), rebind ? any : c->lease.server,
                       wait, &reply);
        if (r < 0)
            return r;
        if (r == 0)
            continue;
        if (reply.type == DHCPNAK)
            return -EPROTO;
        return take_renewed(c, &reply, sent) ? 1 : -EPROTO;
    }
}

static void *renew_main(void *arg)
{
    struct dhcp_client *c = arg;
    int r;

    if (c->lease.lease_s == LEASE_INFINITE)
        return NULL; /* nothing ever to renew */
    for (;;) {
        if (!sleep_until(c, lease_point_ms(c, c->lease.t1_s)))
            return NULL;
        r = renew_phase(c, false);
        if (r == 0)
            r = renew_phase(c, true);
        if (r == 1)
            continue;
        if (r == -ECANCELED)
            return NULL;
        eventlog(r == -EPROTO ? "dhcp nak" : "dhcp expired");
        c->bound = false;
        c->cfg.apply(NULL, c->cfg.ctx);
        return NULL;
    }
}

/* ---- life cycle ---------------------------------------------------------------------- */

/* The AF_PACKET socket of the first exchange, bound to eth0 with PACKET_AUXDATA on. */
static int open_raw(struct dhcp_client *c)
{
    struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP)};
    int one = 1;

    c->ifindex = tap_ns_ifindex(TAP_NS_DEVICE, IFNAME);
    if (c->ifindex < 0)
        return c->ifindex;
    c->raw = tap_ns_socket(TAP_NS_DEVICE, AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
    if (c->raw < 0)
        return c->raw;
    sll.sll_ifindex = c->ifindex;
    if (bind(c->raw, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
        setsockopt(c->raw, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0)
        return -errno;
    return 0;
}

/* The UDP socket of the bound states: 0.0.0.0:68 on eth0, so both unicast and broadcast
 * replies reach it. */
static int open_udp(struct dhcp_client *c)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(DHCP_CLIENT_PORT)};
    int one = 1;

    c->udp = tap_ns_socket(TAP_NS_DEVICE, AF_INET, SOCK_DGRAM, 0);
    if (c->udp < 0)
        return c->udp;
    if (setsockopt(c->udp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        setsockopt(c->udp, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
        setsockopt(c->udp, SOL_SOCKET, SO_BINDTODEVICE, IFNAME, sizeof(IFNAME)) < 0 ||
        bind(c->udp, (struct sockaddr *)&sin, sizeof(sin)) < 0)
        return -errno;
    return 0;
}

static void client_free(struct dhcp_client *c)
{
    if (c->raw >= 0)
        close(c->raw);
    if (c->udp >= 0)
        close(c->udp);
    if (c->wake >= 0)
        close(c->wake);
    free(c);
}

static struct dhcp_client *client_new(const struct dhcp_client_cfg *cfg)
{
    struct dhcp_client *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->cfg = *cfg;
    c->raw = c->udp = -1;
    c->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (c->wake < 0) {
        free(c);
        return NULL;
    }
    /* A stream per client, by start order: each connect draws fresh xids, so a late
     * reply to the last exchange cannot pass for one to this. */
    prng_init(&c->rng, cfg->seed, "dhcp", atomic_fetch_add(&clients_started, 1));
    return c;
}

nsapi_error_t dhcp_client_start(const struct dhcp_client_cfg *cfg, struct dhcp_lease *lease,
                                struct dhcp_client **client)
{
    struct dhcp_client *c = client_new(cfg);
    int r;

    *client = NULL;
    if (c == NULL)
        return NSAPI_ERROR_NO_MEMORY;
    r = open_raw(c);
    if (r < 0)
        goto fail;
    r = acquire(c, &c->lease);
    close(c->raw);
    c->raw = -1;
    if (r < 0)
        goto fail;
    r = open_udp(c);
    if (r < 0)
        goto fail;
    r = cfg->apply(&c->lease, cfg->ctx);
    if (r < 0)
        goto fail;
    c->bound = true;
    log_lease(&c->lease);
    r = -nsemu_thread_start(&c->thread, renew_main, c, false);
    if (r < 0) {
        cfg->apply(NULL, cfg->ctx);
        goto fail;
    }
    c->thread_started = true;
    *lease = c->lease;
    *client = c;
    return NSAPI_ERROR_OK;
fail:
    if (r != -ETIMEDOUT && r != -EPROTO)
        eventlog("dhcp fail error=%d", -r);
    client_free(c);
    return NSAPI_ERROR_DHCP_FAILURE;
}

/* Waits, at most RELEASE_WAIT_MS, until what fd sent has left the device's stack (the
 * kernel charges a datagram to its socket until then, SIOCOUTQ). The link removes the
 * address right after dhcp_client_stop: a RELEASE still waiting for ARP to find the
 * server would be dropped with it. */
static void wait_sent(int fd)
{
    uint64_t give_up = now_ms() + RELEASE_WAIT_MS;
    int queued;

    while (ioctl(fd, SIOCOUTQ, &queued) == 0 && queued > 0 && now_ms() < give_up)
        sleep_ms(5);
}

static void send_release(struct dhcp_client *c)
{
    char ip[INET_ADDRSTRLEN];
    struct dhcp_msg_info m;

    msg_init(c, &m, DHCPRELEASE, (uint32_t)prng_next(&c->rng));
    m.flags = 0;
    m.ciaddr = c->lease.addr;
    m.server_id = c->lease.server;
    m.has_server_id = true;
    eventlog("dhcp release ip=%s", ip_text(c->lease.addr, ip));
    if (send_udp(c, &m, c->lease.server) == 0)
        wait_sent(c->udp);
}

void dhcp_client_stop(struct dhcp_client *c, bool release)
{
    uint64_t one = 1;

    if (c == NULL)
        return;
    if (c->thread_started) {
        ssize_t n = write(c->wake, &one, sizeof(one)); /* cannot fail: never near overflow */

        (void)n;
        pthread_join(c->thread, NULL);
    }
    if (release && c->bound)
        send_release(c);
    client_free(c);
}
