/*
 * gateway_support.h: helpers of the built-in gateway's tests (suite tap): echo servers
 * on host loopback at the fixed ports the scenario files forward to, the device's
 * interface brought up with a static address on the LAN, and checks of the event log
 * (NSEMU_LOG) and of a command's output.
 */
#ifndef NSEMU_GATEWAY_SUPPORT_H
#define NSEMU_GATEWAY_SUPPORT_H

#include <stdbool.h>
#include <stdint.h>

#include <netsocket/netsocket.h>

#define WAIT_MS 5000 /* bound on waiting for something that must happen */

/* A server on 127.0.0.1:port, on threads of its own. TCP echo serves each connection on
 * its own thread and closes its end once the device closed its own; UDP echo sends each
 * datagram back to its sender; the greeter sends GREETING to each connection and
 * closes; the source sends SOURCE_BYTES, byte i being source_byte(i), and closes:
 * more than the kernel's buffers on the way hold (a few MB each side). */
#define GREETING "hello from the host\n"
#define SOURCE_BYTES (32u << 20)
uint8_t source_byte(size_t i);
enum lan_server_kind { LAN_TCP_ECHO, LAN_UDP_ECHO, LAN_TCP_GREETER, LAN_TCP_SOURCE };
struct lan_server;
struct lan_server *lan_server_start(enum lan_server_kind kind, uint16_t port);
/* TCP connections served to their end. */
unsigned lan_server_done(struct lan_server *s);
void lan_server_stop(struct lan_server *s);

/* The default interface with 10.0.2.15/24 and gateway 10.0.2.2 (no DHCP), connected. */
network_interface_t *lan_interface(void);

/* True when at least n lines of the event log contain needle, within timeout_ms. */
bool eventlog_reaches(const char *needle, int n, int timeout_ms);
/* True when a line of the event log contains needle, within timeout_ms. */
bool eventlog_has_within(const char *needle, int timeout_ms);
/* How many lines of the event log contain needle now. */
int eventlog_count(const char *needle);

/* True when the output of the shell command cmd contains needle. */
bool command_output_has(const char *cmd, const char *needle);

/* Pseudo-random bytes, the same for the same seed. */
void fill_pattern(uint8_t *buf, size_t n, uint32_t seed);

#endif /* NSEMU_GATEWAY_SUPPORT_H */
