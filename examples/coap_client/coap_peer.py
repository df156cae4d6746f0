#!/usr/bin/python3
"""coap_peer.py: checks coap_client against libcoap's coap-server and a scripted peer.

  libcoap     starts coap-server-notls on 127.0.0.1 and a free port (`-d 10`: POST may
              create resources) and runs the device with GET /.well-known/core, POST
              /nsemu/reading, GET it back, PUT /example_data, GET it back, and GET
              /async?1 (an empty ACK, then a separate confirmable response). Payloads are
              checked, and cross-checked with libcoap's own coap-client: the device's
              /.well-known/core is the one coap-client reads, and what the device POSTed
              and PUT is what coap-client reads back.
  loss        the same server and requests (without /async) with NSEMU_FAULTS adding
              udp.loss=0.2, seed 2 (NSEMU_SEED and the device's --seed), and an event log:
              the device must still get every answer with the right payloads, each
              exchange within MAX_TRANSMIT_SPAN and the run within EXCHANGE_LIFETIME, after
              at least one retransmission; the event log must show udp.loss drops.
  retransmit  a scripted UDP peer (this script) with ACK_TIMEOUT 200 ms: it answers the
              first request's first transmission with the wrong message id and the
              second with the wrong token — both must be ignored — and the third
              properly; the second request it never answers. Every transmission must be
              byte for byte the first, the gaps must double (RFC 7252 §4.2) and the
              device must give up after MAX_RETRANSMIT (4) retransmissions, exiting 1.

usage: coap_peer.py libcoap|loss|retransmit COAP_CLIENT

Exits 0 when every check passed, 1 on the first failure, 77 (skipped) when libcoap's
tools are not installed (Debian: libcoap3-bin). Every process it starts is stopped at
the end, whatever happens; every wait is bounded.
"""
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

HOST = "127.0.0.1"
START_TIMEOUT_S = 10
DEVICE_TIMEOUT_S = 40
LOSS_SEED = "2"


class Failed(Exception):
    pass


def require(condition, message):
    if not condition:
        raise Failed(message)


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def tool(name):
    path = shutil.which(name)
    if path is None:
        print(f"coap_peer: SKIPPED: {name} is not installed (apt-get install libcoap3-bin)",
              flush=True)
        sys.exit(77)
    return path


def stop(proc):
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_device(argv, env=None):
    """Runs the device to the end (bounded); its exit status and stdout lines."""
    print("coap_peer: running " + " ".join(argv), flush=True)
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, env=env, timeout=DEVICE_TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        sys.stdout.write((e.stdout or b"").decode(errors="replace"))
        raise Failed(f"coap_client did not finish within {DEVICE_TIMEOUT_S} s")
    out = done.stdout.decode(errors="replace")
    for line in out.splitlines():
        print(f"[device] {line}", flush=True)
    return done.returncode, out.splitlines()


# ---- a minimal CoAP codec of our own, to talk to the device independently ----------

def coap_message(mtype, code, mid, token=b"", payload=b""):
    head = struct.pack("!BBH", 0x40 | mtype << 4 | len(token), code, mid) + token
    return head + (b"\xff" + payload if payload else b"")


def coap_parse(data):
    """(type, code, mid, token, [(number, value)], payload) of a well-formed message."""
    require(len(data) >= 4 and data[0] >> 6 == 1, f"not a CoAP message: {data!r}")
    mtype, tkl = (data[0] >> 4) & 3, data[0] & 0x0f
    code, mid = data[1], struct.unpack("!H", data[2:4])[0]
    token, pos, number, options = data[4:4 + tkl], 4 + tkl, 0, []
    while pos < len(data) and data[pos] != 0xff:
        delta, length = data[pos] >> 4, data[pos] & 0x0f
        pos += 1
        values = []
        for nibble in (delta, length):
            if nibble == 13:
                values.append(13 + data[pos])
                pos += 1
            elif nibble == 14:
                values.append(269 + struct.unpack("!H", data[pos:pos + 2])[0])
                pos += 2
            else:
                values.append(nibble)
        number += values[0]
        options.append((number, data[pos:pos + values[1]]))
        pos += values[1]
    payload = data[pos + 1:] if pos < len(data) else b""
    return mtype, code, mid, token, options, payload


def coap_ping(port):
    """True once the server answers a CoAP ping (an empty CON) with a RST."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        s.sendto(coap_message(0, 0, 0x4242), (HOST, port))
        try:
            data, _ = s.recvfrom(2048)
        except OSError:
            return False
        return data[:4] == coap_message(3, 0, 0x4242)


def start_coap_server(port):
    server = subprocess.Popen([tool("coap-server-notls"), "-A", HOST, "-p", str(port),
                               "-d", "10"], stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not coap_ping(port):
        if server.poll() is not None:
            raise Failed(f"coap-server-notls exited with status {server.returncode}")
        if time.monotonic() > deadline:
            stop(server)
            raise Failed(f"coap-server-notls does not answer on {HOST}:{port}")
    return server


def coap_client_get(port, path):
    """The payload libcoap's own client reads from path."""
    done = subprocess.run([tool("coap-client-notls"), "-m", "get", "-B", "10",
                           f"coap://{HOST}:{port}{path}"], stdout=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, timeout=15, check=True)
    return done.stdout.decode(errors="replace").rstrip("\n")


# ---- reading the device's output ---------------------------------------------------

RESULT = re.compile(r"^coap: (GET|POST|PUT|DELETE) (\S+) -> (\d\.\d\d)[^,]* after (\d+) "
                    r"retransmission\(s\), (\d+) ms$")


def unescape(text):
    return re.sub(r"\\x([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), text)


def results(lines):
    """[(method, uri, code, retransmissions, ms, payload)] in order."""
    out = []
    for i, line in enumerate(lines):
        m = RESULT.match(line)
        if m:
            require(i + 1 < len(lines) and lines[i + 1].startswith("coap: payload ("),
                    f"no payload line after '{line}'")
            payload = unescape(lines[i + 1].split("): ", 1)[1] if "): " in lines[i + 1] else "")
            out.append((m.group(1), m.group(2), m.group(3), int(m.group(4)), int(m.group(5)),
                        payload))
    return out


def check_results(got, want):
    require(len(got) == len(want), f"{len(got)} answers, expected {len(want)}: {got!r}")
    for g, (method, uri, code, check) in zip(got, want):
        require(g[:2] == (method, uri) and g[2] in code.split("|"),
                f"answer {g[:3]!r}, expected {(method, uri, code)!r}")
        require(check(g[5]), f"{method} {uri}: unexpected payload {g[5]!r}")
        print(f"coap_peer: {method} {uri} -> {g[2]}, payload {g[5][:60]!r} as expected",
              flush=True)


def transmission_parameters(lines):
    for line in lines:
        m = re.search(r"MAX_TRANSMIT_SPAN (\d+) ms, EXCHANGE_LIFETIME (\d+) ms", line)
        if m:
            return int(m.group(1)), int(m.group(2))
    raise Failed("the device did not print its transmission parameters")


# ---- the cases ---------------------------------------------------------------------

READING = "temperature=21.5"
DATA = "hello from nsemu"


def base_requests(port):
    return ["get", "/.well-known/core", "post", "/nsemu/reading", READING,
            "get", "/nsemu/reading", "put", "/example_data", DATA, "get", "/example_data"]


def base_expectations(core_before):
    return [("GET", "/.well-known/core", "2.05", lambda p: p == core_before),
            ("POST", "/nsemu/reading", "2.01", lambda p: True),
            ("GET", "/nsemu/reading", "2.05", lambda p: p == READING),
            ("PUT", "/example_data", "2.01|2.04", lambda p: True),  # libcoap: Created at first
            ("GET", "/example_data", "2.05", lambda p: p == DATA)]


def cross_check(port):
    require(coap_client_get(port, "/nsemu/reading") == READING,
            "coap-client does not read back what the device POSTed")
    require(coap_client_get(port, "/example_data") == DATA,
            "coap-client does not read back what the device PUT")
    require("</nsemu/reading>" in coap_client_get(port, "/.well-known/core"),
            "the resource the device created is not in /.well-known/core")
    print("coap_peer: libcoap's coap-client reads back what the device POSTed and PUT",
          flush=True)


def case_libcoap(client):
    port = free_udp_port()
    server = start_coap_server(port)
    try:
        core = coap_client_get(port, "/.well-known/core")
        require("</example_data>" in core, f"unexpected /.well-known/core: {core!r}")
        status, lines = run_device([client, HOST, str(port)] + base_requests(port) +
                                   ["get", "/async?1"])
        require(status == 0, f"coap_client exited with status {status}")
        check_results(results(lines), base_expectations(core) +
                      [("GET", "/async?1", "2.05", lambda p: p == "done")])
        require("coap: empty ACK: the response will come separately" in lines,
                "/async?1 did not come as an empty ACK and a separate response")
        cross_check(port)
    finally:
        stop(server)


def case_loss(client):
    port = free_udp_port()
    server = start_coap_server(port)
    try:
        with tempfile.TemporaryDirectory(prefix="coap_peer-") as tmp:
            log = os.path.join(tmp, "events.log")
            env = dict(os.environ, NSEMU_SEED=LOSS_SEED, NSEMU_LOG=log)
            faults = env.get("NSEMU_FAULTS", "")
            env["NSEMU_FAULTS"] = (faults + "," if faults else "") + "udp.loss=0.2"
            core = coap_client_get(port, "/.well-known/core")
            start = time.monotonic()
            status, lines = run_device([client, "--seed", LOSS_SEED, HOST, str(port)] +
                                       base_requests(port), env)
            elapsed_ms = (time.monotonic() - start) * 1000
            require(status == 0, f"coap_client exited with status {status}")
            got = results(lines)
            check_results(got, base_expectations(core))
            span, lifetime = transmission_parameters(lines)
            for method, uri, _, _, ms, _ in got:
                require(ms <= span, f"{method} {uri} took {ms} ms, over MAX_TRANSMIT_SPAN {span}")
            require(elapsed_ms <= lifetime, f"the run took {elapsed_ms:.0f} ms, over "
                    f"EXCHANGE_LIFETIME {lifetime}")
            retransmissions = sum(r[3] for r in got)
            require(retransmissions > 0, "no retransmission: udp.loss did not hit anything")
            with open(log) as f:
                drops = [l for l in f if " udp.loss drop " in l]
            require(drops, "the event log shows no udp.loss drop")
            print(f"coap_peer: {len(drops)} datagram(s) lost, {retransmissions} "
                  f"retransmission(s), every answer within MAX_TRANSMIT_SPAN ({span} ms); "
                  f"the run took {elapsed_ms:.0f} ms", flush=True)
        cross_check(port)
    finally:
        stop(server)


def case_retransmit(client):
    ack_timeout = 200
    slack = 150  # ms of scheduling noise allowed on a gap (tests run side by side)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        peer.bind((HOST, 0))
        port = peer.getsockname()[1]
        device = subprocess.Popen([client, "--ack-timeout-ms", str(ack_timeout), HOST,
                                   str(port), "get", "/scripted", "get", "/never"],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL)
        try:
            arrivals = []
            peer.settimeout(10)
            while len(arrivals) < 3 + 5:
                try:
                    data, addr = peer.recvfrom(2048)
                except socket.timeout:
                    raise Failed(f"only {len(arrivals)} datagram(s) came from the device")
                arrivals.append((time.monotonic(), data))
                mtype, code, mid, token, options, _ = coap_parse(data)
                require(mtype == 0 and code == 1 and len(token) == 4,
                        f"not a confirmable GET with a 4-byte token: {data!r}")
                n = len(arrivals)
                if n == 1:
                    require(options == [(11, b"scripted")], f"unexpected options {options!r}")
                    peer.sendto(coap_message(2, 0x45, (mid + 1) & 0xffff, token, b"wrong mid"), addr)
                elif n == 2:
                    peer.sendto(coap_message(2, 0x45, mid, b"\x00\x00\x00\x00", b"wrong token"), addr)
                elif n == 3:
                    peer.sendto(coap_message(2, 0x45, mid, token, b"scripted answer"), addr)
                elif n == 4:
                    require(options == [(11, b"never")], f"unexpected options {options!r}")
            try:
                out, _ = device.communicate(timeout=DEVICE_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                raise Failed("coap_client did not give up in time")
            peer.settimeout(0.5)
            try:
                extra = peer.recvfrom(2048)
                raise Failed(f"a datagram after the last retransmission: {extra!r}")
            except socket.timeout:
                pass
        finally:
            stop(device)
    lines = out.decode(errors="replace").splitlines()
    for line in lines:
        print(f"[device] {line}", flush=True)
    require(device.returncode == 1, f"coap_client exited with status {device.returncode}, "
            "expected 1 (the second request goes unanswered)")
    got = results(lines)
    require(len(got) == 1 and got[0][2] == "2.05" and got[0][3] == 2 and
            got[0][5] == "scripted answer",
            f"the first request's answer is {got!r}, expected 2.05 'scripted answer' after "
            "2 retransmissions")
    require(f"coap: no answer after 4 retransmissions" in lines,
            "the device did not report giving up after 4 retransmissions")
    for first, rest in ((0, arrivals[1:3]), (3, arrivals[4:8])):
        require(all(d == arrivals[first][1] for _, d in rest),
                "a retransmission differs from the first transmission")
    for times in ([t for t, _ in arrivals[0:3]], [t for t, _ in arrivals[3:8]]):
        gaps = [(b - a) * 1000 for a, b in zip(times, times[1:])]
        require(ack_timeout - 5 <= gaps[0] <= ack_timeout * 1.5 + slack,
                f"first timeout {gaps[0]:.0f} ms, expected {ack_timeout} to "
                f"{ack_timeout * 1.5:.0f} ms")
        for a, b in zip(gaps, gaps[1:]):
            require(abs(b - 2 * a) <= slack + 0.05 * b,
                    f"gaps {[round(g) for g in gaps]} ms do not double")
        print(f"coap_peer: gaps between transmissions {[round(g) for g in gaps]} ms: "
              "doubling, as RFC 7252 says", flush=True)


def main():
    cases = {"libcoap": case_libcoap, "loss": case_loss, "retransmit": case_retransmit}
    if len(sys.argv) != 3 or sys.argv[1] not in cases:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        cases[sys.argv[1]](sys.argv[2])
    except (Failed, OSError, subprocess.SubprocessError) as e:
        print(f"coap_peer: FAILED: {e}", flush=True)
        sys.exit(1)
    print("coap_peer: PASSED", flush=True)


if __name__ == "__main__":
    main()
