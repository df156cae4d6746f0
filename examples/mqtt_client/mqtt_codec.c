/*
 * mqtt_codec.c: the MQTT 3.1.1 codec of the mqtt_client example (mqtt_codec.h).
 * Writers check the room left before every byte they write; readers check the bytes
 * left before every field they read. Nothing here allocates or keeps state.
 */
#include "mqtt_codec.h"

#include <string.h>

/* ---- a bounded writer and reader --------------------------------------------------- */

struct writer {
    uint8_t *out;
    size_t cap, len;
    bool overflow;
};

static void put_bytes(struct writer *w, const void *data, size_t n)
{
    if (w->overflow || n > w->cap - w->len) {
        w->overflow = true;
        return;
    }
    if (n > 0)
        memcpy(w->out + w->len, data, n);
    w->len += n;
}

static void put_u8(struct writer *w, uint8_t v)
{
    put_bytes(w, &v, 1);
}

static void put_u16(struct writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

    put_bytes(w, b, 2);
}

static void put_string(struct writer *w, const char *s, size_t n)
{
    put_u16(w, (uint16_t)n);
    put_bytes(w, s, n);
}

struct reader {
    const uint8_t *in;
    size_t len, pos;
    bool bad;
};

static uint8_t get_u8(struct reader *r)
{
    if (r->bad || r->len - r->pos < 1) {
        r->bad = true;
        return 0;
    }
    return r->in[r->pos++];
}

static uint16_t get_u16(struct reader *r)
{
    uint16_t hi = get_u8(r);

    return (uint16_t)(hi << 8 | get_u8(r));
}

static const uint8_t *get_bytes(struct reader *r, size_t n)
{
    const uint8_t *at = r->in + r->pos;

    if (r->bad || r->len - r->pos < n) {
        r->bad = true;
        return NULL;
    }
    r->pos += n;
    return at;
}

/* ---- the fixed header ---------------------------------------------------------------- */

int mqtt_encode_remaining_length(uint8_t *out, size_t cap, uint32_t value)
{
    size_t n = 0;

    if (value > MQTT_MAX_REMAINING_LENGTH)
        return MQTT_BAD_ARGUMENT;
    do {
        uint8_t byte = value % 128;

        value /= 128;
        if (value > 0)
            byte |= 0x80;
        if (n >= cap)
            return MQTT_NO_SPACE;
        out[n++] = byte;
    } while (value > 0);
    return (int)n;
}

int mqtt_decode_remaining_length(const uint8_t *in, size_t len, uint32_t *value)
{
    uint32_t v = 0, scale = 1;

    for (size_t i = 0; i < 4; i++) {
        if (i >= len)
            return MQTT_INCOMPLETE;
        v += (uint32_t)(in[i] & 0x7f) * scale;
        if ((in[i] & 0x80) == 0) {
            *value = v;
            return (int)i + 1;
        }
        scale *= 128;
    }
    return MQTT_MALFORMED; /* a fourth byte with its continuation bit set */
}

/* The flags each type must carry in its first byte (MQTT 3.1.1 §2.2.2); PUBLISH's are
 * checked on their own. */
static bool flags_valid(uint8_t type, uint8_t flags)
{
    switch (type) {
    case MQTT_PUBLISH: return (flags & 0x06) != 0x06; /* QoS 3 is malformed */
    case MQTT_PUBREL:
    case MQTT_SUBSCRIBE:
    case MQTT_UNSUBSCRIBE: return flags == 0x02;
    default: return flags == 0;
    }
}

int mqtt_frame(const uint8_t *buf, size_t len, size_t max_packet, struct mqtt_packet *p)
{
    uint32_t remaining;
    int n;

    if (len < 1)
        return MQTT_INCOMPLETE;
    p->type = buf[0] >> 4;
    p->flags = buf[0] & 0x0f;
    if (p->type < MQTT_CONNECT || p->type > MQTT_DISCONNECT || !flags_valid(p->type, p->flags))
        return MQTT_MALFORMED;
    n = mqtt_decode_remaining_length(buf + 1, len - 1, &remaining);
    if (n < 0)
        return n;
    if (max_packet < (size_t)n + 1 || remaining > max_packet - (size_t)n - 1)
        return MQTT_MALFORMED;
    if (len - 1 - (size_t)n < remaining)
        return MQTT_INCOMPLETE;
    p->body = buf + 1 + n;
    p->body_len = remaining;
    return (int)(1 + (size_t)n + remaining);
}

/* Writes the fixed header for a body of body_len bytes. */
static void put_fixed_header(struct writer *w, uint8_t type, uint8_t flags, size_t body_len)
{
    uint8_t varint[4];
    int n = mqtt_encode_remaining_length(varint, sizeof(varint), (uint32_t)body_len);

    put_u8(w, (uint8_t)(type << 4 | flags));
    put_bytes(w, varint, (size_t)n);
}

static int finish(const struct writer *w)
{
    return w->overflow ? MQTT_NO_SPACE : (int)w->len;
}

/* ---- encoders ------------------------------------------------------------------------ */

int mqtt_encode_connect(uint8_t *out, size_t cap, const char *client_id, uint16_t keepalive_s,
                        bool clean_session)
{
    struct writer w = {.out = out, .cap = cap};
    size_t id_len = client_id == NULL ? 0 : strlen(client_id);

    /* An empty client id is allowed only with a clean session (§3.1.3.1). */
    if (id_len > 65535 || (id_len == 0 && !clean_session))
        return MQTT_BAD_ARGUMENT;
    put_fixed_header(&w, MQTT_CONNECT, 0, 10 + 2 + id_len);
    put_string(&w, "MQTT", 4);
    put_u8(&w, 4);                        /* protocol level: 3.1.1 */
    put_u8(&w, clean_session ? 0x02 : 0); /* no will, no user name, no password */
    put_u16(&w, keepalive_s);
    put_string(&w, client_id == NULL ? "" : client_id, id_len);
    return finish(&w);
}

int mqtt_encode_subscribe(uint8_t *out, size_t cap, uint16_t packet_id, const char *filter,
                          uint8_t max_qos)
{
    struct writer w = {.out = out, .cap = cap};
    size_t n = filter == NULL ? 0 : strlen(filter);

    if (packet_id == 0 || n == 0 || n > 65535 || max_qos > 2)
        return MQTT_BAD_ARGUMENT;
    put_fixed_header(&w, MQTT_SUBSCRIBE, 0x02, 2 + 2 + n + 1);
    put_u16(&w, packet_id);
    put_string(&w, filter, n);
    put_u8(&w, max_qos);
    return finish(&w);
}

int mqtt_encode_publish(uint8_t *out, size_t cap, const struct mqtt_publish *pub)
{
    struct writer w = {.out = out, .cap = cap};
    size_t body;

    if (pub->topic_len == 0 || pub->topic_len > 65535 || pub->qos > 2 ||
        (pub->qos > 0 && pub->packet_id == 0) || (pub->qos == 0 && pub->dup) ||
        memchr(pub->topic, '+', pub->topic_len) != NULL ||
        memchr(pub->topic, '#', pub->topic_len) != NULL)
        return MQTT_BAD_ARGUMENT;
    body = 2 + pub->topic_len + (pub->qos > 0 ? 2 : 0);
    if (pub->payload_len > MQTT_MAX_REMAINING_LENGTH - body)
        return MQTT_BAD_ARGUMENT;
    body += pub->payload_len;
    put_fixed_header(&w, MQTT_PUBLISH,
                     (uint8_t)((pub->dup ? 0x08 : 0) | pub->qos << 1 | (pub->retain ? 1 : 0)),
                     body);
    put_string(&w, pub->topic, pub->topic_len);
    if (pub->qos > 0)
        put_u16(&w, pub->packet_id);
    put_bytes(&w, pub->payload, pub->payload_len);
    return finish(&w);
}

int mqtt_encode_puback(uint8_t *out, size_t cap, uint16_t packet_id)
{
    struct writer w = {.out = out, .cap = cap};

    if (packet_id == 0)
        return MQTT_BAD_ARGUMENT;
    put_fixed_header(&w, MQTT_PUBACK, 0, 2);
    put_u16(&w, packet_id);
    return finish(&w);
}

static int encode_empty(uint8_t *out, size_t cap, uint8_t type)
{
    struct writer w = {.out = out, .cap = cap};

    put_fixed_header(&w, type, 0, 0);
    return finish(&w);
}

int mqtt_encode_pingreq(uint8_t *out, size_t cap)
{
    return encode_empty(out, cap, MQTT_PINGREQ);
}

int mqtt_encode_disconnect(uint8_t *out, size_t cap)
{
    return encode_empty(out, cap, MQTT_DISCONNECT);
}

/* ---- decoders ------------------------------------------------------------------------ */

int mqtt_decode_connack(const struct mqtt_packet *p, bool *session_present, uint8_t *return_code)
{
    if (p->type != MQTT_CONNACK || p->body_len != 2 || (p->body[0] & 0xfe) != 0 || p->body[1] > 5)
        return MQTT_MALFORMED;
    *session_present = p->body[0] & 1;
    *return_code = p->body[1];
    /* A refusal comes with session present 0 (§3.2.2.2). */
    return *return_code != 0 && *session_present ? MQTT_MALFORMED : 0;
}

int mqtt_decode_suback(const struct mqtt_packet *p, uint16_t *packet_id, uint8_t *granted)
{
    struct reader r = {.in = p->body, .len = p->body_len};

    if (p->type != MQTT_SUBACK || p->body_len != 3) /* we subscribe to one filter at a time */
        return MQTT_MALFORMED;
    *packet_id = get_u16(&r);
    *granted = get_u8(&r);
    if (*packet_id == 0 || (*granted > 2 && *granted != MQTT_SUBACK_FAILURE))
        return MQTT_MALFORMED;
    return 0;
}

int mqtt_decode_publish(const struct mqtt_packet *p, struct mqtt_publish *pub)
{
    struct reader r = {.in = p->body, .len = p->body_len};
    uint16_t topic_len;

    if (p->type != MQTT_PUBLISH)
        return MQTT_MALFORMED;
    memset(pub, 0, sizeof(*pub));
    pub->dup = p->flags & 0x08;
    pub->qos = (p->flags >> 1) & 3;
    pub->retain = p->flags & 1;
    topic_len = get_u16(&r);
    pub->topic = (const char *)get_bytes(&r, topic_len);
    pub->topic_len = topic_len;
    if (pub->qos > 0)
        pub->packet_id = get_u16(&r);
    if (r.bad || topic_len == 0 || pub->qos == 3 || (pub->qos > 0 && pub->packet_id == 0) ||
        (pub->qos == 0 && pub->dup))
        return MQTT_MALFORMED;
    /* A topic name has no wildcards and no U+0000 (§4.7.1, §1.5.3). */
    if (memchr(pub->topic, '+', topic_len) != NULL || memchr(pub->topic, '#', topic_len) != NULL ||
        memchr(pub->topic, '\0', topic_len) != NULL)
        return MQTT_MALFORMED;
    pub->payload = p->body + r.pos;
    pub->payload_len = p->body_len - r.pos;
    return 0;
}

int mqtt_decode_puback(const struct mqtt_packet *p, uint16_t *packet_id)
{
    if (p->type != MQTT_PUBACK || p->body_len != 2)
        return MQTT_MALFORMED;
    *packet_id = (uint16_t)(p->body[0] << 8 | p->body[1]);
    return *packet_id == 0 ? MQTT_MALFORMED : 0;
}

int mqtt_decode_pingresp(const struct mqtt_packet *p)
{
    return p->type == MQTT_PINGRESP && p->body_len == 0 ? 0 : MQTT_MALFORMED;
}

const char *mqtt_connack_reason(uint8_t return_code)
{
    static const char *const reasons[] = {
        "accepted",           "unacceptable protocol version", "identifier rejected",
        "server unavailable", "bad user name or password",     "not authorized",
    };

    return return_code < sizeof(reasons) / sizeof(reasons[0]) ? reasons[return_code]
                                                              : "unknown return code";
}
