/*
 * websocket_server.c: a WebSocket (RFC 6455) echo server on a TCPServer, in the shape of
 * Mbed's Websockets-Server. A device program: it uses only <netsocket/netsocket.h>,
 * mbedTLS's SHA-1 and base64 (through ws_codec.c), as it would on Mbed OS, and runs on
 * a laptop over nsemu's host link.
 *
 *   websocket_server [PORT]     serve until killed; PORT defaults to 80
 *
 * On the host link a device port from 1 to 1023 is that port plus 8000 for the rest of
 * the host ([host] port_offset): port 80 is http://127.0.0.1:8080/. The page at / opens
 * ws://HOST/ws back to the device, sends a message (?message=… or "hello from the
 * browser"), and writes the echo into the page.
 *
 * A WebSocket connection echoes every text and binary message as one frame, whatever
 * fragments it came in; answers a ping with a pong of the same payload; answers a close
 * with a close of the same code. It closes with 1002 for a protocol error (an unmasked
 * client frame, reserved bits, an unknown opcode, a fragmented or long control frame,
 * a continuation out of place, a bad close code), 1007 for text that is not UTF-8, 1009
 * for a message over 1 MiB, and 1001 after 60 s of silence.
 *
 * Threads: main accepts; each connection runs on a thread of its own (at most
 * MAX_CONNECTIONS at once; beyond that a connection gets 503 and is closed).
 * Output: one line per event, on stdout.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netsocket/netsocket.h>

#include "ws_codec.h"

#define DEFAULT_PORT       80
#define HOST_PORT_OFFSET   8000 /* [host] port_offset, unless the scenario changes it */
#define MAX_CONNECTIONS    8
#define MAX_REQUEST        4096 /* an HTTP request head */
#define MAX_MESSAGE        (1 << 20)
#define REQUEST_TIMEOUT_MS 10000 /* for the HTTP request head */
#define IDLE_TIMEOUT_MS    60000 /* a WebSocket connection with nothing coming in */
#define CLOSE_WAIT_MS      2000  /* for the client's close after ours */
#define DRAIN_QUIET_MS     200   /* after a broken frame: silence that ends the drain */

static const char page[] =
    "<!DOCTYPE html>\n"
    "<html><head><meta charset=\"utf-8\"><title>nsemu WebSocket echo</title></head>\n"
    "<body><h1>WebSocket echo on an nsemu device</h1>\n"
    "<p>status: <span id=\"status\">loading</span></p>\n"
    "<p>sent: <span id=\"sent\"></span></p>\n"
    "<p>echo: <span id=\"echo\"></span></p>\n"
    "<script>\n"
    "const message = new URLSearchParams(location.search).get('message') ||\n"
    "    'hello from the browser';\n"
    "const status = document.getElementById('status');\n"
    "const ws = new WebSocket('ws://' + location.host + '/ws');\n"
    "ws.onopen = () => {\n"
    "  status.textContent = 'open';\n"
    "  document.getElementById('sent').textContent = message;\n"
    "  ws.send(message);\n"
    "};\n"
    "ws.onmessage = (event) => {\n"
    "  document.getElementById('echo').textContent = event.data;\n"
    "  status.textContent = 'echoed';\n"
    "  ws.close(1000, 'done');\n"
    "};\n"
    "ws.onerror = () => { status.textContent = 'error'; };\n"
    "ws.onclose = (event) => {\n"
    "  if (status.textContent !== 'echoed') status.textContent = 'closed ' + event.code;\n"
    "};\n"
    "</script></body></html>\n";

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static int active_connections;

/* One client connection: its socket and the bytes read but not used yet. */
struct conn {
    tcp_socket_t *sock;
    long id;
    uint8_t buf[MAX_REQUEST + 1];
    size_t len;
};

static const char *error_name(nsapi_error_t e)
{
    switch (e) {
    case NSAPI_ERROR_OK: return "OK";
    case NSAPI_ERROR_WOULD_BLOCK: return "WOULD_BLOCK (timed out)";
    case NSAPI_ERROR_PARAMETER: return "PARAMETER (port in use?)";
    case NSAPI_ERROR_NO_CONNECTION: return "NO_CONNECTION";
    case NSAPI_ERROR_NO_SOCKET: return "NO_SOCKET";
    case NSAPI_ERROR_CONNECTION_LOST: return "CONNECTION_LOST";
    default: return "error";
    }
}

static uint16_t host_port_of(uint16_t device_port)
{
    if (device_port >= 1 && device_port <= 1023)
        return (uint16_t)(device_port + HOST_PORT_OFFSET);
    return device_port;
}

/* Sends all of data. A blocking send normally takes everything, but a send may be short
 * (a fault scenario's tcp.send_chunk, as some Mbed drivers do), so it loops. */
static bool send_all(struct conn *c, const void *data, size_t size)
{
    const uint8_t *p = data;

    while (size > 0) {
        nsapi_size_t chunk = size > 65536 ? 65536 : (nsapi_size_t)size;
        nsapi_size_or_error_t n = tcp_socket_send(c->sock, p, chunk);

        if (n <= 0)
            return false;
        p += n;
        size -= (size_t)n;
    }
    return true;
}

/* Reads exactly size bytes, first from what is buffered; 0, or the nsapi error (0 bytes
 * from the peer: NSAPI_ERROR_CONNECTION_LOST). */
static nsapi_error_t read_exact(struct conn *c, void *dst, size_t size)
{
    uint8_t *out = dst;
    size_t from_buf = size < c->len ? size : c->len;

    memcpy(out, c->buf, from_buf);
    memmove(c->buf, c->buf + from_buf, c->len - from_buf);
    c->len -= from_buf;
    for (size_t got = from_buf; got < size;) {
        nsapi_size_t want = size - got > 65536 ? 65536 : (nsapi_size_t)(size - got);
        nsapi_size_or_error_t n = tcp_socket_recv(c->sock, out + got, want);

        if (n == 0)
            return NSAPI_ERROR_CONNECTION_LOST;
        if (n < 0)
            return n;
        got += (size_t)n;
    }
    return NSAPI_ERROR_OK;
}

/* ---- HTTP ------------------------------------------------------------------------ */

static void send_http(struct conn *c, const char *status, const char *type, const char *extra,
                      const char *body)
{
    char head[512];
    size_t body_len = strlen(body);
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                     "Connection: close\r\n\r\n",
                     status, type, body_len, extra);

    if (n > 0 && (size_t)n < sizeof(head) && send_all(c, head, (size_t)n))
        send_all(c, body, body_len);
    printf("ws: connection %ld: HTTP %s\n", c->id, status);
}

/* Reads the request head into c->buf, NUL-terminated; the bytes after it stay in the
 * buffer (a client may send its first frame right behind). Its length, or 0. */
static size_t read_request(struct conn *c)
{
    socket_set_timeout(c->sock, REQUEST_TIMEOUT_MS);
    for (;;) {
        nsapi_size_or_error_t n;
        char *end;

        c->buf[c->len] = '\0';
        end = strstr((char *)c->buf, "\r\n\r\n");
        if (end != NULL)
            return (size_t)(end + 4 - (char *)c->buf);
        if (c->len == MAX_REQUEST) {
            send_http(c, "431 Request Header Fields Too Large", "text/plain", "", "too large\n");
            return 0;
        }
        n = tcp_socket_recv(c->sock, c->buf + c->len, (nsapi_size_t)(MAX_REQUEST - c->len));
        if (n <= 0)
            return 0;
        if (memchr(c->buf + c->len, '\0', (size_t)n) != NULL) {
            send_http(c, "400 Bad Request", "text/plain", "", "bad request\n");
            return 0;
        }
        c->len += (size_t)n;
    }
}

/* ---- WebSocket -------------------------------------------------------------------- */

static bool send_frame(struct conn *c, uint8_t opcode, const void *payload, size_t len)
{
    uint8_t header[WS_MAX_HEADER];
    size_t n = ws_encode_frame_header(header, true, opcode, len);

    return send_all(c, header, n) && send_all(c, payload, len);
}

static int read_frame(struct conn *c, struct ws_frame_header *h, uint8_t **payload);

/* Reads and drops bytes until the client is quiet for DRAIN_QUIET_MS (or CLOSE_WAIT_MS
 * have passed), so that closing does not find unread data, which would make the kernel
 * send a reset instead of an orderly end. */
static void drain(struct conn *c)
{
    uint8_t discard[4096];

    socket_set_timeout(c->sock, DRAIN_QUIET_MS);
    for (int i = 0; i < CLOSE_WAIT_MS / DRAIN_QUIET_MS; i++)
        if (tcp_socket_recv(c->sock, discard, sizeof(discard)) <= 0)
            return;
}

/* Sends our close frame with code and reason, then reads what the client still sends
 * until its close frame (or an error, or CLOSE_WAIT_MS), and ends: after a close
 * handshake the server closes the TCP connection first (RFC 6455 §7.1.1). */
static void close_with(struct conn *c, uint16_t code, const char *reason)
{
    uint8_t payload[125] = {(uint8_t)(code >> 8), (uint8_t)code};
    size_t len = strlen(reason) > 123 ? 123 : strlen(reason);

    memcpy(payload + 2, reason, len);
    printf("ws: connection %ld: closing with %u (%s)\n", c->id, code, reason);
    if (!send_frame(c, WS_CLOSE, payload, 2 + len))
        return;
    socket_set_timeout(c->sock, CLOSE_WAIT_MS);
    for (int frames = 0; frames < 16; frames++) {
        struct ws_frame_header h;
        uint8_t *data;
        int r = read_frame(c, &h, &data);

        free(data);
        if (r == WS_PROTOCOL_ERROR || r == NSAPI_ERROR_NO_MEMORY)
            break; /* what follows a broken frame cannot be parsed: drain it below */
        if (r != 0 || h.opcode == WS_CLOSE)
            return;
    }
    drain(c);
}

/* The client closed: answer with the same code (or none), validating what it sent. */
static void answer_close(struct conn *c, const uint8_t *payload, size_t len)
{
    uint16_t code;

    if (len == 0) {
        printf("ws: connection %ld: close without a code from the client\n", c->id);
        send_frame(c, WS_CLOSE, NULL, 0);
        return;
    }
    code = len >= 2 ? (uint16_t)(payload[0] << 8 | payload[1]) : 0;
    if (len == 1 || !ws_close_code_valid(code)) {
        close_with(c, WS_CLOSE_PROTOCOL_ERROR, "bad close code");
        return;
    }
    if (!ws_utf8_valid(payload + 2, len - 2)) {
        close_with(c, WS_CLOSE_INVALID_DATA, "close reason is not UTF-8");
        return;
    }
    printf("ws: connection %ld: close %u '%.*s' from the client, echoed\n", c->id, code,
           (int)(len - 2), (const char *)payload + 2);
    send_frame(c, WS_CLOSE, payload, 2);
}

/* A message being assembled from its fragments. */
struct message {
    uint8_t opcode; /* WS_TEXT or WS_BINARY; 0: none in progress */
    uint8_t *data;
    size_t len, cap;
    int fragments;
};

static bool message_append(struct message *m, const uint8_t *data, size_t len)
{
    if (len > MAX_MESSAGE - m->len)
        return false;
    if (m->len + len > m->cap) {
        size_t cap = m->cap == 0 ? 4096 : m->cap;
        uint8_t *grown;

        while (cap < m->len + len)
            cap *= 2;
        grown = realloc(m->data, cap);
        if (grown == NULL)
            return false;
        m->data = grown;
        m->cap = cap;
    }
    if (len > 0)
        memcpy(m->data + m->len, data, len);
    m->len += len;
    return true;
}

/* Reads one frame: header into *h, payload (unmasked) into a new buffer *payload.
 * 0, an nsapi error, or WS_PROTOCOL_ERROR. */
static int read_frame(struct conn *c, struct ws_frame_header *h, uint8_t **payload)
{
    uint8_t head[WS_MAX_HEADER];
    size_t size;
    nsapi_error_t r;

    *payload = NULL;
    r = read_exact(c, head, 2);
    if (r != NSAPI_ERROR_OK)
        return r;
    size = ws_header_size(head[0], head[1]);
    r = read_exact(c, head + 2, size - 2);
    if (r != NSAPI_ERROR_OK)
        return r;
    if (ws_parse_frame_header(head, size, h) != (int)size)
        return WS_PROTOCOL_ERROR;
    if (h->payload_len > MAX_MESSAGE)
        return NSAPI_ERROR_NO_MEMORY;
    *payload = malloc(h->payload_len + 1);
    if (*payload == NULL)
        return NSAPI_ERROR_NO_MEMORY;
    r = read_exact(c, *payload, (size_t)h->payload_len);
    if (r != NSAPI_ERROR_OK)
        return r;
    ws_unmask(*payload, (size_t)h->payload_len, h->mask, 0);
    return 0;
}

/* Handles one data frame; false when the connection ends (it has been closed). */
static bool handle_data(struct conn *c, struct message *m, const struct ws_frame_header *h,
                        const uint8_t *payload)
{
    if ((h->opcode == WS_CONTINUATION) != (m->opcode != 0)) {
        close_with(c, WS_CLOSE_PROTOCOL_ERROR,
                   m->opcode == 0 ? "continuation without a message" : "message interleaved");
        return false;
    }
    if (h->opcode != WS_CONTINUATION)
        m->opcode = h->opcode;
    m->fragments++;
    if (!message_append(m, payload, (size_t)h->payload_len)) {
        close_with(c, WS_CLOSE_TOO_BIG, "message too big");
        return false;
    }
    if (!h->fin)
        return true;
    if (m->opcode == WS_TEXT && !ws_utf8_valid(m->data, m->len)) {
        close_with(c, WS_CLOSE_INVALID_DATA, "text is not UTF-8");
        return false;
    }
    printf("ws: connection %ld: %s message of %zu bytes in %d fragment(s), echoed\n", c->id,
           m->opcode == WS_TEXT ? "text" : "binary", m->len, m->fragments);
    if (!send_frame(c, m->opcode, m->data, m->len))
        return false;
    m->opcode = 0;
    m->len = 0;
    m->fragments = 0;
    return true;
}

/* Handles one frame; false when the connection ends. */
static bool handle_frame(struct conn *c, struct message *m, const struct ws_frame_header *h,
                         const uint8_t *payload)
{
    switch (h->opcode) {
    case WS_PING:
        printf("ws: connection %ld: ping of %u bytes, pong\n", c->id, (unsigned)h->payload_len);
        return send_frame(c, WS_PONG, payload, (size_t)h->payload_len);
    case WS_PONG: printf("ws: connection %ld: pong\n", c->id); return true;
    case WS_CLOSE: answer_close(c, payload, (size_t)h->payload_len); return false;
    default: return handle_data(c, m, h, payload);
    }
}

static void websocket_session(struct conn *c)
{
    struct message m = {0};
    bool go_on = true;

    socket_set_timeout(c->sock, IDLE_TIMEOUT_MS);
    while (go_on) {
        struct ws_frame_header h;
        uint8_t *payload;
        int r = read_frame(c, &h, &payload);

        go_on = false;
        if (r == WS_PROTOCOL_ERROR)
            close_with(c, WS_CLOSE_PROTOCOL_ERROR, "bad frame header");
        else if (r == NSAPI_ERROR_NO_MEMORY)
            close_with(c, WS_CLOSE_TOO_BIG, "message too big");
        else if (r == NSAPI_ERROR_WOULD_BLOCK)
            close_with(c, WS_CLOSE_GOING_AWAY, "idle");
        else if (r != 0)
            printf("ws: connection %ld: lost: %d %s\n", c->id, r, error_name(r));
        else if (!h.masked)
            close_with(c, WS_CLOSE_PROTOCOL_ERROR, "client frames must be masked");
        else
            go_on = handle_frame(c, &m, &h, payload);
        free(payload);
    }
    free(m.data);
}

/* The opening handshake; true when the connection is now a WebSocket. */
static bool upgrade(struct conn *c, const struct ws_request *req)
{
    char accept[WS_ACCEPT_KEY_SIZE], head[256];
    int n;

    if (strcmp(req->target, "/ws") != 0) {
        send_http(c, "404 Not Found", "text/plain", "", "no WebSocket here; try /ws\n");
        return false;
    }
    if (req->ws_version == NULL || strcmp(req->ws_version, "13") != 0) {
        send_http(c, "426 Upgrade Required", "text/plain", "Sec-WebSocket-Version: 13\r\n",
                  "WebSocket version 13 only\n");
        return false;
    }
    if (!ws_key_valid(req->key) || ws_accept_key(req->key, accept) != 0) {
        send_http(c, "400 Bad Request", "text/plain", "", "bad Sec-WebSocket-Key\n");
        return false;
    }
    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                 accept);
    if (!send_all(c, head, (size_t)n))
        return false;
    printf("ws: connection %ld: upgraded to WebSocket (Sec-WebSocket-Accept %s)\n", c->id, accept);
    return true;
}

static void serve_connection(struct conn *c)
{
    struct ws_request req;
    size_t head_len = read_request(c);
    char *head;

    if (head_len == 0)
        return;
    head = malloc(head_len + 1);
    if (head == NULL)
        return;
    memcpy(head, c->buf, head_len);
    head[head_len] = '\0';
    memmove(c->buf, c->buf + head_len, c->len - head_len); /* keep what came behind */
    c->len -= head_len;
    if (ws_parse_request(head, &req) != 0) {
        send_http(c, "400 Bad Request", "text/plain", "", "bad request\n");
    } else if (req.upgrade != NULL) {
        printf("ws: connection %ld: %s %s (upgrade)\n", c->id, req.method, req.target);
        if (!ws_is_upgrade(&req))
            send_http(c, "400 Bad Request", "text/plain", "", "bad upgrade request\n");
        else if (upgrade(c, &req))
            websocket_session(c);
    } else {
        printf("ws: connection %ld: %s %s\n", c->id, req.method, req.target);
        if (strcmp(req.method, "GET") != 0)
            send_http(c, "405 Method Not Allowed", "text/plain", "Allow: GET\r\n", "GET only\n");
        else if (strcmp(req.target, "/") == 0 || strncmp(req.target, "/?", 2) == 0)
            send_http(c, "200 OK", "text/html; charset=utf-8", "", page);
        else
            send_http(c, "404 Not Found", "text/plain", "", "not found\n");
    }
    free(head);
}

static void *connection_main(void *arg)
{
    struct conn *c = arg;

    serve_connection(c);
    printf("ws: connection %ld: closed\n", c->id);
    socket_delete(c->sock);
    free(c);
    pthread_mutex_lock(&count_lock);
    active_connections--;
    pthread_mutex_unlock(&count_lock);
    return NULL;
}

/* ---- main ------------------------------------------------------------------------ */

static bool start_connection(struct conn *c)
{
    pthread_attr_t attr;
    pthread_t thread;
    bool ok;

    pthread_mutex_lock(&count_lock);
    ok = active_connections < MAX_CONNECTIONS;
    if (ok)
        active_connections++;
    pthread_mutex_unlock(&count_lock);
    if (!ok) {
        send_http(c, "503 Service Unavailable", "text/plain", "", "too many connections\n");
        return false;
    }
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    ok = pthread_create(&thread, &attr, connection_main, c) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) {
        pthread_mutex_lock(&count_lock);
        active_connections--;
        pthread_mutex_unlock(&count_lock);
    }
    return ok;
}

int main(int argc, char **argv)
{
    uint16_t port = DEFAULT_PORT;
    network_interface_t *ni;
    tcp_server_t *server;
    nsapi_error_t r;

    setvbuf(stdout, NULL, _IOLBF, 0); /* line by line, also into a pipe */
    if (argc == 2) {
        char *end;
        long v = strtol(argv[1], &end, 10);

        if (*argv[1] == '\0' || *end != '\0' || v < 1 || v > 65535) {
            fprintf(stderr, "usage: %s [PORT]\n", argv[0]);
            return 2;
        }
        port = (uint16_t)v;
    } else if (argc != 1) {
        fprintf(stderr, "usage: %s [PORT]\n", argv[0]);
        return 2;
    }

    ni = network_interface_get_default_instance();
    r = ni == NULL ? NSAPI_ERROR_NO_MEMORY : network_interface_connect(ni);
    if (r != NSAPI_ERROR_OK) {
        printf("websocket_server: the network does not come up: %d %s\n", r, error_name(r));
        return 1;
    }
    server = tcp_server_new();
    r = server == NULL ? NSAPI_ERROR_NO_MEMORY : socket_open(server, ni);
    if (r == NSAPI_ERROR_OK)
        r = socket_bind_port(server, port);
    if (r == NSAPI_ERROR_OK)
        r = tcp_server_listen(server, MAX_CONNECTIONS);
    if (r != NSAPI_ERROR_OK) {
        printf("websocket_server: cannot listen on device port %u: %d %s\n", port, r,
               error_name(r));
        socket_delete(server);
        return 1;
    }
    printf("websocket_server: listening on device port %u; open http://%s:%u/ on this host\n", port,
           network_interface_get_ip_address(ni), host_port_of(port));

    for (long id = 1;; id++) {
        struct conn *c = calloc(1, sizeof(*c));
        socket_address_t from;

        if (c == NULL || (c->sock = tcp_socket_new()) == NULL) {
            free(c);
            break;
        }
        c->id = id;
        r = tcp_server_accept(server, c->sock, &from);
        if (r != NSAPI_ERROR_OK) {
            printf("websocket_server: accept failed: %d %s\n", r, error_name(r));
            socket_delete(c->sock);
            free(c);
            break;
        }
        printf("ws: connection %ld from %s:%u\n", id, socket_address_get_ip_address(&from),
               socket_address_get_port(&from));
        if (!start_connection(c)) {
            socket_delete(c->sock);
            free(c);
        }
    }
    socket_delete(server);
    return 1;
}
