/*
 * timeline.c: the scenario's timeline. One libuv timer walks the sorted events on the
 * stack thread; each event runs at its time from program start: set a runtime knob,
 * pull the cable out or plug it back, reset every connection, or change an access
 * point (handed to the WiFi world).
 */
#include "timeline.h"

#include <stdio.h>

#include "device.h"
#include "eventlog.h"
#include "faults.h"
#include "knobs.h"
#include "shaper.h"
#include "sock.h"
#include "wifi.h"

static uv_timer_t timer;
static const struct config *timeline_cfg;
static int next_event;
static void (*ap_handler)(const struct timeline_event *ev);

void timeline_set_ap_handler(void (*fn)(const struct timeline_event *ev))
{
    ap_handler = fn;
}

bool runtime_knob_set(int knob, const char *value, const char *source)
{
    char why[200];

    if (!knob_set(knob, value, false, why, sizeof(why)))
        return false;
    eventlog("%s set %s %s", source, knob_defs[knob].name, value);
    faults_knob_changed(knob);
    shaper_knob_changed();
    return true;
}

static void run_event(const struct timeline_event *ev)
{
    switch (ev->kind) {
    case TIMELINE_SET:
        runtime_knob_set(ev->knob, ev->value, "timeline");
        break;
    case TIMELINE_LINK_DOWN:
        device_set_link(false);
        break;
    case TIMELINE_LINK_UP:
        device_set_link(true);
        break;
    case TIMELINE_CONNECTIONS_RESET:
        eventlog("timeline connections reset");
        sock_reset_all_connections("timeline");
        break;
    case TIMELINE_AP_GONE:
    case TIMELINE_AP_BACK:
    case TIMELINE_AP_RSSI:
        if (ap_handler != NULL)
            ap_handler(ev);
        else
            eventlog("timeline ap line=%d ignored (no WiFi interface)", ev->line);
        break;
    }
}

static void schedule_next(void);

static void fire(uv_timer_t *t)
{
    (void)t;
    while (next_event < timeline_cfg->nevents &&
           timeline_cfg->events[next_event].at_ms <= program_ms())
        run_event(&timeline_cfg->events[next_event++]);
    schedule_next();
}

static void schedule_next(void)
{
    uint64_t now = program_ms(), at;

    if (next_event >= timeline_cfg->nevents)
        return;
    at = timeline_cfg->events[next_event].at_ms;
    uv_timer_start(&timer, fire, at > now ? at - now : 0, 0);
}

void timeline_start(uv_loop_t *loop, const struct config *cfg)
{
    timeline_cfg = cfg;
    next_event = 0;
    wifi_world_init(cfg); /* takes the ap events */
    if (cfg->nevents == 0)
        return;
    uv_timer_init(loop, &timer);
    schedule_next();
}
