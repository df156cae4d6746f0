/*
 * dns_packet.c: the DNS wire-format codec (RFC 1035) that the DNS client and the
 * built-in DNS server share. It owns nothing and keeps no state: every function works
 * on buffers its caller owns, so any thread may call it. Packets come from the network
 * and are read as hostile: every read is bounds-checked, and name decompression is a
 * bounded loop (at most DNS_MAX_JUMPS pointers, names at most 255 bytes on the wire).
 */
#include "dns_packet.h"

#include <string.h>

#include "bytes.h"

#define FLAG_QR     0x8000u
#define FLAG_AA     0x0400u
#define FLAG_TC     0x0200u
#define FLAG_RD     0x0100u
#define FLAG_RA     0x0080u
#define OPCODE(f)   (((f) >> 11) & 0xFu)
#define RCODE(f)    ((f) & 0xFu)

#define LABEL_KIND_MASK 0xC0u /* top bits of a length byte: 00 label, 11 pointer */
#define LABEL_POINTER   0xC0u
#define POINTER_TO_QUESTION 0xC00Cu

/* A name has at most 127 labels, so a legitimate name never needs more jumps. */
#define DNS_MAX_JUMPS 128

#define RR_FIXED_LEN 10 /* type, class, ttl, rdlength */

static uint8_t ascii_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
}

/* Encodes a dotted name (optional trailing dot) into uncompressed wire form. "" and "."
 * are the root, accepted only when allow_root. Returns the wire length or -1. */
static int encode_name(const char *name, bool allow_root, uint8_t wire[DNS_MAX_NAME_WIRE])
{
    const char *p = name;
    size_t out = 0;

    if (!name)
        return -1;
    if (p[0] == '\0' || (p[0] == '.' && p[1] == '\0')) {
        if (!allow_root)
            return -1;
        wire[0] = 0;
        return 1;
    }
    while (*p) {
        const char *end = p;
        size_t label;

        while (*end && *end != '.' && end - p <= DNS_MAX_LABEL)
            end++;
        label = (size_t)(end - p);
        if (label == 0 || label > DNS_MAX_LABEL)
            return -1;
        if (out + 1 + label + 1 > DNS_MAX_NAME_WIRE) /* leave room for the final zero */
            return -1;
        wire[out++] = (uint8_t)label;
        memcpy(wire + out, p, label);
        out += label;
        p = end;
        if (*p == '.')
            p++; /* a trailing dot leaves *p == '\0' and ends the loop */
    }
    wire[out++] = 0;
    return (int)out;
}

/* Reads the possibly compressed name at *off into wire (uncompressed, case kept). On
 * success returns 0 and moves *off past the name as it sits at *off; -1 if malformed. */
static int read_name(const uint8_t *pkt, size_t len, size_t *off,
                     uint8_t wire[DNS_MAX_NAME_WIRE], size_t *wire_len)
{
    size_t pos = *off;
    size_t after = 0;
    size_t out = 0;
    int jumps = 0;

    for (;;) {
        uint8_t b;

        if (pos >= len)
            return -1;
        b = pkt[pos];
        if ((b & LABEL_KIND_MASK) == LABEL_POINTER) {
            size_t target;

            if (pos + 1 >= len)
                return -1;
            target = ((size_t)(b & 0x3Fu) << 8) | pkt[pos + 1];
            if (jumps == 0)
                after = pos + 2;
            if (++jumps > DNS_MAX_JUMPS)
                return -1;
            if (target < DNS_HEADER_LEN || target >= len)
                return -1;
            pos = target;
            continue;
        }
        if (b & LABEL_KIND_MASK) /* 0x40 and 0x80: reserved */
            return -1;
        if (b == 0)
            break;
        if (out + 1 + b + 1 > DNS_MAX_NAME_WIRE)
            return -1;
        if (b > len - pos - 1)
            return -1;
        memcpy(wire + out, pkt + pos, (size_t)b + 1);
        out += (size_t)b + 1;
        pos += (size_t)b + 1;
    }
    wire[out++] = 0;
    *wire_len = out;
    *off = jumps ? after : pos + 1;
    return 0;
}

static bool wire_names_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t i;

    if (alen != blen)
        return false;
    /* Length bytes are <= 63, below 'A', so lowering every byte compares labels only. */
    for (i = 0; i < alen; i++)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

/* Turns wire form into the dotted, lower-case form of struct dns_question. */
static int wire_to_dotted(const uint8_t *wire, char out[DNS_MAX_NAME + 3])
{
    size_t i = 0;
    size_t o = 0;

    while (wire[i]) {
        uint8_t label = wire[i++];
        uint8_t k;

        if (o)
            out[o++] = '.';
        for (k = 0; k < label; k++, i++) {
            if (wire[i] == '.' || wire[i] == '\0')
                return -1;
            out[o++] = (char)ascii_lower(wire[i]);
        }
    }
    out[o] = '\0';
    return 0;
}

int dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype)
{
    uint8_t wire[DNS_MAX_NAME_WIRE];
    int wlen = encode_name(name, false, wire);
    size_t total;

    if (wlen < 0 || !buf)
        return -1;
    total = DNS_HEADER_LEN + (size_t)wlen + 4;
    if (cap < total)
        return -1;
    memset(buf, 0, DNS_HEADER_LEN);
    put16(buf, id);
    put16(buf + 2, FLAG_RD);
    put16(buf + 4, 1); /* QDCOUNT */
    memcpy(buf + DNS_HEADER_LEN, wire, (size_t)wlen);
    put16(buf + DNS_HEADER_LEN + wlen, qtype);
    put16(buf + DNS_HEADER_LEN + wlen + 2, DNS_CLASS_IN);
    return (int)total;
}

/* Checks the question section of a response against the query; *off moves past it. */
static enum dns_result check_question(const uint8_t *pkt, size_t len, size_t *off,
                                      const uint8_t *want, size_t want_len, uint16_t qtype)
{
    uint8_t wire[DNS_MAX_NAME_WIRE];
    size_t wire_len;

    if (read_name(pkt, len, off, wire, &wire_len) < 0 || len - *off < 4)
        return DNS_PKT_MALFORMED;
    if (!wire_names_equal(wire, wire_len, want, want_len) || get16(pkt + *off) != qtype ||
        get16(pkt + *off + 2) != DNS_CLASS_IN)
        return DNS_PKT_MISMATCH;
    *off += 4;
    return DNS_PKT_OK;
}

/* Reads one resource record at *off, storing its address when it is of qtype. */
static enum dns_result read_answer(const uint8_t *pkt, size_t len, size_t *off, uint16_t qtype,
                                   nsapi_addr_t *addrs, int max, int *stored, bool *found)
{
    uint8_t owner[DNS_MAX_NAME_WIRE];
    size_t owner_len;
    uint16_t type, rclass, rdlength;
    const uint8_t *rr;

    if (read_name(pkt, len, off, owner, &owner_len) < 0 || len - *off < RR_FIXED_LEN)
        return DNS_PKT_MALFORMED;
    rr = pkt + *off;
    type = get16(rr);
    rclass = get16(rr + 2);
    rdlength = get16(rr + 8);
    *off += RR_FIXED_LEN;
    if (rdlength > len - *off)
        return DNS_PKT_MALFORMED;
    *off += rdlength;
    if (rclass != DNS_CLASS_IN)
        return DNS_PKT_OK;
    if ((type == DNS_TYPE_A && rdlength != NSAPI_IPv4_BYTES) ||
        (type == DNS_TYPE_AAAA && rdlength != NSAPI_IPv6_BYTES))
        return DNS_PKT_MALFORMED;
    if (type != qtype || (type != DNS_TYPE_A && type != DNS_TYPE_AAAA))
        return DNS_PKT_OK;
    *found = true;
    if (*stored < max && addrs) {
        nsapi_addr_t *a = &addrs[*stored];

        memset(a, 0, sizeof(*a));
        a->version = type == DNS_TYPE_A ? NSAPI_IPv4 : NSAPI_IPv6;
        memcpy(a->bytes, rr + RR_FIXED_LEN, rdlength);
        (*stored)++;
    }
    return DNS_PKT_OK;
}

enum dns_result dns_parse_response(const uint8_t *pkt, size_t len, uint16_t id, const char *name,
                                   uint16_t qtype, nsapi_addr_t *addrs, int max, int *count)
{
    uint8_t want[DNS_MAX_NAME_WIRE];
    int want_len = encode_name(name, false, want);
    size_t off = DNS_HEADER_LEN;
    uint16_t flags, ancount, i;
    enum dns_result r;
    int stored = 0;
    bool found = false;

    if (count)
        *count = 0;
    if (!pkt || len < DNS_HEADER_LEN)
        return DNS_PKT_MALFORMED;
    if (want_len < 0)
        return DNS_PKT_MISMATCH;
    flags = get16(pkt + 2);
    if (get16(pkt) != id || !(flags & FLAG_QR) || OPCODE(flags) != 0 || get16(pkt + 4) != 1)
        return DNS_PKT_MISMATCH;
    r = check_question(pkt, len, &off, want, (size_t)want_len, qtype);
    if (r != DNS_PKT_OK)
        return r;
    if (flags & FLAG_TC)
        return DNS_PKT_TRUNCATED;
    if (RCODE(flags) == DNS_RCODE_NXDOMAIN)
        return DNS_PKT_NXDOMAIN;
    if (RCODE(flags) != DNS_RCODE_NOERROR)
        return DNS_PKT_SERVER_ERROR;
    ancount = get16(pkt + 6);
    for (i = 0; i < ancount; i++) {
        r = read_answer(pkt, len, &off, qtype, addrs, max, &stored, &found);
        if (r != DNS_PKT_OK)
            return r;
    }
    if (!found)
        return DNS_PKT_NODATA;
    if (count)
        *count = stored;
    return DNS_PKT_OK;
}

int dns_parse_query(const uint8_t *pkt, size_t len, struct dns_question *q)
{
    uint8_t wire[DNS_MAX_NAME_WIRE];
    size_t wire_len;
    size_t off = DNS_HEADER_LEN;
    uint16_t flags;

    if (!pkt || !q || len < DNS_HEADER_LEN)
        return -1;
    flags = get16(pkt + 2);
    if ((flags & FLAG_QR) || OPCODE(flags) != 0 || get16(pkt + 4) != 1)
        return -1;
    if (read_name(pkt, len, &off, wire, &wire_len) < 0 || len - off < 4)
        return -1;
    if (wire_to_dotted(wire, q->name) < 0)
        return -1;
    q->id = get16(pkt);
    q->rd = (flags & FLAG_RD) != 0;
    q->qtype = get16(pkt + off);
    q->qclass = get16(pkt + off + 2);
    q->question_end = off + 4;
    return 0;
}

/* Appends one A or AAAA record whose owner is the question name. */
static int put_answer(uint8_t *buf, size_t cap, size_t *off, const nsapi_addr_t *a, uint32_t ttl)
{
    uint16_t type, rdlength;
    uint8_t *rr = buf + *off;

    if (a->version == NSAPI_IPv4) {
        type = DNS_TYPE_A;
        rdlength = NSAPI_IPv4_BYTES;
    } else if (a->version == NSAPI_IPv6) {
        type = DNS_TYPE_AAAA;
        rdlength = NSAPI_IPv6_BYTES;
    } else {
        return -1;
    }
    if (cap - *off < 2u + RR_FIXED_LEN + rdlength)
        return -1;
    put16(rr, POINTER_TO_QUESTION);
    put16(rr + 2, type);
    put16(rr + 4, DNS_CLASS_IN);
    put32(rr + 6, ttl);
    put16(rr + 10, rdlength);
    memcpy(rr + 12, a->bytes, rdlength);
    *off += 2u + RR_FIXED_LEN + rdlength;
    return 0;
}

int dns_build_reply(uint8_t *buf, size_t cap, const struct dns_question *q, int rcode,
                    const nsapi_addr_t *addrs, int n, uint32_t ttl)
{
    uint8_t wire[DNS_MAX_NAME_WIRE];
    int wlen;
    size_t off;
    uint16_t flags;
    int i;

    if (!buf || !q || rcode < 0 || rcode > 15 || n < 0 || n > 0xFFFF || (n > 0 && !addrs))
        return -1;
    if (memchr(q->name, '\0', sizeof(q->name)) == NULL)
        return -1;
    wlen = encode_name(q->name, true, wire);
    if (wlen < 0 || cap < DNS_HEADER_LEN + (size_t)wlen + 4)
        return -1;
    flags = (uint16_t)(FLAG_QR | FLAG_AA | FLAG_RA | (q->rd ? FLAG_RD : 0) | (unsigned)rcode);
    memset(buf, 0, DNS_HEADER_LEN);
    put16(buf, q->id);
    put16(buf + 2, flags);
    put16(buf + 4, 1);
    put16(buf + 6, (uint16_t)n);
    off = DNS_HEADER_LEN;
    memcpy(buf + off, wire, (size_t)wlen);
    off += (size_t)wlen;
    put16(buf + off, q->qtype);
    put16(buf + off + 2, q->qclass);
    off += 4;
    for (i = 0; i < n; i++)
        if (put_answer(buf, cap, &off, &addrs[i], ttl) < 0)
            return -1;
    return (int)off;
}

const char *dns_result_name(enum dns_result r)
{
    switch (r) {
    case DNS_PKT_OK:
        return "ok";
    case DNS_PKT_NXDOMAIN:
        return "nxdomain";
    case DNS_PKT_NODATA:
        return "nodata";
    case DNS_PKT_SERVER_ERROR:
        return "server-error";
    case DNS_PKT_TRUNCATED:
        return "truncated";
    case DNS_PKT_MISMATCH:
        return "mismatch";
    case DNS_PKT_MALFORMED:
        return "malformed";
    }
    return "unknown";
}
