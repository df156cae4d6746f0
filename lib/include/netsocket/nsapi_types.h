/*
 * nsapi_types.h: the types, error codes and constants of Mbed OS's network-socket API,
 * with Mbed's names and values verbatim, so device code written for Mbed compiles here
 * unchanged. Plain C; nothing here allocates or runs.
 */
#ifndef NSAPI_TYPES_H
#define NSAPI_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes: negative, returned by any network operation. nsemu never returns the
 * Mbed 6 additions -3018 ... -3020 (see docs/mbed-differences.md). */
enum nsapi_error {
    NSAPI_ERROR_OK                 = 0,     /* no error */
    NSAPI_ERROR_WOULD_BLOCK        = -3001, /* no data available but call is non-blocking */
    NSAPI_ERROR_UNSUPPORTED        = -3002, /* unsupported functionality */
    NSAPI_ERROR_PARAMETER          = -3003, /* invalid configuration */
    NSAPI_ERROR_NO_CONNECTION      = -3004, /* not connected to a network */
    NSAPI_ERROR_NO_SOCKET          = -3005, /* socket not available for use */
    NSAPI_ERROR_NO_ADDRESS         = -3006, /* IP address is not known */
    NSAPI_ERROR_NO_MEMORY          = -3007, /* memory resource not available */
    NSAPI_ERROR_NO_SSID            = -3008, /* ssid not found */
    NSAPI_ERROR_DNS_FAILURE        = -3009, /* DNS failed to complete successfully */
    NSAPI_ERROR_DHCP_FAILURE       = -3010, /* DHCP failed to complete successfully */
    NSAPI_ERROR_AUTH_FAILURE       = -3011, /* connection to access point failed */
    NSAPI_ERROR_DEVICE_ERROR       = -3012, /* failure interfacing with the network processor */
    NSAPI_ERROR_IN_PROGRESS        = -3013, /* operation (eg connect) in progress */
    NSAPI_ERROR_ALREADY            = -3014, /* operation (eg connect) already in progress */
    NSAPI_ERROR_IS_CONNECTED       = -3015, /* socket is already connected */
    NSAPI_ERROR_CONNECTION_LOST    = -3016, /* connection lost */
    NSAPI_ERROR_CONNECTION_TIMEOUT = -3017, /* connection timed out */
    NSAPI_ERROR_ADDRESS_IN_USE     = -3018, /* address already in use (not returned) */
    NSAPI_ERROR_TIMEOUT            = -3019, /* operation timed out (not returned) */
    NSAPI_ERROR_BUSY               = -3020, /* device is busy (not returned) */
};

typedef enum nsapi_connection_status {
    NSAPI_STATUS_LOCAL_UP          = 0, /* local IP address set */
    NSAPI_STATUS_GLOBAL_UP         = 1, /* global IP address set */
    NSAPI_STATUS_DISCONNECTED      = 2, /* no connection to network */
    NSAPI_STATUS_CONNECTING        = 3, /* connecting to network */
    NSAPI_STATUS_ERROR_UNSUPPORTED = NSAPI_ERROR_UNSUPPORTED
} nsapi_connection_status_t;

/* Interface events; the callback's intptr_t argument depends on the event. */
typedef enum nsapi_event {
    NSAPI_EVENT_CONNECTION_STATUS_CHANGE = 0,      /* arg: the new nsapi_connection_status_t */
    NSAPI_EVENT_CELLULAR_STATUS_BASE     = 0x1000, /* (cellular; never raised by nsemu) */
    NSAPI_EVENT_CELLULAR_STATUS_END      = 0x1FFF
} nsapi_event_t;

typedef signed int nsapi_error_t;
typedef unsigned int nsapi_size_t;
typedef signed int nsapi_size_or_error_t;
typedef signed int nsapi_value_or_error_t;

typedef enum nsapi_security {
    NSAPI_SECURITY_NONE     = 0x0, /* open access point */
    NSAPI_SECURITY_WEP      = 0x1, /* phrase conforms to WEP */
    NSAPI_SECURITY_WPA      = 0x2, /* phrase conforms to WPA */
    NSAPI_SECURITY_WPA2     = 0x3, /* phrase conforms to WPA2 */
    NSAPI_SECURITY_WPA_WPA2 = 0x4, /* phrase conforms to WPA/WPA2 */
    NSAPI_SECURITY_PAP      = 0x5, /* phrase conforms to PPP authentication context */
    NSAPI_SECURITY_CHAP     = 0x6, /* phrase conforms to PPP authentication context */
    NSAPI_SECURITY_EAP_TLS  = 0x7, /* phrase conforms to EAP-TLS */
    NSAPI_SECURITY_PEAP     = 0x8, /* phrase conforms to PEAP */
    NSAPI_SECURITY_WPA2_ENT = 0x9, /* WPA2-AES and WPA-TKIP with enterprise security */
    NSAPI_SECURITY_WPA3     = 0xA, /* phrase conforms to WPA3 */
    NSAPI_SECURITY_WPA3_WPA2 = 0xB, /* phrase conforms to WPA3_WPA2 */
    NSAPI_SECURITY_UNKNOWN  = 0xFF, /* unknown/unsupported security in scan results */
} nsapi_security_t;

#define NSAPI_INTERFACE_PREFIX_SIZE   2
#define NSAPI_INTERFACE_NAME_MAX_SIZE 6
#define NSAPI_IPv4_SIZE  16 /* "255.255.255.255" plus NUL */
#define NSAPI_IPv4_BYTES 4
#define NSAPI_IPv6_SIZE  40
#define NSAPI_IPv6_BYTES 16
#define NSAPI_IP_SIZE    NSAPI_IPv6_SIZE
#define NSAPI_IP_BYTES   NSAPI_IPv6_BYTES
#define NSAPI_MAC_SIZE   18 /* "02:00:00:00:00:01" plus NUL */
#define NSAPI_MAC_BYTES  6
#define NSAPI_SSID_SIZE  33 /* 32 octets as 802.11 allows, plus NUL */

typedef enum nsapi_version {
    NSAPI_UNSPEC, /* address is unspecified */
    NSAPI_IPv4,   /* address is IPv4 */
    NSAPI_IPv6,   /* address is IPv6 */
} nsapi_version_t;

/* An IP address by value: version plus the raw bytes in network order. */
typedef struct nsapi_addr {
    nsapi_version_t version;
    uint8_t bytes[NSAPI_IP_BYTES];
} nsapi_addr_t;

typedef void *nsapi_socket_t;

typedef enum nsapi_protocol {
    NSAPI_TCP,  /* socket is of TCP type */
    NSAPI_UDP,  /* socket is of UDP type */
    NSAPI_ICMP, /* socket is of ICMP type (not supported by nsemu) */
} nsapi_protocol_t;

typedef enum nsapi_stack_level {
    NSAPI_STACK = 5000,
} nsapi_stack_level_t;

typedef enum nsapi_stack_option {
    NSAPI_IPV4_MRU,
    NSAPI_IPV6_MRU,
} nsapi_stack_option_t;

/* socket_setsockopt()/socket_getsockopt() level. */
typedef enum nsapi_socket_level {
    NSAPI_SOCKET = 7000,
} nsapi_socket_level_t;

/* Options of level NSAPI_SOCKET. nsemu supports REUSEADDR ... RCVBUF, each an int:
 * KEEPIDLE and KEEPINTVL in milliseconds, LINGER in seconds (negative: off). */
typedef enum nsapi_socket_option {
    NSAPI_REUSEADDR,
    NSAPI_KEEPALIVE,
    NSAPI_KEEPIDLE,
    NSAPI_KEEPINTVL,
    NSAPI_LINGER,
    NSAPI_SNDBUF,
    NSAPI_RCVBUF,
    NSAPI_ADD_MEMBERSHIP,
    NSAPI_DROP_MEMBERSHIP,
    NSAPI_BIND_TO_DEVICE,
    NSAPI_LATENCY,
    NSAPI_STAGGER,
    NSAPI_IPTOS,
    NSAPI_BROADCAST,
    NSAPI_PKTINFO,
} nsapi_socket_option_t;

/* Backwards compatibility: Mbed once did not tell stack and socket options apart. */
typedef nsapi_socket_level_t nsapi_level_t;
typedef nsapi_socket_option_t nsapi_option_t;

/* One WiFi access point, as wifi_interface_scan() reports it. */
typedef struct nsapi_wifi_ap {
    char ssid[NSAPI_SSID_SIZE];
    uint8_t bssid[6];
    nsapi_security_t security;
    int8_t rssi;
    uint8_t channel;
} nsapi_wifi_ap_t;

typedef struct nsapi_ip_mreq {
    nsapi_addr_t imr_multiaddr; /* IP multicast address of group */
    nsapi_addr_t imr_interface; /* local IP address of interface */
} nsapi_ip_mreq_t;

#ifdef __cplusplus
}
#endif

#endif /* NSAPI_TYPES_H */
