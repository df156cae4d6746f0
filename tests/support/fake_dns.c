/*
 * fake_dns.c: a tiny DNS server for tests (see fake_dns.h). One UDP socket on loopback,
 * served by one pthread that polls the socket and a wake-up pipe; fake_dns_stop() writes
 * to the pipe and joins. The table of names is guarded by a mutex, the mode and the
 * counter are atomics. Packets are parsed and built with emu/dns_packet.c; a datagram
 * that is not a well-formed query is counted and otherwise ignored.
 */
#include "fake_dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns_packet.h"

#define FAKE_DNS_TTL   60
#define MAX_ANSWERS    64 /* more than a 512-byte reply can hold */
#define RX_BUF_LEN     65536

struct entry {
    char name[DNS_MAX_NAME + 1]; /* lower-cased, no trailing dot */
    nsapi_addr_t addr;
};

struct fake_dns {
    int sock;
    int wake[2]; /* pipe: fake_dns_stop() writes, the thread wakes and ends */
    uint16_t port;
    pthread_t thread;
    atomic_int mode;
    atomic_uint queries;
    pthread_mutex_t lock; /* guards entries, n_entries, cap_entries */
    struct entry *entries;
    size_t n_entries;
    size_t cap_entries;
    uint8_t rx[RX_BUF_LEN]; /* only the server thread touches it */
};

static void normalize_name(const char *name, char out[DNS_MAX_NAME + 1])
{
    size_t len = strlen(name);
    size_t i;

    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len > DNS_MAX_NAME) {
        fprintf(stderr, "fake_dns: name too long: %s\n", name);
        abort();
    }
    for (i = 0; i < len; i++)
        out[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
    out[len] = '\0';
}

static bool parse_ip(const char *ip, nsapi_addr_t *addr)
{
    memset(addr, 0, sizeof(*addr));
    if (inet_pton(AF_INET, ip, addr->bytes) == 1) {
        addr->version = NSAPI_IPv4;
        return true;
    }
    if (inet_pton(AF_INET6, ip, addr->bytes) == 1) {
        addr->version = NSAPI_IPv6;
        return true;
    }
    return false;
}

/* Collects the addresses of q's type for q's name, in the order added; *known tells
 * whether the name has any address at all. */
static int lookup(struct fake_dns *d, const struct dns_question *q, nsapi_addr_t *out,
                  bool *known)
{
    nsapi_version_t want = q->qtype == DNS_TYPE_A      ? NSAPI_IPv4
                           : q->qtype == DNS_TYPE_AAAA ? NSAPI_IPv6
                                                       : NSAPI_UNSPEC;
    int n = 0;
    size_t i;

    *known = false;
    pthread_mutex_lock(&d->lock);
    for (i = 0; i < d->n_entries; i++) {
        const struct entry *e = &d->entries[i];

        if (strcmp(e->name, q->name) != 0)
            continue;
        *known = true;
        if (e->addr.version == want && n < MAX_ANSWERS)
            out[n++] = e->addr;
    }
    pthread_mutex_unlock(&d->lock);
    return n;
}

/* Builds the reply the ANSWER mode gives. Answers that do not fit in 512 bytes are left
 * out and the TC bit set, as a real server does. */
static int build_answer(struct fake_dns *d, const struct dns_question *q, uint8_t *buf)
{
    nsapi_addr_t addrs[MAX_ANSWERS];
    bool known, truncated = false;
    int n = lookup(d, q, addrs, &known);
    int len;

    if (n == 0)
        return dns_build_reply(buf, DNS_MAX_PACKET, q,
                               known ? DNS_RCODE_NOERROR : DNS_RCODE_NXDOMAIN, NULL, 0,
                               FAKE_DNS_TTL);
    for (;;) {
        len = dns_build_reply(buf, DNS_MAX_PACKET, q, DNS_RCODE_NOERROR, addrs, n, FAKE_DNS_TTL);
        if (len >= 0 || n == 0)
            break;
        n--;
        truncated = true;
    }
    if (len >= 0 && truncated)
        buf[2] |= 0x02; /* TC */
    return len;
}

static void send_to(struct fake_dns *d, const void *buf, size_t len,
                    const struct sockaddr_storage *to, socklen_t to_len)
{
    /* A lost reply is what a test of a lossy server wants anyway: errors are ignored. */
    (void)sendto(d->sock, buf, len, 0, (const struct sockaddr *)to, to_len);
}

static void answer(struct fake_dns *d, enum fake_dns_mode mode, const struct dns_question *q,
                   const struct sockaddr_storage *from, socklen_t from_len)
{
    static const uint8_t garbage[] = {0xde, 0xad, 0xbe, 0xef, 'n', 'o', 't', ' ', 'd', 'n', 's'};
    uint8_t buf[DNS_MAX_PACKET];
    int len = -1;

    switch (mode) {
    case FAKE_DNS_SILENT:
        return;
    case FAKE_DNS_NXDOMAIN:
        len = dns_build_reply(buf, sizeof(buf), q, DNS_RCODE_NXDOMAIN, NULL, 0, FAKE_DNS_TTL);
        break;
    case FAKE_DNS_SERVFAIL:
        len = dns_build_reply(buf, sizeof(buf), q, DNS_RCODE_SERVFAIL, NULL, 0, FAKE_DNS_TTL);
        break;
    case FAKE_DNS_NODATA:
        len = dns_build_reply(buf, sizeof(buf), q, DNS_RCODE_NOERROR, NULL, 0, FAKE_DNS_TTL);
        break;
    case FAKE_DNS_ANSWER:
        len = build_answer(d, q, buf);
        break;
    case FAKE_DNS_MALFORMED_THEN_ANSWER:
        len = build_answer(d, q, buf);
        if (len < 0)
            return;
        send_to(d, garbage, sizeof(garbage), from, from_len);
        buf[0] ^= 0xFF; /* wrong id */
        send_to(d, buf, (size_t)len, from, from_len);
        buf[0] ^= 0xFF;
        break;
    }
    if (len >= 0)
        send_to(d, buf, (size_t)len, from, from_len);
}

static void serve_one(struct fake_dns *d)
{
    struct sockaddr_storage from;
    socklen_t from_len = sizeof(from);
    struct dns_question q;
    enum fake_dns_mode mode;
    ssize_t n;

    n = recvfrom(d->sock, d->rx, sizeof(d->rx), 0, (struct sockaddr *)&from, &from_len);
    if (n < 0)
        return;
    /* The mode is read before counting, so a test that saw the count knows the mode used. */
    mode = (enum fake_dns_mode)atomic_load(&d->mode);
    atomic_fetch_add(&d->queries, 1u);
    if (dns_parse_query(d->rx, (size_t)n, &q) < 0)
        return;
    answer(d, mode, &q, &from, from_len);
}

static void *serve(void *arg)
{
    struct fake_dns *d = arg;
    struct pollfd fds[2] = {
        {.fd = d->sock, .events = POLLIN},
        {.fd = d->wake[0], .events = POLLIN},
    };

    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[1].revents)
            break;
        if (fds[0].revents & POLLIN)
            serve_one(d);
    }
    return NULL;
}

/* Opens a non-blocking UDP socket bound to ip:port; returns it or -1. */
static int bind_udp(const char *ip, uint16_t port, uint16_t *bound_port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd;

    memset(&ss, 0, sizeof(ss));
    if (inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        ss.ss_family = AF_INET;
        ((struct sockaddr_in *)&ss)->sin_port = htons(port);
        len = sizeof(struct sockaddr_in);
    } else if (inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        ss.ss_family = AF_INET6;
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
        len = sizeof(struct sockaddr_in6);
    } else {
        return -1;
    }
    fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0)
        goto fail;
    len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        goto fail;
    *bound_port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
fail:
    close(fd);
    return -1;
}

struct fake_dns *fake_dns_start(const char *ip, uint16_t port, enum fake_dns_mode mode)
{
    struct fake_dns *d;

    if (!ip)
        return NULL;
    d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    atomic_init(&d->mode, (int)mode);
    atomic_init(&d->queries, 0u);
    d->sock = bind_udp(ip, port, &d->port);
    if (d->sock < 0)
        goto fail_socket;
    if (pipe(d->wake) < 0)
        goto fail_pipe;
    if (pthread_mutex_init(&d->lock, NULL) != 0)
        goto fail_mutex;
    if (pthread_create(&d->thread, NULL, serve, d) != 0)
        goto fail_thread;
    return d;

fail_thread:
    pthread_mutex_destroy(&d->lock);
fail_mutex:
    close(d->wake[0]);
    close(d->wake[1]);
fail_pipe:
    close(d->sock);
fail_socket:
    free(d);
    return NULL;
}

void fake_dns_add(struct fake_dns *d, const char *name, const char *ip)
{
    struct entry e;

    if (!parse_ip(ip, &e.addr)) {
        fprintf(stderr, "fake_dns: not an IP literal: %s\n", ip);
        abort();
    }
    normalize_name(name, e.name);
    pthread_mutex_lock(&d->lock);
    if (d->n_entries == d->cap_entries) {
        size_t cap = d->cap_entries ? 2 * d->cap_entries : 8;
        struct entry *grown = realloc(d->entries, cap * sizeof(*grown));

        if (!grown) {
            fprintf(stderr, "fake_dns: out of memory\n");
            abort();
        }
        d->entries = grown;
        d->cap_entries = cap;
    }
    d->entries[d->n_entries++] = e;
    pthread_mutex_unlock(&d->lock);
}

void fake_dns_set_mode(struct fake_dns *d, enum fake_dns_mode mode)
{
    atomic_store(&d->mode, (int)mode);
}

uint16_t fake_dns_port(const struct fake_dns *d)
{
    return d->port;
}

unsigned fake_dns_queries(const struct fake_dns *d)
{
    return atomic_load(&d->queries);
}

void fake_dns_stop(struct fake_dns *d)
{
    static const char byte = 'x';

    if (!d)
        return;
    while (write(d->wake[1], &byte, 1) < 0 && errno == EINTR)
        ;
    pthread_join(d->thread, NULL);
    close(d->sock);
    close(d->wake[0]);
    close(d->wake[1]);
    pthread_mutex_destroy(&d->lock);
    free(d->entries);
    free(d);
}
