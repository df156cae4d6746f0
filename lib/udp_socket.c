/*
 * udp_socket.c: the public UDPSocket functions.
 */
#include <netsocket/socket.h>

#include "common.h"
#include "errmap.h"
#include "socket_util.h"

NSEMU_EXPORT udp_socket_t *udp_socket_new(void)
{
    return sock_new(SOCK_KIND_UDP);
}

NSEMU_EXPORT nsapi_size_or_error_t udp_socket_sendto(udp_socket_t *s,
                                                     const socket_address_t *to,
                                                     const void *data, nsapi_size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len;

    if (s == NULL || to == NULL || data == NULL)
        return NSAPI_ERROR_PARAMETER;
    if (!is_udp(s))
        return NSAPI_ERROR_UNSUPPORTED;
    len = socket_address_to_kernel(to, false, &ss);
    if (len == 0)
        return sock_interface(s) == NULL ? NSAPI_ERROR_NO_SOCKET : NSAPI_ERROR_PARAMETER;
    return nsapi_from_errno(sock_sendto(s, (struct sockaddr *)&ss, len, data, size));
}

NSEMU_EXPORT nsapi_size_or_error_t udp_socket_sendto_host(udp_socket_t *s, const char *host,
                                                          uint16_t port, const void *data,
                                                          nsapi_size_t size)
{
    socket_address_t to;
    nsapi_error_t r;

    if (s == NULL || host == NULL || data == NULL)
        return NSAPI_ERROR_PARAMETER;
    if (!is_udp(s))
        return NSAPI_ERROR_UNSUPPORTED;
    r = socket_resolve(s, host, port, &to);
    return r != NSAPI_ERROR_OK ? r : udp_socket_sendto(s, &to, data, size);
}

NSEMU_EXPORT nsapi_size_or_error_t udp_socket_recvfrom(udp_socket_t *s,
                                                       socket_address_t *from, void *data,
                                                       nsapi_size_t size)
{
    struct sockaddr_storage ss;
    long r;

    if (s == NULL || data == NULL)
        return NSAPI_ERROR_PARAMETER;
    if (!is_udp(s))
        return NSAPI_ERROR_UNSUPPORTED;
    r = sock_recvfrom(s, &ss, data, size);
    if (r >= 0 && from != NULL)
        socket_address_from_kernel(from, &ss);
    return nsapi_from_errno(r);
}
