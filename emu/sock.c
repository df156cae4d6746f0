/*
 * sock.c: the device's sockets over kernel sockets (DESIGN §2 fast path, §3 binding
 * rules through the link). Calls run on the caller's thread; a call that must wait
 * polls its own fd plus the socket's wake eventfd. The stack thread runs only the sigio
 * poll handles, which it alone creates, arms and closes.
 */
#include "sock.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common.h"
#include "device.h"
#include "knobs.h"
#include "netif.h"

struct sigio {
    uv_poll_t poll;
    struct nsemu_socket *s; /* NULL once detached, while the handle closes */
    int mask;
};

static void rearm_on_loop(void *arg);

struct nsemu_socket *sock_new(enum sock_kind kind)
{
    struct nsemu_socket *s;

    emu_ensure();
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->kind = kind;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->idle, NULL);
    atomic_init(&s->state, SOCK_CLOSED);
    s->fd = -1;
    s->wakefd = -1;
    s->timeout_ms = -1;
    s->rearm_msg.fn = rearm_on_loop;
    s->rearm_msg.arg = s;
    return s;
}

void sock_free(struct nsemu_socket *s)
{
    sock_close(s);
    sock_sigio(s, NULL, NULL);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->idle);
    free(s);
}

static int sock_type(const struct nsemu_socket *s)
{
    return s->kind == SOCK_KIND_UDP ? SOCK_DGRAM : SOCK_STREAM;
}

/* ---- sigio: runs on the stack thread, with s->lock held ---------------------- */

static void sigio_handle_closed(uv_handle_t *h)
{
    free(h->data);
}

static void sigio_fire(uv_poll_t *handle, int status, int events)
{
    struct sigio *p = handle->data;
    struct nsemu_socket *s = p->s;
    void (*cb)(void *);
    void *ctx;

    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    if (s->sigio != p) {
        pthread_mutex_unlock(&s->lock);
        return;
    }
    if (status < 0)
        events = p->mask;
    /* Edge-triggered for the application: a direction fires once, then waits until a
     * call on the socket asks for it again (see sigio_rearm). */
    p->mask &= ~(events & (UV_READABLE | UV_WRITABLE));
    if (p->mask & (UV_READABLE | UV_WRITABLE))
        uv_poll_start(&p->poll, p->mask, sigio_fire);
    else
        uv_poll_stop(&p->poll);
    cb = s->sigio_cb;
    ctx = s->sigio_ctx;
    pthread_mutex_unlock(&s->lock);
    if (cb != NULL)
        cb(ctx);
}

static void sigio_start(struct nsemu_socket *s)
{
    struct sigio *p;

    if (s->sigio != NULL || s->sigio_cb == NULL || atomic_load(&s->state) != SOCK_OPEN)
        return;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return;
    if (uv_poll_init_socket(stack_loop(), &p->poll, s->fd) != 0) {
        free(p);
        return;
    }
    p->poll.data = p;
    p->s = s;
    p->mask = UV_READABLE | UV_WRITABLE | UV_DISCONNECT;
    uv_poll_start(&p->poll, p->mask, sigio_fire);
    s->sigio = p;
    atomic_store(&s->sigio_on, true);
}

static void sigio_stop(struct nsemu_socket *s)
{
    struct sigio *p = s->sigio;

    if (p == NULL)
        return;
    p->s = NULL;
    uv_poll_stop(&p->poll);
    uv_close((uv_handle_t *)&p->poll, sigio_handle_closed);
    s->sigio = NULL;
    atomic_store(&s->sigio_on, false);
}

static void rearm_now(struct nsemu_socket *s, int bits)
{
    struct sigio *p;

    pthread_mutex_lock(&s->lock);
    p = s->sigio;
    if (p != NULL && (p->mask & bits) != bits) {
        p->mask |= bits;
        uv_poll_start(&p->poll, p->mask, sigio_fire);
    }
    pthread_mutex_unlock(&s->lock);
}

static void rearm_on_loop(void *arg)
{
    struct nsemu_socket *s = arg;

    rearm_now(s, atomic_exchange(&s->rearm_bits, 0));
}

/* After a call, asks the sigio poll to report this direction again. Costs one atomic
 * load when the socket has no callback. */
static void sigio_rearm(struct nsemu_socket *s, int bits)
{
    if (!atomic_load_explicit(&s->sigio_on, memory_order_relaxed))
        return;
    if (stack_on_loop_thread())
        rearm_now(s, bits);
    else if (atomic_fetch_or(&s->rearm_bits, bits) == 0)
        stack_post(&s->rearm_msg);
}

struct sigio_set {
    struct nsemu_socket *s;
    void (*cb)(void *);
    void *ctx;
};

static void sigio_set_on_loop(void *arg)
{
    struct sigio_set *a = arg;
    struct nsemu_socket *s = a->s;

    pthread_mutex_lock(&s->lock);
    s->sigio_cb = a->cb;
    s->sigio_ctx = a->ctx;
    if (a->cb != NULL)
        sigio_start(s);
    else
        sigio_stop(s);
    pthread_mutex_unlock(&s->lock);
}

void sock_sigio(struct nsemu_socket *s, void (*cb)(void *), void *ctx)
{
    struct sigio_set a = {s, cb, ctx};

    stack_run_sync(sigio_set_on_loop, &a);
}

static void sigio_restart_on_loop(void *arg)
{
    struct nsemu_socket *s = arg;

    pthread_mutex_lock(&s->lock);
    sigio_stop(s);
    sigio_start(s);
    pthread_mutex_unlock(&s->lock);
}

static void sigio_stop_on_loop(void *arg)
{
    struct nsemu_socket *s = arg;

    pthread_mutex_lock(&s->lock);
    sigio_stop(s);
    pthread_mutex_unlock(&s->lock);
}

/* ---- entering, leaving and waiting ------------------------------------------- */

/* Marks a call inside s, so close waits for it. Gives the fd and the timeout to use:
 * on the stack thread every call is nonblocking. */
static int sock_enter(struct nsemu_socket *s, int *fd, int *timeout_ms)
{
    pthread_mutex_lock(&s->lock);
    if (atomic_load(&s->state) != SOCK_OPEN) {
        pthread_mutex_unlock(&s->lock);
        return -EBADF;
    }
    s->users++;
    *fd = s->fd;
    *timeout_ms = stack_on_loop_thread() ? 0 : s->timeout_ms;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static void sock_leave(struct nsemu_socket *s)
{
    pthread_mutex_lock(&s->lock);
    if (--s->users == 0 && atomic_load(&s->state) == SOCK_CLOSING)
        pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->lock);
}

/* Waits until fd has events or the deadline passes (-EAGAIN) or the socket closes
 * (-EBADF). Returns 0 when the caller should try its system call again. */
static int sock_wait(struct nsemu_socket *s, int fd, short events, const struct deadline *dl)
{
    struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = s->wakefd, .events = POLLIN}};

    for (;;) {
        int left = deadline_left(dl);
        int r;

        if (left == 0)
            return -EAGAIN;
        r = poll(p, 2, left);
        if (atomic_load(&s->state) != SOCK_OPEN)
            return -EBADF;
        if (r > 0 && p[0].revents != 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -errno;
    }
}

/* ---- the kernel socket -------------------------------------------------------- */

static int apply_option(int fd, int opt, int value)
{
    struct linger lg;
    int level = SOL_SOCKET, name, v = value;
    const void *ptr = &v;
    socklen_t len = sizeof(v);

    switch (opt) {
    case NSAPI_REUSEADDR: name = SO_REUSEADDR; v = value != 0; break;
    case NSAPI_KEEPALIVE: name = SO_KEEPALIVE; v = value != 0; break;
    case NSAPI_KEEPIDLE:
    case NSAPI_KEEPINTVL:
        if (value <= 0)
            return -EINVAL;
        level = IPPROTO_TCP;
        name = opt == NSAPI_KEEPIDLE ? TCP_KEEPIDLE : TCP_KEEPINTVL;
        v = (value + 999) / 1000; /* milliseconds to whole seconds, rounded up */
        break;
    case NSAPI_LINGER:
        lg.l_onoff = value >= 0;
        lg.l_linger = value >= 0 ? value : 0;
        name = SO_LINGER;
        ptr = &lg;
        len = sizeof(lg);
        break;
    case NSAPI_SNDBUF:
    case NSAPI_RCVBUF:
        if (value <= 0)
            return -EINVAL;
        name = opt == NSAPI_SNDBUF ? SO_SNDBUF : SO_RCVBUF;
        break;
    default:
        return -ENOPROTOOPT;
    }
    return setsockopt(fd, level, name, ptr, len) == 0 ? 0 : -errno;
}

/* A new kernel socket of s's kind with s's options (and its address, when s was bound
 * explicitly); the fd or -errno. */
static int make_kernel_socket(struct nsemu_socket *s, int family)
{
    int fd = device_link()->socket(family, sock_type(s));
    int one = 1;

    if (fd < 0)
        return fd;
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    /* TCP sockets reuse addresses by default, so a device server restarts on its port
     * although old connections sit in TIME_WAIT (docs/mbed-differences.md). */
    if (s->kind != SOCK_KIND_UDP)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    for (int opt = 0; opt < SOCK_OPT_COUNT; opt++)
        if (s->opt_set[opt])
            apply_option(fd, opt, s->opt_val[opt]);
    return fd;
}

/* Replaces s's kernel socket under the same fd number (dup3), so calls that hold the
 * number keep a valid one. Called with s->lock held and no sigio handle on the fd. */
static int replace_kernel_socket(struct nsemu_socket *s, int family,
                                 const struct sockaddr_storage *local, socklen_t local_len)
{
    int nfd = make_kernel_socket(s, family);

    if (nfd < 0)
        return nfd;
    if (local_len > 0 && bind(nfd, (const struct sockaddr *)local, local_len) != 0) {
        int err = -errno;

        close(nfd);
        return err;
    }
    if (dup3(nfd, s->fd, O_CLOEXEC) < 0) {
        int err = -errno;

        close(nfd);
        return err;
    }
    close(nfd);
    s->family = family;
    s->renew = false;
    s->tcp = TCP_IDLE;
    return 0;
}

struct prepare_args {
    struct nsemu_socket *s;
    int family;
    int result;
};

static bool needs_new_kernel_socket(const struct nsemu_socket *s, int family)
{
    return s->renew || (s->fresh && s->family != family);
}

static void prepare_locked(struct prepare_args *a)
{
    struct nsemu_socket *s = a->s;
    struct sockaddr_storage local = {.ss_family = (sa_family_t)a->family};
    socklen_t len = 0;

    a->result = 0;
    if (atomic_load(&s->state) != SOCK_OPEN) {
        a->result = -EBADF;
        return;
    }
    if (!needs_new_kernel_socket(s, a->family))
        return;
    if (s->bound) {
        /* An explicitly bound socket keeps its address (and so its IP version). */
        len = sizeof(local);
        if (getsockname(s->fd, (struct sockaddr *)&local, &len) != 0)
            len = 0;
        if (len > 0 && local.ss_family != a->family) {
            a->result = -EAFNOSUPPORT;
            return;
        }
    }
    a->result = replace_kernel_socket(s, local.ss_family, &local, len);
}

static void prepare_on_loop(void *arg)
{
    struct prepare_args *a = arg;

    pthread_mutex_lock(&a->s->lock);
    sigio_stop(a->s);
    prepare_locked(a);
    sigio_start(a->s);
    pthread_mutex_unlock(&a->s->lock);
}

/* Before a call that fixes the IP version (bind, connect, sendto): makes the kernel
 * socket again when the last connect failed or the version differs from a fresh
 * socket's. Runs outside sock_enter, since it may need the stack thread. */
static int sock_prepare(struct nsemu_socket *s, int family)
{
    struct prepare_args a = {s, family, 0};
    bool has_sigio;

    if (family != AF_INET && family != AF_INET6)
        return -EAFNOSUPPORT;
    pthread_mutex_lock(&s->lock);
    if (atomic_load(&s->state) != SOCK_OPEN) {
        pthread_mutex_unlock(&s->lock);
        return -EBADF;
    }
    if (!needs_new_kernel_socket(s, family)) {
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    has_sigio = s->sigio != NULL;
    if (!has_sigio)
        prepare_locked(&a);
    pthread_mutex_unlock(&s->lock);
    if (has_sigio)
        stack_run_sync(prepare_on_loop, &a);
    return a.result;
}

/* ---- open, close, bind, options ------------------------------------------------ */

/* Makes s open on kernel socket fd: a fresh one (TCP_IDLE, may still change IP version)
 * or an accepted connection. Called with s->lock held; releases it, then starts the
 * sigio poll when s has a callback. */
static void attach_kernel_socket(struct nsemu_socket *s, int fd, int wakefd, int family,
                                 enum tcp_state tcp, struct network_interface *ni)
{
    bool has_cb;

    s->fd = fd;
    s->wakefd = wakefd;
    s->family = family;
    s->fresh = tcp == TCP_IDLE;
    s->bound = tcp != TCP_IDLE;
    s->renew = false;
    s->tcp = tcp;
    s->users = 0;
    s->ni = ni;
    netif_ref(ni);
    s->ordinal = device_next_ordinal();
    atomic_store(&s->state, SOCK_OPEN);
    has_cb = s->sigio_cb != NULL;
    pthread_mutex_unlock(&s->lock);
    if (has_cb)
        stack_run_sync(sigio_restart_on_loop, s);
}

int sock_open(struct nsemu_socket *s, struct network_interface *ni)
{
    int fd, wakefd;

    pthread_mutex_lock(&s->lock);
    if (atomic_load(&s->state) != SOCK_CLOSED) {
        pthread_mutex_unlock(&s->lock);
        return -EINVAL;
    }
    if (!device_pool_take()) {
        pthread_mutex_unlock(&s->lock);
        return -EMFILE;
    }
    memset(s->opt_set, 0, sizeof(s->opt_set));
    fd = make_kernel_socket(s, AF_INET);
    wakefd = fd < 0 ? -1 : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0 || wakefd < 0) {
        int err = fd < 0 ? fd : -errno;

        if (fd >= 0)
            close(fd);
        device_pool_give();
        pthread_mutex_unlock(&s->lock);
        return err;
    }
    attach_kernel_socket(s, fd, wakefd, AF_INET, TCP_IDLE, ni);
    return 0;
}

int sock_close(struct nsemu_socket *s)
{
    struct network_interface *ni;

    pthread_mutex_lock(&s->lock);
    if (atomic_load(&s->state) != SOCK_OPEN) {
        pthread_mutex_unlock(&s->lock);
        return -EBADF;
    }
    atomic_store(&s->state, SOCK_CLOSING);
    eventfd_write(s->wakefd, 1);
    while (s->users > 0)
        pthread_cond_wait(&s->idle, &s->lock);
    pthread_mutex_unlock(&s->lock);

    /* No call is inside any more: stop the sigio poll before the fd goes away. */
    if (atomic_load(&s->sigio_on))
        stack_run_sync(sigio_stop_on_loop, s);

    pthread_mutex_lock(&s->lock);
    close(s->fd);
    close(s->wakefd);
    s->fd = s->wakefd = -1;
    ni = s->ni;
    s->ni = NULL;
    s->tcp = TCP_IDLE;
    atomic_store(&s->state, SOCK_CLOSED);
    pthread_mutex_unlock(&s->lock);
    device_pool_give();
    netif_unref(ni);
    return 0;
}

/* Binds fd to addr after the link's rewrite (device address, port offset). */
static int bind_device_address(struct nsemu_socket *s, int fd, const struct sockaddr *addr,
                               socklen_t len)
{
    struct sockaddr_storage ss;

    memset(&ss, 0, sizeof(ss));
    memcpy(&ss, addr, len < sizeof(ss) ? len : sizeof(ss));
    device_link()->bind_address(s->ni, &ss);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0)
        return -errno;
    s->bound = true;
    s->fresh = false;
    return 0;
}

int sock_bind(struct nsemu_socket *s, const struct sockaddr *addr, socklen_t len)
{
    int fd, timeout, r;

    r = sock_prepare(s, addr->sa_family);
    if (r == 0)
        r = sock_enter(s, &fd, &timeout);
    if (r != 0)
        return r;
    pthread_mutex_lock(&s->lock);
    if (s->bound || s->tcp != TCP_IDLE)
        r = -EINVAL;
    else
        r = bind_device_address(s, fd, addr, len);
    pthread_mutex_unlock(&s->lock);
    sock_leave(s);
    return r;
}

void sock_set_timeout(struct nsemu_socket *s, int timeout_ms)
{
    pthread_mutex_lock(&s->lock);
    s->timeout_ms = timeout_ms < 0 ? -1 : timeout_ms;
    pthread_mutex_unlock(&s->lock);
}

int sock_setopt(struct nsemu_socket *s, int opt, int value)
{
    int fd, timeout, r = sock_enter(s, &fd, &timeout);

    if (r != 0)
        return r;
    r = apply_option(fd, opt, value);
    if (r == 0) {
        pthread_mutex_lock(&s->lock);
        s->opt_set[opt] = true;
        s->opt_val[opt] = value;
        pthread_mutex_unlock(&s->lock);
    }
    sock_leave(s);
    return r;
}

int sock_getopt(struct nsemu_socket *s, int opt, int *value)
{
    int fd, timeout, r = sock_enter(s, &fd, &timeout);
    int level = SOL_SOCKET, name, v = 0;
    struct linger lg;
    void *ptr = &v;
    socklen_t len = sizeof(v);

    if (r != 0)
        return r;
    switch (opt) {
    case NSAPI_REUSEADDR: name = SO_REUSEADDR; break;
    case NSAPI_KEEPALIVE: name = SO_KEEPALIVE; break;
    case NSAPI_KEEPIDLE: level = IPPROTO_TCP; name = TCP_KEEPIDLE; break;
    case NSAPI_KEEPINTVL: level = IPPROTO_TCP; name = TCP_KEEPINTVL; break;
    case NSAPI_LINGER: name = SO_LINGER; ptr = &lg; len = sizeof(lg); break;
    case NSAPI_SNDBUF: name = SO_SNDBUF; break;
    case NSAPI_RCVBUF: name = SO_RCVBUF; break;
    default: sock_leave(s); return -ENOPROTOOPT;
    }
    if (getsockopt(fd, level, name, ptr, &len) != 0) {
        r = -errno;
    } else if (opt == NSAPI_KEEPIDLE || opt == NSAPI_KEEPINTVL) {
        *value = v * 1000;
    } else if (opt == NSAPI_LINGER) {
        *value = lg.l_onoff ? lg.l_linger : -1;
    } else {
        *value = v;
    }
    sock_leave(s);
    return r;
}

struct network_interface *sock_interface(struct nsemu_socket *s)
{
    struct network_interface *ni;

    pthread_mutex_lock(&s->lock);
    ni = atomic_load(&s->state) == SOCK_OPEN ? s->ni : NULL;
    pthread_mutex_unlock(&s->lock);
    return ni;
}

/* For an unbound socket about to reach dest: binds it to the device's address first
 * when the link says so (DESIGN §3). Called with s->lock held. */
static int bind_source_for(struct nsemu_socket *s, int fd, const struct sockaddr *dest)
{
    struct sockaddr_storage src;
    socklen_t len;

    if (s->bound || !device_link()->source_for(s->ni, dest, &src, &len))
        return 0;
    if (bind(fd, (struct sockaddr *)&src, len) != 0)
        return -errno;
    s->bound = true;
    return 0;
}

/* ---- TCP ------------------------------------------------------------------------ */

/* Settles a pending nonblocking connect without waiting. With s->lock held. Returns 0
 * when connected or still pending, else the connect's error (and the socket must be
 * made again before the next attempt). */
static int tcp_settle_connect(struct nsemu_socket *s)
{
    struct pollfd p = {.fd = s->fd, .events = POLLOUT};
    int err = 0;
    socklen_t len = sizeof(err);

    if (s->tcp != TCP_CONNECTING || poll(&p, 1, 0) <= 0)
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

    deadline_start(&dl, timeout_ms >= 0 ? timeout_ms
                                        : (int)knob_int(KNOB_DEVICE_CONNECT_TIMEOUT_MS));
    for (;;) {
        r = sock_wait(s, fd, POLLOUT, &dl);
        pthread_mutex_lock(&s->lock);
        if (r == -EAGAIN) {
            /* No answer in time: abandon this attempt; the next one starts afresh. */
            s->tcp = TCP_IDLE;
            s->renew = true;
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

    r = sock_prepare(s, addr->sa_family);
    if (r == 0)
        r = sock_enter(s, &fd, &timeout);
    if (r != 0)
        return r;
    pthread_mutex_lock(&s->lock);
    r = tcp_settle_connect(s);
    if (r == 0) {
        switch (s->tcp) {
        case TCP_LISTENING: r = -EINVAL; break;
        case TCP_CONNECTED: r = -EISCONN; break;
        case TCP_CONNECTING: r = -EALREADY; break;
        case TCP_IDLE:
            r = tcp_start_connect(s, fd, addr, len);
            break;
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
    deadline_start(&dl, timeout);
    while (sent < size) {
        ssize_t n = send(fd, p + sent, size - sent, MSG_NOSIGNAL);

        if (n > 0) {
            sent += (size_t)n;
            if (timeout == 0)
                break; /* nonblocking: what fits now */
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN) {
            r = -errno;
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

/* recv or recvfrom with waiting; returns bytes or -errno. */
static long recv_wait(struct nsemu_socket *s, int fd, int timeout, void *data, size_t size,
                      struct sockaddr_storage *from)
{
    struct deadline dl;

    deadline_start(&dl, timeout);
    for (;;) {
        socklen_t len = sizeof(*from);
        ssize_t n = from ? recvfrom(fd, data, size, 0, (struct sockaddr *)from, &len)
                         : recv(fd, data, size, 0);
        int r;

        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return -errno;
        r = timeout == 0 ? -EAGAIN : sock_wait(s, fd, POLLIN, &dl);
        if (r != 0)
            return r;
    }
}

long sock_recv(struct nsemu_socket *s, void *data, size_t size)
{
    int fd, timeout;
    long r = sock_enter(s, &fd, &timeout);
    enum tcp_state st;

    if (r != 0)
        return r;
    st = tcp_state_now(s);
    if (st != TCP_CONNECTED && st != TCP_CONNECTING)
        r = -ENOTCONN;
    else
        r = recv_wait(s, fd, timeout, data, size, NULL);
    if (r > 0)
        counter_add(COUNTER_BYTES_RECEIVED, (uint64_t)r);
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

int sock_accept(struct nsemu_socket *s, struct nsemu_socket *conn,
                struct sockaddr_storage *from)
{
    struct network_interface *ni;
    struct deadline dl;
    int fd, timeout, nfd = -1, r;

    sock_close(conn); /* as Mbed does, an open connection object is closed first */
    r = sock_enter(s, &fd, &timeout);
    if (r != 0)
        return r;
    pthread_mutex_lock(&s->lock);
    ni = s->ni;
    r = s->tcp == TCP_LISTENING ? 0 : -EINVAL;
    pthread_mutex_unlock(&s->lock);
    if (r == 0 && !device_pool_take())
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
        if (r != 0)
            device_pool_give();
    }
    sigio_rearm(s, UV_READABLE);
    if (r == 0)
        netif_ref(ni); /* keeps ni alive between leaving s and adopting */
    sock_leave(s);
    if (r != 0)
        return r;
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

/* ---- UDP ------------------------------------------------------------------------ */

long sock_sendto(struct nsemu_socket *s, const struct sockaddr *to, socklen_t len,
                 const void *data, size_t size)
{
    struct deadline dl;
    int fd, timeout;
    long r;

    r = sock_prepare(s, to->sa_family);
    if (r == 0)
        r = sock_enter(s, &fd, &timeout);
    if (r != 0)
        return r;
    if (size > (size_t)knob_int(KNOB_DEVICE_UDP_MAX)) {
        sock_leave(s);
        return -EMSGSIZE;
    }
    if (!netif_is_up(s->ni)) {
        sock_leave(s);
        return -ENETDOWN;
    }
    pthread_mutex_lock(&s->lock);
    r = bind_source_for(s, fd, to);
    s->fresh = false;
    pthread_mutex_unlock(&s->lock);
    deadline_start(&dl, timeout);
    while (r == 0) {
        ssize_t n = sendto(fd, data, size, MSG_NOSIGNAL, to, len);

        if (n >= 0) {
            r = n;
            counter_add(COUNTER_BYTES_SENT, (uint64_t)n);
            counter_add(COUNTER_DATAGRAMS_SENT, 1);
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            r = -errno;
        else
            r = timeout == 0 ? -EAGAIN : sock_wait(s, fd, POLLOUT, &dl);
    }
    if (r == -EAGAIN)
        sigio_rearm(s, UV_WRITABLE);
    sock_leave(s);
    return r;
}

long sock_recvfrom(struct nsemu_socket *s, struct sockaddr_storage *from, void *data,
                   size_t size)
{
    int fd, timeout;
    long r = sock_enter(s, &fd, &timeout);

    if (r != 0)
        return r;
    r = recv_wait(s, fd, timeout, data, size, from);
    if (r >= 0) {
        counter_add(COUNTER_BYTES_RECEIVED, (uint64_t)r);
        counter_add(COUNTER_DATAGRAMS_RECEIVED, 1);
    }
    sigio_rearm(s, UV_READABLE);
    sock_leave(s);
    return r;
}
