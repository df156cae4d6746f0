/*
 * tcp_echo.c: an echo service (RFC 862) on a TCPServer, and a client that checks it. A
 * device program: it uses only <netsocket/netsocket.h>, as it would on Mbed OS, and runs
 * on a laptop over nsemu's host link.
 *
 *   tcp_echo [PORT]                      server plus a built-in client: a self-test
 *   tcp_echo --serve PORT [--count N]    serve N connections (default: forever), then exit
 *
 * PORT is the device's own port number (7 by default, the echo service's). On the host
 * link a device port from 1 to 1023 is really that port plus 8000 on the host
 * ([host] port_offset), so no privilege is needed: the device's port 7 is 127.0.0.1:8007
 * for every other program on the laptop. The device keeps seeing 7 in its own calls.
 *
 * Threads: in the self-test the server runs on a thread of its own while main() is the
 * client; connections are served one after the other.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netsocket/netsocket.h>

#define DEFAULT_PORT      7
#define HOST_PORT_OFFSET  8000 /* [host] port_offset, unless the scenario changes it */
#define CLIENT_TIMEOUT_MS 5000 /* the client gives up on an echo after this long */
#define PATTERN_SIZE      16384

struct server {
    tcp_server_t *listener;
    uint16_t port;
    long count; /* connections to serve; 0: forever */
    bool ok;
};

static const char *error_name(nsapi_error_t e)
{
    switch (e) {
    case NSAPI_ERROR_OK: return "OK";
    case NSAPI_ERROR_WOULD_BLOCK: return "WOULD_BLOCK (timed out)";
    case NSAPI_ERROR_PARAMETER: return "PARAMETER (port in use?)";
    case NSAPI_ERROR_NO_CONNECTION: return "NO_CONNECTION (refused, or network down)";
    case NSAPI_ERROR_NO_SOCKET: return "NO_SOCKET";
    case NSAPI_ERROR_NO_MEMORY: return "NO_MEMORY";
    case NSAPI_ERROR_DHCP_FAILURE: return "DHCP_FAILURE";
    case NSAPI_ERROR_IS_CONNECTED: return "IS_CONNECTED";
    case NSAPI_ERROR_CONNECTION_LOST: return "CONNECTION_LOST (reset by the peer)";
    case NSAPI_ERROR_CONNECTION_TIMEOUT: return "CONNECTION_TIMEOUT";
    default: return "error";
    }
}

/* The port other programs on the host use to reach a device port (DESIGN §3). */
static uint16_t host_port_of(uint16_t device_port)
{
    if (device_port >= 1 && device_port <= 1023)
        return (uint16_t)(device_port + HOST_PORT_OFFSET);
    return device_port;
}

/* ---- the server ---------------------------------------------------------------- */

static nsapi_error_t server_start(struct server *srv, network_interface_t *ni)
{
    nsapi_error_t r;

    srv->listener = tcp_server_new();
    if (srv->listener == NULL)
        return NSAPI_ERROR_NO_MEMORY;
    r = socket_open(srv->listener, ni);
    if (r == NSAPI_ERROR_OK)
        r = socket_bind_port(srv->listener, srv->port); /* any-address: the device's */
    if (r == NSAPI_ERROR_OK)
        r = tcp_server_listen(srv->listener, 4);
    if (r != NSAPI_ERROR_OK) {
        socket_delete(srv->listener);
        srv->listener = NULL;
    }
    return r;
}

/* Sends all of data (a blocking send does); false on error. */
/* A blocking send may take only part of the data (a timeout, or a stack that accepts
 * short writes, as tcp.send_chunk emulates): keep sending until all of it is out. */
static bool send_all(tcp_socket_t *s, const void *data, nsapi_size_t size)
{
    const char *p = data;

    while (size > 0) {
        nsapi_size_or_error_t n = tcp_socket_send(s, p, size);

        if (n <= 0)
            return false;
        p += n;
        size -= (nsapi_size_t)n;
    }
    return true;
}

/* Echoes one connection until the peer closes it. Returns the bytes echoed, or an error
 * when the connection broke. */
static long echo_connection(tcp_socket_t *c)
{
    char buf[4096];
    long total = 0;

    for (;;) {
        nsapi_size_or_error_t n = tcp_socket_recv(c, buf, sizeof(buf));

        if (n == 0)
            return total; /* the peer closed: done */
        if (n < 0)
            return n;
        if (!send_all(c, buf, (nsapi_size_t)n))
            return NSAPI_ERROR_CONNECTION_LOST;
        total += n;
    }
}

static bool serve_one(struct server *srv, long number)
{
    tcp_socket_t *c = tcp_socket_new();
    socket_address_t from;
    nsapi_error_t r;
    long echoed;

    if (c == NULL)
        return false;
    r = tcp_server_accept(srv->listener, c, &from);
    if (r != NSAPI_ERROR_OK) {
        printf("server: accept failed: %d %s\n", r, error_name(r));
        socket_delete(c);
        return false;
    }
    printf("server: connection %ld from %s:%u\n", number, socket_address_get_ip_address(&from),
           socket_address_get_port(&from));
    echoed = echo_connection(c);
    if (echoed >= 0)
        printf("server: connection %ld closed by the peer after %ld bytes echoed\n", number,
               echoed);
    else
        printf("server: connection %ld broke: %ld %s\n", number, echoed,
               error_name((nsapi_error_t)echoed));
    socket_delete(c);
    return echoed >= 0;
}

static void *server_main(void *arg)
{
    struct server *srv = arg;

    srv->ok = true;
    for (long n = 1; srv->count == 0 || n <= srv->count; n++)
        if (!serve_one(srv, n))
            srv->ok = false;
    return NULL;
}

/* ---- the built-in client --------------------------------------------------------- */

/* Receives exactly size bytes; an nsapi error, or NSAPI_ERROR_CONNECTION_LOST when the
 * server closed early. */
static nsapi_error_t recv_all(tcp_socket_t *s, char *buf, nsapi_size_t size)
{
    nsapi_size_t got = 0;

    while (got < size) {
        nsapi_size_or_error_t n = tcp_socket_recv(s, buf + got, size - got);

        if (n == 0)
            return NSAPI_ERROR_CONNECTION_LOST;
        if (n < 0)
            return n;
        got += (nsapi_size_t)n;
    }
    return NSAPI_ERROR_OK;
}

/* Sends one message and checks that the same bytes come back. */
static bool check_echo(tcp_socket_t *s, const char *what, const char *msg, nsapi_size_t size)
{
    char *back = malloc(size);
    nsapi_error_t r = NSAPI_ERROR_NO_MEMORY;
    bool same = false;

    if (back != NULL && send_all(s, msg, size)) {
        r = recv_all(s, back, size);
        same = r == NSAPI_ERROR_OK && memcmp(back, msg, size) == 0;
    }
    if (same)
        printf("client: sent %u bytes (%s), the echo matches\n", size, what);
    else if (r != NSAPI_ERROR_OK)
        printf("client: sent %u bytes (%s), no echo: %d %s\n", size, what, r, error_name(r));
    else
        printf("client: sent %u bytes (%s), the echo DIFFERS\n", size, what);
    free(back);
    return same;
}

/* Connects to the device's own server. A connect is never remapped, so the client
 * asks for the host port: the device port plus the offset. */
static nsapi_error_t client_connect(tcp_socket_t *s, const char *ip, uint16_t device_port)
{
    socket_address_t server;
    nsapi_error_t r;

    socket_address_init(&server);
    socket_address_set_ip_address(&server, ip);
    socket_address_set_port(&server, host_port_of(device_port));
    printf("client: connecting to %s:%u (device port %u)\n", ip, host_port_of(device_port),
           device_port);
    r = tcp_socket_connect(s, &server);
    if (r == NSAPI_ERROR_NO_CONNECTION && host_port_of(device_port) != device_port) {
        /* The scenario may have turned the offset off (host.port_offset = 0). */
        printf("client: refused; trying the device port itself\n");
        socket_address_set_port(&server, device_port);
        r = tcp_socket_connect(s, &server);
    }
    return r;
}

static bool client_run(network_interface_t *ni, uint16_t device_port)
{
    static const char *const lines[] = {"hello, echo", "Mbed OS sockets, on a laptop"};
    static char pattern[PATTERN_SIZE];
    tcp_socket_t *s = tcp_socket_new();
    bool ok = s != NULL && socket_open(s, ni) == NSAPI_ERROR_OK;
    nsapi_error_t r;

    if (!ok) {
        printf("client: cannot open a socket\n");
        socket_delete(s);
        return false;
    }
    socket_set_timeout(s, CLIENT_TIMEOUT_MS);
    r = client_connect(s, network_interface_get_ip_address(ni), device_port);
    if (r != NSAPI_ERROR_OK) {
        printf("client: connect failed: %d %s\n", r, error_name(r));
        socket_delete(s);
        return false;
    }
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        ok = check_echo(s, lines[i], lines[i], (nsapi_size_t)strlen(lines[i])) && ok;
    for (size_t i = 0; i < sizeof(pattern); i++)
        pattern[i] = (char)(i * 7 + i / 256); /* every byte value, in no simple order */
    ok = check_echo(s, "binary pattern", pattern, sizeof(pattern)) && ok;
    socket_delete(s); /* closes: the server sees the end and finishes the connection */
    return ok;
}

/* ---- main ------------------------------------------------------------------------ */

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [PORT]                     echo server plus a client that checks it\n"
            "       %s --serve PORT [--count N]   serve N connections (0, the default: "
            "forever)\n",
            argv0, argv0);
    exit(2);
}

/* A whole number from min to max, or the usage message. */
static long parse_number(const char *text, long min, long max, const char *argv0)
{
    char *end;
    long v = strtol(text, &end, 10);

    if (*text == '\0' || *end != '\0' || v < min || v > max)
        usage(argv0);
    return v;
}

static network_interface_t *bring_up(void)
{
    network_interface_t *ni = network_interface_get_default_instance();
    nsapi_error_t r = ni == NULL ? NSAPI_ERROR_NO_MEMORY : network_interface_connect(ni);

    if (r != NSAPI_ERROR_OK) {
        printf("tcp_echo: the network does not come up: %d %s\n", r, error_name(r));
        return NULL;
    }
    printf("tcp_echo: interface up: IP %s, MAC %s, netmask %s, gateway %s\n",
           network_interface_get_ip_address(ni), network_interface_get_mac_address(ni),
           network_interface_get_netmask(ni), network_interface_get_gateway(ni));
    return ni;
}

int main(int argc, char **argv)
{
    struct server srv = {.port = DEFAULT_PORT, .count = 1};
    bool serve_only = false, ok;
    network_interface_t *ni;
    pthread_t thread;
    nsapi_error_t r;

    setvbuf(stdout, NULL, _IOLBF, 0); /* line by line, also into a pipe */
    if (argc >= 3 && strcmp(argv[1], "--serve") == 0) {
        serve_only = true;
        srv.port = (uint16_t)parse_number(argv[2], 1, 65535, argv[0]);
        srv.count = 0;
        if (argc == 5 && strcmp(argv[3], "--count") == 0)
            srv.count = parse_number(argv[4], 0, 1000000, argv[0]);
        else if (argc != 3)
            usage(argv[0]);
    } else if (argc == 2) {
        srv.port = (uint16_t)parse_number(argv[1], 1, 65535, argv[0]);
    } else if (argc != 1) {
        usage(argv[0]);
    }

    ni = bring_up();
    if (ni == NULL)
        return 1;
    r = server_start(&srv, ni);
    if (r != NSAPI_ERROR_OK) {
        printf("tcp_echo: cannot listen on device port %u (host port %u): %d %s\n", srv.port,
               host_port_of(srv.port), r, error_name(r));
        return 1;
    }
    printf("tcp_echo: echo server on device port %u; other programs on this host reach it "
           "at %s:%u%s\n",
           srv.port, network_interface_get_ip_address(ni), host_port_of(srv.port),
           host_port_of(srv.port) != srv.port ? " (with the default host.port_offset, 8000)" : "");
    if (serve_only) {
        if (srv.count > 0)
            printf("tcp_echo: serving %ld connection(s), then exiting\n", srv.count);
        server_main(&srv);
        ok = srv.ok;
    } else if (pthread_create(&thread, NULL, server_main, &srv) != 0) {
        printf("tcp_echo: cannot start the server thread\n");
        ok = false;
    } else {
        ok = client_run(ni, srv.port);
        if (!ok)
            socket_close(srv.listener); /* wakes the server if it still waits in accept */
        pthread_join(thread, NULL);     /* else it ends once the client has closed */
        ok = ok && srv.ok;
    }
    socket_delete(srv.listener);
    network_interface_disconnect(ni);
    if (serve_only)
        printf("tcp_echo: %s\n", ok ? "done" : "a connection failed");
    else
        printf("tcp_echo: %s\n", ok ? "PASSED: every echo came back byte for byte" : "FAILED");
    return ok ? 0 : 1;
}
