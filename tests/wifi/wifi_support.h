/*
 * wifi_support.h: helpers of the wifi suite (tests/api/api_support.h has the general
 * ones): a status callback that records what it saw, bounded waits, and a look into
 * the event log the suite's executables write (NSEMU_LOG).
 */
#ifndef NSEMU_WIFI_SUPPORT_H
#define NSEMU_WIFI_SUPPORT_H

#include <stdbool.h>
#include <stdint.h>

#include <netsocket/netsocket.h>

#include "api_support.h"

#define MAX_STATUS 32

/* What a status callback saw, under ev.lock. */
struct status_log {
    struct event ev;
    unsigned n;
    intptr_t status[MAX_STATUS];
};

/* Starts an empty log and attaches it to ni as ni's status callback. */
void status_log_attach(struct status_log *log, network_interface_t *ni);
/* Detaches it from ni and frees what it holds. */
void status_log_detach(struct status_log *log, network_interface_t *ni);
/* How many statuses it saw, and the i-th. */
unsigned status_log_count(struct status_log *log);
intptr_t status_log_at(struct status_log *log, unsigned i);
/* Waits (bounded) until it has seen status at index `from` or later. */
bool status_log_wait(struct status_log *log, nsapi_connection_status_t status, unsigned from,
                     int timeout_ms);

/* Waits until pred(arg) holds, looking every 5 ms, for at most timeout_ms: for states
 * no callback reports (an RSSI after a roam). */
bool wait_until(bool (*pred)(void *arg), void *arg, int timeout_ms);

/* A new WiFi interface (asserts). */
wifi_interface_t *wifi_new(void);

/* Milliseconds since the program started, as the timeline counts them. */
uint64_t timeline_ms(void);

/* True when the event log (NSEMU_LOG) has a line containing text. */
bool event_log_has(const char *text);

#endif /* NSEMU_WIFI_SUPPORT_H */
