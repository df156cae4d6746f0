/*
 * tap_ns.c: the network namespaces of the tap link (DESIGN §3). They are named like
 * iproute2's (a bind mount of the namespace on /run/netns/NAME), so `ip netns exec
 * nsemu-PID-peer ...` and `ip -n nsemu-PID-dev addr` work on them, and they carry the
 * process id so a later run can tell a killed run's leftovers from a live run's.
 * A thread enters a namespace only for the one call that needs it (socket, TAP open)
 * and comes straight back: the application's threads live in the host namespace.
 */
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define NETNS_DIR "/run/netns"

static struct {
    char name[TAP_NS_COUNT][64];
    char path[TAP_NS_COUNT][96];
    int fd[TAP_NS_COUNT]; /* an open handle on each namespace; -1 when absent */
} ns = {.fd = {-1, -1, -1}};

const char *tap_ns_name(enum tap_ns which)
{
    return which == TAP_NS_HOST ? "" : ns.name[which];
}

/* /run/netns must be a shared mount point, or a namespace mounted on a file in it stays
 * invisible to other mount namespaces (what iproute2 does too). */
static int prepare_netns_dir(void)
{
    if (mkdir(NETNS_DIR, 0755) < 0 && errno != EEXIST)
        return -errno;
    if (mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
        return 0;
    if (errno != EINVAL)
        return -errno;
    if (mount(NETNS_DIR, NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
        return -errno;
    return mount("", NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0 ? -errno : 0;
}

static int enter(enum tap_ns which)
{
    return setns(ns.fd[which], CLONE_NEWNET) < 0 ? -errno : 0;
}

static void leave(void)
{
    /* Going back to the namespace we came from cannot fail for want of rights we had a
     * moment ago; if it ever does, this thread would make sockets in the wrong place. */
    if (setns(ns.fd[TAP_NS_HOST], CLONE_NEWNET) < 0)
        abort();
}

int tap_ns_init(void)
{
    ns.fd[TAP_NS_HOST] = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    return ns.fd[TAP_NS_HOST] < 0 ? -errno : 0;
}

int tap_ns_create(enum tap_ns which, const char *suffix)
{
    char name[64];
    int fd, r;

    snprintf(name, sizeof(name), "nsemu-%ld-%s", (long)getpid(), suffix);
    memcpy(ns.name[which], name, sizeof(name));
    snprintf(ns.path[which], sizeof(ns.path[which]), NETNS_DIR "/%s", name);
    r = prepare_netns_dir();
    if (r < 0)
        goto fail;
    fd = open(ns.path[which], O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0) {
        r = -errno;
        goto fail;
    }
    close(fd);
    if (unshare(CLONE_NEWNET) < 0) {
        r = -errno;
        unlink(ns.path[which]);
        goto fail;
    }
    r = mount("/proc/thread-self/ns/net", ns.path[which], "none", MS_BIND, NULL) < 0 ? -errno : 0;
    leave();
    if (r < 0) {
        unlink(ns.path[which]);
        goto fail;
    }
    ns.fd[which] = open(ns.path[which], O_RDONLY | O_CLOEXEC);
    if (ns.fd[which] < 0) {
        r = -errno;
        tap_ns_remove(which);
        goto fail;
    }
    return 0;
fail:
    ns.name[which][0] = '\0';
    ns.path[which][0] = '\0';
    return r;
}

/* Only system calls: safe from a signal handler. */
void tap_ns_remove(enum tap_ns which)
{
    if (ns.path[which][0] == '\0')
        return;
    umount2(ns.path[which], MNT_DETACH);
    unlink(ns.path[which]);
    ns.path[which][0] = '\0';
}

void tap_ns_remove_stale(void)
{
    DIR *d = opendir(NETNS_DIR);
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[300], *end;
        long pid;

        if (strncmp(e->d_name, "nsemu-", 6) != 0)
            continue;
        pid = strtol(e->d_name + 6, &end, 10);
        if (end == e->d_name + 6 || *end != '-' || pid <= 0)
            continue;
        /* A run that is still alive keeps its namespaces; kill(pid, 0) fails with
         * ESRCH only once the process is gone. */
        if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(path, sizeof(path), NETNS_DIR "/%s", e->d_name);
        umount2(path, MNT_DETACH);
        unlink(path);
    }
    closedir(d);
}

int tap_ns_socket(enum tap_ns which, int domain, int type, int protocol)
{
    int fd, r;

    if (which != TAP_NS_HOST) {
        if (ns.fd[which] < 0)
            return -ENODEV;
        r = enter(which);
        if (r < 0)
            return r;
    }
    fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    r = fd < 0 ? -errno : fd;
    if (which != TAP_NS_HOST)
        leave();
    return r;
}

int tap_ns_ifindex(enum tap_ns which, const char *name)
{
    struct ifreq ifr = {0};
    int fd = tap_ns_socket(which, AF_INET, SOCK_DGRAM, 0), r;

    if (fd < 0)
        return fd;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    r = ioctl(fd, SIOCGIFINDEX, &ifr) < 0 ? -errno : ifr.ifr_ifindex;
    close(fd);
    return r;
}

int tap_ns_open_tap(enum tap_ns which, const char *name)
{
    struct ifreq ifr = {0};
    int fd, r = 0;

    if (which != TAP_NS_HOST) {
        r = enter(which);
        if (r < 0)
            return r;
    }
    /* The TAP belongs to the namespace of whoever opens /dev/net/tun. */
    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (which != TAP_NS_HOST)
        leave();
    if (fd < 0)
        return -errno;
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    return fd;
}

static int set_flag_up(int fd, const char *name)
{
    struct ifreq ifr = {0};

    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return -errno;
    ifr.ifr_flags |= IFF_UP;
    return ioctl(fd, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

int tap_ns_link_up(enum tap_ns which, const char *name, const uint8_t mac[6], int mtu)
{
    struct ifreq ifr = {0};
    int fd = tap_ns_socket(which, AF_INET, SOCK_DGRAM, 0), r = 0;

    if (fd < 0)
        return fd;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (mac != NULL) {
        ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
        memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
        if (ioctl(fd, SIOCSIFHWADDR, &ifr) < 0)
            r = -errno;
    }
    if (r == 0 && mtu > 0) {
        ifr.ifr_mtu = mtu;
        if (ioctl(fd, SIOCSIFMTU, &ifr) < 0)
            r = -errno;
    }
    if (r == 0)
        r = set_flag_up(fd, name);
    if (r == 0 && which != TAP_NS_HOST)
        r = set_flag_up(fd, "lo");
    close(fd);
    return r;
}

int tap_ns_sysctl(enum tap_ns which, const char *path, const char *value)
{
    char full[256];
    int fd, r = 0;

    snprintf(full, sizeof(full), "/proc/sys/%s", path);
    if (which != TAP_NS_HOST) {
        r = enter(which);
        if (r < 0)
            return r;
    }
    /* /proc/sys/net shows the namespace of the thread that opens it. */
    fd = open(full, O_WRONLY | O_CLOEXEC);
    if (which != TAP_NS_HOST)
        leave();
    if (fd < 0)
        return -errno;
    if (write(fd, value, strlen(value)) < 0)
        r = -errno;
    close(fd);
    return r;
}
