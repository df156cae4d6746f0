/*
 * ws_codec.h: the pieces of RFC 6455 the websocket_server example needs, apart from
 * sockets: the opening handshake (the HTTP request's fields, Sec-WebSocket-Accept from
 * mbedTLS's SHA-1 and base64), frame headers, masking, UTF-8 and close-code checks.
 *
 * Pure functions over caller buffers: no sockets, no heap, no global state, so any
 * thread may call them. Every read is checked against the length given.
 */
#ifndef WS_CODEC_H
#define WS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_opcode {
    WS_CONTINUATION = 0x0,
    WS_TEXT = 0x1,
    WS_BINARY = 0x2,
    WS_CLOSE = 0x8,
    WS_PING = 0x9,
    WS_PONG = 0xa,
};

/* Close status codes (RFC 6455 §7.4.1). */
#define WS_CLOSE_NORMAL         1000
#define WS_CLOSE_GOING_AWAY     1001
#define WS_CLOSE_PROTOCOL_ERROR 1002
#define WS_CLOSE_INVALID_DATA   1007 /* e.g. a text message that is not UTF-8 */
#define WS_CLOSE_TOO_BIG        1009

#define WS_INCOMPLETE     (-1) /* more bytes are needed */
#define WS_PROTOCOL_ERROR (-2) /* the bytes break RFC 6455 */

#define WS_MAX_HEADER      14 /* 2 + 8 (64-bit length) + 4 (mask) */
#define WS_ACCEPT_KEY_SIZE 29 /* 28 base64 characters and a NUL */

/* ---- the opening handshake ---------------------------------------------------------- */

/* What the server needs from an HTTP request head. The strings point into the caller's
 * buffer, which ws_parse_request changes (it NUL-terminates each field); NULL when the
 * request lacks that header. */
struct ws_request {
    const char *method, *target, *version;
    const char *host, *upgrade, *connection, *key, *ws_version;
};

/* Parses the head of an HTTP/1.1 request (up to and including the blank line) in text,
 * which must be NUL-terminated. 0, or WS_PROTOCOL_ERROR for a request line or header
 * line it cannot parse. */
int ws_parse_request(char *text, struct ws_request *req);

/* True when req asks to upgrade to WebSocket: GET, HTTP/1.1, `Upgrade: websocket`,
 * `Connection` listing `Upgrade` (letter case ignored). */
bool ws_is_upgrade(const struct ws_request *req);

/* True when key is what RFC 6455 §4.1 allows: base64 of 16 bytes. */
bool ws_key_valid(const char *key);

/* Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key + GUID)),
 * into out (WS_ACCEPT_KEY_SIZE bytes). 0, or -1 when mbedTLS fails. */
int ws_accept_key(const char *key, char out[WS_ACCEPT_KEY_SIZE]);

/* ---- frames --------------------------------------------------------------------------- */

struct ws_frame_header {
    bool fin, masked;
    uint8_t rsv;    /* the three reserved bits, as bits 2..0 */
    uint8_t opcode; /* enum ws_opcode */
    uint64_t payload_len;
    uint8_t mask[4];
};

/* The header's size from its first two bytes: 2 to WS_MAX_HEADER. */
size_t ws_header_size(uint8_t byte0, uint8_t byte1);

/* Parses the frame header at buf: its size, WS_INCOMPLETE, or WS_PROTOCOL_ERROR for
 * reserved bits (no extension is negotiated), an unknown opcode, a control frame that is
 * fragmented or longer than 125 bytes, a 64-bit length with its top bit set, or a length
 * not in its shortest form. */
int ws_parse_frame_header(const uint8_t *buf, size_t len, struct ws_frame_header *h);

/* Writes an unmasked (server) frame header: its size, at most 10 bytes. */
size_t ws_encode_frame_header(uint8_t *out, bool fin, uint8_t opcode, uint64_t payload_len);

/* XORs data with the mask; offset is data's position within the frame's payload. */
void ws_unmask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset);

/* ---- checks --------------------------------------------------------------------------- */

/* True when s is well-formed UTF-8 (no overlong forms, surrogates or values past
 * U+10FFFF). */
bool ws_utf8_valid(const uint8_t *s, size_t len);

/* True when a close frame may carry this code (RFC 6455 §7.4). */
bool ws_close_code_valid(uint16_t code);

#endif
