/*
 * eventlog.h: the event log (DESIGN §5). Its first line records the seed; then one
 * line per event, "t=SECONDS SUBJECT WHAT key=value ...", t from program start. Two
 * runs with one seed give the same lines once the t= fields are removed, so nothing
 * that the kernel chooses (local ports, fds) may appear in a line.
 */
#ifndef NSEMU_EVENTLOG_H
#define NSEMU_EVENTLOG_H

#include <stdbool.h>
#include <stdint.h>

/* Opens the log (when path is not empty) and writes the seed line. */
void eventlog_open(const char *path, uint64_t seed);

bool eventlog_enabled(void);

/* One event: "t=... " then the formatted text, then a newline. Thread-safe; nothing
 * happens when no log is open. */
void eventlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Called when a random fault becomes active: without a log, prints the seed once on
 * stderr ("nsemu: seed 42 (replay with NSEMU_SEED=42)"). */
void eventlog_random_fault_active(void);

/* Seconds since the program started, for the t= field and the timeline. */
double eventlog_now(void);
uint64_t program_ms(void);

#endif /* NSEMU_EVENTLOG_H */
