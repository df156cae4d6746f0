/*
 * dns.c: the DNS client. Servers, in order: dns.servers when set; otherwise those added
 * with network_interface_add_dns_server (latest first), those the link learned through
 * DHCP, then those of dns.resolv_conf (/etc/resolv.conf). Each server is asked
 * 1 + dns.retries times, waiting dns.timeout_ms for each answer; NXDOMAIN or an answer without the asked type ends the
 * search, a server error or silence moves on to the next server. Packets are built and
 * parsed by dns_packet.c, which treats every reply as hostile.
 */
#include "dns.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "addr.h"
#include "common.h"
#include "config.h"
#include "device.h"
#include "dns_packet.h"
#include "eventlog.h"
#include "faults.h"
#include "knobs.h"
#include "netif.h"
#include "sock.h"
#include "stack.h"

#define DNS_MAX_SERVERS 16

/* Outcome of asking one server for one type. */
enum ask_result {
    ASK_FOUND,
    ASK_NO_NAME,    /* NXDOMAIN (or a name no query can carry): the lookup ends */
    ASK_NO_DATA,    /* the name exists without this type: try the next type */
    ASK_NEXT_SERVER,
    ASK_NO_SOCKET,
};

static int resolv_conf_servers(struct addr_port *out, int max)
{
    char path[256], line[256];
    FILE *f;
    int n = 0;

    knob_text(KNOB_DNS_RESOLV_CONF, path, sizeof(path));
    f = path[0] != '\0' ? fopen(path, "re") : NULL;
    if (f == NULL)
        return 0;
    while (n < max && fgets(line, sizeof(line), f) != NULL) {
        char ip[NSAPI_IP_SIZE + 1];

        if (sscanf(line, " nameserver %40s", ip) == 1 && addr_parse(ip, &out[n].addr)) {
            out[n].port = 0;
            n++;
        }
    }
    fclose(f);
    return n;
}

static int server_list(struct network_interface *ni, struct addr_port *out, int max)
{
    char text[256];
    int n;

    knob_text(KNOB_DNS_SERVERS, text, sizeof(text));
    n = addr_list_parse(text, out, max);
    if (n > 0)
        return n;
    n = netif_dns_servers(ni, out, max);
    n += device_link()->dhcp_dns_servers(ni, out + n, max - n);
    if (device_link()->host_resolvers)
        n += resolv_conf_servers(out + n, max - n);
    return n;
}

static uint16_t query_id(void)
{
    uint16_t id;

    if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
        id = (uint16_t)now_ms();
    return id;
}

/* On the tap link with the built-in gateway, [dns] static.*, dns.mode and dns.delay_ms
 * act at the gateway's DNS server, so every query and answer is a real packet on the
 * wire: the client must not apply them a second time. */
static bool gateway_answers(void)
{
    const struct link_ops *link = device_link();

    return link->far_dns != NULL && link->far_dns();
}

/* dns.delay_ms: holds an answer back; false when that makes it miss the deadline. */
static bool answer_delayed(const struct deadline *dl)
{
    long delay = knob_int(KNOB_DNS_DELAY_MS);
    int left = deadline_left(dl);

    if (delay == 0 || gateway_answers())
        return true;
    eventlog("dns.delay_ms delay ms=%ld", delay);
    if (left >= 0 && delay >= left) {
        sleep_ms(left);
        return false;
    }
    sleep_ms(delay);
    return true;
}

/* Waits for the answer to query id until the socket's timeout; other datagrams
 * (another source, another id, garbage) are ignored. */
static enum dns_result await_answer(struct nsemu_socket *s, const struct sockaddr_storage *to,
                                    uint16_t id, const char *name, uint16_t qtype,
                                    nsapi_addr_t *out)
{
    struct deadline dl;

    deadline_start(&dl, (int)knob_int(KNOB_DNS_TIMEOUT_MS));
    for (;;) {
        uint8_t pkt[DNS_MAX_PACKET];
        struct sockaddr_storage from;
        nsapi_addr_t fa, ta, addrs[1];
        uint16_t fport, tport;
        int count = 0, left = deadline_left(&dl);
        long n;

        if (left == 0)
            return DNS_PKT_MISMATCH;
        sock_set_timeout(s, left);
        n = sock_recvfrom(s, &from, pkt, sizeof(pkt));
        if (n < 0)
            return DNS_PKT_MISMATCH; /* timeout or error: no answer from this server */
        addr_from_sockaddr((struct sockaddr *)&from, &fa, &fport);
        addr_from_sockaddr((const struct sockaddr *)to, &ta, &tport);
        if (fport != tport || memcmp(&fa, &ta, sizeof(fa)) != 0)
            continue;
        enum dns_result r =
            dns_parse_response(pkt, (size_t)n, id, name, qtype, addrs, 1, &count);
        if (r == DNS_PKT_MISMATCH || r == DNS_PKT_MALFORMED)
            continue; /* garbage or someone else's answer: the real one may follow */
        if (!answer_delayed(&dl))
            return DNS_PKT_MISMATCH; /* dns.delay_ms made it arrive too late */
        if (r == DNS_PKT_OK)
            *out = addrs[0];
        return r;
    }
}

/* dns.mode: fail answers SERVFAIL at once, timeout lets the wait run out; both without
 * a packet. DNS_PKT_OK means: really ask. */
static enum dns_result emulated_failure(const struct sockaddr_storage *to, const char *where)
{
    long mode = gateway_answers() ? 0 : knob_int(KNOB_DNS_MODE);

    (void)to;
    if (mode == 1) {
        eventlog("dns.mode fail server=%s", where);
        return DNS_PKT_SERVER_ERROR;
    }
    if (mode == 2) {
        eventlog("dns.mode timeout server=%s", where);
        sleep_ms(knob_int(KNOB_DNS_TIMEOUT_MS));
        return DNS_PKT_MISMATCH;
    }
    return DNS_PKT_OK;
}

static void log_result(enum dns_result r, const char *name, const nsapi_addr_t *addr,
                       const char *where)
{
    char ip[NSAPI_IP_SIZE];

    if (r == DNS_PKT_OK) {
        addr_format(addr, ip, sizeof(ip));
        eventlog("dns answer name=%s addr=%s server=%s", name, ip, where);
    } else {
        eventlog("dns %s name=%s server=%s",
                 r == DNS_PKT_MISMATCH ? "timeout" : dns_result_name(r), name, where);
    }
}

static enum ask_result ask_server(struct network_interface *ni, const struct addr_port *server,
                                  const char *name, uint16_t qtype, nsapi_addr_t *out)
{
    struct sockaddr_storage to;
    socklen_t to_len = addr_to_sockaddr(&server->addr, server->port ? server->port : 53, &to);
    struct nsemu_socket *s = sock_new(SOCK_KIND_UDP);
    enum ask_result result = ASK_NEXT_SERVER;
    int tries = 1 + (int)knob_int(KNOB_DNS_RETRIES);
    char where[64];

    faults_format_peer((struct sockaddr *)&to, where, sizeof(where));
    if (s == NULL)
        return ASK_NO_SOCKET;
    if (sock_open(s, ni) != 0) {
        sock_free(s);
        return ASK_NO_SOCKET;
    }
    for (int i = 0; i < tries; i++) {
        uint8_t q[DNS_MAX_PACKET];
        uint16_t id = query_id();
        int len = dns_build_query(q, sizeof(q), id, name, qtype);
        enum dns_result r;

        if (len < 0) {
            result = ASK_NO_NAME;
            break;
        }
        sock_set_timeout(s, (int)knob_int(KNOB_DNS_TIMEOUT_MS));
        eventlog("dns query name=%s type=%s server=%s", name, qtype == DNS_TYPE_A ? "A" : "AAAA",
                 where);
        r = emulated_failure(&to, where);
        if (r == DNS_PKT_OK) {
            if (sock_sendto(s, (struct sockaddr *)&to, to_len, q, (size_t)len) < 0)
                break; /* this server cannot be reached from here: try the next */
            counter_add(COUNTER_DNS_QUERIES, 1);
            r = await_answer(s, &to, id, name, qtype, out);
        }
        log_result(r, name, out, where);
        if (r == DNS_PKT_OK) {
            result = ASK_FOUND;
            break;
        }
        if (r == DNS_PKT_NXDOMAIN || r == DNS_PKT_NODATA) {
            result = r == DNS_PKT_NXDOMAIN ? ASK_NO_NAME : ASK_NO_DATA;
            break;
        }
        if (r != DNS_PKT_MISMATCH)
            break; /* server error or truncated: next server */
    }
    sock_free(s);
    return result;
}

/* [dns] static.NAME = IP of the scenario. */
static bool resolve_static(const char *host, nsapi_version_t v, nsapi_addr_t *out)
{
    const struct config *cfg = config_get();
    size_t len = strlen(host);

    if (len > 0 && host[len - 1] == '.')
        len--;
    for (int i = 0; i < cfg->nstatics; i++) {
        const struct config_static *st = &cfg->statics[i];

        if (strlen(st->name) == len && strncasecmp(st->name, host, len) == 0 &&
            (v == NSAPI_UNSPEC || v == st->addr.version)) {
            char ip[NSAPI_IP_SIZE];

            *out = st->addr;
            addr_format(out, ip, sizeof(ip));
            eventlog("dns static name=%s addr=%s", st->name, ip);
            return true;
        }
    }
    return false;
}

static bool resolve_directly(const char *host, nsapi_version_t v, nsapi_addr_t *out,
                             nsapi_error_t *r)
{
    if (addr_parse(host, out)) {
        *r = v == NSAPI_UNSPEC || v == out->version ? NSAPI_ERROR_OK : NSAPI_ERROR_DNS_FAILURE;
        return true;
    }
    if (strcasecmp(host, "localhost") == 0) {
        addr_parse(v == NSAPI_IPv6 ? "::1" : "127.0.0.1", out);
        *r = NSAPI_ERROR_OK;
        return true;
    }
    return false;
}

nsapi_error_t dns_lookup(struct network_interface *ni, const char *host, nsapi_version_t v,
                         nsapi_addr_t *out)
{
    static const uint16_t a_then_aaaa[] = {DNS_TYPE_A, DNS_TYPE_AAAA};
    struct addr_port servers[DNS_MAX_SERVERS];
    const uint16_t *types = a_then_aaaa;
    int ntypes = 2, nservers;
    nsapi_error_t r;

    if (resolve_directly(host, v, out, &r))
        return r;
    if (host[0] == '\0' || strlen(host) > 253)
        return NSAPI_ERROR_PARAMETER;
    if (!netif_is_up(ni))
        return NSAPI_ERROR_NO_CONNECTION;
    if (!gateway_answers() && resolve_static(host, v, out))
        return NSAPI_ERROR_OK;
    if (stack_on_loop_thread())
        return NSAPI_ERROR_WOULD_BLOCK;
    if (v == NSAPI_IPv6)
        types = &a_then_aaaa[1];
    if (v != NSAPI_UNSPEC)
        ntypes = 1;
    nservers = server_list(ni, servers, DNS_MAX_SERVERS);
    for (int t = 0; t < ntypes; t++) {
        for (int i = 0; i < nservers; i++) {
            enum ask_result a = ask_server(ni, &servers[i], host, types[t], out);

            if (a == ASK_FOUND)
                return NSAPI_ERROR_OK;
            if (a == ASK_NO_SOCKET)
                return NSAPI_ERROR_NO_SOCKET;
            if (a == ASK_NO_NAME)
                return NSAPI_ERROR_DNS_FAILURE;
            if (a == ASK_NO_DATA)
                break;
        }
    }
    return NSAPI_ERROR_DNS_FAILURE;
}
