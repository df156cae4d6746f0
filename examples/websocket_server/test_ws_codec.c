/*
 * test_ws_codec.c: unit tests of the websocket_server example's RFC 6455 pieces
 * (ws_codec.c): the handshake's accept key (RFC 6455's own example), request parsing,
 * frame headers in their three length forms, masking, UTF-8 and close codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ws_codec.h"

/* ---- the handshake ------------------------------------------------------------------ */

static void test_accept_key_of_the_rfc_example(void **state)
{
    char accept[WS_ACCEPT_KEY_SIZE];
    (void)state;

    assert_int_equal(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", accept), 0);
    assert_string_equal(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void test_key_must_be_base64_of_16_bytes(void **state)
{
    (void)state;

    assert_true(ws_key_valid("dGhlIHNhbXBsZSBub25jZQ=="));
    assert_false(ws_key_valid(NULL));
    assert_false(ws_key_valid("dGhlIHNhbXBsZQ=="));         /* 10 bytes */
    assert_false(ws_key_valid("dGhlIHNhbXBsZSBub25jZQ!!")); /* not base64 */
}

static void test_parse_upgrade_request(void **state)
{
    char text[] = "GET /ws HTTP/1.1\r\n"
                  "Host: 127.0.0.1:8080\r\n"
                  "upgrade:  WebSocket \r\n"
                  "Connection: keep-alive, Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n"
                  "\r\n";
    struct ws_request req;
    (void)state;

    assert_int_equal(ws_parse_request(text, &req), 0);
    assert_string_equal(req.method, "GET");
    assert_string_equal(req.target, "/ws");
    assert_string_equal(req.version, "HTTP/1.1");
    assert_string_equal(req.host, "127.0.0.1:8080");
    assert_string_equal(req.upgrade, "WebSocket");
    assert_string_equal(req.key, "dGhlIHNhbXBsZSBub25jZQ==");
    assert_string_equal(req.ws_version, "13");
    assert_true(ws_is_upgrade(&req));
}

static void test_plain_get_is_no_upgrade(void **state)
{
    char text[] = "GET /?message=hi HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n";
    struct ws_request req;
    (void)state;

    assert_int_equal(ws_parse_request(text, &req), 0);
    assert_null(req.upgrade);
    assert_false(ws_is_upgrade(&req));
}

static void test_upgrade_needs_connection_upgrade_and_http11(void **state)
{
    char no_connection[] = "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n";
    char http10[] = "GET /ws HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
    char post[] = "POST /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n";
    char *cases[] = {no_connection, http10, post};
    struct ws_request req;
    (void)state;

    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(ws_parse_request(cases[i], &req), 0);
        assert_false(ws_is_upgrade(&req));
    }
}

static void test_malformed_requests(void **state)
{
    char no_version[] = "GET /\r\n\r\n";
    char no_colon[] = "GET / HTTP/1.1\r\nHost x\r\n\r\n";
    char folded[] = "GET / HTTP/1.1\r\nHost: x\r\n  folded\r\n\r\n";
    char unfinished[] = "GET / HTTP/1.1\r\nHost: x\r\n";
    char *cases[] = {no_version, no_colon, folded, unfinished};
    struct ws_request req;
    (void)state;

    for (size_t i = 0; i < 4; i++)
        assert_int_equal(ws_parse_request(cases[i], &req), WS_PROTOCOL_ERROR);
}

/* ---- frames ------------------------------------------------------------------------- */

static void test_encode_three_length_forms(void **state)
{
    uint8_t h[WS_MAX_HEADER];
    (void)state;

    assert_int_equal(ws_encode_frame_header(h, true, WS_TEXT, 125), 2);
    assert_memory_equal(h, "\x81\x7d", 2);
    assert_int_equal(ws_encode_frame_header(h, true, WS_BINARY, 126), 4);
    assert_memory_equal(h, "\x82\x7e\x00\x7e", 4);
    assert_int_equal(ws_encode_frame_header(h, false, WS_TEXT, 65535), 4);
    assert_memory_equal(h, "\x01\x7e\xff\xff", 4);
    assert_int_equal(ws_encode_frame_header(h, true, WS_BINARY, 65536), 10);
    assert_memory_equal(h, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
}

static void test_parse_masked_frames_of_each_length_form(void **state)
{
    static const uint8_t small[] = {0x81, 0x85, 1, 2, 3, 4};
    static const uint8_t medium[] = {0x82, 0xfe, 0x01, 0x00, 9, 9, 9, 9};
    static const uint8_t large[] = {0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 5, 6, 7, 8};
    struct ws_frame_header h;
    (void)state;

    assert_int_equal(ws_parse_frame_header(small, sizeof(small), &h), 6);
    assert_true(h.fin);
    assert_true(h.masked);
    assert_int_equal(h.opcode, WS_TEXT);
    assert_int_equal(h.payload_len, 5);
    assert_memory_equal(h.mask, "\x01\x02\x03\x04", 4);
    assert_int_equal(ws_parse_frame_header(medium, sizeof(medium), &h), 8);
    assert_int_equal(h.payload_len, 256);
    assert_int_equal(ws_parse_frame_header(large, sizeof(large), &h), 14);
    assert_int_equal(h.payload_len, 65536);
    assert_memory_equal(h.mask, "\x05\x06\x07\x08", 4);
}

static void test_parse_incomplete_headers(void **state)
{
    static const uint8_t large[] = {0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 5, 6, 7, 8};
    struct ws_frame_header h;
    (void)state;

    for (size_t n = 0; n < sizeof(large); n++)
        assert_int_equal(ws_parse_frame_header(large, n, &h), WS_INCOMPLETE);
}

static void test_parse_protocol_errors(void **state)
{
    static const uint8_t rsv1[] = {0xc1, 0x80, 0, 0, 0, 0};
    static const uint8_t opcode3[] = {0x83, 0x80, 0, 0, 0, 0};
    static const uint8_t opcode11[] = {0x8b, 0x80, 0, 0, 0, 0};
    static const uint8_t ping_fragment[] = {0x09, 0x80, 0, 0, 0, 0};
    static const uint8_t ping_126[] = {0x89, 0xfe, 0x00, 0x7e, 0, 0, 0, 0};
    static const uint8_t short_in_16[] = {0x81, 0xfe, 0x00, 0x05, 0, 0, 0, 0};
    static const uint8_t short_in_64[] = {0x81, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0};
    static const uint8_t top_bit[] = {0x82, 0xff, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    const uint8_t *cases[] = {rsv1,     opcode3,     opcode11,    ping_fragment,
                              ping_126, short_in_16, short_in_64, top_bit};
    const size_t sizes[] = {sizeof(rsv1),          sizeof(opcode3),  sizeof(opcode11),
                            sizeof(ping_fragment), sizeof(ping_126), sizeof(short_in_16),
                            sizeof(short_in_64),   sizeof(top_bit)};
    struct ws_frame_header h;
    (void)state;

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        assert_int_equal(ws_parse_frame_header(cases[i], sizes[i], &h), WS_PROTOCOL_ERROR);
}

static void test_unmask_rfc_example(void **state)
{
    /* RFC 6455 §5.7: a masked "Hello". */
    uint8_t data[] = {0x7f, 0x9f, 0x4d, 0x51, 0x58};
    static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    (void)state;

    ws_unmask(data, sizeof(data), mask, 0);
    assert_memory_equal(data, "Hello", 5);
}

static void test_unmask_from_an_offset(void **state)
{
    uint8_t whole[] = "abcdefgh", split[] = "abcdefgh";
    static const uint8_t mask[4] = {1, 2, 3, 4};
    (void)state;

    ws_unmask(whole, 8, mask, 0);
    ws_unmask(split, 3, mask, 0);
    ws_unmask(split + 3, 5, mask, 3);
    assert_memory_equal(whole, split, 8);
}

/* ---- checks ------------------------------------------------------------------------- */

static void test_utf8(void **state)
{
    (void)state;

    assert_true(ws_utf8_valid((const uint8_t *)"plain", 5));
    assert_true(ws_utf8_valid((const uint8_t *)"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 12));
    assert_false(ws_utf8_valid((const uint8_t *)"\xc0\xaf", 2));         /* overlong '/' */
    assert_false(ws_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));     /* surrogate */
    assert_false(ws_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
    assert_false(ws_utf8_valid((const uint8_t *)"\xe2\x82", 2));         /* cut short */
    assert_false(ws_utf8_valid((const uint8_t *)"\x80", 1));             /* lone continuation */
    assert_false(ws_utf8_valid((const uint8_t *)"\xff", 1));
}

static void test_close_codes(void **state)
{
    (void)state;

    assert_true(ws_close_code_valid(1000));
    assert_true(ws_close_code_valid(1011));
    assert_true(ws_close_code_valid(3000));
    assert_true(ws_close_code_valid(4999));
    assert_false(ws_close_code_valid(999));
    assert_false(ws_close_code_valid(1004));
    assert_false(ws_close_code_valid(1005));
    assert_false(ws_close_code_valid(1006));
    assert_false(ws_close_code_valid(1015));
    assert_false(ws_close_code_valid(2000));
    assert_false(ws_close_code_valid(5000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_key_of_the_rfc_example),
        cmocka_unit_test(test_key_must_be_base64_of_16_bytes),
        cmocka_unit_test(test_parse_upgrade_request),
        cmocka_unit_test(test_plain_get_is_no_upgrade),
        cmocka_unit_test(test_upgrade_needs_connection_upgrade_and_http11),
        cmocka_unit_test(test_malformed_requests),
        cmocka_unit_test(test_encode_three_length_forms),
        cmocka_unit_test(test_parse_masked_frames_of_each_length_form),
        cmocka_unit_test(test_parse_incomplete_headers),
        cmocka_unit_test(test_parse_protocol_errors),
        cmocka_unit_test(test_unmask_rfc_example),
        cmocka_unit_test(test_unmask_from_an_offset),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_close_codes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
