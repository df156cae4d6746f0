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

/* The interface the socket was opened on, or NULL when not open. */
struct network_interface *sock_interface(struct nsemu_socket *s);

#endif /* NSEMU_SOCK_H */
