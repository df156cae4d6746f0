/*
 * far_device.c: a device program for the far-side tests (test_tap_far.sh): brings the
 * default interface up with a static address, then checks a TCP echo server at
 * IP:PORT with 256 KB and a UDP echo server at IP:PORT+1 with one datagram. Exits 0 when
 * every byte came back, 1 otherwise, with one line on stderr saying what failed.
 *
 *   far_device IP PORT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netsocket/netsocket.h>

static int failed(const char *what, int err)
{
    fprintf(stderr, "far_device: %s: %d\n", what, err);
    return 1;
}

static int tcp_echo(const socket_address_t *to)
{
    static unsigned char out[256 * 1024], in[sizeof(out)];
    tcp_socket_t *s = tcp_socket_new();
    size_t sent = 0, got = 0;
    int r;

    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (unsigned char)(i * 13 + (i >> 10));
    if ((r = socket_open(s, network_interface_get_default_instance())) != 0)
        return failed("tcp open", r);
    socket_set_timeout(s, 10000);
    if ((r = tcp_socket_connect(s, to)) != 0)
        return failed("tcp connect", r);
    while (got < sizeof(in)) {
        if (sent < sizeof(out)) {
            r = tcp_socket_send(s, out + sent, sizeof(out) - sent > 16384 ? 16384 : sizeof(out) - sent);
            if (r <= 0)
                return failed("tcp send", r);
            sent += (size_t)r;
        }
        r = tcp_socket_recv(s, in + got, sizeof(in) - got);
        if (r <= 0)
            return failed("tcp recv", r);
        got += (size_t)r;
    }
    if (memcmp(in, out, sizeof(out)) != 0)
        return failed("tcp echo differs", 0);
    socket_close(s);
    socket_delete(s);
    return 0;
}

static int udp_echo(const socket_address_t *to)
{
    udp_socket_t *s = udp_socket_new();
    unsigned char out[1000], in[1500];
    socket_address_t from;
    int r = NSAPI_ERROR_WOULD_BLOCK;

    memset(out, 0xa5, sizeof(out));
    if ((r = socket_open(s, network_interface_get_default_instance())) != 0)
        return failed("udp open", r);
    socket_set_timeout(s, 500);
    r = NSAPI_ERROR_WOULD_BLOCK;
    for (int i = 0; i < 10 && r == NSAPI_ERROR_WOULD_BLOCK; i++) {
        udp_socket_sendto(s, to, out, sizeof(out));
        r = udp_socket_recvfrom(s, &from, in, sizeof(in));
    }
    if (r != (int)sizeof(out) || memcmp(in, out, sizeof(out)) != 0)
        return failed("udp echo", r);
    socket_close(s);
    socket_delete(s);
    return 0;
}

int main(int argc, char **argv)
{
    network_interface_t *ni = network_interface_get_default_instance();
    socket_address_t to;
    int r, port;

    if (argc != 3)
        return failed("usage: far_device IP PORT", 2);
    port = atoi(argv[2]);
    r = network_interface_set_network(ni, "10.0.2.15", "255.255.255.0", "10.0.2.2");
    if (r == 0)
        r = network_interface_connect(ni);
    if (r != 0)
        return failed("connect", r);
    socket_address_init(&to);
    socket_address_set_ip_address(&to, argv[1]);
    socket_address_set_port(&to, (uint16_t)port);
    if (tcp_echo(&to) != 0)
        return 1;
    socket_address_set_port(&to, (uint16_t)(port + 1));
    return udp_echo(&to);
}
