/*
 * common.c: monotonic time, deadlines and the one way the library reports a
 * configuration error (a single line on stderr, exit status 2, DESIGN §5).
 */
#include "common.h"

#include <signal.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void deadline_start(struct deadline *d, int timeout_ms)
{
    d->forever = timeout_ms < 0;
    d->at_ms = d->forever ? 0 : now_ms() + (uint64_t)timeout_ms;
}

int deadline_left(const struct deadline *d)
{
    uint64_t now;

    if (d->forever)
        return -1;
    now = now_ms();
    if (now >= d->at_ms)
        return 0;
    /* Round up by one so poll() never wakes a hair early and reports a false timeout;
     * a very long wait is cut to INT_MAX and simply waited again. */
    return d->at_ms - now >= INT_MAX ? INT_MAX : (int)(d->at_ms - now) + 1;
}

void config_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    exit(2);
}

void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int nsemu_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg, bool detached)
{
    pthread_attr_t attr;
    sigset_t all, old;
    int err;

    pthread_attr_init(&attr);
    if (detached)
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the new thread inherits the mask */
    err = pthread_create(thread, &attr, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return err;
}
