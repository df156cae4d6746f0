/*
 * device.c: the device's socket pool, socket ordinals and counters. All state is
 * atomic: any thread may open and close sockets.
 */
#include "device.h"

#include <string.h>

#include "config.h"
#include "eventlog.h"
#include "knobs.h"
#include "netif.h"
#include "sock.h"

atomic_uint_fast64_t device_counters[COUNTER_COUNT];

static const char *const counter_names[COUNTER_COUNT] = {
    [COUNTER_SOCKETS_OPEN] = "sockets.open",
    [COUNTER_SOCKETS_OPENED] = "sockets.opened",
    [COUNTER_BYTES_SENT] = "bytes.sent",
    [COUNTER_BYTES_RECEIVED] = "bytes.received",
    [COUNTER_DATAGRAMS_SENT] = "datagrams.sent",
    [COUNTER_DATAGRAMS_RECEIVED] = "datagrams.received",
    [COUNTER_TCP_CONNECTS] = "tcp.connects",
    [COUNTER_TCP_ACCEPTS] = "tcp.accepts",
    [COUNTER_DNS_QUERIES] = "dns.queries",
    [COUNTER_FAULTS_UDP_LOSS] = "faults.udp.loss",
    [COUNTER_FAULTS_UDP_DUP] = "faults.udp.dup",
    [COUNTER_FAULTS_UDP_REORDER] = "faults.udp.reorder",
    [COUNTER_FAULTS_UDP_TRUNCATE] = "faults.udp.truncate",
    [COUNTER_FAULTS_TCP_CONNECT] = "faults.tcp.connect",
    [COUNTER_FAULTS_TCP_RESET] = "faults.tcp.reset_after_bytes",
    [COUNTER_FRAMES_OUT] = "frames.out",
    [COUNTER_FRAMES_IN] = "frames.in",
    [COUNTER_FRAMES_DROPPED_CARRIER] = "frames.dropped.carrier",
    [COUNTER_FRAMES_DROPPED_QUEUE] = "frames.dropped.queue",
    [COUNTER_FAULTS_FRAME_LOSS] = "faults.frame.loss",
    [COUNTER_FAULTS_FRAME_DUP] = "faults.frame.dup",
    [COUNTER_FAULTS_FRAME_CORRUPT] = "faults.frame.corrupt",
    [COUNTER_FAULTS_FRAME_REORDER] = "faults.frame.reorder",
};

static atomic_uint ordinals;
static atomic_bool link_down;
static const struct link_ops *the_link;

int counter_find(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < COUNTER_COUNT; i++)
        if (strcmp(counter_names[i], name) == 0)
            return i;
    return -1;
}

void device_init(void)
{
    the_link = config_get()->link == CONFIG_LINK_TAP ? &tap_link : &host_link;
    if (the_link->start != NULL)
        the_link->start();
}

bool device_pool_take(void)
{
    uint_fast64_t open = atomic_load(&device_counters[COUNTER_SOCKETS_OPEN]);
    uint_fast64_t limit = (uint_fast64_t)knob_int(KNOB_DEVICE_SOCKETS);

    do {
        if (open >= limit)
            return false;
    } while (!atomic_compare_exchange_weak(&device_counters[COUNTER_SOCKETS_OPEN], &open,
                                           open + 1));
    counter_add(COUNTER_SOCKETS_OPENED, 1);
    return true;
}

void device_pool_give(void)
{
    atomic_fetch_sub(&device_counters[COUNTER_SOCKETS_OPEN], 1);
}

unsigned device_next_ordinal(void)
{
    return atomic_fetch_add(&ordinals, 1) + 1;
}

const struct link_ops *device_link(void)
{
    return the_link;
}

bool device_link_down(void)
{
    return atomic_load_explicit(&link_down, memory_order_relaxed);
}

void device_set_link(bool up)
{
    if (atomic_exchange(&link_down, !up) == !up)
        return; /* no change */
    eventlog("link %s", up ? "up" : "down");
    if (the_link->carrier != NULL)
        the_link->carrier(up);
    sock_link_changed(up);
    netif_link_changed(up);
}
