/*
 * dhcp.h: DHCP on the tap link (RFC 2131/2132). dhcp_packet.c is the codec shared by
 * both ends: it builds and parses BOOTP/DHCP messages, treating every received byte as
 * hostile, and wraps them in IPv4+UDP for the client's AF_PACKET socket.
 * dhcp_client.c is the device's client (DISCOVER ... ACK, renew, rebind, release);
 * dhcp_server.c is the built-in gateway's server logic, pure (no sockets: gateway.c
 * carries its packets).
 */
#ifndef NSEMU_TAP_DHCP_H
#define NSEMU_TAP_DHCP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netsocket/nsapi_types.h>

#include "tap.h"

/* ---- the codec (dhcp_packet.c) ------------------------------------------------------ */

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68

/* The fixed BOOTP part (236 bytes), the magic cookie (4), then options. A reply we
 * build never exceeds DHCP_MAX_LEN; we accept longer ones from others. */
#define DHCP_FIXED_LEN   236
#define DHCP_MIN_LEN     (DHCP_FIXED_LEN + 4)
#define DHCP_MAX_LEN     576
#define DHCP_BOOTREQUEST 1
#define DHCP_BOOTREPLY   2
#define DHCP_FLAG_BROADCAST 0x8000

/* Message types (option 53). */
enum dhcp_msg {
    DHCP_NONE = 0,
    DHCPDISCOVER = 1,
    DHCPOFFER = 2,
    DHCPREQUEST = 3,
    DHCPDECLINE = 4,
    DHCPACK = 5,
    DHCPNAK = 6,
    DHCPRELEASE = 7,
    DHCPINFORM = 8,
};

/* Option codes we read or write (RFC 2132). */
enum dhcp_opt {
    DHCP_OPT_PAD = 0,
    DHCP_OPT_MASK = 1,
    DHCP_OPT_ROUTER = 3,
    DHCP_OPT_DNS = 6,
    DHCP_OPT_HOSTNAME = 12,
    DHCP_OPT_REQUESTED_IP = 50,
    DHCP_OPT_LEASE_TIME = 51,
    DHCP_OPT_OVERLOAD = 52,
    DHCP_OPT_MSG_TYPE = 53,
    DHCP_OPT_SERVER_ID = 54,
    DHCP_OPT_PARAM_LIST = 55,
    DHCP_OPT_MESSAGE = 56,
    DHCP_OPT_MAX_SIZE = 57,
    DHCP_OPT_T1 = 58,
    DHCP_OPT_T2 = 59,
    DHCP_OPT_CLIENT_ID = 61,
    DHCP_OPT_END = 255,
};

/* A message, decoded. Addresses in network order; absent options leave their has_ flag
 * false (and the value zero). The sname and file fields are not read (option overload,
 * 52, is ignored: the options we need fit in the options field). */
struct dhcp_msg_info {
    uint8_t op, htype, hlen;
    uint32_t xid;
    uint16_t secs, flags;
    struct in_addr ciaddr, yiaddr, siaddr, giaddr;
    uint8_t chaddr[16];
    enum dhcp_msg type;
    bool has_mask, has_router, has_server_id, has_requested, has_lease, has_t1, has_t2;
    struct in_addr mask, router, server_id, requested;
    struct in_addr dns[4];
    int ndns;
    uint32_t lease_s, t1_s, t2_s;
};

/* Why a message was refused; DHCP_PARSE_OK when it was not. */
enum dhcp_parse_result {
    DHCP_PARSE_OK = 0,
    DHCP_PARSE_SHORT,       /* shorter than the fixed part and the cookie */
    DHCP_PARSE_BAD_OP,      /* op not BOOTREQUEST/BOOTREPLY, or not the one expected */
    DHCP_PARSE_BAD_HTYPE,   /* htype not Ethernet (1) or hlen not 6 */
    DHCP_PARSE_BAD_COOKIE,  /* not 99.130.83.99 */
    DHCP_PARSE_BAD_OPTION,  /* an option's length runs past the buffer */
    DHCP_PARSE_NO_END,      /* options end without the end option (255) */
    DHCP_PARSE_BAD_VALUE,   /* a known option with a length it cannot have */
    DHCP_PARSE_NO_TYPE,     /* no message type (53): plain BOOTP, not for us */
};

/* Decodes buf[0..len). expect_op is DHCP_BOOTREQUEST or DHCP_BOOTREPLY (0: either).
 * Never reads outside buf; *out is only meaningful when DHCP_PARSE_OK is returned. */
enum dhcp_parse_result dhcp_parse(const uint8_t *buf, size_t len, uint8_t expect_op,
                                  struct dhcp_msg_info *out);
/* A word for a result, for logs and tests ("ok", "short", "bad-cookie", ...). */
const char *dhcp_parse_result_name(enum dhcp_parse_result r);
const char *dhcp_msg_name(enum dhcp_msg type); /* "discover", ... ; "unknown" */

/* Building: dhcp_build_start writes the fixed part and the cookie for msg (op, htype,
 * hlen, xid, flags, chaddr, ciaddr/yiaddr/siaddr from msg) and the message type; then
 * options are appended; dhcp_build_end adds the end option and pads to the BOOTP
 * minimum of 300 bytes. Each returns false when buf (cap bytes) is too small, and
 * further calls then fail too. */
struct dhcp_builder {
    uint8_t *buf;
    size_t cap, len;
    bool overflow;
};
void dhcp_build_start(struct dhcp_builder *b, uint8_t *buf, size_t cap,
                      const struct dhcp_msg_info *msg);
bool dhcp_build_opt(struct dhcp_builder *b, uint8_t code, const void *data, size_t len);
bool dhcp_build_opt_addr(struct dhcp_builder *b, uint8_t code, struct in_addr addr);
bool dhcp_build_opt_u32(struct dhcp_builder *b, uint8_t code, uint32_t value);
/* The message's length, or 0 when something did not fit. */
size_t dhcp_build_end(struct dhcp_builder *b);

/* IPv4 + UDP around a payload, for the client's AF_PACKET SOCK_DGRAM socket: writes
 * the 28 header bytes and copies payload after them, with both checksums. Returns the
 * packet's length, or 0 when cap is too small. */
size_t dhcp_wrap_udp(uint8_t *pkt, size_t cap, struct in_addr src, uint16_t sport,
                     struct in_addr dst, uint16_t dport, const uint8_t *payload,
                     size_t len);
/* The UDP payload of a whole IPv4 packet pkt[0..len) sent to port dport: checks the IP
 * header (version, IHL, total length, header checksum, protocol UDP, not a fragment)
 * and the UDP header (length; checksum when non-zero and check_udp_sum: a packet the
 * kernel got with its checksum still to be completed, TP_STATUS_CSUMNOTREADY, has a
 * partial one). Sets *payload and returns its length, or -1 when the packet is not one. */
long dhcp_unwrap_udp(const uint8_t *pkt, size_t len, uint16_t dport, bool check_udp_sum,
                     const uint8_t **payload);

/* ---- the device's client (dhcp_client.c) --------------------------------------------- */

struct dhcp_client;
struct dhcp_client_cfg {
    uint8_t mac[6];  /* device.mac */
    long timeout_ms; /* device.dhcp_timeout_ms: DHCP_FAILURE after this */
    uint64_t seed;   /* the run's seed, for xids and backoff jitter (prng stream "dhcp") */
    /* Applies a lease in the device namespace (address, mask, default route), or with
     * lease == NULL removes it (lease lost at expiry or NAK while renewing). 0 or
     * -errno. Called on the thread of dhcp_client_start, then on the renewal thread. */
    int (*apply)(const struct dhcp_lease *lease, void *ctx);
    void *ctx;
};

/* Runs DISCOVER/OFFER/REQUEST/ACK on the calling thread over an AF_PACKET socket on the
 * device's eth0. On ACK: calls cfg->apply(lease), fills *lease, starts a renewal thread
 * (T1 renew, T2 rebind, expiry apply(NULL)) and returns NSAPI_ERROR_OK with *client set.
 * NAK, or no lease within cfg->timeout_ms: NSAPI_ERROR_DHCP_FAILURE. cfg is copied. */
nsapi_error_t dhcp_client_start(const struct dhcp_client_cfg *cfg, struct dhcp_lease *lease,
                                struct dhcp_client **client);
/* Stops renewing (waking the renewal thread, from any thread but that one); release =
 * true sends DHCPRELEASE first. Frees the client. */
void dhcp_client_stop(struct dhcp_client *c, bool release);

/* ---- the built-in gateway's server (dhcp_server.c) ----------------------------------- */

struct dhcp_server_cfg {
    struct in_addr server;     /* 10.0.2.2: option 54 and the router (option 3) */
    struct in_addr dns;        /* 10.0.2.3 (option 6) */
    struct in_addr pool_first; /* 10.0.2.15 */
    int pool_size;             /* e.g. 64 (never past .254) */
    struct in_addr mask;       /* 255.255.255.0 (option 1) */
    uint32_t lease_s;          /* [gateway] lease_s (option 51; T1/T2 default) */
};

/* NULL when out of memory or cfg is unusable. Not thread-safe: one caller at a time. */
struct dhcp_server *dhcp_server_new(const struct dhcp_server_cfg *cfg);
void dhcp_server_free(struct dhcp_server *s);
/* Answers one request (the UDP payload a client sent to port 67). mode as
 * tap_dhcp_mode() (0 ok, -1 fail: never answer, -2 nak: offer, but NAK every REQUEST,
 * >0: the caller delays the answer that many ms — treated like ok here). Returns the
 * reply's length, 0 for no reply. RFC 2131 §4.1 sends a reply to ciaddr:68 when the
 * request's ciaddr is set and to 255.255.255.255:68 otherwise (our client sets the
 * BROADCAST flag); broadcasting every reply is also fine, every client hears it. Handles
 * DISCOVER (OFFER; the same address again for the same MAC), REQUEST (selecting,
 * init-reboot, renewing, rebinding: ACK or NAK), RELEASE, DECLINE (marks the address
 * bad), INFORM (ACK without lease). Logs `gateway dhcp ...` lines. */
size_t dhcp_server_answer(struct dhcp_server *s, const uint8_t *req, size_t len, long mode,
                          uint8_t *reply, size_t cap);

#endif /* NSEMU_TAP_DHCP_H */
