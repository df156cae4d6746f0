/*
 * inet_csum.c: see inet_csum.h.
 */
#include "inet_csum.h"

#include <string.h>

uint64_t inet_sum(const void *data, size_t len, uint64_t sum)
{
    const uint8_t *p = data;
    uint32_t w32;
    uint16_t w16 = 0;

    for (; len >= 4; p += 4, len -= 4) {
        memcpy(&w32, p, 4);
        sum += w32;
    }
    if (len >= 2) {
        memcpy(&w16, p, 2);
        sum += w16;
        p += 2;
        len -= 2;
    }
    if (len == 1) {
        uint8_t last[2] = {p[0], 0};

        memcpy(&w16, last, 2);
        sum += w16;
    }
    return sum;
}

uint16_t inet_fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* IPv6's pseudo header (a 32-bit length, three zero bytes, the next header) sums to the
 * same as IPv4's layout for lengths under 65536. */
uint64_t inet_pseudo_sum(const uint8_t *src, const uint8_t *dst, size_t alen, uint8_t proto,
                         size_t l4len)
{
    const uint8_t tail[4] = {0, proto, (uint8_t)(l4len >> 8), (uint8_t)l4len};

    return inet_sum(tail, sizeof(tail), inet_sum(dst, alen, inet_sum(src, alen, 0)));
}
