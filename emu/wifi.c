/*
 * wifi.c: the fake WiFi world (DESIGN §4). It owns the access points (the scenario's
 * [ap] sections or the default world) with their current signal and presence, and one
 * station per WiFi interface: credentials, channel and the AP it is associated with.
 * Connects run on the caller's thread (association takes the AP's assoc_ms there);
 * timeline events (ap "LABEL" gone | back | rssi N) run on the stack thread and roam
 * or drop the stations of an AP that went out of range. One lock, world.lock, guards
 * all of it; it is never held while a status callback runs.
 */
#include "wifi.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "eventlog.h"
#include "knobs.h"
#include "netif.h"
#include "timeline.h"

#define WIFI_MIN_RSSI  -90 /* below this an AP is out of range */
#define WIFI_PASS_SIZE 65  /* 64 characters and NUL */
#define WIFI_MAX_LOST  64  /* stations one AP event can drop */

struct wifi_creds {
    char ssid[NSAPI_SSID_SIZE];
    char pass[WIFI_PASS_SIZE];
    nsapi_security_t sec;
};

struct wifi_sta {
    struct network_interface *ni;
    bool has_creds; /* set_credentials was called (successfully) */
    struct wifi_creds creds;
    uint8_t channel;          /* 0: any */
    int ap;                   /* the AP associated with (index into world.aps), or -1 */
    struct wifi_creds joined; /* what it associated with, and on which channel: */
    uint8_t joined_channel;   /* roaming looks for the same network */
    struct wifi_sta *next;
};

struct wifi_ap {
    const struct config_ap *cfg;
    int rssi;  /* now: the timeline may change it */
    bool gone; /* ap "LABEL" gone, until back */
    long dhcp; /* cfg->dhcp as knob_int reads ethernet.dhcp */
};

static struct {
    pthread_mutex_t lock;
    struct wifi_ap aps[CONFIG_MAX_APS];
    int naps;
    struct wifi_sta *stations;
} world = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- small rules --------------------------------------------------------------- */

static const char *security_name(nsapi_security_t sec)
{
    switch (sec) {
    case NSAPI_SECURITY_NONE: return "none";
    case NSAPI_SECURITY_WEP: return "wep";
    case NSAPI_SECURITY_WPA: return "wpa";
    case NSAPI_SECURITY_WPA2: return "wpa2";
    case NSAPI_SECURITY_WPA_WPA2: return "wpa_wpa2";
    case NSAPI_SECURITY_UNKNOWN: return "unknown";
    default: return "other";
    }
}

/* The knob wifi.security's words, in order: none|wep|wpa|wpa2|wpa_wpa2|unknown. */
static nsapi_security_t security_of_knob(long index)
{
    static const nsapi_security_t by_index[] = {
        NSAPI_SECURITY_NONE, NSAPI_SECURITY_WEP,      NSAPI_SECURITY_WPA,
        NSAPI_SECURITY_WPA2, NSAPI_SECURITY_WPA_WPA2, NSAPI_SECURITY_UNKNOWN,
    };

    return index >= 0 && index < 6 ? by_index[index] : NSAPI_SECURITY_NONE;
}

static bool all_hex(const char *s)
{
    for (; *s != '\0'; s++)
        if (!isxdigit((unsigned char)*s))
            return false;
    return true;
}

/* WPA, WPA2 and WPA/WPA2: 8 to 63 characters; WEP: 5 or 13 characters, or 10 or 26 hex
 * digits; unknown: up to 64; none: ignored. */
static bool password_fits(const char *pass, nsapi_security_t sec)
{
    size_t p = pass == NULL ? 0 : strlen(pass);

    switch (sec) {
    case NSAPI_SECURITY_WEP: return p == 5 || p == 13 || ((p == 10 || p == 26) && all_hex(pass));
    case NSAPI_SECURITY_WPA:
    case NSAPI_SECURITY_WPA2:
    case NSAPI_SECURITY_WPA_WPA2: return p >= 8 && p <= 63;
    case NSAPI_SECURITY_UNKNOWN: return p < WIFI_PASS_SIZE;
    default: return true;
    }
}

/* Securities an AP of the fake world may have, and unknown (matches any). */
static bool security_offered(nsapi_security_t sec)
{
    return sec <= NSAPI_SECURITY_WPA_WPA2 || sec == NSAPI_SECURITY_UNKNOWN;
}

/* DESIGN §2's argument rules for credentials. PAP, CHAP, EAP-TLS, PEAP, WPA2 enterprise
 * and WPA3 are securities, but no AP here offers them. */
static nsapi_error_t check_credentials(const char *ssid, const char *pass, nsapi_security_t sec)
{
    size_t n = strlen(ssid);

    if (n == 0 || n > NSAPI_SSID_SIZE - 1)
        return NSAPI_ERROR_PARAMETER;
    if (sec > NSAPI_SECURITY_WPA3_WPA2 && sec != NSAPI_SECURITY_UNKNOWN)
        return NSAPI_ERROR_PARAMETER; /* not a security at all */
    if (!security_offered(sec))
        return NSAPI_ERROR_UNSUPPORTED;
    return password_fits(pass, sec) ? NSAPI_ERROR_OK : NSAPI_ERROR_PARAMETER;
}

/* DESIGN §4: wpa_wpa2 on either side matches wpa or wpa2; unknown on the device side
 * matches any. */
static bool security_matches(nsapi_security_t device, nsapi_security_t ap)
{
    if (device == NSAPI_SECURITY_UNKNOWN || device == ap)
        return true;
    if (device == NSAPI_SECURITY_WPA_WPA2)
        return ap == NSAPI_SECURITY_WPA || ap == NSAPI_SECURITY_WPA2;
    if (ap == NSAPI_SECURITY_WPA_WPA2)
        return device == NSAPI_SECURITY_WPA || device == NSAPI_SECURITY_WPA2;
    return false;
}

static bool password_matches(const struct wifi_creds *c, const struct config_ap *ap)
{
    return ap->security == NSAPI_SECURITY_NONE || strcmp(c->pass, ap->password) == 0;
}

static bool in_range(const struct wifi_ap *ap)
{
    return !ap->gone && ap->rssi >= WIFI_MIN_RSSI;
}

static long dhcp_mode_of(const char *text)
{
    if (strcmp(text, "fail") == 0)
        return -1;
    if (strcmp(text, "nak") == 0)
        return -2;
    if (strncmp(text, "delay_ms:", 9) == 0)
        return strtol(text + 9, NULL, 10);
    return 0; /* ok (the scenario parser checked the value) */
}

/* ---- the world ------------------------------------------------------------------ */

/* The strongest AP in range with that SSID on that channel (0: any); with must_join,
 * only one those credentials join at once (for roaming). -1 when none. Lock held. */
static int strongest_ap(const char *ssid, uint8_t channel, const struct wifi_creds *must_join)
{
    int best = -1;

    for (int i = 0; i < world.naps; i++) {
        const struct wifi_ap *ap = &world.aps[i];

        if (!in_range(ap) || strcmp(ap->cfg->ssid, ssid) != 0)
            continue;
        if (channel != 0 && ap->cfg->channel != channel)
            continue;
        if (must_join != NULL &&
            (ap->cfg->assoc_timeout || !security_matches(must_join->sec, ap->cfg->security) ||
             !password_matches(must_join, ap->cfg)))
            continue;
        if (best < 0 || ap->rssi > world.aps[best].rssi)
            best = i;
    }
    return best;
}

/* Why no AP of ssid was found, for the log. Lock held. */
static const char *no_ssid_reason(const char *ssid, uint8_t channel)
{
    bool exists = false, in_reach = false;

    for (int i = 0; i < world.naps; i++) {
        if (strcmp(world.aps[i].cfg->ssid, ssid) != 0)
            continue;
        exists = true;
        in_reach = in_reach || in_range(&world.aps[i]);
    }
    if (!exists)
        return "absent";
    return in_reach && channel != 0 ? "channel" : "out-of-range";
}

static void ap_event(const struct timeline_event *ev);

void wifi_world_init(const struct config *cfg)
{
    pthread_mutex_lock(&world.lock);
    world.naps = cfg->naps;
    for (int i = 0; i < cfg->naps; i++) {
        world.aps[i].cfg = &cfg->aps[i];
        world.aps[i].rssi = cfg->aps[i].rssi;
        world.aps[i].gone = false;
        world.aps[i].dhcp = dhcp_mode_of(cfg->aps[i].dhcp);
    }
    pthread_mutex_unlock(&world.lock);
    timeline_set_ap_handler(ap_event);
}

/* ---- stations ------------------------------------------------------------------- */

struct wifi_sta *wifi_sta_new(struct network_interface *ni)
{
    struct wifi_sta *sta = calloc(1, sizeof(*sta));

    if (sta == NULL)
        return NULL;
    sta->ni = ni;
    sta->ap = -1;
    pthread_mutex_lock(&world.lock);
    sta->next = world.stations;
    world.stations = sta;
    pthread_mutex_unlock(&world.lock);
    return sta;
}

void wifi_sta_free(struct wifi_sta *sta)
{
    if (sta == NULL)
        return;
    pthread_mutex_lock(&world.lock);
    for (struct wifi_sta **p = &world.stations; *p != NULL; p = &(*p)->next) {
        if (*p == sta) {
            *p = sta->next;
            break;
        }
    }
    pthread_mutex_unlock(&world.lock);
    free(sta);
}

nsapi_error_t wifi_set_credentials(struct network_interface *ni, const char *ssid, const char *pass,
                                   nsapi_security_t sec)
{
    struct wifi_sta *sta = ni->wifi;
    nsapi_error_t r = check_credentials(ssid, pass, sec);

    if (r != NSAPI_ERROR_OK)
        return r;
    pthread_mutex_lock(&world.lock);
    snprintf(sta->creds.ssid, sizeof(sta->creds.ssid), "%s", ssid);
    snprintf(sta->creds.pass, sizeof(sta->creds.pass), "%s",
             pass == NULL || sec == NSAPI_SECURITY_NONE ? "" : pass);
    sta->creds.sec = sec;
    sta->has_creds = true;
    pthread_mutex_unlock(&world.lock);
    return NSAPI_ERROR_OK;
}

void wifi_set_channel(struct network_interface *ni, uint8_t channel)
{
    pthread_mutex_lock(&world.lock);
    ni->wifi->channel = channel;
    pthread_mutex_unlock(&world.lock);
}

/* The credentials to connect with: those set, else the default instance's knobs.
 * Lock held. */
static nsapi_error_t credentials_locked(const struct wifi_sta *sta, struct wifi_creds *c)
{
    if (sta->has_creds) {
        *c = sta->creds;
        return NSAPI_ERROR_OK;
    }
    if (!sta->ni->is_default)
        return NSAPI_ERROR_PARAMETER; /* no SSID */
    knob_text(KNOB_WIFI_SSID, c->ssid, sizeof(c->ssid));
    knob_text(KNOB_WIFI_PASSWORD, c->pass, sizeof(c->pass));
    c->sec = security_of_knob(knob_int(KNOB_WIFI_SECURITY));
    return check_credentials(c->ssid, c->pass, c->sec);
}

nsapi_error_t wifi_check_credentials(struct network_interface *ni)
{
    struct wifi_creds c;
    nsapi_error_t r;

    pthread_mutex_lock(&world.lock);
    r = credentials_locked(ni->wifi, &c);
    pthread_mutex_unlock(&world.lock);
    return r;
}

static void format_bssid(const uint8_t *b, char *out, size_t len)
{
    snprintf(out, len, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

/* The second half of association, after assoc_ms: is the AP still there, and do the
 * credentials join it? Associates the station when they do. */
static nsapi_error_t finish_association(struct wifi_sta *sta, int idx, const struct wifi_creds *c,
                                        uint8_t channel)
{
    const struct config_ap *cfg = world.aps[idx].cfg;
    const char *failure = NULL;
    nsapi_error_t r = NSAPI_ERROR_OK;

    pthread_mutex_lock(&world.lock);
    if (!in_range(&world.aps[idx])) {
        r = NSAPI_ERROR_NO_SSID;
        failure = "lost";
    } else if (!security_matches(c->sec, cfg->security)) {
        r = NSAPI_ERROR_AUTH_FAILURE;
        failure = "security";
    } else if (!password_matches(c, cfg)) {
        r = NSAPI_ERROR_AUTH_FAILURE;
        failure = "password";
    } else {
        sta->ap = idx;
        sta->joined = *c;
        sta->joined_channel = channel;
    }
    pthread_mutex_unlock(&world.lock);
    if (r == NSAPI_ERROR_OK)
        eventlog("wifi assoc ok ap=\"%s\"", cfg->label);
    else if (r == NSAPI_ERROR_NO_SSID)
        eventlog("wifi assoc lost ap=\"%s\" (out of range during association)", cfg->label);
    else
        eventlog("wifi auth fail ap=\"%s\" reason=%s security=%s ap_security=%s", cfg->label,
                 failure, security_name(c->sec), security_name(cfg->security));
    return r;
}

nsapi_error_t wifi_associate(struct network_interface *ni)
{
    struct wifi_sta *sta = ni->wifi;
    const struct config_ap *cfg;
    struct wifi_creds c;
    char bssid[18];
    uint8_t channel;
    int idx = -1, rssi = 0;
    const char *reason = NULL;
    nsapi_error_t r;

    pthread_mutex_lock(&world.lock);
    r = credentials_locked(sta, &c);
    channel = sta->channel;
    if (r == NSAPI_ERROR_OK) {
        idx = strongest_ap(c.ssid, channel, NULL);
        if (idx < 0)
            reason = no_ssid_reason(c.ssid, channel);
        else
            rssi = world.aps[idx].rssi;
    }
    pthread_mutex_unlock(&world.lock);
    if (r != NSAPI_ERROR_OK)
        return r;
    eventlog("wifi connect ssid=\"%s\" security=%s channel=%u", c.ssid, security_name(c.sec),
             channel);
    if (idx < 0) {
        eventlog("wifi no-ssid ssid=\"%s\" reason=%s", c.ssid, reason);
        return NSAPI_ERROR_NO_SSID;
    }
    cfg = world.aps[idx].cfg; /* the configuration never changes */
    format_bssid(cfg->bssid, bssid, sizeof(bssid));
    if (cfg->assoc_timeout) {
        long ms = knob_int(KNOB_WIFI_ASSOC_TIMEOUT_MS);

        eventlog("wifi assoc ap=\"%s\" bssid=%s channel=%d rssi=%d assoc=timeout", cfg->label,
                 bssid, cfg->channel, rssi);
        sleep_ms(ms);
        eventlog("wifi assoc timeout ap=\"%s\" ms=%ld", cfg->label, ms);
        return NSAPI_ERROR_CONNECTION_TIMEOUT;
    }
    eventlog("wifi assoc ap=\"%s\" bssid=%s channel=%d rssi=%d assoc_ms=%d", cfg->label, bssid,
             cfg->channel, rssi, cfg->assoc_ms);
    sleep_ms(cfg->assoc_ms);
    return finish_association(sta, idx, &c, channel);
}

bool wifi_associated(struct network_interface *ni)
{
    bool r;

    pthread_mutex_lock(&world.lock);
    r = ni->wifi->ap >= 0;
    pthread_mutex_unlock(&world.lock);
    return r;
}

void wifi_leave(struct network_interface *ni, const char *why)
{
    const char *label = NULL;

    pthread_mutex_lock(&world.lock);
    if (ni->wifi->ap >= 0)
        label = world.aps[ni->wifi->ap].cfg->label;
    ni->wifi->ap = -1;
    pthread_mutex_unlock(&world.lock);
    if (label != NULL)
        eventlog("wifi leave ap=\"%s\" why=%s", label, why);
}

long wifi_dhcp_mode(struct network_interface *ni)
{
    const char *label = "", *text = "ok";
    long mode = 0;

    pthread_mutex_lock(&world.lock);
    if (ni->wifi->ap >= 0) {
        const struct wifi_ap *ap = &world.aps[ni->wifi->ap];

        label = ap->cfg->label;
        text = ap->cfg->dhcp;
        mode = ap->dhcp;
    }
    pthread_mutex_unlock(&world.lock);
    eventlog("wifi dhcp ap=\"%s\" dhcp=%s", label, text);
    return mode;
}

int8_t wifi_rssi(struct network_interface *ni)
{
    int rssi = 0;

    pthread_mutex_lock(&world.lock);
    if (ni->wifi->ap >= 0 && netif_is_up(ni))
        rssi = world.aps[ni->wifi->ap].rssi;
    pthread_mutex_unlock(&world.lock);
    return (int8_t)rssi;
}

nsapi_size_or_error_t wifi_scan(struct network_interface *ni, nsapi_wifi_ap_t *res,
                                nsapi_size_t count)
{
    int order[CONFIG_MAX_APS], n = 0;
    nsapi_size_t filled = 0;

    (void)ni;
    pthread_mutex_lock(&world.lock);
    /* In range, strongest first; equal signals keep the scenario's order. */
    for (int i = 0; i < world.naps; i++) {
        int j;

        if (!in_range(&world.aps[i]))
            continue;
        for (j = n++; j > 0 && world.aps[order[j - 1]].rssi < world.aps[i].rssi; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    for (int k = 0; k < n && filled < count; k++, filled++) {
        const struct wifi_ap *ap = &world.aps[order[k]];
        nsapi_wifi_ap_t *out = &res[filled];

        memset(out, 0, sizeof(*out));
        if (!ap->cfg->hidden)
            snprintf(out->ssid, sizeof(out->ssid), "%s", ap->cfg->ssid);
        memcpy(out->bssid, ap->cfg->bssid, sizeof(out->bssid));
        out->security = ap->cfg->security;
        out->rssi = (int8_t)ap->rssi;
        out->channel = (uint8_t)ap->cfg->channel;
    }
    pthread_mutex_unlock(&world.lock);
    eventlog("wifi scan found=%d returned=%u", n, (unsigned)filled);
    return count == 0 ? n : (nsapi_size_or_error_t)filled;
}

/* ---- timeline events, on the stack thread ---------------------------------------- */

/* The AP at idx went out of range: each station on it roams to the strongest other AP
 * its credentials join, or loses it. Collects (and holds) the interfaces that lost it.
 * Lock held. */
static int move_stations(int idx, struct network_interface **lost)
{
    int n = 0;

    for (struct wifi_sta *sta = world.stations; sta != NULL; sta = sta->next) {
        int to;

        if (sta->ap != idx)
            continue;
        to = strongest_ap(sta->joined.ssid, sta->joined_channel, &sta->joined);
        if (to >= 0) {
            sta->ap = to;
            eventlog("wifi roam from=\"%s\" to=\"%s\" rssi=%d", world.aps[idx].cfg->label,
                     world.aps[to].cfg->label, world.aps[to].rssi);
            continue;
        }
        sta->ap = -1;
        eventlog("wifi lost ap=\"%s\" (no other AP of ssid \"%s\" to roam to)",
                 world.aps[idx].cfg->label, sta->joined.ssid);
        /* An interface being freed is past caring (it waits for this lock first). */
        if (n < WIFI_MAX_LOST && netif_try_ref(sta->ni))
            lost[n++] = sta->ni;
    }
    return n;
}

static void ap_event(const struct timeline_event *ev)
{
    struct network_interface *lost[WIFI_MAX_LOST];
    struct wifi_ap *ap;
    bool was_in_range;
    int n = 0;

    pthread_mutex_lock(&world.lock);
    ap = &world.aps[ev->ap];
    was_in_range = in_range(ap);
    switch (ev->kind) {
    case TIMELINE_AP_GONE:
        ap->gone = true;
        eventlog("wifi ap=\"%s\" gone", ap->cfg->label);
        break;
    case TIMELINE_AP_BACK:
        ap->gone = false;
        eventlog("wifi ap=\"%s\" back%s", ap->cfg->label,
                 in_range(ap) ? "" : " (still out of range: rssi below -90)");
        break;
    default:
        ap->rssi = ev->rssi;
        eventlog("wifi ap=\"%s\" rssi=%d%s", ap->cfg->label, ev->rssi,
                 ev->rssi < WIFI_MIN_RSSI ? " (out of range)" : "");
        break;
    }
    if (was_in_range && !in_range(ap))
        n = move_stations(ev->ap, lost);
    pthread_mutex_unlock(&world.lock);

    for (int i = 0; i < n; i++) {
        netif_wifi_lost(lost[i]);
        netif_unref(lost[i]);
    }
}
