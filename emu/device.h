/*
 * device.h: what belongs to the device as a whole: its socket pool, the ordinals that
 * name sockets in logs, the counters of the control API, and its link.
 */
#ifndef NSEMU_DEVICE_H
#define NSEMU_DEVICE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "link.h"

/* Counters of nsemu_counter(); the names are in device.c. */
enum counter_id {
    COUNTER_SOCKETS_OPEN,    /* sockets open now (DNS lookups included) */
    COUNTER_SOCKETS_OPENED,  /* sockets opened since start */
    COUNTER_BYTES_SENT,      /* payload bytes the device sent (TCP and UDP) */
    COUNTER_BYTES_RECEIVED,  /* payload bytes the device received */
    COUNTER_DATAGRAMS_SENT,
    COUNTER_DATAGRAMS_RECEIVED,
    COUNTER_TCP_CONNECTS,    /* connections established by connect */
    COUNTER_TCP_ACCEPTS,     /* connections accepted */
    COUNTER_DNS_QUERIES,     /* DNS queries sent */
    /* faults applied, by kind (DESIGN §5 faults.udp.loss ...) */
    COUNTER_FAULTS_UDP_LOSS,     /* datagrams lost, either way */
    COUNTER_FAULTS_UDP_DUP,      /* datagrams doubled */
    COUNTER_FAULTS_UDP_REORDER,  /* datagrams held back */
    COUNTER_FAULTS_UDP_TRUNCATE, /* datagrams cut */
    COUNTER_FAULTS_TCP_CONNECT,  /* connects refused or left unanswered */
    COUNTER_FAULTS_TCP_RESET,    /* connections reset by tcp.reset_after_bytes */
    /* the tap link's wire (tap/wire.c) */
    COUNTER_FRAMES_OUT,              /* frames that left the wire toward the far side */
    COUNTER_FRAMES_IN,               /* frames that left the wire toward the device */
    COUNTER_FRAMES_DROPPED_CARRIER,  /* frames dropped while the carrier was off */
    COUNTER_FRAMES_DROPPED_QUEUE,    /* frames dropped because the wire's queue was full */
    COUNTER_FAULTS_FRAME_LOSS,       /* frames lost, either way */
    COUNTER_FAULTS_FRAME_DUP,        /* frames doubled */
    COUNTER_FAULTS_FRAME_CORRUPT,    /* frames with one bit flipped */
    COUNTER_FAULTS_FRAME_REORDER,    /* frames held back */
    COUNTER_COUNT
};

extern atomic_uint_fast64_t device_counters[COUNTER_COUNT];

static inline void counter_add(enum counter_id id, uint64_t n)
{
    atomic_fetch_add_explicit(&device_counters[id], n, memory_order_relaxed);
}

/* The counter of that name, or -1. */
int counter_find(const char *name);

void device_init(void);

/* Takes one socket of the pool (device.sockets); false when none is left. */
bool device_pool_take(void);
void device_pool_give(void);

/* The next socket ordinal (1 = first opened), as event logs name sockets. */
unsigned device_next_ordinal(void);

/* The cable (DESIGN §3 link down / up): while it is out nothing moves. */
bool device_link_down(void);
/* Pulls the cable out (up = false) or plugs it back: interfaces report DISCONNECTED,
 * then come back up by themselves (DHCP again). Logged. */
void device_set_link(bool up);

/* The link the device's sockets live on. */
const struct link_ops *device_link(void);

#endif /* NSEMU_DEVICE_H */
