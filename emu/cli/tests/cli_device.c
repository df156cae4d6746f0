/*
 * cli_device.c: a small device program for the nsemu CLI tests (test_cli.c). It uses
 * only the public API, as firmware would; the library reads its configuration before
 * main.
 *   cli_device knob KNOB...   prints each knob's value, one per line
 *   cli_device udp N          brings the interface up, sends N datagrams from a UDP
 *                             socket to a plain POSIX receiver on 127.0.0.1, closes
 *                             that socket, then opens a TCP socket and leaves it open
 *   cli_device exit N         exits with status N
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

static int print_knobs(int argc, char **argv)
{
    char value[256];

    for (int i = 0; i < argc; i++) {
        if (nsemu_get(argv[i], value, sizeof(value)) != NSAPI_ERROR_OK)
            return 1;
        printf("%s\n", value);
    }
    return 0;
}

/* A POSIX UDP socket on 127.0.0.1 and a kernel-chosen port: the device's peer. */
static int posix_receiver(uint16_t *port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
        return -1;
    *port = ntohs(sin.sin_port);
    return fd;
}

/* Left open on purpose; reachable from here, so leak checkers do not mind. */
static tcp_socket_t *tcp;

static int send_datagrams(long count)
{
    network_interface_t *net = network_interface_get_default_instance();
    udp_socket_t *udp = udp_socket_new();
    const char payload[32] = "nsemu cli test datagram";
    uint16_t port;
    int peer = posix_receiver(&port);

    tcp = tcp_socket_new();
    if (net == NULL || udp == NULL || tcp == NULL || peer < 0 ||
        network_interface_connect(net) != NSAPI_ERROR_OK || socket_open(udp, net) != NSAPI_ERROR_OK)
        return 1;
    for (long i = 0; i < count; i++)
        if (udp_socket_sendto_host(udp, "127.0.0.1", port, payload, sizeof(payload)) !=
            (int)sizeof(payload))
            return 1;
    if (socket_close(udp) != NSAPI_ERROR_OK || socket_open(tcp, net) != NSAPI_ERROR_OK)
        return 1;
    socket_delete(udp);
    close(peer);
    return 0; /* tcp stays open: the summary reports it */
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "knob") == 0)
        return print_knobs(argc - 2, argv + 2);
    if (argc == 3 && strcmp(argv[1], "udp") == 0)
        return send_datagrams(strtol(argv[2], NULL, 10));
    if (argc == 3 && strcmp(argv[1], "exit") == 0)
        return (int)strtol(argv[2], NULL, 10);
    fprintf(stderr, "usage: cli_device knob KNOB... | udp N | exit N\n");
    return 64;
}
