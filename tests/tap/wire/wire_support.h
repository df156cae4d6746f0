/*
 * wire_support.h: helpers of the wire's tests (suite tap): a byte-exact TCP echo of many
 * megabytes between the device and an echo server in the peer namespace, the
 * counters, the event log (NSEMU_LOG), the capture (NSEMU_PCAP and its .faults file)
 * read back with tshark. Every executable runs on the tap link with [tap] far = peer.
 */
#ifndef NSEMU_WIRE_SUPPORT_H
#define NSEMU_WIRE_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_ECHO_PORT 7001 /* TCP echo in the peer namespace */
#define WIRE_UDP_PORT  7002 /* UDP echo */

/* Starts the echo servers in the peer namespace and brings the device up with its
 * static address (10.0.2.15/24). */
void wire_setup(void);

/* Sends bytes of a pattern to the TCP echo and checks every byte that comes back.
 * pace_ms > 0 sleeps that long after each 64 KB, to spread the transfer over time.
 * Fails the test on any error. */
void wire_tcp_echo(size_t bytes, int pace_ms);

/* One UDP datagram of len bytes echoed; tries up to tries times (frames may be lost).
 * True once one came back intact. */
bool wire_udp_echo(size_t len, int tries);

uint64_t wire_counter(const char *name);

/* Lines of the event log, and of the capture's .faults file, that contain needle. */
int wire_log_count(const char *needle);
int wire_faults_count(const char *needle);

/* Stops the wire, which flushes and closes the capture: call once the traffic is over. */
void wire_finish(void);

/* A display filter for frames with a bad checksum. A TCP checksum of 0xffff where 0
 * was due is the kernel's (skb_checksum_help writes CSUM_MANGLED_0), which receivers
 * accept and Wireshark flags (RFC 1624): not counted as bad. */
#define WIRE_BAD_CHECKSUM                                                                   \
    "ip.checksum.status == 0 || (tcp.checksum.status == 0 && tcp.checksum != 0xffff) || " \
    "udp.checksum.status == 0"

/* Frames in the capture that tshark shows with filter (a display filter; "" for all),
 * checksums checked. */
int wire_tshark_count(const char *filter);

/* The frame numbers tshark shows with filter, into out (at most max); how many. */
int wire_tshark_frames(const char *filter, uint64_t *out, int max);

#endif /* NSEMU_WIRE_SUPPORT_H */
