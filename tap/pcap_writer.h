/*
 * pcap_writer.h: the capture of the tap link's wire (DESIGN §3): a classic pcap file
 * (libpcap's pcap_open_dead + pcap_dump, Ethernet, snaplen 262144) of every frame as it
 * leaves the wire, and beside it the side file <pcap>.faults naming the frame each fault
 * hit. Both wire threads write through one writer; a lock keeps frame numbers in the
 * order of the file.
 */
#ifndef NSEMU_PCAP_WRITER_H
#define NSEMU_PCAP_WRITER_H

#include <stddef.h>
#include <stdint.h>

#define PCAP_WRITER_SNAPLEN 262144

struct pcap_writer;

/* Creates path and path.faults (truncating both). NULL with errno set on failure. */
struct pcap_writer *pcap_writer_open(const char *path);

/* Records one Ethernet frame, stamped with the real time, and returns its number in the
 * file (1 = first). faults is NULL or one or more lines ("frame.corrupt bit=12 dir=out",
 * separated by '\n', no final newline): each goes to the side file as "NUMBER LINE".
 * The caller holds the writer (pcap_writer_hold): the wire sends a frame on and records
 * it in one hold, so the file's order is the order frames left the wire in, across both
 * directions. */
void pcap_writer_hold(struct pcap_writer *w);
uint64_t pcap_writer_frame_held(struct pcap_writer *w, const uint8_t *frame, size_t len,
                                const char *faults);
void pcap_writer_release(struct pcap_writer *w);
/* Holds the writer with both files flushed (before a fork: see wire.c). */
void pcap_writer_hold_flushed(struct pcap_writer *w);

/* Writes "- drop t=SECONDS details" to the side file for a frame that never left the
 * wire. Thread-safe. */
void pcap_writer_drop(struct pcap_writer *w, const char *details);

/* Pushes both files to the kernel. Thread-safe; gives up at once (returning) when
 * another thread holds the writer, so a signal path cannot deadlock on it. */
void pcap_writer_flush(struct pcap_writer *w);

/* Flushes when frames were written since the last flush: the wire calls it whenever a
 * direction runs out of frames, so a capture read while the program runs (tshark -r,
 * a test) is at most one busy stretch behind, and a busy wire is not slowed by a
 * write per frame. Thread-safe. */
void pcap_writer_idle(struct pcap_writer *w);

/* Flushes and closes both files and frees w. No other thread may use w any more. */
void pcap_writer_close(struct pcap_writer *w);

/* Completes the TCP or UDP checksum of a frame the kernel handed over with
 * VIRTIO_NET_HDR_F_NEEDS_CSUM (checksum offload): the checksum field sits at
 * csum_start + csum_offset and covers everything from csum_start on. It is computed
 * afresh over the pseudo header with the frame's real length, which also fixes the
 * partial sums of GSO frames, whose pseudo header the kernel fills in differently.
 * Changes the frame in place. */
void pcap_complete_csum(uint8_t *frame, size_t len, uint16_t csum_start,
                        uint16_t csum_offset);

#endif /* NSEMU_PCAP_WRITER_H */
