/*
 * coap_codec.h: a small CoAP (RFC 7252) message codec for the coap_client example: the
 * 4-byte header, the token, options with their delta and length extensions, and the
 * payload marker.
 *
 * Pure functions over caller buffers: no sockets, no heap, no global state. The decoder
 * checks every length against the bytes given and never reads past them; decoded option
 * values and the payload point into the caller's datagram and live as long as it does.
 */
#ifndef COAP_CODEC_H
#define COAP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum coap_type { COAP_CON = 0, COAP_NON = 1, COAP_ACK = 2, COAP_RST = 3 };

/* A code is class.detail: 3 bits and 5 bits. */
#define COAP_CODE(cls, detail) ((uint8_t)((cls) << 5 | (detail)))
#define COAP_CODE_CLASS(code)  ((code) >> 5)
#define COAP_CODE_DETAIL(code) ((code)&0x1f)

enum coap_code {
    COAP_EMPTY = COAP_CODE(0, 0),
    COAP_GET = COAP_CODE(0, 1),
    COAP_POST = COAP_CODE(0, 2),
    COAP_PUT = COAP_CODE(0, 3),
    COAP_DELETE = COAP_CODE(0, 4),
};

enum coap_option_number {
    COAP_OPTION_URI_HOST = 3,
    COAP_OPTION_URI_PORT = 7,
    COAP_OPTION_URI_PATH = 11,
    COAP_OPTION_CONTENT_FORMAT = 12,
    COAP_OPTION_URI_QUERY = 15,
    COAP_OPTION_ACCEPT = 17,
};

#define COAP_CONTENT_TEXT_PLAIN 0 /* text/plain; charset=utf-8 */

/* What the functions return instead of a length (every length is >= 0). */
#define COAP_MALFORMED        (-1) /* a message format error (RFC 7252 §3, §4.2) */
#define COAP_NO_SPACE         (-2) /* the output buffer is too small */
#define COAP_TOO_MANY_OPTIONS (-3) /* more than COAP_MAX_OPTIONS options */
#define COAP_BAD_ARGUMENT     (-4) /* a value CoAP cannot carry */

#define COAP_MAX_TOKEN   8
#define COAP_MAX_OPTIONS 16
#define COAP_HEADER_SIZE 4

struct coap_option {
    uint16_t number;
    uint16_t length;
    const uint8_t *value;
};

struct coap_message {
    uint8_t type; /* enum coap_type */
    uint8_t code;
    uint16_t message_id;
    uint8_t token_len;
    uint8_t token[COAP_MAX_TOKEN];
    size_t option_count;
    struct coap_option options[COAP_MAX_OPTIONS]; /* in ascending number order */
    const uint8_t *payload;
    size_t payload_len;
    uint8_t uint_values[COAP_MAX_OPTIONS][4]; /* storage of coap_add_uint_option's values */
};

/* An empty message of that type, code and message id: no token, options or payload. */
void coap_message_init(struct coap_message *m, uint8_t type, uint8_t code, uint16_t message_id);

/* Adds an option, keeping the list sorted by number (after options of the same number,
 * so repeated options keep their order). The value is not copied: it must live until
 * the message is encoded. 0, or COAP_TOO_MANY_OPTIONS / COAP_BAD_ARGUMENT. */
int coap_add_option(struct coap_message *m, uint16_t number, const void *value, size_t len);

/* Adds an unsigned-integer option in its shortest form (0 is zero bytes). */
int coap_add_uint_option(struct coap_message *m, uint16_t number, uint32_t value);

/* Adds one Uri-Path option per segment of "/a/b" and one Uri-Query option per
 * '&'-separated part after a '?'. The values point into uri, which must outlive the
 * message's encoding. A segment longer than 255 bytes is COAP_BAD_ARGUMENT. */
int coap_add_uri(struct coap_message *m, const char *uri);

/* The message's bytes in out, or COAP_NO_SPACE / COAP_BAD_ARGUMENT (token over 8 bytes,
 * an empty message with anything after its header, options out of order). */
int coap_encode(const struct coap_message *m, uint8_t *out, size_t cap);

/* Parses a datagram: 0, COAP_MALFORMED, or COAP_TOO_MANY_OPTIONS. */
int coap_decode(const uint8_t *in, size_t len, struct coap_message *m);

/* The first option with that number after `after` (NULL: from the start), or NULL. */
const struct coap_option *coap_find_option(const struct coap_message *m, uint16_t number,
                                           const struct coap_option *after);

/* An unsigned-integer option's value (at most 4 bytes are read). */
uint32_t coap_option_uint(const struct coap_option *o);

/* "2.05 Content", "4.04 Not Found", "0.01 GET"…: the code and its name, into buf. */
const char *coap_code_text(uint8_t code, char *buf, size_t size);

#endif
