/*
 * inet_csum.h: the Internet checksum (RFC 1071) of IP, UDP and TCP, shared by the
 * DHCP codec (building and checking its IPv4 + UDP headers) and the capture (completing
 * the checksums offloaded frames leave partial). Sums are kept in native byte order, 32
 * bits at a time into 64; folded and stored natively they are the checksum whatever the
 * host's byte order.
 */
#ifndef NSEMU_INET_CSUM_H
#define NSEMU_INET_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Adds len bytes at p to sum. */
uint64_t inet_sum(const void *p, size_t len, uint64_t sum);

/* Folds sum to 16 bits (not inverted): 0xffff for data whose checksum is right. */
uint16_t inet_fold(uint64_t sum);

/* The checksum field's value for data summing to sum: inverted, in native order, to be
 * stored with memcpy. */
static inline uint16_t inet_checksum(uint64_t sum)
{
    return (uint16_t)~inet_fold(sum);
}

/* The pseudo header's sum (RFC 793, RFC 8200 §8.1): the addresses as they sit in the
 * IP header (alen 4 or 16), the protocol and the upper-layer length (under 65536). */
uint64_t inet_pseudo_sum(const uint8_t *src, const uint8_t *dst, size_t alen, uint8_t proto,
                         size_t l4len);

#endif /* NSEMU_INET_CSUM_H */
