/*
 * bench_tap.c: TCP throughput through the tap link's wire against a kernel veth pair,
 * in one run (docs/performance.md). The device (nsemu's API, on the tap link with
 * [tap] far = peer) sends to, and receives from, plain sockets in the peer namespace;
 * the veth figure is plain sockets in two namespaces the bench makes, joined by a veth
 * pair. Three wire configurations: capture off with no frame fault (offload mode),
 * capture on (to a file on tmpfs), and per-frame mode forced by frame.dup=0.0001. Each
 * figure is the median of several runs, wire and veth alternating. It reports and never
 * asserts timing: a missed target prints MISSED and still exits 0; only a run that fails
 * outright exits 1.
 *
 * The capture needs its own process (tap.pcap is read at start-up), so the bench runs
 * itself twice as a device program: "bench_tap child plain" (off, then per-frame) and
 * "bench_tap child capture". Run it through tap_run.sh, which skips it without root.
 *
 * Usage: bench_tap [-t SECONDS_PER_RUN] [-r RUNS]   (defaults: -t 1 -r 5, at most 15)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#define CHUNK      65536
#define PORT_SINK  5201 /* the far end receives */
#define PORT_SOURCE 5202 /* the far end sends */
#define MAX_RUNS   15
#define TARGET_OFF      0.70
#define TARGET_PERFRAME 0.12

static double run_seconds = 1.0;
static int runs = 5;
static char veth_a[64], veth_b[64], pcap_path[128];

/* ---- small helpers ------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what, long code)
{
    fprintf(stderr, "bench_tap: %s failed (%ld%s%s)\n", what, code, code == -1 ? ": " : "",
            code == -1 ? strerror(errno) : "");
    exit(1);
}

static void sh(const char *fmt, const char *a, const char *b)
{
    char cmd[512];

    snprintf(cmd, sizeof(cmd), fmt, a, b);
    if (system(cmd) != 0)
        fail(cmd, 0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- plain sockets inside a named namespace --------------------------------------- */

struct ns_socket {
    const char *ns;
    int fd;
};

static void *make_socket_inside(void *arg)
{
    struct ns_socket *m = arg;
    char path[128];
    int nsfd;

    snprintf(path, sizeof(path), "/run/netns/%s", m->ns);
    nsfd = open(path, O_RDONLY | O_CLOEXEC);
    if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET) == 0)
        m->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (nsfd >= 0)
        close(nsfd);
    return NULL;
}

/* A TCP socket made in namespace ns (on a thread of its own, which enters it). */
static int socket_in(const char *ns)
{
    struct ns_socket m = {.ns = ns, .fd = -1};
    pthread_t t;

    pthread_create(&t, NULL, make_socket_inside, &m);
    pthread_join(t, NULL);
    if (m.fd < 0)
        fail("socket in a namespace", -1);
    return m.fd;
}

static struct sockaddr_in sockaddr_of(const char *ip, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static int listener_in(const char *ns, const char *ip, int port)
{
    int fd = socket_in(ns), one = 1;
    struct sockaddr_in a = sockaddr_of(ip, port);

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0)
        fail("listen in a namespace", -1);
    return fd;
}

/* ---- one transfer ------------------------------------------------------------------ */

/* The plain end of a transfer: accepts one connection on lfd, then receives until the
 * end of the stream (sink) or sends for run_seconds and closes (source). A sink
 * measures: bytes over the time from its first byte to the end. */
struct plain_end {
    int lfd;
    bool sink;
    double rate; /* bytes/s, sinks */
};

static void send_for(int fd, double seconds)
{
    static char buf[CHUNK];
    double end = now_s() + seconds;

    while (now_s() < end)
        if (send(fd, buf, sizeof(buf), MSG_NOSIGNAL) <= 0)
            fail("send", -1);
}

static double receive_all(int fd)
{
    static _Thread_local char buf[CHUNK];
    double first = 0, bytes = 0;
    ssize_t n;

    while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
        if (first == 0)
            first = now_s();
        bytes += (double)n;
    }
    if (n < 0)
        fail("recv", -1);
    return bytes / (now_s() - first);
}

static void *plain_end_run(void *arg)
{
    struct plain_end *e = arg;
    int fd = accept(e->lfd, NULL, NULL);

    if (fd < 0)
        fail("accept", -1);
    if (e->sink)
        e->rate = receive_all(fd);
    else
        send_for(fd, run_seconds);
    close(fd);
    return NULL;
}

/* veth: a plain sender in A to a plain sink in B. */
static double veth_run(int lfd)
{
    struct plain_end sink = {.lfd = lfd, .sink = true};
    struct sockaddr_in to = sockaddr_of("10.0.3.2", PORT_SINK);
    int fd = socket_in(veth_a);
    pthread_t t;

    pthread_create(&t, NULL, plain_end_run, &sink);
    if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
        fail("connect over veth", -1);
    send_for(fd, run_seconds);
    close(fd);
    pthread_join(t, NULL);
    return sink.rate;
}

/* The wire: the device (nsemu's API) sends to a sink in the peer namespace (upload), or
 * receives from a source there (download). */
static double wire_run(int lfd, bool upload)
{
    struct plain_end far = {.lfd = lfd, .sink = upload};
    tcp_socket_t *s = tcp_socket_new();
    socket_address_t to;
    static char buf[CHUNK];
    double first = 0, bytes = 0;
    pthread_t t;

    socket_address_init(&to);
    socket_address_set_ip_address(&to, "10.0.2.2");
    socket_address_set_port(&to, upload ? PORT_SINK : PORT_SOURCE);
    pthread_create(&t, NULL, plain_end_run, &far);
    if (socket_open(s, network_interface_get_default_instance()) != NSAPI_ERROR_OK)
        fail("socket_open", 0);
    socket_set_timeout(s, 10000);
    if (tcp_socket_connect(s, &to) != NSAPI_ERROR_OK)
        fail("tcp_socket_connect over the wire", 0);
    if (upload) {
        double end = now_s() + run_seconds;

        while (now_s() < end)
            if (tcp_socket_send(s, buf, sizeof(buf)) <= 0)
                fail("tcp_socket_send", 0);
    } else {
        nsapi_size_or_error_t n;

        while ((n = tcp_socket_recv(s, buf, sizeof(buf))) > 0) {
            if (first == 0)
                first = now_s();
            bytes += (double)n;
        }
        if (n < 0)
            fail("tcp_socket_recv", n);
    }
    socket_close(s);
    socket_delete(s);
    pthread_join(t, NULL);
    return upload ? far.rate : bytes / (now_s() - first);
}

/* ---- the device program ------------------------------------------------------------ */

static void remove_veth(void)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null",
             veth_a, veth_b);
    if (system(cmd) != 0)
        return; /* nothing to remove */
}

static void make_veth(void)
{
    snprintf(veth_a, sizeof(veth_a), "nsemu-bench-%ld-a", (long)getpid());
    snprintf(veth_b, sizeof(veth_b), "nsemu-bench-%ld-b", (long)getpid());
    atexit(remove_veth);
    sh("ip netns add %s && ip netns add %s", veth_a, veth_b);
    sh("ip link add va netns %s type veth peer name vb netns %s", veth_a, veth_b);
    sh("ip -n %s addr add 10.0.3.1/24 dev va && ip -n %s addr add 10.0.3.2/24 dev vb", veth_a,
       veth_b);
    sh("ip -n %s link set va up && ip -n %s link set vb up", veth_a, veth_b);
}

/* Empties the capture between runs (a second of capture is more than a gigabyte); the
 * wire keeps writing at its offset, into a sparse file that costs no memory. */
static void empty_capture(void)
{
    if (pcap_path[0] != '\0' && truncate(pcap_path, 0) < 0)
        fail("truncate the capture", -1);
}

/* A row of the table; target 0: none (the capture's cost depends on the disk). Ratios
 * are cut, not rounded, to two decimals, as bench_loopback prints them. */
static void print_row(const char *config, const char *dir, double wire, double veth,
                      double target)
{
    double ratio = wire / veth;

    printf("%-10s %-9s %9.2f %9.2f %6.2f   ", config, dir, wire * 8 / 1e9, veth * 8 / 1e9,
           (double)(long)(ratio * 100) / 100);
    if (target > 0)
        printf(">= %.2f %s\n", target, ratio >= target ? "met" : "MISSED");
    else
        printf("-\n");
    fflush(stdout);
}

/* Runs of one configuration: veth and the wire's two directions, alternating. */
static void measure(const char *config, int veth_l, int sink_l, int source_l, double target)
{
    double veth[MAX_RUNS], up[MAX_RUNS], down[MAX_RUNS], v;

    for (int r = 0; r < runs; r++) {
        veth[r] = veth_run(veth_l);
        up[r] = wire_run(sink_l, true);
        empty_capture();
        down[r] = wire_run(source_l, false);
        empty_capture();
    }
    v = median(veth, runs);
    print_row(config, "upload", median(up, runs), v, target);
    print_row(config, "download", median(down, runs), v, target);
}

static int child(const char *mode)
{
    network_interface_t *ni = network_interface_get_default_instance();
    char peer[64];
    int veth_l, sink_l, source_l;

    if (network_interface_set_network(ni, "10.0.2.15", "255.255.255.0", "10.0.2.2") != 0 ||
        network_interface_connect(ni) != NSAPI_ERROR_OK)
        fail("bringing the device up on the tap link", 0);
    make_veth();
    snprintf(peer, sizeof(peer), "nsemu-%ld-peer", (long)getpid());
    veth_l = listener_in(veth_b, "10.0.3.2", PORT_SINK);
    sink_l = listener_in(peer, "10.0.2.2", PORT_SINK);
    source_l = listener_in(peer, "10.0.2.2", PORT_SOURCE);
    wire_run(sink_l, true); /* warm up: ARP, TCP's memory */
    empty_capture();
    if (strcmp(mode, "capture") == 0) {
        measure("capture", veth_l, sink_l, source_l, 0);
        return 0;
    }
    measure("off", veth_l, sink_l, source_l, TARGET_OFF);
    if (nsemu_set("frame.dup", "0.0001") != NSAPI_ERROR_OK)
        fail("nsemu_set frame.dup", 0);
    measure("per-frame", veth_l, sink_l, source_l, TARGET_PERFRAME);
    return 0;
}

/* ---- the parent: runs the children ------------------------------------------------- */

static void run_child(const char *self, const char *mode)
{
    pid_t pid = fork();
    int status;

    if (pid < 0)
        fail("fork", -1);
    if (pid == 0) {
        setenv("NSEMU_LINK", "tap", 1);
        setenv("NSEMU_FAULTS", "dns.resolv_conf=,tap.far=peer", 1);
        unsetenv("NSEMU_SCENARIO");
        if (strcmp(mode, "capture") == 0)
            setenv("NSEMU_PCAP", pcap_path, 1);
        else
            unsetenv("NSEMU_PCAP");
        char t[32], r[16];

        snprintf(t, sizeof(t), "%g", run_seconds);
        snprintf(r, sizeof(r), "%d", runs);
        execl(self, self, "child", mode, t, r, (char *)NULL);
        _exit(127);
    }
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail(mode, WIFEXITED(status) ? WEXITSTATUS(status) : -2);
}

int main(int argc, char **argv)
{
    char self[1024];
    ssize_t n;
    int opt;

    if (argc == 5 && strcmp(argv[1], "child") == 0) {
        if (strcmp(argv[2], "capture") == 0)
            snprintf(pcap_path, sizeof(pcap_path), "%s", getenv("NSEMU_PCAP"));
        run_seconds = atof(argv[3]);
        runs = atoi(argv[4]);
        return child(argv[2]);
    }
    while ((opt = getopt(argc, argv, "t:r:")) != -1) {
        if (opt == 't')
            run_seconds = atof(optarg);
        else if (opt == 'r')
            runs = atoi(optarg);
        else
            return 2;
    }
    if (runs < 1 || runs > MAX_RUNS || run_seconds <= 0)
        return 2;
    snprintf(pcap_path, sizeof(pcap_path), "/dev/shm/nsemu-bench-%ld.pcap", (long)getpid());
    printf("bench_tap: TCP through the wire vs a veth pair, %d runs of %.1f s, medians, Gbit/s\n",
           runs, run_seconds);
    printf("%-10s %-9s %9s %9s %6s   %s\n", "config", "direction", "wire", "veth", "ratio",
           "target");
    fflush(stdout);
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0)
        fail("readlink /proc/self/exe", -1);
    self[n] = '\0';
    run_child(self, "plain");
    run_child(self, "capture");
    unlink(pcap_path);
    strcat(pcap_path, ".faults");
    unlink(pcap_path);
    return 0;
}
