/*
 * host_link.c: the host link (DESIGN §3), needing no privileges. Sockets live in the
 * host's network namespace; the interface's life cycle is emulated. The device's
 * address is [host] address / address6: binds to the any-address become binds to it
 * (unless [host] expose), unbound sockets reaching a loopback peer bind to it first,
 * and ports 1-1023 are moved up by [host] port_offset.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "eventlog.h"
#include "knobs.h"
#include "link.h"
#include "netif.h"

static int host_socket(int family, int type)
{
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    return fd < 0 ? -errno : fd;
}

static void knob_addr(enum knob_id id, nsapi_addr_t *a)
{
    char text[NSAPI_IP_SIZE];

    knob_text(id, text, sizeof(text));
    addr_parse(text, a);
}

/* Emulated DHCP: the lease is the device's own host address, after the exchange that
 * mode asks for (as knob_int reads ethernet.dhcp: -1 fail, -2 nak, else a delay in ms;
 * for WiFi, the AP's dhcp). */
static nsapi_error_t host_dhcp(long mode)
{
    long timeout = knob_int(KNOB_DEVICE_DHCP_TIMEOUT_MS);
    char ip[NSAPI_IP_SIZE];

    eventlog("dhcp discover");
    if (mode == -2) {
        eventlog("dhcp nak");
        return NSAPI_ERROR_DHCP_FAILURE;
    }
    if (mode == -1 || mode >= timeout) {
        sleep_ms(timeout);
        eventlog("dhcp fail no-offer timeout_ms=%ld", timeout);
        return NSAPI_ERROR_DHCP_FAILURE;
    }
    if (mode > 0) {
        eventlog("dhcp delay ms=%ld", mode);
        sleep_ms(mode);
    }
    knob_text(KNOB_HOST_ADDRESS, ip, sizeof(ip));
    eventlog("dhcp lease ip=%s", ip);
    return NSAPI_ERROR_OK;
}

static nsapi_error_t host_up(struct network_interface *ni)
{
    nsapi_addr_t v4, v6, configured;
    bool dhcp;

    pthread_mutex_lock(&ni->lock);
    dhcp = ni->dhcp;
    pthread_mutex_unlock(&ni->lock);
    if (dhcp) {
        nsapi_error_t r = host_dhcp(netif_dhcp_mode(ni));

        if (r != NSAPI_ERROR_OK)
            return r;
    }
    knob_addr(KNOB_HOST_ADDRESS, &v4);
    knob_addr(KNOB_HOST_ADDRESS6, &v6);
    pthread_mutex_lock(&ni->lock);
    if (ni->dhcp) {
        /* Emulated DHCP: the lease is the device's own host address. */
        addr_format(&v4, ni->ip, sizeof(ni->ip));
        snprintf(ni->mask, sizeof(ni->mask), "255.0.0.0");
        snprintf(ni->gw, sizeof(ni->gw), "127.0.0.1");
    } else {
        snprintf(ni->ip, sizeof(ni->ip), "%s", ni->static_ip);
        snprintf(ni->mask, sizeof(ni->mask), "%s", ni->static_mask);
        snprintf(ni->gw, sizeof(ni->gw), "%s", ni->static_gw);
        /* A loopback address is used for real; any other is only reported. */
        addr_parse(ni->static_ip, &configured);
        if (addr_is_loopback(&configured)) {
            if (configured.version == NSAPI_IPv4)
                v4 = configured;
            else
                v6 = configured;
        } else {
            eventlog("netif static ip=%s reported only: sockets use the host address",
                     ni->static_ip);
        }
    }
    ni->src4 = v4;
    ni->src6 = v6;
    pthread_mutex_unlock(&ni->lock);
    return NSAPI_ERROR_OK;
}

static void host_down(struct network_interface *ni, bool graceful)
{
    (void)ni;
    (void)graceful;
}

static uint16_t *sockaddr_port(struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET ? &((struct sockaddr_in *)ss)->sin_port
                                    : &((struct sockaddr_in6 *)ss)->sin6_port;
}

/* The device's address of ss's family (the interface's when it is up). */
static void device_source(struct network_interface *ni, int family, nsapi_addr_t *a)
{
    nsapi_addr_t v4, v6;

    if (ni != NULL && netif_is_up(ni)) {
        netif_sources(ni, &v4, &v6);
    } else {
        knob_addr(KNOB_HOST_ADDRESS, &v4);
        knob_addr(KNOB_HOST_ADDRESS6, &v6);
    }
    *a = family == AF_INET ? v4 : v6;
}

static void host_bind_address(struct network_interface *ni, struct sockaddr_storage *ss)
{
    nsapi_addr_t a, src;
    uint16_t port, offset = (uint16_t)knob_int(KNOB_HOST_PORT_OFFSET);

    addr_from_sockaddr((struct sockaddr *)ss, &a, &port);
    if (addr_is_any(&a) && !knob_int(KNOB_HOST_EXPOSE)) {
        device_source(ni, ss->ss_family, &src);
        addr_to_sockaddr(&src, port, ss);
    }
    if (port >= 1 && port <= 1023 && offset != 0) {
        static atomic_bool said;

        *sockaddr_port(ss) = htons((uint16_t)(port + offset));
        if (!atomic_exchange(&said, true))
            eventlog("host port_offset %u ports 1-1023 bind at port+%u (%u -> %u)", offset,
                     offset, port, port + offset);
    }
}

static bool host_source_for(struct network_interface *ni, const struct sockaddr *dest,
                            struct sockaddr_storage *src, socklen_t *len)
{
    nsapi_addr_t a, from;
    uint16_t port;

    addr_from_sockaddr(dest, &a, &port);
    if (!addr_is_loopback(&a) || (dest->sa_family == AF_INET6 && a.version == NSAPI_IPv4))
        return false;
    device_source(ni, dest->sa_family, &from);
    *len = addr_to_sockaddr(&from, 0, src);
    return *len > 0;
}

static int host_dhcp_dns_servers(struct network_interface *ni, struct addr_port *out, int max)
{
    (void)ni;
    (void)out;
    (void)max;
    return 0; /* the emulated DHCP of the host link hands out no DNS server */
}

const struct link_ops host_link = {
    .name = "host",
    .socket = host_socket,
    .up = host_up,
    .down = host_down,
    .bind_address = host_bind_address,
    .source_for = host_source_for,
    .host_resolvers = true,
    .dhcp_dns_servers = host_dhcp_dns_servers,
};
