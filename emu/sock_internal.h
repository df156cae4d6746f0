/*
 * sock_internal.h: what sock.c, sock_tcp.c and sock_udp.c share and nobody else uses.
 */
#ifndef NSEMU_SOCK_INTERNAL_H
#define NSEMU_SOCK_INTERNAL_H

#include "sock.h"

#include "common.h"

/* Marks a call inside s (close waits for it) and gives the fd and the timeout to use;
 * -EBADF when not open, the kill error when the connection was killed. */
int sock_enter(struct nsemu_socket *s, int *fd, int *timeout_ms);
/* sock_prepare for family, then sock_enter: for bind, connect and sendto. */
int sock_enter_family(struct nsemu_socket *s, int family, int *fd, int *timeout_ms);
void sock_leave(struct nsemu_socket *s);
/* Waits for events on fd, the deadline, close or kill; 0: try the system call again. */
int sock_wait(struct nsemu_socket *s, int fd, short events, const struct deadline *dl);
/* recv (from NULL) or recvfrom, waiting as the timeout says; bytes or -errno. */
long recv_wait(struct nsemu_socket *s, int fd, int timeout, void *data, size_t size,
               struct sockaddr_storage *from);
/* Asks the sigio poll to report UV_READABLE / UV_WRITABLE again after a call. */
void sigio_rearm(struct nsemu_socket *s, int bits);
/* Kills s's connection (peer reset, CONNECTION_LOST for the device); false when it was
 * dead already. */
bool sock_kill(struct nsemu_socket *s, int err, const char *why);
/* tcp.reset_after_bytes: the budget is spent. */
void reset_after_bytes(struct nsemu_socket *s);
/* Binds an unbound socket to the device's address before it reaches dest (link rule);
 * s->lock held. */
int bind_source_for(struct nsemu_socket *s, int fd, const struct sockaddr *dest);
/* Binds fd to addr after the link's rewrite (device address, port offset). */
int bind_device_address(struct nsemu_socket *s, int fd, const struct sockaddr *addr, socklen_t len);
/* Makes s open on kernel socket fd (s->lock held; releases it). */
void attach_kernel_socket(struct nsemu_socket *s, int fd, int wakefd, int family,
                          enum tcp_state tcp, struct network_interface *ni);

/* sock_udp.c */
void tx_timer_arm(void *arg);
void rx_timer_arm(void *arg);
void udp_free_held(struct nsemu_socket *s);

#endif /* NSEMU_SOCK_INTERNAL_H */
