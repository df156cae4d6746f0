/*
 * tcp_server.c: the public TCPServer functions (listen, accept). As in Mbed 5.10 and
 * later, a plain TCPSocket may listen and accept too.
 */
#include <netsocket/socket.h>

#include "common.h"
#include "errmap.h"
#include "socket_util.h"

NSEMU_EXPORT tcp_server_t *tcp_server_new(void)
{
    return sock_new(SOCK_KIND_SERVER);
}

NSEMU_EXPORT nsapi_error_t tcp_server_listen(tcp_server_t *s, int backlog)
{
    if (s == NULL)
        return NSAPI_ERROR_PARAMETER;
    if (!is_tcp(s))
        return NSAPI_ERROR_UNSUPPORTED;
    if (backlog < 0)
        return NSAPI_ERROR_PARAMETER;
    return nsapi_from_errno(sock_listen(s, backlog));
}

NSEMU_EXPORT nsapi_error_t tcp_server_accept(tcp_server_t *s, tcp_socket_t *connection,
                                             socket_address_t *from)
{
    struct sockaddr_storage ss;
    nsapi_error_t r;

    if (s == NULL || connection == NULL)
        return NSAPI_ERROR_PARAMETER;
    if (!is_tcp(s))
        return NSAPI_ERROR_UNSUPPORTED;
    if (!is_tcp(connection) || connection == s)
        return NSAPI_ERROR_PARAMETER;
    r = nsapi_from_errno(sock_accept(s, connection, &ss));
    if (r == NSAPI_ERROR_OK && from != NULL)
        socket_address_from_kernel(from, &ss);
    return r;
}
