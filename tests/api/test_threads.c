/*
 * test_threads.c: DESIGN §2's threading rules. Sigio callbacks run on the stack thread
 * when data arrives (spurious calls tolerated) and never after socket_sigio(s, NULL)
 * returns; a blocking call made inside one returns WOULD_BLOCK at once; close from
 * another thread wakes a blocked call, which returns NO_SOCKET; threads may share the
 * library, and one TCP socket between a receiving and a sending thread.
 *
 * Threads other than the test's own never assert: they record, and the test checks
 * after joining them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "api_support.h"
#include "harness.h"

#define STREAM_BYTES (4u << 20)

/* ---- sigio -------------------------------------------------------------------- */

/* A sigio callback that drains the socket into buf, under ev.lock. */
struct drain {
    struct event ev;
    socket_t *s;
    bool udp;
    char buf[64];
    size_t len;
    unsigned calls;
    bool detached; /* set by the test once socket_sigio(s, NULL) has returned */
    unsigned late; /* calls after that */
};

static void drain_sigio(void *ctx)
{
    struct drain *d = ctx;

    pthread_mutex_lock(&d->ev.lock);
    d->calls++;
    if (d->detached)
        d->late++;
    for (;;) {
        size_t room = sizeof(d->buf) - d->len;
        nsapi_size_or_error_t n =
            d->udp ? udp_socket_recvfrom(d->s, NULL, d->buf + d->len, (nsapi_size_t)room)
                   : tcp_socket_recv(d->s, d->buf + d->len, (nsapi_size_t)room);

        if (n <= 0 || room == 0)
            break;
        d->len += (size_t)n;
    }
    event_broadcast(&d->ev);
    pthread_mutex_unlock(&d->ev.lock);
}

static void drain_init(struct drain *d, socket_t *s, bool udp)
{
    memset(d, 0, sizeof(*d));
    event_init(&d->ev);
    d->s = s;
    d->udp = udp;
}

struct drained_at_least {
    struct drain *d;
    const char *want;
};

static bool has_drained(void *arg)
{
    struct drained_at_least *w = arg;
    size_t n = strlen(w->want);

    return w->d->len >= n && memcmp(w->d->buf, w->want, n) == 0;
}

/* Waits (bounded) until the callback has drained exactly want so far. */
static bool drained(struct drain *d, const char *want)
{
    struct drained_at_least w = {d, want};

    return event_wait_for(&d->ev, has_drained, &w, WAIT_MS);
}

static void test_sigio_is_called_after_data_arrives(void **state)
{
    tcp_socket_t *s;
    int peer;
    struct drain d;

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    drain_init(&d, s, false);
    socket_sigio(s, drain_sigio, &d);
    posix_send_all(peer, "data", 4);
    assert_true(drained(&d, "data"));
    socket_sigio(s, NULL, NULL);
    close(peer);
    socket_delete(s);
    event_destroy(&d.ev);
}

static void test_sigio_is_called_again_for_later_data(void **state)
{
    tcp_socket_t *s;
    int peer;
    struct drain d;

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    drain_init(&d, s, false);
    socket_sigio(s, drain_sigio, &d);
    posix_send_all(peer, "one", 3);
    assert_true(drained(&d, "one"));
    posix_send_all(peer, "two", 3);
    assert_true(drained(&d, "onetwo"));
    posix_send_all(peer, "three", 5);
    assert_true(drained(&d, "onetwothree"));
    socket_sigio(s, NULL, NULL);
    close(peer);
    socket_delete(s);
    event_destroy(&d.ev);
}

static void test_sigio_is_called_after_a_datagram_arrives(void **state)
{
    uint16_t port = free_port("127.0.0.1"), peer_port = 0;
    int peer = posix_udp_socket("127.0.0.1", &peer_port);
    udp_socket_t *s = udp_socket_new();
    struct drain d;

    (void)state;
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(s, port), NSAPI_ERROR_OK);
    drain_init(&d, s, true);
    socket_sigio(s, drain_sigio, &d);
    posix_sendto(peer, "127.0.0.1", port, "dgram", 5);
    assert_true(drained(&d, "dgram"));
    socket_sigio(s, NULL, NULL);
    close(peer);
    socket_delete(s);
    event_destroy(&d.ev);
}

static void test_sigio_attached_before_open_is_called_once_open(void **state)
{
    uint16_t port = free_port("127.0.0.1"), peer_port = 0;
    int peer = posix_udp_socket("127.0.0.1", &peer_port);
    udp_socket_t *s = udp_socket_new();
    struct drain d;

    (void)state;
    drain_init(&d, s, true);
    socket_sigio(s, drain_sigio, &d);
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(s, port), NSAPI_ERROR_OK);
    posix_sendto(peer, "127.0.0.1", port, "early", 5);
    assert_true(drained(&d, "early"));
    socket_sigio(s, NULL, NULL);
    close(peer);
    socket_delete(s);
    event_destroy(&d.ev);
}

static void test_no_sigio_runs_after_detach_returns(void **state)
{
    uint16_t wport = free_port("127.0.0.1"), upeer_port = 0;
    int upeer = posix_udp_socket("127.0.0.1", &upeer_port);
    udp_socket_t *witness = udp_socket_new();
    struct drain d, w;
    tcp_socket_t *s;
    int peer;
    char buf[8];

    (void)state;
    tcp_pair(up_interface(), &s, &peer);
    drain_init(&d, s, false);
    socket_sigio(s, drain_sigio, &d);
    posix_send_all(peer, "a", 1);
    assert_true(drained(&d, "a"));

    socket_sigio(s, NULL, NULL);
    pthread_mutex_lock(&d.ev.lock);
    d.detached = true;
    pthread_mutex_unlock(&d.ev.lock);

    /* Data for s, then for a witness socket whose callback still runs: once the witness
     * has seen its datagram, the stack thread has handled s's readiness too. */
    assert_int_equal(socket_open(witness, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(witness, wport), NSAPI_ERROR_OK);
    drain_init(&w, witness, true);
    socket_sigio(witness, drain_sigio, &w);
    posix_send_all(peer, "b", 1);
    posix_sendto(upeer, "127.0.0.1", wport, "w", 1);
    assert_true(drained(&w, "w"));

    pthread_mutex_lock(&d.ev.lock);
    assert_int_equal(d.late, 0);
    assert_int_equal(d.len, 1);
    pthread_mutex_unlock(&d.ev.lock);
    /* The data the callback did not take is still there. */
    assert_int_equal(tcp_socket_recv(s, buf, sizeof(buf)), 1);
    assert_int_equal(buf[0], 'b');

    socket_sigio(witness, NULL, NULL);
    socket_delete(witness);
    socket_delete(s);
    close(peer);
    close(upeer);
    event_destroy(&d.ev);
    event_destroy(&w.ev);
}

/* A POSIX peer that keeps sending until told to stop or the connection fails. */
struct streamer {
    int fd;
    atomic_bool stop;
};

static void *stream_main(void *arg)
{
    struct streamer *st = arg;

    while (!atomic_load(&st->stop) && send(st->fd, "s", 1, MSG_NOSIGNAL) == 1)
        sched_yield();
    return NULL;
}

static void test_no_sigio_runs_after_close_returns(void **state)
{
    uint16_t wport = free_port("127.0.0.1"), upeer_port = 0;
    int upeer = posix_udp_socket("127.0.0.1", &upeer_port);
    udp_socket_t *witness = udp_socket_new();
    struct streamer st;
    struct drain d, w;
    tcp_socket_t *s;
    pthread_t t;

    (void)state;
    tcp_pair(up_interface(), &s, &st.fd);
    atomic_init(&st.stop, false);
    drain_init(&d, s, false);
    socket_sigio(s, drain_sigio, &d);
    assert_int_equal(pthread_create(&t, NULL, stream_main, &st), 0);
    /* Callbacks are running over and over while the data streams in. */
    assert_true(drained(&d, "sss"));
    assert_int_equal(socket_close(s), NSAPI_ERROR_OK);
    pthread_mutex_lock(&d.ev.lock);
    d.detached = true;
    pthread_mutex_unlock(&d.ev.lock);

    assert_int_equal(socket_open(witness, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(witness, wport), NSAPI_ERROR_OK);
    drain_init(&w, witness, true);
    socket_sigio(witness, drain_sigio, &w);
    posix_sendto(upeer, "127.0.0.1", wport, "w", 1);
    assert_true(drained(&w, "w"));
    pthread_mutex_lock(&d.ev.lock);
    assert_int_equal(d.late, 0);
    pthread_mutex_unlock(&d.ev.lock);

    atomic_store(&st.stop, true);
    join_within(t, WAIT_MS);
    socket_sigio(witness, NULL, NULL);
    socket_delete(witness);
    socket_delete(s);
    close(st.fd);
    close(upeer);
    event_destroy(&d.ev);
    event_destroy(&w.ev);
}

/* A callback that makes one blocking recvfrom, timing it. */
struct blocking_in_sigio {
    struct event ev;
    udp_socket_t *s;
    nsapi_size_or_error_t result;
    uint64_t took_ms;
    bool done;
};

static void recvfrom_in_sigio(void *ctx)
{
    struct blocking_in_sigio *b = ctx;
    char buf[16];
    uint64_t start;
    nsapi_size_or_error_t r;

    pthread_mutex_lock(&b->ev.lock);
    if (b->done) {
        pthread_mutex_unlock(&b->ev.lock);
        return;
    }
    pthread_mutex_unlock(&b->ev.lock);
    start = test_now_ms();
    r = udp_socket_recvfrom(b->s, NULL, buf, sizeof(buf));
    pthread_mutex_lock(&b->ev.lock);
    b->result = r;
    b->took_ms = test_now_ms() - start;
    b->done = true;
    b->ev.count++;
    event_broadcast(&b->ev);
    pthread_mutex_unlock(&b->ev.lock);
}

static void test_blocking_recvfrom_inside_sigio_returns_would_block_at_once(void **state)
{
    struct blocking_in_sigio b;

    (void)state;
    memset(&b, 0, sizeof(b));
    event_init(&b.ev);
    b.s = udp_socket_new();
    assert_int_equal(socket_open(b.s, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(b.s, 0), NSAPI_ERROR_OK);
    /* Blocking for 5 s: without the rule, the callback would hang that long. */
    socket_set_timeout(b.s, WAIT_MS);
    socket_sigio(b.s, recvfrom_in_sigio, &b); /* writable at once: the callback runs */
    assert_true(event_wait_count(&b.ev, 1, WAIT_MS + 2000));
    pthread_mutex_lock(&b.ev.lock);
    assert_int_equal(b.result, NSAPI_ERROR_WOULD_BLOCK);
    assert_true(b.took_ms < 500);
    pthread_mutex_unlock(&b.ev.lock);
    socket_sigio(b.s, NULL, NULL);
    socket_delete(b.s);
    event_destroy(&b.ev);
}

/* A callback that makes one name lookup. */
struct lookup_in_sigio {
    struct event ev;
    nsapi_error_t result;
    bool done;
};

static void lookup_in_sigio(void *ctx)
{
    struct lookup_in_sigio *l = ctx;
    socket_address_t out;
    nsapi_error_t r;

    pthread_mutex_lock(&l->ev.lock);
    if (l->done) {
        pthread_mutex_unlock(&l->ev.lock);
        return;
    }
    pthread_mutex_unlock(&l->ev.lock);
    socket_address_init(&out);
    r = network_interface_gethostbyname(network_interface_get_default_instance(), "blocked.test",
                                        &out, NSAPI_IPv4);
    pthread_mutex_lock(&l->ev.lock);
    l->result = r;
    l->done = true;
    l->ev.count++;
    event_broadcast(&l->ev);
    pthread_mutex_unlock(&l->ev.lock);
}

static void test_name_lookup_inside_sigio_returns_would_block(void **state)
{
    udp_socket_t *s = udp_socket_new();
    struct lookup_in_sigio l;

    (void)state;
    memset(&l, 0, sizeof(l));
    event_init(&l.ev);
    up_interface(); /* connects outside the callback: connect blocks */
    assert_int_equal(socket_open(s, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(s, 0), NSAPI_ERROR_OK);
    socket_sigio(s, lookup_in_sigio, &l);
    assert_true(event_wait_count(&l.ev, 1, WAIT_MS));
    pthread_mutex_lock(&l.ev.lock);
    assert_int_equal(l.result, NSAPI_ERROR_WOULD_BLOCK);
    pthread_mutex_unlock(&l.ev.lock);
    socket_sigio(s, NULL, NULL);
    socket_delete(s);
    event_destroy(&l.ev);
}

/* ---- close from another thread -------------------------------------------------- */

/* One blocking call on a thread of its own. */
struct blocked_call {
    struct event started;
    socket_t *s;
    socket_t *conn;             /* for accept */
    const socket_address_t *to; /* for connect */
    pid_t tid;
    nsapi_size_or_error_t result;
};

static void *recv_forever(void *arg)
{
    struct blocked_call *b = arg;
    char buf[16];

    b->tid = gettid();
    event_signal(&b->started);
    b->result = tcp_socket_recv(b->s, buf, sizeof(buf));
    return NULL;
}

static void *recvfrom_forever(void *arg)
{
    struct blocked_call *b = arg;
    char buf[16];

    b->tid = gettid();
    event_signal(&b->started);
    b->result = udp_socket_recvfrom(b->s, NULL, buf, sizeof(buf));
    return NULL;
}

static void *accept_forever(void *arg)
{
    struct blocked_call *b = arg;

    b->tid = gettid();
    event_signal(&b->started);
    b->result = tcp_server_accept(b->s, b->conn, NULL);
    return NULL;
}

static void *connect_forever(void *arg)
{
    struct blocked_call *b = arg;

    b->tid = gettid();
    event_signal(&b->started);
    b->result = tcp_socket_connect(b->s, b->to);
    return NULL;
}

/* Starts fn on a thread, waits until it sleeps in its call, closes b->s from here and
 * checks that the call returned NO_SOCKET. */
static void close_wakes(struct blocked_call *b, void *(*fn)(void *))
{
    pthread_t t;
    pid_t tid;

    event_init(&b->started);
    b->result = 1;
    socket_set_blocking(b->s, true);
    assert_int_equal(pthread_create(&t, NULL, fn, b), 0);
    assert_true(event_wait_count(&b->started, 1, WAIT_MS));
    pthread_mutex_lock(&b->started.lock);
    tid = b->tid;
    pthread_mutex_unlock(&b->started.lock);
    assert_true(thread_blocks_within(tid, WAIT_MS));
    assert_int_equal(socket_close(b->s), NSAPI_ERROR_OK);
    join_within(t, WAIT_MS);
    assert_int_equal(b->result, NSAPI_ERROR_NO_SOCKET);
    event_destroy(&b->started);
}

static void test_close_from_another_thread_wakes_a_blocked_recv_with_no_socket(void **state)
{
    struct blocked_call b = {0};
    int peer;

    (void)state;
    tcp_pair(up_interface(), &b.s, &peer);
    close_wakes(&b, recv_forever);
    close(peer);
    socket_delete(b.s);
}

static void test_close_from_another_thread_wakes_a_blocked_recvfrom_with_no_socket(void **state)
{
    struct blocked_call b = {0};

    (void)state;
    b.s = udp_socket_new();
    assert_int_equal(socket_open(b.s, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(b.s, 0), NSAPI_ERROR_OK);
    close_wakes(&b, recvfrom_forever);
    socket_delete(b.s);
}

static void test_close_from_another_thread_wakes_a_blocked_accept_with_no_socket(void **state)
{
    struct blocked_call b = {0};

    (void)state;
    b.s = tcp_server_new();
    b.conn = tcp_socket_new();
    assert_int_equal(socket_open(b.s, up_interface()), NSAPI_ERROR_OK);
    assert_int_equal(socket_bind_port(b.s, free_port("127.0.0.1")), NSAPI_ERROR_OK);
    assert_int_equal(tcp_server_listen(b.s, 1), NSAPI_ERROR_OK);
    close_wakes(&b, accept_forever);
    socket_delete(b.conn);
    socket_delete(b.s);
}

static void test_close_from_another_thread_wakes_a_blocked_connect_with_no_socket(void **state)
{
    struct blocked_call b = {0};
    int fillers[2];
    uint16_t port;
    int lfd = full_backlog_listener("127.0.0.1", &port, fillers);
    socket_address_t to;

    (void)state;
    addr_of(&to, "127.0.0.1", port);
    b.to = &to;
    b.s = tcp_socket_new();
    assert_int_equal(socket_open(b.s, up_interface()), NSAPI_ERROR_OK);
    close_wakes(&b, connect_forever); /* device.connect_timeout_ms is 10 s */
    socket_delete(b.s);
    close(fillers[0]);
    close(fillers[1]);
    close(lfd);
}

/* ---- threads sharing the library ------------------------------------------------ */

/* A lockstep echo of bytes through s on a thread of its own. */
struct echo_job {
    tcp_socket_t *s;
    size_t bytes;
    uint32_t seed;
    bool ok;
    uint32_t sent_sum, received_sum;
};

static bool send_all_raw(tcp_socket_t *s, const uint8_t *p, size_t n)
{
    while (n > 0) {
        nsapi_size_or_error_t k = tcp_socket_send(s, p, (nsapi_size_t)n);

        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static bool recv_all_raw(tcp_socket_t *s, uint8_t *p, size_t n)
{
    while (n > 0) {
        nsapi_size_or_error_t k = tcp_socket_recv(s, p, (nsapi_size_t)n);

        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static void *echo_job_main(void *arg)
{
    enum { CHUNK = 16384 };
    struct echo_job *j = arg;
    uint8_t out[CHUNK], in[CHUNK];

    j->ok = true;
    j->sent_sum = j->received_sum = CHECKSUM_START;
    for (size_t at = 0; at < j->bytes && j->ok; at += CHUNK) {
        fill_pattern(out, CHUNK, j->seed + (uint32_t)at);
        j->ok = send_all_raw(j->s, out, CHUNK) && recv_all_raw(j->s, in, CHUNK);
        j->sent_sum = checksum(j->sent_sum, out, CHUNK);
        j->received_sum = checksum(j->received_sum, in, CHUNK);
    }
    return NULL;
}

static void test_two_threads_on_two_sockets_echo_independently(void **state)
{
    struct echo_server *e1 = echo_server_start("127.0.0.1", SOCK_STREAM);
    struct echo_server *e2 = echo_server_start("127.0.0.1", SOCK_STREAM);
    struct echo_job j1 = {tcp_connected(up_interface(), "127.0.0.1", echo_server_port(e1)),
                          1u << 20,
                          100,
                          false,
                          0,
                          0};
    struct echo_job j2 = {tcp_connected(up_interface(), "127.0.0.1", echo_server_port(e2)),
                          1u << 20,
                          200,
                          false,
                          0,
                          0};
    pthread_t t1, t2;

    (void)state;
    assert_int_equal(pthread_create(&t1, NULL, echo_job_main, &j1), 0);
    assert_int_equal(pthread_create(&t2, NULL, echo_job_main, &j2), 0);
    join_within(t1, 15000);
    join_within(t2, 15000);
    assert_true(j1.ok);
    assert_true(j2.ok);
    assert_int_equal(j1.received_sum, j1.sent_sum);
    assert_int_equal(j2.received_sum, j2.sent_sum);
    assert_int_not_equal(j1.sent_sum, j2.sent_sum);
    socket_delete(j1.s);
    socket_delete(j2.s);
    echo_server_stop(e1);
    echo_server_stop(e2);
}

struct sender {
    tcp_socket_t *s;
    const uint8_t *data;
    size_t bytes;
    bool ok;
};

static void *sender_main(void *arg)
{
    struct sender *snd = arg;

    snd->ok = send_all_raw(snd->s, snd->data, snd->bytes);
    return NULL;
}

static void test_one_thread_receives_while_another_sends_on_the_same_socket(void **state)
{
    struct echo_server *echo = echo_server_start("127.0.0.1", SOCK_STREAM);
    tcp_socket_t *s = tcp_connected(up_interface(), "127.0.0.1", echo_server_port(echo));
    uint8_t *out = malloc(STREAM_BYTES), *in = malloc(STREAM_BYTES);
    struct sender snd = {s, out, STREAM_BYTES, false};
    pthread_t t;

    (void)state;
    assert_non_null(out);
    assert_non_null(in);
    fill_pattern(out, STREAM_BYTES, 77);
    assert_int_equal(pthread_create(&t, NULL, sender_main, &snd), 0);
    nsemu_recv_all(s, in, STREAM_BYTES);
    join_within(t, WAIT_MS);
    assert_true(snd.ok);
    assert_int_equal(checksum(CHECKSUM_START, in, STREAM_BYTES),
                     checksum(CHECKSUM_START, out, STREAM_BYTES));
    free(out);
    free(in);
    socket_delete(s);
    echo_server_stop(echo);
}

struct churn {
    unsigned failures;
};

static void *churn_main(void *arg)
{
    struct churn *c = arg;
    network_interface_t *ni = network_interface_get_default_instance();

    for (int i = 0; i < 250; i++) {
        socket_t *s = i % 2 ? tcp_socket_new() : udp_socket_new();

        if (s == NULL || socket_open(s, ni) != NSAPI_ERROR_OK || socket_close(s) != NSAPI_ERROR_OK)
            c->failures++;
        socket_delete(s);
    }
    return NULL;
}

static void test_threads_opening_and_closing_at_once_keep_the_pool_count(void **state)
{
    enum { THREADS = 4 };
    struct churn c[THREADS];
    pthread_t t[THREADS];
    uint64_t before, after;
    int fds = open_fd_count();

    (void)state;
    up_interface();
    assert_int_equal(nsemu_counter("sockets.open", &before), NSAPI_ERROR_OK);
    for (int i = 0; i < THREADS; i++) {
        c[i].failures = 0;
        assert_int_equal(pthread_create(&t[i], NULL, churn_main, &c[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        join_within(t[i], 15000);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(c[i].failures, 0);
    assert_int_equal(nsemu_counter("sockets.open", &after), NSAPI_ERROR_OK);
    assert_int_equal(after, before);
    assert_int_equal(open_fd_count(), fds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigio_is_called_after_data_arrives),
        cmocka_unit_test(test_sigio_is_called_again_for_later_data),
        cmocka_unit_test(test_sigio_is_called_after_a_datagram_arrives),
        cmocka_unit_test(test_sigio_attached_before_open_is_called_once_open),
        cmocka_unit_test(test_no_sigio_runs_after_detach_returns),
        cmocka_unit_test(test_no_sigio_runs_after_close_returns),
        cmocka_unit_test(test_blocking_recvfrom_inside_sigio_returns_would_block_at_once),
        cmocka_unit_test(test_name_lookup_inside_sigio_returns_would_block),
        cmocka_unit_test(test_close_from_another_thread_wakes_a_blocked_recv_with_no_socket),
        cmocka_unit_test(test_close_from_another_thread_wakes_a_blocked_recvfrom_with_no_socket),
        cmocka_unit_test(test_close_from_another_thread_wakes_a_blocked_accept_with_no_socket),
        cmocka_unit_test(test_close_from_another_thread_wakes_a_blocked_connect_with_no_socket),
        cmocka_unit_test(test_two_threads_on_two_sockets_echo_independently),
        cmocka_unit_test(test_one_thread_receives_while_another_sends_on_the_same_socket),
        cmocka_unit_test(test_threads_opening_and_closing_at_once_keep_the_pool_count),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
