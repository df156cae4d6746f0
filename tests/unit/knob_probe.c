/*
 * knob_probe.c: a minimal device program for the configuration tests
 * (test_config_errors, test_scenario): it starts the library, which reads the scenario
 * file and the environment before main, then prints what it is asked for:
 *   knob_probe KNOB...    each knob's value, one per line
 *   knob_probe --config   what the configuration holds besides knobs (seed, link, APs,
 *                         static names, forwards, timeline), one item per line
 *   knob_probe --read F   the same for scenario file F alone: no environment and no
 *                         link check, so tap-only sections can be seen parsed
 */
#include <stdio.h>
#include <string.h>

#include <netsocket/netsocket.h>
#include <nsemu/nsemu.h>

#include "addr.h"
#include "config.h"
#include "knobs.h"

static const char *security_name(nsapi_security_t s)
{
    switch (s) {
    case NSAPI_SECURITY_NONE: return "none";
    case NSAPI_SECURITY_WEP: return "wep";
    case NSAPI_SECURITY_WPA: return "wpa";
    case NSAPI_SECURITY_WPA2: return "wpa2";
    case NSAPI_SECURITY_WPA_WPA2: return "wpa_wpa2";
    default: return "?";
    }
}

static void print_aps(const struct config *cfg)
{
    for (int i = 0; i < cfg->naps; i++) {
        const struct config_ap *ap = &cfg->aps[i];
        const uint8_t *b = ap->bssid;

        printf("ap \"%s\" ssid=\"%s\" bssid=%02x:%02x:%02x:%02x:%02x:%02x security=%s "
               "password=\"%s\" rssi=%d channel=%d hidden=%s assoc_ms=%d assoc=%s dhcp=%s\n",
               ap->label, ap->ssid, b[0], b[1], b[2], b[3], b[4], b[5], security_name(ap->security),
               ap->password, ap->rssi, ap->channel, ap->hidden ? "true" : "false", ap->assoc_ms,
               ap->assoc_timeout ? "timeout" : "ok", ap->dhcp);
    }
}

static void print_event(const struct config *cfg, const struct timeline_event *ev)
{
    static const char *const kinds[] = {
        [TIMELINE_SET] = "set",         [TIMELINE_LINK_DOWN] = "link down",
        [TIMELINE_LINK_UP] = "link up", [TIMELINE_CONNECTIONS_RESET] = "connections reset",
        [TIMELINE_AP_GONE] = "gone",    [TIMELINE_AP_BACK] = "back",
        [TIMELINE_AP_RSSI] = "rssi",
    };

    printf("event %llu line=%d ", (unsigned long long)ev->at_ms, ev->line);
    if (ev->kind == TIMELINE_SET)
        printf("set %s %s\n", knob_defs[ev->knob].name, ev->value);
    else if (ev->kind == TIMELINE_AP_RSSI)
        printf("ap \"%s\" rssi %d\n", cfg->aps[ev->ap].label, ev->rssi);
    else if (ev->kind == TIMELINE_AP_GONE || ev->kind == TIMELINE_AP_BACK)
        printf("ap \"%s\" %s\n", cfg->aps[ev->ap].label, kinds[ev->kind]);
    else
        printf("%s\n", kinds[ev->kind]);
}

static void print_config(const struct config *cfg)
{
    char ip[NSAPI_IP_SIZE];

    if (cfg->seed_given)
        printf("seed %llu\n", (unsigned long long)cfg->seed);
    printf("link %s\n", cfg->link == CONFIG_LINK_TAP ? "tap" : "host");
    printf("interface %s\n", cfg->interface == CONFIG_IFACE_WIFI ? "wifi" : "ethernet");
    printf("log %s\n", cfg->log);
    printf("aps_given %s\n", cfg->aps_given ? "true" : "false");
    print_aps(cfg);
    for (int i = 0; i < cfg->nstatics; i++) {
        addr_format(&cfg->statics[i].addr, ip, sizeof(ip));
        printf("static %s %s\n", cfg->statics[i].name, ip);
    }
    for (int i = 0; i < cfg->nforwards; i++) {
        const struct config_forward *f = &cfg->forwards[i];

        addr_format(&f->target, ip, sizeof(ip));
        printf("forward %s:%u -> %s port %u\n", f->udp ? "udp" : "tcp", f->port, ip,
               f->target_port);
    }
    printf("lease_s %d\n", cfg->lease_s);
    for (int i = 0; i < cfg->nevents; i++)
        print_event(cfg, &cfg->events[i]);
}

int main(int argc, char **argv)
{
    char value[256];

    if (network_interface_get_default_instance() == NULL)
        return 1;
    if (argc > 1 && strcmp(argv[1], "--config") == 0) {
        print_config(config_get());
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "--read") == 0) {
        static struct config cfg;

        config_read_scenario(argv[2], &cfg);
        print_config(&cfg);
        return 0;
    }
    for (int i = 1; i < argc; i++)
        if (nsemu_get(argv[i], value, sizeof(value)) == NSAPI_ERROR_OK)
            printf("%s\n", value);
    return 0;
}
