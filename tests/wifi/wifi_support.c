/*
 * wifi_support.c: the wifi suite's helpers (wifi_support.h).
 */
#include "wifi_support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eventlog.h"
#include "harness.h"

static void record_status(void *ctx, nsapi_event_t ev, intptr_t arg)
{
    struct status_log *log = ctx;

    if (ev != NSAPI_EVENT_CONNECTION_STATUS_CHANGE)
        return;
    pthread_mutex_lock(&log->ev.lock);
    if (log->n < MAX_STATUS)
        log->status[log->n++] = arg;
    log->ev.count++;
    event_broadcast(&log->ev);
    pthread_mutex_unlock(&log->ev.lock);
}

void status_log_attach(struct status_log *log, network_interface_t *ni)
{
    memset(log, 0, sizeof(*log));
    event_init(&log->ev);
    network_interface_attach(ni, record_status, log);
}

void status_log_detach(struct status_log *log, network_interface_t *ni)
{
    network_interface_attach(ni, NULL, NULL);
    event_destroy(&log->ev);
}

unsigned status_log_count(struct status_log *log)
{
    unsigned n;

    pthread_mutex_lock(&log->ev.lock);
    n = log->n;
    pthread_mutex_unlock(&log->ev.lock);
    return n;
}

intptr_t status_log_at(struct status_log *log, unsigned i)
{
    intptr_t s = -1;

    pthread_mutex_lock(&log->ev.lock);
    if (i < log->n)
        s = log->status[i];
    pthread_mutex_unlock(&log->ev.lock);
    return s;
}

struct status_wanted {
    struct status_log *log;
    nsapi_connection_status_t status;
    unsigned from;
};

static bool status_seen(void *arg) /* ev.lock held */
{
    struct status_wanted *w = arg;

    for (unsigned i = w->from; i < w->log->n; i++)
        if (w->log->status[i] == (intptr_t)w->status)
            return true;
    return false;
}

bool status_log_wait(struct status_log *log, nsapi_connection_status_t status, unsigned from,
                     int timeout_ms)
{
    struct status_wanted w = {log, status, from};

    return event_wait_for(&log->ev, status_seen, &w, timeout_ms);
}

bool wait_until(bool (*pred)(void *arg), void *arg, int timeout_ms)
{
    uint64_t end = test_now_ms() + (uint64_t)timeout_ms;
    struct timespec step = {0, 5 * 1000000L};

    while (!pred(arg)) {
        if (test_now_ms() >= end)
            return false;
        nanosleep(&step, NULL);
    }
    return true;
}

wifi_interface_t *wifi_new(void)
{
    wifi_interface_t *w = wifi_interface_new();

    assert_non_null(w);
    return w;
}

uint64_t timeline_ms(void)
{
    return program_ms();
}

bool event_log_has(const char *text)
{
    const char *path = getenv("NSEMU_LOG");
    char line[1024];
    bool found = false;
    FILE *f;

    if (path == NULL || (f = fopen(path, "r")) == NULL)
        return false;
    while (!found && fgets(line, sizeof(line), f) != NULL)
        found = strstr(line, text) != NULL;
    fclose(f);
    return found;
}
