/*
 * sock_udp.c: UDP sockets: sendto and recvfrom, and the UDP faults that hold
 * datagrams (reorder, dup) on the way out (released by a stack-thread timer) and in.
 */
#include "sock_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "device.h"
#include "eventlog.h"
#include "faults.h"
#include "knobs.h"
#include "netif.h"

void udp_free_held(struct nsemu_socket *s)
{
    pthread_mutex_lock(&s->lock);
    free(s->rx_held);
    free(s->rx_dup);
    free(s->tx_held);
    s->rx_held = s->rx_dup = s->tx_held = NULL;
    pthread_mutex_unlock(&s->lock);
}

/* How long udp.reorder holds a datagram back when no other passes (DESIGN §5). */
#define REORDER_HOLD_MS 10

static struct held_datagram *hold_copy(const struct sockaddr *peer, socklen_t peer_len,
                                       const void *data, size_t len)
{
    struct held_datagram *h = malloc(sizeof(*h) + len);

    if (h == NULL)
        return NULL;
    h->release_ms = now_ms() + REORDER_HOLD_MS;
    memcpy(&h->peer, peer, peer_len);
    h->peer_len = peer_len;
    h->len = len;
    memcpy(h->data, data, len);
    return h;
}

static void send_held(struct nsemu_socket *s, int fd, struct held_datagram *h)
{
    if (h == NULL)
        return;
    if (device_link_down()) { /* while the cable is out nothing moves */
        eventlog("sock=%u udp.reorder lost len=%zu (link down)", s->ordinal, h->len);
        free(h);
        return;
    }
    if (sendto(fd, h->data, h->len, MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *)&h->peer,
               h->peer_len) < 0)
        eventlog("sock=%u udp.reorder lost len=%zu", s->ordinal, h->len);
    free(h);
}

/* Stack thread: the held outgoing datagram's 10 ms are over, or the timer must be
 * set again for the one held now. */
static void tx_timer_fired(uv_timer_t *t)
{
    struct nsemu_socket *s = t->data;
    struct held_datagram *h = NULL;
    uint64_t now = now_ms(), wait = 0;

    pthread_mutex_lock(&s->lock);
    if (s->tx_held != NULL && s->tx_held->release_ms <= now) {
        h = s->tx_held;
        s->tx_held = NULL;
    } else if (s->tx_held != NULL) {
        wait = s->tx_held->release_ms - now;
    }
    if (h != NULL)
        send_held(s, s->fd, h);
    else if (wait > 0)
        uv_timer_start(t, tx_timer_fired, wait, 0);
    pthread_mutex_unlock(&s->lock);
}

void tx_timer_arm(void *arg)
{
    struct nsemu_socket *s = arg;

    atomic_store(&s->tx_posted, false);
    pthread_mutex_lock(&s->lock);
    if (atomic_load(&s->state) == SOCK_OPEN && s->tx_timer == NULL) {
        uv_timer_t *t = malloc(sizeof(*t));

        if (t != NULL && uv_timer_init(stack_loop(), t) == 0) {
            t->data = s;
            s->tx_timer = (struct uv_timer_s *)t;
        } else {
            free(t);
        }
    }
    if (s->tx_timer != NULL)
        uv_timer_start((uv_timer_t *)s->tx_timer, tx_timer_fired, REORDER_HOLD_MS, 0);
    pthread_mutex_unlock(&s->lock);
}

/* Stack thread: an incoming datagram a fault held (a duplicate, or one held back) may
 * be read now: the kernel socket cannot say so, so sigio is told here. */
static void rx_timer_fired(uv_timer_t *t)
{
    struct sigio *p = sock_sigio_handle(t->data);

    if (p != NULL)
        sock_sigio_notify(p);
}

void rx_timer_arm(void *arg)
{
    struct nsemu_socket *s = arg;
    uint64_t due = 0, now = now_ms();

    atomic_store(&s->rx_posted, false);
    pthread_mutex_lock(&s->lock);
    if (atomic_load(&s->state) == SOCK_OPEN && s->rx_timer == NULL) {
        uv_timer_t *t = malloc(sizeof(*t));

        if (t != NULL && uv_timer_init(stack_loop(), t) == 0) {
            t->data = s;
            s->rx_timer = (struct uv_timer_s *)t;
        } else {
            free(t);
        }
    }
    if (s->rx_dup == NULL && s->rx_held != NULL && s->rx_held->release_ms > now)
        due = s->rx_held->release_ms - now;
    if (s->rx_timer != NULL && (s->rx_dup != NULL || s->rx_held != NULL))
        uv_timer_start((uv_timer_t *)s->rx_timer, rx_timer_fired, due, 0);
    pthread_mutex_unlock(&s->lock);
}

/* After a call that left a datagram held for later, while sigio is attached. */
static void rx_held_notify(struct nsemu_socket *s)
{
    if (!atomic_load(&s->sigio_on))
        return;
    atomic_store(&s->loop_used, true);
    if (stack_on_loop_thread())
        rx_timer_arm(s);
    else if (!atomic_exchange(&s->rx_posted, true))
        stack_post(&s->rx_msg);
}

/* udp.reorder on the way out: keeps a copy to send after the next datagram passes, or
 * after 10 ms (a stack-thread timer), whichever comes first. */
static void hold_outgoing(struct nsemu_socket *s, int fd, const struct sockaddr *to, socklen_t len,
                          const void *data, size_t n)
{
    struct held_datagram *h = hold_copy(to, len, data, n), *older;

    pthread_mutex_lock(&s->lock);
    older = s->tx_held;
    s->tx_held = h;
    pthread_mutex_unlock(&s->lock);
    send_held(s, fd, older); /* one held at a time: the older one goes now */
    atomic_store(&s->loop_used, true);
    if (stack_on_loop_thread())
        tx_timer_arm(s);
    else if (!atomic_exchange(&s->tx_posted, true))
        stack_post(&s->tx_msg); /* never wait for the stack thread inside a call */
}

long sock_sendto(struct nsemu_socket *s, const struct sockaddr *to, socklen_t len, const void *data,
                 size_t size)
{
    struct held_datagram *passed;
    struct udp_fate fate;
    struct deadline dl;
    int fd, timeout;
    long r;

    r = sock_enter_family(s, to->sa_family, &fd, &timeout);
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
    if (r != 0) {
        sock_leave(s);
        return r;
    }
    faults_udp(s, true, size, to, &fate);
    counter_add(COUNTER_BYTES_SENT, size);
    counter_add(COUNTER_DATAGRAMS_SENT, 1);
    if (fate.drop || fate.reorder) {
        if (fate.reorder)
            hold_outgoing(s, fd, to, len, data, fate.len);
        sock_leave(s);
        return (long)size; /* as far as the device can tell, it left */
    }
    deadline_start(&dl, timeout);
    for (;;) {
        ssize_t n = sendto(fd, data, fate.len, MSG_NOSIGNAL, to, len);

        if (n >= 0) {
            r = (long)size; /* a truncated datagram still reports its full size */
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            r = -errno;
        else
            r = timeout == 0 ? -EAGAIN : sock_wait(s, fd, POLLOUT, &dl);
        if (r != 0)
            break;
    }
    if (r >= 0) {
        if (fate.dup)
            sendto(fd, data, fate.len, MSG_NOSIGNAL | MSG_DONTWAIT, to, len);
        pthread_mutex_lock(&s->lock);
        passed = s->tx_held; /* a datagram passed it: the held one goes now */
        s->tx_held = NULL;
        pthread_mutex_unlock(&s->lock);
        send_held(s, fd, passed);
    }
    if (r == -EAGAIN)
        sigio_rearm(s, UV_WRITABLE);
    sock_leave(s);
    return r;
}

/* A datagram a fault held for this call: a duplicate first, then one held back whose
 * time has come (or that a later datagram has passed). */
static struct held_datagram *take_held(struct nsemu_socket *s)
{
    struct held_datagram *h = NULL;

    pthread_mutex_lock(&s->lock);
    if (s->rx_dup != NULL) {
        h = s->rx_dup;
        s->rx_dup = NULL;
    } else if (s->rx_held != NULL && s->rx_held->release_ms <= now_ms()) {
        h = s->rx_held;
        s->rx_held = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    return h;
}

static long deliver_held(struct held_datagram *h, struct sockaddr_storage *from, void *data,
                         size_t size)
{
    size_t n = h->len < size ? h->len : size;

    memcpy(data, h->data, n);
    memcpy(from, &h->peer, h->peer_len);
    free(h);
    return (long)n;
}

static bool udp_faults_on(struct nsemu_socket *s)
{
    bool pending;

    if ((knob_int(KNOB_UDP_LOSS) | knob_int(KNOB_UDP_DUP) | knob_int(KNOB_UDP_REORDER) |
         knob_int(KNOB_UDP_TRUNCATE)) != 0)
        return true;
    pthread_mutex_lock(&s->lock);
    pending = s->rx_held != NULL || s->rx_dup != NULL;
    pthread_mutex_unlock(&s->lock);
    return pending;
}

static long recvfrom_faulty_loop(struct nsemu_socket *s, int fd, int timeout,
                                 const struct deadline *dl, uint8_t *scratch,
                                 struct sockaddr_storage *from, void *data, size_t size);

/* recvfrom with UDP faults on the way in. Whole datagrams are read into a scratch
 * buffer so a held or duplicated one is kept entire. */
static long recvfrom_faulty(struct nsemu_socket *s, int fd, int timeout,
                            struct sockaddr_storage *from, void *data, size_t size)
{
    uint8_t *scratch = malloc(65536);
    struct deadline dl;
    long r;

    if (scratch == NULL)
        return -ENOMEM;
    deadline_start(&dl, timeout);
    r = recvfrom_faulty_loop(s, fd, timeout, &dl, scratch, from, data, size);
    free(scratch);
    return r;
}

static long recvfrom_faulty_loop(struct nsemu_socket *s, int fd, int timeout,
                                 const struct deadline *dl, uint8_t *scratch,
                                 struct sockaddr_storage *from, void *data, size_t size)
{
    for (;;) {
        struct held_datagram *h = take_held(s), *older = NULL;
        struct udp_fate fate;
        long n;

        if (h != NULL)
            return deliver_held(h, from, data, size);
        n = recv_wait(s, fd, 0, scratch, 65536, from);
        if (n == -EAGAIN) {
            struct deadline hold_dl = *dl;
            int r;

            pthread_mutex_lock(&s->lock);
            if (s->rx_held != NULL && (dl->forever || s->rx_held->release_ms < dl->at_ms)) {
                hold_dl.forever = false;
                hold_dl.at_ms = s->rx_held->release_ms;
            }
            pthread_mutex_unlock(&s->lock);
            r = timeout == 0 ? -EAGAIN : sock_wait(s, fd, POLLIN, &hold_dl);
            if (r == -EAGAIN && deadline_left(dl) != 0)
                continue; /* the held datagram's time came first */
            if (r != 0)
                return r;
            continue;
        }
        if (n < 0)
            return n;
        faults_udp(s, false, (size_t)n, (struct sockaddr *)from, &fate);
        if (fate.drop)
            continue;
        h = hold_copy((struct sockaddr *)from, sizeof(*from), scratch, fate.len);
        pthread_mutex_lock(&s->lock);
        if (fate.reorder && h != NULL) {
            older = s->rx_held; /* one held at a time: the older one comes now */
            s->rx_held = h;
            h = NULL;
        } else if (s->rx_held != NULL) {
            s->rx_held->release_ms = 0; /* this one passed it: it comes next */
        }
        if (fate.dup && h != NULL) {
            free(s->rx_dup);
            s->rx_dup = h;
            h = NULL;
        }
        pthread_mutex_unlock(&s->lock);
        free(h);
        if (older != NULL)
            return deliver_held(older, from, data, size);
        if (fate.reorder)
            continue;
        memcpy(data, scratch, fate.len < size ? fate.len : size);
        return (long)(fate.len < size ? fate.len : size);
    }
}

long sock_recvfrom(struct nsemu_socket *s, struct sockaddr_storage *from, void *data, size_t size)
{
    int fd, timeout;
    long r = sock_enter(s, &fd, &timeout);

    if (r != 0)
        return r;
    if (udp_faults_on(s)) {
        bool held;

        r = recvfrom_faulty(s, fd, timeout, from, data, size);
        pthread_mutex_lock(&s->lock);
        held = s->rx_held != NULL || s->rx_dup != NULL;
        pthread_mutex_unlock(&s->lock);
        if (held)
            rx_held_notify(s);
    } else
        r = recv_wait(s, fd, timeout, data, size, from);
    if (r >= 0) {
        counter_add(COUNTER_BYTES_RECEIVED, (uint64_t)r);
        counter_add(COUNTER_DATAGRAMS_RECEIVED, 1);
    }
    sigio_rearm(s, UV_READABLE);
    sock_leave(s);
    return r;
}
