/*
 * wifi.h: the fake WiFi world (DESIGN §4): the access points of the scenario (or the
 * default world), their timeline events, and one station per WiFi interface: its
 * credentials, its channel and the AP it is associated with. netif.c drives a station
 * through a connect; lib/network_interface.c reaches the rest through these functions.
 * Thread-safe: one lock guards the world and every station.
 */
#ifndef NSEMU_WIFI_H
#define NSEMU_WIFI_H

#include <stdbool.h>
#include <stdint.h>

#include <netsocket/nsapi_types.h>

#include "config.h"

struct network_interface;
struct wifi_sta;

/* Builds the world from cfg->aps and takes over the timeline's ap events. Called once
 * at start-up, before the stack thread runs. */
void wifi_world_init(const struct config *cfg);

/* The station of a new WiFi interface (no credentials, any channel); NULL when memory
 * runs out. Freed with wifi_sta_free once nobody can reach ni any more. */
struct wifi_sta *wifi_sta_new(struct network_interface *ni);
void wifi_sta_free(struct wifi_sta *sta);

/* Stores credentials as Mbed's set_credentials does: NSAPI_ERROR_PARAMETER (and the old
 * ones stay) for an SSID not of 1 to 32 characters or a password of the wrong length
 * for the security; NSAPI_ERROR_UNSUPPORTED for a security no WiFi AP offers here. pass
 * may be NULL for NSAPI_SECURITY_NONE. */
nsapi_error_t wifi_set_credentials(struct network_interface *ni, const char *ssid, const char *pass,
                                   nsapi_security_t sec);
void wifi_set_channel(struct network_interface *ni, uint8_t channel);

/* NSAPI_ERROR_OK when ni has credentials to connect with (the default instance falls
 * back on the [wifi] knobs), else NSAPI_ERROR_PARAMETER (or UNSUPPORTED, as above). */
nsapi_error_t wifi_check_credentials(struct network_interface *ni);

/* Finds the strongest AP of the SSID on the channel and associates with it, taking the
 * AP's assoc_ms (or wifi.assoc_timeout_ms) on the caller's thread. NSAPI_ERROR_OK
 * leaves the station associated; else NO_SSID, AUTH_FAILURE, CONNECTION_TIMEOUT or
 * PARAMETER. Logged. */
nsapi_error_t wifi_associate(struct network_interface *ni);

/* True while the station is associated with an AP (roaming keeps it so). */
bool wifi_associated(struct network_interface *ni);

/* Leaves the AP (when associated), logging why. */
void wifi_leave(struct network_interface *ni, const char *why);

/* The associated AP's dhcp behaviour, as knob_int reads ethernet.dhcp: -1 fail, -2 nak,
 * else the delay in ms (0 for ok). Logged. */
long wifi_dhcp_mode(struct network_interface *ni);

/* The associated AP's RSSI while ni is up, else 0. */
int8_t wifi_rssi(struct network_interface *ni);

/* With count 0, how many APs are in range; else fills res with at most count of them,
 * strongest first (hidden ones with an empty SSID), and returns how many. Logged. */
nsapi_size_or_error_t wifi_scan(struct network_interface *ni, nsapi_wifi_ap_t *res,
                                nsapi_size_t count);

#endif /* NSEMU_WIFI_H */
