/*
 * faults_support.h: helpers of the faults suite (the api suite's api_support.h and
 * tests/support/harness.h have the rest): a recorder for interface status callbacks,
 * numbered UDP datagrams sent in batches and collected until silence, the event log
 * read back, and a child run of the test program itself with its own environment.
 * Functions that assert do so with cmocka: call them from the test's own thread.
 */
#ifndef NSEMU_FAULTS_SUPPORT_H
#define NSEMU_FAULTS_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netsocket/netsocket.h>

#include "api_support.h"

/* A test's setup and teardown: every runtime knob back to its start-up value. */
int knobs_reset(void **state);

/* ---- interface status ----------------------------------------------------------- */

#define MAX_STATUS 16

/* What a status callback saw, under ev.lock. */
struct status_log {
    struct event ev;
    int n;
    intptr_t status[MAX_STATUS];
};

void status_log_init(struct status_log *log);
/* The callback for network_interface_attach, with a struct status_log as ctx. */
void status_record(void *ctx, nsapi_event_t ev, intptr_t arg);
int status_count(struct status_log *log);
intptr_t status_at(struct status_log *log, int i);
/* Waits until the callback has reported status for the n-th time (n from 1); false
 * after timeout_ms. */
bool status_wait_nth(struct status_log *log, intptr_t status, int n, int timeout_ms);

/* ---- numbered datagrams ----------------------------------------------------------- */

/* A datagram of len bytes (at least 4) numbered seq: the number, then a pattern. */
void datagram_fill(uint8_t *buf, size_t len, uint32_t seq);
/* The number of a datagram of at least 4 bytes; asserts its pattern is intact. */
uint32_t datagram_seq(const uint8_t *buf, size_t len);

/* What one side collected: numbers in arrival order and lengths. */
struct arrivals {
    size_t n;
    uint32_t seq[4096];
    size_t len[4096];
};

/* Batches keep what waits in a receive queue well under the kernel's buffer. */
#define BATCH 50
/* Silence that ends a batch: well past the 10 ms a reordered datagram is held. */
#define SILENCE_MS 100

/* Sends count datagrams of len bytes, numbered from 0, from the device socket s to
 * ip:port; after each batch the POSIX socket fd collects what arrives until SILENCE_MS
 * pass quietly. Every sendto must report len. */
void device_to_peer(udp_socket_t *s, const char *ip, uint16_t port, int fd, unsigned count,
                    size_t len, struct arrivals *got);
/* The other way: fd sends count numbered datagrams to the device's ip:port, and the
 * device socket s (its timeout is set to SILENCE_MS) collects them batch by batch. */
void peer_to_device(int fd, const char *ip, uint16_t port, udp_socket_t *s, unsigned count,
                    size_t len, struct arrivals *got);
/* How many times seq arrived. */
unsigned arrivals_of(const struct arrivals *a, uint32_t seq);
/* True when some datagram arrived after one with a higher number. */
bool arrivals_out_of_order(const struct arrivals *a);

/* A UDP socket opened on ni and bound to a port that was free on 127.0.0.1 (*port),
 * with the given timeout. */
udp_socket_t *udp_bound(network_interface_t *ni, uint16_t *port, int timeout_ms);

/* ---- the event log ---------------------------------------------------------------- */

/* The log's size now: a mark to read from later. */
long log_mark(const char *path);
/* The log's text from mark on (malloc'd, NUL-terminated; free it). */
char *log_since(const char *path, long mark);
/* The first line of text containing every one of the NULL-terminated needles, copied
 * into line (NUL-terminated, without its newline); false when there is none. */
bool log_find(const char *text, char *line, size_t len, ...);
/* Waits until the log, from mark on, has a line containing every one of the
 * NULL-terminated needles (a line written on another thread may follow the effect the
 * test saw); false after timeout_ms. */
bool log_wait_for(const char *path, long mark, int timeout_ms, ...);
/* The t= seconds of a log line, or -1. */
double log_line_time(const char *line);
/* Copies text with every "t=SECONDS " field removed (malloc'd). */
char *log_without_times(const char *text);

/* ---- a child run of the test program ---------------------------------------------- */

struct child_run {
    int status;     /* exit status, or -1 when it did not exit normally */
    char out[4096]; /* its stdout */
    char err[4096]; /* its stderr */
};

/* Runs program (argv[0] is the program, argv NULL-terminated) with the environment
 * variables env (NULL-terminated "NAME=VALUE" list; a "NAME=" entry unsets NAME, and
 * every NSEMU_ variable not named is unset), and waits for it at most timeout_ms. */
void child_run(char *const argv[], const char *const env[], int timeout_ms, struct child_run *r);

#endif /* NSEMU_FAULTS_SUPPORT_H */
