/*
 * api_support.c: helpers of the api suite (see api_support.h). The echo servers run on
 * their own pthreads with plain POSIX sockets; they never call cmocka.
 */
#include "api_support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* ---- events --------------------------------------------------------------------- */

void event_init(struct event *e)
{
    pthread_condattr_t attr;

    pthread_mutex_init(&e->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&e->cond, &attr);
    pthread_condattr_destroy(&attr);
    e->count = 0;
}

void event_destroy(struct event *e)
{
    pthread_mutex_destroy(&e->lock);
    pthread_cond_destroy(&e->cond);
}

void event_signal(struct event *e)
{
    pthread_mutex_lock(&e->lock);
    e->count++;
    pthread_cond_broadcast(&e->cond);
    pthread_mutex_unlock(&e->lock);
}

void event_broadcast(struct event *e)
{
    pthread_cond_broadcast(&e->cond);
}

unsigned event_count(struct event *e)
{
    unsigned n;

    pthread_mutex_lock(&e->lock);
    n = e->count;
    pthread_mutex_unlock(&e->lock);
    return n;
}

static void deadline_after(struct timespec *ts, int timeout_ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

bool event_wait_for(struct event *e, bool (*pred)(void *arg), void *arg, int timeout_ms)
{
    struct timespec until;
    bool ok;

    deadline_after(&until, timeout_ms);
    pthread_mutex_lock(&e->lock);
    while (!(ok = pred(arg)))
        if (pthread_cond_timedwait(&e->cond, &e->lock, &until) == ETIMEDOUT) {
            ok = pred(arg);
            break;
        }
    pthread_mutex_unlock(&e->lock);
    return ok;
}

struct count_at_least {
    struct event *e;
    unsigned n;
};

static bool count_reached(void *arg)
{
    struct count_at_least *c = arg;

    return c->e->count >= c->n;
}

bool event_wait_count(struct event *e, unsigned n, int timeout_ms)
{
    struct count_at_least c = {e, n};

    return event_wait_for(e, count_reached, &c, timeout_ms);
}

void join_within(pthread_t t, int timeout_ms)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    assert_int_equal(pthread_timedjoin_np(t, NULL, &until), 0);
}

/* The state letter of /proc/self/task/TID/stat ('R', 'S', ...), or 0. */
static char thread_state(pid_t tid)
{
    char path[64], line[512], *close;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
    f = fopen(path, "re");
    if (f == NULL)
        return 0;
    close = fgets(line, sizeof(line), f) != NULL ? strrchr(line, ')') : NULL;
    fclose(f);
    return close != NULL && close[1] == ' ' ? close[2] : 0;
}

bool thread_blocks_within(pid_t tid, int timeout_ms)
{
    uint64_t end = test_now_ms() + (uint64_t)timeout_ms;
    struct timespec pause = {0, 1000000L};

    /* No event says "the thread is in poll() now": look at it, at most every ms. */
    while (thread_state(tid) != 'S') {
        if (test_now_ms() >= end)
            return false;
        nanosleep(&pause, NULL);
    }
    return true;
}

/* ---- data ----------------------------------------------------------------------- */

void fill_pattern(uint8_t *buf, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1u;

    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
}

uint32_t checksum(uint32_t h, const void *data, size_t n)
{
    const uint8_t *p = data;

    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

/* ---- plain POSIX peers ---------------------------------------------------------- */

static socklen_t sockaddr_of(const char *ip, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (strchr(ip, ':') != NULL) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
        return sizeof(*s6);
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
    return sizeof(*s4);
}

static void text_of(const struct sockaddr_storage *ss, char *ip, uint16_t *port)
{
    const void *bytes = ss->ss_family == AF_INET
                            ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
                            : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

    if (ip != NULL && inet_ntop(ss->ss_family, bytes, ip, NSAPI_IP_SIZE) == NULL)
        ip[0] = '\0';
    if (port != NULL)
        *port = ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
                                               : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

int posix_connect_to(const char *ip, uint16_t port)
{
    struct sockaddr_storage ss;
    socklen_t len = sockaddr_of(ip, port, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
    return fd;
}

int posix_accept_within(int lfd, int timeout_ms, char *peer)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd;

    if (!posix_readable_within(lfd, timeout_ms))
        return -1;
    fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
    if (fd >= 0 && peer != NULL)
        text_of(&ss, peer, NULL);
    return fd;
}

bool posix_readable_within(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;

    do
        r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    return r == 1;
}

ssize_t posix_recv_within(int fd, void *buf, size_t n, int timeout_ms)
{
    if (!posix_readable_within(fd, timeout_ms))
        return -1;
    return recv(fd, buf, n, MSG_DONTWAIT);
}

void posix_send_all(int fd, const void *data, size_t n)
{
    const uint8_t *p = data;

    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

        if (k < 0 && errno == EINTR)
            continue;
        assert_true(k > 0);
        p += k;
        n -= (size_t)k;
    }
}

void posix_reset(int fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};

    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
    close(fd);
}

uint16_t posix_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    uint16_t port;

    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    text_of(&ss, NULL, &port);
    return port;
}

void posix_sendto(int fd, const char *ip, uint16_t port, const void *data, size_t n)
{
    struct sockaddr_storage ss;
    socklen_t len = sockaddr_of(ip, port, &ss);

    assert_int_equal(sendto(fd, data, n, 0, (struct sockaddr *)&ss, len), (ssize_t)n);
}

ssize_t posix_recvfrom_within(int fd, void *buf, size_t n, int timeout_ms, char *from,
                              uint16_t *from_port)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    ssize_t r;

    if (!posix_readable_within(fd, timeout_ms))
        return -1;
    r = recvfrom(fd, buf, n, MSG_DONTWAIT, (struct sockaddr *)&ss, &len);
    if (r >= 0)
        text_of(&ss, from, from_port);
    return r;
}

/* Connections waiting in the accept queue of listener lfd (Linux: TCP_INFO of a
 * listening socket reports it as tcpi_unacked). */
static unsigned accept_queue_length(int lfd)
{
    struct tcp_info info;
    socklen_t len = sizeof(info);

    memset(&info, 0, sizeof(info));
    assert_int_equal(getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &info, &len), 0);
    return info.tcpi_unacked;
}

int full_backlog_listener(const char *ip, uint16_t *port, int fillers[2])
{
    uint64_t end;
    struct timespec pause = {0, 1000000L};
    int lfd;

    *port = 0;
    lfd = posix_tcp_listener(ip, port);
    /* Linux queues backlog + 1 connections; with backlog 1, two fill the queue. */
    assert_int_equal(listen(lfd, 1), 0);
    fillers[0] = posix_connect_to(ip, *port);
    fillers[1] = posix_connect_to(ip, *port);
    /* The last ACK of each handshake reaches the listener just after connect returns. */
    end = test_now_ms() + WAIT_MS;
    while (accept_queue_length(lfd) < 2) {
        assert_true(test_now_ms() < end);
        nanosleep(&pause, NULL);
    }
    return lfd;
}

/* ---- echo servers --------------------------------------------------------------- */

struct echo_server {
    int fd;
    int type;
    int stop[2]; /* a pipe: a byte in it ends the thread */
    uint16_t port;
    pthread_t thread;
    pthread_mutex_t lock;
    unsigned done;
};

/* Waits until fd is readable (true) or the stop pipe is (false). */
static bool echo_wait(struct echo_server *e, int fd)
{
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = e->stop[0], .events = POLLIN}};

    for (;;) {
        int r = poll(p, 2, -1);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || p[1].revents != 0)
            return false;
        if (p[0].revents != 0)
            return true;
    }
}

static bool echo_send_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static void echo_connection(struct echo_server *e, int cfd)
{
    static _Thread_local uint8_t buf[65536];

    while (echo_wait(e, cfd)) {
        ssize_t n = recv(cfd, buf, sizeof(buf), 0);

        if (n <= 0 || !echo_send_all(cfd, buf, (size_t)n))
            break;
    }
    close(cfd);
    pthread_mutex_lock(&e->lock);
    e->done++;
    pthread_mutex_unlock(&e->lock);
}

static void echo_datagrams(struct echo_server *e)
{
    static _Thread_local uint8_t buf[65536];

    while (echo_wait(e, e->fd)) {
        struct sockaddr_storage from;
        socklen_t len = sizeof(from);
        ssize_t n = recvfrom(e->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);

        if (n >= 0)
            sendto(e->fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
    }
}

static void *echo_main(void *arg)
{
    struct echo_server *e = arg;

    if (e->type == SOCK_DGRAM) {
        echo_datagrams(e);
        return NULL;
    }
    while (echo_wait(e, e->fd)) {
        int cfd = accept4(e->fd, NULL, NULL, SOCK_CLOEXEC);

        if (cfd >= 0)
            echo_connection(e, cfd);
    }
    return NULL;
}

struct echo_server *echo_server_start(const char *ip, int type)
{
    struct echo_server *e = calloc(1, sizeof(*e));

    assert_non_null(e);
    e->type = type;
    e->fd = type == SOCK_DGRAM ? posix_udp_socket(ip, &e->port) : posix_tcp_listener(ip, &e->port);
    assert_int_equal(pipe2(e->stop, O_CLOEXEC), 0);
    pthread_mutex_init(&e->lock, NULL);
    assert_int_equal(pthread_create(&e->thread, NULL, echo_main, e), 0);
    return e;
}

uint16_t echo_server_port(const struct echo_server *e)
{
    return e->port;
}

unsigned echo_server_done(struct echo_server *e)
{
    unsigned n;

    pthread_mutex_lock(&e->lock);
    n = e->done;
    pthread_mutex_unlock(&e->lock);
    return n;
}

void echo_server_stop(struct echo_server *e)
{
    if (e == NULL)
        return;
    assert_int_equal(write(e->stop[1], "x", 1), 1);
    join_within(e->thread, WAIT_MS);
    close(e->fd);
    close(e->stop[0]);
    close(e->stop[1]);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

/* ---- nsemu sides ---------------------------------------------------------------- */

tcp_socket_t *tcp_connected(network_interface_t *ni, const char *ip, uint16_t port)
{
    tcp_socket_t *s = tcp_socket_new();
    socket_address_t to;

    assert_non_null(s);
    assert_int_equal(socket_open(s, ni), NSAPI_ERROR_OK);
    socket_set_timeout(s, WAIT_MS);
    addr_of(&to, ip, port);
    assert_int_equal(tcp_socket_connect(s, &to), NSAPI_ERROR_OK);
    return s;
}

void nsemu_send_all(tcp_socket_t *s, const void *data, size_t n)
{
    const uint8_t *p = data;

    while (n > 0) {
        nsapi_size_or_error_t k = tcp_socket_send(s, p, (nsapi_size_t)n);

        assert_true(k > 0);
        p += k;
        n -= (size_t)k;
    }
}

void nsemu_recv_all(tcp_socket_t *s, void *data, size_t n)
{
    uint8_t *p = data;

    while (n > 0) {
        nsapi_size_or_error_t k = tcp_socket_recv(s, p, (nsapi_size_t)n);

        assert_true(k > 0);
        p += k;
        n -= (size_t)k;
    }
}

void tcp_pair(network_interface_t *ni, tcp_socket_t **s, int *peer)
{
    uint16_t port = 0;
    int lfd = posix_tcp_listener("127.0.0.1", &port);

    *s = tcp_connected(ni, "127.0.0.1", port);
    *peer = posix_accept_within(lfd, WAIT_MS, NULL);
    close(lfd);
    assert_true(*peer >= 0);
}
