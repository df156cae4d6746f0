/*
 * dns.h: the device's DNS client (like Mbed's nsapi_dns). Lookups run on the caller's
 * thread over the device's own UDP sockets, holding one pool socket while they run.
 */
#ifndef NSEMU_DNS_H
#define NSEMU_DNS_H

#include <netsocket/nsapi_types.h>

struct network_interface;

/* Resolves host for interface ni: IP literals and "localhost" directly, names through
 * DNS servers in DESIGN §5's order. NSAPI_UNSPEC asks for A first, then AAAA. */
nsapi_error_t dns_lookup(struct network_interface *ni, const char *host, nsapi_version_t v,
                         nsapi_addr_t *out);

#endif /* NSEMU_DNS_H */
