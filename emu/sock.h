/*
 * sock.h: the device's sockets. Each is a kernel socket set nonblocking; calls run on
 * the caller's thread and, when the kernel says EAGAIN, wait there with poll() on the
 * socket and on the socket's wake eventfd (DESIGN §2's fast path). The stack thread
 * only runs sigio readiness. Functions return 0 or a byte count, or a negative errno
 * that lib/ turns into an nsapi_error_t through its one table.
 *
 * Locking: s->lock guards the state below; a call "enters" the socket (users + 1) for
 * its duration, and close waits until no call is inside before it closes the fd, so an
 * fd is never reused under a running call. Nobody holds s->lock while waiting for the
 * kernel or for the stack thread.
 */
#ifndef NSEMU_SOCK_H
#define NSEMU_SOCK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <netsocket/socket.h>

#include "prng.h"
#include "stack.h"

enum sock_kind { SOCK_KIND_TCP, SOCK_KIND_UDP, SOCK_KIND_SERVER };

enum sock_state { SOCK_CLOSED, SOCK_OPEN, SOCK_CLOSING };

enum tcp_state {
    TCP_IDLE,       /* never connected, or the last attempt failed */
    TCP_CONNECTING, /* a nonblocking connect is pending */
    TCP_CONNECTED,
    TCP_LISTENING,
};

/* Options kept so a kernel socket made again (after a failed connect, or for the other
 * IP version) gets them back. */
#define SOCK_OPT_COUNT 7 /* NSAPI_REUSEADDR ... NSAPI_RCVBUF */

struct sigio;

struct nsemu_socket {
    enum sock_kind kind;
    pthread_mutex_t lock;
    pthread_cond_t idle;       /* signalled when users drops to 0 while closing */
    _Atomic int state;         /* enum sock_state */
    unsigned users;            /* calls inside the socket */
    int fd;                    /* kernel socket while open, else -1 */
    int wakefd;                /* eventfd: close and link events wake waiters */
    int family;                /* AF_INET or AF_INET6 */
    bool fresh;                /* not yet bound or connected: family may still change */
    bool bound;
    bool renew;                /* the kernel socket must be made again before use */
    enum tcp_state tcp;
    int timeout_ms;            /* -1 forever, 0 nonblocking */
    unsigned ordinal;
    struct network_interface *ni;
    bool opt_set[SOCK_OPT_COUNT];
    int opt_val[SOCK_OPT_COUNT];

    /* sigio: the callback is read and changed only on the stack thread. */
    void (*sigio_cb)(void *ctx);
    void *sigio_ctx;
    struct sigio *sigio;       /* poll handle while open with a callback */
    atomic_bool sigio_on;      /* a poll handle exists: rearm after calls */
    atomic_int rearm_bits;     /* UV_READABLE / UV_WRITABLE wanted again */
    struct stack_msg rearm_msg;

    /* Faults (faults.c). The PRNG stream and the held datagrams are guarded by s->lock. */
    struct prng prng;          /* this socket's stream: seed, "sock", ordinal */
    _Atomic int dead;          /* -errno once the connection was killed (reset) */
    atomic_llong tcp_bytes;    /* bytes both ways, for tcp.reset_after_bytes */
    bool fake_connect;         /* tcp.connect = timeout: a connect that never answers */
    struct held_datagram *rx_held;  /* udp.reorder on the way in: returned later */
    struct held_datagram *rx_dup;   /* udp.dup on the way in: the second copy */
    struct held_datagram *tx_held;  /* udp.reorder on the way out: sent later */
    struct uv_timer_s *tx_timer;    /* releases tx_held after 10 ms (stack thread) */
    atomic_bool loop_used;     /* the stack thread holds state for s: close tears it down */
    struct stack_msg tx_msg;   /* arms tx_timer */
    struct uv_timer_s *rx_timer;    /* tells sigio when a held incoming datagram is due */
    struct stack_msg rx_msg;   /* arms rx_timer */
    atomic_bool rx_posted;
    struct stack_msg kill_msg; /* tells sigio that the connection was killed */
    struct stack_msg free_msg; /* frees s after every message queued before it */
    atomic_int shaped_want;    /* UV_READABLE / UV_WRITABLE the shaper owes sigio */
    atomic_bool tx_posted;
    struct nsemu_socket *reg_next, *reg_prev; /* the registry of open sockets */

    /* tcp.latency_ms / tcp.rate_kbps (shaper.c): queues guarded by shape_lock. A
     * direction is shaped once a call found a shaping knob on, until the knobs are off
     * and its queue is empty again; only then does the stack thread touch the kernel
     * socket for that direction. */
    pthread_mutex_t shape_lock;
    pthread_cond_t rx_cond, tx_cond;
    atomic_bool rx_shaped, tx_shaped;
    struct shaper_queue *rxq, *txq;
};

/* Calls fn for every open socket, with the registry locked (fn must not open or close
 * sockets, nor run application callbacks). */
void sock_for_each(void (*fn)(struct nsemu_socket *s, void *ctx), void *ctx);

/* Stack thread: the sigio handle of s, to notify after the registry walk (it stays
 * allocated until the loop's close phase), or NULL. */
struct sigio *sock_sigio_handle(struct nsemu_socket *s);
/* Stack thread: runs the sigio callback behind handle, unless the socket went away. */
void sock_sigio_notify(struct sigio *handle);

/* A datagram a UDP fault holds back. */
struct held_datagram {
    uint64_t release_ms;       /* now_ms() when it goes anyway */
    struct sockaddr_storage peer;
    socklen_t peer_len;
    size_t len;
    uint8_t data[];
};

struct nsemu_socket *sock_new(enum sock_kind kind);
void sock_free(struct nsemu_socket *s);

int sock_open(struct nsemu_socket *s, struct network_interface *ni);
int sock_close(struct nsemu_socket *s);
int sock_bind(struct nsemu_socket *s, const struct sockaddr *addr, socklen_t len);
void sock_set_timeout(struct nsemu_socket *s, int timeout_ms);
int sock_setopt(struct nsemu_socket *s, int opt, int value);
int sock_getopt(struct nsemu_socket *s, int opt, int *value);
void sock_sigio(struct nsemu_socket *s, void (*cb)(void *), void *ctx);

int sock_connect(struct nsemu_socket *s, const struct sockaddr *addr, socklen_t len);
long sock_send(struct nsemu_socket *s, const void *data, size_t size);
long sock_recv(struct nsemu_socket *s, void *data, size_t size);
long sock_sendto(struct nsemu_socket *s, const struct sockaddr *to, socklen_t len,
                 const void *data, size_t size);
long sock_recvfrom(struct nsemu_socket *s, struct sockaddr_storage *from, void *data,
                   size_t size);
int sock_listen(struct nsemu_socket *s, int backlog);
int sock_accept(struct nsemu_socket *s, struct nsemu_socket *conn,
                struct sockaddr_storage *from);

/* Kills every established TCP connection of the device: the peer gets a reset, the
 * device's calls get CONNECTION_LOST until it closes the socket. Logged. */
void sock_reset_all_connections(const char *why);
/* Kills every socket open on ni, whatever its kind and state (TCP, UDP, listening,
 * connected or not): each call of the device gets `err` until it closes the socket;
 * blocked calls wake. The fake WiFi world uses it when the device leaves its AP. */
void sock_kill_interface(struct network_interface *ni, int err, const char *why);
/* The link went up or down: wakes waiting calls so they re-check it; on the way up,
 * drops what UDP sockets received while it was down. */
void sock_link_changed(bool up);

/* The interface the socket was opened on, or NULL when not open. */
struct network_interface *sock_interface(struct nsemu_socket *s);

#endif /* NSEMU_SOCK_H */
