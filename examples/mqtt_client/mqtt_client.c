/*
 * mqtt_client.c: an MQTT 3.1.1 client in the shape of Mbed's HelloMQTT. A device
 * program: it uses only <netsocket/netsocket.h> (and the small codec beside it,
 * mqtt_codec.c), as it would on Mbed OS, and runs on a laptop over nsemu's host link.
 *
 *   mqtt_client [OPTIONS] BROKER PORT
 *
 * It brings up the default interface, connects a TCPSocket to the broker, sends CONNECT
 * (clean session), SUBSCRIBEs to one topic, then PUBLISHes numbered messages to another
 * ("hello from ID, message N"), QoS 0 and 1, waiting for each QoS 1 message's PUBACK
 * before the next. Messages that arrive on the subscribed topic are printed (and
 * PUBACKed at QoS 1). A PINGREQ goes out when the client has been quiet for three
 * quarters of the keep-alive; a PINGRESP must come back within the keep-alive.
 *
 * When the connection is lost (recv returns NSAPI_ERROR_CONNECTION_LOST or 0, a send
 * fails, a ping goes unanswered) it closes the socket, waits — 250 ms, then twice as
 * long each failed try, at most 8 s — connects again, subscribes again, sends the QoS 1
 * message that had no PUBACK again (DUP set) and resumes publishing where it stopped.
 *
 * Threads: one, main's. Every wait is a recv with a timeout until the next deadline.
 * Output: one line per event, on stdout ("mqtt: published 3 (qos 1): hello from …").
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netsocket/netsocket.h>

#include "mqtt_codec.h"

#define MAX_PACKET         4096 /* the largest packet the client accepts */
#define CONNECT_TIMEOUT_MS 5000 /* TCP connect, then CONNACK, then SUBACK */
#define BACKOFF_FIRST_MS   250
#define BACKOFF_MAX_MS     8000

struct options {
    const char *broker;
    uint16_t port;
    const char *client_id, *pub_topic, *sub_topic;
    long count;       /* messages to publish; 0: forever */
    long interval_ms; /* between publications */
    int qos;          /* 0, 1, or -1: alternate (odd numbers QoS 0, even QoS 1) */
    long expect;      /* messages to receive before finishing */
    long keepalive_s;
    long hold_ms;   /* stay connected this long after the last publication */
    long timeout_s; /* give up after this long */
};

struct client {
    const struct options *opt;
    network_interface_t *ni;
    socket_address_t broker;
    tcp_socket_t *sock; /* NULL while disconnected */
    uint8_t rx[MAX_PACKET];
    size_t rx_len;
    uint16_t next_packet_id;
    long sessions;  /* successful CONNACKs */
    long published; /* messages whose publication is complete (QoS 1: PUBACKed) */
    long received;  /* messages that arrived on the subscribed topic */
    bool inflight;  /* message published + 1 awaits its PUBACK */
    uint16_t inflight_id;
    long long next_publish_ms, last_sent_ms, ping_sent_ms; /* ping_sent_ms: 0 = none out */
    long long done_ms; /* when the last publication completed; 0: not yet */
};

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static const char *error_name(nsapi_error_t e)
{
    switch (e) {
    case NSAPI_ERROR_OK: return "OK";
    case NSAPI_ERROR_WOULD_BLOCK: return "WOULD_BLOCK (timed out)";
    case NSAPI_ERROR_NO_CONNECTION: return "NO_CONNECTION (refused, or network down)";
    case NSAPI_ERROR_NO_SOCKET: return "NO_SOCKET";
    case NSAPI_ERROR_DNS_FAILURE: return "DNS_FAILURE";
    case NSAPI_ERROR_CONNECTION_LOST: return "CONNECTION_LOST";
    case NSAPI_ERROR_CONNECTION_TIMEOUT: return "CONNECTION_TIMEOUT";
    default: return "error";
    }
}

/* Prints bytes as text, with anything unprintable as \xNN. */
static void print_escaped(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (data[i] >= 0x20 && data[i] < 0x7f && data[i] != '\\')
            putchar(data[i]);
        else
            printf("\\x%02x", data[i]);
    }
}

static uint16_t take_packet_id(struct client *c)
{
    if (++c->next_packet_id == 0)
        c->next_packet_id = 1;
    return c->next_packet_id;
}

/* ---- the connection -------------------------------------------------------------- */

/* Sends a whole encoded packet (len < 0: the encoder's error). A blocking send normally
 * takes everything, but a send may be short (a fault scenario's tcp.send_chunk, as some
 * Mbed drivers do), so it loops. */
static bool send_packet(struct client *c, const uint8_t *data, int len)
{
    int sent = 0;

    if (len < 0) {
        printf("mqtt: cannot encode a packet: %d\n", len);
        return false;
    }
    socket_set_timeout(c->sock, CONNECT_TIMEOUT_MS);
    while (sent < len) {
        nsapi_size_or_error_t n = tcp_socket_send(c->sock, data + sent, (nsapi_size_t)(len - sent));

        if (n <= 0) {
            printf("mqtt: send failed: %d %s\n", n, error_name(n));
            return false;
        }
        sent += n;
    }
    c->last_sent_ms = now_ms();
    return true;
}

/* Waits at most wait_ms for the next whole packet; 1 with *p (which points into c->rx
 * until consume_packet), 0 when none came in time, -1 when the connection is lost. */
static int next_packet(struct client *c, long wait_ms, struct mqtt_packet *p, int *size)
{
    for (;;) {
        nsapi_size_or_error_t n;

        *size = mqtt_frame(c->rx, c->rx_len, sizeof(c->rx), p);
        if (*size > 0)
            return 1;
        if (*size == MQTT_MALFORMED) {
            printf("mqtt: malformed packet from the broker\n");
            return -1;
        }
        socket_set_timeout(c->sock, wait_ms < 1 ? 1 : (int)wait_ms);
        n = tcp_socket_recv(c->sock, c->rx + c->rx_len, (nsapi_size_t)(sizeof(c->rx) - c->rx_len));
        if (n == NSAPI_ERROR_WOULD_BLOCK)
            return 0;
        if (n <= 0) {
            printf("mqtt: connection lost: %s\n", n == 0 ? "the broker closed it" : error_name(n));
            return -1;
        }
        c->rx_len += (size_t)n;
    }
}

static void consume_packet(struct client *c, int size)
{
    memmove(c->rx, c->rx + size, c->rx_len - (size_t)size);
    c->rx_len -= (size_t)size;
}

/* Waits for a packet of one type (CONNACK, SUBACK) during the session's start. */
static bool await_packet(struct client *c, uint8_t type, struct mqtt_packet *p, int *size)
{
    long long deadline = now_ms() + CONNECT_TIMEOUT_MS;

    for (;;) {
        int r = next_packet(c, (long)(deadline - now_ms()), p, size);

        if (r < 0)
            return false;
        if (r == 0 || now_ms() >= deadline) {
            printf("mqtt: no answer from the broker within %d ms\n", CONNECT_TIMEOUT_MS);
            return false;
        }
        if (p->type == type)
            return true;
        printf("mqtt: unexpected packet type %u while starting the session\n", p->type);
        return false;
    }
}

static void disconnect_socket(struct client *c)
{
    socket_delete(c->sock); /* closes first */
    c->sock = NULL;
    c->rx_len = 0;
    c->ping_sent_ms = 0;
}

static bool start_session(struct client *c)
{
    uint8_t buf[600];
    struct mqtt_packet p;
    bool session_present;
    uint8_t rc, granted;
    uint16_t id, sub_id;
    nsapi_error_t r;
    int size;

    c->sock = tcp_socket_new();
    if (c->sock == NULL || socket_open(c->sock, c->ni) != NSAPI_ERROR_OK) {
        printf("mqtt: cannot open a socket\n");
        goto fail;
    }
    socket_set_timeout(c->sock, CONNECT_TIMEOUT_MS);
    r = tcp_socket_connect(c->sock, &c->broker);
    if (r != NSAPI_ERROR_OK) {
        printf("mqtt: connect to %s:%u failed: %d %s\n", c->opt->broker, c->opt->port, r,
               error_name(r));
        goto fail;
    }
    if (!send_packet(c, buf,
                     mqtt_encode_connect(buf, sizeof(buf), c->opt->client_id,
                                         (uint16_t)c->opt->keepalive_s, true)))
        goto fail;
    if (!await_packet(c, MQTT_CONNACK, &p, &size))
        goto fail;
    if (mqtt_decode_connack(&p, &session_present, &rc) != 0 || rc != 0) {
        printf("mqtt: the broker refused the connection: %s\n", mqtt_connack_reason(rc));
        goto fail;
    }
    consume_packet(c, size);
    c->sessions++;
    printf("mqtt: connected to %s:%u as %s (session %ld, keep-alive %ld s)\n", c->opt->broker,
           c->opt->port, c->opt->client_id, c->sessions, c->opt->keepalive_s);

    sub_id = take_packet_id(c);
    if (!send_packet(c, buf, mqtt_encode_subscribe(buf, sizeof(buf), sub_id, c->opt->sub_topic, 1)))
        goto fail;
    if (!await_packet(c, MQTT_SUBACK, &p, &size))
        goto fail;
    if (mqtt_decode_suback(&p, &id, &granted) != 0 || id != sub_id ||
        granted == MQTT_SUBACK_FAILURE) {
        printf("mqtt: the broker refused the subscription to %s\n", c->opt->sub_topic);
        goto fail;
    }
    consume_packet(c, size);
    printf("mqtt: subscribed to %s (granted QoS %u)\n", c->opt->sub_topic, granted);
    return true;

fail:
    if (c->sock != NULL)
        disconnect_socket(c);
    return false;
}

/* ---- publishing and receiving ----------------------------------------------------- */

static int qos_of(const struct client *c, long number)
{
    return c->opt->qos >= 0 ? c->opt->qos : (number % 2 == 0 ? 1 : 0);
}

/* Publishes message number published + 1; dup: a QoS 1 message sent again. */
static bool publish_next(struct client *c, bool dup)
{
    long number = c->published + 1;
    char text[300];
    uint8_t buf[800];
    struct mqtt_publish pub = {.topic = c->opt->pub_topic, .topic_len = strlen(c->opt->pub_topic)};

    snprintf(text, sizeof(text), "hello from %s, message %ld", c->opt->client_id, number);
    pub.payload = (const uint8_t *)text;
    pub.payload_len = strlen(text);
    pub.qos = (uint8_t)qos_of(c, number);
    pub.dup = dup;
    if (pub.qos > 0)
        pub.packet_id = dup ? c->inflight_id : take_packet_id(c);
    if (!send_packet(c, buf, mqtt_encode_publish(buf, sizeof(buf), &pub)))
        return false;
    printf("mqtt: published %ld (qos %u%s): %s\n", number, pub.qos, dup ? ", dup" : "", text);
    if (pub.qos == 0) {
        c->published = number;
    } else {
        c->inflight = true;
        c->inflight_id = pub.packet_id;
    }
    c->next_publish_ms = now_ms() + c->opt->interval_ms;
    return true;
}

static bool handle_publish(struct client *c, const struct mqtt_packet *p)
{
    struct mqtt_publish pub;
    uint8_t buf[8];

    if (mqtt_decode_publish(p, &pub) != 0 || pub.qos > 1) {
        printf("mqtt: malformed PUBLISH from the broker\n");
        return false;
    }
    c->received++;
    printf("mqtt: received on %.*s (qos %u): ", (int)pub.topic_len, pub.topic, pub.qos);
    print_escaped(pub.payload, pub.payload_len);
    putchar('\n');
    return pub.qos == 0 || send_packet(c, buf, mqtt_encode_puback(buf, sizeof(buf), pub.packet_id));
}

static bool handle_packet(struct client *c, const struct mqtt_packet *p)
{
    uint16_t id;

    switch (p->type) {
    case MQTT_PUBLISH: return handle_publish(c, p);
    case MQTT_PUBACK:
        if (mqtt_decode_puback(p, &id) != 0)
            return false;
        if (c->inflight && id == c->inflight_id) {
            c->inflight = false;
            c->published++;
            printf("mqtt: puback for message %ld (packet id %u)\n", c->published, id);
        }
        return true;
    case MQTT_PINGRESP:
        if (mqtt_decode_pingresp(p) != 0)
            return false;
        if (c->ping_sent_ms != 0)
            printf("mqtt: pingresp after %lld ms\n", now_ms() - c->ping_sent_ms);
        c->ping_sent_ms = 0;
        return true;
    default: printf("mqtt: unexpected packet type %u\n", p->type); return false;
    }
}

static bool finished(const struct client *c)
{
    return c->opt->count > 0 && c->published >= c->opt->count && !c->inflight &&
           c->received >= c->opt->expect && c->done_ms != 0 &&
           now_ms() - c->done_ms >= c->opt->hold_ms;
}

/* The next moment something is due: a publication, a ping, a ping's deadline, the end. */
static long long next_deadline(const struct client *c)
{
    long long keep = c->opt->keepalive_s * 1000, t = now_ms() + 1000;

    if (!c->inflight && (c->opt->count == 0 || c->published < c->opt->count) &&
        c->next_publish_ms < t)
        t = c->next_publish_ms;
    if (keep > 0 && c->ping_sent_ms == 0 && c->last_sent_ms + keep * 3 / 4 < t)
        t = c->last_sent_ms + keep * 3 / 4;
    if (keep > 0 && c->ping_sent_ms != 0 && c->ping_sent_ms + keep < t)
        t = c->ping_sent_ms + keep;
    if (c->done_ms != 0 && c->done_ms + c->opt->hold_ms < t)
        t = c->done_ms + c->opt->hold_ms;
    return t;
}

/* Does what is due now; false when the connection must be dropped. */
static bool run_timers(struct client *c)
{
    long long keep = c->opt->keepalive_s * 1000, now = now_ms();
    uint8_t buf[4];

    if (!c->inflight && (c->opt->count == 0 || c->published < c->opt->count) &&
        now >= c->next_publish_ms && !publish_next(c, false))
        return false;
    if (c->opt->count > 0 && c->published >= c->opt->count && !c->inflight && c->done_ms == 0)
        c->done_ms = now_ms();
    if (keep > 0 && c->ping_sent_ms != 0 && now - c->ping_sent_ms >= keep) {
        printf("mqtt: no pingresp within the keep-alive (%ld s)\n", c->opt->keepalive_s);
        return false;
    }
    if (keep > 0 && c->ping_sent_ms == 0 && now - c->last_sent_ms >= keep * 3 / 4) {
        if (!send_packet(c, buf, mqtt_encode_pingreq(buf, sizeof(buf))))
            return false;
        c->ping_sent_ms = c->last_sent_ms;
        printf("mqtt: pingreq\n");
    }
    return true;
}

/* Runs one session until the work is done (true) or the connection is lost (false). */
static bool run_session(struct client *c, long long give_up_ms)
{
    if (c->inflight && !publish_next(c, true)) /* its PUBACK was lost with the connection */
        return false;
    while (!finished(c)) {
        struct mqtt_packet p;
        int size, r;

        if (now_ms() >= give_up_ms)
            return true; /* main() reports the timeout */
        if (!run_timers(c))
            return false;
        r = next_packet(c, (long)(next_deadline(c) - now_ms()), &p, &size);
        if (r < 0)
            return false;
        if (r > 0) {
            bool ok = handle_packet(c, &p);

            consume_packet(c, size);
            if (!ok)
                return false;
        }
    }
    return true;
}

static void say_goodbye(struct client *c)
{
    uint8_t buf[4];

    if (send_packet(c, buf, mqtt_encode_disconnect(buf, sizeof(buf))))
        printf("mqtt: disconnected\n");
    disconnect_socket(c);
}

/* ---- main ------------------------------------------------------------------------ */

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [OPTIONS] BROKER PORT\n"
            "  --id ID            client identifier (nsemu-device)\n"
            "  --pub TOPIC        topic to publish to (nsemu/device/out)\n"
            "  --sub TOPIC        topic to subscribe to (nsemu/device/in)\n"
            "  --count N          messages to publish, then finish (10; 0: until --timeout-s)\n"
            "  --interval-ms MS   between publications (1000)\n"
            "  --qos 0|1|both     QoS of the publications (both: odd numbers 0, even 1)\n"
            "  --expect N         also wait for N messages on the subscribed topic (0)\n"
            "  --keepalive S      keep-alive in seconds (60; 0: none)\n"
            "  --hold-ms MS       stay connected this long after the last publication (0)\n"
            "  --timeout-s S      give up, exit 1, after this long (60)\n",
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

static void parse_options(int argc, char **argv, struct options *o)
{
    int i;

    *o = (struct options){.client_id = "nsemu-device",
                          .pub_topic = "nsemu/device/out",
                          .sub_topic = "nsemu/device/in",
                          .count = 10,
                          .interval_ms = 1000,
                          .qos = -1,
                          .keepalive_s = 60,
                          .timeout_s = 60};
    for (i = 1; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        const char *name = argv[i], *v = argv[i + 1];

        if (strcmp(name, "--id") == 0 && strlen(v) <= 200)
            o->client_id = v;
        else if (strcmp(name, "--pub") == 0 && *v != '\0' && strlen(v) <= 200)
            o->pub_topic = v;
        else if (strcmp(name, "--sub") == 0 && *v != '\0' && strlen(v) <= 200)
            o->sub_topic = v;
        else if (strcmp(name, "--count") == 0)
            o->count = parse_number(v, 0, 1000000, argv[0]);
        else if (strcmp(name, "--interval-ms") == 0)
            o->interval_ms = parse_number(v, 0, 3600000, argv[0]);
        else if (strcmp(name, "--qos") == 0)
            o->qos = strcmp(v, "both") == 0 ? -1 : (int)parse_number(v, 0, 1, argv[0]);
        else if (strcmp(name, "--expect") == 0)
            o->expect = parse_number(v, 0, 1000000, argv[0]);
        else if (strcmp(name, "--keepalive") == 0)
            o->keepalive_s = parse_number(v, 0, 65535, argv[0]);
        else if (strcmp(name, "--hold-ms") == 0)
            o->hold_ms = parse_number(v, 0, 3600000, argv[0]);
        else if (strcmp(name, "--timeout-s") == 0)
            o->timeout_s = parse_number(v, 1, 86400, argv[0]);
        else
            usage(argv[0]);
    }
    if (argc - i != 2)
        usage(argv[0]);
    o->broker = argv[i];
    o->port = (uint16_t)parse_number(argv[i + 1], 1, 65535, argv[0]);
}

static network_interface_t *bring_up(void)
{
    network_interface_t *ni = network_interface_get_default_instance();
    nsapi_error_t r = ni == NULL ? NSAPI_ERROR_NO_MEMORY : network_interface_connect(ni);

    if (r != NSAPI_ERROR_OK) {
        printf("mqtt_client: the network does not come up: %d %s\n", r, error_name(r));
        return NULL;
    }
    printf("mqtt_client: interface up: IP %s\n", network_interface_get_ip_address(ni));
    return ni;
}

int main(int argc, char **argv)
{
    struct options opt;
    struct client *c;
    long long give_up_ms;
    long backoff_ms = BACKOFF_FIRST_MS;
    nsapi_error_t r;
    bool ok;

    setvbuf(stdout, NULL, _IOLBF, 0); /* line by line, also into a pipe */
    parse_options(argc, argv, &opt);
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return 1;
    c->opt = &opt;
    c->ni = bring_up();
    if (c->ni == NULL) {
        free(c);
        return 1;
    }
    socket_address_init(&c->broker);
    r = network_interface_gethostbyname(c->ni, opt.broker, &c->broker, NSAPI_UNSPEC);
    if (r != NSAPI_ERROR_OK) {
        printf("mqtt_client: cannot resolve %s: %d %s\n", opt.broker, r, error_name(r));
        free(c);
        return 1;
    }
    socket_address_set_port(&c->broker, opt.port);
    give_up_ms = now_ms() + opt.timeout_s * 1000;

    while (now_ms() < give_up_ms) {
        if (!start_session(c)) {
            printf("mqtt: reconnecting in %ld ms\n", backoff_ms);
            sleep_ms(backoff_ms);
            backoff_ms = backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff_ms * 2;
            continue;
        }
        backoff_ms = BACKOFF_FIRST_MS;
        c->next_publish_ms = now_ms();
        if (run_session(c, give_up_ms))
            break;
        disconnect_socket(c);
        printf("mqtt: reconnecting in %ld ms\n", backoff_ms);
        sleep_ms(backoff_ms);
        backoff_ms *= 2;
    }
    ok = finished(c) || (opt.count == 0 && c->sessions > 0); /* forever: until the timeout */
    if (c->sock != NULL)
        say_goodbye(c);
    if (ok)
        printf("mqtt_client: PASSED: published %ld, received %ld, in %ld session(s)\n",
               c->published, c->received, c->sessions);
    else
        printf("mqtt_client: FAILED: published %ld of %ld, received %ld of %ld within %ld s\n",
               c->published, opt.count, c->received, opt.expect, opt.timeout_s);
    network_interface_disconnect(c->ni);
    free(c);
    return ok ? 0 : 1;
}
