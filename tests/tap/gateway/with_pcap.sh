#!/bin/sh
# with_pcap.sh FILTER MIN PROGRAM ARGS...: runs a device program with the wire captured
# (NSEMU_PCAP), then has tshark count the frames of the capture that match the display
# filter FILTER: at least MIN must, so the protocol really crossed the wire. tshark's
# warning about running as root is the one stderr line dropped.
filter=$1
min=$2
shift 2
if ! command -v tshark >/dev/null 2>&1; then
    echo "skipped: the capture check needs tshark"
    exit 77
fi
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
NSEMU_PCAP="$dir/wire.pcap" "$@" || exit $?
tshark -r "$dir/wire.pcap" -Y "$filter" >"$dir/frames" 2>"$dir/err"
status=$?
grep -v '^Running as user "root" and group "root"' "$dir/err" >&2
if [ $status -ne 0 ]; then
    echo "tshark failed on the capture (status $status)"
    exit 1
fi
n=$(wc -l <"$dir/frames")
if [ "$n" -lt "$min" ]; then
    echo "the capture has $n frames matching '$filter', expected at least $min"
    exit 1
fi
echo "the capture has $n frames matching '$filter'"
