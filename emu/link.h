/*
 * link.h: the link interface (DESIGN §3). A link decides where the device's sockets
 * live and how its interfaces come up: the host link (emu/host_link.c) keeps them in
 * the host's network namespace; the tap link (tap/) registers its own ops. emu/ calls
 * links only through this struct.
 */
#ifndef NSEMU_LINK_H
#define NSEMU_LINK_H

#include <stdbool.h>
#include <sys/socket.h>

#include <netsocket/nsapi_types.h>

#include "addr.h"

struct network_interface;

struct link_ops {
    const char *name;
    /* Once, when the library starts (before the stack thread): namespaces, devices. May
     * exit 2 with a configuration error. NULL: nothing to do. */
    void (*start)(void);
    /* The cable was pulled (up = false) or plugged back (device_set_link). May be NULL. */
    void (*carrier)(bool up);
    /* A runtime knob changed (timeline, control API). May be NULL. */
    void (*knob_changed)(int knob);
    /* A new kernel socket for the device, nonblocking and close-on-exec; fd or -errno. */
    int (*socket)(int family, int type);
    /* Brings ni up (addresses, DHCP); runs on the caller's thread; NSAPI error. */
    nsapi_error_t (*up)(struct network_interface *ni);
    /* Takes ni down. graceful: the application disconnected (the link may say goodbye:
     * a DHCP RELEASE); else ni lost its link (its AP went, a connect failed late, it was
     * deleted) and down may run on the stack thread, so it must not wait. */
    void (*down)(struct network_interface *ni, bool graceful);
    /* Rewrites the address a device socket binds to (DESIGN §3's binding rule and port
     * offset); returns the port the device asked for, for its own view. */
    void (*bind_address)(struct network_interface *ni, struct sockaddr_storage *ss);
    /* For an unbound socket about to reach dest: the address to bind first, or false
     * to let the kernel choose. */
    bool (*source_for)(struct network_interface *ni, const struct sockaddr *dest,
                       struct sockaddr_storage *src, socklen_t *len);
    /* True when the host's resolvers (dns.resolv_conf) are reachable from the device. */
    bool host_resolvers;
    /* True when a server on the link's far side answers [dns] static names and acts out
     * dns.mode and dns.delay_ms itself (the tap link's built-in gateway), so the DNS
     * client must not do them a second time. NULL: never. */
    bool (*far_dns)(void);
    /* DNS servers the link learned for ni (from DHCP), at most max; how many. */
    int (*dhcp_dns_servers)(struct network_interface *ni, struct addr_port *out, int max);
};

extern const struct link_ops host_link;
/* The tap link lives in tap/ (DESIGN §1): emu/ knows it only by this struct. */
extern const struct link_ops tap_link;

#endif /* NSEMU_LINK_H */
