#!/bin/sh
# tap_run.sh PROGRAM ARGS...: runs one test of suite tap, or skips it (exit 77) with a
# one-line reason when this machine cannot make namespaces and TAP devices. The check
# has to happen before PROGRAM starts: with NSEMU_LINK=tap in its environment, libnsemu
# itself refuses to start without these (a configuration error, exit 2).
caps=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
if [ $(( (0x$caps >> 12) & 1 )) -eq 0 ] || [ $(( (0x$caps >> 21) & 1 )) -eq 0 ]; then
    echo "skipped: the tap link needs CAP_NET_ADMIN and CAP_SYS_ADMIN (run as root)"
    exit 77
fi
if [ ! -c /dev/net/tun ]; then
    echo "skipped: /dev/net/tun is missing (modprobe tun)"
    exit 77
fi
if ! command -v ip >/dev/null 2>&1; then
    echo "skipped: the tests need ip from iproute2"
    exit 77
fi
# meson names a program in the test's working directory without a slash; exec would
# search PATH for it.
prog=$1
shift
case $prog in */*) ;; *) [ -x "./$prog" ] && prog=./$prog ;; esac
exec "$prog" "$@"
