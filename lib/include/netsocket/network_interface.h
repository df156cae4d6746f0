/*
 * network_interface.h: NetworkInterface, EthernetInterface and WiFiInterface as one
 * opaque C type. The objects live in the library; every function is thread-safe.
 * Status callbacks run on nsemu's stack thread, Mbed's interrupt context: keep them
 * short and make no blocking call there (a blocking call returns
 * NSAPI_ERROR_WOULD_BLOCK at once).
 */
#ifndef NETSOCKET_NETWORK_INTERFACE_H
#define NETSOCKET_NETWORK_INTERFACE_H

#include "nsapi_types.h"
#include "socket_address.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct network_interface network_interface_t;
typedef network_interface_t ethernet_interface_t, wifi_interface_t;

/* A new Ethernet interface, down; NULL only when memory runs out. Free it with
 * network_interface_delete(). */
ethernet_interface_t *ethernet_interface_new(void);

/* A new WiFi interface, down, without credentials. */
wifi_interface_t *wifi_interface_new(void);

/* The device's default interface, chosen by the scenario ([emulator] interface): the
 * same object on every call, never freed (network_interface_delete ignores it). */
network_interface_t *network_interface_get_default_instance(void);

/* Disconnects (if up) and frees. Sockets still open on it must be closed first. */
void network_interface_delete(network_interface_t *ni);

/* Brings the interface up: CONNECTING, then GLOBAL_UP through the status callback, both
 * before it returns. NSAPI_ERROR_IS_CONNECTED when up already; DHCP_FAILURE when DHCP
 * fails. */
nsapi_error_t network_interface_connect(network_interface_t *ni);
/* Takes it down (status DISCONNECTED); NSAPI_ERROR_NO_CONNECTION when down already. */
nsapi_error_t network_interface_disconnect(network_interface_t *ni);

/* The interface's addresses as text; NULL while it is down. IP, netmask and gateway are
 * copies in the calling thread's own buffers, valid until this thread calls the same
 * getter again; the MAC (always there) points into the interface. */
const char *network_interface_get_ip_address(network_interface_t *ni);
const char *network_interface_get_mac_address(network_interface_t *ni);
const char *network_interface_get_netmask(network_interface_t *ni);
const char *network_interface_get_gateway(network_interface_t *ni);

/* A static configuration (turns DHCP off); takes effect at the next connect. */
nsapi_error_t network_interface_set_network(network_interface_t *ni, const char *ip,
                                            const char *netmask, const char *gateway);
nsapi_error_t network_interface_set_dhcp(network_interface_t *ni, bool dhcp);

/* Resolves host (a name or an IP literal) into *out (port left 0). Blocks the caller
 * while DNS runs; NSAPI_ERROR_DNS_FAILURE when no server answers with an address. */
nsapi_error_t network_interface_gethostbyname(network_interface_t *ni, const char *host,
                                              socket_address_t *out, nsapi_version_t v);
/* Adds a DNS server (port 0 means 53), asked before the others. */
nsapi_error_t network_interface_add_dns_server(network_interface_t *ni,
                                               const socket_address_t *server);

nsapi_connection_status_t network_interface_get_connection_status(network_interface_t *ni);

/* One status callback per interface: NSAPI_EVENT_CONNECTION_STATUS_CHANGE with the new
 * nsapi_connection_status_t as arg. Runs on the stack thread; NULL detaches. */
void network_interface_attach(network_interface_t *ni,
                              void (*cb)(void *ctx, nsapi_event_t ev, intptr_t arg),
                              void *ctx);

/* WiFi. On an Ethernet interface these return NSAPI_ERROR_UNSUPPORTED (or 0). */
nsapi_error_t wifi_interface_set_credentials(wifi_interface_t *w, const char *ssid,
                                             const char *pass, nsapi_security_t sec);
nsapi_error_t wifi_interface_set_channel(wifi_interface_t *w, uint8_t channel);
nsapi_error_t wifi_interface_connect_to(wifi_interface_t *w, const char *ssid,
                                        const char *pass, nsapi_security_t sec,
                                        uint8_t channel);
/* The connected AP's RSSI in dBm; 0 when not connected. */
int8_t wifi_interface_get_rssi(wifi_interface_t *w);
/* With res NULL and count 0, the number of APs in range; else fills at most count of
 * them, strongest first, and returns how many it filled. */
nsapi_size_or_error_t wifi_interface_scan(wifi_interface_t *w, nsapi_wifi_ap_t *res,
                                          nsapi_size_t count);

#ifdef __cplusplus
}
#endif

#endif /* NETSOCKET_NETWORK_INTERFACE_H */
