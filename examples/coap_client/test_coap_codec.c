/*
 * test_coap_codec.c: unit tests of the coap_client example's CoAP codec (coap_codec.c):
 * RFC 7252's own example message, options with 1- and 2-byte delta and length
 * extensions, the payload marker, and malformed input written byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "coap_codec.h"

/* ---- encoding ---------------------------------------------------------------------- */

/* RFC 7252 Appendix A, figure 16: CON [0x7d34] GET /temperature. */
static void test_encode_rfc_example_get(void **state)
{
    static const uint8_t want[] = {0x40, 0x01, 0x7d, 0x34, 0xbb, 't', 'e', 'm',
                                   'p',  'e',  'r',  'a',  't',  'u', 'r', 'e'};
    struct coap_message m;
    uint8_t buf[64];
    (void)state;

    coap_message_init(&m, COAP_CON, COAP_GET, 0x7d34);
    assert_int_equal(coap_add_uri(&m, "/temperature"), 0);
    assert_int_equal(coap_encode(&m, buf, sizeof(buf)), sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
}

static void test_encode_token_path_segments_and_payload(void **state)
{
    static const uint8_t want[] = {0x42, 0x02, 0x12, 0x34, 0xaa, 0xbb, /* CON POST, TKL 2 */
                                   0xb1, 'a',  0x03, 'b',  'c',  'd',  /* Uri-Path a, bcd */
                                   0x10,                               /* Content-Format 0 */
                                   0xff, 'h',  'i'};
    struct coap_message m;
    uint8_t buf[64];
    (void)state;

    coap_message_init(&m, COAP_CON, COAP_POST, 0x1234);
    m.token_len = 2;
    m.token[0] = 0xaa;
    m.token[1] = 0xbb;
    assert_int_equal(coap_add_uint_option(&m, COAP_OPTION_CONTENT_FORMAT, 0), 0);
    assert_int_equal(coap_add_uri(&m, "/a/bcd"), 0); /* sorted before Content-Format */
    m.payload = (const uint8_t *)"hi";
    m.payload_len = 2;
    assert_int_equal(coap_encode(&m, buf, sizeof(buf)), sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
}

static void test_encode_one_byte_delta_and_length_extensions(void **state)
{
    /* Accept (17) first: delta 17 = 13 + 4. A value of 13 bytes: 13 + 0. */
    static const uint8_t value[13] = "thirteen-byte";
    struct coap_message m;
    uint8_t buf[64];
    (void)state;

    coap_message_init(&m, COAP_NON, COAP_GET, 1);
    assert_int_equal(coap_add_option(&m, COAP_OPTION_ACCEPT, value, sizeof(value)), 0);
    assert_int_equal(coap_encode(&m, buf, sizeof(buf)), 4 + 3 + 13);
    assert_int_equal(buf[4], 0xdd);
    assert_int_equal(buf[5], 4);
    assert_int_equal(buf[6], 0);
    assert_memory_equal(buf + 7, value, sizeof(value));
}

static void test_encode_two_byte_delta_and_length_extensions(void **state)
{
    /* Option 300: delta 300 = 269 + 31. A value of 300 bytes: 269 + 31. */
    static uint8_t value[300], buf[400];
    struct coap_message m, back;
    (void)state;

    memset(value, 'v', sizeof(value));
    coap_message_init(&m, COAP_CON, COAP_PUT, 2);
    assert_int_equal(coap_add_option(&m, 300, value, sizeof(value)), 0);
    assert_int_equal(coap_encode(&m, buf, sizeof(buf)), 4 + 5 + 300);
    assert_int_equal(buf[4], 0xee);
    assert_memory_equal(buf + 5, "\x00\x1f\x00\x1f", 4);
    assert_int_equal(coap_decode(buf, 309, &back), 0);
    assert_int_equal(back.option_count, 1);
    assert_int_equal(back.options[0].number, 300);
    assert_int_equal(back.options[0].length, 300);
    assert_memory_equal(back.options[0].value, value, sizeof(value));
}

static void test_encode_extension_boundaries_round_trip(void **state)
{
    static const uint16_t numbers[] = {12, 13, 268, 269, 65535};
    static uint8_t value[270], buf[2048];
    (void)state;

    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        static const size_t lengths[] = {0, 12, 13, 268, 269};
        struct coap_message m, back;
        int len;

        coap_message_init(&m, COAP_CON, COAP_GET, (uint16_t)i);
        assert_int_equal(coap_add_option(&m, numbers[i], value, lengths[i]), 0);
        len = coap_encode(&m, buf, sizeof(buf));
        assert_true(len > 0);
        assert_int_equal(coap_decode(buf, (size_t)len, &back), 0);
        assert_int_equal(back.options[0].number, numbers[i]);
        assert_int_equal(back.options[0].length, lengths[i]);
    }
}

static void test_encode_repeated_options_keep_their_order(void **state)
{
    struct coap_message m, back;
    uint8_t buf[64];
    int len;
    (void)state;

    coap_message_init(&m, COAP_CON, COAP_GET, 3);
    assert_int_equal(coap_add_uri(&m, "/async?a=1&b=2"), 0);
    len = coap_encode(&m, buf, sizeof(buf));
    assert_true(len > 0);
    assert_int_equal(coap_decode(buf, (size_t)len, &back), 0);
    assert_int_equal(back.option_count, 3);
    assert_int_equal(back.options[0].number, COAP_OPTION_URI_PATH);
    assert_memory_equal(back.options[0].value, "async", 5);
    assert_int_equal(back.options[1].number, COAP_OPTION_URI_QUERY);
    assert_memory_equal(back.options[1].value, "a=1", 3);
    assert_int_equal(back.options[2].number, COAP_OPTION_URI_QUERY);
    assert_memory_equal(back.options[2].value, "b=2", 3);
    /* The second Uri-Query has delta 0. */
    assert_int_equal(buf[len - 4] >> 4, 0);
}

static void test_encode_uint_option_shortest_form(void **state)
{
    struct coap_message m;
    (void)state;

    coap_message_init(&m, COAP_CON, COAP_GET, 4);
    assert_int_equal(coap_add_uint_option(&m, COAP_OPTION_CONTENT_FORMAT, 0), 0);
    assert_int_equal(coap_add_uint_option(&m, COAP_OPTION_ACCEPT, 0x1234), 0);
    assert_int_equal(m.options[0].length, 0);
    assert_int_equal(m.options[1].length, 2);
    assert_int_equal(coap_option_uint(&m.options[1]), 0x1234);
}

static void test_encode_needs_room(void **state)
{
    struct coap_message m;
    uint8_t buf[15];
    (void)state;

    coap_message_init(&m, COAP_CON, COAP_GET, 0x7d34);
    coap_add_uri(&m, "/temperature");
    assert_int_equal(coap_encode(&m, buf, sizeof(buf)), COAP_NO_SPACE);
    assert_int_equal(coap_encode(&m, buf, 3), COAP_NO_SPACE);
}

static void test_encode_refuses_what_coap_cannot_carry(void **state)
{
    struct coap_message m;
    uint8_t buf[64];
    char long_segment[300];
    (void)state;

    coap_message_init(&m, COAP_ACK, COAP_EMPTY, 1);
    m.token_len = 1; /* an empty message has no token */
    assert_int_equal(coap_encode(&m, buf, sizeof(buf)), COAP_BAD_ARGUMENT);
    coap_message_init(&m, COAP_CON, COAP_GET, 1);
    m.token_len = 9;
    assert_int_equal(coap_encode(&m, buf, sizeof(buf)), COAP_BAD_ARGUMENT);
    memset(long_segment, 'x', sizeof(long_segment) - 1);
    long_segment[sizeof(long_segment) - 1] = '\0';
    coap_message_init(&m, COAP_CON, COAP_GET, 1);
    assert_int_equal(coap_add_uri(&m, long_segment), COAP_BAD_ARGUMENT);
}

static void test_too_many_options_are_refused(void **state)
{
    struct coap_message m;
    (void)state;

    coap_message_init(&m, COAP_CON, COAP_GET, 1);
    for (int i = 0; i < COAP_MAX_OPTIONS; i++)
        assert_int_equal(coap_add_option(&m, COAP_OPTION_URI_PATH, "a", 1), 0);
    assert_int_equal(coap_add_option(&m, COAP_OPTION_URI_PATH, "a", 1), COAP_TOO_MANY_OPTIONS);
}

/* ---- decoding ---------------------------------------------------------------------- */

static void test_decode_piggybacked_response(void **state)
{
    /* ACK 2.05 mid 0x7d34 token 0x71, Content-Format 0, payload "22.3 C". */
    static const uint8_t in[] = {0x61, 0x45, 0x7d, 0x34, 0x71, 0xc0, 0xff,
                                 '2',  '2',  '.',  '3',  ' ',  'C'};
    struct coap_message m;
    char text[32];
    (void)state;

    assert_int_equal(coap_decode(in, sizeof(in), &m), 0);
    assert_int_equal(m.type, COAP_ACK);
    assert_int_equal(m.code, COAP_CODE(2, 5));
    assert_string_equal(coap_code_text(m.code, text, sizeof(text)), "2.05 Content");
    assert_int_equal(m.message_id, 0x7d34);
    assert_int_equal(m.token_len, 1);
    assert_int_equal(m.token[0], 0x71);
    assert_non_null(coap_find_option(&m, COAP_OPTION_CONTENT_FORMAT, NULL));
    assert_null(coap_find_option(&m, COAP_OPTION_URI_PATH, NULL));
    assert_int_equal(m.payload_len, 6);
    assert_memory_equal(m.payload, "22.3 C", 6);
}

static void test_decode_empty_ack(void **state)
{
    static const uint8_t in[] = {0x60, 0x00, 0x12, 0x34};
    struct coap_message m;
    (void)state;

    assert_int_equal(coap_decode(in, sizeof(in), &m), 0);
    assert_int_equal(m.type, COAP_ACK);
    assert_int_equal(m.code, COAP_EMPTY);
    assert_int_equal(m.payload_len, 0);
}

static void test_decode_malformed_headers(void **state)
{
    static const uint8_t short_one[] = {0x40, 0x01, 0x00};
    static const uint8_t version2[] = {0x80, 0x01, 0x00, 0x01};
    static const uint8_t tkl9[] = {0x49, 0x01, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    static const uint8_t token_cut[] = {0x44, 0x01, 0x00, 0x01, 1, 2};
    static const uint8_t empty_with_token[] = {0x61, 0x00, 0x00, 0x01, 0x01};
    static const uint8_t empty_with_bytes[] = {0x60, 0x00, 0x00, 0x01, 0xff, 'x'};
    const uint8_t *cases[] = {short_one, version2,         tkl9,
                              token_cut, empty_with_token, empty_with_bytes};
    const size_t sizes[] = {sizeof(short_one), sizeof(version2),         sizeof(tkl9),
                            sizeof(token_cut), sizeof(empty_with_token), sizeof(empty_with_bytes)};
    struct coap_message m;
    (void)state;

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        assert_int_equal(coap_decode(cases[i], sizes[i], &m), COAP_MALFORMED);
}

static void test_decode_malformed_options(void **state)
{
    static const uint8_t marker_no_payload[] = {0x40, 0x01, 0x00, 0x01, 0xff};
    static const uint8_t delta15[] = {0x40, 0x01, 0x00, 0x01, 0xf1, 'x'};
    static const uint8_t length15[] = {0x40, 0x01, 0x00, 0x01, 0x1f, 'x'};
    static const uint8_t ext1_cut[] = {0x40, 0x01, 0x00, 0x01, 0xd0};
    static const uint8_t ext2_cut[] = {0x40, 0x01, 0x00, 0x01, 0x0e, 0x01};
    static const uint8_t value_cut[] = {0x40, 0x01, 0x00, 0x01, 0xb5, 'a', 'b'};
    /* 65000 + 65000: past the largest option number. */
    static const uint8_t overflow[] = {0x40, 0x01, 0x00, 0x01, 0xe0, 0xfc, 0xdb, 0xe0, 0xfc, 0xdb};
    const uint8_t *cases[] = {marker_no_payload, delta15,   length15, ext1_cut,
                              ext2_cut,          value_cut, overflow};
    const size_t sizes[] = {sizeof(marker_no_payload), sizeof(delta15),  sizeof(length15),
                            sizeof(ext1_cut),          sizeof(ext2_cut), sizeof(value_cut),
                            sizeof(overflow)};
    struct coap_message m;
    (void)state;

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        assert_int_equal(coap_decode(cases[i], sizes[i], &m), COAP_MALFORMED);
}

static void test_decode_too_many_options(void **state)
{
    uint8_t in[4 + COAP_MAX_OPTIONS + 1] = {0x40, 0x01, 0x00, 0x01};
    struct coap_message m;
    (void)state;

    memset(in + 4, 0x00, sizeof(in) - 4); /* options of delta 0, length 0 (If-Match…) */
    assert_int_equal(coap_decode(in, sizeof(in), &m), COAP_TOO_MANY_OPTIONS);
    assert_int_equal(coap_decode(in, sizeof(in) - 1, &m), 0);
}

/* Every cut of a valid message decodes or is malformed, never reads past the cut (ASan
 * checks that in the sanitized build). */
static void test_decode_truncations_never_read_past_the_end(void **state)
{
    static const uint8_t in[] = {0x42, 0x45, 0x12, 0x34, 0xaa, 0xbb, 0xd1, 0x02,
                                 'x',  0xe2, 0x00, 0x05, 'y',  'z',  0xff, 'p'};
    (void)state;

    for (size_t n = 0; n <= sizeof(in); n++) {
        uint8_t *copy = test_malloc(n + 1);
        struct coap_message m;
        int r;

        memcpy(copy, in, n);
        r = coap_decode(copy, n, &m);
        assert_true(r == 0 || r == COAP_MALFORMED);
        if (n == sizeof(in)) {
            assert_int_equal(r, 0);
            assert_int_equal(m.option_count, 2);
            assert_int_equal(m.options[0].number, 15);
            assert_int_equal(m.options[1].number, 15 + 269 + 5);
            assert_int_equal(m.payload_len, 1);
        }
        test_free(copy);
    }
}

static void test_code_text(void **state)
{
    char buf[40];
    (void)state;

    assert_string_equal(coap_code_text(COAP_CODE(4, 4), buf, sizeof(buf)), "4.04 Not Found");
    assert_string_equal(coap_code_text(COAP_CODE(2, 1), buf, sizeof(buf)), "2.01 Created");
    assert_string_equal(coap_code_text(COAP_CODE(3, 7), buf, sizeof(buf)), "3.07");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_rfc_example_get),
        cmocka_unit_test(test_encode_token_path_segments_and_payload),
        cmocka_unit_test(test_encode_one_byte_delta_and_length_extensions),
        cmocka_unit_test(test_encode_two_byte_delta_and_length_extensions),
        cmocka_unit_test(test_encode_extension_boundaries_round_trip),
        cmocka_unit_test(test_encode_repeated_options_keep_their_order),
        cmocka_unit_test(test_encode_uint_option_shortest_form),
        cmocka_unit_test(test_encode_needs_room),
        cmocka_unit_test(test_encode_refuses_what_coap_cannot_carry),
        cmocka_unit_test(test_too_many_options_are_refused),
        cmocka_unit_test(test_decode_piggybacked_response),
        cmocka_unit_test(test_decode_empty_ack),
        cmocka_unit_test(test_decode_malformed_headers),
        cmocka_unit_test(test_decode_malformed_options),
        cmocka_unit_test(test_decode_too_many_options),
        cmocka_unit_test(test_decode_truncations_never_read_past_the_end),
        cmocka_unit_test(test_code_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
