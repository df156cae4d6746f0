/*
 * fuzz_dns.c: libFuzzer target for the DNS codec (emu/dns_packet.c). Each input is fed
 * to dns_parse_query() and to dns_parse_response(), both against a fixed query and
 * against the input's own header and question (so the fuzzer gets past the id and
 * question checks and into the answer section). A query that parses is also answered
 * with dns_build_reply() and the reply parsed back, which must give what was put in.
 * Build: clang -fsanitize=fuzzer,address,undefined -Ilib/include -Iemu
 *        emu/dns_packet.c tests/fuzz/fuzz_dns.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_packet.h"

#define MAX_ADDRS 8

static void check(int ok)
{
    if (!ok)
        abort();
}

static void parse_as_response(const uint8_t *data, size_t size, uint16_t id, const char *name,
                              uint16_t qtype)
{
    nsapi_addr_t addrs[MAX_ADDRS];
    int count = -1;
    int max = (int)(size % (MAX_ADDRS + 1));
    enum dns_result r = dns_parse_response(data, size, id, name, qtype, addrs, max, &count);
    int i;

    check(count >= 0 && count <= max);
    check(r == DNS_PKT_OK || count == 0);
    for (i = 0; i < count; i++)
        check(addrs[i].version == (qtype == DNS_TYPE_A ? NSAPI_IPv4 : NSAPI_IPv6));
    check(dns_result_name(r)[0] != '\0');
}

/* Answers q with two addresses and checks the client side reads them back. */
static void round_trip(const struct dns_question *q)
{
    uint8_t reply[DNS_MAX_PACKET];
    nsapi_addr_t sent[2], got[2];
    uint16_t want = q->qtype == DNS_TYPE_AAAA ? DNS_TYPE_AAAA : DNS_TYPE_A;
    struct dns_question asked = *q;
    int count = 0, len;

    memset(sent, 0, sizeof(sent));
    sent[0].version = sent[1].version = want == DNS_TYPE_A ? NSAPI_IPv4 : NSAPI_IPv6;
    sent[0].bytes[0] = 1;
    sent[1].bytes[0] = 2;
    asked.qtype = want;
    asked.qclass = DNS_CLASS_IN;
    len = dns_build_reply(reply, sizeof(reply), &asked, DNS_RCODE_NOERROR, sent, 2, 60);
    check(len > 0);
    if (asked.name[0] == '\0') /* the root: dns_parse_response never matches it */
        return;
    check(dns_parse_response(reply, (size_t)len, asked.id, asked.name, want, got, 2, &count) ==
          DNS_PKT_OK);
    check(count == 2 && memcmp(got, sent, sizeof(sent)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t copy[65536];
    struct dns_question q;

    parse_as_response(data, size, 0x1234, "example.com", DNS_TYPE_A);
    parse_as_response(data, size, 0x1234, "example.com", DNS_TYPE_AAAA);

    if (dns_parse_query(data, size, &q) == 0) {
        check(q.question_end <= size && strlen(q.name) <= DNS_MAX_NAME);
        round_trip(&q);
    }

    /* Read the input's question as if it were a query, then judge the input as the
     * response to that query. */
    if (size < DNS_HEADER_LEN || size > sizeof(copy))
        return 0;
    memcpy(copy, data, size);
    copy[2] &= 0x7F; /* QR=0 */
    if (dns_parse_query(copy, size, &q) == 0 && q.name[0] != '\0')
        parse_as_response(data, size, q.id, q.name, q.qtype);
    return 0;
}
