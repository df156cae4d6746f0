/*
 * tap_support.h: what the tap suite's tests share: reaching into the namespaces of this
 * process's tap link, echo servers there, and the shell. Tests run through tap_run.sh,
 * which skips them without the capabilities.
 */
#ifndef NSEMU_TAP_SUPPORT_H
#define NSEMU_TAP_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <netsocket/nsapi_types.h>

/* "nsemu-<pid>-<suffix>" for this process (suffix dev, peer, gw). */
const char *tap_ns(const char *suffix);

/* A socket made inside namespace name (a bound, listening or plain socket: the caller
 * binds it). Blocking. Fails the test on error. */
int tap_socket_in(const char *name, int domain, int type);

/* Echo servers on ip:port inside namespace name, each on its own thread, for the rest
 * of the process's life: TCP echoes every connection (several at once); UDP echoes every
 * datagram to its sender. */
void tap_tcp_echo_in(const char *name, const char *ip, int port);
void tap_udp_echo_in(const char *name, const char *ip, int port);

/* Runs a shell command; its exit status. The output, when out is not NULL. */
int tap_sh(char *out, size_t out_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Records the status callbacks of an interface (network_interface_attach(ni,
 * tap_status_record, NULL)): how many came, and the first 16 of them. */
void tap_status_record(void *ctx, nsapi_event_t ev, intptr_t arg);
int tap_status_count(void);
int tap_status_at(int i);

/* How many times what occurs in the event log file at path. */
int tap_log_count(const char *path, const char *what);

/* Brings the device's default interface up with set_network (10.0.2.15/24 via
 * 10.0.2.2), failing the test on error. */
void tap_static_up(void);

#endif /* NSEMU_TAP_SUPPORT_H */
