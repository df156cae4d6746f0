/*
 * gateway_support.c: helpers of the built-in gateway's tests (see gateway_support.h).
 * The servers are plain POSIX sockets on 127.0.0.1 only; their threads never assert,
 * they count.
 */
#include "gateway_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define MAX_CONNECTIONS 16
#define TICK_MS 50 /* how often server threads look at the stop flag */

struct lan_server {
    enum lan_server_kind kind;
    int fd;
    atomic_bool stop;
    atomic_uint done;
    pthread_t thread;
    pthread_t conns[MAX_CONNECTIONS];
    int nconns;
};

struct connection {
    struct lan_server *s;
    int fd;
};

static bool readable(struct lan_server *s, int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};

    while (!atomic_load(&s->stop)) {
        if (poll(&p, 1, TICK_MS) > 0)
            return true;
    }
    return false;
}

static bool send_all(int fd, const uint8_t *data, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, data, n, MSG_NOSIGNAL);

        if (w <= 0)
            return false;
        data += w;
        n -= (size_t)w;
    }
    return true;
}

static void *serve_connection(void *arg)
{
    struct connection *c = arg;
    uint8_t buf[65536];

    if (c->s->kind == LAN_TCP_GREETER) {
        send_all(c->fd, (const uint8_t *)GREETING, strlen(GREETING));
        atomic_fetch_add(&c->s->done, 1);
    } else if (c->s->kind == LAN_TCP_SOURCE) {
        size_t sent = 0;

        while (sent < SOURCE_BYTES) {
            for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = source_byte(sent + i);
            if (!send_all(c->fd, buf, sizeof(buf)))
                break;
            sent += sizeof(buf);
        }
        if (sent == SOURCE_BYTES)
            atomic_fetch_add(&c->s->done, 1);
    } else {
        while (readable(c->s, c->fd)) {
            ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

            if (n <= 0) {
                if (n == 0)
                    atomic_fetch_add(&c->s->done, 1);
                break;
            }
            if (!send_all(c->fd, buf, (size_t)n))
                break;
        }
    }
    close(c->fd);
    free(c);
    return NULL;
}

static void *serve_tcp(void *arg)
{
    struct lan_server *s = arg;

    while (readable(s, s->fd) && s->nconns < MAX_CONNECTIONS) {
        struct connection *c = malloc(sizeof(*c));

        c->s = s;
        c->fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
        if (c->fd < 0 || pthread_create(&s->conns[s->nconns], NULL, serve_connection, c) != 0) {
            if (c->fd >= 0)
                close(c->fd);
            free(c);
            continue;
        }
        s->nconns++;
    }
    return NULL;
}

static void *serve_udp(void *arg)
{
    struct lan_server *s = arg;
    uint8_t buf[65536];

    while (readable(s, s->fd)) {
        struct sockaddr_storage from;
        socklen_t flen = sizeof(from);
        ssize_t n = recvfrom(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);

        if (n >= 0)
            sendto(s->fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
    }
    return NULL;
}

struct lan_server *lan_server_start(enum lan_server_kind kind, uint16_t port)
{
    struct lan_server *s = calloc(1, sizeof(*s));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    int one = 1, type = kind == LAN_UDP_ECHO ? SOCK_DGRAM : SOCK_STREAM;

    assert_non_null(s);
    s->kind = kind;
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    s->fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    assert_true(s->fd >= 0);
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    if (type == SOCK_STREAM)
        assert_int_equal(listen(s->fd, 16), 0);
    assert_int_equal(pthread_create(&s->thread, NULL,
                                    type == SOCK_STREAM ? serve_tcp : serve_udp, s),
                     0);
    return s;
}

unsigned lan_server_done(struct lan_server *s)
{
    return atomic_load(&s->done);
}

void lan_server_stop(struct lan_server *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    for (int i = 0; i < s->nconns; i++)
        pthread_join(s->conns[i], NULL);
    close(s->fd);
    free(s);
}

network_interface_t *lan_interface(void)
{
    network_interface_t *ni = network_interface_get_default_instance();
    nsapi_error_t r;

    assert_non_null(ni);
    assert_int_equal(network_interface_set_network(ni, "10.0.2.15", "255.255.255.0", "10.0.2.2"),
                     NSAPI_ERROR_OK);
    r = network_interface_connect(ni);
    assert_true(r == NSAPI_ERROR_OK || r == NSAPI_ERROR_IS_CONNECTED);
    return ni;
}

int eventlog_count(const char *needle)
{
    const char *path = getenv("NSEMU_LOG");
    char line[1024];
    int n = 0;
    FILE *f;

    assert_non_null(path);
    f = fopen(path, "re");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool eventlog_reaches(const char *needle, int n, int timeout_ms)
{
    uint64_t end = now_ms() + (uint64_t)timeout_ms;

    for (;;) {
        if (eventlog_count(needle) >= n)
            return true;
        if (now_ms() >= end)
            return false;
        usleep(20000);
    }
}

bool eventlog_has_within(const char *needle, int timeout_ms)
{
    return eventlog_reaches(needle, 1, timeout_ms);
}

bool command_output_has(const char *cmd, const char *needle)
{
    char line[1024];
    bool found = false;
    FILE *p = popen(cmd, "r");

    assert_non_null(p);
    while (fgets(line, sizeof(line), p) != NULL)
        found = found || strstr(line, needle) != NULL;
    pclose(p);
    return found;
}

uint8_t source_byte(size_t i)
{
    uint64_t x = (uint64_t)i * 0x9e3779b97f4a7c15u;

    return (uint8_t)(x >> 56);
}

void fill_pattern(uint8_t *buf, size_t n, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;

    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
}
