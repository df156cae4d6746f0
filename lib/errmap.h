/*
 * errmap.h: the one table from errno (as emu/ returns it, negated) to nsapi_error_t.
 */
#ifndef NSEMU_ERRMAP_H
#define NSEMU_ERRMAP_H

#include <netsocket/nsapi_types.h>

/* r >= 0 passes through (a size or OK); -errno becomes the nsapi_error_t of the table. */
nsapi_size_or_error_t nsapi_from_errno(long r);

#endif /* NSEMU_ERRMAP_H */
