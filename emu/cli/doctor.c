/*
 * doctor.c: `nsemu doctor` (DESIGN §6, docs/cli.md): what this machine can do for
 * nsemu's links, and how to enable what is missing. The host link needs nothing; the
 * tap link (DESIGN §3, docs/tap.md) needs /dev/net/tun, CAP_NET_ADMIN, CAP_SYS_ADMIN,
 * network namespaces, libpcap and a kernel of 5.0 or later (TUNSETCARRIER, for link
 * down/up). Each is probed for real where that is harmless: /dev/net/tun is opened (no
 * TUNSETIFF), a forked child unshares a network namespace, libpcap is dlopen()ed.
 * Prints on stdout; exits 0 whatever it finds.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

#define CAP_NET_ADMIN_BIT 12
#define CAP_SYS_ADMIN_BIT 21

/* What one probe found. */
struct finding {
    bool ok;
    char detail[160];
    char fix[240]; /* how to enable it; "" when ok or nothing to do */
};

void cli_doctor_usage(FILE *out)
{
    fputs("usage: nsemu doctor\n"
          "\n"
          "Says what this machine can do for nsemu: the host link (always), and what the\n"
          "tap link needs: /dev/net/tun, CAP_NET_ADMIN and CAP_SYS_ADMIN (root has both),\n"
          "network namespaces, libpcap and Linux 5.0 or later; ip (iproute2) to start\n"
          "servers in its peer namespace. For each missing one it says how to enable it,\n"
          "or to use the host link instead. Exits 0.\n",
          out);
}

static void say(struct finding *f, bool ok, const char *detail, const char *fix)
{
    f->ok = ok;
    snprintf(f->detail, sizeof(f->detail), "%s", detail);
    snprintf(f->fix, sizeof(f->fix), "%s", ok ? "" : fix);
}

static void probe_root(struct finding *f)
{
    if (geteuid() == 0)
        say(f, true, "running as root", "");
    else
        say(f, false, "not running as root",
            "run as root (sudo), or grant the two capabilities below instead");
}

static void probe_tun(struct finding *f)
{
    struct stat st;
    char detail[160];
    int fd;

    if (stat("/dev/net/tun", &st) != 0 || !S_ISCHR(st.st_mode)) {
        say(f, false, "missing",
            "load the module as root: modprobe tun; in a container: "
            "docker run --device /dev/net/tun ...");
        return;
    }
    fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        say(f, true, "present, and this user can open it", "");
        return;
    }
    snprintf(detail, sizeof(detail), "present (mode %04o) but cannot be opened: %s",
             (unsigned)(st.st_mode & 07777), strerror(errno));
    say(f, false, detail, "run as root, or give this user read-write access to /dev/net/tun");
}

/* The effective capability set, from /proc/self/status; false when unreadable. */
static bool effective_caps(unsigned long long *caps)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    bool found = false;

    if (f == NULL)
        return false;
    while (!found && fgets(line, sizeof(line), f) != NULL)
        found = sscanf(line, "CapEff: %llx", caps) == 1;
    fclose(f);
    return found;
}

static void probe_cap(struct finding *f, int bit, const char *docker_name, const char *why)
{
    unsigned long long caps;
    char fix[240];

    if (!effective_caps(&caps)) {
        say(f, false, "unknown: cannot read CapEff in /proc/self/status", "run as root to be sure");
        return;
    }
    snprintf(fix, sizeof(fix), "run as root; in a container: --cap-add %s (%s)", docker_name, why);
    say(f, (caps >> bit) & 1,
        (caps >> bit) & 1 ? "in the effective capability set"
                          : "not in the effective capability set",
        fix);
}

/* A forked child tries unshare(CLONE_NEWNET) and exits with its errno. */
static void probe_netns(struct finding *f)
{
    char detail[160];
    int status, err;
    pid_t pid;

    fflush(NULL);
    pid = fork();
    if (pid == 0)
        _exit(unshare(CLONE_NEWNET) == 0 ? 0 : errno);
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        say(f, false, "could not be probed", "run nsemu doctor again");
        return;
    }
    err = WEXITSTATUS(status);
    if (err == 0) {
        say(f, true, "a new network namespace can be made (unshare CLONE_NEWNET)", "");
        return;
    }
    snprintf(detail, sizeof(detail), "unshare(CLONE_NEWNET) fails: %s", strerror(err));
    if (err == EINVAL)
        say(f, false, detail, "the kernel lacks network namespaces (CONFIG_NET_NS)");
    else if (err == ENOSPC)
        say(f, false, detail, "too many namespaces: raise sysctl user.max_net_namespaces");
    else
        say(f, false, detail,
            "needs CAP_SYS_ADMIN; in a container, seccomp may also block unshare: "
            "--security-opt seccomp=unconfined, or --privileged");
}

static void probe_libpcap(struct finding *f)
{
    static const char *const names[] = {"libpcap.so.0.8", "libpcap.so.1", "libpcap.so"};
    char detail[160];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        void *h = dlopen(names[i], RTLD_LAZY | RTLD_LOCAL);

        if (h != NULL) {
            snprintf(detail, sizeof(detail), "%s loads", names[i]);
            dlclose(h);
            say(f, true, detail, "");
            return;
        }
    }
    say(f, false, "not installed (libpcap.so.0.8 does not load)",
        "apt-get install libpcap0.8 (and libpcap-dev to build against it)");
}

/* TUNSETCARRIER (link down / up on the wire) came with Linux 5.0. */
static void probe_kernel(struct finding *f)
{
    struct utsname u;
    char detail[160];
    int major = 0, minor = 0;

    if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2) {
        say(f, false, "unknown kernel release", "the tap link needs Linux 5.0 or later");
        return;
    }
    snprintf(detail, sizeof(detail), "Linux %s", u.release);
    say(f, major >= 5, detail, "the tap link needs Linux 5.0 or later (TUNSETCARRIER)");
}

/* Not needed by the library; tests and users start servers in the peer namespace with
 * ip netns exec. */
static void probe_ip(struct finding *f)
{
    if (access("/usr/sbin/ip", X_OK) == 0 || access("/sbin/ip", X_OK) == 0 ||
        access("/usr/bin/ip", X_OK) == 0 || access("/bin/ip", X_OK) == 0)
        say(f, true, "ip is installed (for ip netns exec nsemu-PID-peer ...)", "");
    else
        say(f, false, "ip is not installed",
            "apt-get install iproute2 (only to start servers in the peer namespace)");
}

static void print_row(const char *name, const struct finding *f)
{
    printf("  %-4s %-15s %s\n", f->ok ? "ok" : "no", name, f->detail);
    if (f->fix[0] != '\0')
        printf("  %-4s %-15s fix: %s\n", "", "", f->fix);
}

int cli_doctor(int argc, char **argv)
{
    enum { ROOT, TUN, NET_ADMIN, SYS_ADMIN, NETNS, LIBPCAP, KERNEL, IPROUTE, COUNT };
    static const char *const names[COUNT] = {
        "root",       "/dev/net/tun", "CAP_NET_ADMIN", "CAP_SYS_ADMIN",
        "namespaces", "libpcap",      "kernel",        "iproute2",
    };
    struct finding found[COUNT];
    char missing[160] = "";

    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        cli_doctor_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (argc > 1) {
        fprintf(stderr, "nsemu doctor: unexpected argument '%s' (see nsemu doctor --help)\n",
                argv[1]);
        return CLI_EXIT_USAGE;
    }
    probe_root(&found[ROOT]);
    probe_tun(&found[TUN]);
    probe_cap(&found[NET_ADMIN], CAP_NET_ADMIN_BIT, "NET_ADMIN", "TAP devices, addresses, routes");
    probe_cap(&found[SYS_ADMIN], CAP_SYS_ADMIN_BIT, "SYS_ADMIN", "namespaces, setns");
    probe_netns(&found[NETNS]);
    probe_libpcap(&found[LIBPCAP]);
    probe_kernel(&found[KERNEL]);
    probe_ip(&found[IPROUTE]);
    if (!found[ROOT].ok && found[NET_ADMIN].ok && found[SYS_ADMIN].ok)
        say(&found[ROOT], true, "not root, but the two capabilities below are what counts", "");

    printf("nsemu %s doctor: what this machine can do\n\n", NSEMU_VERSION);
    printf("  %-4s %-15s %s\n", "ok", "host link",
           "works here: it needs no privileges, no TAP, no namespaces (the default link)");
    print_row(names[ROOT], &found[ROOT]);
    for (int i = TUN; i < COUNT; i++) {
        print_row(names[i], &found[i]);
        if (!found[i].ok && i != IPROUTE)
            snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
                     missing[0] != '\0' ? ", " : "", names[i]);
    }
    if (missing[0] == '\0')
        printf("  %-4s %-15s works here (--link tap; see docs/tap.md)\n", "ok", "tap link");
    else
        printf("  %-4s %-15s needs: %s; fix those, or use the host link (--link host)\n", "no",
               "tap link", missing);
    return CLI_EXIT_OK;
}
