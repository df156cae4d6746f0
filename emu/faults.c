/*
 * faults.c: the decisions of socket-level faults and their event-log lines. The socket
 * layer (sock.c) applies them; this file decides, from the knobs and the socket's PRNG
 * stream.
 */
#include "faults.h"

#include <stdio.h>

#include "addr.h"
#include "device.h"
#include "eventlog.h"
#include "knobs.h"
#include "sock.h"

void faults_format_peer(const struct sockaddr *sa, char *buf, size_t len)
{
    nsapi_addr_t a;
    uint16_t port;
    char ip[NSAPI_IP_SIZE];

    addr_from_sockaddr(sa, &a, &port);
    addr_format(&a, ip, sizeof(ip));
    snprintf(buf, len, a.version == NSAPI_IPv6 ? "[%s]:%u" : "%s:%u", ip, port);
}

void faults_udp(struct nsemu_socket *s, bool outgoing, size_t len,
                const struct sockaddr *peer, struct udp_fate *fate)
{
    long loss = knob_int(KNOB_UDP_LOSS), dup = knob_int(KNOB_UDP_DUP);
    long reorder = knob_int(KNOB_UDP_REORDER), truncate = knob_int(KNOB_UDP_TRUNCATE);
    const char *dir = outgoing ? "to" : "from";
    char where[64];

    fate->drop = fate->dup = fate->reorder = false;
    fate->len = len;
    if ((loss | dup | reorder | truncate) == 0)
        return; /* the common case: no draw, no lock */
    pthread_mutex_lock(&s->lock);
    fate->drop = prng_chance(&s->prng, loss);
    if (!fate->drop) {
        fate->dup = prng_chance(&s->prng, dup);
        fate->reorder = prng_chance(&s->prng, reorder);
        if (len > 0 && prng_chance(&s->prng, truncate))
            fate->len = (size_t)prng_below(&s->prng, len);
    }
    pthread_mutex_unlock(&s->lock);
    counter_add(COUNTER_FAULTS_UDP_LOSS, fate->drop);
    counter_add(COUNTER_FAULTS_UDP_DUP, fate->dup);
    counter_add(COUNTER_FAULTS_UDP_REORDER, fate->reorder);
    counter_add(COUNTER_FAULTS_UDP_TRUNCATE, fate->len != len);
    if (!eventlog_enabled())
        return;
    faults_format_peer(peer, where, sizeof(where));
    if (fate->drop)
        eventlog("sock=%u udp.loss drop len=%zu %s=%s", s->ordinal, len, dir, where);
    if (fate->dup)
        eventlog("sock=%u udp.dup dup len=%zu %s=%s", s->ordinal, len, dir, where);
    if (fate->reorder)
        eventlog("sock=%u udp.reorder hold len=%zu %s=%s", s->ordinal, len, dir, where);
    if (fate->len != len)
        eventlog("sock=%u udp.truncate cut len=%zu to_len=%zu %s=%s", s->ordinal, len,
                 fate->len, dir, where);
}

int faults_tcp_connect(struct nsemu_socket *s, const struct sockaddr *peer)
{
    long mode = knob_int(KNOB_TCP_CONNECT);
    char where[64];

    counter_add(COUNTER_FAULTS_TCP_CONNECT, mode != 0);
    if (mode != 0 && eventlog_enabled()) {
        faults_format_peer(peer, where, sizeof(where));
        eventlog("sock=%u tcp.connect %s to=%s", s->ordinal, mode == 1 ? "refuse" : "timeout",
                 where);
    }
    return (int)mode;
}

size_t faults_tcp_allow(struct nsemu_socket *s, bool sending, size_t size)
{
    long chunk = knob_int(sending ? KNOB_TCP_SEND_CHUNK : KNOB_TCP_RECV_CHUNK);
    long budget = knob_int(KNOB_TCP_RESET_AFTER_BYTES);

    if (chunk > 0 && size > (size_t)chunk)
        size = (size_t)chunk;
    if (budget > 0) {
        long long used = atomic_load(&s->tcp_bytes);
        size_t left = used >= budget ? 0 : (size_t)(budget - used);

        if (size > left)
            size = left;
    }
    return size;
}

void faults_knob_changed(int knob)
{
    const struct link_ops *link = device_link();

    if ((knob_defs[knob].flags & KNOB_RANDOM) && knob_int(knob) != 0)
        eventlog_random_fault_active();
    if (link != NULL && link->knob_changed != NULL)
        link->knob_changed(knob); /* the tap link's wire switches modes */
}
