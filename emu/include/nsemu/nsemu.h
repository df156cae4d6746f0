/*
 * nsemu.h: the control API. Tests and tools change the emulated world while the device
 * program runs: runtime knobs (the [faults] keys, dns.mode, dns.delay_ms, ethernet.dhcp,
 * device.connect_timeout_ms) and counters. Every function is thread-safe, returns an
 * nsapi_error_t (NSAPI_ERROR_PARAMETER for an unknown knob, a knob of the other link or
 * a bad value) and never exits. docs/scenario.md lists the knobs; docs/api.md the counters.
 */
#ifndef NSEMU_NSEMU_H
#define NSEMU_NSEMU_H

#include <stddef.h>
#include <stdint.h>

#include <netsocket/nsapi_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Sets a runtime knob ("udp.loss", "0.25"). Start-up knobs cannot change: PARAMETER. */
nsapi_error_t nsemu_set(const char *knob, const char *value);
/* Puts one runtime knob back to its start-up value. */
nsapi_error_t nsemu_clear(const char *knob);
/* Puts every runtime knob back to its start-up value. */
nsapi_error_t nsemu_reset(void);
/* Copies any knob's current value, as text, into buf (NUL-terminated);
 * NSAPI_ERROR_NO_MEMORY when len is too small. */
nsapi_error_t nsemu_get(const char *knob, char *buf, size_t len);
/* Reads a counter ("sockets.open", "bytes.sent", ...). */
nsapi_error_t nsemu_counter(const char *name, uint64_t *value);

#ifdef __cplusplus
}
#endif

#endif /* NSEMU_NSEMU_H */
