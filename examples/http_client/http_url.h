/*
 * http_url.h: splits an http:// or https:// URL with http-parser's own URL parser.
 * Shared by http_client and https_client. No heap, no state.
 */
#ifndef HTTP_URL_H
#define HTTP_URL_H

#include <stdbool.h>
#include <stdint.h>

struct http_url {
    char host[256];
    uint16_t port;
    char target[1024]; /* path and query, "/" when the URL has none */
};

/* Splits SCHEME://HOST[:PORT][/PATH][?QUERY]; the port defaults to default_port. False
 * for another scheme, no host, or a part too long for out. */
bool http_url_parse(const char *text, const char *scheme, uint16_t default_port,
                    struct http_url *out);

#endif /* HTTP_URL_H */
