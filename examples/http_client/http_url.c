/*
 * http_url.c: URL splitting for the HTTP examples, on http-parser's URL parser.
 */
#include "http_url.h"

#include <stdio.h>
#include <string.h>

#include <http_parser.h>

/* Copies a URL field that http_parser_parse_url found; false when it does not fit. */
static bool copy_field(char *dst, size_t size, const char *url, const struct http_parser_url *u,
                       enum http_parser_url_fields f)
{
    size_t len = u->field_data[f].len;

    if (len >= size)
        return false;
    memcpy(dst, url + u->field_data[f].off, len);
    dst[len] = '\0';
    return true;
}

bool http_url_parse(const char *text, const char *scheme, uint16_t default_port,
                    struct http_url *out)
{
    struct http_parser_url u;
    char schema[8], path[sizeof(out->target)] = "/", query[sizeof(out->target)] = "";

    http_parser_url_init(&u);
    if (http_parser_parse_url(text, strlen(text), 0, &u) != 0)
        return false;
    if (!(u.field_set & (1 << UF_SCHEMA)) || !(u.field_set & (1 << UF_HOST)) ||
        !copy_field(schema, sizeof(schema), text, &u, UF_SCHEMA) || strcmp(schema, scheme) != 0 ||
        !copy_field(out->host, sizeof(out->host), text, &u, UF_HOST))
        return false;
    out->port = (u.field_set & (1 << UF_PORT)) ? u.port : default_port;
    if ((u.field_set & (1 << UF_PATH)) && !copy_field(path, sizeof(path), text, &u, UF_PATH))
        return false;
    if ((u.field_set & (1 << UF_QUERY)) && !copy_field(query, sizeof(query), text, &u, UF_QUERY))
        return false;
    return snprintf(out->target, sizeof(out->target), "%s%s%s", path, query[0] ? "?" : "", query) <
           (int)sizeof(out->target);
}
