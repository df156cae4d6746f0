/*
 * resilient_client: a device program that keeps going when the network does not.
 * It brings the default interface up, retrying with back-off while DHCP fails; then
 * sends numbered lines to a TCP echo server and checks every echo, and when the
 * connection is lost (NSAPI_ERROR_CONNECTION_LOST) or cannot be made it opens a new
 * socket, reconnects with back-off and carries on from the line that was not echoed.
 * Only <netsocket/netsocket.h>: it would build for Mbed OS the same way.
 *
 *   resilient_client HOST PORT [LINES]     (exit 0 once LINES lines came back intact)
 *
 * docs/faults.md runs it under a scenario where DHCP fails for a second and every
 * connection is reset at t=2s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netsocket/netsocket.h>

#define MAX_TRIES 20

static void back_off(int attempt)
{
    long ms = 100L << (attempt < 4 ? attempt : 4); /* 100, 200, 400, 800, 1600 ms */
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static nsapi_error_t bring_up(network_interface_t *net)
{
    for (int attempt = 0; attempt < MAX_TRIES; attempt++) {
        nsapi_error_t err = network_interface_connect(net);

        if (err == NSAPI_ERROR_OK || err == NSAPI_ERROR_IS_CONNECTED) {
            printf("network up: %s\n", network_interface_get_ip_address(net));
            return NSAPI_ERROR_OK;
        }
        printf("network: connect failed (%d)%s, retrying\n", err,
               err == NSAPI_ERROR_DHCP_FAILURE ? " DHCP_FAILURE" : "");
        back_off(attempt);
    }
    return NSAPI_ERROR_NO_CONNECTION;
}

/* A connected socket, or NULL after MAX_TRIES attempts. */
static tcp_socket_t *connect_server(network_interface_t *net, const char *host, uint16_t port)
{
    for (int attempt = 0; attempt < MAX_TRIES; attempt++) {
        tcp_socket_t *sock = tcp_socket_new();
        nsapi_error_t err = socket_open(sock, net);

        if (err == NSAPI_ERROR_OK) {
            socket_set_timeout(sock, 3000);
            err = tcp_socket_connect_host(sock, host, port);
        }
        if (err == NSAPI_ERROR_OK) {
            printf("connected to %s:%u\n", host, port);
            return sock;
        }
        printf("connect failed (%d), retrying\n", err);
        socket_delete(sock);
        if (network_interface_get_connection_status(net) != NSAPI_STATUS_GLOBAL_UP &&
            bring_up(net) != NSAPI_ERROR_OK)
            return NULL;
        back_off(attempt);
    }
    return NULL;
}

/* Sends one line and waits for the same bytes back. */
static nsapi_error_t exchange(tcp_socket_t *sock, const char *line)
{
    size_t len = strlen(line), got = 0;
    char echo[128];
    nsapi_size_or_error_t n = tcp_socket_send(sock, line, (nsapi_size_t)len);

    if (n < 0)
        return n;
    if ((size_t)n != len)
        return NSAPI_ERROR_CONNECTION_LOST;
    while (got < len) {
        n = tcp_socket_recv(sock, echo + got, (nsapi_size_t)(len - got));
        if (n < 0)
            return n;
        if (n == 0)
            return NSAPI_ERROR_CONNECTION_LOST; /* the server closed */
        got += (size_t)n;
    }
    return memcmp(echo, line, len) == 0 ? NSAPI_ERROR_OK : NSAPI_ERROR_DEVICE_ERROR;
}

int main(int argc, char **argv)
{
    network_interface_t *net = network_interface_get_default_instance();
    int lines = argc > 3 ? atoi(argv[3]) : 20, reconnects = 0;
    tcp_socket_t *sock;

    if (argc < 3) {
        fprintf(stderr, "usage: %s HOST PORT [LINES]\n", argv[0]);
        return 2;
    }
    if (bring_up(net) != NSAPI_ERROR_OK)
        return 1;
    sock = connect_server(net, argv[1], (uint16_t)atoi(argv[2]));
    for (int i = 1; sock != NULL && i <= lines;) {
        char line[64];
        nsapi_error_t err;

        snprintf(line, sizeof(line), "line %d\n", i);
        err = exchange(sock, line);
        if (err == NSAPI_ERROR_OK) {
            i++;
            back_off(0); /* a line every 100 ms */
            continue;
        }
        if (err == NSAPI_ERROR_DEVICE_ERROR) {
            printf("echo of line %d differs\n", i);
            break;
        }
        printf("line %d: connection lost (%d), reconnecting\n", i, err);
        reconnects++;
        socket_delete(sock);
        sock = connect_server(net, argv[1], (uint16_t)atoi(argv[2]));
    }
    if (sock == NULL)
        return 1;
    socket_delete(sock);
    printf("done: %d lines echoed, %d reconnects\n", lines, reconnects);
    return 0;
}
