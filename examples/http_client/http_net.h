/*
 * http_net.h: the network half the HTTP examples share: bring the default interface up,
 * resolve a URL's host and connect to it, and name nsapi errors for people. Messages go
 * to stdout prefixed with the program's name.
 */
#ifndef HTTP_NET_H
#define HTTP_NET_H

#include <netsocket/netsocket.h>

#include "http_url.h"

/* A short readable name for an nsapi error ("CONNECTION_LOST (reset by the peer)"). */
const char *http_error_name(nsapi_error_t e);

/* Connects the default interface; the interface, or NULL (said on stdout). */
network_interface_t *http_bring_up(const char *prog);

/* Resolves url's host and connects a blocking socket with timeout_ms; the open,
 * connected socket, or NULL (said on stdout). */
tcp_socket_t *http_connect(network_interface_t *ni, const struct http_url *url, int timeout_ms,
                           const char *prog);

#endif /* HTTP_NET_H */
