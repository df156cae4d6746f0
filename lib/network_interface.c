/*
 * network_interface.c: the public NetworkInterface / EthernetInterface / WiFiInterface
 * functions: argument and kind checks (DESIGN §2), then emu/netif.c (and, for WiFi,
 * emu/wifi.c) does the work.
 */
#include <netsocket/network_interface.h>

#include <stdio.h>
#include <string.h>

#include "common.h"
#include "dns.h"
#include "netif.h"
#include "wifi.h"

NSEMU_EXPORT ethernet_interface_t *ethernet_interface_new(void)
{
    return netif_new(NETIF_ETHERNET);
}

NSEMU_EXPORT wifi_interface_t *wifi_interface_new(void)
{
    return netif_new(NETIF_WIFI);
}

NSEMU_EXPORT network_interface_t *network_interface_get_default_instance(void)
{
    return netif_default();
}

NSEMU_EXPORT void network_interface_delete(network_interface_t *ni)
{
    if (ni != NULL)
        netif_delete(ni);
}

NSEMU_EXPORT nsapi_error_t network_interface_connect(network_interface_t *ni)
{
    return ni == NULL ? NSAPI_ERROR_PARAMETER : netif_connect(ni);
}

NSEMU_EXPORT nsapi_error_t network_interface_disconnect(network_interface_t *ni)
{
    return ni == NULL ? NSAPI_ERROR_PARAMETER : netif_disconnect(ni);
}

enum { ADDR_IP, ADDR_MASK, ADDR_GW };

/* A current address string, or NULL while down or when it is empty. The string is
 * copied under the interface's lock into the calling thread's own buffer (one per
 * getter), so a connect or link event on another thread never tears it; it stays valid
 * until this thread calls the same getter again. */
static const char *address_or_null(network_interface_t *ni, int which)
{
    static _Thread_local char copies[3][NSAPI_IP_SIZE];
    const char *field = which == ADDR_IP ? ni->ip : which == ADDR_MASK ? ni->mask : ni->gw;
    char *out = copies[which];

    pthread_mutex_lock(&ni->lock);
    snprintf(out, NSAPI_IP_SIZE, "%s", netif_is_up(ni) ? field : "");
    pthread_mutex_unlock(&ni->lock);
    return out[0] == '\0' ? NULL : out;
}

NSEMU_EXPORT const char *network_interface_get_ip_address(network_interface_t *ni)
{
    return ni == NULL ? NULL : address_or_null(ni, ADDR_IP);
}

NSEMU_EXPORT const char *network_interface_get_mac_address(network_interface_t *ni)
{
    return ni == NULL ? NULL : ni->mac;
}

NSEMU_EXPORT const char *network_interface_get_netmask(network_interface_t *ni)
{
    return ni == NULL ? NULL : address_or_null(ni, ADDR_MASK);
}

NSEMU_EXPORT const char *network_interface_get_gateway(network_interface_t *ni)
{
    return ni == NULL ? NULL : address_or_null(ni, ADDR_GW);
}

NSEMU_EXPORT nsapi_error_t network_interface_set_network(network_interface_t *ni,
                                                         const char *ip, const char *netmask,
                                                         const char *gateway)
{
    if (ni == NULL || ip == NULL || netmask == NULL || gateway == NULL)
        return NSAPI_ERROR_PARAMETER;
    return netif_set_network(ni, ip, netmask, gateway);
}

NSEMU_EXPORT nsapi_error_t network_interface_set_dhcp(network_interface_t *ni, bool dhcp)
{
    if (ni == NULL)
        return NSAPI_ERROR_PARAMETER;
    netif_set_dhcp(ni, dhcp);
    return NSAPI_ERROR_OK;
}

NSEMU_EXPORT nsapi_error_t network_interface_gethostbyname(network_interface_t *ni,
                                                           const char *host,
                                                           socket_address_t *out,
                                                           nsapi_version_t v)
{
    nsapi_addr_t addr;
    nsapi_error_t r;

    if (ni == NULL || host == NULL || out == NULL)
        return NSAPI_ERROR_PARAMETER;
    if (v != NSAPI_UNSPEC && v != NSAPI_IPv4 && v != NSAPI_IPv6)
        return NSAPI_ERROR_PARAMETER;
    r = dns_lookup(ni, host, v, &addr);
    if (r == NSAPI_ERROR_OK)
        socket_address_set_addr(out, addr); /* the port stays, as in Mbed */
    return r;
}

NSEMU_EXPORT nsapi_error_t network_interface_add_dns_server(network_interface_t *ni,
                                                            const socket_address_t *server)
{
    nsapi_addr_t addr;

    if (ni == NULL || server == NULL)
        return NSAPI_ERROR_PARAMETER;
    if (!socket_address_is_set(server))
        return NSAPI_ERROR_PARAMETER;
    addr = socket_address_get_addr(server);
    return netif_add_dns_server(ni, &addr, socket_address_get_port(server));
}

NSEMU_EXPORT nsapi_connection_status_t
network_interface_get_connection_status(network_interface_t *ni)
{
    if (ni == NULL)
        return NSAPI_STATUS_DISCONNECTED;
    return (nsapi_connection_status_t)atomic_load(&ni->status);
}

NSEMU_EXPORT void network_interface_attach(network_interface_t *ni,
                                           void (*cb)(void *ctx, nsapi_event_t ev,
                                                      intptr_t arg),
                                           void *ctx)
{
    if (ni != NULL)
        netif_attach(ni, cb, ctx);
}

/* ---- WiFi (DESIGN §4): NULL first, then the kind, then the values ---------------- */

/* A NULL password is allowed for an open network only (DESIGN §2). */
static bool credentials_given(const char *ssid, const char *pass, nsapi_security_t sec)
{
    return ssid != NULL && (pass != NULL || sec == NSAPI_SECURITY_NONE);
}

static bool is_wifi(const network_interface_t *ni)
{
    return ni->kind == NETIF_WIFI;
}

NSEMU_EXPORT nsapi_error_t wifi_interface_set_credentials(wifi_interface_t *w,
                                                          const char *ssid, const char *pass,
                                                          nsapi_security_t sec)
{
    if (w == NULL || !credentials_given(ssid, pass, sec))
        return NSAPI_ERROR_PARAMETER;
    if (!is_wifi(w))
        return NSAPI_ERROR_UNSUPPORTED;
    return wifi_set_credentials(w, ssid, pass, sec);
}

NSEMU_EXPORT nsapi_error_t wifi_interface_set_channel(wifi_interface_t *w, uint8_t channel)
{
    if (w == NULL)
        return NSAPI_ERROR_PARAMETER;
    if (!is_wifi(w))
        return NSAPI_ERROR_UNSUPPORTED;
    wifi_set_channel(w, channel);
    return NSAPI_ERROR_OK;
}

NSEMU_EXPORT nsapi_error_t wifi_interface_connect_to(wifi_interface_t *w, const char *ssid,
                                                     const char *pass, nsapi_security_t sec,
                                                     uint8_t channel)
{
    nsapi_error_t r;

    if (w == NULL || !credentials_given(ssid, pass, sec))
        return NSAPI_ERROR_PARAMETER;
    if (!is_wifi(w))
        return NSAPI_ERROR_UNSUPPORTED;
    /* As Mbed's drivers do: store, as set_credentials and set_channel would, then
     * connect. */
    r = wifi_set_credentials(w, ssid, pass, sec);
    if (r != NSAPI_ERROR_OK)
        return r;
    wifi_set_channel(w, channel);
    return netif_connect(w);
}

NSEMU_EXPORT int8_t wifi_interface_get_rssi(wifi_interface_t *w)
{
    if (w == NULL || !is_wifi(w))
        return 0;
    return wifi_rssi(w);
}

NSEMU_EXPORT nsapi_size_or_error_t wifi_interface_scan(wifi_interface_t *w,
                                                       nsapi_wifi_ap_t *res,
                                                       nsapi_size_t count)
{
    /* res may be NULL only when count is 0: then scan just counts the APs. */
    if (w == NULL || (res == NULL && count > 0))
        return NSAPI_ERROR_PARAMETER;
    if (!is_wifi(w))
        return NSAPI_ERROR_UNSUPPORTED;
    return wifi_scan(w, res, count);
}
