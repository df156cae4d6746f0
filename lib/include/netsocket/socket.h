/*
 * socket.h: Socket, TCPSocket, UDPSocket and TCPServer as one opaque C type. Objects
 * live in the library (socket_delete frees them). Every function is thread-safe: one
 * thread may recv while another sends on the same socket, and socket_close() from any
 * thread wakes a blocked call, which then returns NSAPI_ERROR_NO_SOCKET.
 *
 * Blocking calls wait on the caller's own thread. From a sigio or status callback
 * (the stack thread), a call that would block returns NSAPI_ERROR_WOULD_BLOCK instead.
 */
#ifndef NETSOCKET_SOCKET_H
#define NETSOCKET_SOCKET_H

#include "network_interface.h"
#include "nsapi_types.h"
#include "socket_address.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nsemu_socket socket_t;
typedef socket_t tcp_socket_t, udp_socket_t, tcp_server_t;

/* New, not yet open sockets; NULL only when memory runs out. */
tcp_socket_t *tcp_socket_new(void);
udp_socket_t *udp_socket_new(void);
tcp_server_t *tcp_server_new(void);
/* Closes the socket if open, then frees it. */
void socket_delete(socket_t *s);

/* Takes one socket of the device's pool (device.sockets) on interface ni. */
nsapi_error_t socket_open(socket_t *s, network_interface_t *ni);
/* Closes and gives the pool socket back; the object can be opened again. Once it
 * returns, no sigio callback of this socket runs any more. */
nsapi_error_t socket_close(socket_t *s);
nsapi_error_t socket_bind(socket_t *s, const socket_address_t *local);
nsapi_error_t socket_bind_port(socket_t *s, uint16_t port);
/* true: wait forever (timeout -1); false: never wait (timeout 0). */
void socket_set_blocking(socket_t *s, bool blocking);
/* Milliseconds a blocking call waits; -1 forever, 0 nonblocking. */
void socket_set_timeout(socket_t *s, int timeout_ms);
/* level NSAPI_SOCKET; optval is an int for every supported option (see nsapi_types.h). */
nsapi_error_t socket_setsockopt(socket_t *s, int level, int optname, const void *optval,
                                unsigned optlen);
/* *optlen is the buffer's size on entry and the value's size on return. */
nsapi_error_t socket_getsockopt(socket_t *s, int level, int optname, void *optval,
                                unsigned *optlen);
/* Mbed's Socket::sigio(): cb(ctx) runs on the stack thread when the socket may have
 * become readable or writable or changed state; it may run spuriously. NULL detaches,
 * and once this returns the old callback does not run any more. */
void socket_sigio(socket_t *s, void (*cb)(void *ctx), void *ctx);

nsapi_error_t tcp_socket_connect(tcp_socket_t *s, const socket_address_t *remote);
/* Resolves host through the socket's interface, then connects. */
nsapi_error_t tcp_socket_connect_host(tcp_socket_t *s, const char *host, uint16_t port);
/* Blocking: sends all of data, or as much as the timeout allowed. Nonblocking: as much as
 * fits now. Returns the bytes sent. */
nsapi_size_or_error_t tcp_socket_send(tcp_socket_t *s, const void *data, nsapi_size_t size);
/* Returns the bytes received, 0 once the peer has closed. */
nsapi_size_or_error_t tcp_socket_recv(tcp_socket_t *s, void *data, nsapi_size_t size);

nsapi_size_or_error_t udp_socket_sendto(udp_socket_t *s, const socket_address_t *to,
                                        const void *data, nsapi_size_t size);
nsapi_size_or_error_t udp_socket_sendto_host(udp_socket_t *s, const char *host,
                                             uint16_t port, const void *data,
                                             nsapi_size_t size);
/* One datagram; when it is larger than size, the rest is dropped. from may be NULL. */
nsapi_size_or_error_t udp_socket_recvfrom(udp_socket_t *s, socket_address_t *from,
                                          void *data, nsapi_size_t size);

nsapi_error_t tcp_server_listen(tcp_server_t *s, int backlog);
/* Accepts into connection (closing it first if open; it takes a pool socket and
 * inherits the server's interface). from may be NULL. */
nsapi_error_t tcp_server_accept(tcp_server_t *s, tcp_socket_t *connection,
                                socket_address_t *from);

#ifdef __cplusplus
}
#endif

#endif /* NETSOCKET_SOCKET_H */
