/*
 * wire.c: the tap link's cable (DESIGN §3). Two threads, one per direction — "out"
 * moves frames from the device's TAP to the far side, "in" from the far side to the
 * device — each reading its end until the kernel says EAGAIN and only then polling it
 * (with the stop eventfd).
 *
 * With no frame fault active the wire runs in offload mode: both TAPs take
 * TUNSETOFFLOAD (checksum, TSO, USO), so the kernels hand over frames of up to 64 KB
 * with partial checksums, and the wire passes each one on with its virtio_net_hdr as it
 * came: one read and one write per frame. With any frame.* knob non-zero it runs in
 * per-frame mode: offloads off, so every frame is a real MTU-sized frame with complete
 * checksums, and each one meets the faults — loss, dup, corrupt and reorder drawn from
 * the direction's own PRNG stream, delay, jitter and rate through a FIFO queue. A frame
 * the kernel had already offloaded before the switch (GSO, or a partial checksum) is
 * still passed on, through the queue, but no random fault hits it: it is not a real
 * frame. Every frame that leaves the wire goes to the capture (pcap_writer.c).
 *
 * Each thread owns its direction's state (buffer, queue, held frame, PRNG); what the
 * two share is atomic (mode, carrier, counters) or locked (the capture).
 */
#include "tap.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "common.h"
#include "config.h"
#include "device.h"
#include "eventlog.h"
#include "knobs.h"
#include "pcap_writer.h"
#include "prng.h"

/* Older kernel headers lack UDP segmentation offload (Linux 6.2). */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

#define VNET_LEN     sizeof(struct virtio_net_hdr)
#define ETH_LEN      14
#define FRAME_MAX    (65536 + 64) /* a GSO frame: 64 KB of IP and its Ethernet header */
#define BUF_LEN      (VNET_LEN + FRAME_MAX)
#define QUEUE_FRAMES 1000         /* what a direction's queue holds at most ... */
#define QUEUE_BYTES  (4u << 20)   /* ... and in bytes; beyond either, frames drop */
#define RING_LEN     (QUEUE_BYTES + 2 * BUF_LEN) /* room for the gap a wrap leaves */
#define HOLD_NS      10000000u    /* frame.reorder holds at most 10 ms, like udp.reorder */
#define NS_PER_MS    1000000u

enum { DIR_OUT, DIR_IN, DIR_COUNT };

/* A frame on its way: where it sits (its virtio_net_hdr first) and what befalls it. */
struct frame {
    size_t off, len; /* in the queue's ring; len counts the virtio_net_hdr */
    uint64_t due_ns; /* when it leaves the wire */
    long corrupt_bit; /* the bit flipped, counted from the IP header's first; -1: none */
    bool dup, reorder;
};

/* Frames waiting for their time (delay, jitter, rate), oldest first. Their bytes sit in
 * one ring; a frame never wraps around its end, it starts over at 0 instead. */
struct queue {
    uint8_t *ring;
    size_t head, tail; /* the oldest frame's offset, and where free space starts */
    size_t bytes;      /* bytes of the frames queued */
    struct frame frames[QUEUE_FRAMES];
    unsigned first, count;
    uint64_t link_free_ns; /* frame.rate_kbps: when the last frame is fully sent */
    uint64_t last_due_ns;  /* frames never overtake each other */
};

struct direction {
    const char *name; /* "out" (device → far side) or "in" */
    const struct wire_port *from, *to;
    enum counter_id counter; /* frames.out or frames.in */
    pthread_t thread;
    bool running;
    int kick_fd; /* readable when the mode changed: queued frames may leave now */
    struct prng prng;
    uint8_t *buf; /* the frame being read */
    struct queue queue;
    uint8_t *held;           /* the frame frame.reorder holds back ... */
    struct frame held_frame; /* ... (len 0: none) */
    uint64_t held_since_ns;
};

static struct {
    struct wire_port dev, far;
    struct direction dirs[DIR_COUNT];
    struct pcap_writer *_Atomic capture; /* NULL: no capture */
    int stop_fd;                 /* readable once wire_stop was called */
    unsigned offloads;           /* TUNSETOFFLOAD flags of offload mode */
    pthread_mutex_t mode_lock;   /* serializes mode switches */
    atomic_bool started, stopping, per_frame, carrier_off;
} wire = {.stop_fd = -1, .mode_lock = PTHREAD_MUTEX_INITIALIZER};

static const enum knob_id frame_knobs[] = {
    KNOB_FRAME_LOSS,     KNOB_FRAME_DUP,       KNOB_FRAME_CORRUPT,    KNOB_FRAME_REORDER,
    KNOB_FRAME_DELAY_MS, KNOB_FRAME_JITTER_MS, KNOB_FRAME_RATE_KBPS,
};

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool relaxed_load(atomic_bool *b)
{
    return atomic_load_explicit(b, memory_order_relaxed);
}

/* ---- the two ends ---------------------------------------------------------------- */

/* Reads one frame into buf, behind a virtio_net_hdr (a zeroed one from a NIC). Its
 * length, or -1 with errno (EAGAIN: nothing there now). */
static ssize_t port_read(const struct wire_port *p, uint8_t *buf)
{
    struct pcap_pkthdr *h;
    const u_char *data;
    size_t n;
    int r;

    if (p->pcap == NULL)
        return read(p->fd, buf, BUF_LEN);
    r = pcap_next_ex(p->pcap, &h, &data);
    if (r <= 0) {
        errno = r == 0 ? EAGAIN : EIO;
        return -1;
    }
    n = h->caplen < FRAME_MAX ? h->caplen : FRAME_MAX;
    memset(buf, 0, VNET_LEN);
    memcpy(buf + VNET_LEN, data, n);
    return (ssize_t)(VNET_LEN + n);
}

/* Writes one frame (virtio_net_hdr first) to p; a silent wire swallows it. False when
 * it did not leave: such a frame is neither counted nor captured. */
static bool port_write(const struct wire_port *p, const uint8_t *frame, size_t len)
{
    if (p->fd < 0)
        return true;
    if (p->pcap != NULL)
        return pcap_inject(p->pcap, frame + VNET_LEN, len - VNET_LEN) >= 0;
    return write(p->fd, frame, len) == (ssize_t)len;
}

static void taps_ioctl(unsigned long request, unsigned long arg)
{
    if (wire.dev.tap)
        ioctl(wire.dev.fd, request, arg);
    if (wire.far.tap && wire.far.fd >= 0)
        ioctl(wire.far.fd, request, arg);
}

/* The offloads both TAPs accept: with UDP segmentation where the kernel has it. */
static unsigned probe_offloads(void)
{
    unsigned full = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;

    if (ioctl(wire.dev.fd, TUNSETOFFLOAD, full | TUN_F_USO4 | TUN_F_USO6) == 0)
        return full | TUN_F_USO4 | TUN_F_USO6;
    return full;
}

/* ---- leaving the wire -------------------------------------------------------------- */

/* Sends one copy of a frame on and records it. faults: the side file's lines for it.
 * With a capture, both happen under its hold: otherwise the other direction could record
 * the answer to this frame before this frame itself (a SYN-ACK before its SYN). */
static void wire_emit(struct direction *d, uint8_t *frame, size_t len, const char *faults)
{
    const struct virtio_net_hdr *h = (const struct virtio_net_hdr *)frame;

    if (wire.capture == NULL) {
        if (port_write(d->to, frame, len))
            counter_add(d->counter, 1);
        return;
    }
    pcap_writer_hold(wire.capture);
    if (port_write(d->to, frame, len)) {
        counter_add(d->counter, 1);
        /* The copy has gone: the checksum can be completed in place for the capture. */
        if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
            pcap_complete_csum(frame + VNET_LEN, len - VNET_LEN, h->csum_start,
                               h->csum_offset);
        pcap_writer_frame_held(wire.capture, frame + VNET_LEN, len - VNET_LEN, faults);
    }
    pcap_writer_release(wire.capture);
}

/* Sends a frame that met the faults: its copies, their lines in the event log and the
 * side file. held_ms >= 0 for a frame frame.reorder held back. */
static void wire_send_faulted(struct direction *d, uint8_t *data, const struct frame *f,
                              long held_ms)
{
    size_t len = f->len - VNET_LEN;
    char lines[160];
    int n = 0;

    lines[0] = '\0';
    if (f->corrupt_bit >= 0) {
        eventlog("wire %s frame.corrupt flip bit=%ld len=%zu", d->name, f->corrupt_bit, len);
        counter_add(COUNTER_FAULTS_FRAME_CORRUPT, 1);
        n += snprintf(lines + n, sizeof(lines) - (size_t)n, "frame.corrupt bit=%ld dir=%s\n",
                      f->corrupt_bit, d->name);
    }
    if (held_ms >= 0)
        n += snprintf(lines + n, sizeof(lines) - (size_t)n, "frame.reorder held_ms=%ld dir=%s\n",
                      held_ms, d->name);
    if (n > 0)
        lines[n - 1] = '\0';
    wire_emit(d, data, f->len, n > 0 ? lines : NULL);
    if (!f->dup)
        return;
    eventlog("wire %s frame.dup dup len=%zu", d->name, len);
    counter_add(COUNTER_FAULTS_FRAME_DUP, 1);
    snprintf(lines, sizeof(lines), "frame.dup dir=%s", d->name);
    wire_emit(d, data, f->len, lines);
}

static void wire_log_drop(struct direction *d, const char *what, size_t len)
{
    char details[96];

    eventlog("wire %s %s drop len=%zu", d->name, what, len);
    if (wire.capture == NULL)
        return;
    snprintf(details, sizeof(details), "%s len=%zu dir=%s", what, len, d->name);
    pcap_writer_drop(wire.capture, details);
}

static void wire_release_held(struct direction *d, uint64_t now)
{
    long held_ms = (long)((now - d->held_since_ns) / NS_PER_MS);

    if (relaxed_load(&wire.carrier_off)) {
        /* Its hold is in the log: its end must be too, in both the log and .faults. */
        counter_add(COUNTER_FRAMES_DROPPED_CARRIER, 1);
        wire_log_drop(d, "frame.reorder", d->held_frame.len - VNET_LEN);
    } else {
        wire_send_faulted(d, d->held, &d->held_frame, held_ms);
    }
    d->held_frame.len = 0;
}

/* A frame's time has come: it leaves, unless frame.reorder holds it back until the
 * next one has left (or HOLD_NS passed). At most one frame is held at a time. */
static void wire_depart(struct direction *d, uint8_t *data, const struct frame *f, uint64_t now)
{
    if (relaxed_load(&wire.carrier_off)) {
        counter_add(COUNTER_FRAMES_DROPPED_CARRIER, 1);
        return;
    }
    if (f->reorder && d->held_frame.len == 0) {
        memcpy(d->held, data, f->len);
        d->held_frame = *f;
        d->held_since_ns = now;
        eventlog("wire %s frame.reorder hold len=%zu", d->name, f->len - VNET_LEN);
        counter_add(COUNTER_FAULTS_FRAME_REORDER, 1);
        return;
    }
    wire_send_faulted(d, data, f, -1);
    if (d->held_frame.len != 0)
        wire_release_held(d, now);
}

/* ---- the queue ------------------------------------------------------------------- */

static bool queue_full(const struct queue *q, size_t len)
{
    return q->count == QUEUE_FRAMES || q->bytes + len > QUEUE_BYTES;
}

/* Copies a frame in; the caller checked queue_full. A frame that would pass the ring's
 * end starts over at 0, where there is room: the queue holds at most QUEUE_BYTES, and
 * the gap a wrap leaves is smaller than one frame. */
static void queue_push(struct queue *q, const uint8_t *data, struct frame *f)
{
    if (q->tail >= q->head && q->tail + f->len > RING_LEN)
        q->tail = 0;
    memcpy(q->ring + q->tail, data, f->len);
    f->off = q->tail;
    q->tail += f->len;
    q->bytes += f->len;
    q->frames[(q->first + q->count) % QUEUE_FRAMES] = *f;
    q->count++;
}

static void queue_pop(struct queue *q)
{
    q->bytes -= q->frames[q->first].len;
    q->first = (q->first + 1) % QUEUE_FRAMES;
    q->count--;
    q->head = q->count > 0 ? q->frames[q->first].off : 0;
    if (q->count == 0)
        q->tail = 0;
}

/* Sends every frame whose time has come, and a held frame whose hold ran out. Once the
 * last frame fault is gone (offload mode), every queued frame's time has come. */
static void wire_release_due(struct direction *d)
{
    struct queue *q = &d->queue;
    uint64_t now = mono_ns();
    bool all = !relaxed_load(&wire.per_frame);

    while (q->count > 0 && (all || q->frames[q->first].due_ns <= now)) {
        const struct frame *f = &q->frames[q->first];

        wire_depart(d, q->ring + f->off, f, now);
        queue_pop(q);
    }
    if (d->held_frame.len != 0 && now - d->held_since_ns >= HOLD_NS)
        wire_release_held(d, now);
}

/* Nanoseconds until the next frame is due (0: now), or -1 when nothing waits. */
static int64_t wire_next_due(const struct direction *d)
{
    uint64_t now = mono_ns(), next = UINT64_MAX;

    if (d->queue.count > 0)
        next = relaxed_load(&wire.per_frame) ? d->queue.frames[d->queue.first].due_ns : now;
    if (d->held_frame.len != 0 && d->held_since_ns + HOLD_NS < next)
        next = d->held_since_ns + HOLD_NS;
    if (next == UINT64_MAX)
        return -1;
    return next > now ? (int64_t)(next - now) : 0;
}

/* ---- arriving on the wire ---------------------------------------------------------- */

/* A frame the kernel offloaded (GSO, or a partial checksum): no random fault hits it. */
static bool offloaded(const uint8_t *data)
{
    const struct virtio_net_hdr *h = (const struct virtio_net_hdr *)data;

    return h->gso_type != VIRTIO_NET_HDR_GSO_NONE || (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
}

/* The length of the IP packet a frame carries, without the padding a short Ethernet
 * frame has (a NIC pads to 60 bytes); 0 when it carries none. */
static size_t ip_packet_len(const uint8_t *data, size_t len)
{
    const uint8_t *eth = data + VNET_LEN, *ip = eth + ETH_LEN;
    size_t room = len > VNET_LEN + ETH_LEN ? len - VNET_LEN - ETH_LEN : 0, n = 0;

    if (room >= 20 && eth[12] == 0x08 && eth[13] == 0x00)
        n = (size_t)get16(ip + 2);
    else if (room >= 40 && eth[12] == 0x86 && eth[13] == 0xdd)
        n = 40 + (size_t)get16(ip + 4);
    return n < room ? n : room;
}

/* Draws loss, dup, corrupt and reorder for a frame, in that order, from the direction's
 * stream, and flips the bit. False when the frame is lost.
 *
 * A frame from a TAP that keeps its bits is marked VIRTIO_NET_HDR_F_DATA_VALID: its
 * checksums were just computed by the sending kernel (offloads are off), so the
 * receiving kernel need not verify them again — which would cost it a quarter of the
 * wire thread's time. A corrupted frame goes without the mark, and its receiver's
 * checksum check catches it. */
static bool wire_draw_faults(struct direction *d, uint8_t *data, struct frame *f)
{
    struct virtio_net_hdr *h = (struct virtio_net_hdr *)data;
    size_t len = f->len - VNET_LEN, ip_len;

    if (prng_chance(&d->prng, knob_int(KNOB_FRAME_LOSS))) {
        counter_add(COUNTER_FAULTS_FRAME_LOSS, 1);
        wire_log_drop(d, "frame.loss", len);
        return false;
    }
    f->dup = prng_chance(&d->prng, knob_int(KNOB_FRAME_DUP));
    ip_len = ip_packet_len(data, f->len);
    if (ip_len > 0 && prng_chance(&d->prng, knob_int(KNOB_FRAME_CORRUPT))) {
        f->corrupt_bit = (long)prng_below(&d->prng, ip_len * 8); /* the IP packet's bits */
        data[VNET_LEN + ETH_LEN + (size_t)f->corrupt_bit / 8] ^= 0x80 >> (f->corrupt_bit % 8);
        h->flags &= (uint8_t)~VIRTIO_NET_HDR_F_DATA_VALID; /* the receiver must check */
    } else if (d->from->tap) {
        h->flags |= VIRTIO_NET_HDR_F_DATA_VALID;
    }
    f->reorder = prng_chance(&d->prng, knob_int(KNOB_FRAME_REORDER));
    return true;
}

/* When a frame arriving now leaves: after the frames before it have been sent at
 * frame.rate_kbps (counting Ethernet bytes), plus frame.delay_ms and up to
 * frame.jitter_ms; never before the frame ahead of it. */
static uint64_t wire_due(struct direction *d, const struct frame *f, uint64_t now)
{
    struct queue *q = &d->queue;
    long rate = knob_int(KNOB_FRAME_RATE_KBPS), jitter = knob_int(KNOB_FRAME_JITTER_MS);
    uint64_t due = now;

    if (rate > 0) {
        uint64_t start = q->link_free_ns > now ? q->link_free_ns : now;

        q->link_free_ns = start + (f->len - VNET_LEN) * 8 * 1000000u / (uint64_t)rate;
        due = q->link_free_ns;
    }
    due += (uint64_t)knob_int(KNOB_FRAME_DELAY_MS) * NS_PER_MS;
    if (jitter > 0)
        due += prng_below(&d->prng, (uint64_t)jitter * 1000 + 1) * 1000; /* microseconds */
    if (due < q->last_due_ns)
        due = q->last_due_ns;
    q->last_due_ns = due;
    return due;
}

/* A frame has arrived in d->buf. */
static void wire_take(struct direction *d, size_t len)
{
    struct frame f = {.len = len, .corrupt_bit = -1};
    bool per_frame = relaxed_load(&wire.per_frame);
    uint64_t now;

    if (relaxed_load(&wire.carrier_off)) {
        counter_add(COUNTER_FRAMES_DROPPED_CARRIER, 1);
        return;
    }
    if (!per_frame && d->queue.count == 0 && d->held_frame.len == 0) {
        wire_emit(d, d->buf, len, NULL); /* offload mode: the fast path */
        return;
    }
    if (per_frame && !offloaded(d->buf) && !wire_draw_faults(d, d->buf, &f))
        return;
    if (queue_full(&d->queue, len)) {
        counter_add(COUNTER_FRAMES_DROPPED_QUEUE, 1);
        wire_log_drop(d, "queue.full", len - VNET_LEN);
        return;
    }
    now = mono_ns();
    if (per_frame)
        f.due_ns = wire_due(d, &f, now); /* else 0: only queued to keep the order */
    if (f.due_ns <= now && d->queue.count == 0)
        wire_depart(d, d->buf, &f, now);
    else
        queue_push(&d->queue, d->buf, &f);
}

/* ---- the threads ------------------------------------------------------------------- */

/* Nothing to read: sends what is due and waits for a frame, the next due time, a mode
 * switch or the stop. False when the thread should end (stop, or its end of the wire is
 * gone). */
static bool wire_wait(struct direction *d)
{
    struct pollfd fds[3] = {{.fd = d->from->fd, .events = POLLIN},
                            {.fd = wire.stop_fd, .events = POLLIN},
                            {.fd = d->kick_fd, .events = POLLIN}};
    struct timespec ts, *timeout = NULL;
    eventfd_t kicks;
    int64_t next;

    wire_release_due(d);
    if (wire.capture != NULL)
        pcap_writer_idle(wire.capture);
    next = wire_next_due(d);
    if (next >= 0) {
        ts.tv_sec = next / 1000000000;
        ts.tv_nsec = next % 1000000000;
        timeout = &ts;
    }
    if (ppoll(fds, 3, timeout, NULL) < 0)
        return errno == EINTR;
    if (fds[2].revents != 0)
        eventfd_read(d->kick_fd, &kicks); /* clears it; the loop releases the queue */
    return fds[1].revents == 0 && !(fds[0].revents & (POLLERR | POLLHUP | POLLNVAL));
}

static void *wire_run(void *arg)
{
    struct direction *d = arg;

    while (!relaxed_load(&wire.stopping)) {
        ssize_t n = port_read(d->from, d->buf);

        if (n > (ssize_t)VNET_LEN) {
            wire_take(d, (size_t)n);
            if (d->queue.count > 0 || d->held_frame.len != 0)
                wire_release_due(d);
        } else if ((n >= 0 || errno != EINTR) && !wire_wait(d)) {
            break;
        }
    }
    return NULL;
}

static int direction_init(struct direction *d, int index, const struct wire_port *from,
                          const struct wire_port *to)
{
    d->name = index == DIR_OUT ? "out" : "in";
    d->from = from;
    d->to = to;
    d->counter = index == DIR_OUT ? COUNTER_FRAMES_OUT : COUNTER_FRAMES_IN;
    prng_init(&d->prng, config_get()->seed, "wire", (uint64_t)index);
    d->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (d->kick_fd < 0)
        return -errno;
    d->buf = malloc(BUF_LEN);
    d->held = malloc(BUF_LEN);
    d->queue.ring = malloc(RING_LEN);
    if (d->buf == NULL || d->held == NULL || d->queue.ring == NULL)
        return -ENOMEM;
    return 0;
}

static int direction_start(struct direction *d)
{
    int err = nsemu_thread_start(&d->thread, wire_run, d, false);

    if (err != 0)
        return -err;
    pthread_setname_np(d->thread, d->name[0] == 'o' ? "nsemu-wire-out" : "nsemu-wire-in");
    d->running = true;
    return 0;
}

/* ---- the link's calls -------------------------------------------------------------- */

/* Per-frame mode when a frame fault is active, or always with a NIC at the far end
 * (pcap has no offloads). Called with mode_lock held. */
static void wire_apply_mode(bool force)
{
    bool per_frame = wire.far.pcap != NULL;

    for (size_t i = 0; i < sizeof(frame_knobs) / sizeof(frame_knobs[0]); i++)
        per_frame |= knob_int(frame_knobs[i]) != 0;
    if (!force && per_frame == atomic_load(&wire.per_frame))
        return;
    /* Offloaded frames still in flight are told apart per frame (offloaded()), so the
     * order of the two steps does not matter. */
    taps_ioctl(TUNSETOFFLOAD, per_frame ? 0 : wire.offloads);
    atomic_store(&wire.per_frame, per_frame);
    eventlog("wire mode %s", per_frame ? "per-frame" : "offload");
    for (int i = 0; i < DIR_COUNT; i++)
        if (wire.dirs[i].running)
            eventfd_write(wire.dirs[i].kick_fd, 1);
}

/* fork() copies the capture's stdio buffers into the child, whose exit() would write
 * them into the file a second time. The parent flushes them before the fork, holding
 * the writer so no frame slips in between; the child keeps its hands off. */
static void fork_prepare(void)
{
    struct pcap_writer *w = atomic_load(&wire.capture);

    if (w != NULL)
        pcap_writer_hold_flushed(w);
}

static void fork_parent(void)
{
    struct pcap_writer *w = atomic_load(&wire.capture);

    if (w != NULL)
        pcap_writer_release(w);
}

static void fork_child(void)
{
    struct pcap_writer *w = atomic_exchange(&wire.capture, NULL);

    if (w != NULL)
        pcap_writer_release(w); /* and forgotten: the parent's, not the child's */
}

int wire_start(const struct wire_port *dev, const struct wire_port *far, const char *pcap_path)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    int err;

    if (atomic_load(&wire.started))
        return -EALREADY;
    wire.dev = *dev;
    wire.far = *far;
    wire.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wire.stop_fd < 0)
        return -errno;
    if (pcap_path != NULL && pcap_path[0] != '\0') {
        struct pcap_writer *w = pcap_writer_open(pcap_path);

        if (w == NULL)
            return -errno;
        atomic_store(&wire.capture, w);
        pthread_atfork(fork_prepare, fork_parent, fork_child);
    }
    /* A NIC: nonblocking, and only what arrives (or the wire would read back what it
     * injected). */
    if (far->pcap != NULL && (pcap_setnonblock(far->pcap, 1, errbuf) < 0 ||
                              pcap_setdirection(far->pcap, PCAP_D_IN) < 0))
        return -EIO;
    wire.offloads = probe_offloads();
    pthread_mutex_lock(&wire.mode_lock);
    wire_apply_mode(true);
    atomic_store(&wire.started, true);
    pthread_mutex_unlock(&wire.mode_lock);

    err = direction_init(&wire.dirs[DIR_OUT], DIR_OUT, &wire.dev, &wire.far);
    if (err == 0 && wire.far.fd >= 0)
        err = direction_init(&wire.dirs[DIR_IN], DIR_IN, &wire.far, &wire.dev);
    if (err == 0)
        err = direction_start(&wire.dirs[DIR_OUT]);
    if (err == 0 && wire.far.fd >= 0)
        err = direction_start(&wire.dirs[DIR_IN]);
    return err;
}

void wire_knob_changed(int knob)
{
    bool ours = false;

    for (size_t i = 0; i < sizeof(frame_knobs) / sizeof(frame_knobs[0]); i++)
        ours |= knob == (int)frame_knobs[i];
    if (!ours || !atomic_load(&wire.started) || atomic_load(&wire.stopping))
        return;
    pthread_mutex_lock(&wire.mode_lock);
    wire_apply_mode(false);
    pthread_mutex_unlock(&wire.mode_lock);
}

void wire_flush(void)
{
    struct pcap_writer *w = atomic_load(&wire.capture);

    if (atomic_load(&wire.started) && w != NULL)
        pcap_writer_flush(w);
}

void wire_set_carrier(bool up)
{
    int carrier = up;

    if (!atomic_load(&wire.started) || atomic_load(&wire.stopping))
        return;
    atomic_store(&wire.carrier_off, !up);
    if (wire.dev.tap)
        ioctl(wire.dev.fd, TUNSETCARRIER, &carrier);
    if (wire.far.tap && wire.far.fd >= 0)
        ioctl(wire.far.fd, TUNSETCARRIER, &carrier);
    eventlog("wire carrier %s", up ? "on" : "off");
}

/* Waits up to a second for a thread: a wire thread only ever blocks in ppoll. */
static bool direction_join(struct direction *d)
{
    struct timespec until;

    if (!d->running)
        return true;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 1;
    return pthread_timedjoin_np(d->thread, NULL, &until) == 0;
}

void wire_stop(void)
{
    bool joined;

    if (!atomic_load(&wire.started) || atomic_exchange(&wire.stopping, true))
        return; /* never started, or another call is stopping it */
    if (wire.capture != NULL)
        pcap_writer_flush(wire.capture); /* first, in case this is a signal's last act */
    eventfd_write(wire.stop_fd, 1);
    joined = direction_join(&wire.dirs[DIR_OUT]);
    joined &= direction_join(&wire.dirs[DIR_IN]);
    if (wire.capture == NULL)
        return;
    if (!joined) {
        pcap_writer_flush(wire.capture); /* a thread may still hold it: only flush */
        return;
    }
    /* Out of sight first: a signal handled on another thread meanwhile must not flush
     * a writer being freed. */
    pcap_writer_close(atomic_exchange(&wire.capture, NULL));
}
