/*
 * http_net.c: bringing up, resolving and connecting for http_client and https_client.
 */
#include "http_net.h"

#include <stdio.h>

const char *http_error_name(nsapi_error_t e)
{
    switch (e) {
    case NSAPI_ERROR_OK: return "OK";
    case NSAPI_ERROR_WOULD_BLOCK: return "WOULD_BLOCK (timed out)";
    case NSAPI_ERROR_PARAMETER: return "PARAMETER";
    case NSAPI_ERROR_NO_CONNECTION: return "NO_CONNECTION (refused, or network down)";
    case NSAPI_ERROR_NO_SOCKET: return "NO_SOCKET";
    case NSAPI_ERROR_NO_MEMORY: return "NO_MEMORY";
    case NSAPI_ERROR_DNS_FAILURE: return "DNS_FAILURE (no such name, or no answer)";
    case NSAPI_ERROR_DHCP_FAILURE: return "DHCP_FAILURE";
    case NSAPI_ERROR_CONNECTION_LOST: return "CONNECTION_LOST (reset by the peer)";
    case NSAPI_ERROR_CONNECTION_TIMEOUT: return "CONNECTION_TIMEOUT";
    default: return "error";
    }
}

network_interface_t *http_bring_up(const char *prog)
{
    network_interface_t *ni = network_interface_get_default_instance();
    nsapi_error_t r = ni == NULL ? NSAPI_ERROR_NO_MEMORY : network_interface_connect(ni);

    if (r != NSAPI_ERROR_OK) {
        printf("%s: the network does not come up: %d %s\n", prog, r, http_error_name(r));
        return NULL;
    }
    printf("%s: interface up: IP %s, MAC %s\n", prog, network_interface_get_ip_address(ni),
           network_interface_get_mac_address(ni));
    return ni;
}

tcp_socket_t *http_connect(network_interface_t *ni, const struct http_url *url, int timeout_ms,
                           const char *prog)
{
    socket_address_t addr;
    tcp_socket_t *s;
    nsapi_error_t r;

    socket_address_init(&addr);
    r = network_interface_gethostbyname(ni, url->host, &addr, NSAPI_UNSPEC);
    if (r != NSAPI_ERROR_OK) {
        printf("%s: cannot resolve %s: %d %s\n", prog, url->host, r, http_error_name(r));
        return NULL;
    }
    socket_address_set_port(&addr, url->port);
    printf("%s: %s is %s\n", prog, url->host, socket_address_get_ip_address(&addr));

    s = tcp_socket_new();
    r = s == NULL ? NSAPI_ERROR_NO_MEMORY : socket_open(s, ni);
    if (r == NSAPI_ERROR_OK) {
        socket_set_timeout(s, timeout_ms);
        r = tcp_socket_connect(s, &addr);
    }
    if (r != NSAPI_ERROR_OK) {
        printf("%s: cannot connect to %s port %u: %d %s\n", prog,
               socket_address_get_ip_address(&addr), url->port, r, http_error_name(r));
        socket_delete(s);
        return NULL;
    }
    printf("%s: connected to %s port %u\n", prog, socket_address_get_ip_address(&addr), url->port);
    return s;
}
