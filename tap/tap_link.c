/*
 * tap_link.c: the tap link (DESIGN §3). Placeholder while the link is being built.
 */
#include "link.h"

const struct link_ops tap_link = {
    .name = "tap",
};
