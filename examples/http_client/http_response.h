/*
 * http_response.h: reads one HTTP/1.x response from bytes as they arrive, however they
 * are cut, with Debian's http-parser (libhttp-parser-dev). It keeps the status, the
 * headers and trailers, and the body's length, framing and CRC-32, and writes the body
 * to a FILE when asked. Shared by http_client and https_client: the transport (a
 * TCPSocket, or mbedTLS over one) only feeds it bytes.
 *
 * One response per struct; no heap; not thread-safe (one reader).
 */
#ifndef HTTP_RESPONSE_H
#define HTTP_RESPONSE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <http_parser.h>

#define HTTP_RESPONSE_MAX_HEADERS 32
#define HTTP_RESPONSE_FIELD_SIZE  64 /* longer names and values are cut (and marked) */
#define HTTP_RESPONSE_VALUE_SIZE  192

struct http_header {
    char field[HTTP_RESPONSE_FIELD_SIZE];
    char value[HTTP_RESPONSE_VALUE_SIZE];
    bool trailer; /* after a chunked body */
    bool cut;     /* longer than the buffers: shown cut */
};

enum http_framing {
    HTTP_FRAMING_NONE,           /* no body (1xx, 204, 304) */
    HTTP_FRAMING_CONTENT_LENGTH, /* Content-Length */
    HTTP_FRAMING_CHUNKED,        /* Transfer-Encoding: chunked */
    HTTP_FRAMING_UNTIL_CLOSE,    /* neither: the body ends when the server closes */
};

struct http_response {
    http_parser parser;
    unsigned status;
    char reason[64];
    unsigned version_major, version_minor;
    struct http_header headers[HTTP_RESPONSE_MAX_HEADERS];
    unsigned header_count;
    unsigned headers_dropped;    /* beyond HTTP_RESPONSE_MAX_HEADERS */
    struct http_header *current; /* being filled; NULL while one is dropped */
    bool in_field;               /* the last callback was (part of) a header name */
    bool headers_complete, complete;
    enum http_framing framing;
    uint64_t content_length; /* as announced, for HTTP_FRAMING_CONTENT_LENGTH */
    uint64_t body_length;    /* as received */
    unsigned chunks;         /* non-empty chunks received */
    uint32_t crc32;          /* of the body, as zlib.crc32 computes it */
    FILE *body_out;          /* NULL: the body is only counted */
    bool write_failed;
};

/* Prepares r for one response; the body is written to body_out unless it is NULL. */
void http_response_init(struct http_response *r, FILE *body_out);

/* Feeds the next len bytes received. Returns 1 once the response is complete (bytes
 * after it are ignored), 0 when more is needed, -1 when the bytes are not HTTP. */
int http_response_feed(struct http_response *r, const char *data, size_t len);

/* The server closed the connection: ends a body framed by the close. Returns 1 when the
 * response is complete, -1 when the close cut it short. */
int http_response_eof(struct http_response *r);

/* What went wrong, after -1: http-parser's name and description of the error. */
const char *http_response_error(const struct http_response *r);

/* Prints the status line, the headers and trailers, and the body summary:
 *   status: 200 OK (HTTP/1.1)
 *   header: Content-Type: text/plain
 *   body: 1234 bytes, chunked (5 chunks), crc32 89abcdef */
void http_response_print(const struct http_response *r);

#endif /* HTTP_RESPONSE_H */
