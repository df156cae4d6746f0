/*
 * control.c: the control API of <nsemu/nsemu.h>: runtime knobs and counters, for tests
 * and tools that change the emulated world while the device program runs.
 */
#include <nsemu/nsemu.h>

#include <stdio.h>
#include <string.h>

#include "common.h"
#include "config.h"
#include "device.h"
#include "eventlog.h"
#include "faults.h"
#include "knobs.h"
#include "shaper.h"
#include "stack.h"
#include "timeline.h"

/* A runtime knob of the link in use: like the scenario file and NSEMU_FAULTS, the
 * control API refuses the other link's knobs (frame.* on the host link). */
static int runtime_knob(const char *name)
{
    int id = knob_find(name);
    int other = config_get()->link == CONFIG_LINK_TAP ? KNOB_HOST : KNOB_TAP;

    if (id < 0 || !(knob_defs[id].flags & KNOB_RUNTIME) || (knob_defs[id].flags & other))
        return -1;
    return id;
}

NSEMU_EXPORT nsapi_error_t nsemu_set(const char *knob, const char *value)
{
    int id;

    emu_ensure();
    id = runtime_knob(knob);
    if (id < 0 || value == NULL || !runtime_knob_set(id, value, "control"))
        return NSAPI_ERROR_PARAMETER;
    return NSAPI_ERROR_OK;
}

NSEMU_EXPORT nsapi_error_t nsemu_clear(const char *knob)
{
    int id;

    emu_ensure();
    id = runtime_knob(knob);
    if (id < 0)
        return NSAPI_ERROR_PARAMETER;
    knob_restore(id);
    eventlog("control clear %s", knob_defs[id].name);
    faults_knob_changed(id);
    shaper_knob_changed();
    return NSAPI_ERROR_OK;
}

NSEMU_EXPORT nsapi_error_t nsemu_reset(void)
{
    emu_ensure();
    for (int id = 0; id < KNOB_COUNT; id++)
        if (knob_defs[id].flags & KNOB_RUNTIME)
            knob_restore(id);
    eventlog("control reset");
    for (int id = 0; id < KNOB_COUNT; id++)
        if (knob_defs[id].flags & KNOB_RUNTIME)
            faults_knob_changed(id);
    shaper_knob_changed();
    return NSAPI_ERROR_OK;
}

NSEMU_EXPORT nsapi_error_t nsemu_get(const char *knob, char *buf, size_t len)
{
    char text[256];
    int id;

    emu_ensure();
    id = knob_find(knob);
    if (id < 0 || buf == NULL)
        return NSAPI_ERROR_PARAMETER;
    knob_text(id, text, sizeof(text));
    if (strlen(text) >= len)
        return NSAPI_ERROR_NO_MEMORY;
    memcpy(buf, text, strlen(text) + 1);
    return NSAPI_ERROR_OK;
}

NSEMU_EXPORT nsapi_error_t nsemu_counter(const char *name, uint64_t *value)
{
    int id;

    emu_ensure();
    id = counter_find(name);
    if (id < 0 || value == NULL)
        return NSAPI_ERROR_PARAMETER;
    *value = atomic_load(&device_counters[id]);
    return NSAPI_ERROR_OK;
}
