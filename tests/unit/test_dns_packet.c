/*
 * test_dns_packet.c: unit tests of the DNS wire-format codec (emu/dns_packet.c). Valid
 * packets come from the codec itself; hostile ones are written byte by byte with the
 * small builder below, so each test shows the exact fault it feeds in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns_packet.h"

#define ID        0x1234
#define NAME      "example.com"
#define FLAGS_OK  0x8180 /* QR, RD, RA, rcode 0 */
#define TTL       300

/* A packet written by hand. */
struct pkt {
    uint8_t b[2048];
    size_t n;
};

static void put8(struct pkt *p, uint8_t v)
{
    assert_true(p->n < sizeof(p->b));
    p->b[p->n++] = v;
}

static void put16(struct pkt *p, uint16_t v)
{
    put8(p, (uint8_t)(v >> 8));
    put8(p, (uint8_t)v);
}

static void put_bytes(struct pkt *p, const void *d, size_t n)
{
    assert_true(p->n + n <= sizeof(p->b));
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

static void put_header(struct pkt *p, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an)
{
    put16(p, id);
    put16(p, flags);
    put16(p, qd);
    put16(p, an);
    put16(p, 0);
    put16(p, 0);
}

/* Uncompressed labels of a dotted name, without the final zero. */
static void put_labels(struct pkt *p, const char *dotted)
{
    while (*dotted) {
        size_t len = strcspn(dotted, ".");

        put8(p, (uint8_t)len);
        put_bytes(p, dotted, len);
        dotted += len;
        if (*dotted == '.')
            dotted++;
    }
}

static void put_name(struct pkt *p, const char *dotted)
{
    put_labels(p, dotted);
    put8(p, 0);
}

static void put_question(struct pkt *p, const char *name, uint16_t type)
{
    put_name(p, name);
    put16(p, type);
    put16(p, DNS_CLASS_IN);
}

/* Type, class IN, ttl and rdlength; the owner name must already be there. */
static void put_rr_fixed(struct pkt *p, uint16_t type, uint16_t rdlength)
{
    put16(p, type);
    put16(p, DNS_CLASS_IN);
    put16(p, 0);
    put16(p, TTL);
    put16(p, rdlength);
}

/* An answer owned by the question name (pointer to offset 12) with an IPv4 address. */
static void put_a_record(struct pkt *p, uint8_t last_octet)
{
    static const uint8_t net[3] = {192, 0, 2};

    put16(p, 0xC00C);
    put_rr_fixed(p, DNS_TYPE_A, 4);
    put_bytes(p, net, sizeof(net));
    put8(p, last_octet);
}

/* Header and question of a response to (ID, NAME, A) announcing ancount answers. */
static void put_response_start(struct pkt *p, uint16_t flags, uint16_t ancount)
{
    put_header(p, ID, flags, 1, ancount);
    put_question(p, NAME, DNS_TYPE_A);
}

static enum dns_result parse_a(const struct pkt *p, nsapi_addr_t *addrs, int max, int *count)
{
    return dns_parse_response(p->b, p->n, ID, NAME, DNS_TYPE_A, addrs, max, count);
}

static enum dns_result parse_a_result(const struct pkt *p)
{
    nsapi_addr_t addrs[4];
    int count;

    return parse_a(p, addrs, 4, &count);
}

static nsapi_addr_t ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    nsapi_addr_t addr = {.version = NSAPI_IPv4, .bytes = {a, b, c, d}};

    return addr;
}

static nsapi_addr_t ipv6_doc(uint8_t last)
{
    nsapi_addr_t addr = {.version = NSAPI_IPv6, .bytes = {0x20, 0x01, 0x0d, 0xb8}};

    addr.bytes[15] = last;
    return addr;
}

/* A query for name/qtype as the codec builds it, parsed back as a server would. */
static struct dns_question question_for(const char *name, uint16_t qtype)
{
    uint8_t buf[DNS_MAX_PACKET];
    struct dns_question q;
    int len = dns_build_query(buf, sizeof(buf), ID, name, qtype);

    assert_true(len > 0);
    assert_int_equal(dns_parse_query(buf, (size_t)len, &q), 0);
    return q;
}

static int reply_for(uint8_t *buf, size_t cap, const char *name, uint16_t qtype, int rcode,
                     const nsapi_addr_t *addrs, int n)
{
    struct dns_question q = question_for(name, qtype);
    int len = dns_build_reply(buf, cap, &q, rcode, addrs, n, TTL);

    assert_true(len > 0);
    return len;
}

static void fill(char *s, char c, size_t n)
{
    memset(s, c, n);
    s[n] = '\0';
}

/* A dotted name of exactly len characters: labels of 63 joined by dots. */
static void long_name(char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        s[i] = (i % 64 == 63) ? '.' : 'a';
    s[len] = '\0';
    if (s[len - 1] == '.')
        s[len - 1] = 'b';
}

/* ---- dns_build_query ---- */

static void test_build_query_writes_id_rd_and_one_question(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    static const uint8_t header[12] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};

    (void)state;
    assert_true(dns_build_query(buf, sizeof(buf), ID, NAME, DNS_TYPE_A) > 0);
    assert_memory_equal(buf, header, sizeof(header));
}

static void test_build_query_encodes_labels_type_and_class_in(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    static const uint8_t question[] = {1, 'a', 2, 'b', 'c', 0, 0, 28, 0, 1};

    (void)state;
    assert_int_equal(dns_build_query(buf, sizeof(buf), ID, "a.bc", DNS_TYPE_AAAA),
                     12 + sizeof(question));
    assert_memory_equal(buf + 12, question, sizeof(question));
}

static void test_build_query_accepts_trailing_dot(void **state)
{
    uint8_t plain[DNS_MAX_PACKET], dotted[DNS_MAX_PACKET];
    int plain_len = dns_build_query(plain, sizeof(plain), ID, NAME, DNS_TYPE_A);

    (void)state;
    assert_int_equal(dns_build_query(dotted, sizeof(dotted), ID, NAME ".", DNS_TYPE_A), plain_len);
    assert_memory_equal(plain, dotted, (size_t)plain_len);
}

static void test_build_query_rejects_empty_name(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];

    (void)state;
    assert_int_equal(dns_build_query(buf, sizeof(buf), ID, "", DNS_TYPE_A), -1);
}

static void test_build_query_rejects_root_name(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];

    (void)state;
    assert_int_equal(dns_build_query(buf, sizeof(buf), ID, ".", DNS_TYPE_A), -1);
}

static void test_build_query_rejects_null_name(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];

    (void)state;
    assert_int_equal(dns_build_query(buf, sizeof(buf), ID, NULL, DNS_TYPE_A), -1);
}

static void test_build_query_rejects_empty_label(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];

    (void)state;
    assert_int_equal(dns_build_query(buf, sizeof(buf), ID, "a..b", DNS_TYPE_A), -1);
    assert_int_equal(dns_build_query(buf, sizeof(buf), ID, ".a", DNS_TYPE_A), -1);
    assert_int_equal(dns_build_query(buf, sizeof(buf), ID, "a..", DNS_TYPE_A), -1);
}

static void test_build_query_accepts_label_of_63(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    char name[70];

    (void)state;
    fill(name, 'x', 63);
    assert_int_equal(dns_build_query(buf, sizeof(buf), ID, name, DNS_TYPE_A), 12 + 1 + 63 + 1 + 4);
}

static void test_build_query_rejects_label_over_63(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    char name[70];

    (void)state;
    fill(name, 'x', 64);
    assert_int_equal(dns_build_query(buf, sizeof(buf), ID, name, DNS_TYPE_A), -1);
}

static void test_build_query_accepts_name_of_253(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    char name[300];

    (void)state;
    long_name(name, 253);
    assert_int_equal(dns_build_query(buf, sizeof(buf), ID, name, DNS_TYPE_A), 12 + 255 + 4);
}

static void test_build_query_accepts_name_of_253_with_trailing_dot(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    char name[300];

    (void)state;
    long_name(name, 253);
    strcat(name, ".");
    assert_int_equal(dns_build_query(buf, sizeof(buf), ID, name, DNS_TYPE_A), 12 + 255 + 4);
}

static void test_build_query_rejects_name_over_253(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    char name[300];

    (void)state;
    long_name(name, 254);
    assert_int_equal(dns_build_query(buf, sizeof(buf), ID, name, DNS_TYPE_A), -1);
}

static void test_build_query_rejects_too_small_buffer(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    int need = dns_build_query(buf, sizeof(buf), ID, NAME, DNS_TYPE_A);

    (void)state;
    assert_int_equal(dns_build_query(buf, (size_t)need - 1, ID, NAME, DNS_TYPE_A), -1);
    assert_int_equal(dns_build_query(buf, (size_t)need, ID, NAME, DNS_TYPE_A), need);
}

/* ---- dns_parse_query ---- */

static void test_parse_query_reads_id_type_class_and_rd(void **state)
{
    struct dns_question q = question_for(NAME, DNS_TYPE_AAAA);

    (void)state;
    assert_int_equal(q.id, ID);
    assert_int_equal(q.qtype, DNS_TYPE_AAAA);
    assert_int_equal(q.qclass, DNS_CLASS_IN);
    assert_true(q.rd);
}

static void test_parse_query_lowercases_name_and_drops_trailing_dot(void **state)
{
    struct dns_question q = question_for("WWW.Example.COM.", DNS_TYPE_A);

    (void)state;
    assert_string_equal(q.name, "www.example.com");
}

static void test_parse_query_reports_question_end(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    struct dns_question q;
    int len = dns_build_query(buf, sizeof(buf), ID, NAME, DNS_TYPE_A);

    (void)state;
    buf[len] = 0xEE; /* trailing bytes (an EDNS OPT, say) are not part of the question */
    assert_int_equal(dns_parse_query(buf, (size_t)len + 1, &q), 0);
    assert_int_equal(q.question_end, (size_t)len);
}

static void test_parse_query_keeps_longest_name(void **state)
{
    char name[300];
    struct dns_question q;

    (void)state;
    long_name(name, 253);
    q = question_for(name, DNS_TYPE_A);
    assert_string_equal(q.name, name);
}

static void test_parse_query_rejects_response(void **state)
{
    struct pkt p = {.n = 0};
    struct dns_question q;

    (void)state;
    put_header(&p, ID, 0x8100, 1, 0);
    put_question(&p, NAME, DNS_TYPE_A);
    assert_int_equal(dns_parse_query(p.b, p.n, &q), -1);
}

static void test_parse_query_rejects_two_questions(void **state)
{
    struct pkt p = {.n = 0};
    struct dns_question q;

    (void)state;
    put_header(&p, ID, 0x0100, 2, 0);
    put_question(&p, NAME, DNS_TYPE_A);
    put_question(&p, NAME, DNS_TYPE_AAAA);
    assert_int_equal(dns_parse_query(p.b, p.n, &q), -1);
}

static void test_parse_query_rejects_nonzero_opcode(void **state)
{
    struct pkt p = {.n = 0};
    struct dns_question q;

    (void)state;
    put_header(&p, ID, 0x2100 /* opcode 4, NOTIFY */, 1, 0);
    put_question(&p, NAME, DNS_TYPE_A);
    assert_int_equal(dns_parse_query(p.b, p.n, &q), -1);
}

static void test_parse_query_rejects_short_header(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    struct dns_question q;
    size_t cut;

    (void)state;
    dns_build_query(buf, sizeof(buf), ID, NAME, DNS_TYPE_A);
    for (cut = 0; cut < 12; cut++)
        assert_int_equal(dns_parse_query(buf, cut, &q), -1);
}

static void test_parse_query_rejects_every_cut_question(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    struct dns_question q;
    int len = dns_build_query(buf, sizeof(buf), ID, NAME, DNS_TYPE_A);
    size_t cut;

    (void)state;
    for (cut = 12; cut < (size_t)len; cut++)
        assert_int_equal(dns_parse_query(buf, cut, &q), -1);
}

static void test_parse_query_rejects_label_holding_dot(void **state)
{
    struct pkt p = {.n = 0};
    struct dns_question q;

    (void)state;
    put_header(&p, ID, 0x0100, 1, 0);
    put_bytes(&p, "\x03" "a.b" "\x03" "com" "\x00", 9);
    put16(&p, DNS_TYPE_A);
    put16(&p, DNS_CLASS_IN);
    assert_int_equal(dns_parse_query(p.b, p.n, &q), -1);
}

static void test_parse_query_rejects_compression_loop(void **state)
{
    struct pkt p = {.n = 0};
    struct dns_question q;

    (void)state;
    put_header(&p, ID, 0x0100, 1, 0);
    put16(&p, 0xC00C); /* the name at 12 points at itself */
    put16(&p, DNS_TYPE_A);
    put16(&p, DNS_CLASS_IN);
    assert_int_equal(dns_parse_query(p.b, p.n, &q), -1);
}

/* ---- round trips: query -> server -> reply -> client ---- */

static void test_round_trip_a_gives_the_address(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    nsapi_addr_t sent = ipv4(192, 0, 2, 7), got[2];
    int count = -1;
    int len = reply_for(buf, sizeof(buf), NAME, DNS_TYPE_A, 0, &sent, 1);

    (void)state;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, NAME, DNS_TYPE_A, got, 2, &count),
                     DNS_PKT_OK);
    assert_int_equal(count, 1);
    assert_int_equal(got[0].version, NSAPI_IPv4);
    assert_memory_equal(got[0].bytes, sent.bytes, 4);
}

static void test_round_trip_aaaa_gives_the_address(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    nsapi_addr_t sent = ipv6_doc(9), got[2];
    int count = -1;
    int len = reply_for(buf, sizeof(buf), NAME, DNS_TYPE_AAAA, 0, &sent, 1);

    (void)state;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, NAME, DNS_TYPE_AAAA, got, 2, &count),
                     DNS_PKT_OK);
    assert_int_equal(count, 1);
    assert_int_equal(got[0].version, NSAPI_IPv6);
    assert_memory_equal(got[0].bytes, sent.bytes, 16);
}

static void test_round_trip_of_longest_name(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    char name[300];
    nsapi_addr_t sent = ipv4(10, 0, 0, 1), got[1];
    int count, len;

    (void)state;
    long_name(name, 253);
    len = reply_for(buf, sizeof(buf), name, DNS_TYPE_A, 0, &sent, 1);
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, name, DNS_TYPE_A, got, 1, &count),
                     DNS_PKT_OK);
}

static void test_build_reply_owner_is_pointer_to_question(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    nsapi_addr_t sent = ipv4(192, 0, 2, 7);
    struct dns_question q = question_for(NAME, DNS_TYPE_A);
    int len = dns_build_reply(buf, sizeof(buf), &q, 0, &sent, 1, TTL);
    static const uint8_t answer[] = {0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0x01, 0x2C, 0, 4, 192, 0, 2, 7};

    (void)state;
    assert_int_equal(len, (int)(q.question_end + sizeof(answer)));
    assert_memory_equal(buf + q.question_end, answer, sizeof(answer));
}

static void test_build_reply_sets_qr_aa_ra_copies_rd_and_rcode(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    struct dns_question q = question_for(NAME, DNS_TYPE_A);

    (void)state;
    assert_true(dns_build_reply(buf, sizeof(buf), &q, DNS_RCODE_REFUSED, NULL, 0, TTL) > 0);
    assert_int_equal(buf[2], 0x85);
    assert_int_equal(buf[3], 0x85);
    q.rd = false;
    assert_true(dns_build_reply(buf, sizeof(buf), &q, DNS_RCODE_REFUSED, NULL, 0, TTL) > 0);
    assert_int_equal(buf[2], 0x84);
}

static void test_build_reply_rejects_unspec_address(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    nsapi_addr_t unspec = {.version = NSAPI_UNSPEC};
    struct dns_question q = question_for(NAME, DNS_TYPE_A);

    (void)state;
    assert_int_equal(dns_build_reply(buf, sizeof(buf), &q, 0, &unspec, 1, TTL), -1);
}

static void test_build_reply_rejects_too_small_buffer(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    nsapi_addr_t sent[2] = {ipv4(192, 0, 2, 1), ipv6_doc(1)};
    struct dns_question q = question_for(NAME, DNS_TYPE_A);
    int need = dns_build_reply(buf, sizeof(buf), &q, 0, sent, 2, TTL);
    size_t cap;

    (void)state;
    assert_true(need > 0);
    for (cap = 0; cap < (size_t)need; cap++)
        assert_int_equal(dns_build_reply(buf, cap, &q, 0, sent, 2, TTL), -1);
}

static void test_build_reply_rejects_rcode_over_15(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    struct dns_question q = question_for(NAME, DNS_TYPE_A);

    (void)state;
    assert_int_equal(dns_build_reply(buf, sizeof(buf), &q, 16, NULL, 0, TTL), -1);
    assert_int_equal(dns_build_reply(buf, sizeof(buf), &q, -1, NULL, 0, TTL), -1);
}

/* ---- dns_parse_response: answers ---- */

static void test_parse_takes_a_after_cname(void **state)
{
    struct pkt p = {.n = 0};
    nsapi_addr_t got[2];
    int count;

    (void)state;
    put_response_start(&p, FLAGS_OK, 2);
    put16(&p, 0xC00C);
    put_rr_fixed(&p, 5 /* CNAME */, 2 + 2);
    put_bytes(&p, "\x01" "w", 2);
    put16(&p, 0xC00C + 8); /* "w.com": "com" of the question */
    put_labels(&p, "w");   /* the A record is owned by the CNAME target, not the question */
    put16(&p, 0xC00C + 8);
    put_rr_fixed(&p, DNS_TYPE_A, 4);
    put_bytes(&p, "\xC6\x33\x64\x01", 4);
    assert_int_equal(parse_a(&p, got, 2, &count), DNS_PKT_OK);
    assert_int_equal(count, 1);
    assert_memory_equal(got[0].bytes, "\xC6\x33\x64\x01", 4);
}

static void test_parse_caps_addresses_at_max(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    nsapi_addr_t sent[3] = {ipv4(192, 0, 2, 1), ipv4(192, 0, 2, 2), ipv4(192, 0, 2, 3)};
    nsapi_addr_t got[3] = {{0}};
    int count;
    int len = reply_for(buf, sizeof(buf), NAME, DNS_TYPE_A, 0, sent, 3);

    (void)state;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, NAME, DNS_TYPE_A, got, 2, &count),
                     DNS_PKT_OK);
    assert_int_equal(count, 2);
    assert_memory_equal(got[0].bytes, sent[0].bytes, 4);
    assert_memory_equal(got[1].bytes, sent[1].bytes, 4);
    assert_int_equal(got[2].version, NSAPI_UNSPEC); /* untouched */
}

static void test_parse_returns_addresses_in_answer_order(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    nsapi_addr_t sent[3] = {ipv6_doc(3), ipv6_doc(1), ipv6_doc(2)};
    nsapi_addr_t got[3];
    int count, i;
    int len = reply_for(buf, sizeof(buf), NAME, DNS_TYPE_AAAA, 0, sent, 3);

    (void)state;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, NAME, DNS_TYPE_AAAA, got, 3, &count),
                     DNS_PKT_OK);
    assert_int_equal(count, 3);
    for (i = 0; i < 3; i++)
        assert_memory_equal(got[i].bytes, sent[i].bytes, 16);
}

static void test_parse_with_max_zero_reports_ok_and_no_addresses(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    nsapi_addr_t sent = ipv4(192, 0, 2, 1);
    int count = -1;
    int len = reply_for(buf, sizeof(buf), NAME, DNS_TYPE_A, 0, &sent, 1);

    (void)state;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, NAME, DNS_TYPE_A, NULL, 0, &count),
                     DNS_PKT_OK);
    assert_int_equal(count, 0);
}

static void test_parse_skips_records_of_other_type_to_nodata(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    nsapi_addr_t sent = ipv6_doc(1);
    int len = reply_for(buf, sizeof(buf), NAME, DNS_TYPE_A, 0, &sent, 1);
    int count = -1;

    (void)state;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, NAME, DNS_TYPE_A, NULL, 0, &count),
                     DNS_PKT_NODATA);
    assert_int_equal(count, 0);
}

static void test_parse_skips_records_of_other_class(void **state)
{
    struct pkt p = {.n = 0};

    (void)state;
    put_response_start(&p, FLAGS_OK, 1);
    put16(&p, 0xC00C);
    put16(&p, DNS_TYPE_A);
    put16(&p, 3 /* CH */);
    put16(&p, 0);
    put16(&p, TTL);
    put16(&p, 4);
    put_bytes(&p, "\x01\x02\x03\x04", 4);
    assert_int_equal(parse_a_result(&p), DNS_PKT_NODATA);
}

static void test_parse_rcode0_without_answers_is_nodata(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    int len = reply_for(buf, sizeof(buf), NAME, DNS_TYPE_A, 0, NULL, 0);
    int count = -1;

    (void)state;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, NAME, DNS_TYPE_A, NULL, 0, &count),
                     DNS_PKT_NODATA);
    assert_int_equal(count, 0);
}

/* ---- dns_parse_response: rcode and flags ---- */

static void test_parse_nxdomain_ends_with_nxdomain(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    int len = reply_for(buf, sizeof(buf), NAME, DNS_TYPE_A, DNS_RCODE_NXDOMAIN, NULL, 0);

    (void)state;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, NAME, DNS_TYPE_A, NULL, 0, NULL),
                     DNS_PKT_NXDOMAIN);
}

static void test_parse_servfail_is_server_error(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    int len = reply_for(buf, sizeof(buf), NAME, DNS_TYPE_A, DNS_RCODE_SERVFAIL, NULL, 0);

    (void)state;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, NAME, DNS_TYPE_A, NULL, 0, NULL),
                     DNS_PKT_SERVER_ERROR);
}

static void test_parse_refused_is_server_error(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    int len = reply_for(buf, sizeof(buf), NAME, DNS_TYPE_A, DNS_RCODE_REFUSED, NULL, 0);

    (void)state;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, NAME, DNS_TYPE_A, NULL, 0, NULL),
                     DNS_PKT_SERVER_ERROR);
}

static void test_parse_tc_bit_is_truncated(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    nsapi_addr_t sent = ipv4(192, 0, 2, 1);
    int len = reply_for(buf, sizeof(buf), NAME, DNS_TYPE_A, 0, &sent, 1);
    int count = -1;

    (void)state;
    buf[2] |= 0x02;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, NAME, DNS_TYPE_A, NULL, 0, &count),
                     DNS_PKT_TRUNCATED);
    assert_int_equal(count, 0);
}

/* ---- dns_parse_response: not our answer ---- */

static void test_parse_wrong_id_is_mismatch(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    nsapi_addr_t sent = ipv4(192, 0, 2, 1);
    int len = reply_for(buf, sizeof(buf), NAME, DNS_TYPE_A, 0, &sent, 1);

    (void)state;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID + 1, NAME, DNS_TYPE_A, NULL, 0, NULL),
                     DNS_PKT_MISMATCH);
}

static void test_parse_query_packet_is_mismatch(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    int len = dns_build_query(buf, sizeof(buf), ID, NAME, DNS_TYPE_A);

    (void)state;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, NAME, DNS_TYPE_A, NULL, 0, NULL),
                     DNS_PKT_MISMATCH);
}

static void test_parse_nonzero_opcode_is_mismatch(void **state)
{
    struct pkt p = {.n = 0};

    (void)state;
    put_response_start(&p, FLAGS_OK | 0x1000 /* opcode 2, STATUS */, 1);
    put_a_record(&p, 1);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MISMATCH);
}

static void test_parse_other_question_name_is_mismatch(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    nsapi_addr_t sent = ipv4(192, 0, 2, 1);
    int len = reply_for(buf, sizeof(buf), "example.org", DNS_TYPE_A, 0, &sent, 1);

    (void)state;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, NAME, DNS_TYPE_A, NULL, 0, NULL),
                     DNS_PKT_MISMATCH);
}

static void test_parse_question_name_that_is_a_suffix_is_mismatch(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    int len = reply_for(buf, sizeof(buf), "www." NAME, DNS_TYPE_A, 0, NULL, 0);

    (void)state;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, NAME, DNS_TYPE_A, NULL, 0, NULL),
                     DNS_PKT_MISMATCH);
}

static void test_parse_other_question_type_is_mismatch(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    nsapi_addr_t sent = ipv4(192, 0, 2, 1);
    int len = reply_for(buf, sizeof(buf), NAME, DNS_TYPE_AAAA, 0, &sent, 1);

    (void)state;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, NAME, DNS_TYPE_A, NULL, 0, NULL),
                     DNS_PKT_MISMATCH);
}

static void test_parse_other_question_class_is_mismatch(void **state)
{
    struct pkt p = {.n = 0};

    (void)state;
    put_header(&p, ID, FLAGS_OK, 1, 1);
    put_name(&p, NAME);
    put16(&p, DNS_TYPE_A);
    put16(&p, 3 /* CH */);
    put_a_record(&p, 1);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MISMATCH);
}

static void test_parse_two_questions_is_mismatch(void **state)
{
    struct pkt p = {.n = 0};

    (void)state;
    put_header(&p, ID, FLAGS_OK, 2, 0);
    put_question(&p, NAME, DNS_TYPE_A);
    put_question(&p, NAME, DNS_TYPE_A);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MISMATCH);
}

static void test_parse_no_question_is_mismatch(void **state)
{
    struct pkt p = {.n = 0};

    (void)state;
    put_header(&p, ID, FLAGS_OK, 0, 1);
    put_a_record(&p, 1);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MISMATCH);
}

static void test_parse_question_name_compares_case_insensitively(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    nsapi_addr_t sent = ipv4(192, 0, 2, 1);
    int len = reply_for(buf, sizeof(buf), NAME, DNS_TYPE_A, 0, &sent, 1);

    (void)state;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, "ExAmPlE.CoM.", DNS_TYPE_A, NULL, 0,
                                        NULL),
                     DNS_PKT_OK);
}

static void test_parse_for_invalid_name_is_mismatch(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    nsapi_addr_t sent = ipv4(192, 0, 2, 1);
    int len = reply_for(buf, sizeof(buf), NAME, DNS_TYPE_A, 0, &sent, 1);

    (void)state;
    assert_int_equal(dns_parse_response(buf, (size_t)len, ID, "", DNS_TYPE_A, NULL, 0, NULL),
                     DNS_PKT_MISMATCH);
}

/* ---- dns_parse_response: hostile packets ---- */

static void test_parse_every_prefix_of_a_reply_is_malformed(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    nsapi_addr_t sent[2] = {ipv4(192, 0, 2, 1), ipv4(192, 0, 2, 2)};
    nsapi_addr_t got[2];
    int count;
    int len = reply_for(buf, sizeof(buf), NAME, DNS_TYPE_A, 0, sent, 2);
    size_t cut;

    (void)state;
    for (cut = 0; cut < (size_t)len; cut++) {
        enum dns_result r = dns_parse_response(buf, cut, ID, NAME, DNS_TYPE_A, got, 2, &count);

        if (r != DNS_PKT_MALFORMED)
            fail_msg("prefix of %zu bytes of %d gave %s", cut, len, dns_result_name(r));
        assert_int_equal(count, 0);
    }
}

static void test_parse_every_prefix_of_a_cname_reply_is_malformed(void **state)
{
    struct pkt p = {.n = 0};
    size_t cut, full;

    (void)state;
    put_response_start(&p, FLAGS_OK, 2);
    put16(&p, 0xC00C);
    put_rr_fixed(&p, 5 /* CNAME */, 4);
    put_bytes(&p, "\x01" "w", 2);
    put16(&p, 0xC00C);
    put16(&p, 0xC000 | 41); /* owner: the CNAME's target, "w.example.com" */
    put_rr_fixed(&p, DNS_TYPE_A, 4);
    put_bytes(&p, "\x01\x02\x03\x04", 4);
    full = p.n;
    assert_int_equal(parse_a_result(&p), DNS_PKT_OK);
    for (cut = 0; cut < full; cut++) {
        p.n = cut;
        assert_int_equal(parse_a_result(&p), DNS_PKT_MALFORMED);
    }
}

static void test_parse_every_prefix_of_an_nxdomain_is_malformed(void **state)
{
    uint8_t buf[DNS_MAX_PACKET];
    int len = reply_for(buf, sizeof(buf), NAME, DNS_TYPE_A, DNS_RCODE_NXDOMAIN, NULL, 0);
    size_t cut;

    (void)state;
    for (cut = 0; cut < (size_t)len; cut++)
        assert_int_equal(dns_parse_response(buf, cut, ID, NAME, DNS_TYPE_A, NULL, 0, NULL),
                         DNS_PKT_MALFORMED);
}

static void test_parse_rejects_compression_loop(void **state)
{
    struct pkt p = {.n = 0};
    uint16_t self;

    (void)state;
    put_response_start(&p, FLAGS_OK, 1);
    self = (uint16_t)p.n;
    put16(&p, 0xC000 | self); /* the owner name points at itself */
    put_rr_fixed(&p, DNS_TYPE_A, 4);
    put_bytes(&p, "\x01\x02\x03\x04", 4);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MALFORMED);
}

static void test_parse_rejects_compression_loop_through_labels(void **state)
{
    struct pkt p = {.n = 0};
    uint16_t start;

    (void)state;
    put_response_start(&p, FLAGS_OK, 1);
    start = (uint16_t)p.n;
    put_labels(&p, "a");
    put16(&p, 0xC000 | start); /* "a" then back to "a": a name that never ends */
    put_rr_fixed(&p, DNS_TYPE_A, 4);
    put_bytes(&p, "\x01\x02\x03\x04", 4);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MALFORMED);
}

static void test_parse_rejects_compression_loop_between_two_pointers(void **state)
{
    struct pkt p = {.n = 0};
    uint16_t first;

    (void)state;
    put_response_start(&p, FLAGS_OK, 1);
    first = (uint16_t)p.n;
    put16(&p, 0xC000 | (first + 2));
    put16(&p, 0xC000 | first);
    put_rr_fixed(&p, DNS_TYPE_A, 4);
    put_bytes(&p, "\x01\x02\x03\x04", 4);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MALFORMED);
}

/* A response whose one A record is owned by a name reached through `jumps` pointers: the
 * owner points into a chain of jumps - 1 pointers, kept in the rdata of a skipped record,
 * whose first points at the question name. */
static void put_response_with_pointer_chain(struct pkt *p, int jumps)
{
    size_t first;
    int i;

    put_response_start(p, FLAGS_OK, 2);
    put16(p, 0xC00C);
    put_rr_fixed(p, 10 /* NULL */, (uint16_t)(2 * (jumps - 1)));
    first = p->n;
    put16(p, 0xC00C);
    for (i = 1; i < jumps - 1; i++)
        put16(p, (uint16_t)(0xC000 | (first + 2 * (size_t)(i - 1))));
    put16(p, (uint16_t)(0xC000 | (first + 2 * (size_t)(jumps - 2))));
    put_rr_fixed(p, DNS_TYPE_A, 4);
    put_bytes(p, "\x01\x02\x03\x04", 4);
}

static void test_parse_follows_128_pointer_jumps(void **state)
{
    struct pkt p = {.n = 0};

    (void)state;
    put_response_with_pointer_chain(&p, 128);
    assert_int_equal(parse_a_result(&p), DNS_PKT_OK);
}

static void test_parse_rejects_129_pointer_jumps(void **state)
{
    struct pkt p = {.n = 0};

    (void)state;
    put_response_with_pointer_chain(&p, 129);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MALFORMED);
}

static void test_parse_rejects_pointer_past_end(void **state)
{
    struct pkt p = {.n = 0};

    (void)state;
    put_response_start(&p, FLAGS_OK, 1);
    put16(&p, 0xC000 | 0x3FFF);
    put_rr_fixed(&p, DNS_TYPE_A, 4);
    put_bytes(&p, "\x01\x02\x03\x04", 4);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MALFORMED);
}

static void test_parse_rejects_pointer_into_header(void **state)
{
    struct pkt p = {.n = 0};

    (void)state;
    put_response_start(&p, FLAGS_OK, 1);
    put16(&p, 0xC000 | 4);
    put_rr_fixed(&p, DNS_TYPE_A, 4);
    put_bytes(&p, "\x01\x02\x03\x04", 4);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MALFORMED);
}

static void test_parse_rejects_pointer_cut_after_first_byte(void **state)
{
    struct pkt p = {.n = 0};

    (void)state;
    put_response_start(&p, FLAGS_OK, 1);
    put8(&p, 0xC0);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MALFORMED);
}

static void test_parse_rejects_label_length_past_end(void **state)
{
    struct pkt p = {.n = 0};

    (void)state;
    put_response_start(&p, FLAGS_OK, 1);
    put8(&p, 40);
    put_bytes(&p, "abc", 3);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MALFORMED);
}

static void test_parse_rejects_question_label_length_past_end(void **state)
{
    struct pkt p = {.n = 0};

    (void)state;
    put_header(&p, ID, FLAGS_OK, 1, 0);
    put8(&p, 63);
    put_bytes(&p, "example", 7);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MALFORMED);
}

static void test_parse_rejects_rdlength_past_end(void **state)
{
    struct pkt p = {.n = 0};

    (void)state;
    put_response_start(&p, FLAGS_OK, 1);
    put16(&p, 0xC00C);
    put_rr_fixed(&p, 5 /* CNAME: skipped, yet must fit */, 200);
    put_bytes(&p, "\x01\x02\x03\x04", 4);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MALFORMED);
}

static void test_parse_rejects_a_with_rdlength_5(void **state)
{
    struct pkt p = {.n = 0};

    (void)state;
    put_response_start(&p, FLAGS_OK, 1);
    put16(&p, 0xC00C);
    put_rr_fixed(&p, DNS_TYPE_A, 5);
    put_bytes(&p, "\x01\x02\x03\x04\x05", 5);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MALFORMED);
}

static void test_parse_rejects_aaaa_with_rdlength_4(void **state)
{
    struct pkt p = {.n = 0};

    (void)state;
    put_header(&p, ID, FLAGS_OK, 1, 1);
    put_question(&p, NAME, DNS_TYPE_AAAA);
    put16(&p, 0xC00C);
    put_rr_fixed(&p, DNS_TYPE_AAAA, 4);
    put_bytes(&p, "\x01\x02\x03\x04", 4);
    assert_int_equal(dns_parse_response(p.b, p.n, ID, NAME, DNS_TYPE_AAAA, NULL, 0, NULL),
                     DNS_PKT_MALFORMED);
}

static void test_parse_rejects_reserved_label_bits_0x40(void **state)
{
    struct pkt p = {.n = 0};
    char label[70];

    (void)state;
    put_response_start(&p, FLAGS_OK, 1);
    fill(label, 'a', 65);
    put8(&p, 0x41); /* extended label type (RFC 6891 retired it), not a 65-byte label */
    put_bytes(&p, label, 65);
    put8(&p, 0);
    put_rr_fixed(&p, DNS_TYPE_A, 4);
    put_bytes(&p, "\x01\x02\x03\x04", 4);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MALFORMED);
}

static void test_parse_rejects_reserved_label_bits_0x80(void **state)
{
    struct pkt p = {.n = 0};
    char label[130];

    (void)state;
    put_response_start(&p, FLAGS_OK, 1);
    fill(label, 'a', 129);
    put8(&p, 0x81); /* reserved, not a 129-byte label */
    put_bytes(&p, label, 129);
    put8(&p, 0);
    put_rr_fixed(&p, DNS_TYPE_A, 4);
    put_bytes(&p, "\x01\x02\x03\x04", 4);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MALFORMED);
}

static void test_parse_rejects_owner_name_over_255_bytes(void **state)
{
    struct pkt p = {.n = 0};
    char label[64];
    int i;

    (void)state;
    put_response_start(&p, FLAGS_OK, 1);
    fill(label, 'z', 63);
    for (i = 0; i < 4; i++) /* 4 * 64 + 1 = 257 bytes */
        put_labels(&p, label);
    put8(&p, 0);
    put_rr_fixed(&p, DNS_TYPE_A, 4);
    put_bytes(&p, "\x01\x02\x03\x04", 4);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MALFORMED);
}

static void test_parse_rejects_name_over_255_bytes_made_by_pointer(void **state)
{
    struct pkt p = {.n = 0};
    char label[64];
    int i;

    (void)state;
    put_response_start(&p, FLAGS_OK, 1); /* question: 13 bytes on the wire */
    fill(label, 'z', 63);
    for (i = 0; i < 3; i++) /* 3 * 64 + 13 = 205: fits */
        put_labels(&p, label);
    put16(&p, 0xC00C);
    put_rr_fixed(&p, DNS_TYPE_A, 4);
    put_bytes(&p, "\x01\x02\x03\x04", 4);
    assert_int_equal(parse_a_result(&p), DNS_PKT_OK);

    p.n = 0;
    put_response_start(&p, FLAGS_OK, 1);
    for (i = 0; i < 3; i++)
        put_labels(&p, label);
    put_labels(&p, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"); /* +51: 256 */
    put16(&p, 0xC00C);
    put_rr_fixed(&p, DNS_TYPE_A, 4);
    put_bytes(&p, "\x01\x02\x03\x04", 4);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MALFORMED);
}

static void test_parse_rejects_answer_count_beyond_packet(void **state)
{
    struct pkt p = {.n = 0};

    (void)state;
    put_response_start(&p, FLAGS_OK, 3);
    put_a_record(&p, 1);
    put_a_record(&p, 2);
    assert_int_equal(parse_a_result(&p), DNS_PKT_MALFORMED);
}

static void test_parse_rejects_fault_after_the_max_th_address(void **state)
{
    struct pkt p = {.n = 0};
    nsapi_addr_t got[1];
    int count = -1;

    (void)state;
    put_response_start(&p, FLAGS_OK, 2);
    put_a_record(&p, 1);
    put16(&p, 0xC00C);
    put_rr_fixed(&p, DNS_TYPE_A, 5);
    put_bytes(&p, "\x01\x02\x03\x04\x05", 5);
    assert_int_equal(parse_a(&p, got, 1, &count), DNS_PKT_MALFORMED);
    assert_int_equal(count, 0);
}

static void test_parse_ignores_bytes_after_the_answer_section(void **state)
{
    struct pkt p = {.n = 0};

    (void)state;
    put_response_start(&p, FLAGS_OK, 1);
    put_a_record(&p, 1);
    put_bytes(&p, "\xC0", 1);
    assert_int_equal(parse_a_result(&p), DNS_PKT_OK);
}

static void test_result_name_names_every_result(void **state)
{
    (void)state;
    assert_string_equal(dns_result_name(DNS_PKT_OK), "ok");
    assert_string_equal(dns_result_name(DNS_PKT_NXDOMAIN), "nxdomain");
    assert_string_equal(dns_result_name(DNS_PKT_NODATA), "nodata");
    assert_string_equal(dns_result_name(DNS_PKT_SERVER_ERROR), "server-error");
    assert_string_equal(dns_result_name(DNS_PKT_TRUNCATED), "truncated");
    assert_string_equal(dns_result_name(DNS_PKT_MISMATCH), "mismatch");
    assert_string_equal(dns_result_name(DNS_PKT_MALFORMED), "malformed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_query_writes_id_rd_and_one_question),
        cmocka_unit_test(test_build_query_encodes_labels_type_and_class_in),
        cmocka_unit_test(test_build_query_accepts_trailing_dot),
        cmocka_unit_test(test_build_query_rejects_empty_name),
        cmocka_unit_test(test_build_query_rejects_root_name),
        cmocka_unit_test(test_build_query_rejects_null_name),
        cmocka_unit_test(test_build_query_rejects_empty_label),
        cmocka_unit_test(test_build_query_accepts_label_of_63),
        cmocka_unit_test(test_build_query_rejects_label_over_63),
        cmocka_unit_test(test_build_query_accepts_name_of_253),
        cmocka_unit_test(test_build_query_accepts_name_of_253_with_trailing_dot),
        cmocka_unit_test(test_build_query_rejects_name_over_253),
        cmocka_unit_test(test_build_query_rejects_too_small_buffer),
        cmocka_unit_test(test_parse_query_reads_id_type_class_and_rd),
        cmocka_unit_test(test_parse_query_lowercases_name_and_drops_trailing_dot),
        cmocka_unit_test(test_parse_query_reports_question_end),
        cmocka_unit_test(test_parse_query_keeps_longest_name),
        cmocka_unit_test(test_parse_query_rejects_response),
        cmocka_unit_test(test_parse_query_rejects_two_questions),
        cmocka_unit_test(test_parse_query_rejects_nonzero_opcode),
        cmocka_unit_test(test_parse_query_rejects_short_header),
        cmocka_unit_test(test_parse_query_rejects_every_cut_question),
        cmocka_unit_test(test_parse_query_rejects_label_holding_dot),
        cmocka_unit_test(test_parse_query_rejects_compression_loop),
        cmocka_unit_test(test_round_trip_a_gives_the_address),
        cmocka_unit_test(test_round_trip_aaaa_gives_the_address),
        cmocka_unit_test(test_round_trip_of_longest_name),
        cmocka_unit_test(test_build_reply_owner_is_pointer_to_question),
        cmocka_unit_test(test_build_reply_sets_qr_aa_ra_copies_rd_and_rcode),
        cmocka_unit_test(test_build_reply_rejects_unspec_address),
        cmocka_unit_test(test_build_reply_rejects_too_small_buffer),
        cmocka_unit_test(test_build_reply_rejects_rcode_over_15),
        cmocka_unit_test(test_parse_takes_a_after_cname),
        cmocka_unit_test(test_parse_caps_addresses_at_max),
        cmocka_unit_test(test_parse_returns_addresses_in_answer_order),
        cmocka_unit_test(test_parse_with_max_zero_reports_ok_and_no_addresses),
        cmocka_unit_test(test_parse_skips_records_of_other_type_to_nodata),
        cmocka_unit_test(test_parse_skips_records_of_other_class),
        cmocka_unit_test(test_parse_rcode0_without_answers_is_nodata),
        cmocka_unit_test(test_parse_nxdomain_ends_with_nxdomain),
        cmocka_unit_test(test_parse_servfail_is_server_error),
        cmocka_unit_test(test_parse_refused_is_server_error),
        cmocka_unit_test(test_parse_tc_bit_is_truncated),
        cmocka_unit_test(test_parse_wrong_id_is_mismatch),
        cmocka_unit_test(test_parse_query_packet_is_mismatch),
        cmocka_unit_test(test_parse_nonzero_opcode_is_mismatch),
        cmocka_unit_test(test_parse_other_question_name_is_mismatch),
        cmocka_unit_test(test_parse_question_name_that_is_a_suffix_is_mismatch),
        cmocka_unit_test(test_parse_other_question_type_is_mismatch),
        cmocka_unit_test(test_parse_other_question_class_is_mismatch),
        cmocka_unit_test(test_parse_two_questions_is_mismatch),
        cmocka_unit_test(test_parse_no_question_is_mismatch),
        cmocka_unit_test(test_parse_question_name_compares_case_insensitively),
        cmocka_unit_test(test_parse_for_invalid_name_is_mismatch),
        cmocka_unit_test(test_parse_every_prefix_of_a_reply_is_malformed),
        cmocka_unit_test(test_parse_every_prefix_of_a_cname_reply_is_malformed),
        cmocka_unit_test(test_parse_every_prefix_of_an_nxdomain_is_malformed),
        cmocka_unit_test(test_parse_rejects_compression_loop),
        cmocka_unit_test(test_parse_rejects_compression_loop_through_labels),
        cmocka_unit_test(test_parse_rejects_compression_loop_between_two_pointers),
        cmocka_unit_test(test_parse_follows_128_pointer_jumps),
        cmocka_unit_test(test_parse_rejects_129_pointer_jumps),
        cmocka_unit_test(test_parse_rejects_pointer_past_end),
        cmocka_unit_test(test_parse_rejects_pointer_into_header),
        cmocka_unit_test(test_parse_rejects_pointer_cut_after_first_byte),
        cmocka_unit_test(test_parse_rejects_label_length_past_end),
        cmocka_unit_test(test_parse_rejects_question_label_length_past_end),
        cmocka_unit_test(test_parse_rejects_rdlength_past_end),
        cmocka_unit_test(test_parse_rejects_a_with_rdlength_5),
        cmocka_unit_test(test_parse_rejects_aaaa_with_rdlength_4),
        cmocka_unit_test(test_parse_rejects_reserved_label_bits_0x40),
        cmocka_unit_test(test_parse_rejects_reserved_label_bits_0x80),
        cmocka_unit_test(test_parse_rejects_owner_name_over_255_bytes),
        cmocka_unit_test(test_parse_rejects_name_over_255_bytes_made_by_pointer),
        cmocka_unit_test(test_parse_rejects_answer_count_beyond_packet),
        cmocka_unit_test(test_parse_rejects_fault_after_the_max_th_address),
        cmocka_unit_test(test_parse_ignores_bytes_after_the_answer_section),
        cmocka_unit_test(test_result_name_names_every_result),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
