/*
 * addr.h: conversions between Mbed's nsapi_addr_t and kernel socket addresses, and the
 * parser for address lists ("127.0.0.1:5353 [::1]:53"). Pure functions.
 */
#ifndef NSEMU_ADDR_H
#define NSEMU_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <netsocket/nsapi_types.h>

/* Kernel address from an nsapi address and port. Returns its length, 0 for UNSPEC. */
socklen_t addr_to_sockaddr(const nsapi_addr_t *a, uint16_t port, struct sockaddr_storage *ss);
/* nsapi address and port from a kernel address; an IPv4-mapped IPv6 address becomes
 * IPv4. */
void addr_from_sockaddr(const struct sockaddr *sa, nsapi_addr_t *a, uint16_t *port);

/* Parses an IPv4 or IPv6 literal. */
bool addr_parse(const char *text, nsapi_addr_t *a);
/* Formats into buf (at least NSAPI_IP_SIZE); "" for UNSPEC. */
void addr_format(const nsapi_addr_t *a, char *buf, size_t len);

bool addr_is_any(const nsapi_addr_t *a);
bool addr_is_loopback(const nsapi_addr_t *a);

/* One entry of an address list: "IP", "IP:PORT" (IPv4) or "[IPv6]:PORT". */
struct addr_port {
    nsapi_addr_t addr;
    uint16_t port; /* 0 when not given */
};

/* Parses a space-separated list into at most max entries; returns how many, or -1 when
 * an entry is not an address (or there are more than max). */
int addr_list_parse(const char *text, struct addr_port *out, int max);

#endif /* NSEMU_ADDR_H */
