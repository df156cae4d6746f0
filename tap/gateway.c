/*
 * gateway.c: the built-in gateway (DESIGN §3), the tap link's default far side. Its
 * namespace (nsemu-PID-gw, made by tap_link.c) has eth0 at the wire's far end with
 * 10.0.2.2 and 10.0.2.3 and treats every address as local, so ARP, ICMP and TCP are the
 * kernel's own: TCP to a port nobody listens on is reset by it. Here we run, as ordinary
 * sockets in that namespace:
 *   - the DHCP server on port 67 (the logic is dhcp_server.c; ethernet.dhcp acts there,
 *     its delay here);
 *   - the DNS server on 10.0.2.3:53 answering [dns] static.* names, NXDOMAIN otherwise,
 *     with dns.mode and dns.delay_ms acting on its answers;
 *   - the [gateway] forward rules: a listener (TCP) or socket (UDP) on 10.0.2.2:PORT
 *     whose traffic is spliced to a socket on host loopback. Other UDP is dropped.
 * Everything runs on one thread of its own with its own libuv loop, never on the stack
 * thread, so device sockets never wait on the gateway's work.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "addr.h"
#include "common.h"
#include "config.h"
#include "dhcp.h"
#include "dns_packet.h"
#include "eventlog.h"
#include "knobs.h"
#include "tap.h"

#define SPLICE_BUF      65536 /* per connection and direction */
#define UDP_IDLE_MS     60000 /* a UDP forward session without traffic ends after this */
#define DATAGRAM_MAX    65536
#define DNS_TTL_S       60
#define LISTEN_BACKLOG  64
#define POOL_SIZE       240 /* 10.0.2.15 .. 10.0.2.254 */
#define UDP_SESSIONS_MAX 256 /* device sources served at once by all UDP forwards */

/* A socket the gateway serves on: DHCP, DNS, or one forward. */
struct server {
    int fd; /* -1: not open */
    uv_poll_t poll;
    const struct config_forward *fwd; /* forwards only */
    struct udp_session *sessions;     /* UDP forwards: one per device source */
};

/* An answer held back by ethernet.dhcp delay_ms:N or dns.delay_ms. */
struct held {
    uv_timer_t timer;
    struct held *prev, *next;
    int fd;
    struct sockaddr_in to;
    size_t len;
    uint8_t data[];
};

/* One side of a spliced TCP connection. */
enum { DEV, HOST };

struct tcp_end {
    int fd;
    uv_poll_t poll;
    int events;    /* what poll waits for now */
    bool eof;      /* it sent FIN: nothing more to read */
    bool shut;     /* we sent it FIN (shutdown SHUT_WR) */
    size_t head, tail;
    uint8_t buf[SPLICE_BUF]; /* read from this end, not yet written to the other */
};

struct tcp_session {
    struct tcp_session *prev, *next;
    const struct config_forward *fwd;
    bool connecting; /* the host side's connect is under way */
    bool closing;
    int handles; /* poll handles not yet closed */
    uint64_t bytes[2]; /* read from each end */
    struct tcp_end end[2];
};

struct udp_session {
    struct udp_session *next;
    struct server *sv; /* the forward's socket at 10.0.2.2:PORT */
    struct sockaddr_in dev; /* the device's source */
    int fd;                 /* connected to the target on host loopback */
    uv_poll_t poll;
    uv_timer_t idle;
    int handles;
};

static struct {
    uv_loop_t loop;
    uv_async_t stop;
    pthread_t thread;
    bool running;
    struct dhcp_server *dhcp_logic;
    struct server dhcp, dns;
    struct server forwards[CONFIG_MAX_FORWARDS];
    int nforwards;
    struct held *held;
    struct tcp_session *sessions;
    int nudp;       /* UDP forward sessions open, at most UDP_SESSIONS_MAX */
    int reserve_fd; /* given up to accept a connection when out of descriptors */
} gw;

static const char *proto_name(const struct config_forward *f)
{
    return f->udp ? "udp" : "tcp";
}

/* ---- servers ------------------------------------------------------------------------- */

static void server_closed(uv_handle_t *h)
{
    struct server *sv = h->data;

    close(sv->fd);
    sv->fd = -1;
}

/* A socket in the gateway namespace bound to ip:port (listening, for TCP), polled for
 * reading with cb. 0 or -errno. */
static int server_open(struct server *sv, int type, const char *ip, uint16_t port,
                       uv_poll_cb cb)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    int one = 1, r, fd;

    inet_pton(AF_INET, ip, &sa.sin_addr);
    fd = tap_ns_socket(TAP_NS_FAR, AF_INET, type, 0);
    if (fd < 0)
        return fd;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        (type == SOCK_STREAM && listen(fd, LISTEN_BACKLOG) != 0)) {
        r = -errno;
        goto fail;
    }
    r = uv_poll_init(&gw.loop, &sv->poll, fd);
    if (r != 0)
        goto fail;
    sv->fd = fd;
    sv->poll.data = sv;
    uv_poll_start(&sv->poll, UV_READABLE, cb);
    return 0;
fail:
    close(fd);
    return r;
}

/* ---- answers held back ---------------------------------------------------------------- */

static void send_datagram(int fd, const struct sockaddr_in *to, const uint8_t *data, size_t len)
{
    /* A datagram the kernel cannot take now is lost, as on a real LAN. */
    (void)sendto(fd, data, len, MSG_NOSIGNAL, (const struct sockaddr *)to, sizeof(*to));
}

static void held_unlink(struct held *h)
{
    if (h->prev != NULL)
        h->prev->next = h->next;
    else
        gw.held = h->next;
    if (h->next != NULL)
        h->next->prev = h->prev;
}

static void held_free(uv_handle_t *t)
{
    free(t->data);
}

static void held_due(uv_timer_t *t)
{
    struct held *h = t->data;

    send_datagram(h->fd, &h->to, h->data, h->len);
    held_unlink(h);
    uv_close((uv_handle_t *)&h->timer, held_free);
}

/* Sends data to `to` from fd after delay_ms (at once when 0). */
static void answer_after(int fd, const struct sockaddr_in *to, const uint8_t *data, size_t len,
                         long delay_ms)
{
    struct held *h;

    if (delay_ms <= 0) {
        send_datagram(fd, to, data, len);
        return;
    }
    h = malloc(sizeof(*h) + len);
    if (h == NULL)
        return; /* out of memory: the answer is lost, the client retries */
    *h = (struct held){.fd = fd, .to = *to, .len = len, .next = gw.held};
    memcpy(h->data, data, len);
    uv_timer_init(&gw.loop, &h->timer);
    h->timer.data = h;
    if (gw.held != NULL)
        gw.held->prev = h;
    gw.held = h;
    uv_timer_start(&h->timer, held_due, (uint64_t)delay_ms, 0);
}

/* ---- DHCP ------------------------------------------------------------------------------ */

/* Every reply is broadcast on eth0 (the socket is bound to it, which is also what makes
 * 255.255.255.255 leave there rather than loop back through the local-everything
 * route): the device's client asks for broadcasts, and any client hears one. */
static void dhcp_readable(uv_poll_t *p, int status, int events)
{
    const struct sockaddr_in to = {.sin_family = AF_INET,
                                   .sin_port = htons(DHCP_CLIENT_PORT),
                                   .sin_addr.s_addr = htonl(INADDR_BROADCAST)};
    uint8_t req[DATAGRAM_MAX], reply[DHCP_MAX_LEN];

    (void)p, (void)status, (void)events;
    for (;;) {
        ssize_t n = recv(gw.dhcp.fd, req, sizeof(req), 0);
        long mode = tap_dhcp_mode();
        size_t len;

        if (n < 0)
            return;
        len = dhcp_server_answer(gw.dhcp_logic, req, (size_t)n, mode, reply, sizeof(reply));
        if (len == 0)
            continue;
        if (mode > 0)
            eventlog("gateway dhcp delay ms=%ld", mode);
        answer_after(gw.dhcp.fd, &to, reply, len, mode);
    }
}

static int dhcp_open(void)
{
    const struct config *cfg = config_get();
    struct dhcp_server_cfg dc = {.pool_size = POOL_SIZE, .lease_s = (uint32_t)cfg->lease_s};
    static const char dev[] = "eth0";
    int one = 1, r;

    inet_pton(AF_INET, TAP_GATEWAY_IP, &dc.server);
    inet_pton(AF_INET, TAP_DNS_IP, &dc.dns);
    inet_pton(AF_INET, TAP_POOL_FIRST, &dc.pool_first);
    dc.mask.s_addr = htonl(~0u << (32 - TAP_LAN_PREFIX));
    gw.dhcp_logic = dhcp_server_new(&dc);
    if (gw.dhcp_logic == NULL)
        return -ENOMEM;
    /* Bound to the any-address: a DISCOVER goes to 255.255.255.255. */
    r = server_open(&gw.dhcp, SOCK_DGRAM, "0.0.0.0", DHCP_SERVER_PORT, dhcp_readable);
    if (r != 0)
        return r;
    if (setsockopt(gw.dhcp.fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) != 0 ||
        setsockopt(gw.dhcp.fd, SOL_SOCKET, SO_BINDTODEVICE, dev, sizeof(dev)) != 0)
        return -errno;
    return 0;
}

/* ---- DNS ------------------------------------------------------------------------------- */

static void type_name(uint16_t qtype, char *buf, size_t len)
{
    if (qtype == DNS_TYPE_A)
        snprintf(buf, len, "A");
    else if (qtype == DNS_TYPE_AAAA)
        snprintf(buf, len, "AAAA");
    else
        snprintf(buf, len, "TYPE%u", qtype);
}

/* [dns] static.NAME for q: the rcode, and the address of q's type in *addr (*n = 1) when
 * the name has one. */
static int static_answer(const struct dns_question *q, nsapi_addr_t *addr, int *n)
{
    const struct config *cfg = config_get();
    nsapi_version_t want = q->qtype == DNS_TYPE_A      ? NSAPI_IPv4
                           : q->qtype == DNS_TYPE_AAAA ? NSAPI_IPv6
                                                       : NSAPI_UNSPEC;
    bool known = false;

    *n = 0;
    if (q->qclass != DNS_CLASS_IN)
        return DNS_RCODE_NOTIMP;
    for (int i = 0; i < cfg->nstatics; i++) {
        if (strcmp(cfg->statics[i].name, q->name) != 0)
            continue;
        known = true;
        if (cfg->statics[i].addr.version == want && want != NSAPI_UNSPEC) {
            *addr = cfg->statics[i].addr;
            *n = 1;
        }
    }
    return known ? DNS_RCODE_NOERROR : DNS_RCODE_NXDOMAIN;
}

static void log_dns(const struct dns_question *q, int rcode, const nsapi_addr_t *addr, int n)
{
    char type[16], ip[NSAPI_IP_SIZE];

    type_name(q->qtype, type, sizeof(type));
    if (rcode == DNS_RCODE_NXDOMAIN) {
        eventlog("gateway dns %s nxdomain", q->name);
    } else if (rcode != DNS_RCODE_NOERROR) {
        eventlog("gateway dns %s %s rcode=%d", q->name, type, rcode);
    } else if (n == 0) {
        eventlog("gateway dns %s %s nodata", q->name, type);
    } else {
        addr_format(addr, ip, sizeof(ip));
        eventlog("gateway dns %s %s -> %s", q->name, type, ip);
    }
}

/* One query: dns.mode says whether and how it is answered, dns.delay_ms when. */
static void dns_answer(const uint8_t *pkt, size_t len, const struct sockaddr_in *from)
{
    long mode = knob_int(KNOB_DNS_MODE), delay = knob_int(KNOB_DNS_DELAY_MS);
    uint8_t reply[DNS_MAX_PACKET];
    struct dns_question q;
    nsapi_addr_t addr;
    int n = 0, rcode, rlen;
    char type[16];

    if (dns_parse_query(pkt, len, &q) != 0)
        return; /* not a query we can answer: dropped */
    type_name(q.qtype, type, sizeof(type));
    if (mode == 2) {
        eventlog("gateway dns %s %s dns.mode=timeout no answer", q.name, type);
        return;
    }
    if (mode == 1) {
        rcode = DNS_RCODE_SERVFAIL;
        eventlog("gateway dns %s %s dns.mode=fail servfail", q.name, type);
    } else {
        rcode = static_answer(&q, &addr, &n);
        log_dns(&q, rcode, &addr, n);
    }
    rlen = dns_build_reply(reply, sizeof(reply), &q, rcode, &addr, n, DNS_TTL_S);
    if (rlen < 0)
        return;
    if (delay > 0)
        eventlog("gateway dns %s %s delay ms=%ld", q.name, type, delay);
    answer_after(gw.dns.fd, from, reply, (size_t)rlen, delay);
}

static void dns_readable(uv_poll_t *p, int status, int events)
{
    uint8_t pkt[DATAGRAM_MAX];

    (void)p, (void)status, (void)events;
    for (;;) {
        struct sockaddr_in from;
        socklen_t flen = sizeof(from);
        ssize_t n = recvfrom(gw.dns.fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, &flen);

        if (n < 0)
            return;
        if (from.sin_family == AF_INET)
            dns_answer(pkt, (size_t)n, &from);
    }
}

/* ---- TCP forwards ------------------------------------------------------------------------ */

static void tcp_update(struct tcp_session *s);

static void session_unlink(struct tcp_session *s)
{
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        gw.sessions = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
}

static void tcp_end_closed(uv_handle_t *h)
{
    struct tcp_session *s = h->data;

    if (--s->handles > 0)
        return;
    close(s->end[DEV].fd);
    close(s->end[HOST].fd);
    free(s);
}

/* Ends the session, logged with why unless NULL; a side marked for reset gets RST
 * instead of FIN when its fd closes (SO_LINGER 0). */
static void tcp_close(struct tcp_session *s, const char *why)
{
    if (s->closing)
        return;
    s->closing = true;
    if (why != NULL)
        eventlog("gateway forward tcp:%u %s up=%llu down=%llu", s->fwd->port, why,
                 (unsigned long long)s->bytes[DEV], (unsigned long long)s->bytes[HOST]);
    session_unlink(s);
    for (int i = 0; i < 2; i++)
        uv_close((uv_handle_t *)&s->end[i].poll, tcp_end_closed);
}

static void reset_on_close(int fd)
{
    const struct linger lg = {.l_onoff = 1, .l_linger = 0};

    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

/* Side `side` failed (reset, or an error): the other side is reset too. */
static void tcp_fail(struct tcp_session *s, int side)
{
    reset_on_close(s->end[!side].fd);
    reset_on_close(s->end[side].fd);
    tcp_close(s, side == DEV ? "reset by device" : "reset by host");
}

/* Moves what end `from` sent to the other end, as far as the kernel takes it. False
 * when the session failed. */
static bool tcp_flush(struct tcp_session *s, int from)
{
    struct tcp_end *src = &s->end[from], *dst = &s->end[!from];

    if (from == DEV && s->connecting)
        return true;
    while (src->head < src->tail) {
        ssize_t n = send(dst->fd, src->buf + src->head, src->tail - src->head, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return true;
            tcp_fail(s, !from);
            return false;
        }
        src->head += (size_t)n;
    }
    src->head = src->tail = 0;
    return true;
}

/* Reads what end `side` has, while there is room. False when the session failed. */
static bool tcp_fill(struct tcp_session *s, int side)
{
    struct tcp_end *e = &s->end[side];

    while (!e->eof && e->tail < SPLICE_BUF) {
        ssize_t n = recv(e->fd, e->buf + e->tail, SPLICE_BUF - e->tail, 0);

        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return true;
            tcp_fail(s, side);
            return false;
        }
        if (n == 0)
            e->eof = true;
        e->tail += (size_t)n;
        s->bytes[side] += (uint64_t)n;
        if (!tcp_flush(s, side))
            return false;
    }
    return true;
}

/* The host side's connect finished: false (and the device side reset) when it failed. */
static bool tcp_connected(struct tcp_session *s)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(s->end[HOST].fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err == EINPROGRESS || err == EALREADY)
        return true;
    if (err != 0) {
        reset_on_close(s->end[DEV].fd);
        tcp_close(s, err == ECONNREFUSED ? "refused by host" : "host unreachable");
        return false;
    }
    s->connecting = false;
    return tcp_flush(s, DEV);
}

static void tcp_ready(uv_poll_t *p, int status, int events)
{
    struct tcp_session *s = p->data;
    int side = p == &s->end[DEV].poll ? DEV : HOST;

    if (s->closing)
        return;
    /* libuv reports POLLERR as a status (and stops the handle): for the host side's
     * connect, SO_ERROR says why it failed. */
    if (side == HOST && s->connecting && (status < 0 || (events & UV_WRITABLE)) &&
        !tcp_connected(s))
        return;
    if (status < 0) {
        tcp_fail(s, side);
        return;
    }
    if ((events & UV_WRITABLE) && !tcp_flush(s, !side))
        return;
    if ((events & UV_READABLE) && !tcp_fill(s, side))
        return;
    tcp_update(s);
}

/* Half-close (a side's FIN is passed on once its data is), the end of the session, and
 * what each side's poll waits for: reading only while there is room (backpressure),
 * writing only while there is something to write. */
static void tcp_update(struct tcp_session *s)
{
    for (int i = 0; i < 2; i++) {
        struct tcp_end *src = &s->end[!i], *dst = &s->end[i];

        if (src->eof && src->head == src->tail && !dst->shut && !(i == HOST && s->connecting)) {
            shutdown(dst->fd, SHUT_WR);
            dst->shut = true;
        }
    }
    if (s->end[DEV].shut && s->end[HOST].shut) {
        tcp_close(s, "close");
        return;
    }
    for (int i = 0; i < 2; i++) {
        struct tcp_end *e = &s->end[i];
        int want = 0;

        if (!e->eof && e->tail < SPLICE_BUF)
            want |= UV_READABLE;
        if (s->end[!i].head < s->end[!i].tail || (i == HOST && s->connecting))
            want |= UV_WRITABLE;
        if (want == e->events)
            continue;
        e->events = want;
        if (want != 0)
            uv_poll_start(&e->poll, want, tcp_ready);
        else
            uv_poll_stop(&e->poll);
    }
}

/* A socket on host loopback toward the forward's target, its connect under way. */
static int host_connect(const struct config_forward *f)
{
    struct sockaddr_storage ss;
    socklen_t len = addr_to_sockaddr(&f->target, f->target_port, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS) {
        int err = -errno;

        close(fd);
        return err;
    }
    return fd;
}

static void tcp_splice(const struct config_forward *f, int dev_fd)
{
    struct tcp_session *s = calloc(1, sizeof(*s));
    int host_fd = host_connect(f);

    eventlog("gateway forward tcp:%u open", f->port);
    if (s == NULL || host_fd < 0) {
        eventlog("gateway forward tcp:%u %s", f->port,
                 host_fd == -ECONNREFUSED ? "refused by host" : "host unreachable");
        reset_on_close(dev_fd);
        close(dev_fd);
        if (host_fd >= 0)
            close(host_fd);
        free(s);
        return;
    }
    s->fwd = f;
    s->connecting = true;
    s->end[DEV].fd = dev_fd;
    s->end[HOST].fd = host_fd;
    for (int i = 0; i < 2; i++) {
        uv_poll_init(&gw.loop, &s->end[i].poll, s->end[i].fd);
        s->end[i].poll.data = s;
    }
    s->handles = 2;
    s->next = gw.sessions;
    if (gw.sessions != NULL)
        gw.sessions->prev = s;
    gw.sessions = s;
    tcp_update(s);
}

static void tcp_acceptable(uv_poll_t *p, int status, int events)
{
    struct server *sv = p->data;

    (void)status, (void)events;
    for (;;) {
        int fd = accept4(sv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd >= 0) {
            tcp_splice(sv->fwd, fd);
        } else if ((errno == EMFILE || errno == ENFILE) && gw.reserve_fd >= 0) {
            /* Out of descriptors: the connection would stay queued and the listener
             * readable for ever (libuv polls level-triggered: a busy loop). Give up the
             * reserve to take it and reset it, as a full host would (libuv's trick). */
            close(gw.reserve_fd);
            fd = accept4(sv->fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) {
                eventlog("gateway forward tcp:%u reset: out of file descriptors", sv->fwd->port);
                reset_on_close(fd);
                close(fd);
            }
            gw.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        } else if (errno != ECONNABORTED && errno != EINTR) {
            return; /* EAGAIN: the queue is empty */
        }
    }
}

/* ---- UDP forwards -------------------------------------------------------------------------- */

static void udp_session_closed(uv_handle_t *h)
{
    struct udp_session *u = h->data;

    if (--u->handles > 0)
        return;
    close(u->fd);
    free(u);
    gw.nudp--;
}

static void udp_session_close(struct udp_session *u)
{
    uv_close((uv_handle_t *)&u->poll, udp_session_closed);
    uv_close((uv_handle_t *)&u->idle, udp_session_closed);
}

static void udp_idle(uv_timer_t *t)
{
    struct udp_session *u = t->data, **pp;

    for (pp = &u->sv->sessions; *pp != u; pp = &(*pp)->next)
        ;
    *pp = u->next;
    eventlog("gateway forward udp:%u close idle_ms=%d", u->sv->fwd->port, UDP_IDLE_MS);
    udp_session_close(u);
}

/* What the host sends back on a session goes to the device source it belongs to. */
static void udp_host_readable(uv_poll_t *p, int status, int events)
{
    struct udp_session *u = p->data;
    uint8_t buf[DATAGRAM_MAX];

    (void)events;
    if (status < 0) {
        /* An ICMP error (nobody listened on the target when an earlier datagram came)
         * is POLLERR, on which libuv stops the handle: clear it and listen on, as the
         * host server may start later. */
        int err;
        socklen_t len = sizeof(err);

        (void)getsockopt(u->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        uv_poll_start(&u->poll, UV_READABLE, udp_host_readable);
    }
    for (;;) {
        ssize_t n = recv(u->fd, buf, sizeof(buf), 0);

        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0)
            continue; /* an ICMP error reported here instead: the next recv goes on */
        send_datagram(u->sv->fd, &u->dev, buf, (size_t)n);
        uv_timer_again(&u->idle);
    }
}

static struct udp_session *udp_session_new(struct server *sv, const struct sockaddr_in *dev)
{
    const struct config_forward *f = sv->fwd;
    struct sockaddr_storage ss;
    socklen_t len = addr_to_sockaddr(&f->target, f->target_port, &ss);
    struct udp_session *u = calloc(1, sizeof(*u));
    char ip[INET_ADDRSTRLEN];

    if (u == NULL)
        return NULL;
    if (gw.nudp >= UDP_SESSIONS_MAX) { /* each holds a descriptor until idle */
        free(u);
        return NULL;
    }
    u->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (u->fd < 0 || connect(u->fd, (struct sockaddr *)&ss, len) != 0) {
        if (u->fd >= 0)
            close(u->fd);
        free(u);
        return NULL;
    }
    u->sv = sv;
    u->dev = *dev;
    u->handles = 2;
    uv_poll_init(&gw.loop, &u->poll, u->fd);
    uv_timer_init(&gw.loop, &u->idle);
    u->poll.data = u->idle.data = u;
    uv_poll_start(&u->poll, UV_READABLE, udp_host_readable);
    uv_timer_start(&u->idle, udp_idle, UDP_IDLE_MS, UDP_IDLE_MS);
    u->next = sv->sessions;
    sv->sessions = u;
    gw.nudp++;
    inet_ntop(AF_INET, &dev->sin_addr, ip, sizeof(ip));
    eventlog("gateway forward udp:%u open from=%s", f->port, ip);
    return u;
}

static struct udp_session *udp_session_for(struct server *sv, const struct sockaddr_in *dev)
{
    for (struct udp_session *u = sv->sessions; u != NULL; u = u->next) {
        if (u->dev.sin_addr.s_addr == dev->sin_addr.s_addr && u->dev.sin_port == dev->sin_port)
            return u;
    }
    return udp_session_new(sv, dev);
}

static void udp_dev_readable(uv_poll_t *p, int status, int events)
{
    struct server *sv = p->data;
    uint8_t buf[DATAGRAM_MAX];

    (void)status, (void)events;
    for (;;) {
        struct sockaddr_in from;
        socklen_t flen = sizeof(from);
        ssize_t n = recvfrom(sv->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
        struct udp_session *u;

        if (n < 0)
            return;
        u = from.sin_family == AF_INET ? udp_session_for(sv, &from) : NULL;
        if (u == NULL)
            continue;
        (void)send(u->fd, buf, (size_t)n, MSG_NOSIGNAL);
        uv_timer_again(&u->idle);
    }
}

static int forwards_open(void)
{
    const struct config *cfg = config_get();

    for (int i = 0; i < cfg->nforwards; i++) {
        const struct config_forward *f = &cfg->forwards[i];
        struct server *sv = &gw.forwards[gw.nforwards];
        int r = server_open(sv, f->udp ? SOCK_DGRAM : SOCK_STREAM, TAP_GATEWAY_IP, f->port,
                            f->udp ? udp_dev_readable : tcp_acceptable);

        if (r != 0)
            return r;
        sv->fwd = f;
        gw.nforwards++;
        eventlog("gateway forward %s:%u listen", proto_name(f), f->port);
    }
    return 0;
}

/* ---- the thread ------------------------------------------------------------------------------ */

static void server_close(struct server *sv)
{
    if (sv->fd >= 0)
        uv_close((uv_handle_t *)&sv->poll, server_closed);
    while (sv->sessions != NULL) {
        struct udp_session *u = sv->sessions;

        sv->sessions = u->next;
        udp_session_close(u);
    }
}

/* Closes every handle; the loop ends once their close callbacks ran. */
static void close_all(void)
{
    server_close(&gw.dhcp);
    server_close(&gw.dns);
    for (int i = 0; i < gw.nforwards; i++)
        server_close(&gw.forwards[i]);
    while (gw.held != NULL) {
        struct held *h = gw.held;

        held_unlink(h);
        uv_close((uv_handle_t *)&h->timer, held_free);
    }
    while (gw.sessions != NULL)
        tcp_close(gw.sessions, NULL); /* at exit: not an event of the run */
    uv_close((uv_handle_t *)&gw.stop, NULL);
}

static void stop_requested(uv_async_t *a)
{
    (void)a;
    close_all();
}

static void *gateway_main(void *unused)
{
    (void)unused;
    uv_run(&gw.loop, UV_RUN_DEFAULT);
    return NULL;
}

static int servers_open(void)
{
    int r = dhcp_open();

    if (r == 0)
        r = server_open(&gw.dns, SOCK_DGRAM, TAP_DNS_IP, 53, dns_readable);
    if (r == 0)
        r = forwards_open();
    return r;
}

int gateway_start(void)
{
    int r;

    gw.dhcp.fd = gw.dns.fd = -1;
    gw.reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    r = uv_loop_init(&gw.loop);
    if (r != 0)
        return r;
    r = uv_async_init(&gw.loop, &gw.stop, stop_requested);
    if (r != 0)
        goto fail_loop;
    r = servers_open();
    if (r != 0)
        goto fail_servers;
    r = -nsemu_thread_start(&gw.thread, gateway_main, NULL, false);
    if (r != 0)
        goto fail_servers;
    gw.running = true;
    eventlog("gateway start address=%s dns=%s", TAP_GATEWAY_IP, TAP_DNS_IP);
    return 0;
fail_servers:
    close_all();
    uv_run(&gw.loop, UV_RUN_DEFAULT);
fail_loop:
    uv_loop_close(&gw.loop);
    dhcp_server_free(gw.dhcp_logic);
    gw.dhcp_logic = NULL;
    return r;
}

void gateway_stop(void)
{
    if (!gw.running)
        return;
    gw.running = false;
    uv_async_send(&gw.stop);
    pthread_join(gw.thread, NULL);
    uv_loop_close(&gw.loop);
    dhcp_server_free(gw.dhcp_logic);
    gw.dhcp_logic = NULL;
    if (gw.reserve_fd >= 0)
        close(gw.reserve_fd);
    gw.reserve_fd = -1;
}
