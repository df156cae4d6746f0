/*
 * config.h: the device's whole configuration, read once when the program starts:
 * defaults, then the scenario file (NSEMU_SCENARIO), then the environment (NSEMU_SEED,
 * NSEMU_LINK, NSEMU_LOG, NSEMU_PCAP, NSEMU_FAULTS), later values winning (DESIGN §5).
 * Knob values go into the knob table (knobs.h); what is not a knob is kept here. A
 * configuration error prints one line on stderr and exits with status 2.
 */
#ifndef NSEMU_CONFIG_H
#define NSEMU_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <netsocket/nsapi_types.h>

enum config_link { CONFIG_LINK_HOST, CONFIG_LINK_TAP };
enum config_interface { CONFIG_IFACE_ETHERNET, CONFIG_IFACE_WIFI };

#define CONFIG_MAX_APS      32
#define CONFIG_MAX_STATICS  64
#define CONFIG_MAX_FORWARDS 32
#define CONFIG_MAX_EVENTS   256
#define CONFIG_PATH_MAX     1024

/* One [ap "LABEL"] section (DESIGN §4). */
struct config_ap {
    char label[64];
    char ssid[NSAPI_SSID_SIZE]; /* defaults to the label */
    uint8_t bssid[6];           /* defaults to one derived from the label */
    nsapi_security_t security;  /* NONE, WEP, WPA, WPA2 or WPA_WPA2 */
    char password[65];
    int rssi;    /* dBm, -127..0, default -50 */
    int channel; /* 1..165, default 1 */
    bool hidden;
    int assoc_ms;       /* default 300 */
    bool assoc_timeout; /* assoc = timeout */
    char dhcp[32];      /* as ethernet.dhcp; default "ok" */
    int line;           /* where the section starts; 0 for the default world */
};

/* One [dns] static.NAME = IP. A name may have one IPv4 and one IPv6 entry. */
struct config_static {
    char name[256]; /* lower case, no trailing dot */
    nsapi_addr_t addr;
};

/* One [gateway] forward = tcp:PORT -> IP:PORT. */
struct config_forward {
    bool udp;
    uint16_t port;       /* at the gateway address */
    nsapi_addr_t target; /* a loopback address */
    uint16_t target_port;
    int line;
};

enum timeline_kind {
    TIMELINE_SET, /* set KNOB VALUE (a runtime knob) */
    TIMELINE_LINK_DOWN,
    TIMELINE_LINK_UP,
    TIMELINE_CONNECTIONS_RESET,
    TIMELINE_AP_GONE, /* ap "LABEL" gone */
    TIMELINE_AP_BACK, /* ap "LABEL" back */
    TIMELINE_AP_RSSI, /* ap "LABEL" rssi N */
};

/* One [timeline] entry: TIME = EVENT. */
struct timeline_event {
    uint64_t at_ms; /* from program start */
    enum timeline_kind kind;
    int knob;        /* TIMELINE_SET: knob id */
    char value[256]; /* TIMELINE_SET: the value, checked */
    int ap;          /* TIMELINE_AP_*: index into aps */
    int rssi;        /* TIMELINE_AP_RSSI */
    int line;
};

/* Where a key that applies to one link only was first set: for the link check, which
 * can only run once the environment had its say on the link. */
struct config_key_use {
    int line;     /* 0: none in the file */
    char key[64]; /* as written in the file */
};

struct config {
    char scenario[CONFIG_PATH_MAX]; /* the file read, or "" */
    bool seed_given;                /* else the seed came from the clock */
    uint64_t seed;
    enum config_link link;
    enum config_interface interface;
    char log[CONFIG_PATH_MAX];            /* event log path; "" for none */
    bool aps_given;                       /* false: aps holds the default world of DESIGN §4 */
    struct config_ap aps[CONFIG_MAX_APS]; /* never empty; in file order */
    int naps;
    struct config_static statics[CONFIG_MAX_STATICS];
    int nstatics;
    struct config_forward forwards[CONFIG_MAX_FORWARDS];
    int nforwards;
    int lease_s;                                     /* [gateway] lease_s, default 3600 */
    struct timeline_event events[CONFIG_MAX_EVENTS]; /* sorted by at_ms, stable */
    int nevents;
    /* Where the file set things (line 0: it did not). */
    int link_line;                   /* [emulator] link */
    struct config_key_use host_only; /* first key of the host link only */
    struct config_key_use tap_only;  /* first key of the tap link only ([tap], [gateway],
                                        frame.*, also in a timeline set) */
};

/* Reads everything once (later calls return the same object), on whichever thread asks
 * first (the library constructor). Exits 2 with one line on stderr on any configuration
 * error. */
const struct config *config_get(void);

/* Starts cfg from the defaults and reads one scenario file into it and into the knob
 * table (as start-up values), without the environment and without the link check
 * (config_get does both). Exits 2 on error. */
void config_read_scenario(const char *path, struct config *cfg);

#endif /* NSEMU_CONFIG_H */
