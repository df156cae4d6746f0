#!/usr/bin/python3
"""tap_examples.py: the example device programs, unchanged, on the tap link.

Each case runs one example under `nsemu run --link tap --scenario F --log L` against the
same real peer as its host-link tests (the helpers of the examples' own peer scripts
start those peers). The peers stay on 127.0.0.1, reached by the device at the gateway's
address 10.0.2.2 through `[gateway] forward` lines, or run inside the namespace nsemu
made for the device's far side. Nothing goes anywhere else.

  http          http_client fetches 1 MB from Python's http.server through
                `forward = tcp:8000 -> 127.0.0.1:PORT`: the body byte for byte, the
                address leased from the gateway's DHCP server, the gateway's forward
                carrying the request up and the whole response down
  http-loss     the same with `--seed 5 --fault frame.loss=0.02`: lost frames (counted in
                the summary and the event log) and still the body byte for byte
  https         https_client to `openssl s_server -WWW` through a forward, by the name
                web.device.test, which the gateway's DNS server answers from
                `[dns] static.web.device.test = 10.0.2.2`: 64 KB byte for byte, the
                certificate verified for that name; a wrong CA still fails
  mqtt          mqtt_client to mosquitto through a forward: mosquitto_sub sees the
                device's 6 messages in order, the device gets the one mosquitto_pub sent;
                the capture (`--pcap`) decodes as MQTT in tshark (CONNECT, SUBSCRIBE,
                PUBLISH, PUBACK, PINGREQ, DISCONNECT)
  coap          coap_client to coap-server-notls through `forward = udp:5683 -> ...`:
                GET, POST, PUT and GET back, payloads cross-checked with libcoap's
                coap-client
  coap-loss     the same with `--seed 1 --fault frame.loss=0.1` (and the client's --seed
                1): a lost frame, a retransmission, and still every answer right
  http-server   http_server with `[tap] far = peer`: dnsmasq in the peer namespace
                nsemu-PID-peer leases 10.0.2.15 to the device, and curl in that
                namespace fetches the page, /status (which must name 10.0.2.15) and a
                100 KB POST /echo byte for byte on device port 80 (no port offset
                on the tap link); the namespaces are gone after the device exits
  websocket-server
                websocket_server the same way, with `--fault frame.delay_ms=20`:
                ws_peer.py's python3-websockets cases (text, binary, 0 to 65536 bytes,
                fragments, ping, close 4001), run in the peer namespace against
                ws://10.0.2.15/ws; SIGTERM to nsemu run ends the server

usage: tap_examples.py CASE NSEMU EXAMPLE [TOOL]
  NSEMU the `nsemu` command; EXAMPLE the device program; TOOL openssl (https) or curl
  (http-server).

Run through tests/tap/tap_run.sh, which skips (77) without CAP_NET_ADMIN and
CAP_SYS_ADMIN. Exits 0 when every check passed, 1 on the first failure, 77 when a peer
program is not installed. Every process it starts is stopped at the end, whatever
happens; every wait is bounded.
"""
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
for example in ("mqtt_client", "coap_client", "https_client"):
    sys.path.insert(0, os.path.join(HERE, example))
import coap_peer  # noqa: E402  (coap-server-notls, the requests and their checks)
import mqtt_peer  # noqa: E402  (processes, line readers, mosquitto and its clients)
import tls_peer   # noqa: E402  (the CA and certificates, openssl s_server)

HOST = "127.0.0.1"
GATEWAY = "10.0.2.2"         # the gateway (far = gateway) or the peer's eth0 (far = peer)
DEVICE_IP = "10.0.2.15"      # the first address the gateway's DHCP server leases
NAME = tls_peer.NAME         # web.device.test: in the test certificate
DEVICE_TIMEOUT_S = 40
# coap-loss: with seed 1 and frame.loss=0.1 the wire drops a frame of one exchange
# (one retransmission, about 2.5 s). A seed replays the wire's decisions only as long as
# the kernel's own frames (IPv6 multicast reports, timed by the kernel) come at the same
# moments, which they do within the run's first seconds.
LOSS_SEED = "1"
START_TIMEOUT_S = 10

say = mqtt_peer.say
Failed = mqtt_peer.Failed
require = mqtt_peer.require


def tool(name, package):
    path = shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if path is None:
        say(f"tap_examples: SKIPPED: {name} is not installed (apt-get install {package})")
        sys.exit(77)
    return path


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def random_file(tmp, name, size, seed):
    data = random.Random(seed).randbytes(size)
    with open(os.path.join(tmp, name), "wb") as f:
        f.write(data)
    return data


def read_bytes(path):
    if not os.path.exists(path):
        return b""
    with open(path, "rb") as f:
        return f.read()


def wait_listening(port, proc, what):
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        require(proc.poll() is None, f"{what} exited with status {proc.returncode}")
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            require(time.monotonic() < deadline, f"{what} does not listen on {HOST}:{port}")
            time.sleep(0.05)


class Device:
    """One `nsemu run --link tap` of an example, its output read line by line."""

    def __init__(self, procs, nsemu, tmp, scenario, argv, extra=()):
        self.log = os.path.join(tmp, "events.log")
        self.proc, self.out, self.err = procs.start(
            [nsemu, "run", "--link", "tap", "--scenario", scenario, "--log", self.log,
             *extra, "--"] + argv, "[device]", stderr_lines=True)

    def wait(self):
        """The exit status nsemu run reports; the output is complete afterwards."""
        try:
            status = self.proc.wait(timeout=DEVICE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise Failed(f"the device did not finish within {DEVICE_TIMEOUT_S} s")
        self.out.thread.join(timeout=5)
        self.err.thread.join(timeout=5)
        return status

    def lines(self):
        return self.out.snapshot()

    def summary(self):
        return "\n".join(self.err.snapshot())

    def events(self):
        with open(self.log) as f:
            return f.read()


def check_run(dev, status, want_status=0):
    require(status == want_status, f"the device exited with status {status}")
    require(f"exited with status {want_status}" in dev.summary(),
            "nsemu run did not report the program's exit status")


def check_leased(dev):
    """The interface came up with the gateway's lease (nsemu's DHCP client and server)."""
    require(any(re.search(rf"interface up: IP {re.escape(DEVICE_IP)}\b", l)
                for l in dev.lines()), f"the device did not come up at {DEVICE_IP}")
    events = dev.events()
    require(f"gateway dhcp ack ip={DEVICE_IP}" in events and
            f"dhcp lease ip={DEVICE_IP}" in events, "no DHCP lease in the event log")


def forward_bytes(dev, spec):
    """(up, down) bytes of the forward's connections, from the event log."""
    up = down = 0
    for m in re.finditer(rf"gateway forward {re.escape(spec)} close up=(\d+) down=(\d+)",
                         dev.events()):
        up, down = up + int(m.group(1)), down + int(m.group(2))
    return up, down


# ---- http_client through a tcp: forward ---------------------------------------------

def case_http(procs, tmp, nsemu, client, loss):
    site = os.path.join(tmp, "site")
    os.mkdir(site)
    body = random_file(site, "body.bin", 1 << 20, seed=7)
    port = mqtt_peer.free_port()
    server, _, _ = procs.start([sys.executable, "-m", "http.server", str(port), "--bind", HOST,
                                "--directory", site], "[http.server]")
    wait_listening(port, server, "python3 -m http.server")
    scenario = write(tmp, "tap.ini", f"[gateway]\nforward = tcp:8000 -> {HOST}:{port}\n")
    out = os.path.join(tmp, "out.bin")
    faults = ["--seed", "5", "--fault", "frame.loss=0.02"] if loss else []
    dev = Device(procs, nsemu, tmp, scenario,
                 [client, "--timeout", "20000", "--output", out, f"http://{GATEWAY}:8000/body.bin"],
                 faults)
    check_run(dev, dev.wait())
    check_leased(dev)
    got = read_bytes(out)
    require(got == body, f"the body the device wrote: {len(got)} bytes, not the 1 MB served")
    require(f"body: {len(body)} bytes, Content-Length" in "\n".join(dev.lines()),
            "the device did not report the body by Content-Length")
    up, down = forward_bytes(dev, "tcp:8000")
    require(up > 0 and down > len(body), f"the gateway's forward carried up={up} down={down}")
    say(f"tap_examples: 1 MB byte for byte through the forward (up {up}, down {down} bytes)")
    if loss:
        m = re.search(r"faults: .*frame\.loss (\d+)", dev.summary())
        require(m is not None and int(m.group(1)) > 0, "the summary counts no lost frames")
        require("frame.loss drop" in dev.events(), "the event log names no lost frame")
        say(f"tap_examples: {m.group(1)} frame(s) lost on the wire, the body still whole")


# ---- https_client by a [dns] static name ---------------------------------------------

def case_https(procs, tmp, nsemu, client, openssl):
    tls_peer.make_pki(openssl, tmp)
    body = random_file(tmp, "random.bin", 64 * 1024, seed=3)
    server = tls_peer.SServer(openssl, tmp)
    try:
        scenario = write(tmp, "tap.ini",
                         f"[gateway]\nforward = tcp:4433 -> {HOST}:{server.port}\n"
                         f"[dns]\nstatic.{NAME} = {GATEWAY}\n")
        url = f"https://{NAME}:4433/random.bin"

        out = os.path.join(tmp, "out.bin")
        dev = Device(procs, nsemu, tmp, scenario, [
            client, "--ca", os.path.join(tmp, "ca.pem"), "--timeout", "10000",
            "--output", out, url])
        check_run(dev, dev.wait())
        check_leased(dev)
        text = "\n".join(dev.lines())
        require(f"{NAME} is {GATEWAY}" in text, f"the device did not resolve {NAME}")
        require(f"gateway dns {NAME} A -> {GATEWAY}" in dev.events(),
                "the gateway's DNS server did not answer the name (event log)")
        require(f"for the name {NAME}" in text and "verified against" in text,
                "the device did not report the certificate verified")
        require(read_bytes(out) == body, "the body the device wrote is not the 64 KB served")
        say(f"tap_examples: 64 KB byte for byte over TLS, {NAME} from the gateway's DNS")

        dev = Device(procs, nsemu, tmp, scenario, [
            client, "--ca", os.path.join(tmp, "wrong-ca.pem"), "--timeout", "10000", url])
        check_run(dev, dev.wait(), want_status=1)
        require("not correctly signed by the trusted CA" in "\n".join(dev.lines()),
                "the wrong CA did not fail the handshake as it should")
        say("tap_examples: the wrong CA fails the handshake")
    finally:
        server.stop()


# ---- mqtt_client, and MQTT in the capture --------------------------------------------

MQTT_TYPES = {"1": "CONNECT", "3": "PUBLISH", "4": "PUBACK", "8": "SUBSCRIBE",
              "12": "PINGREQ", "14": "DISCONNECT"}


def mqtt_in_capture(tshark, pcap):
    """The MQTT message types tshark decodes in the capture (port 1883 is MQTT's)."""
    p = subprocess.run([tshark, "-r", pcap, "-Y", "mqtt", "-T", "fields", "-e", "mqtt.msgtype"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    require(p.returncode == 0, f"tshark -r {pcap}: {p.stderr.decode(errors='replace')}")
    return [t for line in p.stdout.decode().split() for t in line.split(",")]


def case_mqtt(procs, tmp, nsemu, client):
    tools = mqtt_peer.find_tools()
    tshark = tool("tshark", "tshark")
    port, broker = mqtt_peer.start_broker(procs, tools, tmp)
    ident, base = f"nsemu-tap-{os.getpid()}", f"nsemu/tap{os.getpid()}"
    pub_topic, sub_topic = base + "/out", base + "/in"
    sub = mqtt_peer.start_subscriber(procs, tools, port, pub_topic)
    scenario = write(tmp, "tap.ini", f"[gateway]\nforward = tcp:1883 -> {HOST}:{port}\n")
    pcap = os.path.join(tmp, "mqtt.pcap")
    dev = Device(procs, nsemu, tmp, scenario, [
        client, "--id", ident, "--pub", pub_topic, "--sub", sub_topic, "--count", "6",
        "--interval-ms", "200", "--qos", "both", "--expect", "1", "--keepalive", "2",
        "--hold-ms", "2500", "--timeout-s", "25", GATEWAY, "1883"], ["--pcap", pcap])
    require(dev.out.wait_for(lambda l: l.startswith(f"mqtt: subscribed to {sub_topic}"),
                             mqtt_peer.EVENT_TIMEOUT_S) is not None,
            "the device never subscribed")
    mqtt_peer.mosquitto_pub(tools, port, sub_topic, "to the device on the tap link", 1)
    check_run(dev, dev.wait())
    check_leased(dev)

    want = [f"hello from {ident}, message {n}" for n in range(1, 7)]
    got = mqtt_peer.settle(sub, len(want), pub_topic)
    require(got == want, f"mosquitto_sub received {got!r}, expected {want!r}")
    require(f"mqtt: received on {sub_topic} (qos 1): to the device on the tap link"
            in dev.lines(), "the device did not receive mosquitto_pub's message")
    say("tap_examples: mosquitto_sub got the device's 6 messages in order; the device "
        "got mosquitto_pub's")
    log = "\n".join(broker.stop_and_read_log())
    require(f"Received DISCONNECT from {ident}" in log, "the broker saw no DISCONNECT")

    types = mqtt_in_capture(tshark, pcap)
    missing = [name for code, name in MQTT_TYPES.items() if code not in types]
    require(types and not missing, f"the capture lacks MQTT {missing} ({len(types)} messages)")
    say(f"tap_examples: tshark decodes {len(types)} MQTT messages in the capture, "
        f"{', '.join(MQTT_TYPES.values())} among them")


# ---- coap_client through a udp: forward -----------------------------------------------

def case_coap(procs, tmp, nsemu, client, loss):
    port = coap_peer.free_udp_port()
    server = coap_peer.start_coap_server(port)
    try:
        core = coap_peer.coap_client_get(port, "/.well-known/core")
        require("</example_data>" in core, f"unexpected /.well-known/core: {core!r}")
        scenario = write(tmp, "tap.ini", f"[gateway]\nforward = udp:5683 -> {HOST}:{port}\n")
        faults, seed = (["--seed", LOSS_SEED, "--fault", "frame.loss=0.1"],
                        ["--seed", LOSS_SEED]) if loss else ([], [])
        dev = Device(procs, nsemu, tmp, scenario,
                     [client, *seed, GATEWAY, "5683"] + coap_peer.base_requests(port), faults)
        check_run(dev, dev.wait())
        check_leased(dev)
        got = coap_peer.results(dev.lines())
        coap_peer.check_results(got, coap_peer.base_expectations(core))
        coap_peer.cross_check(port)
        require("gateway forward udp:5683" in dev.events(), "the event log has no udp forward")
        if loss:
            retransmissions = sum(r[3] for r in got)
            require(retransmissions > 0 and "frame.loss drop" in dev.events(),
                    "no lost frame made the device retransmit")
            say(f"tap_examples: {retransmissions} retransmission(s) after lost frames, "
                "every answer right")
    finally:
        coap_peer.stop(server)


# ---- http_server, reached from the peer namespace -------------------------------------

def device_namespace(nsemu_pid):
    """The device's peer namespace: nsemu-PID-peer, PID a child of nsemu run."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        names = os.listdir("/run/netns") if os.path.isdir("/run/netns") else []
        for m in filter(None, (re.fullmatch(r"nsemu-(\d+)-peer", n) for n in names)):
            try:
                with open(f"/proc/{m.group(1)}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue  # gone already
            if ppid == nsemu_pid:
                return m.group(1), m.group(0)
        time.sleep(0.05)
    raise Failed(f"no namespace nsemu-PID-peer of a child of nsemu run within {START_TIMEOUT_S} s")


def start_dnsmasq(procs, tmp, ns):
    """dnsmasq in the peer namespace, leasing DEVICE_IP: DHCP only (port 0: no DNS).
    dnsmasq pings the address before offering it; the device's announcement of its new
    address then fixes the peer's failed neighbour entry (RFC 5227)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while f"inet {GATEWAY}/24" not in subprocess.run(
            ["ip", "-n", ns, "-4", "addr", "show", "eth0"], stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL).stdout.decode():
        require(time.monotonic() < deadline, f"eth0 in {ns} never got {GATEWAY}")
        time.sleep(0.05)
    proc, lines, _ = procs.start(
        ["ip", "netns", "exec", ns, tool("dnsmasq", "dnsmasq-base"), "--no-daemon",
         "--conf-file=/dev/null", "--port=0", "--interface=eth0", "--bind-interfaces",
         f"--dhcp-range={DEVICE_IP},{DEVICE_IP},255.255.255.0,10m",
         f"--dhcp-option=option:router,{GATEWAY}", "--dhcp-authoritative",
         f"--dhcp-leasefile={tmp}/leases", "--pid-file", "--user=root",
         "--log-facility=-"], "[dnsmasq]")
    return proc, lines


def curl_in(ns, curl, tmp, path, *args):
    """curl in the namespace: (HTTP status, body bytes)."""
    out = os.path.join(tmp, "curl.out")
    p = subprocess.run(["ip", "netns", "exec", ns, curl, "-sS", "--max-time", "15",
                        "-o", out, "-w", "%{http_code}", *args, f"http://{DEVICE_IP}{path}"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    require(p.returncode == 0, f"curl {path} in {ns}: {p.stderr.decode(errors='replace')}")
    return int(p.stdout), read_bytes(out)


class PeerDevice:
    """A server example with `[tap] far = peer`: dnsmasq in the peer namespace leases
    the device its address, and clients run in that namespace."""

    def __init__(self, procs, tmp, nsemu, argv, listening, extra=()):
        scenario = write(tmp, "peer.ini", "[tap]\nfar = peer\n")
        self.dev = Device(procs, nsemu, tmp, scenario, argv, extra)
        self.pid, self.ns = device_namespace(self.dev.proc.pid)
        _, self.dnsmasq_log = start_dnsmasq(procs, tmp, self.ns)
        require(self.dev.out.wait_for(lambda l: l.startswith(listening),
                                      mqtt_peer.EVENT_TIMEOUT_S + 5) is not None,
                "the device did not start listening")

    def check_after_exit(self):
        """dnsmasq leased the device its address; the namespaces went with the device."""
        leases = "\n".join(self.dnsmasq_log.snapshot())
        require(f"DHCPACK(eth0) {DEVICE_IP} 02:00:00:00:00:01" in leases,
                "dnsmasq's log shows no lease to the device")
        left = [n for n in os.listdir("/run/netns") if n.startswith(f"nsemu-{self.pid}-")]
        require(not left, f"namespaces left after the device exited: {left}")
        say("tap_examples: dnsmasq leased the address; the namespaces went with the device")


def case_http_server(procs, tmp, nsemu, server, curl):
    peer = PeerDevice(procs, tmp, nsemu, [server, "--requests", "3"],
                      "http_server: listening on device port 80")
    ns, dev = peer.ns, peer.dev
    code, page = curl_in(ns, curl, tmp, "/")
    require(code == 200 and b"Hello from an Mbed OS device" in page, f"GET /: {code} {page[:80]!r}")
    code, status = curl_in(ns, curl, tmp, "/status")
    doc = json.loads(status) if code == 200 else {}
    require(doc.get("ip") == DEVICE_IP and doc.get("requests") == 2,
            f"GET /status: {code} {status!r}")
    sent = random_file(tmp, "post.bin", 100 * 1024, seed=11)
    code, echoed = curl_in(ns, curl, tmp, "/echo", "--data-binary", f"@{tmp}/post.bin",
                           "-H", "Content-Type: application/octet-stream")
    require(code == 200 and echoed == sent, f"POST /echo: {code}, {len(echoed)} bytes back")
    say(f"tap_examples: curl in {ns}: the page, /status naming {DEVICE_IP}, "
        "100 KB echoed byte for byte")

    check_run(dev, dev.wait())  # --requests 3: it ends by itself
    froms = [l for l in dev.lines() if re.match(r"server: conn \d+: from ", l)]
    require(len(froms) == 3 and all(f" from {GATEWAY}:" in l for l in froms),
            f"the device saw {froms!r}, not 3 connections from the peer's {GATEWAY}")
    peer.check_after_exit()


# ---- websocket_server, reached from the peer namespace --------------------------------

# ws_peer.py's python3-websockets cases, run inside the peer namespace against the
# device's own address and port 80.
WS_CLIENT = """import asyncio, sys
sys.path.insert(0, sys.argv[1])
import websockets, ws_peer
ws_peer.HOST = sys.argv[2]
asyncio.run(ws_peer.library_cases(80, websockets))
"""


def case_websocket_server(procs, tmp, nsemu, server):
    if subprocess.run(["/usr/bin/python3", "-c", "import websockets"],
                      stderr=subprocess.DEVNULL).returncode != 0:
        say("tap_examples: SKIPPED: apt-get install python3-websockets")
        sys.exit(77)
    peer = PeerDevice(procs, tmp, nsemu, [server], "websocket_server: listening on device port 80",
                      ["--fault", "frame.delay_ms=20"])
    proc, client, _ = procs.start(
        ["ip", "netns", "exec", peer.ns, "/usr/bin/python3", "-c", WS_CLIENT,
         os.path.join(HERE, "websocket_server"), DEVICE_IP], "[ws client]")
    try:
        status = proc.wait(timeout=DEVICE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise Failed(f"the WebSocket client did not finish within {DEVICE_TIMEOUT_S} s")
    client.thread.join(timeout=5)
    require(status == 0 and "ws_peer: close 4001 echoed" in client.snapshot(),
            f"the WebSocket client in {peer.ns} failed (status {status})")
    echoed = [l for l in peer.dev.lines() if re.search(r"message of \d+ bytes .*, echoed$", l)]
    require(len(echoed) >= 12, f"the device reports {len(echoed)} echoed messages")
    say(f"tap_examples: python3-websockets in {peer.ns}: {len(echoed)} messages echoed "
        "exactly, 20 ms on every frame")

    peer.dev.proc.send_signal(signal.SIGTERM)  # it serves until stopped: nsemu passes it on
    status = peer.dev.wait()
    require(status == 128 + signal.SIGTERM and "was killed by SIGTERM" in peer.dev.summary(),
            f"the device's end: status {status}, not killed by SIGTERM")
    require(re.search(r"started with: .*frame\.delay_ms=20", peer.dev.summary()),
            "the summary does not show the frame delay")
    peer.check_after_exit()


def main():
    cases = {"http": 3, "http-loss": 3, "https": 4, "mqtt": 3, "coap": 3, "coap-loss": 3,
             "http-server": 4, "websocket-server": 3}
    if len(sys.argv) < 2 or cases.get(sys.argv[1]) != len(sys.argv) - 1:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    case, args = sys.argv[1], sys.argv[2:]
    procs = mqtt_peer.Processes()
    try:
        with tempfile.TemporaryDirectory(prefix="tap_examples-") as tmp:
            try:
                if case in ("http", "http-loss"):
                    case_http(procs, tmp, *args, loss=case == "http-loss")
                elif case == "https":
                    case_https(procs, tmp, *args)
                elif case == "mqtt":
                    case_mqtt(procs, tmp, *args)
                elif case in ("coap", "coap-loss"):
                    case_coap(procs, tmp, *args, loss=case == "coap-loss")
                elif case == "http-server":
                    case_http_server(procs, tmp, *args)
                else:
                    case_websocket_server(procs, tmp, *args)
            finally:
                procs.stop_all()
    except (Failed, coap_peer.Failed, OSError, subprocess.SubprocessError, ValueError) as e:
        say(f"tap_examples: FAILED: {e}")
        sys.exit(1)
    say("tap_examples: PASSED")


if __name__ == "__main__":
    main()
