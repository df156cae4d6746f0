/*
 * coap_codec.c: the CoAP message codec of the coap_client example (coap_codec.h).
 * Option numbers are written as deltas from the previous option; a delta or a length of
 * 13 to 268 takes one extra byte (value - 13), 269 to 65535 two (value - 269), and the
 * nibble 15 is reserved for the payload marker 0xFF (RFC 7252 §3.1).
 */
#include "coap_codec.h"

#include <stdio.h>
#include <string.h>

#define PAYLOAD_MARKER 0xff
#define EXT_1_BYTE     13
#define EXT_2_BYTES    14
#define EXT_RESERVED   15

void coap_message_init(struct coap_message *m, uint8_t type, uint8_t code, uint16_t message_id)
{
    memset(m, 0, sizeof(*m));
    m->type = type;
    m->code = code;
    m->message_id = message_id;
}

int coap_add_option(struct coap_message *m, uint16_t number, const void *value, size_t len)
{
    size_t at;

    if (len > 65535 || (len > 0 && value == NULL))
        return COAP_BAD_ARGUMENT;
    if (m->option_count >= COAP_MAX_OPTIONS)
        return COAP_TOO_MANY_OPTIONS;
    at = m->option_count;
    while (at > 0 && m->options[at - 1].number > number)
        at--;
    memmove(&m->options[at + 1], &m->options[at], (m->option_count - at) * sizeof(m->options[0]));
    m->options[at] =
        (struct coap_option){.number = number, .length = (uint16_t)len, .value = value};
    m->option_count++;
    return 0;
}

int coap_add_uint_option(struct coap_message *m, uint16_t number, uint32_t value)
{
    uint8_t *store;
    size_t len = 0;

    if (m->option_count >= COAP_MAX_OPTIONS)
        return COAP_TOO_MANY_OPTIONS;
    store = m->uint_values[m->option_count]; /* one slot per option ever added */
    for (uint32_t v = value; v != 0; v >>= 8)
        len++;
    for (size_t i = 0; i < len; i++)
        store[i] = (uint8_t)(value >> (8 * (len - 1 - i)));
    return coap_add_option(m, number, store, len);
}

/* Adds the parts of text up to its end or the stop character, split at sep. */
static int add_parts(struct coap_message *m, uint16_t number, const char *text, char sep, char stop)
{
    const char reject[] = {sep, stop, '\0'};

    while (*text != '\0' && *text != stop) {
        size_t n = strcspn(text, reject);
        int r;

        if (n > 255)
            return COAP_BAD_ARGUMENT;
        r = coap_add_option(m, number, text, n);
        if (r != 0)
            return r;
        text += n;
        if (*text == sep)
            text++;
    }
    return 0;
}

int coap_add_uri(struct coap_message *m, const char *uri)
{
    const char *query = strchr(uri, '?');
    int r;

    if (*uri == '/')
        uri++;
    r = add_parts(m, COAP_OPTION_URI_PATH, uri, '/', '?');
    if (r == 0 && query != NULL)
        r = add_parts(m, COAP_OPTION_URI_QUERY, query + 1, '&', '\0');
    return r;
}

/* ---- encoding ------------------------------------------------------------------------ */

/* The nibble for a delta or length, and its extension bytes into ext; their count. */
static size_t option_field(uint32_t v, uint8_t *nibble, uint8_t ext[2])
{
    if (v < 13) {
        *nibble = (uint8_t)v;
        return 0;
    }
    if (v < 269) {
        *nibble = EXT_1_BYTE;
        ext[0] = (uint8_t)(v - 13);
        return 1;
    }
    *nibble = EXT_2_BYTES;
    ext[0] = (uint8_t)((v - 269) >> 8);
    ext[1] = (uint8_t)(v - 269);
    return 2;
}

int coap_encode(const struct coap_message *m, uint8_t *out, size_t cap)
{
    size_t len = COAP_HEADER_SIZE + m->token_len;
    uint16_t previous = 0;

    if (m->type > COAP_RST || m->token_len > COAP_MAX_TOKEN)
        return COAP_BAD_ARGUMENT;
    if (m->code == COAP_EMPTY && (m->token_len > 0 || m->option_count > 0 || m->payload_len > 0))
        return COAP_BAD_ARGUMENT;
    if (cap < len)
        return COAP_NO_SPACE;
    out[0] = (uint8_t)(1 << 6 | m->type << 4 | m->token_len);
    out[1] = m->code;
    out[2] = (uint8_t)(m->message_id >> 8);
    out[3] = (uint8_t)m->message_id;
    memcpy(out + COAP_HEADER_SIZE, m->token, m->token_len);

    for (size_t i = 0; i < m->option_count; i++) {
        const struct coap_option *o = &m->options[i];
        uint8_t delta_nibble, length_nibble, delta_ext[2], length_ext[2];
        size_t nd, nl;

        if (o->number < previous)
            return COAP_BAD_ARGUMENT;
        nd = option_field(o->number - previous, &delta_nibble, delta_ext);
        nl = option_field(o->length, &length_nibble, length_ext);
        if (cap - len < 1 + nd + nl + o->length)
            return COAP_NO_SPACE;
        out[len++] = (uint8_t)(delta_nibble << 4 | length_nibble);
        memcpy(out + len, delta_ext, nd);
        len += nd;
        memcpy(out + len, length_ext, nl);
        len += nl;
        if (o->length > 0)
            memcpy(out + len, o->value, o->length);
        len += o->length;
        previous = o->number;
    }
    if (m->payload_len > 0) {
        if (cap - len < 1 + m->payload_len)
            return COAP_NO_SPACE;
        out[len++] = PAYLOAD_MARKER;
        memcpy(out + len, m->payload, m->payload_len);
        len += m->payload_len;
    }
    return (int)len;
}

/* ---- decoding ------------------------------------------------------------------------ */

/* Reads a delta or length whose nibble is given, with its extension bytes at *pos. */
static int read_option_field(const uint8_t *in, size_t len, size_t *pos, uint8_t nibble,
                             uint32_t *value)
{
    switch (nibble) {
    case EXT_1_BYTE:
        if (len - *pos < 1)
            return COAP_MALFORMED;
        *value = 13u + in[*pos];
        *pos += 1;
        return 0;
    case EXT_2_BYTES:
        if (len - *pos < 2)
            return COAP_MALFORMED;
        *value = 269u + (uint32_t)(in[*pos] << 8 | in[*pos + 1]);
        *pos += 2;
        return 0;
    case EXT_RESERVED: return COAP_MALFORMED; /* 15 only ever appears as the whole byte 0xFF */
    default: *value = nibble; return 0;
    }
}

static int decode_options(const uint8_t *in, size_t len, size_t pos, struct coap_message *m)
{
    uint32_t number = 0;

    while (pos < len) {
        uint32_t delta, length;
        uint8_t first = in[pos];

        if (first == PAYLOAD_MARKER) {
            if (pos + 1 == len)
                return COAP_MALFORMED; /* a marker must be followed by a payload */
            m->payload = in + pos + 1;
            m->payload_len = len - pos - 1;
            return 0;
        }
        pos++;
        if (read_option_field(in, len, &pos, first >> 4, &delta) != 0 ||
            read_option_field(in, len, &pos, first & 0x0f, &length) != 0)
            return COAP_MALFORMED;
        number += delta;
        if (number > 65535 || length > len - pos)
            return COAP_MALFORMED;
        if (m->option_count >= COAP_MAX_OPTIONS)
            return COAP_TOO_MANY_OPTIONS;
        m->options[m->option_count++] = (struct coap_option){
            .number = (uint16_t)number, .length = (uint16_t)length, .value = in + pos};
        pos += length;
    }
    return 0;
}

int coap_decode(const uint8_t *in, size_t len, struct coap_message *m)
{
    memset(m, 0, sizeof(*m));
    if (len < COAP_HEADER_SIZE || in[0] >> 6 != 1)
        return COAP_MALFORMED;
    m->type = (in[0] >> 4) & 3;
    m->token_len = in[0] & 0x0f;
    m->code = in[1];
    m->message_id = (uint16_t)(in[2] << 8 | in[3]);
    if (m->token_len > COAP_MAX_TOKEN || len - COAP_HEADER_SIZE < m->token_len)
        return COAP_MALFORMED;
    if (m->code == COAP_EMPTY && len != COAP_HEADER_SIZE)
        return COAP_MALFORMED; /* an empty message is the header alone (§4.1) */
    memcpy(m->token, in + COAP_HEADER_SIZE, m->token_len);
    return decode_options(in, len, COAP_HEADER_SIZE + m->token_len, m);
}

const struct coap_option *coap_find_option(const struct coap_message *m, uint16_t number,
                                           const struct coap_option *after)
{
    size_t i = after == NULL ? 0 : (size_t)(after - m->options) + 1;

    for (; i < m->option_count; i++)
        if (m->options[i].number == number)
            return &m->options[i];
    return NULL;
}

uint32_t coap_option_uint(const struct coap_option *o)
{
    uint32_t v = 0;

    for (size_t i = 0; i < o->length && i < 4; i++)
        v = v << 8 | o->value[i];
    return v;
}

const char *coap_code_text(uint8_t code, char *buf, size_t size)
{
    static const struct {
        uint8_t code;
        const char *name;
    } names[] = {
        {COAP_EMPTY, "Empty"},
        {COAP_GET, "GET"},
        {COAP_POST, "POST"},
        {COAP_PUT, "PUT"},
        {COAP_DELETE, "DELETE"},
        {COAP_CODE(2, 1), "Created"},
        {COAP_CODE(2, 2), "Deleted"},
        {COAP_CODE(2, 3), "Valid"},
        {COAP_CODE(2, 4), "Changed"},
        {COAP_CODE(2, 5), "Content"},
        {COAP_CODE(2, 31), "Continue"},
        {COAP_CODE(4, 0), "Bad Request"},
        {COAP_CODE(4, 1), "Unauthorized"},
        {COAP_CODE(4, 2), "Bad Option"},
        {COAP_CODE(4, 3), "Forbidden"},
        {COAP_CODE(4, 4), "Not Found"},
        {COAP_CODE(4, 5), "Method Not Allowed"},
        {COAP_CODE(4, 6), "Not Acceptable"},
        {COAP_CODE(4, 12), "Precondition Failed"},
        {COAP_CODE(4, 13), "Request Entity Too Large"},
        {COAP_CODE(4, 15), "Unsupported Content-Format"},
        {COAP_CODE(5, 0), "Internal Server Error"},
        {COAP_CODE(5, 1), "Not Implemented"},
        {COAP_CODE(5, 2), "Bad Gateway"},
        {COAP_CODE(5, 3), "Service Unavailable"},
        {COAP_CODE(5, 4), "Gateway Timeout"},
        {COAP_CODE(5, 5), "Proxying Not Supported"},
    };
    const char *name = "";

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].code == code)
            name = names[i].name;
    snprintf(buf, size, "%u.%02u%s%s", COAP_CODE_CLASS(code), COAP_CODE_DETAIL(code),
             *name != '\0' ? " " : "", name);
    return buf;
}
