/*
 * fuzz_dns_query.c: libFuzzer target for the server side of the DNS codec
 * (emu/dns_packet.c), as the built-in gateway's DNS server uses it: each input is read
 * by dns_parse_query(); a query that parses is answered with dns_build_reply() in every
 * way the server answers (NOERROR with A, AAAA or both kinds, NXDOMAIN, SERVFAIL) into
 * a heap buffer of a size the input picks, so a write past the end shows; every reply
 * that fits must read back as that answer with dns_parse_response().
 * Build: see tests/fuzz/meson.build; run: tests/fuzz/run_fuzzers.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_packet.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

/* Two IPv4 and one IPv6 address, distinct. */
static void addresses(nsapi_addr_t a[3])
{
    memset(a, 0, 3 * sizeof(*a));
    a[0].version = a[1].version = NSAPI_IPv4;
    a[2].version = NSAPI_IPv6;
    a[0].bytes[0] = 10;
    a[1].bytes[0] = 11;
    a[2].bytes[0] = 0xfd;
}

/* Answers q with rcode and addrs[0..n) into a buffer of cap bytes; checks the result. */
static void answer(const struct dns_question *q, int rcode, const nsapi_addr_t *addrs, int n,
                   size_t cap)
{
    uint8_t *buf = malloc(cap ? cap : 1);
    nsapi_addr_t got[4];
    enum dns_result r;
    int len, count = -1, want = 0, i;

    check(buf != NULL);
    len = dns_build_reply(buf, cap, q, rcode, addrs, n, 60);
    check(len == -1 || (len >= DNS_HEADER_LEN && (size_t)len <= cap));
    if (len < 0 || q->name[0] == '\0' || q->qclass != DNS_CLASS_IN) {
        free(buf);
        return; /* the client never asks for the root or another class */
    }
    r = dns_parse_response(buf, (size_t)len, q->id, q->name, q->qtype, got, 4, &count);
    for (i = 0; i < n; i++)
        want += addrs[i].version == (q->qtype == DNS_TYPE_A ? NSAPI_IPv4 : NSAPI_IPv6);
    if (q->qtype != DNS_TYPE_A && q->qtype != DNS_TYPE_AAAA)
        check(r != DNS_PKT_OK);
    else if (rcode == DNS_RCODE_NXDOMAIN)
        check(r == DNS_PKT_NXDOMAIN);
    else if (rcode != DNS_RCODE_NOERROR)
        check(r == DNS_PKT_SERVER_ERROR);
    else
        check(want > 0 ? r == DNS_PKT_OK && count == want : r == DNS_PKT_NODATA);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nsapi_addr_t addrs[3];
    struct dns_question q;
    size_t cap;

    if (dns_parse_query(data, size, &q) != 0)
        return 0;
    check(q.question_end > DNS_HEADER_LEN && q.question_end <= size);
    check(strlen(q.name) <= DNS_MAX_NAME);
    addresses(addrs);
    /* From far too small to ample, picked by the input's size. */
    cap = size % (DNS_MAX_PACKET + 1);
    answer(&q, DNS_RCODE_NOERROR, addrs, 3, DNS_MAX_PACKET);
    answer(&q, DNS_RCODE_NOERROR, addrs, 2, cap);
    answer(&q, DNS_RCODE_NOERROR, addrs + 2, 1, cap);
    answer(&q, DNS_RCODE_NOERROR, addrs, 0, cap);
    answer(&q, DNS_RCODE_NXDOMAIN, addrs, 0, DNS_MAX_PACKET);
    answer(&q, DNS_RCODE_SERVFAIL, addrs, 0, cap);
    return 0;
}
