/*
 * timeline.h: runs the scenario's [timeline] (DESIGN §5) on the stack thread, each
 * event at its time from program start.
 */
#ifndef NSEMU_TIMELINE_H
#define NSEMU_TIMELINE_H

#include <uv.h>

#include "config.h"

/* Schedules every event of cfg on loop (before or on the stack thread). */
void timeline_start(uv_loop_t *loop, const struct config *cfg);

/* Who handles the ap "LABEL" events (the fake WiFi world); NULL: they are only
 * logged. Runs on the stack thread. */
void timeline_set_ap_handler(void (*fn)(const struct timeline_event *ev));

/* Sets a runtime knob now, as the timeline and the control API do: checks, sets,
 * logs ("SOURCE set KNOB VALUE") and prints the seed when a random fault turns on.
 * Returns false for a bad value. */
bool runtime_knob_set(int knob, const char *value, const char *source);

#endif /* NSEMU_TIMELINE_H */
