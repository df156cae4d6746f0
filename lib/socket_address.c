/*
 * socket_address.c: SocketAddress, a caller-allocated value. No heap, no I/O; the text
 * form is rebuilt whenever the IP changes so the getter can hand out a pointer.
 */
#include <netsocket/socket_address.h>

#include <string.h>

#include "addr.h"
#include "common.h"

static void refresh_text(socket_address_t *a)
{
    addr_format(&a->_addr, a->_text, sizeof(a->_text));
}

NSEMU_EXPORT void socket_address_init(socket_address_t *a)
{
    if (a != NULL)
        memset(a, 0, sizeof(*a));
}

NSEMU_EXPORT bool socket_address_set_ip_address(socket_address_t *a, const char *text)
{
    bool ok;

    if (a == NULL)
        return false;
    ok = addr_parse(text, &a->_addr); /* clears the IP on failure */
    refresh_text(a);
    return ok;
}

NSEMU_EXPORT void socket_address_set_ip_bytes(socket_address_t *a, const void *bytes,
                                              nsapi_version_t v)
{
    bool known = v == NSAPI_UNSPEC || v == NSAPI_IPv4 || v == NSAPI_IPv6;

    if (a == NULL || !known || (bytes == NULL && v != NSAPI_UNSPEC))
        return; /* bad arguments change nothing (DESIGN §2) */
    memset(&a->_addr, 0, sizeof(a->_addr));
    if (v == NSAPI_IPv4 || v == NSAPI_IPv6) {
        a->_addr.version = v;
        memcpy(a->_addr.bytes, bytes, v == NSAPI_IPv4 ? NSAPI_IPv4_BYTES : NSAPI_IPv6_BYTES);
    }
    refresh_text(a);
}

NSEMU_EXPORT void socket_address_set_addr(socket_address_t *a, nsapi_addr_t addr)
{
    if (a == NULL)
        return;
    socket_address_set_ip_bytes(a, addr.bytes, addr.version);
}

NSEMU_EXPORT void socket_address_set_port(socket_address_t *a, uint16_t port)
{
    if (a != NULL)
        a->_port = port;
}

NSEMU_EXPORT const char *socket_address_get_ip_address(const socket_address_t *a)
{
    if (a == NULL || a->_addr.version == NSAPI_UNSPEC)
        return NULL;
    return a->_text;
}

NSEMU_EXPORT const void *socket_address_get_ip_bytes(const socket_address_t *a)
{
    return a == NULL ? NULL : a->_addr.bytes;
}

NSEMU_EXPORT nsapi_addr_t socket_address_get_addr(const socket_address_t *a)
{
    nsapi_addr_t none = {0};

    return a == NULL ? none : a->_addr;
}

NSEMU_EXPORT uint16_t socket_address_get_port(const socket_address_t *a)
{
    return a == NULL ? 0 : a->_port;
}

NSEMU_EXPORT nsapi_version_t socket_address_get_ip_version(const socket_address_t *a)
{
    return a == NULL ? NSAPI_UNSPEC : a->_addr.version;
}

NSEMU_EXPORT bool socket_address_is_set(const socket_address_t *a)
{
    return a != NULL && a->_addr.version != NSAPI_UNSPEC && !addr_is_any(&a->_addr);
}

NSEMU_EXPORT bool socket_address_equal(const socket_address_t *a, const socket_address_t *b)
{
    size_t n;

    if (a == NULL || b == NULL)
        return false;
    if (a->_addr.version != b->_addr.version || a->_port != b->_port)
        return false;
    n = a->_addr.version == NSAPI_IPv4 ? 4 : a->_addr.version == NSAPI_IPv6 ? 16 : 0;
    return memcmp(a->_addr.bytes, b->_addr.bytes, n) == 0;
}
