/*
 * faults.h: socket-level fault decisions (DESIGN §5 [faults]). Each decision draws from
 * the socket's own PRNG stream, only for knobs that are on, so a run with the same seed
 * and the same device behaviour makes the same decisions. Every fault applied is
 * written to the event log.
 */
#ifndef NSEMU_FAULTS_H
#define NSEMU_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct nsemu_socket;

/* What happens to one datagram on its way out of or into the device. */
struct udp_fate {
    bool drop;
    bool dup;
    bool reorder;
    size_t len; /* the length that arrives: less than the datagram's when truncated */
};

/* Decides (and logs) the fate of a datagram of len bytes to or from peer. Takes
 * s->lock for the PRNG. */
void faults_udp(struct nsemu_socket *s, bool outgoing, size_t len,
                const struct sockaddr *peer, struct udp_fate *fate);

/* tcp.connect: 0 ok, 1 refuse, 2 timeout (logged when not ok). */
int faults_tcp_connect(struct nsemu_socket *s, const struct sockaddr *peer);

/* How many of size bytes one send or recv may move now: tcp.send_chunk or
 * tcp.recv_chunk, and what tcp.reset_after_bytes leaves. 0 means the budget is spent
 * and the connection must be reset. */
size_t faults_tcp_allow(struct nsemu_socket *s, bool sending, size_t size);

/* Formats a kernel address as "IP:PORT" ("[IPv6]:PORT") for a log line. */
void faults_format_peer(const struct sockaddr *sa, char *buf, size_t len);

/* Called when a knob changed: a random fault that became active prints the seed. */
void faults_knob_changed(int knob);

#endif /* NSEMU_FAULTS_H */
