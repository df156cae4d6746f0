/*
 * test_mqtt_codec.c: unit tests of the mqtt_client example's MQTT 3.1.1 codec
 * (mqtt_codec.c). Encoded packets are compared with the bytes MQTT 3.1.1 prescribes;
 * hostile input is written byte by byte, so each test shows the fault it feeds in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mqtt_codec.h"

/* ---- the remaining-length varint --------------------------------------------------- */

static void test_remaining_length_boundaries_round_trip(void **state)
{
    static const struct {
        uint32_t value;
        int bytes;
    } cases[] = {{0, 1},     {127, 1},     {128, 2},     {16383, 2},
                 {16384, 3}, {2097151, 3}, {2097152, 4}, {268435455, 4}};
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t buf[4];
        uint32_t back = 1;

        assert_int_equal(mqtt_encode_remaining_length(buf, sizeof(buf), cases[i].value),
                         cases[i].bytes);
        assert_int_equal(mqtt_decode_remaining_length(buf, (size_t)cases[i].bytes, &back),
                         cases[i].bytes);
        assert_int_equal(back, cases[i].value);
    }
}

static void test_remaining_length_known_encodings(void **state)
{
    uint8_t buf[4];
    (void)state;

    assert_int_equal(mqtt_encode_remaining_length(buf, sizeof(buf), 321), 2);
    assert_int_equal(buf[0], 0xc1);
    assert_int_equal(buf[1], 0x02);
    assert_int_equal(mqtt_encode_remaining_length(buf, sizeof(buf), 268435455), 4);
    assert_memory_equal(buf, "\xff\xff\xff\x7f", 4);
}

static void test_remaining_length_over_maximum_is_refused(void **state)
{
    uint8_t buf[8];
    (void)state;

    assert_int_equal(mqtt_encode_remaining_length(buf, sizeof(buf), 268435456), MQTT_BAD_ARGUMENT);
}

static void test_remaining_length_needs_room(void **state)
{
    uint8_t buf[2];
    (void)state;

    assert_int_equal(mqtt_encode_remaining_length(buf, sizeof(buf), 16384), MQTT_NO_SPACE);
}

static void test_remaining_length_fifth_byte_is_malformed(void **state)
{
    static const uint8_t five[] = {0xff, 0xff, 0xff, 0xff, 0x01};
    uint32_t v;
    (void)state;

    assert_int_equal(mqtt_decode_remaining_length(five, sizeof(five), &v), MQTT_MALFORMED);
}

static void test_remaining_length_cut_short_is_incomplete(void **state)
{
    static const uint8_t two[] = {0x80, 0x80};
    uint32_t v;
    (void)state;

    assert_int_equal(mqtt_decode_remaining_length(two, sizeof(two), &v), MQTT_INCOMPLETE);
    assert_int_equal(mqtt_decode_remaining_length(two, 0, &v), MQTT_INCOMPLETE);
}

/* ---- framing ----------------------------------------------------------------------- */

static void test_frame_whole_packet(void **state)
{
    static const uint8_t suback[] = {0x90, 0x03, 0x00, 0x07, 0x01, 0xd0};
    struct mqtt_packet p;
    (void)state;

    assert_int_equal(mqtt_frame(suback, sizeof(suback), 4096, &p), 5);
    assert_int_equal(p.type, MQTT_SUBACK);
    assert_int_equal(p.body_len, 3);
    assert_ptr_equal(p.body, suback + 2);
}

static void test_frame_every_prefix_is_incomplete(void **state)
{
    static const uint8_t connack[] = {0x20, 0x02, 0x00, 0x00};
    struct mqtt_packet p;
    (void)state;

    for (size_t n = 0; n < sizeof(connack); n++)
        assert_int_equal(mqtt_frame(connack, n, 4096, &p), MQTT_INCOMPLETE);
    assert_int_equal(mqtt_frame(connack, sizeof(connack), 4096, &p), 4);
}

static void test_frame_reserved_types_are_malformed(void **state)
{
    static const uint8_t zero[] = {0x00, 0x00}, fifteen[] = {0xf0, 0x00};
    struct mqtt_packet p;
    (void)state;

    assert_int_equal(mqtt_frame(zero, sizeof(zero), 4096, &p), MQTT_MALFORMED);
    assert_int_equal(mqtt_frame(fifteen, sizeof(fifteen), 4096, &p), MQTT_MALFORMED);
}

static void test_frame_wrong_fixed_header_flags_are_malformed(void **state)
{
    static const uint8_t puback_flags[] = {0x41, 0x02, 0x00, 0x01};
    static const uint8_t subscribe_no_flags[] = {0x80, 0x00};
    static const uint8_t publish_qos3[] = {0x36, 0x00};
    struct mqtt_packet p;
    (void)state;

    assert_int_equal(mqtt_frame(puback_flags, sizeof(puback_flags), 4096, &p), MQTT_MALFORMED);
    assert_int_equal(mqtt_frame(subscribe_no_flags, 2, 4096, &p), MQTT_MALFORMED);
    assert_int_equal(mqtt_frame(publish_qos3, 2, 4096, &p), MQTT_MALFORMED);
}

static void test_frame_larger_than_the_buffer_is_malformed_at_once(void **state)
{
    /* Says 16384 bytes follow; the caller holds at most 4096: refused before waiting. */
    static const uint8_t big[] = {0x30, 0x80, 0x80, 0x01};
    struct mqtt_packet p;
    (void)state;

    assert_int_equal(mqtt_frame(big, sizeof(big), 4096, &p), MQTT_MALFORMED);
}

/* ---- encoders ---------------------------------------------------------------------- */

static void test_connect_bytes(void **state)
{
    static const uint8_t want[] = {0x10, 0x10, 0x00, 0x04, 'M',  'Q', 'T', 'T', 0x04,
                                   0x02, 0x00, 0x3c, 0x00, 0x04, 'd', 'e', 'v', '1'};
    uint8_t buf[64];
    (void)state;

    assert_int_equal(mqtt_encode_connect(buf, sizeof(buf), "dev1", 60, true), sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
}

static void test_connect_without_room_is_no_space(void **state)
{
    uint8_t buf[17];
    (void)state;

    assert_int_equal(mqtt_encode_connect(buf, sizeof(buf), "dev1", 60, true), MQTT_NO_SPACE);
}

static void test_connect_empty_id_needs_clean_session(void **state)
{
    uint8_t buf[64];
    (void)state;

    assert_int_equal(mqtt_encode_connect(buf, sizeof(buf), "", 60, false), MQTT_BAD_ARGUMENT);
    assert_int_equal(mqtt_encode_connect(buf, sizeof(buf), "", 60, true), 14);
}

static void test_subscribe_bytes(void **state)
{
    static const uint8_t want[] = {0x82, 0x08, 0x00, 0x0a, 0x00, 0x03, 'a', '/', 'b', 0x01};
    uint8_t buf[64];
    (void)state;

    assert_int_equal(mqtt_encode_subscribe(buf, sizeof(buf), 10, "a/b", 1), sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
    assert_int_equal(mqtt_encode_subscribe(buf, sizeof(buf), 0, "a/b", 1), MQTT_BAD_ARGUMENT);
}

static void test_publish_qos1_bytes(void **state)
{
    static const uint8_t want[] = {0x3a, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x12, 0x34, 'h', 'i'};
    struct mqtt_publish pub = {.topic = "a/b",
                               .topic_len = 3,
                               .payload = (const uint8_t *)"hi",
                               .payload_len = 2,
                               .qos = 1,
                               .dup = true,
                               .packet_id = 0x1234};
    uint8_t buf[64];
    (void)state;

    assert_int_equal(mqtt_encode_publish(buf, sizeof(buf), &pub), sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
}

static void test_publish_with_long_payload_uses_two_length_bytes(void **state)
{
    static uint8_t payload[300], buf[400];
    struct mqtt_publish pub = {
        .topic = "t", .topic_len = 1, .payload = payload, .payload_len = sizeof(payload)};
    struct mqtt_packet p;
    struct mqtt_publish back;
    (void)state;

    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)i;
    assert_int_equal(mqtt_encode_publish(buf, sizeof(buf), &pub), 1 + 2 + 3 + 300);
    assert_int_equal(buf[1], (303 % 128) | 0x80);
    assert_int_equal(buf[2], 303 / 128);
    assert_int_equal(mqtt_frame(buf, 306, sizeof(buf), &p), 306);
    assert_int_equal(mqtt_decode_publish(&p, &back), 0);
    assert_int_equal(back.payload_len, sizeof(payload));
    assert_memory_equal(back.payload, payload, sizeof(payload));
}

static void test_publish_refuses_what_mqtt_cannot_carry(void **state)
{
    struct mqtt_publish wildcard = {.topic = "a/+", .topic_len = 3};
    struct mqtt_publish no_id = {.topic = "a", .topic_len = 1, .qos = 1};
    struct mqtt_publish dup_qos0 = {.topic = "a", .topic_len = 1, .dup = true};
    struct mqtt_publish empty = {.topic = "", .topic_len = 0};
    uint8_t buf[64];
    (void)state;

    assert_int_equal(mqtt_encode_publish(buf, sizeof(buf), &wildcard), MQTT_BAD_ARGUMENT);
    assert_int_equal(mqtt_encode_publish(buf, sizeof(buf), &no_id), MQTT_BAD_ARGUMENT);
    assert_int_equal(mqtt_encode_publish(buf, sizeof(buf), &dup_qos0), MQTT_BAD_ARGUMENT);
    assert_int_equal(mqtt_encode_publish(buf, sizeof(buf), &empty), MQTT_BAD_ARGUMENT);
}

static void test_small_packets_bytes(void **state)
{
    uint8_t buf[8];
    (void)state;

    assert_int_equal(mqtt_encode_puback(buf, sizeof(buf), 0x0102), 4);
    assert_memory_equal(buf, "\x40\x02\x01\x02", 4);
    assert_int_equal(mqtt_encode_pingreq(buf, sizeof(buf)), 2);
    assert_memory_equal(buf, "\xc0\x00", 2);
    assert_int_equal(mqtt_encode_disconnect(buf, sizeof(buf)), 2);
    assert_memory_equal(buf, "\xe0\x00", 2);
    assert_int_equal(mqtt_encode_pingreq(buf, 1), MQTT_NO_SPACE);
}

/* ---- decoders ---------------------------------------------------------------------- */

static int frame(const uint8_t *b, size_t n, struct mqtt_packet *p)
{
    return mqtt_frame(b, n, 4096, p);
}

static void test_connack_accepted_and_refused(void **state)
{
    static const uint8_t ok[] = {0x20, 0x02, 0x01, 0x00}, refused[] = {0x20, 0x02, 0x00, 0x05};
    struct mqtt_packet p;
    bool present;
    uint8_t rc;
    (void)state;

    assert_int_equal(frame(ok, sizeof(ok), &p), 4);
    assert_int_equal(mqtt_decode_connack(&p, &present, &rc), 0);
    assert_true(present);
    assert_int_equal(rc, 0);
    assert_int_equal(frame(refused, sizeof(refused), &p), 4);
    assert_int_equal(mqtt_decode_connack(&p, &present, &rc), 0);
    assert_int_equal(rc, 5);
    assert_string_equal(mqtt_connack_reason(rc), "not authorized");
}

static void test_connack_malformed(void **state)
{
    static const uint8_t long_one[] = {0x20, 0x03, 0x00, 0x00, 0x00};
    static const uint8_t reserved_bit[] = {0x20, 0x02, 0x02, 0x00};
    static const uint8_t bad_code[] = {0x20, 0x02, 0x00, 0x06};
    static const uint8_t refused_with_session[] = {0x20, 0x02, 0x01, 0x02};
    const uint8_t *cases[] = {long_one, reserved_bit, bad_code, refused_with_session};
    const size_t sizes[] = {sizeof(long_one), 4, 4, 4};
    struct mqtt_packet p;
    bool present;
    uint8_t rc;
    (void)state;

    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(frame(cases[i], sizes[i], &p), (int)sizes[i]);
        assert_int_equal(mqtt_decode_connack(&p, &present, &rc), MQTT_MALFORMED);
    }
}

static void test_suback_granted_and_failure(void **state)
{
    static const uint8_t granted[] = {0x90, 0x03, 0x00, 0x07, 0x01};
    static const uint8_t failure[] = {0x90, 0x03, 0x00, 0x07, 0x80};
    static const uint8_t bad_qos[] = {0x90, 0x03, 0x00, 0x07, 0x03};
    struct mqtt_packet p;
    uint16_t id;
    uint8_t g;
    (void)state;

    frame(granted, sizeof(granted), &p);
    assert_int_equal(mqtt_decode_suback(&p, &id, &g), 0);
    assert_int_equal(id, 7);
    assert_int_equal(g, 1);
    frame(failure, sizeof(failure), &p);
    assert_int_equal(mqtt_decode_suback(&p, &id, &g), 0);
    assert_int_equal(g, MQTT_SUBACK_FAILURE);
    frame(bad_qos, sizeof(bad_qos), &p);
    assert_int_equal(mqtt_decode_suback(&p, &id, &g), MQTT_MALFORMED);
}

static void test_publish_decodes_topic_id_and_payload(void **state)
{
    static const uint8_t in[] = {0x33, 0x0a, 0x00, 0x03, 'x', '/', 'y', 0x00, 0x05, 'a', 'b', 'c'};
    struct mqtt_packet p;
    struct mqtt_publish pub;
    (void)state;

    assert_int_equal(frame(in, sizeof(in), &p), sizeof(in));
    assert_int_equal(mqtt_decode_publish(&p, &pub), 0);
    assert_int_equal(pub.topic_len, 3);
    assert_memory_equal(pub.topic, "x/y", 3);
    assert_int_equal(pub.qos, 1);
    assert_true(pub.retain);
    assert_int_equal(pub.packet_id, 5);
    assert_int_equal(pub.payload_len, 3);
    assert_memory_equal(pub.payload, "abc", 3);
}

static void test_publish_topic_longer_than_the_packet_is_malformed(void **state)
{
    /* The topic says 200 bytes; the packet's body has 4. */
    static const uint8_t in[] = {0x30, 0x04, 0x00, 0xc8, 'a', 'b'};
    struct mqtt_packet p;
    struct mqtt_publish pub;
    (void)state;

    assert_int_equal(frame(in, sizeof(in), &p), sizeof(in));
    assert_int_equal(mqtt_decode_publish(&p, &pub), MQTT_MALFORMED);
}

static void test_publish_without_room_for_packet_id_is_malformed(void **state)
{
    static const uint8_t in[] = {0x32, 0x04, 0x00, 0x01, 'a', 0x00};
    struct mqtt_packet p;
    struct mqtt_publish pub;
    (void)state;

    assert_int_equal(frame(in, sizeof(in), &p), sizeof(in));
    assert_int_equal(mqtt_decode_publish(&p, &pub), MQTT_MALFORMED);
}

static void test_publish_bad_topics_and_ids_are_malformed(void **state)
{
    static const uint8_t wildcard[] = {0x30, 0x03, 0x00, 0x01, '#'};
    static const uint8_t nul[] = {0x30, 0x04, 0x00, 0x02, 'a', 0x00};
    static const uint8_t empty_topic[] = {0x30, 0x03, 0x00, 0x00, 'x'};
    static const uint8_t zero_id[] = {0x32, 0x05, 0x00, 0x01, 'a', 0x00, 0x00};
    static const uint8_t dup_qos0[] = {0x38, 0x03, 0x00, 0x01, 'a'};
    const uint8_t *cases[] = {wildcard, nul, empty_topic, zero_id, dup_qos0};
    const size_t sizes[] = {sizeof(wildcard), sizeof(nul), sizeof(empty_topic), sizeof(zero_id),
                            sizeof(dup_qos0)};
    struct mqtt_packet p;
    struct mqtt_publish pub;
    (void)state;

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        assert_int_equal(frame(cases[i], sizes[i], &p), (int)sizes[i]);
        assert_int_equal(mqtt_decode_publish(&p, &pub), MQTT_MALFORMED);
    }
}

static void test_puback_and_pingresp_lengths_are_exact(void **state)
{
    static const uint8_t puback[] = {0x40, 0x02, 0x00, 0x09}, puback3[] = {0x40, 0x03, 0, 9, 0};
    static const uint8_t puback0[] = {0x40, 0x02, 0x00, 0x00};
    static const uint8_t pingresp[] = {0xd0, 0x00}, pingresp1[] = {0xd0, 0x01, 0x00};
    struct mqtt_packet p;
    uint16_t id;
    (void)state;

    frame(puback, sizeof(puback), &p);
    assert_int_equal(mqtt_decode_puback(&p, &id), 0);
    assert_int_equal(id, 9);
    frame(puback3, sizeof(puback3), &p);
    assert_int_equal(mqtt_decode_puback(&p, &id), MQTT_MALFORMED);
    frame(puback0, sizeof(puback0), &p);
    assert_int_equal(mqtt_decode_puback(&p, &id), MQTT_MALFORMED);
    frame(pingresp, sizeof(pingresp), &p);
    assert_int_equal(mqtt_decode_pingresp(&p), 0);
    frame(pingresp1, sizeof(pingresp1), &p);
    assert_int_equal(mqtt_decode_pingresp(&p), MQTT_MALFORMED);
}

static void test_decoder_refuses_the_wrong_type(void **state)
{
    static const uint8_t pingresp[] = {0xd0, 0x00};
    struct mqtt_packet p;
    struct mqtt_publish pub;
    uint16_t id;
    (void)state;

    frame(pingresp, sizeof(pingresp), &p);
    assert_int_equal(mqtt_decode_puback(&p, &id), MQTT_MALFORMED);
    assert_int_equal(mqtt_decode_publish(&p, &pub), MQTT_MALFORMED);
}

/* Every cut of every valid packet is either incomplete or (whole) decodes: nothing reads
 * past the bytes given (ASan checks that in the sanitized build). */
static void test_truncations_never_read_past_the_end(void **state)
{
    static const uint8_t publish[] = {0x32, 0x0a, 0x00, 0x03, 'x', '/',
                                      'y',  0x00, 0x05, 'a',  'b', 'c'};
    (void)state;

    for (size_t n = 0; n <= sizeof(publish); n++) {
        uint8_t *copy = test_malloc(n + 1);
        struct mqtt_packet p;
        struct mqtt_publish pub;
        int r;

        memcpy(copy, publish, n);
        r = mqtt_frame(copy, n, 4096, &p);
        if (n < sizeof(publish))
            assert_int_equal(r, MQTT_INCOMPLETE);
        else
            assert_int_equal(mqtt_decode_publish(&p, &pub), 0);
        test_free(copy);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remaining_length_boundaries_round_trip),
        cmocka_unit_test(test_remaining_length_known_encodings),
        cmocka_unit_test(test_remaining_length_over_maximum_is_refused),
        cmocka_unit_test(test_remaining_length_needs_room),
        cmocka_unit_test(test_remaining_length_fifth_byte_is_malformed),
        cmocka_unit_test(test_remaining_length_cut_short_is_incomplete),
        cmocka_unit_test(test_frame_whole_packet),
        cmocka_unit_test(test_frame_every_prefix_is_incomplete),
        cmocka_unit_test(test_frame_reserved_types_are_malformed),
        cmocka_unit_test(test_frame_wrong_fixed_header_flags_are_malformed),
        cmocka_unit_test(test_frame_larger_than_the_buffer_is_malformed_at_once),
        cmocka_unit_test(test_connect_bytes),
        cmocka_unit_test(test_connect_without_room_is_no_space),
        cmocka_unit_test(test_connect_empty_id_needs_clean_session),
        cmocka_unit_test(test_subscribe_bytes),
        cmocka_unit_test(test_publish_qos1_bytes),
        cmocka_unit_test(test_publish_with_long_payload_uses_two_length_bytes),
        cmocka_unit_test(test_publish_refuses_what_mqtt_cannot_carry),
        cmocka_unit_test(test_small_packets_bytes),
        cmocka_unit_test(test_connack_accepted_and_refused),
        cmocka_unit_test(test_connack_malformed),
        cmocka_unit_test(test_suback_granted_and_failure),
        cmocka_unit_test(test_publish_decodes_topic_id_and_payload),
        cmocka_unit_test(test_publish_topic_longer_than_the_packet_is_malformed),
        cmocka_unit_test(test_publish_without_room_for_packet_id_is_malformed),
        cmocka_unit_test(test_publish_bad_topics_and_ids_are_malformed),
        cmocka_unit_test(test_puback_and_pingresp_lengths_are_exact),
        cmocka_unit_test(test_decoder_refuses_the_wrong_type),
        cmocka_unit_test(test_truncations_never_read_past_the_end),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
