/*
 * ws_codec.c: RFC 6455 pieces of the websocket_server example (ws_codec.h). SHA-1 and
 * base64 are mbedTLS 2.28's (libmbedcrypto), as on an Mbed OS device.
 */
#include "ws_codec.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/base64.h>
#include <mbedtls/sha1.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* ---- the opening handshake ---------------------------------------------------------- */

static char *trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    return s;
}

/* Cuts the line at *cursor (ended by CRLF) and moves past it; NULL at the blank line
 * or when no CRLF is left. */
static char *next_line(char **cursor)
{
    char *line = *cursor, *end = strstr(line, "\r\n");

    if (end == NULL || end == line)
        return NULL;
    *end = '\0';
    *cursor = end + 2;
    return line;
}

static void take_header(struct ws_request *req, const char *name, const char *value)
{
    static const struct {
        const char *name;
        size_t offset;
    } wanted[] = {
        {"Host", offsetof(struct ws_request, host)},
        {"Upgrade", offsetof(struct ws_request, upgrade)},
        {"Connection", offsetof(struct ws_request, connection)},
        {"Sec-WebSocket-Key", offsetof(struct ws_request, key)},
        {"Sec-WebSocket-Version", offsetof(struct ws_request, ws_version)},
    };

    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
        if (strcasecmp(name, wanted[i].name) == 0)
            *(const char **)((char *)req + wanted[i].offset) = value;
}

int ws_parse_request(char *text, struct ws_request *req)
{
    char *cursor = text, *line, *sp1, *sp2;

    memset(req, 0, sizeof(*req));
    line = next_line(&cursor);
    if (line == NULL || (sp1 = strchr(line, ' ')) == NULL || (sp2 = strchr(sp1 + 1, ' ')) == NULL)
        return WS_PROTOCOL_ERROR;
    *sp1 = *sp2 = '\0';
    req->method = line;
    req->target = sp1 + 1;
    req->version = sp2 + 1;
    if (*req->method == '\0' || *req->target == '\0' || strncmp(req->version, "HTTP/", 5) != 0)
        return WS_PROTOCOL_ERROR;
    while ((line = next_line(&cursor)) != NULL) {
        char *colon = strchr(line, ':');

        if (colon == NULL || colon == line || line[0] == ' ' || line[0] == '\t')
            return WS_PROTOCOL_ERROR; /* no name, or an obsolete folded line */
        *colon = '\0';
        take_header(req, line, trim(colon + 1));
    }
    return strncmp(cursor, "\r\n", 2) == 0 ? 0 : WS_PROTOCOL_ERROR;
}

/* True when the comma-separated list has the token (letter case ignored). */
static bool list_has(const char *list, const char *token)
{
    size_t n = strlen(token);

    while (list != NULL && *list != '\0') {
        const char *end = strchr(list, ',');
        size_t len = end == NULL ? strlen(list) : (size_t)(end - list);

        while (len > 0 && (*list == ' ' || *list == '\t')) {
            list++;
            len--;
        }
        while (len > 0 && (list[len - 1] == ' ' || list[len - 1] == '\t'))
            len--;
        if (len == n && strncasecmp(list, token, n) == 0)
            return true;
        list = end == NULL ? NULL : end + 1;
    }
    return false;
}

bool ws_is_upgrade(const struct ws_request *req)
{
    return strcmp(req->method, "GET") == 0 && strcmp(req->version, "HTTP/1.1") == 0 &&
           req->upgrade != NULL && list_has(req->upgrade, "websocket") &&
           list_has(req->connection, "Upgrade");
}

bool ws_key_valid(const char *key)
{
    unsigned char raw[32];
    size_t n = 0;

    return key != NULL && strlen(key) == 24 &&
           mbedtls_base64_decode(raw, sizeof(raw), &n, (const unsigned char *)key, 24) == 0 &&
           n == 16;
}

int ws_accept_key(const char *key, char out[WS_ACCEPT_KEY_SIZE])
{
    char joined[128];
    unsigned char digest[20];
    size_t n = 0;
    int len = snprintf(joined, sizeof(joined), "%s%s", key, WS_GUID);

    if (len < 0 || (size_t)len >= sizeof(joined))
        return -1;
    if (mbedtls_sha1_ret((const unsigned char *)joined, (size_t)len, digest) != 0)
        return -1;
    if (mbedtls_base64_encode((unsigned char *)out, WS_ACCEPT_KEY_SIZE, &n, digest,
                              sizeof(digest)) != 0)
        return -1;
    return 0;
}

/* ---- frames --------------------------------------------------------------------------- */

size_t ws_header_size(uint8_t byte0, uint8_t byte1)
{
    uint8_t len7 = byte1 & 0x7f;

    (void)byte0;
    return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((byte1 & 0x80) ? 4 : 0);
}

static bool opcode_known(uint8_t op)
{
    return op <= WS_BINARY || (op >= WS_CLOSE && op <= WS_PONG);
}

int ws_parse_frame_header(const uint8_t *buf, size_t len, struct ws_frame_header *h)
{
    size_t size, pos = 2;
    uint8_t len7;

    if (len < 2)
        return WS_INCOMPLETE;
    size = ws_header_size(buf[0], buf[1]);
    if (len < size)
        return WS_INCOMPLETE;
    h->fin = buf[0] & 0x80;
    h->rsv = (buf[0] >> 4) & 0x07;
    h->opcode = buf[0] & 0x0f;
    h->masked = buf[1] & 0x80;
    len7 = buf[1] & 0x7f;
    h->payload_len = len7;
    if (len7 == 126) {
        h->payload_len = (uint64_t)buf[2] << 8 | buf[3];
        pos = 4;
        if (h->payload_len < 126)
            return WS_PROTOCOL_ERROR; /* not the shortest form */
    } else if (len7 == 127) {
        h->payload_len = 0;
        for (size_t i = 0; i < 8; i++)
            h->payload_len = h->payload_len << 8 | buf[2 + i];
        pos = 10;
        if ((h->payload_len >> 63) != 0 || h->payload_len <= 0xffff)
            return WS_PROTOCOL_ERROR;
    }
    memset(h->mask, 0, sizeof(h->mask));
    if (h->masked)
        memcpy(h->mask, buf + pos, 4);
    if (h->rsv != 0 || !opcode_known(h->opcode))
        return WS_PROTOCOL_ERROR;
    if (h->opcode >= WS_CLOSE && (!h->fin || h->payload_len > 125))
        return WS_PROTOCOL_ERROR;
    return (int)size;
}

size_t ws_encode_frame_header(uint8_t *out, bool fin, uint8_t opcode, uint64_t payload_len)
{
    out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
    if (payload_len < 126) {
        out[1] = (uint8_t)payload_len;
        return 2;
    }
    if (payload_len <= 0xffff) {
        out[1] = 126;
        out[2] = (uint8_t)(payload_len >> 8);
        out[3] = (uint8_t)payload_len;
        return 4;
    }
    out[1] = 127;
    for (size_t i = 0; i < 8; i++)
        out[2 + i] = (uint8_t)(payload_len >> (8 * (7 - i)));
    return 10;
}

void ws_unmask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t offset)
{
    for (size_t i = 0; i < len; i++)
        data[i] ^= mask[(offset + i) % 4];
}

/* ---- checks --------------------------------------------------------------------------- */

bool ws_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint8_t c = s[i];
        size_t extra;
        uint32_t cp, min;

        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            extra = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (len - i - 1 < extra)
            return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += extra + 1;
    }
    return true;
}

bool ws_close_code_valid(uint16_t code)
{
    if (code >= 3000 && code <= 4999)
        return true; /* libraries and applications */
    switch (code) {
    case 1000:
    case 1001:
    case 1002:
    case 1003:
    case 1007:
    case 1008:
    case 1009:
    case 1010:
    case 1011: return true;
    default: return false; /* 1004-1006 and 1015 are never sent; the rest is unassigned */
    }
}
