/*
 * socket_util.h: what the public socket files share: kind checks and conversions
 * between socket_address_t and kernel addresses.
 */
#ifndef NSEMU_SOCKET_UTIL_H
#define NSEMU_SOCKET_UTIL_H

#include <stdbool.h>
#include <sys/socket.h>

#include <netsocket/netsocket.h>

#include "sock.h"

static inline bool is_tcp(const socket_t *s)
{
    return s->kind == SOCK_KIND_TCP || s->kind == SOCK_KIND_SERVER;
}

static inline bool is_udp(const socket_t *s)
{
    return s->kind == SOCK_KIND_UDP;
}

/* Kernel address of a; its length, or 0 when a has no IP. A bind may leave the IP
 * unset (any-address, IPv4): then any_ok gives 0.0.0.0. */
socklen_t socket_address_to_kernel(const socket_address_t *a, bool any_ok,
                                   struct sockaddr_storage *ss);
void socket_address_from_kernel(socket_address_t *a, const struct sockaddr_storage *ss);

/* Resolves host through s's interface; NO_SOCKET when s is not open. */
nsapi_error_t socket_resolve(socket_t *s, const char *host, uint16_t port,
                             socket_address_t *out);

#endif /* NSEMU_SOCKET_UTIL_H */
