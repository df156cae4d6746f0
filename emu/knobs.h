/*
 * knobs.h: the one table of knobs (DESIGN §5), like lwIP's opt.h. Each row gives a
 * knob's name, type, default, range, whether it may change while the program runs, and
 * what it means; the environment reader, the control API and docs/scenario.md all use
 * this table. Adding a knob is one row here plus its effect where it applies.
 */
#ifndef NSEMU_KNOBS_H
#define NSEMU_KNOBS_H

#include <stdbool.h>
#include <stddef.h>

enum knob_type {
    KNOB_INT,    /* a whole number in [min, max] */
    KNOB_BOOL,   /* true | false */
    KNOB_IPV4,   /* an IPv4 literal */
    KNOB_IPV6,   /* an IPv6 literal */
    KNOB_MAC,    /* six hex octets separated by colons */
    KNOB_ADDRS,  /* a space-separated list of IP or IP:PORT / [IPv6]:PORT */
    KNOB_PATH,   /* a file path; may be empty */
};

/* X(ID, name, type, default, min, max, runtime, meaning) */
#define KNOB_TABLE(X)                                                                      \
    X(DEVICE_SOCKETS, "device.sockets", KNOB_INT, "16", 1, 1024, false,                    \
      "socket pool of the device; a DNS lookup holds one while it runs")                   \
    X(DEVICE_UDP_MAX, "device.udp_max", KNOB_INT, "65507", 1, 65507, false,                \
      "largest UDP payload sendto accepts; larger gives NSAPI_ERROR_NO_MEMORY")            \
    X(DEVICE_MAC, "device.mac", KNOB_MAC, "02:00:00:00:00:01", 0, 0, false,                \
      "MAC address of the device's Ethernet interface")                                    \
    X(DEVICE_CONNECT_TIMEOUT_MS, "device.connect_timeout_ms", KNOB_INT, "10000", 1,        \
      3600000, true,                                                                       \
      "how long a blocking connect waits when the socket timeout is -1 (forever)")         \
    X(HOST_ADDRESS, "host.address", KNOB_IPV4, "127.0.0.1", 0, 0, false,                   \
      "the device's IPv4 address on the host link (a loopback address)")                   \
    X(HOST_ADDRESS6, "host.address6", KNOB_IPV6, "::1", 0, 0, false,                       \
      "the device's IPv6 address on the host link")                                        \
    X(HOST_EXPOSE, "host.expose", KNOB_BOOL, "false", 0, 0, false,                         \
      "true: a bind to the any-address binds the host's any-address, reachable from "     \
      "other hosts")                                                                       \
    X(HOST_PORT_OFFSET, "host.port_offset", KNOB_INT, "8000", 0, 64511, false,             \
      "added to ports 1-1023 the device binds (80 becomes 8080); 0 turns it off")          \
    X(DNS_SERVERS, "dns.servers", KNOB_ADDRS, "", 0, 0, false,                             \
      "DNS servers; when set, they replace the defaults (added servers, DHCP's, "          \
      "/etc/resolv.conf)")                                                                 \
    X(DNS_RESOLV_CONF, "dns.resolv_conf", KNOB_PATH, "/etc/resolv.conf", 0, 0, false,      \
      "file whose nameserver lines are the last DNS servers asked; empty: none")           \
    X(DNS_TIMEOUT_MS, "dns.timeout_ms", KNOB_INT, "2000", 1, 60000, false,                 \
      "how long the DNS client waits for one answer before it retries")                    \
    X(DNS_RETRIES, "dns.retries", KNOB_INT, "1", 0, 10, false,                             \
      "how many times the DNS client asks one server again before the next")

enum knob_id {
#define KNOB_ENUM(id, ...) KNOB_##id,
    KNOB_TABLE(KNOB_ENUM)
#undef KNOB_ENUM
    KNOB_COUNT
};

struct knob_def {
    const char *name;
    enum knob_type type;
    const char *def;
    long min, max;
    bool runtime;
    const char *meaning;
};

extern const struct knob_def knob_defs[KNOB_COUNT];

/* The knob of that name, or -1. */
int knob_find(const char *name);

/* Checks text against the knob's type and range; on failure returns false and writes
 * what is wrong ("must be a whole number from 1 to 1024") into why. */
bool knob_check(int id, const char *text, char *why, size_t why_len);

/* Sets a knob (checked first). startup = true also makes it the start-up value
 * nsemu_clear and nsemu_reset go back to. */
bool knob_set(int id, const char *text, bool startup, char *why, size_t why_len);
void knob_restore(int id); /* back to the start-up value */

/* Current value: as a number (ints and bools), or as text copied into buf. Safe from
 * any thread; the numeric read is a single atomic load for the fast path. */
long knob_int(enum knob_id id);
void knob_text(enum knob_id id, char *buf, size_t len);

/* Reads NSEMU_FAULTS (comma-separated knob=value). A bad entry is a configuration
 * error: one line naming the variable and the key, exit status 2. */
void knobs_load_environment(void);

#endif /* NSEMU_KNOBS_H */
