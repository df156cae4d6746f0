/*
 * netif.h: the device's network interfaces (NetworkInterface). An interface's state is
 * guarded by its lock; status callbacks run on the stack thread.
 */
#ifndef NSEMU_NETIF_H
#define NSEMU_NETIF_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <netsocket/network_interface.h>

#include "addr.h"

enum netif_kind { NETIF_ETHERNET, NETIF_WIFI };

struct wifi_sta;

#define NETIF_MAX_DNS 8

struct network_interface {
    enum netif_kind kind;
    bool is_default;
    pthread_mutex_t lock;
    _Atomic int status; /* nsapi_connection_status_t */
    bool busy; /* a connect or disconnect is running */
    bool dhcp;
    /* set_network's configuration (text as given), used when dhcp is false. */
    char static_ip[NSAPI_IP_SIZE], static_mask[NSAPI_IP_SIZE], static_gw[NSAPI_IP_SIZE];
    /* Current addresses; empty strings while down. */
    char ip[NSAPI_IP_SIZE], mask[NSAPI_IP_SIZE], gw[NSAPI_IP_SIZE];
    char mac[NSAPI_MAC_SIZE];
    /* The addresses the device's sockets really use on the host link. */
    nsapi_addr_t src4, src6;
    struct addr_port dns[NETIF_MAX_DNS];
    int ndns;
    void (*cb)(void *ctx, nsapi_event_t ev, intptr_t arg);
    void *cb_ctx;
    unsigned refs;   /* 1 for the application's handle, 1 per open socket */
    bool resume;     /* was up when the cable went out: comes back up with it */
    struct wifi_sta *wifi; /* NETIF_WIFI: its station in the fake WiFi world (wifi.h) */
    struct network_interface *reg_next;
};

/* The cable went out or came back (device_set_link): interfaces that were up report
 * DISCONNECTED, then come back up by themselves (DHCP again) when it returns. */
void netif_link_changed(bool up);

struct network_interface *netif_new(enum netif_kind kind);
struct network_interface *netif_default(void);
/* Drops the application's handle; the default instance is never freed. */
void netif_delete(struct network_interface *ni);
nsapi_error_t netif_connect(struct network_interface *ni);
nsapi_error_t netif_disconnect(struct network_interface *ni);
nsapi_error_t netif_set_network(struct network_interface *ni, const char *ip,
                                const char *mask, const char *gw);
void netif_set_dhcp(struct network_interface *ni, bool dhcp);
nsapi_error_t netif_add_dns_server(struct network_interface *ni, const nsapi_addr_t *addr,
                                   uint16_t port);
/* Copies the servers added to ni, at most max; how many. */
int netif_dns_servers(struct network_interface *ni, struct addr_port *out, int max);
void netif_attach(struct network_interface *ni,
                  void (*cb)(void *ctx, nsapi_event_t ev, intptr_t arg), void *ctx);

/* Sockets hold a reference to their interface, so deleting an interface with sockets
 * still open frees it only when the last one closes. */
void netif_ref(struct network_interface *ni);
void netif_unref(struct network_interface *ni);
/* netif_ref, unless the last reference is gone already (false then). */
bool netif_try_ref(struct network_interface *ni);

/* True when ni is up (GLOBAL_UP or LOCAL_UP). */
bool netif_is_up(struct network_interface *ni);

/* How DHCP behaves for ni, as knob_int reads ethernet.dhcp (-1 fail, -2 nak, else a
 * delay in ms): the knob for Ethernet, the associated AP's dhcp for WiFi. */
long netif_dhcp_mode(struct network_interface *ni);

/* A WiFi interface's AP went and it could not roam (stack thread): when it was up (or
 * waiting for the cable to return), every socket open on it dies (CONNECTION_LOST), it
 * goes down and reports DISCONNECTED. A connect or disconnect running now is left to
 * find out for itself. */
void netif_wifi_lost(struct network_interface *ni);

/* The link lost ni's address by itself (a DHCP lease expired, or a renewal was
 * refused): on a thread of its own, ni reports DISCONNECTED, then asks again once, as
 * when the cable returns (GLOBAL_UP again, or it stays down until the application
 * connects). Does not wait. */
void netif_address_lost(struct network_interface *ni);

/* Copies the device-side source addresses of ni. */
void netif_sources(struct network_interface *ni, nsapi_addr_t *v4, nsapi_addr_t *v6);

#endif /* NSEMU_NETIF_H */
