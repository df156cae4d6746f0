/*
 * mqtt_codec.h: a small MQTT 3.1.1 codec, just what the mqtt_client example needs:
 * CONNECT/CONNACK, SUBSCRIBE/SUBACK, PUBLISH (QoS 0 and 1) with PUBACK,
 * PINGREQ/PINGRESP and DISCONNECT, and the remaining-length varint.
 *
 * Pure functions over caller buffers: no sockets, no heap, no global state, so any
 * thread may call them. Every read is bounds-checked against the length given; a
 * decoder never reads past it, whatever the bytes say. Decoded strings and payloads
 * point into the caller's buffer and live as long as it does.
 */
#ifndef MQTT_CODEC_H
#define MQTT_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mqtt_packet_type {
    MQTT_CONNECT = 1,
    MQTT_CONNACK = 2,
    MQTT_PUBLISH = 3,
    MQTT_PUBACK = 4,
    MQTT_PUBREC = 5,
    MQTT_PUBREL = 6,
    MQTT_PUBCOMP = 7,
    MQTT_SUBSCRIBE = 8,
    MQTT_SUBACK = 9,
    MQTT_UNSUBSCRIBE = 10,
    MQTT_UNSUBACK = 11,
    MQTT_PINGREQ = 12,
    MQTT_PINGRESP = 13,
    MQTT_DISCONNECT = 14,
};

/* What the functions return instead of a length (every length is >= 0). */
#define MQTT_INCOMPLETE   (-1) /* the buffer holds only the start of a packet */
#define MQTT_MALFORMED    (-2) /* the bytes break MQTT 3.1.1 */
#define MQTT_NO_SPACE     (-3) /* the output buffer is too small */
#define MQTT_BAD_ARGUMENT (-4) /* a value MQTT cannot carry (a string over 65535 bytes…) */

#define MQTT_MAX_REMAINING_LENGTH 268435455u /* four varint bytes */
#define MQTT_SUBACK_FAILURE       0x80

/* One framed packet: its fixed header, and the variable header plus payload after it. */
struct mqtt_packet {
    uint8_t type;  /* enum mqtt_packet_type */
    uint8_t flags; /* the low nibble of the first byte */
    const uint8_t *body;
    uint32_t body_len;
};

struct mqtt_publish {
    const char *topic; /* not NUL-terminated when decoded: use topic_len */
    size_t topic_len;
    const uint8_t *payload;
    size_t payload_len;
    uint8_t qos; /* 0 or 1 (the encoder also writes 2; the client never asks for it) */
    bool dup, retain;
    uint16_t packet_id; /* QoS > 0 only; never 0 there */
};

/* The varint of the fixed header. encode: bytes written; decode: bytes read, with the
 * value in *value, MQTT_INCOMPLETE when len ends inside it, MQTT_MALFORMED for a fifth
 * byte. */
int mqtt_encode_remaining_length(uint8_t *out, size_t cap, uint32_t value);
int mqtt_decode_remaining_length(const uint8_t *in, size_t len, uint32_t *value);

/* Frames the packet at the start of buf: its total length (fixed header included), with
 * *p filled in; MQTT_INCOMPLETE when more bytes are needed; MQTT_MALFORMED for a
 * reserved type, flags the type forbids, or a remaining length over max_packet - header
 * (a packet larger than the caller can hold is reported as malformed at once). */
int mqtt_frame(const uint8_t *buf, size_t len, size_t max_packet, struct mqtt_packet *p);

/* Encoders: the packet's length in out, or MQTT_NO_SPACE / MQTT_BAD_ARGUMENT. */
int mqtt_encode_connect(uint8_t *out, size_t cap, const char *client_id, uint16_t keepalive_s,
                        bool clean_session);
int mqtt_encode_subscribe(uint8_t *out, size_t cap, uint16_t packet_id, const char *filter,
                          uint8_t max_qos);
int mqtt_encode_publish(uint8_t *out, size_t cap, const struct mqtt_publish *pub);
int mqtt_encode_puback(uint8_t *out, size_t cap, uint16_t packet_id);
int mqtt_encode_pingreq(uint8_t *out, size_t cap);
int mqtt_encode_disconnect(uint8_t *out, size_t cap);

/* Decoders of a framed packet of the right type: 0, or MQTT_MALFORMED (wrong type, wrong
 * length, a reserved bit or value). */
int mqtt_decode_connack(const struct mqtt_packet *p, bool *session_present, uint8_t *return_code);
int mqtt_decode_suback(const struct mqtt_packet *p, uint16_t *packet_id, uint8_t *granted);
int mqtt_decode_publish(const struct mqtt_packet *p, struct mqtt_publish *pub);
int mqtt_decode_puback(const struct mqtt_packet *p, uint16_t *packet_id);
int mqtt_decode_pingresp(const struct mqtt_packet *p);

/* The name of a CONNACK return code ("accepted", "not authorized", …). */
const char *mqtt_connack_reason(uint8_t return_code);

#endif
