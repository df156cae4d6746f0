/*
 * errmap.c: every errno -> nsapi_error_t mapping of nsemu, in one table (DESIGN §2).
 * emu/ speaks errno, including a few codes it chose for emulated situations (noted
 * below); the device sees only what this table makes of them.
 */
#include "errmap.h"

#include <errno.h>

#include "common.h"

static const struct {
    int err;
    nsapi_error_t nsapi;
} table[] = {
    {EAGAIN, NSAPI_ERROR_WOULD_BLOCK},          /* nothing ready, or the timeout expired */
    {EBADF, NSAPI_ERROR_NO_SOCKET},             /* not open, or closed under the call */
    {EMFILE, NSAPI_ERROR_NO_SOCKET},            /* the device's socket pool is used up */
    {ENFILE, NSAPI_ERROR_NO_SOCKET},
    {EINVAL, NSAPI_ERROR_PARAMETER},            /* open twice, bind twice, wrong state */
    {EADDRINUSE, NSAPI_ERROR_PARAMETER},        /* bind to a port in use */
    {EADDRNOTAVAIL, NSAPI_ERROR_PARAMETER},     /* bind to an address that is not ours */
    {EAFNOSUPPORT, NSAPI_ERROR_PARAMETER},      /* the other IP version than the socket's */
    {EACCES, NSAPI_ERROR_PARAMETER},            /* a privileged port without privileges */
    {EPERM, NSAPI_ERROR_PARAMETER},
    {ENOPROTOOPT, NSAPI_ERROR_UNSUPPORTED},
    {EOPNOTSUPP, NSAPI_ERROR_UNSUPPORTED},      /* e.g. TCP keepalive timing on UDP */
    {ENOMEM, NSAPI_ERROR_NO_MEMORY},
    {ENOBUFS, NSAPI_ERROR_NO_MEMORY},
    {EMSGSIZE, NSAPI_ERROR_NO_MEMORY},          /* datagram above device.udp_max */
    {ENETDOWN, NSAPI_ERROR_NO_CONNECTION},      /* the interface is down */
    {ENETUNREACH, NSAPI_ERROR_NO_CONNECTION},
    {EHOSTUNREACH, NSAPI_ERROR_NO_CONNECTION},
    {ECONNREFUSED, NSAPI_ERROR_NO_CONNECTION},  /* connect refused */
    {ENOTCONN, NSAPI_ERROR_NO_CONNECTION},      /* send or recv before connect */
    {ETIMEDOUT, NSAPI_ERROR_CONNECTION_TIMEOUT},
    {ECONNRESET, NSAPI_ERROR_CONNECTION_LOST},  /* peer reset (Mbed's documentation) */
    {EPIPE, NSAPI_ERROR_CONNECTION_LOST},
    {ECONNABORTED, NSAPI_ERROR_CONNECTION_LOST},
    {EINPROGRESS, NSAPI_ERROR_IN_PROGRESS},
    {EALREADY, NSAPI_ERROR_ALREADY},
    {EISCONN, NSAPI_ERROR_IS_CONNECTED},
};

nsapi_size_or_error_t nsapi_from_errno(long r)
{
    if (r >= 0)
        return (nsapi_size_or_error_t)r;
    for (unsigned i = 0; i < ARRAY_SIZE(table); i++)
        if (table[i].err == (int)-r)
            return table[i].nsapi;
    return NSAPI_ERROR_DEVICE_ERROR;
}
