/*
 * bench_loopback.c: nsemu against raw POSIX sockets on loopback, in one process, each
 * measured the same way (docs/performance.md): blocking TCP ping-pong of 64 bytes, bulk
 * TCP in 64 KB writes, and 512-byte UDP datagrams under a credit window. Every figure
 * is the median of several runs that alternate raw and nsemu. Each benchmark runs in two
 * placements: "split", the client (sender) thread pinned to one CPU and the server
 * (receiver) thread to another, and "shared", both on one CPU; pinning keeps the
 * scheduler from placing the threads differently from one run to the next, which on a
 * small machine changes the figures more than anything measured here. It reports and
 * never asserts timing: a missed target prints MISSED and still exits 0; only a run
 * that fails outright exits 1.
 *
 * Usage: bench_loopback [-t SECONDS_PER_RUN] [-r RUNS] [-o ONLY] [-p PLACEMENTS]
 *   defaults: -t 1 -r 5 for split, half the time for shared; ONLY picks benchmarks by
 *   name ("tcp_pingpong,udp_512"), handy under perf; PLACEMENTS is any of "split",
 *   "shared", "free" (unpinned), default "split,shared".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <netsocket/netsocket.h>

#define PING_SIZE          64
#define BULK_CHUNK         65536
#define DGRAM_SIZE         512
#define UDP_WINDOW         64 /* datagrams the sender may have unconfirmed */
#define UDP_CREDIT_EVERY   (UDP_WINDOW / 2)
#define UDP_CREDIT_WAIT_MS 50  /* no credit for this long: forgive the window */
#define UDP_IDLE_END_MS    300 /* receiver: no datagram for this long ends the run */
#define MAX_RUNS           15

static double run_seconds = 1.0; /* of one run; set per placement */
static int runs = 5;
static const char *only;    /* NULL: every benchmark */
static int server_cpu = -1; /* where start_thread pins; -1: anywhere */
static network_interface_t *ni;

/* ---- small helpers ------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what, long code)
{
    fprintf(stderr, "bench_loopback: %s failed (%ld%s%s)\n", what, code, code == -1 ? ": " : "",
            code == -1 ? strerror(errno) : "");
    exit(1);
}

static void check_posix(bool ok, const char *what)
{
    if (!ok)
        fail(what, -1);
}

static void check_nsapi(long r, const char *what)
{
    if (r < 0)
        fail(what, r);
}

/* Starts the server (receiver) side of a run, on server_cpu when one is set. */
static void start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    cpu_set_t set;

    pthread_attr_init(&attr);
    if (server_cpu >= 0) {
        CPU_ZERO(&set);
        CPU_SET(server_cpu, &set);
        pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
    }
    if (pthread_create(t, &attr, fn, arg) != 0)
        fail("pthread_create", 0);
    pthread_attr_destroy(&attr);
}

static struct sockaddr_in loopback(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* A POSIX socket of type bound to 127.0.0.1:0; sets *port to the kernel's choice. */
static int posix_bound(int type, uint16_t *port)
{
    struct sockaddr_in a = loopback(0);
    socklen_t len = sizeof(a);
    int one = 1, fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

    check_posix(fd >= 0, "socket");
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    check_posix(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "bind");
    check_posix(getsockname(fd, (struct sockaddr *)&a, &len) == 0, "getsockname");
    *port = ntohs(a.sin_port);
    return fd;
}

/* A port free on 127.0.0.1 right now, for an nsemu socket to bind (the device API has
 * no getsockname). Ports above 1023 are not moved by host.port_offset. */
static uint16_t free_port(int type)
{
    uint16_t port;
    int fd = posix_bound(type, &port);

    close(fd);
    return port;
}

static int posix_connect(uint16_t port)
{
    struct sockaddr_in a = loopback(port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    check_posix(fd >= 0, "socket");
    check_posix(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "connect");
    return fd;
}

static void posix_set_timeout(int fd, int ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* Reads exactly n bytes; false on EOF or error. */
static bool posix_read_full(int fd, char *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = recv(fd, buf + got, n - got, 0);

        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

static bool posix_write_full(int fd, const char *buf, size_t n)
{
    size_t put = 0;

    while (put < n) {
        ssize_t r = send(fd, buf + put, n - put, MSG_NOSIGNAL);

        if (r <= 0)
            return false;
        put += (size_t)r;
    }
    return true;
}

static bool ns_recv_full(tcp_socket_t *s, char *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        nsapi_size_or_error_t r = tcp_socket_recv(s, buf + got, (nsapi_size_t)(n - got));

        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

static socket_address_t ns_loopback(uint16_t port)
{
    socket_address_t a;

    socket_address_init(&a);
    socket_address_set_ip_address(&a, "127.0.0.1");
    socket_address_set_port(&a, port);
    return a;
}

/* A listening nsemu TCPServer on the device's address; sets *port. */
static tcp_server_t *ns_listener(uint16_t *port)
{
    tcp_server_t *srv = tcp_server_new();

    check_posix(srv != NULL, "tcp_server_new");
    check_nsapi(socket_open(srv, ni), "socket_open (server)");
    *port = free_port(SOCK_STREAM);
    check_nsapi(socket_bind_port(srv, *port), "socket_bind_port");
    check_nsapi(tcp_server_listen(srv, 4), "tcp_server_listen");
    return srv;
}

static tcp_socket_t *ns_connect(uint16_t port)
{
    tcp_socket_t *c = tcp_socket_new();
    socket_address_t a = ns_loopback(port);

    check_posix(c != NULL, "tcp_socket_new");
    check_nsapi(socket_open(c, ni), "socket_open (client)");
    check_nsapi(tcp_socket_connect(c, &a), "tcp_socket_connect");
    return c;
}

static tcp_socket_t *ns_accept(tcp_server_t *srv)
{
    tcp_socket_t *c = tcp_socket_new();

    check_posix(c != NULL, "tcp_socket_new");
    check_nsapi(tcp_server_accept(srv, c, NULL), "tcp_server_accept");
    return c;
}

/* ---- TCP ping-pong: 64 bytes there and back, one round trip at a time --------- */

static void *raw_echo_main(void *arg)
{
    int lfd = *(int *)arg, c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    char buf[PING_SIZE];

    check_posix(c >= 0, "accept");
    while (posix_read_full(c, buf, sizeof(buf)) && posix_write_full(c, buf, sizeof(buf)))
        ;
    close(c);
    return NULL;
}

static double raw_pingpong(void)
{
    char buf[PING_SIZE] = {0};
    uint16_t port;
    int lfd = posix_bound(SOCK_STREAM, &port), c;
    long rounds = 0;
    double t0, t;
    pthread_t echo;

    check_posix(listen(lfd, 4) == 0, "listen");
    start_thread(&echo, raw_echo_main, &lfd);
    c = posix_connect(port);
    t0 = now_s();
    do {
        if (!posix_write_full(c, buf, sizeof(buf)) || !posix_read_full(c, buf, sizeof(buf)))
            fail("raw ping-pong", -1);
        rounds++;
    } while ((t = now_s()) - t0 < run_seconds);
    close(c);
    pthread_join(echo, NULL);
    close(lfd);
    return (double)rounds / (t - t0);
}

static void *ns_echo_main(void *arg)
{
    tcp_socket_t *c = ns_accept(arg);
    char buf[PING_SIZE];

    while (ns_recv_full(c, buf, sizeof(buf)) &&
           tcp_socket_send(c, buf, sizeof(buf)) == (nsapi_size_or_error_t)sizeof(buf))
        ;
    socket_delete(c);
    return NULL;
}

static double ns_pingpong(void)
{
    char buf[PING_SIZE] = {0};
    uint16_t port;
    tcp_server_t *srv = ns_listener(&port);
    tcp_socket_t *c;
    long rounds = 0;
    double t0, t;
    pthread_t echo;

    start_thread(&echo, ns_echo_main, srv);
    c = ns_connect(port);
    t0 = now_s();
    do {
        if (tcp_socket_send(c, buf, sizeof(buf)) != (nsapi_size_or_error_t)sizeof(buf) ||
            !ns_recv_full(c, buf, sizeof(buf)))
            fail("nsemu ping-pong", 0);
        rounds++;
    } while ((t = now_s()) - t0 < run_seconds);
    socket_delete(c);
    pthread_join(echo, NULL);
    socket_delete(srv);
    return (double)rounds / (t - t0);
}

/* ---- bulk TCP: 64 KB writes one way for run_seconds; the receiver reads 64 KB ---- */

struct bulk_sink {
    void *listener; /* int * (raw) or tcp_server_t * (nsemu) */
    uint64_t bytes;
    double end; /* when EOF arrived */
};

static void *raw_sink_main(void *arg)
{
    struct bulk_sink *k = arg;
    int c = accept4(*(int *)k->listener, NULL, NULL, SOCK_CLOEXEC);
    static char buf[BULK_CHUNK];
    ssize_t r;

    check_posix(c >= 0, "accept");
    while ((r = recv(c, buf, sizeof(buf), 0)) > 0)
        k->bytes += (uint64_t)r;
    k->end = now_s();
    close(c);
    return NULL;
}

static double raw_bulk(void)
{
    static char buf[BULK_CHUNK];
    struct bulk_sink k = {0};
    uint16_t port;
    int lfd = posix_bound(SOCK_STREAM, &port), c;
    double t0;
    pthread_t sink;

    check_posix(listen(lfd, 4) == 0, "listen");
    k.listener = &lfd;
    start_thread(&sink, raw_sink_main, &k);
    c = posix_connect(port);
    t0 = now_s();
    do {
        if (!posix_write_full(c, buf, sizeof(buf)))
            fail("raw bulk send", -1);
    } while (now_s() - t0 < run_seconds);
    close(c);
    pthread_join(sink, NULL);
    close(lfd);
    return (double)k.bytes / (k.end - t0) / 1e6;
}

static void *ns_sink_main(void *arg)
{
    struct bulk_sink *k = arg;
    tcp_socket_t *c = ns_accept(k->listener);
    static char buf[BULK_CHUNK];
    nsapi_size_or_error_t r;

    while ((r = tcp_socket_recv(c, buf, sizeof(buf))) > 0)
        k->bytes += (uint64_t)r;
    k->end = now_s();
    socket_delete(c);
    return NULL;
}

static double ns_bulk(void)
{
    static char buf[BULK_CHUNK];
    struct bulk_sink k = {0};
    uint16_t port;
    tcp_server_t *srv = ns_listener(&port);
    tcp_socket_t *c;
    double t0;
    pthread_t sink;

    k.listener = srv;
    start_thread(&sink, ns_sink_main, &k);
    c = ns_connect(port);
    t0 = now_s();
    do {
        if (tcp_socket_send(c, buf, sizeof(buf)) != (nsapi_size_or_error_t)sizeof(buf))
            fail("nsemu bulk send", 0);
    } while (now_s() - t0 < run_seconds);
    socket_delete(c);
    pthread_join(sink, NULL);
    socket_delete(srv);
    return (double)k.bytes / (k.end - t0) / 1e6;
}

/* ---- UDP: 512-byte datagrams under a credit window ------------------------------
 * The sender keeps at most UDP_WINDOW datagrams unconfirmed; the receiver returns a
 * credit (its running count, 8 bytes) every UDP_CREDIT_EVERY datagrams. The window fits
 * the default receive buffer many times over, so nothing should be dropped and the
 * figure is what the two ends really move, not how fast a sender can overflow a
 * buffer. Should a credit or datagram be lost after all, the sender forgives the window
 * after UDP_CREDIT_WAIT_MS and goes on; the loss is reported. A 1-byte datagram ends
 * the run. */

struct udp_sink {
    void *sock; /* int * (raw) or udp_socket_t * (nsemu) */
    uint64_t received;
    double last; /* when the last 512-byte datagram arrived */
};

struct udp_result {
    double rate;
    uint64_t sent, received;
};

static void *raw_udp_sink_main(void *arg)
{
    struct udp_sink *k = arg;
    int fd = *(int *)k->sock;
    char buf[DGRAM_SIZE];
    struct sockaddr_storage from;

    posix_set_timeout(fd, UDP_IDLE_END_MS);
    for (;;) {
        socklen_t len = sizeof(from);
        ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);

        if (n != DGRAM_SIZE)
            break; /* the end marker, or silence */
        k->last = now_s();
        if (++k->received % UDP_CREDIT_EVERY == 0)
            sendto(fd, &k->received, sizeof(k->received), 0, (struct sockaddr *)&from, len);
    }
    return NULL;
}

static struct udp_result raw_udp(void)
{
    char buf[DGRAM_SIZE] = {0};
    struct udp_sink k = {0};
    uint16_t port;
    int rfd = posix_bound(SOCK_DGRAM, &port), fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in to = loopback(port);
    uint64_t sent = 0, acked = 0, credit;
    double t0;
    pthread_t sink;

    check_posix(fd >= 0, "socket");
    posix_set_timeout(fd, UDP_CREDIT_WAIT_MS);
    k.sock = &rfd;
    start_thread(&sink, raw_udp_sink_main, &k);
    t0 = now_s();
    do {
        while (sent - acked < UDP_WINDOW) {
            if (sendto(fd, buf, DGRAM_SIZE, 0, (struct sockaddr *)&to, sizeof(to)) != DGRAM_SIZE)
                fail("raw sendto", -1);
            sent++;
        }
        if (recv(fd, &credit, sizeof(credit), 0) == (ssize_t)sizeof(credit))
            acked = credit > acked ? credit : acked;
        else
            acked = sent; /* lost: forgive the window */
    } while (now_s() - t0 < run_seconds);
    for (int i = 0; i < 3; i++)
        sendto(fd, buf, 1, 0, (struct sockaddr *)&to, sizeof(to));
    pthread_join(sink, NULL);
    close(fd);
    close(rfd);
    return (struct udp_result){(double)k.received / (k.last - t0), sent, k.received};
}

static void *ns_udp_sink_main(void *arg)
{
    struct udp_sink *k = arg;
    udp_socket_t *s = k->sock;
    char buf[DGRAM_SIZE];
    socket_address_t from;

    socket_set_timeout(s, UDP_IDLE_END_MS);
    for (;;) {
        nsapi_size_or_error_t n = udp_socket_recvfrom(s, &from, buf, sizeof(buf));

        if (n != DGRAM_SIZE)
            break;
        k->last = now_s();
        if (++k->received % UDP_CREDIT_EVERY == 0)
            udp_socket_sendto(s, &from, &k->received, sizeof(k->received));
    }
    return NULL;
}

static struct udp_result ns_udp(void)
{
    char buf[DGRAM_SIZE] = {0};
    struct udp_sink k = {0};
    udp_socket_t *rs = udp_socket_new(), *s = udp_socket_new();
    uint16_t port = free_port(SOCK_DGRAM);
    socket_address_t to = ns_loopback(port);
    uint64_t sent = 0, acked = 0, credit;
    double t0;
    pthread_t sink;

    check_posix(rs != NULL && s != NULL, "udp_socket_new");
    check_nsapi(socket_open(rs, ni), "socket_open (udp receiver)");
    check_nsapi(socket_bind_port(rs, port), "socket_bind_port (udp)");
    check_nsapi(socket_open(s, ni), "socket_open (udp sender)");
    socket_set_timeout(s, UDP_CREDIT_WAIT_MS);
    k.sock = rs;
    start_thread(&sink, ns_udp_sink_main, &k);
    t0 = now_s();
    do {
        while (sent - acked < UDP_WINDOW) {
            if (udp_socket_sendto(s, &to, buf, DGRAM_SIZE) != DGRAM_SIZE)
                fail("udp_socket_sendto", 0);
            sent++;
        }
        if (udp_socket_recvfrom(s, NULL, &credit, sizeof(credit)) ==
            (nsapi_size_or_error_t)sizeof(credit))
            acked = credit > acked ? credit : acked;
        else
            acked = sent;
    } while (now_s() - t0 < run_seconds);
    for (int i = 0; i < 3; i++)
        udp_socket_sendto(s, &to, buf, 1);
    pthread_join(sink, NULL);
    socket_delete(s);
    socket_delete(rs);
    return (struct udp_result){(double)k.received / (k.last - t0), sent, k.received};
}

/* ---- runs, medians, report ------------------------------------------------------ */

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double s[MAX_RUNS];

    memcpy(s, v, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof(double), compare_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void print_runs(const char *label, const double *v, int n)
{
    printf("  %-6s", label);
    for (int i = 0; i < n; i++)
        printf(" %.0f", v[i]);
    printf("\n");
}

/* One line per benchmark; returns whether the target was met. */
static bool report(const char *name, const char *unit, const double *raw, const double *ns,
                   double target)
{
    double r = median(raw, runs), n = median(ns, runs);
    /* Two decimals, cut rather than rounded, so a printed ratio never looks met when it
     * is not (0.797 prints 0.79, not 0.80). */
    double ratio = r > 0 ? (double)(long)(n / r * 100) / 100 : 0;
    bool met = ratio >= target;

    printf("%-13s raw %.0f %s  nsemu %.0f %s  ratio %.2f (target >= %.2f)%s\n", name, r, unit, n,
           unit, ratio, target, met ? "" : "  MISSED");
    print_runs("raw:", raw, runs);
    print_runs("nsemu:", ns, runs);
    return met;
}

/* Alternates the order each run so neither side always goes first. */
static void measure(double (*raw_fn)(void), double (*ns_fn)(void), double *raw, double *ns)
{
    for (int i = 0; i < runs; i++) {
        if (i % 2 == 0) {
            raw[i] = raw_fn();
            ns[i] = ns_fn();
        } else {
            ns[i] = ns_fn();
            raw[i] = raw_fn();
        }
    }
}

static uint64_t udp_lost_raw, udp_lost_ns; /* over the runs of one placement */

static double raw_udp_rate(void)
{
    struct udp_result r = raw_udp();

    udp_lost_raw += r.sent - r.received;
    return r.rate;
}

static double ns_udp_rate(void)
{
    struct udp_result r = ns_udp();

    udp_lost_ns += r.sent - r.received;
    return r.rate;
}

/* CPU time of the whole machine (busy, all CPUs) and of this process, in seconds, to
 * tell how much other work ran beside the bench. */
struct cpu_times {
    double machine_busy, self;
};

static struct cpu_times cpu_times_now(void)
{
    struct cpu_times t = {0, 0};
    unsigned long long v[8] = {0};
    struct timespec ts;
    FILE *f = fopen("/proc/stat", "r");
    double tick = (double)sysconf(_SC_CLK_TCK);

    if (f != NULL) {
        /* user nice system idle iowait irq softirq steal */
        if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]) == 8)
            t.machine_busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / tick;
        fclose(f);
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    t.self = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    return t;
}

/* Says how busy the machine was with other work while the bench ran: figures taken
 * beside a build or another test run are not worth comparing. */
static void report_other_load(struct cpu_times before, double elapsed)
{
    struct cpu_times after = cpu_times_now();
    double others = (after.machine_busy - before.machine_busy) - (after.self - before.self);
    double share = elapsed > 0 ? others / elapsed : 0;

    if (share < 0)
        share = 0;
    printf("bench_loopback: other work on the machine used %.2f CPUs on average%s\n", share,
           share > 0.1 ? " -- WARNING: the figures above are skewed; run again on an idle "
                         "machine"
                       : "");
}

static bool wanted(const char *name)
{
    return only == NULL || strstr(only, name) != NULL;
}

/* Where the client (main) thread and the server thread run. */
struct placement {
    const char *name;
    const char *what;
    int client_cpu, server_cpu; /* -1: anywhere */
    double seconds;
};

/* Runs every wanted benchmark in placement p; returns how many targets it missed. */
static int run_placement(const struct placement *p, const cpu_set_t *all)
{
    double raw[MAX_RUNS], ns[MAX_RUNS];
    cpu_set_t set;
    int missed = 0;

    printf("-- %s: %s; median of %d runs of %.2f s, raw and nsemu alternating\n", p->name, p->what,
           runs, p->seconds);
    run_seconds = p->seconds;
    server_cpu = p->server_cpu;
    CPU_ZERO(&set);
    if (p->client_cpu >= 0)
        CPU_SET(p->client_cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), p->client_cpu >= 0 ? &set : all);
    udp_lost_raw = udp_lost_ns = 0;
    if (wanted("tcp_pingpong")) {
        measure(raw_pingpong, ns_pingpong, raw, ns);
        missed += !report("tcp_pingpong", "rt/s", raw, ns, 0.80);
    }
    if (wanted("tcp_bulk")) {
        measure(raw_bulk, ns_bulk, raw, ns);
        missed += !report("tcp_bulk", "MB/s", raw, ns, 0.90);
    }
    if (wanted("udp_512")) {
        measure(raw_udp_rate, ns_udp_rate, raw, ns);
        missed += !report("udp_512", "dgram/s", raw, ns, 0.80);
        printf("  udp datagrams lost over all runs: raw %llu, nsemu %llu\n",
               (unsigned long long)udp_lost_raw, (unsigned long long)udp_lost_ns);
    }
    pthread_setaffinity_np(pthread_self(), sizeof(*all), all);
    return missed;
}

/* The n-th CPU this process may run on, or -1. */
static int allowed_cpu(const cpu_set_t *all, int n)
{
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, all) && n-- == 0)
            return cpu;
    return -1;
}

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [-t SECONDS_PER_RUN] [-r RUNS (1-%d)] [-o ONLY] [-p PLACEMENTS]\n"
            "  ONLY: tcp_pingpong,tcp_bulk,udp_512; PLACEMENTS: split,shared,free\n",
            argv0, MAX_RUNS);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *placements = "split,shared";
    double seconds = 1.0, t0 = now_s();
    struct cpu_times load0 = cpu_times_now();
    struct utsname u;
    cpu_set_t all;
    int missed = 0, opt, cpu0, cpu1;

    while ((opt = getopt(argc, argv, "t:r:o:p:")) != -1) {
        switch (opt) {
        case 't': seconds = atof(optarg); break;
        case 'r': runs = atoi(optarg); break;
        case 'o': only = optarg; break;
        case 'p': placements = optarg; break;
        default: usage(argv[0]);
        }
    }
    if (optind != argc || seconds <= 0 || runs < 1 || runs > MAX_RUNS)
        usage(argv[0]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    sched_getaffinity(0, sizeof(all), &all);
    cpu0 = allowed_cpu(&all, 0);
    cpu1 = allowed_cpu(&all, 1);
    uname(&u);
    printf("bench_loopback: %s %s, %ld CPUs online, %d usable\n", u.sysname, u.release,
           sysconf(_SC_NPROCESSORS_ONLN), CPU_COUNT(&all));

    /* Started before any pinning, so nsemu's stack thread may run on any CPU. */
    ni = network_interface_get_default_instance();
    check_posix(ni != NULL, "network_interface_get_default_instance");
    check_nsapi(network_interface_connect(ni), "network_interface_connect");

    if (strstr(placements, "split") != NULL) {
        char what[96];

        snprintf(what, sizeof(what), "client on CPU %d, server on CPU %d", cpu0, cpu1);
        if (cpu1 < 0)
            printf("-- split: skipped, only one CPU is usable\n");
        else
            missed += run_placement(&(struct placement){"split", what, cpu0, cpu1, seconds}, &all);
    }
    if (strstr(placements, "shared") != NULL) {
        char what[96];

        snprintf(what, sizeof(what), "client and server both on CPU %d", cpu0);
        missed += run_placement(&(struct placement){"shared", what, cpu0, cpu0, seconds / 2}, &all);
    }
    if (strstr(placements, "free") != NULL)
        missed +=
            run_placement(&(struct placement){"free", "threads unpinned", -1, -1, seconds}, &all);

    report_other_load(load0, now_s() - t0);
    printf("bench_loopback: %d target(s) missed; %.1f s in all\n", missed, now_s() - t0);
    network_interface_disconnect(ni);
    return 0;
}
