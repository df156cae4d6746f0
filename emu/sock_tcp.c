/*
 * sock_tcp.c: TCP sockets: connect (with tcp.connect faults), send and recv (with
 * chunking, reset-after-bytes and, through shaper.c, latency and rate), listen, accept.
 */
#include "sock_internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common.h"
#include "device.h"
#include "eventlog.h"
#include "faults.h"
#include "knobs.h"
#include "netif.h"
#include "shaper.h"

/* Settles a pending nonblocking connect without waiting. With s->lock held. Returns 0
 * when connected or still pending, else the connect's error (and the socket must be
 * made again before the next attempt). */
static int tcp_settle_connect(struct nsemu_socket *s)
{
    struct pollfd p = {.fd = s->fd, .events = POLLOUT};
    int err = 0;
    socklen_t len = sizeof(err);

    if (s->tcp != TCP_CONNECTING || s->fake_connect || poll(&p, 1, 0) <= 0)
        return 0;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err == 0) {
        s->tcp = TCP_CONNECTED;
        counter_add(COUNTER_TCP_CONNECTS, 1);
        return 0;
    }
    s->tcp = TCP_IDLE;
    s->renew = true;
    return -err;
}

/* Starts a connect; 0 connected, -EINPROGRESS pending, else the error. Lock held. */
static int tcp_start_connect(struct nsemu_socket *s, int fd, const struct sockaddr *addr,
                             socklen_t len)
{
    int r;

    if (!netif_is_up(s->ni))
        return -ENETDOWN;
    switch (faults_tcp_connect(s, addr)) {
    case 1: return -ECONNREFUSED; /* tcp.connect = refuse: nothing reaches the peer */
    case 2:
        s->tcp = TCP_CONNECTING; /* tcp.connect = timeout: a SYN nobody answers */
        s->fake_connect = true;
        return -EINPROGRESS;
    }
    r = bind_source_for(s, fd, addr);
    if (r != 0)
        return r;
    s->fresh = false;
    if (connect(fd, addr, len) == 0) {
        s->tcp = TCP_CONNECTED;
        counter_add(COUNTER_TCP_CONNECTS, 1);
        return 0;
    }
    if (errno == EINPROGRESS || errno == EAGAIN) {
        s->tcp = TCP_CONNECTING;
        return -EINPROGRESS;
    }
    r = -errno;
    s->renew = true;
    return r;
}

/* The blocking half of connect: waits for the pending connect to settle. */
static int tcp_wait_connect(struct nsemu_socket *s, int fd, int timeout_ms)
{
    struct deadline dl;
    int r;

    deadline_start(&dl,
                   timeout_ms >= 0 ? timeout_ms : (int)knob_int(KNOB_DEVICE_CONNECT_TIMEOUT_MS));
    for (;;) {
        r = sock_wait(s, s->fake_connect ? -1 : fd, POLLOUT, &dl);
        pthread_mutex_lock(&s->lock);
        if (r == -EAGAIN) {
            /* No answer in time: abandon this attempt; the next one starts afresh. */
            s->tcp = TCP_IDLE;
            s->renew = !s->fake_connect;
            s->fake_connect = false;
            r = -ETIMEDOUT;
        } else if (r == 0) {
            r = tcp_settle_connect(s);
            if (r == 0 && s->tcp == TCP_CONNECTING) {
                pthread_mutex_unlock(&s->lock);
                continue;
            }
        }
        pthread_mutex_unlock(&s->lock);
        return r;
    }
}

int sock_connect(struct nsemu_socket *s, const struct sockaddr *addr, socklen_t len)
{
    int fd, timeout, r;

    r = sock_enter_family(s, addr->sa_family, &fd, &timeout);
    if (r != 0)
        return r;
    pthread_mutex_lock(&s->lock);
    r = tcp_settle_connect(s);
    if (r == 0) {
        switch (s->tcp) {
        case TCP_LISTENING: r = -EINVAL; break;
        case TCP_CONNECTED: r = -EISCONN; break;
        case TCP_CONNECTING: r = -EALREADY; break;
        case TCP_IDLE: r = tcp_start_connect(s, fd, addr, len); break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if ((r == -EINPROGRESS || r == -EALREADY) && timeout != 0) {
        /* Blocking: a connect that completes during this call is a success. */
        r = tcp_wait_connect(s, fd, timeout);
    }
    if (r == -EINPROGRESS || r == -EALREADY)
        sigio_rearm(s, UV_WRITABLE);
    sock_leave(s);
    return r;
}

/* The TCP state for a data call, settling a pending connect first. */
static enum tcp_state tcp_state_now(struct nsemu_socket *s)
{
    enum tcp_state st;

    pthread_mutex_lock(&s->lock);
    tcp_settle_connect(s);
    st = s->tcp;
    pthread_mutex_unlock(&s->lock);
    return st;
}

/* True while a connect that tcp.connect = timeout answers with silence is pending. */
static bool tcp_silent_connect(struct nsemu_socket *s)
{
    bool silent;

    pthread_mutex_lock(&s->lock);
    silent = s->tcp == TCP_CONNECTING && s->fake_connect;
    pthread_mutex_unlock(&s->lock);
    return silent;
}

/* A data call on such a connect: nothing can move, so it waits out its timeout
 * (-EAGAIN), as it would while a real SYN goes unanswered; or the socket closes. */
static long tcp_silent_wait(struct nsemu_socket *s, int timeout)
{
    struct deadline dl;
    long r = 0;

    deadline_start(&dl, timeout);
    while (r == 0)
        r = timeout == 0 ? -EAGAIN : sock_wait(s, -1, POLLOUT, &dl);
    return r;
}

/* Counts n bytes against tcp.reset_after_bytes; kills the connection when they reach
 * it. */
static void tcp_count(struct nsemu_socket *s, size_t n)
{
    long budget = knob_int(KNOB_TCP_RESET_AFTER_BYTES);
    long long total = atomic_fetch_add(&s->tcp_bytes, (long long)n) + (long long)n;

    if (budget > 0 && total >= budget)
        reset_after_bytes(s);
}

long sock_send(struct nsemu_socket *s, const void *data, size_t size)
{
    const char *p = data;
    size_t sent = 0;
    struct deadline dl;
    int fd, timeout;
    long r = sock_enter(s, &fd, &timeout);
    enum tcp_state st;

    if (r != 0)
        return r;
    st = tcp_state_now(s);
    if (st != TCP_CONNECTED && st != TCP_CONNECTING) {
        sock_leave(s);
        return -ENOTCONN;
    }
    if (st == TCP_CONNECTING && tcp_silent_connect(s)) {
        r = tcp_silent_wait(s, timeout);
        sock_leave(s);
        return r;
    }
    if (size > 0 && shaper_active(s)) {
        size_t allow = faults_tcp_allow(s, true, size);

        if (allow == 0)
            reset_after_bytes(s);
        r = allow == 0 ? -ECONNRESET : shaper_send(s, data, allow, timeout);
        if (r != SHAPER_LEFT) {
            if (r > 0) {
                tcp_count(s, (size_t)r);
                counter_add(COUNTER_BYTES_SENT, (uint64_t)r);
            }
            if (r == -EAGAIN)
                sigio_rearm(s, UV_WRITABLE); /* the shaper's tick tells when there is room */
            sock_leave(s);
            return r;
        }
        r = 0;
    }
    deadline_start(&dl, timeout);
    while (sent < size) {
        size_t allow = faults_tcp_allow(s, true, size - sent);
        ssize_t n = -1;

        r = atomic_load(&s->dead);
        if (r != 0)
            break;
        if (allow == 0) { /* the reset budget is spent */
            reset_after_bytes(s);
            continue;
        }
        errno = EAGAIN; /* while the cable is out nothing moves */
        if (!device_link_down())
            n = send(fd, p + sent, allow, MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
            tcp_count(s, (size_t)n);
            /* Nonblocking: what fits now. tcp.send_chunk: one chunk per call. */
            if (timeout == 0 || knob_int(KNOB_TCP_SEND_CHUNK) > 0)
                break;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN) {
            r = atomic_load(&s->dead) != 0 ? atomic_load(&s->dead) : -errno;
            break;
        }
        r = timeout == 0 ? -EAGAIN : sock_wait(s, fd, POLLOUT, &dl);
        if (r != 0)
            break;
    }
    if (r == -EAGAIN)
        sigio_rearm(s, UV_WRITABLE);
    sock_leave(s);
    counter_add(COUNTER_BYTES_SENT, sent);
    /* Bytes that left count even when a later part of the call failed or timed out. */
    return sent > 0 ? (long)sent : r;
}

long sock_recv(struct nsemu_socket *s, void *data, size_t size)
{
    int fd, timeout;
    long r = sock_enter(s, &fd, &timeout);
    enum tcp_state st;

    if (r != 0)
        return r;
    st = tcp_state_now(s);
    if (st != TCP_CONNECTED && st != TCP_CONNECTING) {
        r = -ENOTCONN;
    } else if (st == TCP_CONNECTING && tcp_silent_connect(s)) {
        r = tcp_silent_wait(s, timeout);
    } else {
        size_t allow = size == 0 ? 0 : faults_tcp_allow(s, false, size);

        if (size > 0 && allow == 0) {
            reset_after_bytes(s);
            r = -ECONNRESET;
        } else {
            r = size > 0 && shaper_active(s) ? shaper_recv(s, data, allow, timeout) : SHAPER_LEFT;
            if (r == SHAPER_LEFT)
                r = recv_wait(s, fd, timeout, data, allow, NULL);
        }
    }
    if (r > 0) {
        counter_add(COUNTER_BYTES_RECEIVED, (uint64_t)r);
        tcp_count(s, (size_t)r);
    }
    sigio_rearm(s, UV_READABLE);
    sock_leave(s);
    return r;
}

int sock_listen(struct nsemu_socket *s, int backlog)
{
    int fd, timeout, r = sock_enter(s, &fd, &timeout);

    if (r != 0)
        return r;
    pthread_mutex_lock(&s->lock);
    tcp_settle_connect(s);
    if (s->tcp == TCP_CONNECTED || s->tcp == TCP_CONNECTING) {
        r = -EISCONN;
    } else if (s->tcp != TCP_LISTENING) {
        if (!s->bound) {
            struct sockaddr_storage any = {.ss_family = (sa_family_t)s->family};

            r = bind_device_address(s, fd, (struct sockaddr *)&any,
                                    s->family == AF_INET ? sizeof(struct sockaddr_in)
                                                         : sizeof(struct sockaddr_in6));
        }
        if (r == 0 && listen(fd, backlog) != 0)
            r = -errno;
        if (r == 0) {
            s->tcp = TCP_LISTENING;
            s->fresh = false;
        }
    }
    pthread_mutex_unlock(&s->lock);
    sock_leave(s);
    return r;
}

/* Gives conn the accepted kernel socket nfd; conn was closed. */
static int sock_adopt(struct nsemu_socket *conn, int nfd, struct network_interface *ni)
{
    struct sockaddr_storage local;
    socklen_t len = sizeof(local);
    int wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

    pthread_mutex_lock(&conn->lock);
    if (wakefd < 0 || atomic_load(&conn->state) != SOCK_CLOSED) {
        pthread_mutex_unlock(&conn->lock);
        if (wakefd >= 0)
            close(wakefd);
        return wakefd < 0 ? -ENOMEM : -EINVAL;
    }
    getsockname(nfd, (struct sockaddr *)&local, &len);
    memset(conn->opt_set, 0, sizeof(conn->opt_set));
    attach_kernel_socket(conn, nfd, wakefd, local.ss_family, TCP_CONNECTED, ni);
    return 0;
}

int sock_accept(struct nsemu_socket *s, struct nsemu_socket *conn, struct sockaddr_storage *from)
{
    struct network_interface *ni;
    struct deadline dl;
    int fd, timeout, nfd = -1, r;
    /* An open connection object is closed, as Mbed does, but only once a connection is
     * in hand; its pool socket then serves the new connection. */
    bool reuse = sock_interface(conn) != NULL;

    r = sock_enter(s, &fd, &timeout);
    if (r != 0)
        return r;
    pthread_mutex_lock(&s->lock);
    ni = s->ni;
    r = s->tcp == TCP_LISTENING ? 0 : -EINVAL;
    pthread_mutex_unlock(&s->lock);
    if (r == 0 && !reuse && !device_pool_take())
        r = -EMFILE;
    deadline_start(&dl, timeout);
    while (r == 0) {
        socklen_t len = sizeof(*from);

        nfd = accept4(fd, (struct sockaddr *)from, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (nfd >= 0)
            break;
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno != EAGAIN)
            r = -errno;
        else
            r = timeout == 0 ? -EAGAIN : sock_wait(s, fd, POLLIN, &dl);
        if (r != 0 && !reuse)
            device_pool_give();
    }
    sigio_rearm(s, UV_READABLE);
    if (r == 0)
        netif_ref(ni); /* keeps ni alive between leaving s and adopting */
    sock_leave(s);
    if (r != 0)
        return r;
    if (reuse) {
        sock_close(conn); /* gives its pool socket back... */
        if (!device_pool_take()) { /* ...which another thread may have taken since */
            close(nfd);
            netif_unref(ni);
            return -EMFILE;
        }
    }
    r = sock_adopt(conn, nfd, ni);
    netif_unref(ni);
    if (r != 0) {
        close(nfd);
        device_pool_give();
        return r;
    }
    counter_add(COUNTER_TCP_ACCEPTS, 1);
    return 0;
}
