/*
 * http_client.c: an HTTP/1.1 GET, the shape of Mbed OS's TCPSocket_Example. A device
 * program: it uses only <netsocket/netsocket.h> and http-parser (Debian's
 * libhttp-parser-dev), as it would on Mbed OS, and runs on a laptop over nsemu's host link.
 *
 *   http_client [--timeout MS] [--output FILE] http://HOST[:PORT][/PATH]
 *
 * It brings up the default interface, resolves HOST (an IP literal, localhost, or a name
 * through the device's DNS client, where a scenario's [dns] static.NAME answers first),
 * connects, sends one GET and reads the response until http-parser says it is complete:
 * by Content-Length, by the last chunk of a chunked body, or by the server's close. recv
 * may return any number of bytes, one at a time under tcp.recv_chunk=1: every byte goes
 * to the parser as it comes. It prints the status, the headers, the body's length and
 * CRC-32, and what the socket calls did; with --output it writes the body to FILE.
 *
 * Exit status: 0 when a complete response arrived (whatever its status code), 1 when
 * the network, the connection or the response failed, 2 for bad arguments.
 *
 * Threads: one, main(); every socket call blocks with a timeout.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>
#include <netsocket/netsocket.h>

#include "http_response.h"
#include "http_net.h"
#include "http_url.h"

#define DEFAULT_TIMEOUT_MS 10000
#define RECV_BUFFER_SIZE   512 /* small, as on a device: responses arrive in many reads */
#define REQUEST_SIZE       2048

/* What the socket calls did, printed at the end. */
struct io_stats {
    unsigned long sends, recvs;
    long sent, received;
    long largest_send, largest_recv;
};

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--timeout MS] [--output FILE] http://HOST[:PORT][/PATH]\n"
            "  --timeout MS    give up on any one socket call after MS ms (default %d)\n"
            "  --output FILE   write the response body to FILE (- for stdout)\n",
            argv0, DEFAULT_TIMEOUT_MS);
    exit(2);
}

/* Sends all of data, however little each send takes (tcp.send_chunk). */
static nsapi_error_t send_all(tcp_socket_t *s, const char *data, size_t size, struct io_stats *st)
{
    size_t sent = 0;

    while (sent < size) {
        nsapi_size_or_error_t n = tcp_socket_send(s, data + sent, (nsapi_size_t)(size - sent));

        if (n < 0)
            return n;
        st->sends++;
        st->sent += n;
        if (n > st->largest_send)
            st->largest_send = n;
        sent += (size_t)n;
    }
    return NSAPI_ERROR_OK;
}

static int format_request(char *buf, size_t size, const struct http_url *url)
{
    bool ipv6 = strchr(url->host, ':') != NULL;
    char host[sizeof(url->host) + 8];

    /* Host names the port unless it is the default (RFC 9110 §7.2); IPv6 in brackets. */
    snprintf(host, sizeof(host), ipv6 ? "[%s]" : "%s", url->host);
    if (url->port != 80)
        snprintf(host + strlen(host), sizeof(host) - strlen(host), ":%u", url->port);
    return snprintf(buf, size,
                    "GET %s HTTP/1.1\r\n"
                    "Host: %s\r\n"
                    "User-Agent: nsemu-http_client/1.0\r\n"
                    "Accept: */*\r\n"
                    "Connection: close\r\n"
                    "\r\n",
                    url->target, host);
}

/* Reads until the response is complete. 1: complete; -1: failed (said why). */
static int read_response(tcp_socket_t *s, struct http_response *resp, struct io_stats *st)
{
    char buf[RECV_BUFFER_SIZE];

    for (;;) {
        nsapi_size_or_error_t n = tcp_socket_recv(s, buf, sizeof(buf));
        int done;

        if (n < 0) {
            printf("http_client: recv failed after %ld bytes: %d %s\n", st->received, n,
                   http_error_name(n));
            return -1;
        }
        if (n == 0) { /* the server closed */
            done = http_response_eof(resp);
            if (done < 0)
                printf("http_client: the server closed after %ld bytes: %s\n", st->received,
                       http_response_error(resp));
            return done;
        }
        st->recvs++;
        st->received += n;
        if (n > st->largest_recv)
            st->largest_recv = n;
        done = http_response_feed(resp, buf, (size_t)n);
        if (done < 0)
            printf("http_client: not a valid HTTP response: %s\n", http_response_error(resp));
        if (done != 0)
            return done;
    }
}

static bool fetch(network_interface_t *ni, const struct http_url *url, int timeout_ms, FILE *out)
{
    static struct http_response resp; /* static: a device keeps big state off the stack */
    struct io_stats st = {0};
    char request[REQUEST_SIZE];
    tcp_socket_t *s;
    nsapi_error_t r;
    int len, done;

    len = format_request(request, sizeof(request), url);
    if (len < 0 || (size_t)len >= sizeof(request)) {
        printf("http_client: the request does not fit in %zu bytes\n", sizeof(request));
        return false;
    }
    s = http_connect(ni, url, timeout_ms, "http_client");
    if (s == NULL)
        return false;
    r = send_all(s, request, (size_t)len, &st);
    if (r != NSAPI_ERROR_OK) {
        printf("http_client: send failed: %d %s\n", r, http_error_name(r));
        socket_delete(s);
        return false;
    }
    printf("http_client: sent GET %s (%d bytes)\n", url->target, len);

    http_response_init(&resp, out);
    done = read_response(s, &resp, &st);
    socket_delete(s);
    if (resp.headers_complete)
        http_response_print(&resp);
    printf("http_client: %lu send call(s) for %ld bytes (largest %ld); %lu recv call(s) for "
           "%ld bytes (largest %ld)\n",
           st.sends, st.sent, st.largest_send, st.recvs, st.received, st.largest_recv);
    return done == 1;
}

int main(int argc, char **argv)
{
    int timeout_ms = DEFAULT_TIMEOUT_MS;
    const char *output = NULL;
    network_interface_t *ni;
    struct http_url url;
    FILE *out = NULL;
    bool ok;
    int i;

    setvbuf(stdout, NULL, _IOLBF, 0); /* line by line, also into a pipe */
    for (i = 1; i < argc - 1; i += 2) {
        if (strcmp(argv[i], "--timeout") == 0) {
            char *end;
            long v = strtol(argv[i + 1], &end, 10);

            if (*argv[i + 1] == '\0' || *end != '\0' || v < 1 || v > 3600000)
                usage(argv[0]);
            timeout_ms = (int)v;
        } else if (strcmp(argv[i], "--output") == 0) {
            output = argv[i + 1];
        } else {
            usage(argv[0]);
        }
    }
    if (i != argc - 1)
        usage(argv[0]);
    if (!http_url_parse(argv[i], "http", 80, &url)) {
        fprintf(stderr, "%s: '%s' is not an http://HOST[:PORT][/PATH] URL\n", argv[0], argv[i]);
        return 2;
    }
    if (output != NULL) {
        out = strcmp(output, "-") == 0 ? stdout : fopen(output, "wb");
        if (out == NULL) {
            perror(output);
            return 1;
        }
    }

    ni = http_bring_up("http_client");
    ok = ni != NULL && fetch(ni, &url, timeout_ms, out);
    if (ni != NULL)
        network_interface_disconnect(ni);
    if (out != NULL && out != stdout && fclose(out) != 0) {
        perror(output);
        ok = false;
    }
    printf("http_client: %s\n", ok ? "done" : "FAILED");
    return ok ? 0 : 1;
}
