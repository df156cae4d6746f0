/*
 * http_response.c: one HTTP/1.x response, parsed by http-parser as its bytes arrive (see
 * http_response.h). http-parser does the framing: Content-Length, chunked (chunk sizes,
 * extensions, trailers) and bodies that end with the connection. This file only keeps
 * what its callbacks hand over, which may come in pieces: a header name cut in two by a
 * short read arrives as two on_header_field calls.
 */
#include <string.h>

#include "http_response.h"

/* CRC-32 (IEEE 802.3, reflected), the one zlib and Python's zlib.crc32 compute. */
static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
    crc = ~crc;
    while (n-- > 0) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* Appends a piece of a string to a fixed buffer; what does not fit is cut. */
static void append(char *dst, size_t size, const char *at, size_t len, bool *cut)
{
    size_t have = strlen(dst);
    size_t room = size - 1 - have;

    if (len > room) {
        len = room;
        if (cut != NULL)
            *cut = true;
    }
    memcpy(dst + have, at, len);
    dst[have + len] = '\0';
}

static struct http_response *response_of(http_parser *p)
{
    return p->data;
}

static int on_status(http_parser *p, const char *at, size_t len)
{
    struct http_response *r = response_of(p);

    append(r->reason, sizeof(r->reason), at, len, NULL);
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct http_response *r = response_of(p);

    if (!r->in_field) { /* a new header (or trailer) begins */
        r->in_field = true;
        r->current = NULL;
        if (r->header_count < HTTP_RESPONSE_MAX_HEADERS) {
            r->current = &r->headers[r->header_count++];
            memset(r->current, 0, sizeof(*r->current));
            r->current->trailer = r->headers_complete;
        } else {
            r->headers_dropped++;
        }
    }
    if (r->current != NULL)
        append(r->current->field, sizeof(r->current->field), at, len, &r->current->cut);
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct http_response *r = response_of(p);

    r->in_field = false;
    if (r->current != NULL)
        append(r->current->value, sizeof(r->current->value), at, len, &r->current->cut);
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    struct http_response *r = response_of(p);

    r->headers_complete = true;
    r->in_field = false;
    r->status = p->status_code;
    r->version_major = p->http_major;
    r->version_minor = p->http_minor;
    if (r->status / 100 == 1 || r->status == 204 || r->status == 304) {
        r->framing = HTTP_FRAMING_NONE;
    } else if (p->flags & F_CHUNKED) {
        r->framing = HTTP_FRAMING_CHUNKED;
    } else if (p->flags & F_CONTENTLENGTH) {
        r->framing = HTTP_FRAMING_CONTENT_LENGTH;
        r->content_length = p->content_length;
    } else {
        r->framing = HTTP_FRAMING_UNTIL_CLOSE;
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct http_response *r = response_of(p);

    r->body_length += len;
    r->crc32 = crc32_update(r->crc32, (const unsigned char *)at, len);
    if (r->body_out != NULL && fwrite(at, 1, len, r->body_out) != len) {
        r->write_failed = true;
        return 1; /* stops the parser: HPE_CB_body */
    }
    return 0;
}

static int on_chunk_header(http_parser *p)
{
    if (p->content_length > 0) /* the size of this chunk; 0 for the last one */
        response_of(p)->chunks++;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct http_response *r = response_of(p);

    r->complete = true;
    http_parser_pause(p, 1); /* one response: http_parser_execute returns here */
    return 0;
}

static const http_parser_settings settings = {
    .on_status = on_status,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
    .on_chunk_header = on_chunk_header,
};

void http_response_init(struct http_response *r, FILE *body_out)
{
    memset(r, 0, sizeof(*r));
    http_parser_init(&r->parser, HTTP_RESPONSE);
    r->parser.data = r;
    r->body_out = body_out;
}

int http_response_feed(struct http_response *r, const char *data, size_t len)
{
    if (r->complete)
        return 1;
    http_parser_execute(&r->parser, &settings, data, len);
    if (r->complete)
        return 1;
    return HTTP_PARSER_ERRNO(&r->parser) == HPE_OK ? 0 : -1;
}

int http_response_eof(struct http_response *r)
{
    if (!r->complete && HTTP_PARSER_ERRNO(&r->parser) == HPE_OK)
        http_parser_execute(&r->parser, &settings, NULL, 0); /* "the connection ended" */
    return r->complete ? 1 : -1;
}

const char *http_response_error(const struct http_response *r)
{
    static _Thread_local char text[160];
    enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);

    if (r->write_failed)
        return "cannot write the body to the output file";
    if (e == HPE_OK)
        return "the connection closed before the response was complete";
    snprintf(text, sizeof(text), "%s: %s", http_errno_name(e), http_errno_description(e));
    return text;
}

static const char *framing_name(enum http_framing f)
{
    switch (f) {
    case HTTP_FRAMING_NONE: return "no body";
    case HTTP_FRAMING_CONTENT_LENGTH: return "Content-Length";
    case HTTP_FRAMING_CHUNKED: return "chunked";
    case HTTP_FRAMING_UNTIL_CLOSE: return "until the server closed";
    }
    return "?";
}

void http_response_print(const struct http_response *r)
{
    printf("status: %u %s (HTTP/%u.%u)\n", r->status, r->reason, r->version_major,
           r->version_minor);
    for (unsigned i = 0; i < r->header_count; i++) {
        const struct http_header *h = &r->headers[i];

        printf("%s: %s: %s%s\n", h->trailer ? "trailer" : "header", h->field, h->value,
               h->cut ? " [cut]" : "");
    }
    if (r->headers_dropped > 0)
        printf("header: (%u more not kept)\n", r->headers_dropped);
    printf("body: %llu bytes, %s", (unsigned long long)r->body_length, framing_name(r->framing));
    if (r->framing == HTTP_FRAMING_CHUNKED)
        printf(" (%u chunks)", r->chunks);
    printf(", crc32 %08x\n", (unsigned)r->crc32);
}
