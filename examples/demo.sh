#!/bin/sh
# nsemu's flagship demo. An MQTT device (examples/mqtt_client, written only against the
# Mbed socket API) publishes ten messages through a real mosquitto broker, under
# `nsemu run` with docs/examples/connections-reset.ini: at t=2s every connection of the
# device is reset. The device notices, reconnects and carries on; a subscriber shows
# that every message arrived. Everything stays on loopback, on a free port.
#
#   examples/demo.sh [BUILD_DIR]        (default: build)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
tmp=$(mktemp -d)
broker_pid=
sub_pid=
cleanup() {
    [ -n "$sub_pid" ] && kill "$sub_pid" 2>/dev/null
    [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" >"$tmp/broker.conf"
/usr/sbin/mosquitto -c "$tmp/broker.conf" >"$tmp/broker.log" 2>&1 &
broker_pid=$!
tries=0
until mosquitto_pub -h 127.0.0.1 -p "$port" -t nsemu/ready -m up 2>/dev/null; do
    tries=$((tries + 1))
    [ "$tries" -lt 50 ] || { echo "demo: mosquitto did not start" >&2; exit 1; }
    sleep 0.1
done
mosquitto_sub -h 127.0.0.1 -p "$port" -t nsemu/demo -q 1 >"$tmp/received" &
sub_pid=$!
sleep 0.3 # let the subscriber's SUBSCRIBE reach the broker before the first message

echo "== the device, under nsemu run (every connection is reset at t=2s)"
"$build/emu/cli/nsemu" run --scenario docs/examples/connections-reset.ini -- \
    "$build/examples/mqtt_client/mqtt_client" --pub nsemu/demo --qos 1 --count 10 \
    --interval-ms 400 127.0.0.1 "$port"
sleep 0.3 # the last message's way from the broker to the subscriber
echo "== what a real subscriber (mosquitto_sub) received"
cat "$tmp/received"
got=$(wc -l <"$tmp/received")
if [ "$got" -ne 10 ]; then
    echo "demo: the subscriber received $got of 10 messages" >&2
    exit 1
fi
echo "== all 10 messages arrived, across the reset"
