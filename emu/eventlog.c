/*
 * eventlog.c: the event log file and the seed line on stderr. One mutex keeps lines
 * whole; every line is flushed, so a crashing device program still leaves its log.
 */
#include "eventlog.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_file;
static uint64_t log_seed;
static atomic_bool seed_printed;
static uint64_t start_ns;

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The program's start, as the library sees it: its constructor. */
__attribute__((constructor(101))) static void note_start(void)
{
    start_ns = mono_ns();
}

uint64_t program_ms(void)
{
    return (mono_ns() - start_ns) / 1000000u;
}

double eventlog_now(void)
{
    return (double)(mono_ns() - start_ns) / 1e9;
}

void eventlog_open(const char *path, uint64_t seed)
{
    log_seed = seed;
    if (path == NULL || path[0] == '\0')
        return;
    log_file = fopen(path, "we");
    if (log_file == NULL)
        config_error("%s: cannot write the event log", path);
    fprintf(log_file, "nsemu %s seed=%" PRIu64 "\n", NSEMU_VERSION, seed);
    fflush(log_file);
}

bool eventlog_enabled(void)
{
    return log_file != NULL;
}

void eventlog(const char *fmt, ...)
{
    va_list ap;

    if (log_file == NULL)
        return;
    pthread_mutex_lock(&log_lock);
    fprintf(log_file, "t=%.6f ", eventlog_now());
    va_start(ap, fmt);
    vfprintf(log_file, fmt, ap);
    va_end(ap);
    fputc('\n', log_file);
    fflush(log_file);
    pthread_mutex_unlock(&log_lock);
}

void eventlog_random_fault_active(void)
{
    if (log_file != NULL || atomic_exchange(&seed_printed, true))
        return;
    fprintf(stderr, "nsemu: seed %" PRIu64 " (replay with NSEMU_SEED=%" PRIu64 ")\n", log_seed,
            log_seed);
}
