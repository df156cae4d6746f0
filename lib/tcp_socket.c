/*
 * tcp_socket.c: the public TCPSocket functions. A TCPServer is a TCPSocket too, as in
 * Mbed, so these accept both; a UDP socket gets NSAPI_ERROR_UNSUPPORTED.
 */
#include <netsocket/socket.h>

#include "common.h"
#include "errmap.h"
#include "socket_util.h"

NSEMU_EXPORT tcp_socket_t *tcp_socket_new(void)
{
    return sock_new(SOCK_KIND_TCP);
}

NSEMU_EXPORT nsapi_error_t tcp_socket_connect(tcp_socket_t *s, const socket_address_t *remote)
{
    struct sockaddr_storage ss;
    socklen_t len;

    if (s == NULL || remote == NULL)
        return NSAPI_ERROR_PARAMETER;
    if (!is_tcp(s))
        return NSAPI_ERROR_UNSUPPORTED;
    len = socket_address_to_kernel(remote, false, &ss);
    if (len == 0)
        return sock_interface(s) == NULL ? NSAPI_ERROR_NO_SOCKET : NSAPI_ERROR_PARAMETER;
    return nsapi_from_errno(sock_connect(s, (struct sockaddr *)&ss, len));
}

NSEMU_EXPORT nsapi_error_t tcp_socket_connect_host(tcp_socket_t *s, const char *host,
                                                   uint16_t port)
{
    socket_address_t remote;
    nsapi_error_t r;

    if (s == NULL || host == NULL)
        return NSAPI_ERROR_PARAMETER;
    if (!is_tcp(s))
        return NSAPI_ERROR_UNSUPPORTED;
    r = socket_resolve(s, host, port, &remote);
    return r != NSAPI_ERROR_OK ? r : tcp_socket_connect(s, &remote);
}

NSEMU_EXPORT nsapi_size_or_error_t tcp_socket_send(tcp_socket_t *s, const void *data,
                                                   nsapi_size_t size)
{
    if (s == NULL || data == NULL)
        return NSAPI_ERROR_PARAMETER;
    if (!is_tcp(s))
        return NSAPI_ERROR_UNSUPPORTED;
    if (size > INT32_MAX)
        size = INT32_MAX; /* the result must fit nsapi_size_or_error_t */
    return nsapi_from_errno(sock_send(s, data, size));
}

NSEMU_EXPORT nsapi_size_or_error_t tcp_socket_recv(tcp_socket_t *s, void *data,
                                                   nsapi_size_t size)
{
    if (s == NULL || data == NULL)
        return NSAPI_ERROR_PARAMETER;
    if (!is_tcp(s))
        return NSAPI_ERROR_UNSUPPORTED;
    if (size > INT32_MAX)
        size = INT32_MAX;
    return nsapi_from_errno(sock_recv(s, data, size));
}
