/*
 * tap_rtnl.c: addresses and routes inside the tap link's namespaces, through rtnetlink
 * (what `ip addr` and `ip route` do). One request, one acknowledgement; a dump only to
 * flush. The socket is made inside the namespace, so the kernel applies every request
 * there.
 */
#include "tap.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

struct nl_req {
    struct nlmsghdr h;
    union {
        struct ifaddrmsg ifa;
        struct rtmsg rt;
    };
    char attrs[128];
};

static void add_attr(struct nl_req *r, unsigned short type, const void *data, size_t len)
{
    struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));

    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
    r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Waits for the kernel's answer to a request (sequence 1): 0 or -errno. */
static int nl_ack(int fd)
{
    char buf[8192];

    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n;

        if (poll(&p, 1, 2000) <= 0)
            return -ETIMEDOUT;
        n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return -errno;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n);
             h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);

                return e->error;
            }
        }
    }
}

static int nl_talk(enum tap_ns ns, struct nl_req *r)
{
    int fd = tap_ns_socket(ns, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE), err;

    if (fd < 0)
        return fd;
    r->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    r->h.nlmsg_seq = 1;
    err = send(fd, r, r->h.nlmsg_len, 0) < 0 ? -errno : nl_ack(fd);
    close(fd);
    return err;
}

int tap_rtnl_addr4(enum tap_ns ns, const char *ifname, bool add, struct in_addr addr, int prefix)
{
    struct nl_req r = {0};
    int ifindex = tap_ns_ifindex(ns, ifname), err;
    struct in_addr brd = addr;

    if (ifindex < 0)
        return ifindex;
    if (prefix < 32)
        brd.s_addr |= htonl(0xffffffffu >> prefix);
    r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
    r.h.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
    r.h.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_REPLACE : 0;
    r.ifa.ifa_family = AF_INET;
    r.ifa.ifa_prefixlen = (unsigned char)prefix;
    r.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
    r.ifa.ifa_index = (unsigned)ifindex;
    add_attr(&r, IFA_LOCAL, &addr, sizeof(addr));
    add_attr(&r, IFA_ADDRESS, &addr, sizeof(addr));
    if (add && prefix < 31)
        add_attr(&r, IFA_BROADCAST, &brd, sizeof(brd));
    err = nl_talk(ns, &r);
    return !add && err == -EADDRNOTAVAIL ? 0 : err;
}

int tap_rtnl_flush4(enum tap_ns ns, const char *ifname)
{
    int ifindex = tap_ns_ifindex(ns, ifname), fd, err = 0;
    struct {
        struct nlmsghdr h;
        struct ifaddrmsg ifa;
    } dump = {.h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)),
                    .nlmsg_type = RTM_GETADDR,
                    .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
                    .nlmsg_seq = 1},
              .ifa = {.ifa_family = AF_INET}};
    struct in_addr found[16];
    int prefixes[16], nfound = 0;
    char buf[16384];
    bool done = false;

    if (ifindex < 0)
        return ifindex;
    fd = tap_ns_socket(ns, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    if (fd < 0)
        return fd;
    if (send(fd, &dump, dump.h.nlmsg_len, 0) < 0)
        err = -errno;
    while (err == 0 && !done) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n;

        if (poll(&p, 1, 2000) <= 0) {
            err = -ETIMEDOUT;
            break;
        }
        n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0) {
            err = errno == EINTR || errno == EAGAIN ? 0 : -errno;
            continue;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n);
             h = NLMSG_NEXT(h, n)) {
            struct ifaddrmsg *ifa = NLMSG_DATA(h);
            int len = (int)IFA_PAYLOAD(h);

            if (h->nlmsg_type == NLMSG_ERROR) {
                err = ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
                done = true;
                break;
            }
            if (h->nlmsg_type == NLMSG_DONE) {
                done = true;
                break;
            }
            if (h->nlmsg_type != RTM_NEWADDR || ifa->ifa_index != (unsigned)ifindex)
                continue;
            for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
                if (a->rta_type == IFA_LOCAL && nfound < (int)ARRAY_SIZE(found)) {
                    memcpy(&found[nfound], RTA_DATA(a), sizeof(found[0]));
                    prefixes[nfound++] = ifa->ifa_prefixlen;
                }
            }
        }
    }
    close(fd);
    for (int i = 0; i < nfound && err == 0; i++)
        err = tap_rtnl_addr4(ns, ifname, false, found[i], prefixes[i]);
    /* A full batch: there may be more. */
    return err == 0 && nfound == (int)ARRAY_SIZE(found) ? tap_rtnl_flush4(ns, ifname) : err;
}

static int route4(enum tap_ns ns, bool add, unsigned char table, unsigned char type,
                  unsigned char scope, const struct in_addr *gw, int ifindex)
{
    struct nl_req r = {0};
    unsigned oif = (unsigned)ifindex;

    r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
    r.h.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
    r.h.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_REPLACE : 0;
    r.rt.rtm_family = AF_INET;
    r.rt.rtm_table = table;
    r.rt.rtm_protocol = RTPROT_BOOT;
    r.rt.rtm_scope = scope;
    r.rt.rtm_type = type;
    if (gw != NULL)
        add_attr(&r, RTA_GATEWAY, gw, sizeof(*gw));
    add_attr(&r, RTA_OIF, &oif, sizeof(oif));
    return nl_talk(ns, &r);
}

int tap_rtnl_default4(enum tap_ns ns, const char *ifname, bool add, struct in_addr gw)
{
    int ifindex = tap_ns_ifindex(ns, ifname), err;

    if (ifindex < 0)
        return ifindex;
    err = route4(ns, add, RT_TABLE_MAIN, RTN_UNICAST, RT_SCOPE_UNIVERSE, &gw, ifindex);
    return !add && err == -ESRCH ? 0 : err;
}

int tap_rtnl_local_all(enum tap_ns ns)
{
    int lo = tap_ns_ifindex(ns, "lo");

    if (lo < 0)
        return lo;
    return route4(ns, true, RT_TABLE_LOCAL, RTN_LOCAL, RT_SCOPE_HOST, NULL, lo);
}
