#!/usr/bin/python3
"""mqtt_peer.py: checks mqtt_client against a real broker, mosquitto.

Starts its own mosquitto on 127.0.0.1 and a free port, with its own configuration file
in a temporary directory (listener on loopback only, anonymous clients, no persistence,
every log line on stdout) — never the system's broker — plus `mosquitto_sub` on the
device's publication topic, then runs the device program and checks payloads:

  pubsub     the device publishes 6 messages, QoS 0 and 1 alternately: mosquitto_sub
             must print exactly those 6 payloads, in order; `mosquitto_pub` publishes
             two messages (QoS 1, then QoS 0) to the device's subscribed topic: the
             device must print exactly those; the broker's log must show the device's
             PUBACK (for the QoS 1 delivery) and a PINGREQ (keep-alive 2 s).
  reconnect  the device runs in a scenario whose timeline says `2s = connections
             reset`: it must report the lost connection, connect and subscribe again,
             receive a message published after the reset, and resume publishing — the
             subscriber sees every message from 1 to 16 in order (a QoS 1 message whose
             PUBACK was lost may come twice in a row), messages numbered after the reset
             included; the event log records the reset; the broker saw two connections.

usage: mqtt_peer.py pubsub MQTT_CLIENT
       mqtt_peer.py reconnect MQTT_CLIENT [NSEMU]
  With NSEMU (the `nsemu` command), the device runs as `nsemu run --scenario F --log L
  -- MQTT_CLIENT …`; without, with NSEMU_SCENARIO and NSEMU_LOG in its environment.

Exits 0 when every check passed, 1 on the first failure, 77 (skipped) when mosquitto or
its clients are not installed (Debian: mosquitto, mosquitto-clients). Every process it
starts is stopped at the end, whatever happens; every wait is bounded.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"
START_TIMEOUT_S = 10   # the broker listening, the subscriber subscribed
EVENT_TIMEOUT_S = 10   # any one line we wait for
DEVICE_TIMEOUT_S = 30  # the whole device run


PRINT_LOCK = threading.Lock()  # whole lines, whichever thread prints


def say(line):
    with PRINT_LOCK:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class Failed(Exception):
    pass


class Lines:
    """Reads a process's output line by line on a thread, echoing it with a prefix."""

    def __init__(self, stream, prefix):
        self.lines = []
        self.cond = threading.Condition()
        self.closed = False
        self.prefix = prefix
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        for raw in stream:
            line = raw.decode(errors="replace").rstrip("\n")
            say(f"{self.prefix} {line}")
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait_for(self, predicate, timeout, start=0):
        """The index of the first line from `start` on that satisfies predicate, or None."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.lines)):
                    if predicate(self.lines[i]):
                        return i
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return None
                self.cond.wait(left)

    def snapshot(self):
        with self.cond:
            return list(self.lines)


class Processes:
    """Every process the test starts; stop_all() ends each, gently first."""

    def __init__(self):
        self.procs = []

    def start(self, argv, prefix, env=None, stderr_lines=False):
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE if stderr_lines else subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env)
        self.procs.append(proc)
        out = Lines(proc.stdout, prefix)
        err = Lines(proc.stderr, prefix + "(stderr)") if stderr_lines else None
        return proc, out, err

    def stop_all(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def require(condition, message):
    if not condition:
        raise Failed(message)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def find_tools():
    tools = {}
    for name in ("mosquitto", "mosquitto_sub", "mosquitto_pub"):
        path = shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
        if path is None:
            say(f"mqtt_peer: SKIPPED: {name} is not installed "
                  "(apt-get install mosquitto mosquitto-clients)")
            sys.exit(77)
        tools[name] = path
    return tools


class Broker:
    """The running broker and its log. mosquitto buffers its log when stdout is a pipe,
    so the whole log is read once it has stopped."""

    def __init__(self, proc, lines):
        self.proc, self.lines = proc, lines

    def stop_and_read_log(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.lines.thread.join(timeout=5)
        return self.lines.snapshot()


def start_broker(procs, tools, tmp):
    port = free_port()
    conf = os.path.join(tmp, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write(f"listener {port} {HOST}\n"
                "allow_anonymous true\n"
                "persistence false\n"
                "log_dest stdout\n"
                "log_type all\n"
                "connection_messages true\n")
    proc, log, _ = procs.start([tools["mosquitto"], "-c", conf], "[broker]")
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        require(proc.poll() is None, f"mosquitto exited with status {proc.returncode}")
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return port, Broker(proc, log)
        except OSError:
            require(time.monotonic() < deadline,
                    f"mosquitto does not listen on {HOST}:{port} within {START_TIMEOUT_S} s")
            time.sleep(0.05)


def mosquitto_pub(tools, port, topic, message, qos):
    subprocess.run([tools["mosquitto_pub"], "-h", HOST, "-p", str(port), "-t", topic,
                    "-m", message, "-q", str(qos)], check=True, timeout=EVENT_TIMEOUT_S)


def start_subscriber(procs, tools, port, topic):
    """mosquitto_sub on topic, printing `TOPIC PAYLOAD`; returns once it surely listens."""
    _, lines, _ = procs.start([tools["mosquitto_sub"], "-h", HOST, "-p", str(port), "-q", "1",
                               "-v", "-t", topic, "-i", f"peer-sub-{os.getpid()}"], "[sub]")
    deadline = time.monotonic() + START_TIMEOUT_S
    for n in range(1, 1000):
        mosquitto_pub(tools, port, topic, f"probe {n}", 1)
        if lines.wait_for(lambda line: line.startswith(f"{topic} probe "), 0.3) is not None:
            return lines
        require(time.monotonic() < deadline,
                f"mosquitto_sub did not subscribe within {START_TIMEOUT_S} s")
    raise Failed("mosquitto_sub never subscribed")


def device_payloads(sub_lines, topic):
    """The subscriber's lines for topic without the probes, as payloads."""
    prefix = topic + " "
    return [line[len(prefix):] for line in sub_lines
            if line.startswith(prefix) and not line.startswith(prefix + "probe ")]


def wait_device(proc, out):
    try:
        status = proc.wait(timeout=DEVICE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise Failed(f"mqtt_client did not finish within {DEVICE_TIMEOUT_S} s")
    out.thread.join(timeout=5)
    require(status == 0, f"mqtt_client exited with status {status}")


def settle(sub, expected_count, topic):
    """Waits (bounded) until the subscriber printed expected_count device messages."""
    sub.wait_for(lambda _: len(device_payloads(sub.snapshot(), topic)) >= expected_count,
                 EVENT_TIMEOUT_S)
    time.sleep(0.3)  # anything extra (a duplicate) would show up by now
    return device_payloads(sub.snapshot(), topic)


def case_pubsub(procs, tools, tmp, client):
    port, broker = start_broker(procs, tools, tmp)
    ident, base = f"nsemu-dev-{os.getpid()}", f"nsemu/test{os.getpid()}"
    pub_topic, sub_topic = base + "/out", base + "/in"
    sub = start_subscriber(procs, tools, port, pub_topic)

    proc, out, _ = procs.start([client, "--id", ident, "--pub", pub_topic, "--sub", sub_topic,
                                "--count", "6", "--interval-ms", "200", "--qos", "both",
                                "--expect", "2", "--keepalive", "2", "--hold-ms", "3000",
                                "--timeout-s", "25", HOST, str(port)], "[device]")
    require(out.wait_for(lambda l: l.startswith(f"mqtt: subscribed to {sub_topic}"),
                         EVENT_TIMEOUT_S) is not None, "the device never subscribed")
    mosquitto_pub(tools, port, sub_topic, "command one, at qos 1", 1)
    mosquitto_pub(tools, port, sub_topic, "command two, at qos 0", 0)
    wait_device(proc, out)

    want = [f"hello from {ident}, message {n}" for n in range(1, 7)]
    got = settle(sub, len(want), pub_topic)
    require(got == want, f"mosquitto_sub received {got!r}, expected {want!r}")
    say("mqtt_peer: mosquitto_sub received the device's 6 messages exactly")

    lines = out.snapshot()
    received = [l for l in lines if l.startswith("mqtt: received on ")]
    want_received = [f"mqtt: received on {sub_topic} (qos 1): command one, at qos 1",
                     f"mqtt: received on {sub_topic} (qos 0): command two, at qos 0"]
    require(received == want_received,
            f"the device received {received!r}, expected {want_received!r}")
    say("mqtt_peer: the device received mosquitto_pub's 2 messages exactly")
    for n in (2, 4, 6):
        require(f"mqtt: puback for message {n} (packet id" in "\n".join(lines),
                f"no PUBACK reported for QoS 1 message {n}")
    require(any(l.startswith("mqtt: pingresp after") for l in lines),
            "the device never got a PINGRESP")
    log = "\n".join(broker.stop_and_read_log())
    for what in (f"Received SUBSCRIBE from {ident}", f"Received PUBACK from {ident}",
                 f"Received PINGREQ from {ident}", f"Received DISCONNECT from {ident}"):
        require(what in log, f"the broker's log lacks '{what}'")
    say("mqtt_peer: the broker saw the device's SUBSCRIBE, PUBACK, PINGREQ and DISCONNECT")


def case_reconnect(procs, tools, tmp, client, nsemu):
    port, broker = start_broker(procs, tools, tmp)
    ident, base = f"nsemu-dev-{os.getpid()}", f"nsemu/test{os.getpid()}"
    pub_topic, sub_topic = base + "/out", base + "/in"
    sub = start_subscriber(procs, tools, port, pub_topic)
    scenario, event_log = os.path.join(tmp, "reset.ini"), os.path.join(tmp, "events.log")
    with open(scenario, "w") as f:
        f.write("; every established connection of the device is reset 2 s after start\n"
                "[timeline]\n2s = connections reset\n")

    device = [client, "--id", ident, "--pub", pub_topic, "--sub", sub_topic, "--count", "16",
              "--interval-ms", "250", "--qos", "1", "--expect", "1", "--keepalive", "10",
              "--timeout-s", "25", HOST, str(port)]
    env = dict(os.environ)
    if nsemu:
        argv = [nsemu, "run", "--scenario", scenario, "--log", event_log, "--"] + device
    else:
        argv = device
        env.update(NSEMU_SCENARIO=scenario, NSEMU_LOG=event_log)
    proc, out, err = procs.start(argv, "[device]", env=env, stderr_lines=True)

    first = out.wait_for(lambda l: l.startswith("mqtt: subscribed to"), EVENT_TIMEOUT_S)
    require(first is not None, "the device never subscribed")
    lost = out.wait_for(lambda l: l.startswith("mqtt: connection lost"), EVENT_TIMEOUT_S, first)
    require(lost is not None, "the device never reported the lost connection")
    again = out.wait_for(lambda l: l.startswith("mqtt: subscribed to"), EVENT_TIMEOUT_S, lost)
    require(again is not None, "the device did not subscribe again after the reset")
    mosquitto_pub(tools, port, sub_topic, "sent after the reset", 1)
    wait_device(proc, out)

    lines = out.snapshot()
    before = [int(l.split()[2]) for l in lines[:lost] if l.startswith("mqtt: published ")]
    last_before = max(before, default=0)
    got = settle(sub, 16, pub_topic)
    numbers = [int(p.rsplit(" ", 1)[1]) for p in got]
    deduped = [n for i, n in enumerate(numbers) if i == 0 or n != numbers[i - 1]]
    require(deduped == list(range(1, 17)) and all(
        p == f"hello from {ident}, message {n}" for p, n in zip(got, numbers)),
        f"mosquitto_sub received {got!r}, expected messages 1 to 16 in order")
    require(last_before < 16 and max(numbers) > last_before,
            f"nothing numbered after {last_before} (the last before the reset) arrived")
    say(f"mqtt_peer: the connection was lost after message {last_before}; mosquitto_sub "
          f"received 1 to 16 in order ({len(numbers) - len(deduped)} QoS 1 duplicate(s))")
    require(any(l.startswith("mqtt: connected to") and "(session 2," in l for l in lines),
            "the device did not connect a second time")
    require(f"mqtt: received on {sub_topic} (qos 1): sent after the reset" in lines,
            "the device did not receive the message published after the reset")
    connects = [l for l in broker.stop_and_read_log()
                if "New client connected" in l and f" as {ident} " in l]
    require(len(connects) >= 2, f"the broker saw {len(connects)} connection(s) of the device")
    with open(event_log) as f:
        events = f.read()
    require("timeline connections reset" in events, "the event log lacks the reset")
    if nsemu:
        require(err.wait_for(lambda l: "exited with status 0" in l, EVENT_TIMEOUT_S) is not None,
                "nsemu run did not report the program's exit status")
    say("mqtt_peer: the device reconnected, subscribed again and resumed publishing")


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("pubsub", "reconnect") or \
            (sys.argv[1] == "pubsub" and len(sys.argv) != 3) or len(sys.argv) > 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    case, client = sys.argv[1], sys.argv[2]
    tools = find_tools()
    procs = Processes()
    try:
        with tempfile.TemporaryDirectory(prefix="mqtt_peer-") as tmp:
            try:
                if case == "pubsub":
                    case_pubsub(procs, tools, tmp, client)
                else:
                    case_reconnect(procs, tools, tmp, client,
                                   sys.argv[3] if len(sys.argv) == 4 else None)
            finally:
                procs.stop_all()
    except (Failed, OSError, subprocess.SubprocessError) as e:
        say(f"mqtt_peer: FAILED: {e}")
        sys.exit(1)
    say("mqtt_peer: PASSED")


if __name__ == "__main__":
    main()
