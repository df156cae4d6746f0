/*
 * tap_support.c: see tap_support.h.
 */
#include "tap_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <netsocket/netsocket.h>

const char *tap_ns(const char *suffix)
{
    static _Thread_local char name[64];

    snprintf(name, sizeof(name), "nsemu-%ld-%s", (long)getpid(), suffix);
    return name;
}

struct make_socket {
    char path[128];
    int domain, type, fd, err;
};

/* On a thread of its own, so the caller's thread never leaves its namespace. */
static void *make_socket_inside(void *arg)
{
    struct make_socket *m = arg;
    int nsfd = open(m->path, O_RDONLY | O_CLOEXEC);

    if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
        m->err = 1;
    } else {
        m->fd = socket(m->domain, m->type | SOCK_CLOEXEC, 0);
        m->err = m->fd < 0;
    }
    if (nsfd >= 0)
        close(nsfd);
    return NULL;
}

int tap_socket_in(const char *name, int domain, int type)
{
    struct make_socket m = {.domain = domain, .type = type, .fd = -1};
    pthread_t t;

    snprintf(m.path, sizeof(m.path), "/run/netns/%s", name);
    assert_int_equal(pthread_create(&t, NULL, make_socket_inside, &m), 0);
    pthread_join(t, NULL);
    if (m.err)
        fail_msg("cannot make a socket in namespace %s", name);
    return m.fd;
}

static void bind_to(int fd, const char *ip, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int one = 1;

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    inet_pton(AF_INET, ip, &a.sin_addr);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
        fail_msg("cannot bind %s:%d in the namespace", ip, port);
}

static void *echo_connection(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[65536];
    ssize_t n;

    while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = send(fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);

            if (w <= 0)
                goto out;
            off += w;
        }
    }
out:
    close(fd);
    return NULL;
}

static void *tcp_echo_loop(void *arg)
{
    int lfd = (int)(intptr_t)arg;

    for (;;) {
        int c = accept(lfd, NULL, NULL);
        pthread_t t;

        if (c < 0)
            continue;
        if (pthread_create(&t, NULL, echo_connection, (void *)(intptr_t)c) == 0)
            pthread_detach(t);
        else
            close(c);
    }
    return NULL;
}

static void *udp_echo_loop(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[65536];

    for (;;) {
        struct sockaddr_storage from;
        socklen_t len = sizeof(from);
        ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);

        if (n >= 0)
            sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
    }
    return NULL;
}

void tap_tcp_echo_in(const char *name, const char *ip, int port)
{
    int fd = tap_socket_in(name, AF_INET, SOCK_STREAM);
    pthread_t t;

    bind_to(fd, ip, port);
    assert_int_equal(listen(fd, 16), 0);
    assert_int_equal(pthread_create(&t, NULL, tcp_echo_loop, (void *)(intptr_t)fd), 0);
    pthread_detach(t);
}

void tap_udp_echo_in(const char *name, const char *ip, int port)
{
    int fd = tap_socket_in(name, AF_INET, SOCK_DGRAM);
    pthread_t t;

    bind_to(fd, ip, port);
    assert_int_equal(pthread_create(&t, NULL, udp_echo_loop, (void *)(intptr_t)fd), 0);
    pthread_detach(t);
}

int tap_sh(char *out, size_t out_len, const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    size_t n = 0;
    FILE *p;
    int status;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    p = popen(cmd, "r");
    assert_non_null(p);
    if (out != NULL && out_len > 0) {
        n = fread(out, 1, out_len - 1, p);
        out[n] = '\0';
    } else {
        char sink[4096];

        while (fread(sink, 1, sizeof(sink), p) > 0)
            ;
    }
    status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static atomic_int statuses[16];
static atomic_int nstatuses;

void tap_status_record(void *ctx, nsapi_event_t ev, intptr_t arg)
{
    int n = atomic_fetch_add(&nstatuses, 1);

    (void)ctx;
    if (ev == NSAPI_EVENT_CONNECTION_STATUS_CHANGE && n < 16)
        statuses[n] = (int)arg;
}

int tap_status_count(void)
{
    return atomic_load(&nstatuses);
}

int tap_status_at(int i)
{
    return i >= 0 && i < 16 ? atomic_load(&statuses[i]) : -1;
}

int tap_log_count(const char *path, const char *what)
{
    static char log[1 << 17];
    int n = 0;

    tap_sh(log, sizeof(log), "cat '%s'", path);
    for (char *p = log; (p = strstr(p, what)) != NULL; p++)
        n++;
    return n;
}

void tap_static_up(void)
{
    network_interface_t *ni = network_interface_get_default_instance();

    assert_non_null(ni);
    assert_int_equal(network_interface_set_network(ni, "10.0.2.15", "255.255.255.0", "10.0.2.2"),
                     NSAPI_ERROR_OK);
    assert_int_equal(network_interface_connect(ni), NSAPI_ERROR_OK);
}
