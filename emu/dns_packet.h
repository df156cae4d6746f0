/*
 * dns_packet.h: the DNS wire format (RFC 1035) for A and AAAA look-ups: building a
 * query, judging a response to it, and the server side (parsing a query, building a
 * reply). Pure functions on caller-owned buffers: no I/O, no allocation, no globals,
 * safe from any thread. Every packet is treated as hostile.
 */
#ifndef NSEMU_DNS_PACKET_H
#define NSEMU_DNS_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netsocket/nsapi_types.h>

#define DNS_TYPE_A    1
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN  1

#define DNS_RCODE_NOERROR  0
#define DNS_RCODE_FORMERR  1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP   4
#define DNS_RCODE_REFUSED  5

#define DNS_HEADER_LEN   12
#define DNS_MAX_PACKET   512 /* classic UDP DNS */
#define DNS_MAX_NAME     253 /* dotted, without a trailing dot */
#define DNS_MAX_NAME_WIRE 255 /* length bytes, labels and the final zero */
#define DNS_MAX_LABEL    63

enum dns_result {
    DNS_PKT_OK = 0,       /* at least one address of qtype in the answer section */
    DNS_PKT_NXDOMAIN,     /* rcode 3 */
    DNS_PKT_NODATA,       /* rcode 0 but no record of qtype */
    DNS_PKT_SERVER_ERROR, /* any other rcode (SERVFAIL, REFUSED, ...) */
    DNS_PKT_TRUNCATED,    /* TC bit set */
    DNS_PKT_MISMATCH,     /* not the answer to this query (wrong id, QR=0, opcode != 0,
                           * question count/name/type/class differs): keep waiting */
    DNS_PKT_MALFORMED,    /* anything that cannot be parsed safely */
};

/* Builds a standard recursive query (RD=1, one question of class IN) for name (dotted,
 * optional trailing dot; labels 1..63 bytes, whole name <= 253) into buf. Returns the
 * length, or -1 for a bad name (NULL, empty, root ".", empty label) or too small a buffer. */
int dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype);

/* Judges pkt as the response to the query (id, name, qtype), in this order: a header cut
 * short is MALFORMED; a wrong id, QR=0, opcode != 0 or QDCOUNT != 1 is MISMATCH; a
 * question that cannot be read is MALFORMED, one of another name (compared without
 * regard to ASCII case), type or class is MISMATCH; then TC gives TRUNCATED, rcode 3
 * NXDOMAIN, any other non-zero rcode SERVER_ERROR. With rcode 0 the whole answer section
 * is read (any fault in it is MALFORMED, even past the max-th address): records of other
 * types (CNAME...) or classes are skipped, A/AAAA records of class IN are taken whatever
 * their owner name (as Mbed's nsapi_dns does) and must have RDLENGTH 4/16. Fills at most
 * max addresses of qtype (NSAPI_IPv4 for A, NSAPI_IPv6 for AAAA) into addrs (may be NULL
 * when max <= 0) and sets *count to how many, 0 unless OK. OK means at least one record
 * of qtype was there, else NODATA. The authority and additional sections are not read.
 * A name dns_build_query would refuse matches no packet: MISMATCH. */
enum dns_result dns_parse_response(const uint8_t *pkt, size_t len, uint16_t id, const char *name,
                                   uint16_t qtype, nsapi_addr_t *addrs, int max, int *count);

/* Server side (used by tests, and by the built-in DNS server). */
struct dns_question {
    uint16_t id;
    uint16_t qtype;
    uint16_t qclass;
    bool rd;
    char name[256];      /* dotted, lower-cased, no trailing dot; "" for the root */
    size_t question_end; /* offset just after the question */
};

/* Parses a query: QR=0, opcode 0, QDCOUNT=1 (the other counts are ignored). Returns 0, or
 * -1 if it is not such a query or is malformed, including a name with a label holding
 * '.' or a NUL byte, which the dotted form cannot carry. */
int dns_parse_query(const uint8_t *pkt, size_t len, struct dns_question *q);

/* Builds a reply to q: QR=1, AA=1, RA=1, RD copied, rcode (0..15), the question (name in
 * lower case, q's type and class) and n answers (n may be 0): an A record for each
 * NSAPI_IPv4 address and an AAAA for each NSAPI_IPv6 one, class IN, with ttl, the owner
 * being a compression pointer to offset 12. Returns the length, or -1 for a bad argument
 * (an NSAPI_UNSPEC address, a bad name) or too small a buffer. */
int dns_build_reply(uint8_t *buf, size_t cap, const struct dns_question *q, int rcode,
                    const nsapi_addr_t *addrs, int n, uint32_t ttl);

/* "ok", "nxdomain", "nodata", "server-error", "truncated", "mismatch", "malformed" for logs. */
const char *dns_result_name(enum dns_result r);

#endif /* NSEMU_DNS_PACKET_H */
