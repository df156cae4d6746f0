/*
 * socket_address.h: SocketAddress as a C value type. The caller allocates it (on the
 * stack, in a struct); nothing here touches the heap or the network, and every function
 * is safe to call from any thread on distinct objects.
 */
#ifndef NETSOCKET_SOCKET_ADDRESS_H
#define NETSOCKET_SOCKET_ADDRESS_H

#include "nsapi_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The fields are private by convention: use the functions below. The text form is kept
 * beside the bytes so socket_address_get_ip_address() can return a pointer into the
 * object itself, valid until the object changes or goes out of scope. */
typedef struct socket_address {
    nsapi_addr_t _addr;
    uint16_t _port;
    char _text[NSAPI_IP_SIZE];
} socket_address_t;

/* Makes an empty address: no IP (is_set is false), port 0. */
void socket_address_init(socket_address_t *a);

/* Parses an IPv4 or IPv6 literal (no names, no brackets, no port). On failure, returns
 * false and leaves the address without IP; the port is kept either way. */
bool socket_address_set_ip_address(socket_address_t *a, const char *text);

/* Copies 4 (NSAPI_IPv4) or 16 (NSAPI_IPv6) bytes in network order; NSAPI_UNSPEC clears
 * the IP. */
void socket_address_set_ip_bytes(socket_address_t *a, const void *bytes, nsapi_version_t v);
void socket_address_set_addr(socket_address_t *a, nsapi_addr_t addr);
void socket_address_set_port(socket_address_t *a, uint16_t port);

/* The IP as text ("10.0.2.15", "::1"), pointing into *a; NULL when no IP is set. */
const char *socket_address_get_ip_address(const socket_address_t *a);
/* The raw bytes, pointing into *a (4 or 16 of them, by version). */
const void *socket_address_get_ip_bytes(const socket_address_t *a);
nsapi_addr_t socket_address_get_addr(const socket_address_t *a);
uint16_t socket_address_get_port(const socket_address_t *a);
nsapi_version_t socket_address_get_ip_version(const socket_address_t *a);

/* Mbed's operator bool: true when an IP is set and it is not all zeros. */
bool socket_address_is_set(const socket_address_t *a);
/* Same version, bytes and port. Two empty addresses with one port are equal. */
bool socket_address_equal(const socket_address_t *a, const socket_address_t *b);

#ifdef __cplusplus
}
#endif

#endif /* NETSOCKET_SOCKET_ADDRESS_H */
