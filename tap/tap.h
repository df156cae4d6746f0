/*
 * tap.h: what the parts of the tap link (DESIGN §3) share. tap_link.c owns the
 * namespaces and TAP devices and registers the link with emu/; wire.c moves frames
 * between the device's TAP and the far side; pcap_writer.c records them; dhcp_*.c are
 * the device's DHCP client and the built-in gateway's server; gateway.c is the far
 * side that runs the DHCP server, the DNS server and the forwards.
 */
#ifndef NSEMU_TAP_H
#define NSEMU_TAP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netsocket/nsapi_types.h>

/* The LAN of DESIGN §3. */
#define TAP_LAN_NET     "10.0.2.0"
#define TAP_LAN_PREFIX  24
#define TAP_GATEWAY_IP  "10.0.2.2"
#define TAP_DNS_IP      "10.0.2.3"
#define TAP_POOL_FIRST  "10.0.2.15"
#define TAP_MTU         1500

/* ---- namespaces (tap_ns.c) ---------------------------------------------------------- */

/* The namespaces of one run. HOST is the one the program started in; DEVICE holds the
 * device's eth0 and every device socket; FAR is the built-in gateway's or the peer's
 * (nsemu-PID-gw / nsemu-PID-peer), absent for far = host and iface:NAME. */
enum tap_ns { TAP_NS_HOST, TAP_NS_DEVICE, TAP_NS_FAR, TAP_NS_COUNT };

/* Remembers the namespace the program runs in (HOST). 0 or -errno. */
int tap_ns_init(void);
/* Makes namespace which, named nsemu-PID-suffix. 0 or -errno. */
int tap_ns_create(enum tap_ns which, const char *suffix);
/* Unmounts and removes the name of which (system calls only: signal-safe). */
void tap_ns_remove(enum tap_ns which);
/* Removes nsemu-PID-* namespaces whose process is gone (a killed run's leftovers). */
void tap_ns_remove_stale(void);
/* Opens a TAP named name inside which (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, nonblocking).
 * fd or -errno. The TAP lives as long as the fd. */
int tap_ns_open_tap(enum tap_ns which, const char *name);
/* Sets name's MAC (when mac is not NULL) and MTU (when > 0) and brings it up, and lo
 * with it outside the host namespace. 0 or -errno. */
int tap_ns_link_up(enum tap_ns which, const char *name, const uint8_t mac[6], int mtu);

/* Writes value to /proc/sys/PATH as namespace which sees it ("net/ipv6/conf/eth0/
 * disable_ipv6"). 0 or -errno. */
int tap_ns_sysctl(enum tap_ns which, const char *path, const char *value);

/* The namespace's name ("nsemu-1234-dev"); "" for HOST or one not made. */
const char *tap_ns_name(enum tap_ns ns);

/* A socket made inside ns (the calling thread enters it for the call and comes back),
 * nonblocking and close-on-exec unless type says otherwise: SOCK_NONBLOCK and
 * SOCK_CLOEXEC are always added. fd or -errno. */
int tap_ns_socket(enum tap_ns ns, int domain, int type, int protocol);

/* The index of interface name inside ns, or -errno. */
int tap_ns_ifindex(enum tap_ns ns, const char *name);

/* ---- netlink (tap_rtnl.c): addresses and routes inside a namespace --------------------- */

/* Adds (add = true) or removes an IPv4 address addr/prefix on ifname in ns. 0 or -errno;
 * adding one already there is not an error. */
int tap_rtnl_addr4(enum tap_ns ns, const char *ifname, bool add, struct in_addr addr,
                   int prefix);
/* Removes every IPv4 address of ifname in ns (and with them their routes). */
int tap_rtnl_flush4(enum tap_ns ns, const char *ifname);
/* Adds or removes the default route via gw on ifname in ns. 0 or -errno. */
int tap_rtnl_default4(enum tap_ns ns, const char *ifname, bool add, struct in_addr gw);
/* Makes every IPv4 address local in ns (ip route add local 0.0.0.0/0 dev lo). */
int tap_rtnl_local_all(enum tap_ns ns);

/* ---- the wire (wire.c) -------------------------------------------------------------- */

/* One end of the wire. A TAP opened with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR (tap = true:
 * every frame starts with a struct virtio_net_hdr, and TUNSETOFFLOAD applies), or a NIC
 * opened with pcap_open_live (pcap != NULL: plain Ethernet frames, pcap_inject). */
struct wire_port {
    const char *name; /* "device" or "far", for logs */
    int fd;           /* the TAP fd, or pcap_get_selectable_fd */
    bool tap;
    void *pcap;       /* pcap_t *, for iface:NAME */
};

/* Starts moving frames between dev and far (far.fd < 0: a silent wire that only
 * swallows what the device sends). Capture goes to pcap_path when it is not empty.
 * Frame knobs are read as they change. 0 or -errno. */
int wire_start(const struct wire_port *dev, const struct wire_port *far, const char *pcap_path);
/* A runtime knob changed (frame.*): the wire switches between offloaded and per-frame
 * mode as frame faults come and go. */
void wire_knob_changed(int knob);
/* Carrier off (up = false: TUNSETCARRIER on the TAPs, nothing passes) or back on. */
void wire_set_carrier(bool up);
/* Pushes the capture to the kernel now, unless a wire thread is writing it this very
 * moment (a terminating signal's last act: it must not wait). */
void wire_flush(void);
/* Stops the wire and closes the capture (at exit). */
void wire_stop(void);

/* ---- DHCP (dhcp_packet.c, dhcp_client.c, dhcp_server.c) ----------------------------- */

struct dhcp_lease {
    struct in_addr addr, mask, router, server; /* server: option 54 */
    struct in_addr dns[4];
    int ndns;
    uint32_t lease_s, t1_s, t2_s;
};

/* The device's client and the gateway's server have their own header, tap/dhcp.h. */

/* How the built-in gateway's DHCP server behaves now, as knob_int reads ethernet.dhcp:
 * 0 ok, -1 fail (no offers), -2 nak (every REQUEST refused), else a delay in ms before
 * each answer: ethernet.dhcp, or the AP's dhcp when a WiFi interface holds eth0. */
long tap_dhcp_mode(void);

/* ---- the built-in gateway (gateway.c) ------------------------------------------------ */

/* Starts the gateway's servers in the FAR namespace, whose eth0 already has 10.0.2.2/24
 * and 10.0.2.3/24 and the local route of DESIGN §3. 0 or -errno. */
int gateway_start(void);
void gateway_stop(void);

#endif /* NSEMU_TAP_H */
