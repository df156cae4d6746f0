/*
 * api_support.h: helpers of the api suite only (tests/support/harness.h has the shared
 * ones): bounded waits on events that another thread or an nsemu callback raises, plain
 * POSIX peers (echo servers, a listener whose backlog is full), and data with a
 * checksum. Functions that assert do so with cmocka, so call them from the test's own
 * thread only; the peer threads here never assert, they record.
 */
#ifndef NSEMU_API_SUPPORT_H
#define NSEMU_API_SUPPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <netsocket/netsocket.h>

#define WAIT_MS 5000 /* bound on waiting for something that must happen */

/* ---- events --------------------------------------------------------------------- */

/* A counter with a condition variable. State a callback shares with the test may be
 * kept under e->lock too. */
struct event {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned count;
};

void event_init(struct event *e);
void event_destroy(struct event *e);
/* count + 1, wakes waiters. */
void event_signal(struct event *e);
unsigned event_count(struct event *e);
/* Waits until the count reaches at least n; false after timeout_ms. */
bool event_wait_count(struct event *e, unsigned n, int timeout_ms);
/* Waits until pred(arg), evaluated with e->lock held, is true; false after timeout_ms.
 * Whoever changes what pred reads does it under e->lock and calls event_broadcast. */
bool event_wait_for(struct event *e, bool (*pred)(void *arg), void *arg, int timeout_ms);
/* Wakes waiters without counting; call it with e->lock held or not. */
void event_broadcast(struct event *e);

/* Joins t, failing the test if it has not ended within timeout_ms. */
void join_within(pthread_t t, int timeout_ms);

/* Waits (bounded) until thread tid sleeps in the kernel, e.g. blocked in poll(). */
bool thread_blocks_within(pid_t tid, int timeout_ms);

/* ---- data ----------------------------------------------------------------------- */

/* Pseudo-random bytes, the same for the same seed. */
void fill_pattern(uint8_t *buf, size_t n, uint32_t seed);
/* FNV-1a, running: start with CHECKSUM_START. */
#define CHECKSUM_START 2166136261u
uint32_t checksum(uint32_t h, const void *data, size_t n);

/* ---- plain POSIX peers ---------------------------------------------------------- */

/* A blocking TCP connect to ip:port; the fd (asserts). */
int posix_connect_to(const char *ip, uint16_t port);
/* Accepts one connection within timeout_ms; the fd, or -1. peer (NSAPI_IP_SIZE bytes,
 * may be NULL) gets the peer's address as text. */
int posix_accept_within(int lfd, int timeout_ms, char *peer);
/* True when fd became readable within timeout_ms. */
bool posix_readable_within(int fd, int timeout_ms);
/* recv with a bound; bytes, 0 at EOF, -1 on error or timeout. */
ssize_t posix_recv_within(int fd, void *buf, size_t n, int timeout_ms);
/* Sends all of data (asserts). */
void posix_send_all(int fd, const void *data, size_t n);
/* Closes fd with SO_LINGER 0, so the peer gets a reset. */
void posix_reset(int fd);
/* The port fd is bound to. */
uint16_t posix_local_port(int fd);
/* A UDP datagram to ip:port from fd (asserts it left whole). */
void posix_sendto(int fd, const char *ip, uint16_t port, const void *data, size_t n);
/* One datagram within timeout_ms: its length or -1; from (NSAPI_IP_SIZE, may be NULL)
 * and from_port (may be NULL) get the sender. */
ssize_t posix_recvfrom_within(int fd, void *buf, size_t n, int timeout_ms, char *from,
                              uint16_t *from_port);

/* A TCP listener on ip (backlog 1) whose accept queue is full: two connections wait in
 * it, so the kernel drops every further SYN and a connect to it gets no answer. The
 * two queued client fds go to fillers[0..1]. */
int full_backlog_listener(const char *ip, uint16_t *port, int fillers[2]);

/* A POSIX echo server on its own thread: TCP (connections one after the other, each
 * echoed until the peer closes) or UDP (each datagram back to its sender). */
struct echo_server;
struct echo_server *echo_server_start(const char *ip, int type);
uint16_t echo_server_port(const struct echo_server *e);
/* Connections the TCP server has finished echoing. */
unsigned echo_server_done(struct echo_server *e);
void echo_server_stop(struct echo_server *e);

/* ---- nsemu sides ---------------------------------------------------------------- */

/* A TCP socket opened on ni and connected (blocking) to ip:port. */
tcp_socket_t *tcp_connected(network_interface_t *ni, const char *ip, uint16_t port);
/* Sends / receives exactly n bytes on an nsemu TCP socket (asserts). */
void nsemu_send_all(tcp_socket_t *s, const void *data, size_t n);
void nsemu_recv_all(tcp_socket_t *s, void *data, size_t n);
/* An nsemu TCP connection and the POSIX end of it: a listener on 127.0.0.1 accepts the
 * device's connect. */
void tcp_pair(network_interface_t *ni, tcp_socket_t **s, int *peer);

#endif /* NSEMU_API_SUPPORT_H */
