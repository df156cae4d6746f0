/*
 * socket.c: the public Socket functions every kind shares (open, close, bind, modes,
 * options, sigio): argument checks of DESIGN §2, then emu/sock.c, then the errno table.
 */
#include <netsocket/socket.h>

#include <string.h>

#include "addr.h"
#include "common.h"
#include "dns.h"
#include "errmap.h"
#include "netif.h"
#include "socket_util.h"

socklen_t socket_address_to_kernel(const socket_address_t *a, bool any_ok,
                                   struct sockaddr_storage *ss)
{
    nsapi_addr_t addr = socket_address_get_addr(a);

    if (addr.version == NSAPI_UNSPEC) {
        if (!any_ok)
            return 0;
        addr.version = NSAPI_IPv4; /* any-address; see docs/mbed-differences.md */
    }
    return addr_to_sockaddr(&addr, socket_address_get_port(a), ss);
}

void socket_address_from_kernel(socket_address_t *a, const struct sockaddr_storage *ss)
{
    nsapi_addr_t addr;
    uint16_t port;

    addr_from_sockaddr((const struct sockaddr *)ss, &addr, &port);
    socket_address_set_addr(a, addr);
    socket_address_set_port(a, port);
}

nsapi_error_t socket_resolve(socket_t *s, const char *host, uint16_t port,
                             socket_address_t *out)
{
    struct network_interface *ni = sock_interface(s);
    nsapi_addr_t addr;
    nsapi_error_t r;

    if (ni == NULL)
        return NSAPI_ERROR_NO_SOCKET;
    r = dns_lookup(ni, host, NSAPI_UNSPEC, &addr);
    if (r != NSAPI_ERROR_OK)
        return r;
    socket_address_init(out);
    socket_address_set_addr(out, addr);
    socket_address_set_port(out, port);
    return NSAPI_ERROR_OK;
}

NSEMU_EXPORT void socket_delete(socket_t *s)
{
    if (s != NULL)
        sock_free(s);
}

NSEMU_EXPORT nsapi_error_t socket_open(socket_t *s, network_interface_t *ni)
{
    if (s == NULL || ni == NULL)
        return NSAPI_ERROR_PARAMETER;
    return nsapi_from_errno(sock_open(s, ni));
}

NSEMU_EXPORT nsapi_error_t socket_close(socket_t *s)
{
    if (s == NULL)
        return NSAPI_ERROR_PARAMETER;
    return nsapi_from_errno(sock_close(s));
}

NSEMU_EXPORT nsapi_error_t socket_bind(socket_t *s, const socket_address_t *local)
{
    struct sockaddr_storage ss;
    socklen_t len;

    if (s == NULL || local == NULL)
        return NSAPI_ERROR_PARAMETER;
    len = socket_address_to_kernel(local, true, &ss);
    return nsapi_from_errno(sock_bind(s, (struct sockaddr *)&ss, len));
}

NSEMU_EXPORT nsapi_error_t socket_bind_port(socket_t *s, uint16_t port)
{
    socket_address_t any;

    socket_address_init(&any);
    socket_address_set_port(&any, port);
    return socket_bind(s, &any);
}

NSEMU_EXPORT void socket_set_blocking(socket_t *s, bool blocking)
{
    if (s != NULL)
        sock_set_timeout(s, blocking ? -1 : 0);
}

NSEMU_EXPORT void socket_set_timeout(socket_t *s, int timeout_ms)
{
    if (s != NULL)
        sock_set_timeout(s, timeout_ms);
}

/* The options nsemu supports: NSAPI_REUSEADDR ... NSAPI_RCVBUF of level NSAPI_SOCKET. */
static bool option_supported(int level, int optname)
{
    return level == NSAPI_SOCKET && optname >= NSAPI_REUSEADDR && optname <= NSAPI_RCVBUF;
}

NSEMU_EXPORT nsapi_error_t socket_setsockopt(socket_t *s, int level, int optname,
                                             const void *optval, unsigned optlen)
{
    int value;

    if (s == NULL || optval == NULL)
        return NSAPI_ERROR_PARAMETER;
    if (!option_supported(level, optname))
        return NSAPI_ERROR_UNSUPPORTED;
    if (optlen != sizeof(int))
        return NSAPI_ERROR_PARAMETER;
    memcpy(&value, optval, sizeof(value));
    return nsapi_from_errno(sock_setopt(s, optname, value));
}

NSEMU_EXPORT nsapi_error_t socket_getsockopt(socket_t *s, int level, int optname,
                                             void *optval, unsigned *optlen)
{
    int value;
    nsapi_error_t r;

    if (s == NULL || optval == NULL || optlen == NULL)
        return NSAPI_ERROR_PARAMETER;
    if (!option_supported(level, optname))
        return NSAPI_ERROR_UNSUPPORTED;
    if (*optlen < sizeof(int))
        return NSAPI_ERROR_PARAMETER;
    r = nsapi_from_errno(sock_getopt(s, optname, &value));
    if (r == NSAPI_ERROR_OK) {
        memcpy(optval, &value, sizeof(value));
        *optlen = sizeof(int);
    }
    return r;
}

NSEMU_EXPORT void socket_sigio(socket_t *s, void (*cb)(void *ctx), void *ctx)
{
    if (s != NULL)
        sock_sigio(s, cb, ctx);
}
