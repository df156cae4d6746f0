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
    KNOB_PROB,   /* a probability, 0 to 1 */
    KNOB_CHOICE, /* one of the words in choices ("ok|fail|timeout") */
    KNOB_DHCP,   /* ok | fail | nak | delay_ms:N */
    KNOB_IPV4,   /* an IPv4 literal */
    KNOB_IPV6,   /* an IPv6 literal */
    KNOB_MAC,    /* six hex octets separated by colons */
    KNOB_ADDRS,  /* a space-separated list of IP or IP:PORT / [IPv6]:PORT */
    KNOB_PATH,   /* a file path; may be empty */
    KNOB_OUTPUT, /* a file the run writes; may be empty; its directory must be writable */
    KNOB_TEXT,   /* any text of at most max bytes; may be empty */
    KNOB_FAR,    /* gateway | peer | host | iface:NAME (a network interface's name) */
};

/* Flags of a row. */
#define KNOB_RUNTIME  0x1 /* may change while the program runs (timeline, control API) */
#define KNOB_HOST     0x2 /* applies to the host link only */
#define KNOB_TAP      0x4 /* applies to the tap link only */
#define KNOB_RANDOM   0x8 /* a random fault: when active, the seed is printed */

/* X(ID, name, type, default, min, max, choices, flags, meaning) */
#define KNOB_TABLE(X)                                                                      \
    X(DEVICE_SOCKETS, "device.sockets", KNOB_INT, "16", 1, 1024, NULL, 0,                  \
      "socket pool of the device; a DNS lookup holds one while it runs")                   \
    X(DEVICE_UDP_MAX, "device.udp_max", KNOB_INT, "65507", 1, 65507, NULL, 0,              \
      "largest UDP payload sendto accepts; larger gives NSAPI_ERROR_NO_MEMORY")            \
    X(DEVICE_MAC, "device.mac", KNOB_MAC, "02:00:00:00:00:01", 0, 0, NULL, 0,              \
      "MAC address of the device's Ethernet interface")                                    \
    X(DEVICE_CONNECT_TIMEOUT_MS, "device.connect_timeout_ms", KNOB_INT, "10000", 1,        \
      3600000, NULL, KNOB_RUNTIME,                                                         \
      "how long a blocking connect waits when the socket timeout is -1 (forever)")         \
    X(DEVICE_DHCP_TIMEOUT_MS, "device.dhcp_timeout_ms", KNOB_INT, "10000", 1, 3600000,     \
      NULL, 0, "DHCP gives up after this: NSAPI_ERROR_DHCP_FAILURE")                       \
    X(HOST_ADDRESS, "host.address", KNOB_IPV4, "127.0.0.1", 0, 0, NULL, KNOB_HOST,         \
      "the device's IPv4 address on the host link (a loopback address)")                   \
    X(HOST_ADDRESS6, "host.address6", KNOB_IPV6, "::1", 0, 0, NULL, KNOB_HOST,             \
      "the device's IPv6 address on the host link")                                        \
    X(HOST_EXPOSE, "host.expose", KNOB_BOOL, "false", 0, 0, NULL, KNOB_HOST,               \
      "true: a bind to the any-address binds the host's any-address, reachable from "     \
      "other hosts")                                                                       \
    X(HOST_PORT_OFFSET, "host.port_offset", KNOB_INT, "8000", 0, 64511, NULL, KNOB_HOST,   \
      "added to ports 1-1023 the device binds (80 becomes 8080); 0 turns it off")          \
    X(TAP_PCAP, "tap.pcap", KNOB_OUTPUT, "", 0, 0, NULL, KNOB_TAP,                         \
      "capture file of the wire (classic pcap); empty: none")                              \
    X(TAP_FAR, "tap.far", KNOB_FAR, "gateway", 0, 0, NULL, KNOB_TAP,                            \
      "the far side of the wire: gateway | peer | host | iface:NAME")                      \
    X(ETHERNET_DHCP, "ethernet.dhcp", KNOB_DHCP, "ok", 0, 3600000, NULL, KNOB_RUNTIME,     \
      "ok | fail (no offers) | nak (every REQUEST refused) | delay_ms:N (then success)")   \
    X(WIFI_SSID, "wifi.ssid", KNOB_TEXT, "", 0, 32, NULL, 0,                               \
      "the default instance's SSID (Mbed's nsapi.default-wifi-ssid)")                      \
    X(WIFI_PASSWORD, "wifi.password", KNOB_TEXT, "", 0, 64, NULL, 0,                       \
      "the default instance's password")                                                   \
    X(WIFI_SECURITY, "wifi.security", KNOB_CHOICE, "none", 0, 0,                           \
      "none|wep|wpa|wpa2|wpa_wpa2|unknown", 0, "the default instance's security")          \
    X(WIFI_ASSOC_TIMEOUT_MS, "wifi.assoc_timeout_ms", KNOB_INT, "10000", 1, 3600000, NULL, \
      0, "association gives up after this with an AP whose assoc is timeout")              \
    X(DNS_MODE, "dns.mode", KNOB_CHOICE, "ok", 0, 0, "ok|fail|timeout", KNOB_RUNTIME,      \
      "ok | fail (servers answer SERVFAIL) | timeout (no answer)")                         \
    X(DNS_DELAY_MS, "dns.delay_ms", KNOB_INT, "0", 0, 3600000, NULL, KNOB_RUNTIME,         \
      "added before every DNS answer reaches the device")                                  \
    X(DNS_SERVERS, "dns.servers", KNOB_ADDRS, "", 0, 0, NULL, 0,                           \
      "DNS servers; when set, they replace the defaults (added servers, DHCP's, "          \
      "dns.resolv_conf)")                                                                  \
    X(DNS_RESOLV_CONF, "dns.resolv_conf", KNOB_PATH, "/etc/resolv.conf", 0, 0, NULL, 0,    \
      "file whose nameserver lines are the last DNS servers asked; empty: none")           \
    X(DNS_TIMEOUT_MS, "dns.timeout_ms", KNOB_INT, "2000", 1, 60000, NULL, 0,               \
      "how long the DNS client waits for one answer before it retries")                    \
    X(DNS_RETRIES, "dns.retries", KNOB_INT, "1", 0, 10, NULL, 0,                           \
      "how many times the DNS client asks one server again before the next")               \
    X(UDP_LOSS, "udp.loss", KNOB_PROB, "0", 0, 0, NULL, KNOB_RUNTIME | KNOB_RANDOM,        \
      "probability that a datagram is lost, each direction")                               \
    X(UDP_DUP, "udp.dup", KNOB_PROB, "0", 0, 0, NULL, KNOB_RUNTIME | KNOB_RANDOM,          \
      "probability that a datagram arrives twice, each direction")                         \
    X(UDP_REORDER, "udp.reorder", KNOB_PROB, "0", 0, 0, NULL, KNOB_RUNTIME | KNOB_RANDOM,  \
      "probability that a datagram is held back until the next passes or 10 ms")           \
    X(UDP_TRUNCATE, "udp.truncate", KNOB_PROB, "0", 0, 0, NULL,                            \
      KNOB_RUNTIME | KNOB_RANDOM,                                                          \
      "probability that a datagram is cut to a random length on the way")                  \
    X(TCP_CONNECT, "tcp.connect", KNOB_CHOICE, "ok", 0, 0, "ok|refuse|timeout",            \
      KNOB_RUNTIME, "ok | refuse (NO_CONNECTION) | timeout (no answer)")                   \
    X(TCP_LATENCY_MS, "tcp.latency_ms", KNOB_INT, "0", 0, 60000, NULL, KNOB_RUNTIME,       \
      "one-way latency added to each direction of every TCP connection")                   \
    X(TCP_RATE_KBPS, "tcp.rate_kbps", KNOB_INT, "0", 0, 10000000, NULL, KNOB_RUNTIME,      \
      "kilobits/s (x1000) per connection and direction; 0: unlimited")                     \
    X(TCP_SEND_CHUNK, "tcp.send_chunk", KNOB_INT, "0", 0, 1048576, NULL, KNOB_RUNTIME,     \
      "a send accepts at most this many bytes; 0: no limit")                               \
    X(TCP_RECV_CHUNK, "tcp.recv_chunk", KNOB_INT, "0", 0, 1048576, NULL, KNOB_RUNTIME,     \
      "a recv returns at most this many bytes; 0: no limit")                               \
    X(TCP_RESET_AFTER_BYTES, "tcp.reset_after_bytes", KNOB_INT, "0", 0, 2147483647, NULL,  \
      KNOB_RUNTIME, "reset a connection once this many bytes passed, both directions")     \
    X(FRAME_LOSS, "frame.loss", KNOB_PROB, "0", 0, 0, NULL,                                \
      KNOB_RUNTIME | KNOB_TAP | KNOB_RANDOM, "probability that a frame is lost")           \
    X(FRAME_DUP, "frame.dup", KNOB_PROB, "0", 0, 0, NULL,                                  \
      KNOB_RUNTIME | KNOB_TAP | KNOB_RANDOM, "probability that a frame is duplicated")     \
    X(FRAME_CORRUPT, "frame.corrupt", KNOB_PROB, "0", 0, 0, NULL,                          \
      KNOB_RUNTIME | KNOB_TAP | KNOB_RANDOM,                                               \
      "probability that one bit of a frame's IP packet flips")                             \
    X(FRAME_REORDER, "frame.reorder", KNOB_PROB, "0", 0, 0, NULL,                          \
      KNOB_RUNTIME | KNOB_TAP | KNOB_RANDOM, "probability that a frame is held back")      \
    X(FRAME_DELAY_MS, "frame.delay_ms", KNOB_INT, "0", 0, 60000, NULL,                     \
      KNOB_RUNTIME | KNOB_TAP, "delay added to every frame")                               \
    X(FRAME_JITTER_MS, "frame.jitter_ms", KNOB_INT, "0", 0, 60000, NULL,                   \
      KNOB_RUNTIME | KNOB_TAP | KNOB_RANDOM, "random extra delay, 0 to this, per frame")   \
    X(FRAME_RATE_KBPS, "frame.rate_kbps", KNOB_INT, "0", 0, 10000000, NULL,                \
      KNOB_RUNTIME | KNOB_TAP, "kilobits/s (x1000) per direction of the wire; 0: unlimited")

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
    const char *choices; /* KNOB_CHOICE: the words, separated by '|' */
    unsigned flags;      /* KNOB_RUNTIME, KNOB_HOST, KNOB_TAP, KNOB_RANDOM */
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

/* Current value: as a number, or as text copied into buf. Safe from any thread; the
 * numeric read is a single atomic load for the fast path. A KNOB_PROB reads as parts
 * per billion (knob_prob gives it as a double), a KNOB_CHOICE as the index of its word,
 * KNOB_DHCP as -1 fail, -2 nak, else the delay in ms (0 for ok). */
long knob_int(enum knob_id id);
double knob_prob(enum knob_id id);
void knob_text(enum knob_id id, char *buf, size_t len);

#endif /* NSEMU_KNOBS_H */
