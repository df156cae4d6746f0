/*
 * netif.c: the device's network interfaces: their life cycle (connect, disconnect,
 * status callbacks on the stack thread), static or DHCP configuration and added DNS
 * servers. How an interface really comes up is the link's business (link.h); a WiFi
 * interface first associates with an AP of the fake WiFi world (wifi.h).
 */
#include "netif.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "config.h"
#include "device.h"
#include "knobs.h"
#include "sock.h"
#include "stack.h"
#include "wifi.h"

static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;
static struct network_interface *default_instance;

/* Every interface, for link events. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct network_interface *registry;

struct network_interface *netif_new(enum netif_kind kind)
{
    struct network_interface *ni;

    emu_ensure();
    ni = calloc(1, sizeof(*ni));
    if (ni == NULL)
        return NULL;
    ni->kind = kind;
    if (kind == NETIF_WIFI) {
        ni->wifi = wifi_sta_new(ni);
        if (ni->wifi == NULL) {
            free(ni);
            return NULL;
        }
    }
    pthread_mutex_init(&ni->lock, NULL);
    atomic_init(&ni->status, NSAPI_STATUS_DISCONNECTED);
    ni->dhcp = true;
    ni->refs = 1;
    knob_text(KNOB_DEVICE_MAC, ni->mac, sizeof(ni->mac));
    pthread_mutex_lock(&registry_lock);
    ni->reg_next = registry;
    registry = ni;
    pthread_mutex_unlock(&registry_lock);
    return ni;
}

struct network_interface *netif_default(void)
{
    pthread_mutex_lock(&default_lock);
    if (default_instance == NULL) {
        default_instance = netif_new(config_get()->interface == CONFIG_IFACE_WIFI
                                         ? NETIF_WIFI
                                         : NETIF_ETHERNET);
        if (default_instance != NULL)
            default_instance->is_default = true;
    }
    pthread_mutex_unlock(&default_lock);
    return default_instance;
}

void netif_ref(struct network_interface *ni)
{
    pthread_mutex_lock(&ni->lock);
    ni->refs++;
    pthread_mutex_unlock(&ni->lock);
}

bool netif_try_ref(struct network_interface *ni)
{
    bool alive;

    pthread_mutex_lock(&ni->lock);
    alive = ni->refs > 0;
    if (alive)
        ni->refs++;
    pthread_mutex_unlock(&ni->lock);
    return alive;
}

void netif_unref(struct network_interface *ni)
{
    unsigned left;

    if (ni == NULL)
        return;
    pthread_mutex_lock(&ni->lock);
    left = --ni->refs;
    pthread_mutex_unlock(&ni->lock);
    if (left == 0) {
        pthread_mutex_lock(&registry_lock);
        for (struct network_interface **p = &registry; *p != NULL; p = &(*p)->reg_next) {
            if (*p == ni) {
                *p = ni->reg_next;
                break;
            }
        }
        pthread_mutex_unlock(&registry_lock);
        wifi_sta_free(ni->wifi); /* waits for an AP event that still holds it */
        pthread_mutex_destroy(&ni->lock);
        free(ni);
    }
}

void netif_delete(struct network_interface *ni)
{
    if (ni->is_default)
        return;
    pthread_mutex_lock(&ni->lock);
    ni->resume = false; /* deleted: the cable coming back must not bring it up */
    pthread_mutex_unlock(&ni->lock);
    if (netif_is_up(ni))
        netif_disconnect(ni);
    /* Down or not, the link may still hold something for it (the tap link's eth0 and
     * DHCP client, kept through a cable outage). */
    device_link()->down(ni, false);
    netif_attach(ni, NULL, NULL);
    netif_unref(ni);
}

bool netif_is_up(struct network_interface *ni)
{
    int st = atomic_load_explicit(&ni->status, memory_order_acquire);

    return st == NSAPI_STATUS_GLOBAL_UP || st == NSAPI_STATUS_LOCAL_UP;
}

void netif_sources(struct network_interface *ni, nsapi_addr_t *v4, nsapi_addr_t *v6)
{
    pthread_mutex_lock(&ni->lock);
    *v4 = ni->src4;
    *v6 = ni->src6;
    pthread_mutex_unlock(&ni->lock);
}

/* ---- status and its callback, on the stack thread ------------------------------- */

struct status_change {
    struct network_interface *ni;
    nsapi_connection_status_t status;
};

static void status_on_loop(void *arg)
{
    struct status_change *c = arg;
    void (*cb)(void *, nsapi_event_t, intptr_t);
    void *ctx;

    pthread_mutex_lock(&c->ni->lock);
    atomic_store(&c->ni->status, c->status);
    cb = c->ni->cb;
    ctx = c->ni->cb_ctx;
    pthread_mutex_unlock(&c->ni->lock);
    if (cb != NULL)
        cb(ctx, NSAPI_EVENT_CONNECTION_STATUS_CHANGE, (intptr_t)c->status);
}

/* Sets the status and runs the callback with it before returning. */
static void set_status(struct network_interface *ni, nsapi_connection_status_t status)
{
    struct status_change c = {ni, status};

    stack_run_sync(status_on_loop, &c);
}

static void clear_addresses(struct network_interface *ni)
{
    pthread_mutex_lock(&ni->lock);
    ni->ip[0] = ni->mask[0] = ni->gw[0] = '\0';
    pthread_mutex_unlock(&ni->lock);
}

/* Claims the interface for one connect or disconnect; the error when it cannot. */
static nsapi_error_t claim(struct network_interface *ni, bool want_up)
{
    nsapi_error_t r = NSAPI_ERROR_OK;

    pthread_mutex_lock(&ni->lock);
    if (ni->busy)
        r = NSAPI_ERROR_ALREADY;
    else if (want_up && netif_is_up(ni))
        r = NSAPI_ERROR_IS_CONNECTED;
    else if (!want_up && !netif_is_up(ni))
        r = NSAPI_ERROR_NO_CONNECTION;
    else
        ni->busy = true;
    pthread_mutex_unlock(&ni->lock);
    return r;
}

static void release(struct network_interface *ni)
{
    pthread_mutex_lock(&ni->lock);
    ni->busy = false;
    pthread_mutex_unlock(&ni->lock);
}

/* How a connect (or a comeback after the cable) ends. */
struct connect_end {
    struct network_interface *ni;
    nsapi_error_t r;
    bool comeback; /* after the cable returned: no DISCONNECTED report on failure */
};

/* Ends a connect on the stack thread, where AP events run too, so none slips between
 * the last look at the station and the new status: a WiFi station whose AP went during
 * DHCP (with no AP to roam to) fails the connect. Then the status, and the interface is
 * free for the next connect or disconnect. */
static void connect_end_on_loop(void *arg)
{
    struct connect_end *e = arg;
    struct network_interface *ni = e->ni;
    bool wifi = ni->kind == NETIF_WIFI;
    struct status_change c = {ni, NSAPI_STATUS_GLOBAL_UP};

    if (e->r == NSAPI_ERROR_OK && wifi && !wifi_associated(ni))
        e->r = NSAPI_ERROR_NO_SSID; /* the AP went while DHCP ran */
    if (e->r == NSAPI_ERROR_OK && device_link_down()) {
        /* The cable went out while DHCP ran (link events run on this thread too, so
         * this look is final): not up, and back up by itself when the cable returns. */
        pthread_mutex_lock(&ni->lock);
        ni->resume = true;
        pthread_mutex_unlock(&ni->lock);
        e->r = NSAPI_ERROR_NO_CONNECTION;
    }
    if (e->r != NSAPI_ERROR_OK) {
        if (wifi) {
            wifi_leave(ni, "connect failed");
            if (e->comeback)
                sock_kill_interface(ni, -ECONNRESET, "wifi lost");
        }
        clear_addresses(ni);
        c.status = NSAPI_STATUS_DISCONNECTED;
    }
    if (e->r == NSAPI_ERROR_OK || !e->comeback)
        status_on_loop(&c);
    release(ni);
}

/* Ends a connect (or comeback) whose link bring-up returned up_r: the status on the stack
 * thread, and, when the link came up but the connect failed after all (the AP or the
 * cable went while DHCP ran), the link taken down again. */
static void connect_finish(struct connect_end *e, nsapi_error_t up_r)
{
    stack_run_sync(connect_end_on_loop, e);
    if (up_r == NSAPI_ERROR_OK && e->r != NSAPI_ERROR_OK)
        device_link()->down(e->ni, false);
}

nsapi_error_t netif_connect(struct network_interface *ni)
{
    struct connect_end e = {ni, NSAPI_ERROR_OK, false};
    nsapi_error_t r, up_r = NSAPI_ERROR_DEVICE_ERROR; /* not up: nothing to take down */

    if (ni->kind == NETIF_WIFI) {
        r = wifi_check_credentials(ni); /* no SSID, a password of the wrong length */
        if (r != NSAPI_ERROR_OK)
            return r;
    }
    if (stack_on_loop_thread())
        return NSAPI_ERROR_WOULD_BLOCK; /* connecting blocks; callbacks must not */
    if (device_link_down())
        return NSAPI_ERROR_NO_CONNECTION; /* the cable is out */
    r = claim(ni, true);
    if (r != NSAPI_ERROR_OK)
        return r;
    set_status(ni, NSAPI_STATUS_CONNECTING);
    if (ni->kind == NETIF_WIFI)
        e.r = wifi_associate(ni);
    if (e.r == NSAPI_ERROR_OK)
        up_r = e.r = device_link()->up(ni);
    connect_finish(&e, up_r);
    return e.r;
}

nsapi_error_t netif_disconnect(struct network_interface *ni)
{
    nsapi_error_t r;

    pthread_mutex_lock(&ni->lock);
    ni->resume = false; /* down on purpose: the cable coming back does not bring it up */
    pthread_mutex_unlock(&ni->lock);
    if (stack_on_loop_thread())
        return NSAPI_ERROR_WOULD_BLOCK; /* disconnecting may block; callbacks must not */
    r = claim(ni, false);
    if (r != NSAPI_ERROR_OK)
        return r;
    device_link()->down(ni, true);
    if (ni->kind == NETIF_WIFI) {
        /* Leaving the AP ends every connection through it, as WiFi modules do. */
        wifi_leave(ni, "disconnect");
        sock_kill_interface(ni, -ECONNRESET, "wifi disconnect");
    }
    clear_addresses(ni);
    set_status(ni, NSAPI_STATUS_DISCONNECTED);
    release(ni);
    return NSAPI_ERROR_OK;
}

long netif_dhcp_mode(struct network_interface *ni)
{
    return ni->kind == NETIF_WIFI ? wifi_dhcp_mode(ni) : knob_int(KNOB_ETHERNET_DHCP);
}

void netif_wifi_lost(struct network_interface *ni)
{
    bool was_up, resume;

    pthread_mutex_lock(&ni->lock);
    was_up = netif_is_up(ni);
    resume = ni->resume;
    if (ni->busy || (!was_up && !resume)) {
        pthread_mutex_unlock(&ni->lock);
        return;
    }
    ni->resume = false; /* the cable coming back will not bring it up */
    ni->busy = true;
    pthread_mutex_unlock(&ni->lock);
    /* Sockets first, so the DISCONNECTED callback already finds them dead. */
    sock_kill_interface(ni, -ECONNRESET, "wifi lost");
    device_link()->down(ni, false);
    clear_addresses(ni);
    if (was_up)
        set_status(ni, NSAPI_STATUS_DISCONNECTED);
    release(ni);
}

nsapi_error_t netif_set_network(struct network_interface *ni, const char *ip,
                                const char *mask, const char *gw)
{
    nsapi_addr_t a, m, g;

    if (!addr_parse(ip, &a) || addr_is_any(&a))
        return NSAPI_ERROR_PARAMETER;
    /* IPv4 needs a netmask; an IPv6 address may go without one, as may any gateway. */
    if (!(mask[0] == '\0' && a.version == NSAPI_IPv6) &&
        (!addr_parse(mask, &m) || m.version != NSAPI_IPv4))
        return NSAPI_ERROR_PARAMETER;
    if (gw[0] != '\0' && (!addr_parse(gw, &g) || g.version != a.version))
        return NSAPI_ERROR_PARAMETER;
    pthread_mutex_lock(&ni->lock);
    addr_format(&a, ni->static_ip, sizeof(ni->static_ip));
    snprintf(ni->static_mask, sizeof(ni->static_mask), "%s", mask);
    snprintf(ni->static_gw, sizeof(ni->static_gw), "%s", gw);
    ni->dhcp = false;
    pthread_mutex_unlock(&ni->lock);
    return NSAPI_ERROR_OK;
}

void netif_set_dhcp(struct network_interface *ni, bool dhcp)
{
    pthread_mutex_lock(&ni->lock);
    ni->dhcp = dhcp;
    pthread_mutex_unlock(&ni->lock);
}

nsapi_error_t netif_add_dns_server(struct network_interface *ni, const nsapi_addr_t *addr,
                                   uint16_t port)
{
    nsapi_error_t r = NSAPI_ERROR_OK;

    pthread_mutex_lock(&ni->lock);
    if (ni->ndns == NETIF_MAX_DNS) {
        r = NSAPI_ERROR_NO_MEMORY;
    } else {
        /* Added servers are asked first, the latest first, as in Mbed's nsapi_dns. */
        memmove(&ni->dns[1], &ni->dns[0], (size_t)ni->ndns * sizeof(ni->dns[0]));
        ni->dns[0].addr = *addr;
        ni->dns[0].port = port;
        ni->ndns++;
    }
    pthread_mutex_unlock(&ni->lock);
    return r;
}

int netif_dns_servers(struct network_interface *ni, struct addr_port *out, int max)
{
    int n;

    pthread_mutex_lock(&ni->lock);
    n = ni->ndns < max ? ni->ndns : max;
    memcpy(out, ni->dns, (size_t)n * sizeof(*out));
    pthread_mutex_unlock(&ni->lock);
    return n;
}

struct attach_args {
    struct network_interface *ni;
    void (*cb)(void *, nsapi_event_t, intptr_t);
    void *ctx;
};

static void attach_on_loop(void *arg)
{
    struct attach_args *a = arg;

    pthread_mutex_lock(&a->ni->lock);
    a->ni->cb = a->cb;
    a->ni->cb_ctx = a->ctx;
    pthread_mutex_unlock(&a->ni->lock);
}

void netif_attach(struct network_interface *ni,
                  void (*cb)(void *ctx, nsapi_event_t ev, intptr_t arg), void *ctx)
{
    struct attach_args a = {ni, cb, ctx};

    /* Through the stack thread, so once this returns the old callback is not running. */
    stack_run_sync(attach_on_loop, &a);
}

/* Brings an interface back up after the cable returned; on its own thread, since DHCP
 * may take time and the stack thread must not wait. */
static void *resume_interface(void *arg)
{
    struct network_interface *ni = arg;
    struct connect_end e = {ni, NSAPI_ERROR_OK, true};

    if (!device_link_down() && claim(ni, true) == NSAPI_ERROR_OK) {
        nsapi_error_t up_r = NSAPI_ERROR_NO_SSID;

        if (ni->kind == NETIF_WIFI && !wifi_associated(ni))
            e.r = up_r; /* its AP went while the cable was out */
        else
            up_r = e.r = device_link()->up(ni);
        connect_finish(&e, up_r);
    }
    netif_unref(ni);
    return NULL;
}

void netif_link_changed(bool up)
{
    struct network_interface *list[64];
    int n = 0;

    /* Collect (and hold) first: callbacks run without the registry lock held. */
    pthread_mutex_lock(&registry_lock);
    for (struct network_interface *ni = registry; ni != NULL && n < 64; ni = ni->reg_next) {
        pthread_mutex_lock(&ni->lock);
        /* refs 0: its last unref is freeing it right now */
        if (ni->refs > 0 && (up ? ni->resume : netif_is_up(ni))) {
            ni->resume = !up;
            ni->refs++;
            list[n++] = ni;
        }
        pthread_mutex_unlock(&ni->lock);
    }
    pthread_mutex_unlock(&registry_lock);

    for (int i = 0; i < n; i++) {
        pthread_t thread;

        if (!up) {
            set_status(list[i], NSAPI_STATUS_DISCONNECTED);
            netif_unref(list[i]);
        } else if (nsemu_thread_start(&thread, resume_interface, list[i], true) == 0) {
            /* it drops the reference */
        } else {
            netif_unref(list[i]);
        }
    }
}

/* netif_address_lost's thread: the status first, then one try at coming back. */
static void *address_lost(void *arg)
{
    struct network_interface *ni = arg;

    clear_addresses(ni);
    set_status(ni, NSAPI_STATUS_DISCONNECTED);
    return resume_interface(ni); /* drops the reference */
}

void netif_address_lost(struct network_interface *ni)
{
    pthread_t thread;

    pthread_mutex_lock(&ni->lock);
    /* refs 0: being freed; busy: a connect or disconnect will settle the status itself */
    if (ni->refs == 0 || ni->busy || !netif_is_up(ni)) {
        pthread_mutex_unlock(&ni->lock);
        return;
    }
    ni->refs++;
    pthread_mutex_unlock(&ni->lock);
    /* On a thread of its own: the caller (the link's DHCP client) must not wait for the
     * status callback, which runs on the stack thread. */
    if (nsemu_thread_start(&thread, address_lost, ni, true) != 0)
        netif_unref(ni);
}
