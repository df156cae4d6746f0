/*
 * pcap_writer.c: the wire's capture (see pcap_writer.h). Frames go to a libpcap
 * dumper, fault lines to a stdio file; one mutex covers both, so a frame's number, its
 * place in the pcap and its lines in the side file agree. Called from both wire
 * threads; stdio buffers the writes and pcap_writer_flush pushes them out.
 */
#include "pcap_writer.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "eventlog.h"
#include "inet_csum.h"

struct pcap_writer {
    pthread_mutex_t lock;
    pcap_t *dead; /* the link type and snaplen the dumper writes */
    pcap_dumper_t *dumper;
    FILE *faults;
    uint64_t frames;  /* frames written so far */
    uint64_t flushed; /* frames pushed to the kernel so far */
};

struct pcap_writer *pcap_writer_open(const char *path)
{
    struct pcap_writer *w = calloc(1, sizeof(*w));
    char side[4096];
    int err = ENOMEM;

    if (w == NULL)
        goto fail;
    if ((size_t)snprintf(side, sizeof(side), "%s.faults", path) >= sizeof(side)) {
        err = ENAMETOOLONG;
        goto fail_free;
    }
    w->dead = pcap_open_dead(DLT_EN10MB, PCAP_WRITER_SNAPLEN);
    if (w->dead == NULL)
        goto fail_free;
    errno = 0;
    w->dumper = pcap_dump_open(w->dead, path);
    if (w->dumper == NULL) {
        err = errno != 0 ? errno : EIO; /* fopen's reason, when that is what failed */
        goto fail_dead;
    }
    w->faults = fopen(side, "we");
    if (w->faults == NULL) {
        err = errno;
        goto fail_dumper;
    }
    pthread_mutex_init(&w->lock, NULL);
    return w;

fail_dumper:
    pcap_dump_close(w->dumper);
fail_dead:
    pcap_close(w->dead);
fail_free:
    free(w);
fail:
    errno = err;
    return NULL;
}

/* One "NUMBER LINE" per line of faults. */
static void write_fault_lines(FILE *f, uint64_t number, const char *faults)
{
    while (*faults != '\0') {
        size_t n = strcspn(faults, "\n");

        fprintf(f, "%llu %.*s\n", (unsigned long long)number, (int)n, faults);
        faults += n;
        if (*faults == '\n')
            faults++;
    }
}

void pcap_writer_hold(struct pcap_writer *w)
{
    pthread_mutex_lock(&w->lock);
}

void pcap_writer_release(struct pcap_writer *w)
{
    pthread_mutex_unlock(&w->lock);
}

uint64_t pcap_writer_frame_held(struct pcap_writer *w, const uint8_t *frame, size_t len,
                                const char *faults)
{
    struct pcap_pkthdr h;
    uint64_t number = w->frames + 1;

    gettimeofday(&h.ts, NULL);
    h.len = (bpf_u_int32)len;
    h.caplen = (bpf_u_int32)(len < PCAP_WRITER_SNAPLEN ? len : PCAP_WRITER_SNAPLEN);
    __atomic_store_n(&w->frames, number, __ATOMIC_RELAXED);
    pcap_dump((u_char *)w->dumper, &h, frame);
    if (faults != NULL)
        write_fault_lines(w->faults, number, faults);
    return number;
}

void pcap_writer_drop(struct pcap_writer *w, const char *details)
{
    double t = eventlog_now();

    pthread_mutex_lock(&w->lock);
    fprintf(w->faults, "- drop t=%.6f %s\n", t, details);
    pthread_mutex_unlock(&w->lock);
}

static void flush_held(struct pcap_writer *w)
{
    pcap_dump_flush(w->dumper);
    fflush(w->faults);
    __atomic_store_n(&w->flushed, w->frames, __ATOMIC_RELAXED);
}

void pcap_writer_flush(struct pcap_writer *w)
{
    if (pthread_mutex_trylock(&w->lock) != 0)
        return;
    flush_held(w);
    pthread_mutex_unlock(&w->lock);
}

void pcap_writer_hold_flushed(struct pcap_writer *w)
{
    pthread_mutex_lock(&w->lock);
    flush_held(w);
}

void pcap_writer_idle(struct pcap_writer *w)
{
    /* A racy look is enough: a frame written meanwhile is flushed by its own thread's
     * next idle moment. */
    if (__atomic_load_n(&w->flushed, __ATOMIC_RELAXED) !=
        __atomic_load_n(&w->frames, __ATOMIC_RELAXED))
        pcap_writer_flush(w);
}

void pcap_writer_close(struct pcap_writer *w)
{
    pcap_dump_close(w->dumper);
    pcap_close(w->dead);
    fclose(w->faults);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

/* ---- checksums ------------------------------------------------------------------ */

/* Where the frame's addresses and protocol are, when its transport header starts at
 * l4 right after a plain IPv4 or IPv6 header; false otherwise (VLAN tags, IPv6
 * extension headers: those get the sum a NIC would compute). */
static bool ip_fields(const uint8_t *frame, size_t len, size_t l4, const uint8_t **src,
                      const uint8_t **dst, size_t *alen, uint8_t *proto)
{
    uint16_t type;

    if (len < 14 + 40)
        return false;
    type = (uint16_t)(frame[12] << 8 | frame[13]);
    if (type == 0x0800 && l4 == 14 + (size_t)(frame[14] & 0x0f) * 4) {
        *src = frame + 14 + 12;
        *dst = frame + 14 + 16;
        *alen = 4;
        *proto = frame[14 + 9];
        return true;
    }
    if (type == 0x86dd && l4 == 14 + 40) {
        *src = frame + 14 + 8;
        *dst = frame + 14 + 24;
        *alen = 16;
        *proto = frame[14 + 6];
        return true;
    }
    return false;
}

void pcap_complete_csum(uint8_t *frame, size_t len, uint16_t csum_start,
                        uint16_t csum_offset)
{
    size_t field = (size_t)csum_start + csum_offset;
    const uint8_t *src, *dst;
    size_t alen;
    uint8_t proto = 0;
    uint64_t sum;
    uint16_t check;

    if (field + 2 > len)
        return; /* not a frame the kernel would have made: leave it as it came */
    if (ip_fields(frame, len, csum_start, &src, &dst, &alen, &proto) &&
        (proto == 6 || proto == 17)) {
        memset(frame + field, 0, 2);
        sum = inet_pseudo_sum(src, dst, alen, proto, len - csum_start);
    } else {
        proto = 0;
        sum = 0; /* the field holds the kernel's pseudo header sum: a NIC adds it in */
    }
    check = inet_checksum(inet_sum(frame + csum_start, len - csum_start, sum));
    if (check == 0 && proto == 17)
        check = 0xffff; /* UDP: zero means "no checksum" (RFC 768) */
    memcpy(frame + field, &check, 2);
}
