#!/bin/sh
# test_tap_far.sh FAR_DEVICE: the far sides `host` and `iface:NAME` (docs/tap.md), each
# inside namespaces this test makes and removes, so nothing touches the machine's own
# network: the device program runs inside namespace A (its "host namespace").
#   host:       the TAP nsemu-PID appears in A at 10.0.2.2/24; an echo server in A.
#   iface:v0:   a veth pair v0 (in A) - v1 (in B, 10.0.2.2/24); an echo server in B.
# Run by tap_run.sh, which skips without the capabilities.
set -u
device=$1
here=$(dirname "$0")
A=nsemutest-$$-a
B=nsemutest-$$-b
tmp=$(mktemp -d)
pids=
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    ip netns del "$A" 2>/dev/null
    ip netns del "$B" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*"; exit 1; }

ip netns add "$A" || fail "cannot add namespace $A"
ip netns add "$B" || fail "cannot add namespace $B"
ip -n "$A" link set lo up
ip -n "$B" link set lo up

start_echo() { # NS IP PORT
    ip netns exec "$1" /usr/bin/python3 "$here/echo_server.py" "$2" "$3" > "$tmp/echo-$1" 2>&1 &
    pids="$pids $!"
    for _ in $(seq 100); do grep -q ready "$tmp/echo-$1" 2>/dev/null && return 0; sleep 0.05; done
    fail "echo server in $1 did not start: $(cat "$tmp/echo-$1")"
}

# far = host: the device's far TAP is made in A, where the program runs; the echo server
# binds the any-address, since the TAP appears only once the device starts.
start_echo "$A" 0.0.0.0 7101
printf '[emulator]\nlink = tap\n[tap]\nfar = host\n' > "$tmp/host.ini"
NSEMU_SCENARIO="$tmp/host.ini" NSEMU_FAULTS=dns.resolv_conf= \
    ip netns exec "$A" "$device" 10.0.2.2 7101 || fail "far = host: the device's echo failed"
ip -n "$A" -o link | grep -q nsemu- && fail "far = host: the TAP is still there after exit"
echo "ok far = host"

# far = iface:v0 through a veth pair. The far end takes no offloaded frames: pcap sees
# what the NIC hands it, so v1 must send neither TSO/GSO super-frames nor frames whose
# checksum a veth leaves to offload (docs/tap.md).
ip -n "$A" link add v0 type veth peer name v1 netns "$B" || fail "cannot make the veth pair"
ip -n "$A" link set v0 up
ip -n "$B" addr add 10.0.2.2/24 dev v1
ip -n "$B" link set v1 up
ip netns exec "$B" ethtool -K v1 tx off tso off gso off gro off >/dev/null 2>&1 ||
    fail "ethtool cannot turn offloads off on v1"
ip netns exec "$A" ethtool -K v0 gro off >/dev/null 2>&1
start_echo "$B" 10.0.2.2 7201
printf '[emulator]\nlink = tap\n[tap]\nfar = iface:v0\npcap = %s/iface.pcap\n' "$tmp" > "$tmp/iface.ini"
NSEMU_SCENARIO="$tmp/iface.ini" NSEMU_FAULTS=dns.resolv_conf= \
    ip netns exec "$A" "$device" 10.0.2.2 7201 || fail "far = iface:v0: the device's echo failed"
[ -s "$tmp/iface.pcap" ] || fail "far = iface:v0: no capture"
echo "ok far = iface:v0"
