/*
 * sock.c: the device's sockets over kernel sockets, what every kind shares (DESIGN §2
 * fast path, §3 binding rules through the link): life cycle, entering and waiting,
 * sigio, the registry that connection resets and link events walk, options. Calls run
 * on the caller's thread; a call that must wait polls its own fd plus the socket's wake
 * eventfd. The stack thread runs only the sigio poll handles and fault timers, which it
 * alone creates, arms and closes. TCP is in sock_tcp.c, UDP in sock_udp.c.
 */
#include "sock_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "addr.h"
#include "common.h"
#include "config.h"
#include "device.h"
#include "eventlog.h"
#include "faults.h"
#include "knobs.h"
#include "netif.h"
#include "shaper.h"

struct sigio {
    uv_poll_t poll;
    struct nsemu_socket *s; /* NULL once detached, while the handle closes */
    int mask;
};

static void rearm_on_loop(void *arg);
static void kill_notify_on_loop(void *arg);

struct nsemu_socket *sock_new(enum sock_kind kind)
{
    pthread_condattr_t mono;
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
    s->tx_msg.fn = tx_timer_arm;
    s->tx_msg.arg = s;
    s->rx_msg.fn = rx_timer_arm;
    s->rx_msg.arg = s;
    s->kill_msg.fn = kill_notify_on_loop;
    s->kill_msg.arg = s;
    pthread_mutex_init(&s->shape_lock, NULL);
    pthread_condattr_init(&mono);
    pthread_condattr_setclock(&mono, CLOCK_MONOTONIC); /* shaper.c waits on this clock */
    pthread_cond_init(&s->rx_cond, &mono);
    pthread_cond_init(&s->tx_cond, &mono);
    pthread_condattr_destroy(&mono);
    return s;
}

static void free_on_loop(void *arg)
{
    struct nsemu_socket *s = arg;

    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->idle);
    pthread_mutex_destroy(&s->shape_lock);
    pthread_cond_destroy(&s->rx_cond);
    pthread_cond_destroy(&s->tx_cond);
    free(s);
}

void sock_free(struct nsemu_socket *s)
{
    sock_close(s);
    sock_sigio(s, NULL, NULL);
    /* Freed by the stack thread after every message already queued for s (a rearm, a
     * timer arm, a kill notice) has run: deleting a socket from its own callback, while
     * another thread's call had just posted one, must not leave it a dangling pointer. */
    s->free_msg.fn = free_on_loop;
    s->free_msg.arg = s;
    stack_post(&s->free_msg);
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
void sigio_rearm(struct nsemu_socket *s, int bits)
{
    if (!atomic_load_explicit(&s->sigio_on, memory_order_relaxed))
        return;
    /* A shaped direction's readiness is the shaper's queue, not the kernel socket's:
     * the shaper's tick owes the callback (sock_sigio_notify). */
    if ((bits & UV_READABLE) && atomic_load(&s->rx_shaped)) {
        atomic_fetch_or(&s->shaped_want, UV_READABLE);
        bits &= ~UV_READABLE;
    }
    if ((bits & UV_WRITABLE) && atomic_load(&s->tx_shaped)) {
        atomic_fetch_or(&s->shaped_want, UV_WRITABLE);
        bits &= ~UV_WRITABLE;
    }
    if (bits == 0)
        return;
    if (stack_on_loop_thread())
        rearm_now(s, bits);
    else if (atomic_fetch_or(&s->rearm_bits, bits) == 0)
        stack_post(&s->rearm_msg);
}

struct sigio *sock_sigio_handle(struct nsemu_socket *s)
{
    struct sigio *p;

    pthread_mutex_lock(&s->lock);
    p = s->sigio;
    pthread_mutex_unlock(&s->lock);
    return p;
}

void sock_sigio_notify(struct sigio *p)
{
    struct nsemu_socket *s = p->s;
    void (*cb)(void *) = NULL;
    void *ctx = NULL;

    if (s == NULL)
        return; /* closed by an earlier callback of the same walk */
    pthread_mutex_lock(&s->lock);
    if (s->sigio == p) {
        cb = s->sigio_cb;
        ctx = s->sigio_ctx;
    }
    pthread_mutex_unlock(&s->lock);
    if (cb != NULL)
        cb(ctx);
}

static void kill_notify_on_loop(void *arg)
{
    struct sigio *p = sock_sigio_handle(arg);

    if (p != NULL)
        sock_sigio_notify(p);
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

static void timer_closed(uv_handle_t *h)
{
    free(h);
}

/* Stops everything the stack thread does for s; s is closing. */
static void loop_teardown(void *arg)
{
    struct nsemu_socket *s = arg;

    pthread_mutex_lock(&s->lock);
    sigio_stop(s);
    if (s->tx_timer != NULL) {
        uv_timer_stop((uv_timer_t *)s->tx_timer);
        uv_close((uv_handle_t *)s->tx_timer, timer_closed);
        s->tx_timer = NULL;
    }
    if (s->rx_timer != NULL) {
        uv_timer_stop((uv_timer_t *)s->rx_timer);
        uv_close((uv_handle_t *)s->rx_timer, timer_closed);
        s->rx_timer = NULL;
    }
    atomic_store(&s->loop_used, false);
    pthread_mutex_unlock(&s->lock);
}

/* ---- entering, leaving and waiting ------------------------------------------- */

/* Marks a call inside s, so close waits for it. Gives the fd and the timeout to use:
 * on the stack thread every call is nonblocking. */
int sock_enter(struct nsemu_socket *s, int *fd, int *timeout_ms)
{
    int dead;

    pthread_mutex_lock(&s->lock);
    if (atomic_load(&s->state) != SOCK_OPEN) {
        pthread_mutex_unlock(&s->lock);
        return -EBADF;
    }
    dead = atomic_load(&s->dead);
    if (dead != 0) {
        pthread_mutex_unlock(&s->lock);
        return dead; /* killed connections answer CONNECTION_LOST until closed */
    }
    s->users++;
    *fd = s->fd;
    *timeout_ms = stack_on_loop_thread() ? 0 : s->timeout_ms;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static int sock_prepare(struct nsemu_socket *s, int family);

/* For a call that fixes the IP version (bind, connect, sendto): makes the kernel
 * socket fit that version first (outside the call), then enters. */
int sock_enter_family(struct nsemu_socket *s, int family, int *fd, int *timeout_ms)
{
    int r = sock_prepare(s, family);

    return r != 0 ? r : sock_enter(s, fd, timeout_ms);
}

void sock_leave(struct nsemu_socket *s)
{
    pthread_mutex_lock(&s->lock);
    if (--s->users == 0 && atomic_load(&s->state) == SOCK_CLOSING)
        pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->lock);
}

/* While the link is down, waiting calls look at it this often (milliseconds). */
#define LINK_DOWN_POLL_MS 20

/* Waits until fd has events or the deadline passes (-EAGAIN), the socket closes
 * (-EBADF) or its connection is killed (its error). Returns 0 when the caller should
 * try its system call again. While the link is down the kernel socket is not looked
 * at: nothing moves until the link is back. The wake eventfd only ever turns readable
 * for good (close, kill), so nobody needs to drain it. */
int sock_wait(struct nsemu_socket *s, int fd, short events, const struct deadline *dl)
{
    struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = s->wakefd, .events = POLLIN}};

    for (;;) {
        int left = deadline_left(dl), r, dead;
        bool down = device_link_down();

        if (left == 0)
            return -EAGAIN;
        if (down && (left < 0 || left > LINK_DOWN_POLL_MS))
            left = LINK_DOWN_POLL_MS;
        p[0].fd = down ? -1 : fd; /* poll ignores a negative fd */
        r = poll(p, 2, left);
        if (atomic_load(&s->state) != SOCK_OPEN)
            return -EBADF;
        dead = atomic_load(&s->dead);
        if (dead != 0)
            return dead;
        if (down) {
            if (!device_link_down())
                return 0;
            continue;
        }
        if (r > 0 && p[0].revents != 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -errno;
    }
}

/* ---- the registry of open sockets (for connections reset and link events) ----- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nsemu_socket *registry;

static void registry_add(struct nsemu_socket *s)
{
    pthread_mutex_lock(&registry_lock);
    s->reg_prev = NULL;
    s->reg_next = registry;
    if (registry != NULL)
        registry->reg_prev = s;
    registry = s;
    pthread_mutex_unlock(&registry_lock);
}

static void registry_remove(struct nsemu_socket *s)
{
    pthread_mutex_lock(&registry_lock);
    if (s->reg_prev != NULL)
        s->reg_prev->reg_next = s->reg_next;
    else
        registry = s->reg_next;
    if (s->reg_next != NULL)
        s->reg_next->reg_prev = s->reg_prev;
    s->reg_next = s->reg_prev = NULL;
    pthread_mutex_unlock(&registry_lock);
}

/* Kills s's connection: the peer gets a reset (connect with AF_UNSPEC makes Linux send
 * one), and every call of the device gets `err` until it closes the socket. False when
 * it was dead already. */
bool sock_kill(struct nsemu_socket *s, int err, const char *why)
{
    struct sockaddr unspec = {.sa_family = AF_UNSPEC};
    int expected = 0;

    if (!atomic_compare_exchange_strong(&s->dead, &expected, err))
        return false; /* killed already */
    connect(s->fd, &unspec, sizeof(unspec));
    eventfd_write(s->wakefd, 1);
    shaper_wake(s);
    /* A UDP socket makes no kernel event when it dies: tell sigio ourselves. */
    if (atomic_load(&s->sigio_on)) {
        atomic_store(&s->loop_used, true);
        if (stack_on_loop_thread())
            kill_notify_on_loop(s);
        else
            stack_post(&s->kill_msg);
    }
    eventlog("sock=%u %s reset", s->ordinal, why);
    return true;
}

/* tcp.reset_after_bytes: the connection's budget is spent. */
void reset_after_bytes(struct nsemu_socket *s)
{
    if (sock_kill(s, -ECONNRESET, "tcp.reset_after_bytes"))
        counter_add(COUNTER_FAULTS_TCP_RESET, 1);
}

void sock_for_each(void (*fn)(struct nsemu_socket *s, void *ctx), void *ctx)
{
    pthread_mutex_lock(&registry_lock);
    for (struct nsemu_socket *s = registry; s != NULL; s = s->reg_next)
        fn(s, ctx);
    pthread_mutex_unlock(&registry_lock);
}

void sock_reset_all_connections(const char *why)
{
    pthread_mutex_lock(&registry_lock);
    for (struct nsemu_socket *s = registry; s != NULL; s = s->reg_next) {
        pthread_mutex_lock(&s->lock);
        if (s->kind != SOCK_KIND_UDP && atomic_load(&s->state) == SOCK_OPEN &&
            (s->tcp == TCP_CONNECTED || s->tcp == TCP_CONNECTING))
            sock_kill(s, -ECONNRESET, why);
        pthread_mutex_unlock(&s->lock);
    }
    pthread_mutex_unlock(&registry_lock);
}

void sock_kill_interface(struct network_interface *ni, int err, const char *why)
{
    pthread_mutex_lock(&registry_lock);
    for (struct nsemu_socket *s = registry; s != NULL; s = s->reg_next) {
        pthread_mutex_lock(&s->lock);
        if (s->ni == ni && atomic_load(&s->state) == SOCK_OPEN)
            sock_kill(s, err, why);
        pthread_mutex_unlock(&s->lock);
    }
    pthread_mutex_unlock(&registry_lock);
}

/* Drops what a UDP socket's kernel queue holds: datagrams that "arrived" while the
 * cable was out. */
static void drain_datagrams(struct nsemu_socket *s)
{
    unsigned n = 0;
    char byte;

    while (recv(s->fd, &byte, 1, MSG_DONTWAIT | MSG_TRUNC) >= 0)
        n++;
    if (n > 0)
        eventlog("sock=%u link down drop datagrams=%u", s->ordinal, n);
}

void sock_link_changed(bool up)
{
    if (!up)
        return;
    pthread_mutex_lock(&registry_lock);
    for (struct nsemu_socket *s = registry; s != NULL; s = s->reg_next) {
        pthread_mutex_lock(&s->lock);
        if (s->kind == SOCK_KIND_UDP && atomic_load(&s->state) == SOCK_OPEN)
            drain_datagrams(s);
        pthread_mutex_unlock(&s->lock);
    }
    pthread_mutex_unlock(&registry_lock);
}

/* ---- the kernel socket -------------------------------------------------------- */

/* Where each NSAPI option lives in the kernel; setting and reading share it. */
static const struct {
    int level, name;
} kernel_option[SOCK_OPT_COUNT] = {
    [NSAPI_REUSEADDR] = {SOL_SOCKET, SO_REUSEADDR}, [NSAPI_KEEPALIVE] = {SOL_SOCKET, SO_KEEPALIVE},
    [NSAPI_KEEPIDLE] = {IPPROTO_TCP, TCP_KEEPIDLE}, [NSAPI_KEEPINTVL] = {IPPROTO_TCP, TCP_KEEPINTVL},
    [NSAPI_LINGER] = {SOL_SOCKET, SO_LINGER},       [NSAPI_SNDBUF] = {SOL_SOCKET, SO_SNDBUF},
    [NSAPI_RCVBUF] = {SOL_SOCKET, SO_RCVBUF},
};
_Static_assert(NSAPI_RCVBUF + 1 == SOCK_OPT_COUNT, "one kernel option per NSAPI option");

static int apply_option(int fd, int opt, int value)
{
    struct linger lg;
    int v = value;
    const void *ptr = &v;
    socklen_t len = sizeof(v);

    if (opt < 0 || opt >= SOCK_OPT_COUNT)
        return -ENOPROTOOPT;
    switch (opt) {
    case NSAPI_REUSEADDR:
    case NSAPI_KEEPALIVE:
        v = value != 0;
        break;
    case NSAPI_KEEPIDLE:
    case NSAPI_KEEPINTVL:
        if (value <= 0)
            return -EINVAL;
        v = value / 1000 + (value % 1000 != 0); /* ms to whole seconds, rounded up */
        break;
    case NSAPI_LINGER:
        lg.l_onoff = value >= 0;
        lg.l_linger = value >= 0 ? value : 0;
        ptr = &lg;
        len = sizeof(lg);
        break;
    case NSAPI_SNDBUF:
    case NSAPI_RCVBUF:
        if (value <= 0)
            return -EINVAL;
        break;
    }
    if (setsockopt(fd, kernel_option[opt].level, kernel_option[opt].name, ptr, len) != 0)
        return -errno;
    return 0;
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
void attach_kernel_socket(struct nsemu_socket *s, int fd, int wakefd, int family,
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
    prng_init(&s->prng, config_get()->seed, "sock", s->ordinal);
    atomic_store(&s->dead, 0);
    atomic_store(&s->tcp_bytes, 0);
    s->fake_connect = false;
    atomic_store(&s->state, SOCK_OPEN);
    has_cb = s->sigio_cb != NULL;
    eventlog("sock=%u open %s", s->ordinal,
             s->kind == SOCK_KIND_UDP      ? "udp"
             : s->kind == SOCK_KIND_SERVER ? "server"
                                           : "tcp");
    pthread_mutex_unlock(&s->lock);
    registry_add(s);
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
    pthread_mutex_unlock(&s->lock);
    shaper_wake(s);
    pthread_mutex_lock(&s->lock);
    while (s->users > 0)
        pthread_cond_wait(&s->idle, &s->lock);
    pthread_mutex_unlock(&s->lock);

    registry_remove(s);
    /* No call is inside any more: stop what the stack thread does for s (sigio poll,
     * fault timers) before the fd goes away. */
    if (atomic_load(&s->sigio_on) || atomic_load(&s->loop_used))
        stack_run_sync(loop_teardown, s);
    udp_free_held(s);
    shaper_release(s);

    pthread_mutex_lock(&s->lock);
    close(s->fd);
    close(s->wakefd);
    s->fd = s->wakefd = -1;
    ni = s->ni;
    s->ni = NULL;
    s->tcp = TCP_IDLE;
    atomic_store(&s->state, SOCK_CLOSED);
    eventlog("sock=%u close", s->ordinal);
    pthread_mutex_unlock(&s->lock);
    device_pool_give();
    netif_unref(ni);
    return 0;
}

/* Binds fd to addr after the link's rewrite (device address, port offset). */
/* TCP sockets carry SO_REUSEADDR (so a server restarts over TIME_WAIT), and Linux then
 * lets two sockets that do not listen yet bind one port. The device's own sockets must
 * not share a port (DESIGN §2: bind to a port in use is PARAMETER), so look first. */
static bool tcp_port_taken(struct nsemu_socket *s, const struct sockaddr *addr, socklen_t len)
{
    struct sockaddr_storage want;
    nsapi_addr_t wa, oa;
    uint16_t wport, oport;
    bool taken = false;

    /* Called with no socket lock held: the registry lock comes first everywhere. */
    memset(&want, 0, sizeof(want));
    memcpy(&want, addr, len < sizeof(want) ? len : sizeof(want));
    device_link()->bind_address(sock_interface(s), &want);
    addr_from_sockaddr((const struct sockaddr *)&want, &wa, &wport);
    if (wport == 0)
        return false;
    pthread_mutex_lock(&registry_lock);
    for (struct nsemu_socket *o = registry; o != NULL && !taken; o = o->reg_next) {
        struct sockaddr_storage bound;
        socklen_t blen = sizeof(bound);

        if (o == s || o->kind == SOCK_KIND_UDP ||
            getsockname(o->fd, (struct sockaddr *)&bound, &blen) != 0)
            continue; /* an unbound socket has port 0: never equal */
        addr_from_sockaddr((struct sockaddr *)&bound, &oa, &oport);
        taken = oport == wport && oa.version == wa.version &&
                (addr_is_any(&oa) || addr_is_any(&wa) || memcmp(&oa, &wa, sizeof(oa)) == 0);
    }
    pthread_mutex_unlock(&registry_lock);
    return taken;
}

int bind_device_address(struct nsemu_socket *s, int fd, const struct sockaddr *addr, socklen_t len)
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

    r = sock_enter_family(s, addr->sa_family, &fd, &timeout);
    if (r != 0)
        return r;
    if (s->kind != SOCK_KIND_UDP && tcp_port_taken(s, addr, len)) {
        sock_leave(s);
        return -EADDRINUSE;
    }
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
    int fd, timeout, r, v = 0;
    struct linger lg;
    void *ptr = opt == NSAPI_LINGER ? (void *)&lg : (void *)&v;
    socklen_t len = opt == NSAPI_LINGER ? sizeof(lg) : sizeof(v);

    if (opt < 0 || opt >= SOCK_OPT_COUNT)
        return -ENOPROTOOPT;
    r = sock_enter(s, &fd, &timeout);
    if (r != 0)
        return r;
    if (getsockopt(fd, kernel_option[opt].level, kernel_option[opt].name, ptr, &len) != 0)
        r = -errno;
    else if (opt == NSAPI_KEEPIDLE || opt == NSAPI_KEEPINTVL)
        *value = v * 1000;
    else if (opt == NSAPI_LINGER)
        *value = lg.l_onoff ? lg.l_linger : -1;
    else
        *value = v;
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
int bind_source_for(struct nsemu_socket *s, int fd, const struct sockaddr *dest)
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

/* recv or recvfrom with waiting; returns bytes or -errno. */
long recv_wait(struct nsemu_socket *s, int fd, int timeout, void *data, size_t size,
               struct sockaddr_storage *from)
{
    struct deadline dl;

    deadline_start(&dl, timeout);
    for (;;) {
        socklen_t len = sizeof(*from);
        ssize_t n = -1;
        int r, dead = atomic_load(&s->dead);

        if (dead != 0)
            return dead;
        errno = EAGAIN; /* while the cable is out nothing moves */
        if (!device_link_down())
            n = from ? recvfrom(fd, data, size, 0, (struct sockaddr *)from, &len)
                     : recv(fd, data, size, 0);
        if (n > 0 || (n == 0 && atomic_load(&s->dead) == 0))
            return n;
        if (n == 0 || atomic_load(&s->dead) != 0)
            return atomic_load(&s->dead); /* killed under the call: not an orderly close */
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return -errno;
        r = timeout == 0 ? -EAGAIN : sock_wait(s, fd, POLLIN, &dl);
        if (r != 0)
            return r;
    }
}
