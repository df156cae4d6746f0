/*
 * shaper.c: latency and rate for TCP connections (see shaper.h). Each shaped direction
 * has a queue of chunks stamped with the time they may move on. The stack thread's tick
 * moves bytes between the kernel socket and the queues; the device's calls wait on a
 * condition variable, never on the kernel socket, while their direction is shaped.
 */
#include "shaper.h"

#include <errno.h>
#include <stdatomic.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <uv.h>

#include "common.h"
#include "device.h"
#include "eventlog.h"
#include "knobs.h"
#include "sock.h"
#include "stack.h"

#define QUEUE_MAX (256 * 1024) /* bytes a direction may hold back */
#define MIN_BURST 1500         /* a token bucket always lets a full frame through */

struct chunk {
    struct chunk *next;
    uint64_t due_ms;
    size_t len, off;
    int end; /* 0 data; 1 end of stream (peer closed); <0 the error that ended it */
    uint8_t data[];
};

struct shaper_queue {
    struct chunk *head, *tail;
    size_t bytes;
    double tokens;
    uint64_t refilled_ms;
    int error; /* send side: the kernel's error, reported by the next send */
};

static uv_timer_t tick_timer;
static atomic_bool tick_running;
static struct stack_msg start_msg;
static atomic_bool start_posted;

static bool knobs_on(void)
{
    return (knob_int(KNOB_TCP_LATENCY_MS) | knob_int(KNOB_TCP_RATE_KBPS)) != 0;
}

static uint64_t now_ms_program(void)
{
    return program_ms();
}

/* ---- queues (shape_lock held) ----------------------------------------------------- */

static struct shaper_queue *queue_get(struct shaper_queue **q)
{
    if (*q == NULL) {
        *q = calloc(1, sizeof(**q));
        if (*q != NULL)
            (*q)->refilled_ms = now_ms_program();
    }
    return *q;
}

static void queue_push(struct shaper_queue *q, const void *data, size_t len, int end)
{
    struct chunk *c = malloc(sizeof(*c) + len);

    if (c == NULL)
        return;
    c->next = NULL;
    c->due_ms = now_ms_program() + (uint64_t)knob_int(KNOB_TCP_LATENCY_MS);
    c->len = len;
    c->off = 0;
    c->end = end;
    memcpy(c->data, data, len);
    if (q->tail != NULL)
        q->tail->next = c;
    else
        q->head = c;
    q->tail = c;
    q->bytes += len;
}

static void queue_pop(struct shaper_queue *q)
{
    struct chunk *c = q->head;

    q->head = c->next;
    if (q->head == NULL)
        q->tail = NULL;
    free(c);
}

static void queue_free(struct shaper_queue **q)
{
    if (*q == NULL)
        return;
    while ((*q)->head != NULL)
        queue_pop(*q);
    free(*q);
    *q = NULL;
}

static bool queue_empty(const struct shaper_queue *q)
{
    return q == NULL || q->head == NULL;
}

/* Refills the token bucket of tcp.rate_kbps; the bytes that may move now. */
static size_t queue_allowance(struct shaper_queue *q, size_t want)
{
    long kbps = knob_int(KNOB_TCP_RATE_KBPS);
    uint64_t now = now_ms_program();
    double per_ms, burst;

    if (kbps == 0) {
        q->refilled_ms = now;
        return want;
    }
    per_ms = (double)kbps / 8.0; /* kilobits/s = 1000 bits/s: kbps / 8 bytes per ms */
    burst = per_ms * SHAPER_TICK_MS * 4 > MIN_BURST ? per_ms * SHAPER_TICK_MS * 4 : MIN_BURST;
    q->tokens += (double)(now - q->refilled_ms) * per_ms;
    if (q->tokens > burst)
        q->tokens = burst;
    q->refilled_ms = now;
    return q->tokens >= (double)want ? want : (q->tokens > 0 ? (size_t)q->tokens : 0);
}

/* ---- the stack thread's tick --------------------------------------------------------- */

static void tick_receive(struct nsemu_socket *s, struct shaper_queue *q)
{
    static uint8_t buf[65536];
    size_t room = q->bytes >= QUEUE_MAX ? 0 : QUEUE_MAX - q->bytes;
    size_t want = queue_allowance(q, room < sizeof(buf) ? room : sizeof(buf));
    ssize_t n;

    if (want == 0 || (q->tail != NULL && q->tail->end != 0))
        return;
    n = recv(s->fd, buf, want, MSG_DONTWAIT);
    if (n > 0) {
        q->tokens -= (double)n;
        queue_push(q, buf, (size_t)n, 0);
    } else if (n == 0) {
        queue_push(q, NULL, 0, 1);
    } else if (errno != EAGAIN && errno != EINTR) {
        queue_push(q, NULL, 0, -errno);
    }
}

static void tick_send(struct nsemu_socket *s, struct shaper_queue *q)
{
    uint64_t now = now_ms_program();

    while (q->head != NULL && q->head->due_ms <= now && q->error == 0) {
        struct chunk *c = q->head;
        size_t want = queue_allowance(q, c->len - c->off);
        ssize_t n;

        if (want == 0)
            return;
        n = send(s->fd, c->data + c->off, want, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                q->error = -errno;
            return;
        }
        q->tokens -= (double)n;
        q->bytes -= (size_t)n;
        c->off += (size_t)n;
        if (c->off == c->len)
            queue_pop(q);
    }
}

static bool rx_deliverable(const struct shaper_queue *q)
{
    return q != NULL && q->head != NULL && q->head->due_ms <= now_ms_program();
}

#define TICK_NOTIFY_MAX 64

struct tick_state {
    bool busy; /* some socket is still shaped */
    /* sigio callbacks owed, run after the registry walk (never under its lock) */
    struct sigio *notify[TICK_NOTIFY_MAX];
    int nnotify;
};

static void tick_socket(struct nsemu_socket *s, void *ctx)
{
    struct tick_state *t = ctx;
    bool on = knobs_on();
    int owed = 0, want;

    if (s->kind == SOCK_KIND_UDP || (!atomic_load(&s->rx_shaped) && !atomic_load(&s->tx_shaped)))
        return;
    pthread_mutex_lock(&s->shape_lock);
    if (!device_link_down() && atomic_load(&s->dead) == 0) {
        if (atomic_load(&s->rx_shaped) && queue_get(&s->rxq) != NULL)
            tick_receive(s, s->rxq);
        if (atomic_load(&s->tx_shaped) && s->txq != NULL)
            tick_send(s, s->txq);
    }
    /* What the device waits for through sigio: due data, room in the send queue. */
    want = atomic_load(&s->shaped_want);
    if ((want & UV_READABLE) && rx_deliverable(s->rxq))
        owed |= UV_READABLE;
    if ((want & UV_WRITABLE) && (s->txq == NULL || s->txq->bytes < QUEUE_MAX))
        owed |= UV_WRITABLE;
    /* A direction leaves the shaper once the knobs are off and its queue is empty. */
    if (!on && queue_empty(s->rxq) && atomic_load(&s->rx_shaped)) {
        atomic_store(&s->rx_shaped, false);
        owed |= want & UV_READABLE; /* the kernel socket answers for it again */
    }
    if (!on && queue_empty(s->txq) && atomic_load(&s->tx_shaped)) {
        atomic_store(&s->tx_shaped, false);
        owed |= want & UV_WRITABLE;
    }
    pthread_cond_broadcast(&s->rx_cond);
    pthread_cond_broadcast(&s->tx_cond);
    pthread_mutex_unlock(&s->shape_lock);
    t->busy |= atomic_load(&s->rx_shaped) || atomic_load(&s->tx_shaped);
    if (owed != 0 && t->nnotify < TICK_NOTIFY_MAX) {
        struct sigio *p = sock_sigio_handle(s);

        atomic_fetch_and(&s->shaped_want, ~owed);
        if (p != NULL)
            t->notify[t->nnotify++] = p;
    }
}

static void tick(uv_timer_t *timer)
{
    struct tick_state t = {.busy = false, .nnotify = 0};

    sock_for_each(tick_socket, &t);
    /* Callbacks may close or open sockets: run them with no lock held. A handle stays
     * allocated until the loop's close phase, and knows when its socket went away. */
    for (int i = 0; i < t.nnotify; i++)
        sock_sigio_notify(t.notify[i]);
    if (!t.busy && !knobs_on()) {
        uv_timer_stop(timer);
        tick_running = false;
    }
}

static void start_on_loop(void *arg)
{
    (void)arg;
    atomic_store(&start_posted, false);
    if (tick_running)
        return;
    if (tick_timer.loop == NULL)
        uv_timer_init(stack_loop(), &tick_timer);
    uv_timer_start(&tick_timer, tick, SHAPER_TICK_MS, SHAPER_TICK_MS);
    tick_running = true;
}

void shaper_knob_changed(void)
{
    if (!knobs_on() || atomic_load(&tick_running))
        return; /* the tick stops by itself once the queues are empty */
    if (stack_on_loop_thread()) {
        start_on_loop(NULL);
    } else if (!atomic_exchange(&start_posted, true)) {
        start_msg.fn = start_on_loop; /* only while not queued: the loop reads it */
        stack_post(&start_msg);
    }
}

/* ---- the device's calls ------------------------------------------------------------- */

bool shaper_active(struct nsemu_socket *s)
{
    return knobs_on() || atomic_load(&s->rx_shaped) || atomic_load(&s->tx_shaped);
}

/* Waits on cond until woken or until at_ms (0: forever); false when at_ms passed. */
static bool wait_until(pthread_cond_t *cond, pthread_mutex_t *lock, uint64_t at_ms)
{
    struct timespec ts;
    uint64_t now = now_ms_program(), left;

    if (at_ms == 0) {
        pthread_cond_wait(cond, lock);
        return true;
    }
    if (now >= at_ms)
        return false;
    left = at_ms - now;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* the conds use CLOCK_MONOTONIC (sock_new) */
    ts.tv_sec += (time_t)(left / 1000);
    ts.tv_nsec += (long)(left % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(cond, lock, &ts);
    return true;
}

/* The program_ms() a call gives up at, 0 for forever. */
static uint64_t give_up_at(int timeout)
{
    return timeout < 0 ? 0 : now_ms_program() + (uint64_t)timeout;
}

static int call_error(struct nsemu_socket *s)
{
    if (atomic_load(&s->state) != SOCK_OPEN)
        return -EBADF;
    return atomic_load(&s->dead);
}

long shaper_recv(struct nsemu_socket *s, void *data, size_t size, int timeout)
{
    uint64_t at = give_up_at(timeout);
    long r;

    pthread_mutex_lock(&s->shape_lock);
    if (knobs_on())
        atomic_store(&s->rx_shaped, true);
    shaper_knob_changed();
    for (;;) {
        struct shaper_queue *q = s->rxq;
        uint64_t wake = at;

        r = call_error(s);
        if (r != 0)
            break;
        if (q != NULL && q->head != NULL && q->head->due_ms <= now_ms_program()) {
            struct chunk *c = q->head;

            if (c->end != 0) {
                r = c->end > 0 ? 0 : c->end; /* stays queued: later calls see it too */
                break;
            }
            r = (long)(c->len - c->off < size ? c->len - c->off : size);
            memcpy(data, c->data + c->off, (size_t)r);
            c->off += (size_t)r;
            q->bytes -= (size_t)r;
            if (c->off == c->len)
                queue_pop(q);
            break;
        }
        if (!atomic_load(&s->rx_shaped) && queue_empty(q)) {
            r = SHAPER_LEFT;
            break;
        }
        if (timeout == 0) {
            r = -EAGAIN;
            break;
        }
        if (q != NULL && q->head != NULL && (wake == 0 || q->head->due_ms < wake))
            wake = q->head->due_ms;
        /* wait_until is false once wake has passed; that ends the call only when the
         * caller's deadline passed, not when wake was the moment the head fell due. */
        if (!wait_until(&s->rx_cond, &s->shape_lock, wake) && at != 0 &&
            now_ms_program() >= at) {
            r = -EAGAIN;
            break;
        }
    }
    pthread_mutex_unlock(&s->shape_lock);
    return r;
}

long shaper_send(struct nsemu_socket *s, const void *data, size_t size, int timeout)
{
    uint64_t at = give_up_at(timeout);
    const uint8_t *p = data;
    size_t queued = 0;
    long r = 0;

    pthread_mutex_lock(&s->shape_lock);
    if (knobs_on())
        atomic_store(&s->tx_shaped, true);
    shaper_knob_changed();
    while (queued < size) {
        struct shaper_queue *q = queue_get(&s->txq);
        size_t room;

        r = call_error(s);
        if (r == 0 && q == NULL)
            r = -ENOMEM;
        if (r == 0 && q->error != 0)
            r = q->error;
        if (r != 0)
            break;
        if (!atomic_load(&s->tx_shaped) && queue_empty(q)) {
            r = SHAPER_LEFT;
            break;
        }
        room = q->bytes >= QUEUE_MAX ? 0 : QUEUE_MAX - q->bytes;
        if (room > 0) {
            size_t n = size - queued < room ? size - queued : room;

            queue_push(q, p + queued, n, 0);
            queued += n;
            continue;
        }
        if (timeout == 0) {
            r = -EAGAIN;
            break;
        }
        if (!wait_until(&s->tx_cond, &s->shape_lock, at)) {
            r = -EAGAIN;
            break;
        }
    }
    pthread_mutex_unlock(&s->shape_lock);
    if (queued > 0)
        return (long)queued;
    return r;
}

void shaper_wake(struct nsemu_socket *s)
{
    pthread_mutex_lock(&s->shape_lock);
    pthread_cond_broadcast(&s->rx_cond);
    pthread_cond_broadcast(&s->tx_cond);
    pthread_mutex_unlock(&s->shape_lock);
}

void shaper_release(struct nsemu_socket *s)
{
    /* On the stack thread (a close from a callback) nothing may wait: one pass only. */
    uint64_t give_up = now_ms_program() + (stack_on_loop_thread() ? 0 : 2000);

    pthread_mutex_lock(&s->shape_lock);
    /* Bytes the device sent are not lost at close: what the send queue holds goes out
     * now, without its delay (for at most two seconds). */
    while (s->txq != NULL && s->txq->head != NULL && s->txq->error == 0 &&
           atomic_load(&s->dead) == 0 && !device_link_down()) {
        struct chunk *c = s->txq->head;
        ssize_t n = send(s->fd, c->data + c->off, c->len - c->off, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n > 0) {
            c->off += (size_t)n;
            if (c->off == c->len)
                queue_pop(s->txq);
        } else if (n < 0 && errno == EAGAIN && now_ms_program() < give_up) {
            struct pollfd p = {.fd = s->fd, .events = POLLOUT};

            poll(&p, 1, 50);
        } else {
            break;
        }
    }
    if (s->txq != NULL && s->txq->bytes > 0)
        eventlog("sock=%u tcp close dropped queued=%zu", s->ordinal, s->txq->bytes);
    queue_free(&s->rxq);
    queue_free(&s->txq);
    atomic_store(&s->rx_shaped, false);
    atomic_store(&s->tx_shaped, false);
    pthread_mutex_unlock(&s->shape_lock);
}
