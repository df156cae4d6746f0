/*
 * addr.c: address conversions shared by the socket layer, the DNS client and the knob
 * parser. No state, no I/O.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

socklen_t addr_to_sockaddr(const nsapi_addr_t *a, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (a->version == NSAPI_IPv4) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;

        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        memcpy(&sin->sin_addr, a->bytes, 4);
        return sizeof(*sin);
    }
    if (a->version == NSAPI_IPv6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        memcpy(&sin6->sin6_addr, a->bytes, 16);
        return sizeof(*sin6);
    }
    return 0;
}

void addr_from_sockaddr(const struct sockaddr *sa, nsapi_addr_t *a, uint16_t *port)
{
    memset(a, 0, sizeof(*a));
    *port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

        a->version = NSAPI_IPv4;
        memcpy(a->bytes, &sin->sin_addr, 4);
        *port = ntohs(sin->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

        *port = ntohs(sin6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            a->version = NSAPI_IPv4;
            memcpy(a->bytes, &sin6->sin6_addr.s6_addr[12], 4);
        } else {
            a->version = NSAPI_IPv6;
            memcpy(a->bytes, &sin6->sin6_addr, 16);
        }
    }
}

bool addr_parse(const char *text, nsapi_addr_t *a)
{
    memset(a, 0, sizeof(*a));
    if (text == NULL)
        return false;
    if (inet_pton(AF_INET, text, a->bytes) == 1) {
        a->version = NSAPI_IPv4;
        return true;
    }
    if (inet_pton(AF_INET6, text, a->bytes) == 1) {
        a->version = NSAPI_IPv6;
        return true;
    }
    memset(a, 0, sizeof(*a));
    return false;
}

void addr_format(const nsapi_addr_t *a, char *buf, size_t len)
{
    int af = a->version == NSAPI_IPv4 ? AF_INET : AF_INET6;

    if (len == 0)
        return;
    buf[0] = '\0';
    if (a->version == NSAPI_UNSPEC || inet_ntop(af, a->bytes, buf, (socklen_t)len) == NULL)
        buf[0] = '\0';
}

bool addr_is_any(const nsapi_addr_t *a)
{
    size_t n = a->version == NSAPI_IPv4 ? 4 : 16;

    for (size_t i = 0; i < n; i++)
        if (a->bytes[i] != 0)
            return false;
    return true;
}

bool addr_is_loopback(const nsapi_addr_t *a)
{
    static const uint8_t v6_loopback[16] = {[15] = 1};

    if (a->version == NSAPI_IPv4)
        return a->bytes[0] == 127;
    if (a->version == NSAPI_IPv6)
        return memcmp(a->bytes, v6_loopback, 16) == 0;
    return false;
}

static bool parse_port(const char *text, uint16_t *port)
{
    char *end;
    long v;

    if (*text < '0' || *text > '9')
        return false;
    v = strtol(text, &end, 10);
    if (*end != '\0' || v < 1 || v > 65535)
        return false;
    *port = (uint16_t)v;
    return true;
}

/* One list entry, NUL-terminated in a scratch buffer. */
static bool parse_entry(char *entry, struct addr_port *out)
{
    char *colon;

    out->port = 0;
    if (entry[0] == '[') {
        char *close = strchr(entry, ']');

        if (close == NULL || close[1] != ':')
            return false;
        *close = '\0';
        return addr_parse(entry + 1, &out->addr) && out->addr.version == NSAPI_IPv6 &&
               parse_port(close + 2, &out->port);
    }
    colon = strchr(entry, ':');
    if (colon != NULL && strchr(colon + 1, ':') == NULL) {
        *colon = '\0';
        return addr_parse(entry, &out->addr) && out->addr.version == NSAPI_IPv4 &&
               parse_port(colon + 1, &out->port);
    }
    return addr_parse(entry, &out->addr);
}

int addr_list_parse(const char *text, struct addr_port *out, int max)
{
    int n = 0;
    const char *p = text;

    for (;;) {
        char entry[64];
        size_t len;

        p += strspn(p, " \t");
        if (*p == '\0')
            return n;
        len = strcspn(p, " \t");
        if (len >= sizeof(entry) || n == max)
            return -1;
        memcpy(entry, p, len);
        entry[len] = '\0';
        if (!parse_entry(entry, &out[n]))
            return -1;
        n++;
        p += len;
    }
}
