/*
 * shaper.h: tcp.latency_ms and tcp.rate_kbps (DESIGN §2: "faults that hold data back
 * keep it in a per-socket queue released by a loop timer"). While either knob is on, or
 * a connection still has data queued, that connection is shaped: its bytes go through
 * two queues, stamped with the time they may move on. The stack thread ticks every
 * SHAPER_TICK_MS: it reads what arrived from the kernel into the receive queue (after
 * the rate allows, due after the latency) and writes the send queue's due bytes to the
 * kernel. The device's calls only touch the queues, waiting on a condition variable.
 */
#ifndef NSEMU_SHAPER_H
#define NSEMU_SHAPER_H

#include <stdbool.h>
#include <stddef.h>

struct nsemu_socket;
struct deadline;

#define SHAPER_TICK_MS 2

/* What shaper_send / shaper_recv return when their direction has left the shaper:
 * the caller takes the fast path again. */
#define SHAPER_LEFT (-100000)

/* True when s's data must go through the shaper now. Lock-free. */
bool shaper_active(struct nsemu_socket *s);

/* The shaped halves of send and recv (same results as sock_send / sock_recv).
 * timeout as for the socket: 0 nonblocking, -1 forever. */
long shaper_send(struct nsemu_socket *s, const void *data, size_t size, int timeout);
long shaper_recv(struct nsemu_socket *s, void *data, size_t size, int timeout);

/* Starts the tick when a shaping knob turned on (stack thread or any thread). */
void shaper_knob_changed(void);

/* s is closing: writes what its send queue holds (bounded wait), then frees the queues. */
void shaper_release(struct nsemu_socket *s);

/* Wakes shaped calls of s (close, kill). */
void shaper_wake(struct nsemu_socket *s);

#endif /* NSEMU_SHAPER_H */
