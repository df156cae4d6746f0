/*
 * common.h: small things every nsemu source needs: the export marker for the public
 * API, monotonic time, and the deadline arithmetic blocking calls share.
 */
#ifndef NSEMU_COMMON_H
#define NSEMU_COMMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Marks a function of the public API; everything else stays hidden in libnsemu.so. */
#define NSEMU_EXPORT __attribute__((visibility("default")))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t now_ms(void);

/* A point in time a blocking call gives up at; forever when timeout_ms < 0. */
struct deadline {
    bool forever;
    uint64_t at_ms;
};

void deadline_start(struct deadline *d, int timeout_ms);
/* Milliseconds left, for poll(): -1 forever, 0 when expired. */
int deadline_left(const struct deadline *d);

/* Sleeps the calling thread ms milliseconds (signals do not cut it short). */
void sleep_ms(long ms);

/* Starts one of nsemu's own threads (the stack thread, the wire, the gateway, DHCP
 * renewal, an interface coming back): it takes no signals, which belong to the device
 * program. Detached threads free themselves; otherwise the caller joins *thread.
 * 0 or an errno value. */
int nsemu_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg, bool detached);

/* Prints "nsemu: <message>" style configuration errors (DESIGN §5) and exits 2. */
void config_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif /* NSEMU_COMMON_H */
