/*
 * coap_client.c: a CoAP (RFC 7252) client in the shape of Mbed's coap-example. A device
 * program: it uses only <netsocket/netsocket.h> (and the small codec beside it,
 * coap_codec.c), as it would on Mbed OS, and runs on a laptop over nsemu's host link.
 *
 *   coap_client [OPTIONS] SERVER PORT [REQUEST...]
 *   REQUEST: get URI | post URI PAYLOAD | put URI PAYLOAD | delete URI
 *
 * Without requests it GETs /.well-known/core, POSTs "temperature=21.5" to /nsemu/reading
 * and GETs /nsemu/reading back. Every request is a confirmable message on one
 * UDPSocket, with a fresh message id and a 4-byte token. It is sent again when no
 * answer came within the timeout — at first ACK_TIMEOUT (2 s) times a random factor
 * from 1 to ACK_RANDOM_FACTOR (1.5), doubled after each retransmission — at most
 * MAX_RETRANSMIT (4) times (RFC 7252 §4.2, §4.8). An answer counts only from the
 * server's address: an ACK or RST with the request's message id, and a response with its
 * token (piggybacked in the ACK, or separate after an empty ACK; a confirmable separate
 * response is ACKed). The random numbers come from rand(), seeded with --seed (1), so a
 * run under a fault seed is repeatable.
 *
 * Exit status: 0 when every request got a 2.xx response, 1 otherwise, 2 for bad usage.
 * Threads: one, main's. Output: one line per event, on stdout.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netsocket/netsocket.h>

#include "coap_codec.h"

/* RFC 7252 §4.8 transmission parameters; MAX_LATENCY is for EXCHANGE_LIFETIME (§4.8.2). */
#define ACK_TIMEOUT_MS    2000
#define ACK_RANDOM_FACTOR 1.5
#define MAX_RETRANSMIT    4
#define MAX_LATENCY_MS    100000
#define SEPARATE_WAIT_MS  30000 /* how long a separate response may take after its ACK */
#define MAX_DATAGRAM      1280

struct request {
    uint8_t method;
    const char *uri;
    const char *payload; /* NULL: none */
};

struct client {
    udp_socket_t *sock;
    socket_address_t server;
    long ack_timeout_ms;
    uint16_t next_message_id;
    uint8_t last_token[4]; /* of the previous exchange: its separate response may repeat */
    bool have_last_token;
};

/* The outcome of one exchange. */
struct response {
    bool answered;
    uint8_t code;
    uint8_t payload[MAX_DATAGRAM];
    size_t payload_len;
    int retransmissions;
};

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *error_name(nsapi_error_t e)
{
    switch (e) {
    case NSAPI_ERROR_OK: return "OK";
    case NSAPI_ERROR_WOULD_BLOCK: return "WOULD_BLOCK (timed out)";
    case NSAPI_ERROR_NO_CONNECTION: return "NO_CONNECTION (network down)";
    case NSAPI_ERROR_NO_SOCKET: return "NO_SOCKET";
    case NSAPI_ERROR_NO_MEMORY: return "NO_MEMORY";
    case NSAPI_ERROR_DNS_FAILURE: return "DNS_FAILURE";
    default: return "error";
    }
}

static const char *method_name(uint8_t method)
{
    switch (method) {
    case COAP_GET: return "GET";
    case COAP_POST: return "POST";
    case COAP_PUT: return "PUT";
    default: return "DELETE";
    }
}

static void print_escaped(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (data[i] >= 0x20 && data[i] < 0x7f && data[i] != '\\')
            putchar(data[i]);
        else
            printf("\\x%02x", data[i]);
    }
}

/* A uniform random number from 0 to 1, from rand() (seeded with --seed). */
static double random_unit(void)
{
    return (double)rand() / (double)RAND_MAX;
}

/* ---- one exchange ------------------------------------------------------------------ */

static bool send_message(struct client *c, const struct coap_message *m)
{
    uint8_t buf[MAX_DATAGRAM];
    int len = coap_encode(m, buf, sizeof(buf));
    nsapi_size_or_error_t n;

    if (len < 0) {
        printf("coap: cannot encode the message: %d\n", len);
        return false;
    }
    n = udp_socket_sendto(c->sock, &c->server, buf, (nsapi_size_t)len);
    if (n != len) {
        printf("coap: sendto failed: %d %s\n", n, error_name(n));
        return false;
    }
    return true;
}

/* Sends an empty ACK or RST for a message of the server's. */
static void answer_empty(struct client *c, uint8_t type, uint16_t message_id)
{
    struct coap_message m;

    coap_message_init(&m, type, COAP_EMPTY, message_id);
    send_message(c, &m);
}

enum verdict { IGNORE, ACKED_EMPTY, RESPONSE, RESET };

/* What a datagram from the server means for the request in flight. */
static enum verdict judge(struct client *c, const struct coap_message *req,
                          const struct coap_message *in)
{
    bool our_token =
        in->token_len == req->token_len && memcmp(in->token, req->token, req->token_len) == 0;
    bool is_response = COAP_CODE_CLASS(in->code) >= 2;

    if ((in->type == COAP_ACK || in->type == COAP_RST) && in->message_id != req->message_id)
        return IGNORE; /* an answer to an earlier exchange, late or doubled */
    if (in->type == COAP_RST)
        return RESET;
    if (in->type == COAP_ACK)
        return in->code == COAP_EMPTY ? ACKED_EMPTY : our_token && is_response ? RESPONSE : IGNORE;
    if (our_token && is_response) { /* a separate response */
        if (in->type == COAP_CON)
            answer_empty(c, COAP_ACK, in->message_id);
        return RESPONSE;
    }
    if (in->type == COAP_CON) {
        /* The previous exchange's separate response again (our ACK got lost): ACK it;
         * anything else confirmable is rejected (RFC 7252 §4.2). */
        bool last = c->have_last_token && in->token_len == sizeof(c->last_token) &&
                    memcmp(in->token, c->last_token, sizeof(c->last_token)) == 0;

        answer_empty(c, last ? COAP_ACK : COAP_RST, in->message_id);
    }
    return IGNORE;
}

/* Waits until deadline for a datagram from the server that matters to req. */
static enum verdict wait_answer(struct client *c, const struct coap_message *req,
                                long long deadline, struct response *out)
{
    static uint8_t buf[MAX_DATAGRAM];

    for (;;) {
        long long left = deadline - now_ms();
        socket_address_t from;
        struct coap_message in;
        nsapi_size_or_error_t n;
        enum verdict v;

        if (left <= 0)
            return IGNORE;
        socket_set_timeout(c->sock, (int)left);
        n = udp_socket_recvfrom(c->sock, &from, buf, sizeof(buf));
        if (n == NSAPI_ERROR_WOULD_BLOCK)
            return IGNORE;
        if (n < 0) {
            printf("coap: recvfrom failed: %d %s\n", n, error_name(n));
            return RESET;
        }
        if (!socket_address_equal(&from, &c->server))
            continue; /* not the server's */
        if (coap_decode(buf, (size_t)n, &in) != 0) {
            printf("coap: ignored a malformed datagram of %d bytes\n", n);
            continue;
        }
        v = judge(c, req, &in);
        if (v == RESPONSE) {
            out->code = in.code;
            out->payload_len = in.payload_len;
            if (in.payload_len > 0)
                memcpy(out->payload, in.payload, in.payload_len);
        }
        if (v != IGNORE)
            return v;
    }
}

/* Builds the confirmable request with a fresh message id and token. */
static int build_request(struct client *c, const struct request *r, struct coap_message *m)
{
    int err;

    coap_message_init(m, COAP_CON, r->method, c->next_message_id++);
    m->token_len = 4;
    for (size_t i = 0; i < 4; i++)
        m->token[i] = (uint8_t)(rand() >> 7);
    err = coap_add_uri(m, r->uri);
    if (err == 0 && r->payload != NULL) {
        err = coap_add_uint_option(m, COAP_OPTION_CONTENT_FORMAT, COAP_CONTENT_TEXT_PLAIN);
        m->payload = (const uint8_t *)r->payload;
        m->payload_len = strlen(r->payload);
    }
    return err;
}

static bool exchange(struct client *c, const struct request *r, struct response *out)
{
    struct coap_message req;
    long timeout = (long)(c->ack_timeout_ms * (1.0 + (ACK_RANDOM_FACTOR - 1.0) * random_unit()));
    enum verdict v = IGNORE;

    memset(out, 0, sizeof(*out));
    if (build_request(c, r, &req) != 0) {
        printf("coap: cannot build the request for %s\n", r->uri);
        return false;
    }
    printf("coap: %s %s: CON mid 0x%04x token %02x%02x%02x%02x, timeout %ld ms\n",
           method_name(r->method), r->uri, req.message_id, req.token[0], req.token[1], req.token[2],
           req.token[3], timeout);
    for (int attempt = 0; attempt <= MAX_RETRANSMIT && v == IGNORE; attempt++) {
        if (attempt > 0) {
            timeout *= 2;
            out->retransmissions = attempt;
            printf("coap: retransmission %d of %d (mid 0x%04x), timeout %ld ms\n", attempt,
                   MAX_RETRANSMIT, req.message_id, timeout);
        }
        if (!send_message(c, &req))
            return false;
        v = wait_answer(c, &req, now_ms() + timeout, out);
    }
    if (v == ACKED_EMPTY) {
        printf("coap: empty ACK: the response will come separately\n");
        v = wait_answer(c, &req, now_ms() + SEPARATE_WAIT_MS, out);
    }
    memcpy(c->last_token, req.token, sizeof(c->last_token));
    c->have_last_token = true;
    if (v == RESET)
        printf("coap: the server reset the exchange\n");
    else if (v != RESPONSE)
        printf("coap: no answer after %d retransmissions\n", MAX_RETRANSMIT);
    out->answered = v == RESPONSE;
    return out->answered;
}

/* ---- main ------------------------------------------------------------------------ */

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [OPTIONS] SERVER PORT [REQUEST...]\n"
            "  REQUEST: get URI | post URI PAYLOAD | put URI PAYLOAD | delete URI\n"
            "  (default: get /.well-known/core, post /nsemu/reading temperature=21.5,\n"
            "   get /nsemu/reading)\n"
            "  --seed N            seed of rand(): message ids, tokens, timeouts (1)\n"
            "  --ack-timeout-ms MS ACK_TIMEOUT (2000, RFC 7252's)\n",
            argv0);
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

/* Parses REQUEST... into reqs; their count. */
static size_t parse_requests(int argc, char **argv, int i, struct request *reqs, size_t max)
{
    size_t n = 0;

    while (i < argc) {
        const char *verb = argv[i];
        bool with_payload = strcmp(verb, "post") == 0 || strcmp(verb, "put") == 0;

        if (n == max || i + 1 >= argc || (with_payload && i + 2 >= argc))
            usage(argv[0]);
        if (strcmp(verb, "get") == 0)
            reqs[n].method = COAP_GET;
        else if (strcmp(verb, "post") == 0)
            reqs[n].method = COAP_POST;
        else if (strcmp(verb, "put") == 0)
            reqs[n].method = COAP_PUT;
        else if (strcmp(verb, "delete") == 0)
            reqs[n].method = COAP_DELETE;
        else
            usage(argv[0]);
        reqs[n].uri = argv[i + 1];
        reqs[n].payload = with_payload ? argv[i + 2] : NULL;
        i += with_payload ? 3 : 2;
        n++;
    }
    return n;
}

static network_interface_t *bring_up(void)
{
    network_interface_t *ni = network_interface_get_default_instance();
    nsapi_error_t r = ni == NULL ? NSAPI_ERROR_NO_MEMORY : network_interface_connect(ni);

    if (r != NSAPI_ERROR_OK) {
        printf("coap_client: the network does not come up: %d %s\n", r, error_name(r));
        return NULL;
    }
    printf("coap_client: interface up: IP %s\n", network_interface_get_ip_address(ni));
    return ni;
}

static bool run_requests(struct client *c, const struct request *reqs, size_t n)
{
    static struct response res;
    size_t ok = 0;

    for (size_t i = 0; i < n; i++) {
        long long start = now_ms();
        char code[48];

        if (!exchange(c, &reqs[i], &res))
            continue;
        printf("coap: %s %s -> %s after %d retransmission(s), %lld ms\n",
               method_name(reqs[i].method), reqs[i].uri,
               coap_code_text(res.code, code, sizeof(code)), res.retransmissions, now_ms() - start);
        printf("coap: payload (%zu bytes): ", res.payload_len);
        print_escaped(res.payload, res.payload_len);
        putchar('\n');
        if (COAP_CODE_CLASS(res.code) == 2)
            ok++;
    }
    printf("coap_client: %s: %zu of %zu request(s) answered with 2.xx\n",
           ok == n ? "PASSED" : "FAILED", ok, n);
    return ok == n;
}

int main(int argc, char **argv)
{
    static const struct request defaults[] = {
        {COAP_GET, "/.well-known/core", NULL},
        {COAP_POST, "/nsemu/reading", "temperature=21.5"},
        {COAP_GET, "/nsemu/reading", NULL},
    };
    struct request reqs[16];
    struct client c = {.ack_timeout_ms = ACK_TIMEOUT_MS};
    unsigned seed = 1;
    long span_ms;
    size_t n;
    network_interface_t *ni;
    nsapi_error_t r;
    int i = 1;
    bool ok;

    setvbuf(stdout, NULL, _IOLBF, 0); /* line by line, also into a pipe */
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--seed") == 0)
            seed = (unsigned)parse_number(argv[i + 1], 0, 2147483647, argv[0]);
        else if (strcmp(argv[i], "--ack-timeout-ms") == 0)
            c.ack_timeout_ms = parse_number(argv[i + 1], 10, 60000, argv[0]);
        else
            usage(argv[0]);
    }
    if (argc - i < 2)
        usage(argv[0]);
    n = parse_requests(argc, argv, i + 2, reqs, sizeof(reqs) / sizeof(reqs[0]));
    if (n == 0) {
        memcpy(reqs, defaults, sizeof(defaults));
        n = sizeof(defaults) / sizeof(defaults[0]);
    }
    srand(seed);
    c.next_message_id = (uint16_t)rand();

    ni = bring_up();
    if (ni == NULL)
        return 1;
    socket_address_init(&c.server);
    r = network_interface_gethostbyname(ni, argv[i], &c.server, NSAPI_UNSPEC);
    if (r != NSAPI_ERROR_OK) {
        printf("coap_client: cannot resolve %s: %d %s\n", argv[i], r, error_name(r));
        return 1;
    }
    socket_address_set_port(&c.server, (uint16_t)parse_number(argv[i + 1], 1, 65535, argv[0]));
    c.sock = udp_socket_new();
    if (c.sock == NULL || socket_open(c.sock, ni) != NSAPI_ERROR_OK) {
        printf("coap_client: cannot open a UDP socket\n");
        socket_delete(c.sock);
        return 1;
    }
    span_ms = (long)(c.ack_timeout_ms * ((1 << MAX_RETRANSMIT) - 1) * ACK_RANDOM_FACTOR);
    printf("coap_client: server %s:%u, ACK_TIMEOUT %ld ms, ACK_RANDOM_FACTOR %.1f, "
           "MAX_RETRANSMIT %d, MAX_TRANSMIT_SPAN %ld ms, EXCHANGE_LIFETIME %ld ms, seed %u\n",
           socket_address_get_ip_address(&c.server), socket_address_get_port(&c.server),
           c.ack_timeout_ms, ACK_RANDOM_FACTOR, MAX_RETRANSMIT, span_ms,
           span_ms + 2 * MAX_LATENCY_MS + c.ack_timeout_ms, seed);
    ok = run_requests(&c, reqs, n);
    socket_delete(c.sock);
    network_interface_disconnect(ni);
    return ok ? 0 : 1;
}
