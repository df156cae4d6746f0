/*
 * netsocket.h: the whole nsemu device API, Mbed OS's network-socket API in C.
 * Device programs include this one header and link libnsemu (pkg-config nsemu).
 */
#ifndef NETSOCKET_NETSOCKET_H
#define NETSOCKET_NETSOCKET_H

#include "nsapi_types.h"
#include "socket_address.h"
#include "network_interface.h"
#include "socket.h"

#endif /* NETSOCKET_NETSOCKET_H */
