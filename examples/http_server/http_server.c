/*
 * http_server.c: a small web server on a TCPServer: an HTML page, a JSON status
 * endpoint and an echo endpoint, requests parsed by http-parser (Debian's
 * libhttp-parser-dev). A device program: it uses only <netsocket/netsocket.h> and
 * http-parser, as it would on Mbed OS, and runs on a laptop over nsemu's host link.
 *
 *   http_server [--port N] [--workers N] [--requests N]
 *
 *   GET  /        a small HTML page (HEAD too)
 *   GET  /status  {"uptime_ms":..,"requests":..,"connections":..,"ip":".."}
 *   POST /echo    the request body back (at most 1 MiB), application/octet-stream
 *
 * The port is the device's own (80 by default). On the host link a device port from 1
 * to 1023 is that port plus [host] port_offset (8000) on the host: port 80 is
 * http://127.0.0.1:8080/ for the browser or curl on the same laptop.
 *
 * Threads: main() accepts; each connection is served by a thread of its own, at most
 * --workers (default 4) at once — a small, fixed budget, as a device's RAM and socket
 * pool allow (every connection holds a socket of device.sockets, 16 by default). When
 * all workers are busy, main() stops accepting and new clients wait in the listen
 * backlog until one finishes. A worker serves its connection's requests one after the
 * other (HTTP/1.1 keep-alive and pipelining) until the client closes it, asks to, or is
 * idle for 5 s. SIGINT and SIGTERM end the server cleanly; so does --requests N, after
 * N requests. Every blocking call has a short timeout so that every thread notices the
 * end within 250 ms.
 *
 * Exit status: 0 after a clean end, 1 when the server could not start, 2 for bad
 * arguments.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <http_parser.h>
#include <netsocket/netsocket.h>

#define DEFAULT_PORT     80
#define HOST_PORT_OFFSET 8000 /* [host] port_offset, unless the scenario changes it */
#define DEFAULT_WORKERS  4
#define MAX_WORKERS      12 /* leaves room in the device's socket pool (16) */
#define TICK_MS          250
#define IDLE_TIMEOUT_MS  5000
#define RECV_BUFFER_SIZE 1024
#define MAX_URL          1024
#define MAX_BODY         (1024 * 1024)

/* One connection and the request being parsed on it. */
struct conn {
    unsigned number; /* 1, 2, ... in the order accepted */
    tcp_socket_t *sock;
    socket_address_t from;
    pthread_t thread;
    bool busy;     /* a worker thread owns this slot */
    bool joinable; /* its thread has not been joined yet */

    http_parser parser;
    char url[MAX_URL + 1];
    size_t url_len;
    char *body;
    size_t body_len, body_cap;
    bool too_large, url_too_long;
    bool request_done; /* on_message_complete ran: answer before parsing on */
    bool keep_alive;
};

static struct server {
    tcp_server_t *listener;
    const char *ip;
    struct timespec started;
    unsigned workers;
    unsigned long request_limit; /* 0: none */
    struct conn slots[MAX_WORKERS];
    unsigned active, peak;
    pthread_mutex_t lock;
    pthread_cond_t slot_freed;
    atomic_ulong requests, connections;
    atomic_ulong sends, largest_send;
    atomic_bool stopping;
} srv = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .slot_freed = PTHREAD_COND_INITIALIZER,
};

static volatile sig_atomic_t got_signal;

static const char index_html[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head><meta charset=\"utf-8\"><title>nsemu http_server</title></head>\n"
    "<body>\n"
    "<h1>Hello from an Mbed OS device</h1>\n"
    "<p>This page comes from a TCPServer in a device program that runs on nsemu.</p>\n"
    "<p>Device status: <a href=\"/status\">/status</a> (JSON).</p>\n"
    "</body>\n"
    "</html>\n";

static const char *error_name(nsapi_error_t e)
{
    switch (e) {
    case NSAPI_ERROR_OK: return "OK";
    case NSAPI_ERROR_WOULD_BLOCK: return "WOULD_BLOCK (timed out)";
    case NSAPI_ERROR_PARAMETER: return "PARAMETER (port in use?)";
    case NSAPI_ERROR_NO_CONNECTION: return "NO_CONNECTION";
    case NSAPI_ERROR_NO_SOCKET: return "NO_SOCKET";
    case NSAPI_ERROR_NO_MEMORY: return "NO_MEMORY";
    case NSAPI_ERROR_DHCP_FAILURE: return "DHCP_FAILURE";
    case NSAPI_ERROR_CONNECTION_LOST: return "CONNECTION_LOST (reset by the peer)";
    default: return "error";
    }
}

static bool stopping(void)
{
    return got_signal != 0 || atomic_load(&srv.stopping);
}

static void on_signal(int sig)
{
    (void)sig;
    got_signal = 1; /* the threads notice within TICK_MS */
}

static unsigned long uptime_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (unsigned long)((now.tv_sec - srv.started.tv_sec) * 1000 +
                           (now.tv_nsec - srv.started.tv_nsec) / 1000000);
}

/* ---- request parsing: http-parser's callbacks fill struct conn ------------------ */

static int on_message_begin(http_parser *p)
{
    struct conn *c = p->data;

    c->url_len = 0;
    c->url[0] = '\0';
    c->body_len = 0;
    c->too_large = c->url_too_long = false;
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    struct conn *c = p->data;

    if (c->url_len + len > MAX_URL) {
        c->url_too_long = true;
        return 0;
    }
    memcpy(c->url + c->url_len, at, len);
    c->url_len += len;
    c->url[c->url_len] = '\0';
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    struct conn *c = p->data;

    if ((p->flags & F_CONTENTLENGTH) && p->content_length > MAX_BODY)
        c->too_large = true; /* answered with 413; the body is still read past */
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct conn *c = p->data;
    char *grown;

    if (c->too_large || c->body_len + len > MAX_BODY) {
        c->too_large = true;
        return 0;
    }
    if (c->body_len + len > c->body_cap) {
        size_t cap = c->body_cap == 0 ? 4096 : c->body_cap;

        while (cap < c->body_len + len)
            cap *= 2;
        grown = realloc(c->body, cap);
        if (grown == NULL) {
            c->too_large = true;
            return 0;
        }
        c->body = grown;
        c->body_cap = cap;
    }
    memcpy(c->body + c->body_len, at, len);
    c->body_len += len;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct conn *c = p->data;

    c->request_done = true;
    c->keep_alive = http_should_keep_alive(p) != 0;
    http_parser_pause(p, 1); /* answer this request before parsing a pipelined next one */
    return 0;
}

static const http_parser_settings request_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---- responses ------------------------------------------------------------------ */

/* Sends all of data, however little each send takes (tcp.send_chunk). */
static nsapi_error_t send_all(tcp_socket_t *s, const char *data, size_t size)
{
    size_t sent = 0;

    while (sent < size) {
        nsapi_size_or_error_t n = tcp_socket_send(s, data + sent, (nsapi_size_t)(size - sent));
        unsigned long largest;

        if (n == NSAPI_ERROR_WOULD_BLOCK && !stopping())
            continue; /* the client reads slowly: keep trying until the end */
        if (n < 0)
            return n;
        atomic_fetch_add(&srv.sends, 1);
        largest = atomic_load(&srv.largest_send);
        while ((unsigned long)n > largest &&
               !atomic_compare_exchange_weak(&srv.largest_send, &largest, (unsigned long)n))
            ;
        sent += (size_t)n;
    }
    return NSAPI_ERROR_OK;
}

struct response {
    unsigned status;
    const char *reason;
    const char *type;
    const char *extra_header; /* a whole line with its CRLF, or "" */
    const char *body;
    size_t body_len;
};

static nsapi_error_t send_response(struct conn *c, const struct response *r, bool head,
                                   bool keep_alive)
{
    char header[512];
    int len = snprintf(header, sizeof(header),
                       "HTTP/1.1 %u %s\r\n"
                       "Server: nsemu-http_server/1.0\r\n"
                       "Content-Type: %s\r\n"
                       "Content-Length: %zu\r\n"
                       "%s"
                       "Connection: %s\r\n"
                       "\r\n",
                       r->status, r->reason, r->type, r->body_len, r->extra_header,
                       keep_alive ? "keep-alive" : "close");
    nsapi_error_t e = send_all(c->sock, header, (size_t)len);

    if (e == NSAPI_ERROR_OK && !head && r->body_len > 0)
        e = send_all(c->sock, r->body, r->body_len);
    return e;
}

static void status_json(char *buf, size_t size)
{
    snprintf(buf, size, "{\"uptime_ms\":%lu,\"requests\":%lu,\"connections\":%lu,\"ip\":\"%s\"}\n",
             uptime_ms(), atomic_load(&srv.requests), atomic_load(&srv.connections), srv.ip);
}

/* A short text/plain answer. */
static struct response plain(unsigned status, const char *reason, const char *extra_header,
                             const char *text)
{
    return (struct response){.status = status,
                             .reason = reason,
                             .type = "text/plain",
                             .extra_header = extra_header,
                             .body = text,
                             .body_len = strlen(text)};
}

static struct response content(const char *type, const char *extra_header, const char *body,
                               size_t len)
{
    return (struct response){.status = 200,
                             .reason = "OK",
                             .type = type,
                             .extra_header = extra_header,
                             .body = body,
                             .body_len = len};
}

/* Chooses the answer to the request parsed on c. json is room for /status's body. */
static struct response route(struct conn *c, char *json, size_t json_size)
{
    enum http_method m = (enum http_method)c->parser.method;
    bool get = m == HTTP_GET || m == HTTP_HEAD, post = m == HTTP_POST || m == HTTP_PUT;
    struct http_parser_url u;
    char path[MAX_URL + 1] = "";

    if (c->url_too_long)
        return plain(414, "URI Too Long", "", "URI too long\n");
    if (c->too_large)
        return plain(413, "Content Too Large", "", "at most 1 MiB\n");
    http_parser_url_init(&u);
    if (http_parser_parse_url(c->url, c->url_len, 0, &u) != 0 || !(u.field_set & (1 << UF_PATH)))
        return plain(400, "Bad Request", "", "bad target\n");
    memcpy(path, c->url + u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
    path[u.field_data[UF_PATH].len] = '\0';

    if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
        if (!get)
            return plain(405, "Method Not Allowed", "Allow: GET, HEAD\r\n", "use GET\n");
        return content("text/html; charset=utf-8", "", index_html, sizeof(index_html) - 1);
    }
    if (strcmp(path, "/status") == 0) {
        if (!get)
            return plain(405, "Method Not Allowed", "Allow: GET, HEAD\r\n", "use GET\n");
        status_json(json, json_size);
        return content("application/json", "Cache-Control: no-store\r\n", json, strlen(json));
    }
    if (strcmp(path, "/echo") == 0) {
        if (!post)
            return plain(405, "Method Not Allowed", "Allow: POST, PUT\r\n", "use POST\n");
        return content("application/octet-stream", "", c->body, c->body_len);
    }
    return plain(404, "Not Found", "", "no such page\n");
}

/* Answers the request parsed on c; false when the connection must end. */
static bool answer(struct conn *c)
{
    unsigned long n = atomic_fetch_add(&srv.requests, 1) + 1; /* /status counts itself */
    char json[256];
    struct response r = route(c, json, sizeof(json));
    bool head = c->parser.method == HTTP_HEAD;
    bool last = srv.request_limit != 0 && n >= srv.request_limit;
    bool keep_alive = c->keep_alive && !last && !stopping() && r.status < 400;
    nsapi_error_t e = send_response(c, &r, head, keep_alive);

    printf("server: conn %u: %s %s -> %u, %zu bytes%s\n", c->number,
           http_method_str((enum http_method)c->parser.method), c->url, r.status,
           head ? 0 : r.body_len, e == NSAPI_ERROR_OK ? "" : " (send failed)");
    if (last)
        atomic_store(&srv.stopping, true);
    return e == NSAPI_ERROR_OK && keep_alive;
}

/* Parses what arrived; answers every complete request in it. False: close. */
static bool consume(struct conn *c, const char *data, size_t len)
{
    while (len > 0) {
        size_t used = http_parser_execute(&c->parser, &request_settings, data, len);

        if (!c->request_done) {
            if (HTTP_PARSER_ERRNO(&c->parser) == HPE_OK)
                return true; /* the rest of the request is still on its way */
            struct response bad = {400, "Bad Request", "text/plain", "", "bad request\n", 12};
            printf("server: conn %u: not HTTP: %s\n", c->number,
                   http_errno_description(HTTP_PARSER_ERRNO(&c->parser)));
            send_response(c, &bad, false, false);
            return false;
        }
        c->request_done = false;
        if (!answer(c))
            return false;
        http_parser_pause(&c->parser, 0);
        data += used;
        len -= used;
    }
    return true;
}

static void serve(struct conn *c)
{
    char buf[RECV_BUFFER_SIZE];
    int idle_ms = 0;

    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    c->request_done = false;
    socket_set_timeout(c->sock, TICK_MS);
    for (;;) {
        nsapi_size_or_error_t n = tcp_socket_recv(c->sock, buf, sizeof(buf));

        if (n == NSAPI_ERROR_WOULD_BLOCK) {
            idle_ms += TICK_MS;
            if (idle_ms >= IDLE_TIMEOUT_MS || stopping())
                break;
            continue;
        }
        if (n == 0)
            break; /* the client closed */
        if (n < 0) {
            printf("server: conn %u: recv failed: %d %s\n", c->number, n, error_name(n));
            break;
        }
        idle_ms = 0;
        if (!consume(c, buf, (size_t)n))
            break;
    }
}

static void *worker_main(void *arg)
{
    struct conn *c = arg;

    serve(c);
    socket_delete(c->sock);
    c->sock = NULL;
    printf("server: conn %u: closed\n", c->number);
    pthread_mutex_lock(&srv.lock);
    c->busy = false;
    srv.active--;
    pthread_cond_signal(&srv.slot_freed);
    pthread_mutex_unlock(&srv.lock);
    return NULL;
}

/* ---- accepting ------------------------------------------------------------------ */

/* Waits for a free worker slot; NULL when the server is ending. */
static struct conn *free_slot(void)
{
    struct conn *c = NULL;

    pthread_mutex_lock(&srv.lock);
    while (c == NULL && !stopping()) {
        for (unsigned i = 0; i < srv.workers && c == NULL; i++)
            if (!srv.slots[i].busy)
                c = &srv.slots[i];
        if (c == NULL) {
            struct timespec until;

            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += TICK_MS * 1000000L;
            until.tv_sec += until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&srv.slot_freed, &srv.lock, &until);
        }
    }
    pthread_mutex_unlock(&srv.lock);
    if (c != NULL && c->joinable) { /* its last thread has finished: reap it */
        pthread_join(c->thread, NULL);
        c->joinable = false;
    }
    return c;
}

/* Hands an accepted connection to a worker thread. */
static void start_worker(struct conn *c)
{
    pthread_mutex_lock(&srv.lock);
    c->busy = true;
    if (++srv.active > srv.peak)
        srv.peak = srv.active;
    pthread_mutex_unlock(&srv.lock);
    if (pthread_create(&c->thread, NULL, worker_main, c) == 0) {
        c->joinable = true;
        return;
    }
    printf("server: conn %u: no thread for it; closing\n", c->number);
    worker_main(c);
}

static void accept_loop(void)
{
    while (!stopping()) {
        struct conn *c = free_slot();
        nsapi_error_t r;

        if (c == NULL)
            break;
        c->sock = tcp_socket_new();
        if (c->sock == NULL)
            break;
        r = tcp_server_accept(srv.listener, c->sock, &c->from);
        if (r == NSAPI_ERROR_WOULD_BLOCK) { /* nobody came within TICK_MS */
            socket_delete(c->sock);
            continue;
        }
        if (r != NSAPI_ERROR_OK) {
            printf("server: accept failed: %d %s\n", r, error_name(r));
            socket_delete(c->sock);
            struct timespec pause = {0, TICK_MS * 1000000L};
            nanosleep(&pause, NULL); /* e.g. the socket pool is used up: try again */
            continue;
        }
        c->number = (unsigned)atomic_fetch_add(&srv.connections, 1) + 1;
        printf("server: conn %u: from %s:%u\n", c->number, socket_address_get_ip_address(&c->from),
               socket_address_get_port(&c->from));
        start_worker(c);
    }
    for (unsigned i = 0; i < srv.workers; i++) { /* each ends within TICK_MS */
        if (srv.slots[i].joinable)
            pthread_join(srv.slots[i].thread, NULL);
        free(srv.slots[i].body);
    }
}

/* ---- main ----------------------------------------------------------------------- */

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--port N] [--workers N] [--requests N]\n"
            "  --port N      device port to serve on (default %d; host port N+8000 if N < 1024)\n"
            "  --workers N   connections served at once, 1 to %d (default %d)\n"
            "  --requests N  exit after N requests (default: until SIGINT or SIGTERM)\n",
            argv0, DEFAULT_PORT, MAX_WORKERS, DEFAULT_WORKERS);
    exit(2);
}

static long parse_number(const char *text, long min, long max, const char *argv0)
{
    char *end;
    long v = strtol(text, &end, 10);

    if (*text == '\0' || *end != '\0' || v < min || v > max)
        usage(argv0);
    return v;
}

static nsapi_error_t listen_on(network_interface_t *ni, uint16_t port)
{
    nsapi_error_t r;

    srv.listener = tcp_server_new();
    if (srv.listener == NULL)
        return NSAPI_ERROR_NO_MEMORY;
    r = socket_open(srv.listener, ni);
    if (r == NSAPI_ERROR_OK)
        r = socket_bind_port(srv.listener, port); /* any-address: the device's */
    if (r == NSAPI_ERROR_OK)
        r = tcp_server_listen(srv.listener, 8);
    if (r != NSAPI_ERROR_OK) {
        socket_delete(srv.listener);
        srv.listener = NULL;
        return r;
    }
    socket_set_timeout(srv.listener, TICK_MS);
    return NSAPI_ERROR_OK;
}

int main(int argc, char **argv)
{
    struct sigaction sa = {.sa_handler = on_signal};
    uint16_t port = DEFAULT_PORT;
    network_interface_t *ni;
    nsapi_error_t r;

    setvbuf(stdout, NULL, _IOLBF, 0); /* line by line, also into a pipe */
    srv.workers = DEFAULT_WORKERS;
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            usage(argv[0]);
        if (strcmp(argv[i], "--port") == 0)
            port = (uint16_t)parse_number(argv[i + 1], 1, 65535, argv[0]);
        else if (strcmp(argv[i], "--workers") == 0)
            srv.workers = (unsigned)parse_number(argv[i + 1], 1, MAX_WORKERS, argv[0]);
        else if (strcmp(argv[i], "--requests") == 0)
            srv.request_limit = (unsigned long)parse_number(argv[i + 1], 1, 1000000000, argv[0]);
        else
            usage(argv[0]);
    }
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    clock_gettime(CLOCK_MONOTONIC, &srv.started);

    ni = network_interface_get_default_instance();
    r = ni == NULL ? NSAPI_ERROR_NO_MEMORY : network_interface_connect(ni);
    if (r != NSAPI_ERROR_OK) {
        printf("http_server: the network does not come up: %d %s\n", r, error_name(r));
        return 1;
    }
    srv.ip = network_interface_get_ip_address(ni);
    r = listen_on(ni, port);
    if (r != NSAPI_ERROR_OK) {
        printf("http_server: cannot listen on device port %u: %d %s\n", port, r, error_name(r));
        network_interface_disconnect(ni);
        return 1;
    }
    printf("http_server: listening on device port %u; from this host: http://%s:%u/ "
           "(%u workers)\n",
           port, srv.ip, port < 1024 ? port + HOST_PORT_OFFSET : port, srv.workers);

    accept_loop();

    socket_delete(srv.listener);
    network_interface_disconnect(ni);
    printf("http_server: served %lu requests on %lu connections, at most %u at once; "
           "%lu send calls (largest %lu bytes)\n",
           atomic_load(&srv.requests), atomic_load(&srv.connections), srv.peak,
           atomic_load(&srv.sends), atomic_load(&srv.largest_send));
    printf("http_server: %s\n", got_signal ? "stopped by a signal" : "done");
    return 0;
}
