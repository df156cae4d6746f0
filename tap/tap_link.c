/*
 * tap_link.c: the tap link (DESIGN §3). At start it makes the device's namespace with a
 * TAP eth0, the far side chosen by [tap] far (the built-in gateway's namespace, the
 * peer namespace, a TAP in the host namespace, or a NIC), and the wire between them.
 * Then the device's sockets are made inside its namespace and its interfaces come up
 * through DHCP on the wire or set_network's static address. Everything it made carries
 * the process id and is removed at exit, on the usual terminating signals, and — when a
 * run was killed — by the next run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "dhcp.h"
#include "eventlog.h"
#include "knobs.h"
#include "link.h"
#include "netif.h"
#include "tap.h"

enum far_kind { FAR_GATEWAY, FAR_PEER, FAR_HOST, FAR_IFACE };

/* The far end's MAC: locally administered, like the device's default. */
static const uint8_t far_mac[6] = {0x02, 0x00, 0x0a, 0x00, 0x02, 0x02};

static struct {
    pid_t owner; /* the process that made it all: a forked child must not remove it */
    uint8_t mac[6]; /* the device's, [device] mac (a start-up knob) */
    enum far_kind far;
    int dev_fd, far_fd;
    pcap_t *far_pcap;
    /* One eth0, held by the interface that came up last. up_lock makes a whole bring-up
     * (DHCP included) one step, so two interfaces connecting at once take turns; lock
     * guards holder (referenced while it holds eth0), its DHCP client and lease, and is
     * never held while waiting. */
    pthread_mutex_t up_lock, lock;
    struct network_interface *holder;
    struct dhcp_client *client;
    struct dhcp_lease lease;
    bool leased;
    /* What eth0 has (prefix -1: nothing) and for which interface, guarded by addr_lock:
     * a late clean-up for one interface never removes the next one's address. */
    pthread_mutex_t addr_lock;
    const struct network_interface *addr_owner;
    struct in_addr addr, router;
    int prefix;
} tap = {.dev_fd = -1,
         .far_fd = -1,
         .up_lock = PTHREAD_MUTEX_INITIALIZER,
         .lock = PTHREAD_MUTEX_INITIALIZER,
         .addr_lock = PTHREAD_MUTEX_INITIALIZER,
         .prefix = -1};

/* Read at every exchange, renewals included, so a runtime change of ethernet.dhcp (or
 * the AP's dhcp, for WiFi) acts on the next one. */
long tap_dhcp_mode(void)
{
    struct network_interface *ni;
    long mode;

    pthread_mutex_lock(&tap.lock);
    ni = tap.holder;
    if (ni != NULL)
        netif_ref(ni); /* the holder's own reference keeps it alive meanwhile */
    pthread_mutex_unlock(&tap.lock);
    if (ni == NULL)
        return knob_int(KNOB_ETHERNET_DHCP);
    mode = netif_dhcp_mode(ni);
    netif_unref(ni);
    return mode;
}

static struct in_addr ipv4(const char *text)
{
    struct in_addr a = {0};

    inet_pton(AF_INET, text, &a);
    return a;
}

/* ---- start and clean-up --------------------------------------------------------- */

static void remove_namespaces(void)
{
    if (getpid() != tap.owner)
        return;
    tap_ns_remove(TAP_NS_DEVICE);
    tap_ns_remove(TAP_NS_FAR);
}

static void tap_stop(void)
{
    if (getpid() != tap.owner)
        return;
    gateway_stop();
    wire_stop();
    remove_namespaces();
}

/* Every signal whose default action ends the program, crashes included: a crashed
 * test should leave no namespaces behind either. */
static const int cleanup_signals[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGPIPE, SIGALRM,
                                      SIGUSR1, SIGUSR2, SIGABRT, SIGSEGV, SIGBUS,  SIGFPE,
                                      SIGILL,  SIGXCPU, SIGXFSZ};

/* A signal that would end the program: push out the capture, remove the names, then
 * end it as it would have ended (the TAPs go with the process). */
static void on_fatal_signal(int sig)
{
    if (getpid() == tap.owner)
        wire_flush(); /* stdio: not async-signal-safe, but the process ends right after */
    remove_namespaces();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Only where the program left the default action: a handler of its own (or one it
 * installs later) wins, and then exit() still runs tap_stop. */
static void catch_signals(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(cleanup_signals); i++) {
        struct sigaction old, sa = {.sa_handler = on_fatal_signal};

        if (sigaction(cleanup_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
            !(old.sa_flags & SA_SIGINFO))
            sigaction(cleanup_signals[i], &sa, NULL);
    }
}

static void fail(const char *what, int err) __attribute__((noreturn));
static void fail(const char *what, int err)
{
    config_error("nsemu: tap link: %s: %s (see nsemu doctor)", what, strerror(-err));
}

static void parse_mac(uint8_t mac[6]) /* once, at start: tap.mac */
{
    char text[32];
    unsigned m[6];

    knob_text(KNOB_DEVICE_MAC, text, sizeof(text));
    if (sscanf(text, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
        memset(m, 0, sizeof(m));
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)m[i];
}

/* Brings a TAP of the LAN up. The LAN is IPv4 (DESIGN §3): with IPv6 on, each kernel
 * would chatter (router and neighbour solicitations, MLD reports) at times it chooses,
 * filling the capture and drawing on the wire's random streams, so that a seed would
 * no longer replay the same frame faults. */
static int lan_link_up(enum tap_ns which, const char *name, const uint8_t mac[6])
{
    char path[96];
    int r;

    snprintf(path, sizeof(path), "net/ipv6/conf/%s/disable_ipv6", name);
    r = tap_ns_sysctl(which, path, "1");
    if (r < 0 && r != -ENOENT) /* ENOENT: a kernel without IPv6 */
        return r;
    return tap_ns_link_up(which, name, mac, TAP_MTU);
}

/* A namespace with a TAP eth0 at the far end: 10.0.2.2/24 (and for the gateway the
 * DNS server's 10.0.2.3/24, and every address local). */
static void make_far_namespace(const char *suffix, bool gateway)
{
    int r = tap_ns_create(TAP_NS_FAR, suffix);

    if (r < 0)
        fail("cannot create the far namespace", r);
    tap.far_fd = tap_ns_open_tap(TAP_NS_FAR, "eth0");
    if (tap.far_fd < 0)
        fail("cannot open the far TAP", tap.far_fd);
    r = lan_link_up(TAP_NS_FAR, "eth0", far_mac);
    if (r == 0)
        r = tap_rtnl_addr4(TAP_NS_FAR, "eth0", true, ipv4(TAP_GATEWAY_IP), TAP_LAN_PREFIX);
    if (r == 0 && gateway)
        r = tap_rtnl_addr4(TAP_NS_FAR, "eth0", true, ipv4(TAP_DNS_IP), TAP_LAN_PREFIX);
    if (r == 0 && gateway)
        r = tap_rtnl_local_all(TAP_NS_FAR);
    /* Other UDP is dropped (DESIGN §3), not refused: with every address local, the
     * kernel would answer it with ICMP port unreachable. No budget, no such messages
     * (ICMP of the types in icmp_ratemask, the unreachables among them). */
    if (r == 0 && gateway)
        r = tap_ns_sysctl(TAP_NS_FAR, "net/ipv4/icmp_msgs_per_sec", "0");
    if (r == 0 && gateway)
        r = tap_ns_sysctl(TAP_NS_FAR, "net/ipv4/icmp_msgs_burst", "0");
    if (r < 0)
        fail("cannot set up the far namespace", r);
}

static void make_far_side(const char *far)
{
    char name[32], errbuf[PCAP_ERRBUF_SIZE]; /* "nsemu-PID" fits IFNAMSIZ: pids have 7 digits */
    int r;

    if (strcmp(far, "gateway") == 0) {
        tap.far = FAR_GATEWAY;
        make_far_namespace("gw", true);
    } else if (strcmp(far, "peer") == 0) {
        tap.far = FAR_PEER;
        make_far_namespace("peer", false);
    } else if (strcmp(far, "host") == 0) {
        tap.far = FAR_HOST;
        snprintf(name, sizeof(name), "nsemu-%ld", (long)getpid());
        tap.far_fd = tap_ns_open_tap(TAP_NS_HOST, name);
        if (tap.far_fd < 0)
            fail("cannot open the host TAP", tap.far_fd);
        r = lan_link_up(TAP_NS_HOST, name, far_mac);
        if (r == 0)
            r = tap_rtnl_addr4(TAP_NS_HOST, name, true, ipv4(TAP_GATEWAY_IP), TAP_LAN_PREFIX);
        if (r < 0)
            fail("cannot set up the host TAP", r);
    } else { /* iface:NAME, checked by the configuration */
        tap.far = FAR_IFACE;
        tap.far_pcap = pcap_open_live(far + 6, 262144, 1, 1, errbuf);
        if (tap.far_pcap == NULL)
            config_error("nsemu: tap link: far = %s: %s", far, errbuf);
        tap.far_fd = pcap_get_selectable_fd(tap.far_pcap); /* the wire sets it up */
    }
}

static void tap_start(void)
{
    struct wire_port dev = {.name = "device", .tap = true};
    struct wire_port far = {.name = "far", .tap = true};
    char far_text[80], pcap_path[CONFIG_PATH_MAX];
    int r;

    tap.owner = getpid();
    r = tap_ns_init();
    if (r < 0)
        fail("cannot open the host namespace", r);
    tap_ns_remove_stale();
    atexit(tap_stop);
    catch_signals();
    r = tap_ns_create(TAP_NS_DEVICE, "dev");
    if (r < 0)
        fail("cannot create the device namespace", r);
    tap.dev_fd = tap_ns_open_tap(TAP_NS_DEVICE, "eth0");
    if (tap.dev_fd < 0)
        fail("cannot open the device's TAP", tap.dev_fd);
    parse_mac(tap.mac);
    r = lan_link_up(TAP_NS_DEVICE, "eth0", tap.mac);
    if (r < 0)
        fail("cannot bring the device's eth0 up", r);
    knob_text(KNOB_TAP_FAR, far_text, sizeof(far_text));
    make_far_side(far_text);
    knob_text(KNOB_TAP_PCAP, pcap_path, sizeof(pcap_path));
    dev.fd = tap.dev_fd;
    far.fd = tap.far_fd;
    far.tap = tap.far_pcap == NULL;
    far.pcap = tap.far_pcap;
    r = wire_start(&dev, &far, pcap_path);
    if (r < 0)
        fail(pcap_path[0] != '\0' ? "cannot start the wire or its capture" : "cannot start the wire", r);
    if (tap.far == FAR_GATEWAY) {
        r = gateway_start();
        if (r < 0)
            fail("cannot start the built-in gateway", r);
    }
    eventlog("tap up device=%s far=%s", tap_ns_name(TAP_NS_DEVICE), far_text);
}

/* ---- the link's operations ------------------------------------------------------ */

static int tap_socket(int family, int type)
{
    return tap_ns_socket(TAP_NS_DEVICE, family, type, 0);
}

static int prefix_of(struct in_addr mask)
{
    uint32_t m = ntohl(mask.s_addr);
    int n = 0;

    while (n < 32 && (m & (0x80000000u >> n)))
        n++;
    return (n < 32 && (m << n) != 0) ? -1 : n; /* -1: not a contiguous mask */
}

/* Announces eth0's new address (RFC 5227 §2.3: an ARP request for itself), as a
 * device does once it has a lease: a neighbour that tried the address before (dnsmasq
 * pings an address before offering it) would otherwise hold a failed entry for it
 * and refuse to reach the device for a while. */
static void announce_address(struct in_addr addr)
{
    struct sockaddr_ll to = {.sll_family = AF_PACKET,
                             .sll_protocol = htons(ETH_P_ARP),
                             .sll_halen = 6,
                             .sll_addr = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
    uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 1}; /* Ethernet, IPv4, request */
    int fd = tap_ns_socket(TAP_NS_DEVICE, AF_PACKET, SOCK_DGRAM, htons(ETH_P_ARP));

    if (fd < 0)
        return;
    to.sll_ifindex = tap_ns_ifindex(TAP_NS_DEVICE, "eth0");
    memcpy(arp + 8, tap.mac, 6);
    memcpy(arp + 14, &addr, 4);
    memcpy(arp + 24, &addr, 4); /* sender and target: the address itself */
    if (to.sll_ifindex > 0)
        sendto(fd, arp, sizeof(arp), 0, (struct sockaddr *)&to, sizeof(to));
    close(fd);
}

/* eth0's address: address/prefix and a default route via router (none when 0). An
 * address already there stays, so connections survive a renewal or a comeback. The
 * renewal thread and the application's connect both come here: addr_lock keeps the
 * record of what eth0 has and what it really has together. */
static int set_address(const struct network_interface *ni, struct in_addr addr, int prefix,
                       struct in_addr router)
{
    int r = 0;

    pthread_mutex_lock(&tap.addr_lock);
    tap.addr_owner = ni;
    if (tap.prefix < 0 || addr.s_addr != tap.addr.s_addr || prefix != tap.prefix) {
        r = tap_rtnl_flush4(TAP_NS_DEVICE, "eth0");
        if (r == 0)
            r = tap_rtnl_addr4(TAP_NS_DEVICE, "eth0", true, addr, prefix);
        tap.addr = addr;
        tap.prefix = r == 0 ? prefix : -1;
        if (r == 0)
            announce_address(addr);
    }
    if (r == 0 && router.s_addr != 0)
        r = tap_rtnl_default4(TAP_NS_DEVICE, "eth0", true, router);
    else if (r == 0 && tap.router.s_addr != 0) /* a renewal that brought no router */
        r = tap_rtnl_default4(TAP_NS_DEVICE, "eth0", false, tap.router);
    if (r == 0)
        tap.router = router;
    pthread_mutex_unlock(&tap.addr_lock);
    return r;
}

/* Removes eth0's address, if it is still ni's. */
static void clear_address(const struct network_interface *ni)
{
    pthread_mutex_lock(&tap.addr_lock);
    if (tap.addr_owner == ni) {
        tap_rtnl_flush4(TAP_NS_DEVICE, "eth0"); /* its routes go with it */
        tap.prefix = -1;
        tap.router.s_addr = 0;
        tap.addr_owner = NULL;
    }
    pthread_mutex_unlock(&tap.addr_lock);
}

static void fill_interface(struct network_interface *ni, struct in_addr addr,
                           struct in_addr mask, struct in_addr router)
{
    pthread_mutex_lock(&ni->lock);
    inet_ntop(AF_INET, &addr, ni->ip, sizeof(ni->ip));
    inet_ntop(AF_INET, &mask, ni->mask, sizeof(ni->mask));
    if (router.s_addr != 0)
        inet_ntop(AF_INET, &router, ni->gw, sizeof(ni->gw));
    else
        ni->gw[0] = '\0';
    ni->src4.version = NSAPI_IPv4;
    memcpy(ni->src4.bytes, &addr, 4);
    pthread_mutex_unlock(&ni->lock);
}

/* The DHCP client's hands in the namespace: NULL when the lease is gone. */
static int apply_lease(const struct dhcp_lease *lease, void *ctx)
{
    struct network_interface *ni = ctx;
    int prefix, r;

    if (lease == NULL) { /* on the renewal thread, which ends after this */
        pthread_mutex_lock(&tap.lock);
        tap.leased = false;
        pthread_mutex_unlock(&tap.lock);
        clear_address(ni);
        eventlog("tap lease gone: eth0 has no address");
        netif_address_lost(ni);
        return 0;
    }
    prefix = prefix_of(lease->mask);
    if (prefix < 1)
        return -EINVAL;
    r = set_address(ni, lease->addr, prefix, lease->router);
    if (r < 0)
        return r;
    pthread_mutex_lock(&tap.lock);
    tap.lease = *lease;
    tap.leased = true;
    pthread_mutex_unlock(&tap.lock);
    fill_interface(ni, lease->addr, lease->mask, lease->router);
    return 0;
}

/* Gives eth0 to ni (NULL: to nobody), stopping the previous holder's DHCP client. The
 * previous holder's address goes unless ni is that same interface coming back, whose
 * connections should live on if DHCP grants the address again. Not under tap.lock
 * while it waits for the client's renewal thread, which takes it. */
static void hand_eth0(struct network_interface *ni, bool graceful)
{
    struct network_interface *was;
    struct dhcp_client *c;

    if (ni != NULL)
        netif_ref(ni);
    pthread_mutex_lock(&tap.lock);
    was = tap.holder;
    c = tap.client;
    tap.holder = ni;
    tap.client = NULL;
    tap.leased = false;
    pthread_mutex_unlock(&tap.lock);
    if (c != NULL)
        dhcp_client_stop(c, graceful);
    if (was != NULL && was != ni)
        clear_address(was);
    if (was != NULL)
        netif_unref(was);
}

static nsapi_error_t up_static(struct network_interface *ni)
{
    char ip[NSAPI_IP_SIZE], mask[NSAPI_IP_SIZE], gw[NSAPI_IP_SIZE];
    struct in_addr a, m = {0}, g = {0};
    int prefix, r;

    pthread_mutex_lock(&ni->lock);
    memcpy(ip, ni->static_ip, sizeof(ip));
    memcpy(mask, ni->static_mask, sizeof(mask));
    memcpy(gw, ni->static_gw, sizeof(gw));
    pthread_mutex_unlock(&ni->lock);
    /* The device's LAN is IPv4 (DESIGN §3); an IPv6 address is not for this cable. */
    if (inet_pton(AF_INET, ip, &a) != 1 || inet_pton(AF_INET, mask, &m) != 1 ||
        (gw[0] != '\0' && inet_pton(AF_INET, gw, &g) != 1))
        return NSAPI_ERROR_UNSUPPORTED;
    prefix = prefix_of(m);
    if (prefix < 1)
        return NSAPI_ERROR_PARAMETER;
    r = set_address(ni, a, prefix, g);
    if (r < 0) {
        eventlog("tap static ip=%s failed: %s", ip, strerror(-r));
        return NSAPI_ERROR_DEVICE_ERROR;
    }
    eventlog("tap static ip=%s/%d gw=%s", ip, prefix, gw[0] != '\0' ? gw : "none");
    fill_interface(ni, a, m, g);
    return NSAPI_ERROR_OK;
}

static nsapi_error_t tap_up(struct network_interface *ni)
{
    struct dhcp_client_cfg cfg = {.apply = apply_lease, .ctx = ni};
    struct dhcp_client *client = NULL;
    struct dhcp_lease lease;
    nsapi_error_t r;
    bool dhcp;

    pthread_mutex_lock(&ni->lock);
    dhcp = ni->dhcp;
    pthread_mutex_unlock(&ni->lock);
    pthread_mutex_lock(&tap.up_lock);
    hand_eth0(ni, false);
    if (dhcp) {
        memcpy(cfg.mac, tap.mac, 6);
        cfg.timeout_ms = knob_int(KNOB_DEVICE_DHCP_TIMEOUT_MS);
        cfg.seed = config_get()->seed;
        r = dhcp_client_start(&cfg, &lease, &client);
    } else {
        r = up_static(ni);
    }
    pthread_mutex_lock(&tap.lock);
    tap.client = client;
    pthread_mutex_unlock(&tap.lock);
    if (r != NSAPI_ERROR_OK)
        hand_eth0(NULL, false); /* a comeback that failed must not keep the old address */
    pthread_mutex_unlock(&tap.up_lock);
    return r;
}

/* Never waits for a bring-up (it may run on the stack thread): if another interface
 * holds eth0 by now, there is nothing of ni's left to take down. */
static void tap_down(struct network_interface *ni, bool graceful)
{
    bool holder;

    pthread_mutex_lock(&tap.lock);
    holder = tap.holder == ni;
    pthread_mutex_unlock(&tap.lock);
    if (holder)
        hand_eth0(NULL, graceful);
    clear_address(ni);
}

static void tap_bind_address(struct network_interface *ni, struct sockaddr_storage *ss)
{
    (void)ni;
    (void)ss; /* the device's own stack: binds are what the device asked for */
}

static bool tap_source_for(struct network_interface *ni, const struct sockaddr *dest,
                           struct sockaddr_storage *src, socklen_t *len)
{
    (void)ni;
    (void)dest;
    (void)src;
    (void)len;
    return false; /* its own routing table chooses */
}

/* The lease's DNS servers. Without a lease (set_network) on the built-in gateway's LAN,
 * its DNS server 10.0.2.3, which is always there, as QEMU's user network has it. */
static int tap_dhcp_dns_servers(struct network_interface *ni, struct addr_port *out, int max)
{
    struct in_addr gateway_dns = ipv4(TAP_DNS_IP);
    int n = 0;

    pthread_mutex_lock(&tap.lock);
    if (tap.leased && (ni == NULL || ni == tap.holder)) {
        for (int i = 0; i < tap.lease.ndns && n < max; i++, n++) {
            out[n].addr.version = NSAPI_IPv4;
            memcpy(out[n].addr.bytes, &tap.lease.dns[i], 4);
            out[n].port = 53;
        }
    } else if (tap.far == FAR_GATEWAY && max > 0) {
        out[n].addr.version = NSAPI_IPv4;
        memcpy(out[n].addr.bytes, &gateway_dns, 4);
        out[n++].port = 53;
    }
    pthread_mutex_unlock(&tap.lock);
    return n;
}

/* The host's resolvers are on the host's network, not on the device's LAN; the built-in
 * gateway's DNS server answers static names and acts out dns.mode and dns.delay_ms. */
static bool tap_far_dns(void)
{
    return tap.far == FAR_GATEWAY;
}

static void tap_carrier(bool up)
{
    wire_set_carrier(up);
}

const struct link_ops tap_link = {
    .name = "tap",
    .start = tap_start,
    .carrier = tap_carrier,
    .knob_changed = wire_knob_changed,
    .socket = tap_socket,
    .up = tap_up,
    .down = tap_down,
    .bind_address = tap_bind_address,
    .source_for = tap_source_for,
    .host_resolvers = false,
    .far_dns = tap_far_dns,
    .dhcp_dns_servers = tap_dhcp_dns_servers,
};
