/*
 * fake_dns.h: a tiny DNS server for tests. It answers A and AAAA queries from a table
 * the test fills, on a real UDP socket on loopback, from its own pthread, in one of a
 * few modes (answer, NXDOMAIN, SERVFAIL, silent, ...). It uses plain POSIX sockets, not
 * nsemu. Every function is thread-safe; tests may change the table and the mode while
 * the server runs. A datagram gets the mode in force when it is received, read before it
 * is counted: once fake_dns_queries() has counted it, a mode change no longer affects it.
 */
#ifndef NSEMU_TESTS_FAKE_DNS_H
#define NSEMU_TESTS_FAKE_DNS_H

#include <stdint.h>

struct fake_dns;

enum fake_dns_mode {
    FAKE_DNS_ANSWER,   /* from the table: addresses of the asked type, else NODATA if the
                        * name has addresses of another type, else NXDOMAIN */
    FAKE_DNS_NXDOMAIN, /* rcode 3 to every query */
    FAKE_DNS_SERVFAIL, /* rcode 2 to every query */
    FAKE_DNS_SILENT,   /* receives and counts, never answers */
    FAKE_DNS_NODATA,   /* rcode 0 and no answers to every query */
    FAKE_DNS_MALFORMED_THEN_ANSWER, /* to every query: first a garbage datagram and one
                                     * with a wrong id, then the right (ANSWER) answer */
};

/* Binds ip ("127.0.0.1", "::1") on the given port, or a kernel-chosen one for port 0, and
 * starts the server thread. Returns NULL on failure (bad literal, bind or thread error).
 * The caller owns the server and ends it with fake_dns_stop(). */
struct fake_dns *fake_dns_start(const char *ip, uint16_t port, enum fake_dns_mode mode);
/* Adds an address for name (any case, optional trailing dot): A or AAAA by the literal.
 * A name may have several; they are answered in the order added. Those that do not fit
 * in a 512-byte reply are left out and the TC bit set. An ip that is not an IPv4 or IPv6
 * literal aborts the test program. */
void fake_dns_add(struct fake_dns *d, const char *name, const char *ip);
void fake_dns_set_mode(struct fake_dns *d, enum fake_dns_mode mode);
/* The bound UDP port, in host order. */
uint16_t fake_dns_port(const struct fake_dns *d);
/* Datagrams received so far, well-formed or not. */
unsigned fake_dns_queries(const struct fake_dns *d);
/* Stops and joins the thread, closes the socket and frees d. NULL is ignored. */
void fake_dns_stop(struct fake_dns *d);

#endif /* NSEMU_TESTS_FAKE_DNS_H */
