/*
 * https_client.c: an HTTPS GET with mbedTLS 2.28 over a TCPSocket, the way Mbed OS's
 * TLSSocket does it. A device program: it uses only <netsocket/netsocket.h>, mbedTLS
 * (Debian's libmbedtls-dev) and http-parser, as it would on Mbed OS, and runs on a
 * laptop over nsemu's host link.
 *
 *   https_client --ca FILE [--timeout MS] [--output FILE] https://HOST[:PORT][/PATH]
 *
 * It brings up the default interface, resolves HOST, connects a TCPSocket, and runs TLS
 * over it: mbedtls_ssl_set_bio() with send and recv callbacks on tcp_socket_send() and
 * tcp_socket_recv(). As in Mbed's TLSSocketWrapper, the socket is nonblocking under TLS:
 * NSAPI_ERROR_WOULD_BLOCK becomes MBEDTLS_ERR_SSL_WANT_READ or _WANT_WRITE, and the
 * program waits for the socket's sigio event (or the deadline) before calling mbedTLS
 * again. The server's certificate must chain to the CA in FILE and name HOST
 * (mbedtls_ssl_set_hostname: CN or a DNS subjectAltName; IP addresses are not matched
 * by mbedTLS 2.28, so use a name). Then one GET, its response read with http-parser
 * (http_client's http_response.c), and a TLS close_notify.
 *
 * When the handshake fails it says why: mbedtls_strerror() of the error and, for a
 * certificate that was rejected, every reason from mbedtls_x509_crt_verify_info().
 *
 * Exit status: 0 when a complete response arrived, 1 when the network, TLS (the
 * certificate included) or the response failed, 2 for bad arguments.
 *
 * Threads: main() does everything; the sigio callback runs on nsemu's stack thread and
 * only raises a flag under a mutex.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <http_parser.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h> /* MBEDTLS_ERR_NET_*: what a failed socket call becomes */
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#include <netsocket/netsocket.h>

#include "http_response.h"
#include "http_net.h"
#include "http_url.h"

#define DEFAULT_TIMEOUT_MS 10000
#define RECV_BUFFER_SIZE   1024
#define REQUEST_SIZE       2048

/* The TCPSocket under mbedTLS, as Mbed's TLSSocketWrapper holds its transport. */
struct tls_transport {
    tcp_socket_t *sock;
    nsapi_error_t socket_error; /* the socket's own error behind an MBEDTLS_ERR_NET_* */
    pthread_mutex_t lock;
    pthread_cond_t event;
    bool pending; /* sigio fired since the last wait */
    unsigned long sends, recvs;
    long sent, received, largest_send, largest_recv;
};

/* ---- the transport: mbedTLS's bio callbacks on the socket API ------------------- */

/* sigio: the socket may have become readable or writable. Runs on nsemu's stack thread
 * (Mbed's interrupt context): no socket call here, only a flag and a wake-up. */
static void on_sigio(void *ctx)
{
    struct tls_transport *t = ctx;

    pthread_mutex_lock(&t->lock);
    t->pending = true;
    pthread_cond_signal(&t->event);
    pthread_mutex_unlock(&t->lock);
}

static int tls_send(void *ctx, const unsigned char *buf, size_t len)
{
    struct tls_transport *t = ctx;
    nsapi_size_or_error_t n = tcp_socket_send(t->sock, buf, (nsapi_size_t)len);

    if (n == NSAPI_ERROR_WOULD_BLOCK)
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    if (n < 0) {
        t->socket_error = n;
        return n == NSAPI_ERROR_CONNECTION_LOST ? MBEDTLS_ERR_NET_CONN_RESET
                                                : MBEDTLS_ERR_NET_SEND_FAILED;
    }
    t->sends++;
    t->sent += n;
    if (n > t->largest_send)
        t->largest_send = n;
    return n;
}

static int tls_recv(void *ctx, unsigned char *buf, size_t len)
{
    struct tls_transport *t = ctx;
    nsapi_size_or_error_t n = tcp_socket_recv(t->sock, buf, (nsapi_size_t)len);

    if (n == NSAPI_ERROR_WOULD_BLOCK)
        return MBEDTLS_ERR_SSL_WANT_READ;
    if (n < 0) {
        t->socket_error = n;
        return n == NSAPI_ERROR_CONNECTION_LOST ? MBEDTLS_ERR_NET_CONN_RESET
                                                : MBEDTLS_ERR_NET_RECV_FAILED;
    }
    if (n > 0) {
        t->recvs++;
        t->received += n;
        if (n > t->largest_recv)
            t->largest_recv = n;
    }
    return n; /* 0: the server closed the TCP connection */
}

static void deadline_after(struct timespec *d, int ms)
{
    clock_gettime(CLOCK_MONOTONIC, d);
    d->tv_sec += ms / 1000;
    d->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (d->tv_nsec >= 1000000000L) {
        d->tv_sec++;
        d->tv_nsec -= 1000000000L;
    }
}

/* After WANT_READ/WANT_WRITE: waits for the next sigio, or the deadline (false). */
static bool wait_for_socket(struct tls_transport *t, const struct timespec *deadline)
{
    int r = 0;

    pthread_mutex_lock(&t->lock);
    while (!t->pending && r == 0)
        r = pthread_cond_timedwait(&t->event, &t->lock, deadline);
    t->pending = false;
    pthread_mutex_unlock(&t->lock);
    return r == 0;
}

/* True when mbedTLS stopped because the socket would block: wait, then call again. */
static bool wants_socket(int ret)
{
    return ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE;
}

/* ---- set-up ----------------------------------------------------------------------- */

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s --ca FILE [--timeout MS] [--output FILE] https://HOST[:PORT][/PATH]\n"
            "  --ca FILE       PEM file of the CA(s) the server's certificate must chain to\n"
            "  --timeout MS    give up on the connect, the handshake or a read after MS ms\n"
            "                  (default %d)\n"
            "  --output FILE   write the response body to FILE (- for stdout)\n",
            argv0, DEFAULT_TIMEOUT_MS);
    exit(2);
}

/* Everything mbedTLS needs, in the order it is set up. */
struct tls {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt ca;
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
};

static void tls_init(struct tls *tls)
{
    mbedtls_entropy_init(&tls->entropy);
    mbedtls_ctr_drbg_init(&tls->drbg);
    mbedtls_x509_crt_init(&tls->ca);
    mbedtls_ssl_config_init(&tls->conf);
    mbedtls_ssl_init(&tls->ssl);
}

static void tls_free(struct tls *tls)
{
    mbedtls_ssl_free(&tls->ssl);
    mbedtls_ssl_config_free(&tls->conf);
    mbedtls_x509_crt_free(&tls->ca);
    mbedtls_ctr_drbg_free(&tls->drbg);
    mbedtls_entropy_free(&tls->entropy);
}

static void print_tls_error(const char *what, int ret, const struct tls_transport *t)
{
    char text[200];

    mbedtls_strerror(ret, text, sizeof(text));
    printf("https_client: %s: -0x%04x %s\n", what, (unsigned)-ret, text);
    if (t != NULL && t->socket_error != NSAPI_ERROR_OK)
        printf("https_client: (the socket said %d %s)\n", t->socket_error,
               http_error_name(t->socket_error));
}

/* Configures a TLS client that requires a certificate chaining to ca_file and naming
 * host. 0, or an mbedTLS error (said). */
static int tls_setup(struct tls *tls, const char *ca_file, const char *host,
                     struct tls_transport *t)
{
    static const char personalization[] = "nsemu https_client";
    int ret;

    ret =
        mbedtls_ctr_drbg_seed(&tls->drbg, mbedtls_entropy_func, &tls->entropy,
                              (const unsigned char *)personalization, sizeof(personalization) - 1);
    if (ret != 0) {
        print_tls_error("cannot seed the random generator", ret, NULL);
        return ret;
    }
    ret = mbedtls_x509_crt_parse_file(&tls->ca, ca_file);
    if (ret != 0) { /* > 0: that many certificates in the file could not be parsed */
        printf("https_client: cannot use the CA file %s\n", ca_file);
        if (ret < 0)
            print_tls_error("reading it", ret, NULL);
        return ret < 0 ? ret : MBEDTLS_ERR_X509_INVALID_FORMAT;
    }
    ret = mbedtls_ssl_config_defaults(&tls->conf, MBEDTLS_SSL_IS_CLIENT,
                                      MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret != 0) {
        print_tls_error("cannot configure TLS", ret, NULL);
        return ret;
    }
    mbedtls_ssl_conf_authmode(&tls->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&tls->conf, &tls->ca, NULL);
    mbedtls_ssl_conf_rng(&tls->conf, mbedtls_ctr_drbg_random, &tls->drbg);
    ret = mbedtls_ssl_setup(&tls->ssl, &tls->conf);
    if (ret == 0)
        ret = mbedtls_ssl_set_hostname(&tls->ssl, host); /* SNI, and the name to verify */
    if (ret != 0) {
        print_tls_error("cannot set up TLS", ret, NULL);
        return ret;
    }
    mbedtls_ssl_set_bio(&tls->ssl, t, tls_send, tls_recv, NULL);
    return 0;
}

/* ---- the exchange ----------------------------------------------------------------- */

static bool handshake(struct tls *tls, struct tls_transport *t, const char *host,
                      const char *ca_file, int timeout_ms)
{
    const mbedtls_x509_crt *peer;
    struct timespec deadline;
    uint32_t flags;
    char text[512];
    int ret;

    deadline_after(&deadline, timeout_ms);
    do
        ret = mbedtls_ssl_handshake(&tls->ssl);
    while (wants_socket(ret) && wait_for_socket(t, &deadline));
    if (wants_socket(ret)) {
        printf("https_client: TLS handshake with %s timed out after %d ms\n", host, timeout_ms);
        return false;
    }
    if (ret != 0) {
        print_tls_error("TLS handshake failed", ret, t);
        flags = mbedtls_ssl_get_verify_result(&tls->ssl);
        if (flags != 0 && flags != (uint32_t)-1) {
            mbedtls_x509_crt_verify_info(text, sizeof(text), "  ! ", flags);
            printf("https_client: the server's certificate was rejected (verify flags "
                   "0x%08x), checked against %s for the name %s:\n%s",
                   (unsigned)flags, ca_file, host, text);
        }
        return false;
    }
    printf("https_client: TLS handshake done: %s, %s\n", mbedtls_ssl_get_version(&tls->ssl),
           mbedtls_ssl_get_ciphersuite(&tls->ssl));
    peer = mbedtls_ssl_get_peer_cert(&tls->ssl);
    if (peer != NULL) {
        char issuer[256];

        mbedtls_x509_dn_gets(text, sizeof(text), &peer->subject);
        mbedtls_x509_dn_gets(issuer, sizeof(issuer), &peer->issuer);
        printf("https_client: server certificate %s, issued by %s: verified against %s for "
               "the name %s\n",
               text, issuer, ca_file, host);
    }
    return true;
}

static bool send_request(struct tls *tls, struct tls_transport *t, const struct http_url *url,
                         int timeout_ms)
{
    char request[REQUEST_SIZE], host[sizeof(url->host) + 8];
    struct timespec deadline;
    size_t done = 0;
    int len;

    snprintf(host, sizeof(host), "%s", url->host);
    if (url->port != 443)
        snprintf(host + strlen(host), sizeof(host) - strlen(host), ":%u", url->port);
    len = snprintf(request, sizeof(request),
                   "GET %s HTTP/1.1\r\n"
                   "Host: %s\r\n"
                   "User-Agent: nsemu-https_client/1.0\r\n"
                   "Accept: */*\r\n"
                   "Connection: close\r\n"
                   "\r\n",
                   url->target, host);
    if (len < 0 || (size_t)len >= sizeof(request)) {
        printf("https_client: the request does not fit in %zu bytes\n", sizeof(request));
        return false;
    }
    deadline_after(&deadline, timeout_ms);
    while (done < (size_t)len) { /* mbedtls_ssl_write may take part of it */
        int ret;

        do
            ret = mbedtls_ssl_write(&tls->ssl, (const unsigned char *)request + done,
                                    (size_t)len - done);
        while (wants_socket(ret) && wait_for_socket(t, &deadline));
        if (ret < 0) {
            print_tls_error("sending the request failed", ret, t);
            return false;
        }
        done += (size_t)ret;
    }
    printf("https_client: sent GET %s (%d bytes)\n", url->target, len);
    return true;
}

/* Reads the response until http-parser says it is complete, or the server closes. */
static bool read_response(struct tls *tls, struct tls_transport *t, struct http_response *resp,
                          int timeout_ms)
{
    unsigned char buf[RECV_BUFFER_SIZE];

    for (;;) {
        struct timespec deadline;
        int ret, done;

        deadline_after(&deadline, timeout_ms); /* per read: the server may pause */
        do
            ret = mbedtls_ssl_read(&tls->ssl, buf, sizeof(buf));
        while (wants_socket(ret) && wait_for_socket(t, &deadline));
        if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == 0) {
            if (ret == 0)
                printf("https_client: the server closed TCP without a TLS close_notify\n");
            done = http_response_eof(resp);
            if (done < 0)
                printf("https_client: the response ended early: %s\n", http_response_error(resp));
            return done == 1;
        }
        if (wants_socket(ret)) {
            printf("https_client: no data for %d ms\n", timeout_ms);
            return false;
        }
        if (ret < 0) {
            print_tls_error("reading the response failed", ret, t);
            return false;
        }
        done = http_response_feed(resp, (const char *)buf, (size_t)ret);
        if (done < 0)
            printf("https_client: not a valid HTTP response: %s\n", http_response_error(resp));
        if (done != 0)
            return done == 1;
    }
}

static bool fetch(network_interface_t *ni, const struct http_url *url, const char *ca_file,
                  int timeout_ms, FILE *out)
{
    static struct http_response resp; /* static: a device keeps big state off the stack */
    static struct tls tls;
    struct tls_transport t = {.lock = PTHREAD_MUTEX_INITIALIZER};
    pthread_condattr_t attr;
    struct timespec deadline;
    bool ok = false;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&t.event, &attr);
    pthread_condattr_destroy(&attr);
    tls_init(&tls);
    if (tls_setup(&tls, ca_file, url->host, &t) != 0)
        goto fail_setup;
    t.sock = http_connect(ni, url, timeout_ms, "https_client");
    if (t.sock == NULL)
        goto fail_setup;
    /* Under TLS the socket never blocks: mbedTLS gets WANT_READ/WANT_WRITE instead, and
     * each caller waits for sigio (wait_for_socket), as TLSSocketWrapper does. */
    socket_set_blocking(t.sock, false);
    socket_sigio(t.sock, on_sigio, &t);

    if (!handshake(&tls, &t, url->host, ca_file, timeout_ms) ||
        !send_request(&tls, &t, url, timeout_ms))
        goto fail_connected;
    http_response_init(&resp, out);
    ok = read_response(&tls, &t, &resp, timeout_ms);
    if (resp.headers_complete)
        http_response_print(&resp);
    deadline_after(&deadline, timeout_ms);
    while (wants_socket(mbedtls_ssl_close_notify(&tls.ssl)) && wait_for_socket(&t, &deadline))
        ; /* best effort: the response is already in */

fail_connected:
    printf("https_client: %lu send call(s) for %ld bytes (largest %ld); %lu recv call(s) for "
           "%ld bytes (largest %ld)\n",
           t.sends, t.sent, t.largest_send, t.recvs, t.received, t.largest_recv);
    socket_sigio(t.sock, NULL, NULL); /* no callback runs once this returns */
    socket_delete(t.sock);
fail_setup:
    tls_free(&tls);
    pthread_cond_destroy(&t.event);
    return ok;
}

int main(int argc, char **argv)
{
    int timeout_ms = DEFAULT_TIMEOUT_MS;
    const char *output = NULL, *ca_file = NULL;
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
        } else if (strcmp(argv[i], "--ca") == 0) {
            ca_file = argv[i + 1];
        } else {
            usage(argv[0]);
        }
    }
    if (i != argc - 1 || ca_file == NULL)
        usage(argv[0]);
    if (!http_url_parse(argv[i], "https", 443, &url)) {
        fprintf(stderr, "%s: '%s' is not an https://HOST[:PORT][/PATH] URL\n", argv[0], argv[i]);
        return 2;
    }
    if (output != NULL) {
        out = strcmp(output, "-") == 0 ? stdout : fopen(output, "wb");
        if (out == NULL) {
            perror(output);
            return 1;
        }
    }
    printf("https_client: %s\n", MBEDTLS_VERSION_STRING_FULL);

    ni = http_bring_up("https_client");
    ok = ni != NULL && fetch(ni, &url, ca_file, timeout_ms, out);
    if (ni != NULL)
        network_interface_disconnect(ni);
    if (out != NULL && out != stdout && fclose(out) != 0) {
        perror(output);
        ok = false;
    }
    printf("https_client: %s\n", ok ? "done" : "FAILED");
    return ok ? 0 : 1;
}
