/*
 * harness.h: small helpers the cmocka tests share: addresses, a loopback peer built on
 * plain POSIX sockets (so a test never checks nsemu against itself alone), and bounded
 * waits.
 */
#ifndef NSEMU_TEST_HARNESS_H
#define NSEMU_TEST_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include <netsocket/netsocket.h>

/* Fills a with ip:port (asserts the literal parses). */
void addr_of(socket_address_t *a, const char *ip, uint16_t port);

/* The default interface, connected. */
network_interface_t *up_interface(void);

/* A plain POSIX TCP listener on ip (port 0: kernel-chosen); returns the fd and sets
 * *port. */
int posix_tcp_listener(const char *ip, uint16_t *port);
/* A plain POSIX UDP socket bound to ip; returns the fd and sets *port. */
int posix_udp_socket(const char *ip, uint16_t *port);
/* A free TCP port on ip right now (bound once, then closed). */
uint16_t free_port(const char *ip);

/* Counts this process's open file descriptors. */
int open_fd_count(void);

/* Milliseconds since an arbitrary start, monotonic. */
uint64_t test_now_ms(void);

#endif /* NSEMU_TEST_HARNESS_H */
