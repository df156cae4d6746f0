#!/usr/bin/python3
"""ws_peer.py: checks websocket_server against real WebSocket peers.

  chromium  headless Chromium (Debian's `chromium`, as root with --no-sandbox, kept off
            the network: no QUIC, no background networking, no component updates, no
            sync, a fresh profile) loads http://127.0.0.1:PORT/?message=… from the
            device; the page's script opens ws:// back to the device, sends the message
            and writes the echo into the page. This script drives Chromium through the
            DevTools protocol (on loopback, with python3-websockets) and waits, bounded,
            for the page's status to become "echoed" — --dump-dom with
            --virtual-time-budget does not wait for a WebSocket's answer — then the
            page's DOM must show the echo; the device must have echoed one text
            message of that length.
  frames    python3-websockets (Debian's, under /usr/bin/python3) exchanges text and
            binary messages of 0 to 65536 bytes (the 7-bit, 16-bit and 64-bit length
            forms), fragmented messages, a ping, and a close with code 4001; then raw
            frames written here check the exact bytes on the wire — the accept key of
            RFC 6455's example, each length form of the server's frames, a ping between
            fragments, and the close codes the server must send: 1002 for an unmasked
            frame, reserved bits, a continuation without a message, a long ping, a bad
            close code; 1007 for text that is not UTF-8; 1009 for a message over 1 MiB
            — plus the HTTP side: the page, 404, 426 for another WebSocket version.

usage: ws_peer.py chromium|frames WEBSOCKET_SERVER [NSEMU [KNOB=VALUE...]]
  With NSEMU (the `nsemu` command) the server runs as `nsemu run --fault KNOB=VALUE …
  -- WEBSOCKET_SERVER PORT`: the same checks under faults.

The server runs on a free device port from 100-1023, so the host port is that plus 8000
(the host link's port_offset). Exits 0 when every check passed, 1 on the first failure,
77 (skipped) when Chromium (chromium case) or python3-websockets (frames case) is
missing. The server, and Chromium, are always stopped; every wait is bounded.
"""
import asyncio
import base64
import hashlib
import html
import os
import random
import shutil
import socket
import string
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HOST = "127.0.0.1"
PORT_OFFSET = 8000
START_TIMEOUT_S = 10
IO_TIMEOUT_S = 10
CHROMIUM_TIMEOUT_S = 60
RFC_KEY, RFC_ACCEPT = "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xa


PRINT_LOCK = threading.Lock()  # whole lines, whichever thread prints


def say(line):
    with PRINT_LOCK:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class Failed(Exception):
    pass


def require(condition, message):
    if not condition:
        raise Failed(message)


def skip(reason):
    say(f"ws_peer: SKIPPED: {reason}")
    sys.exit(77)


# ---- the device server -------------------------------------------------------------

def host_port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


class Server:
    """websocket_server on a free device port; its output lines are kept."""

    def __init__(self, binary, wrapper):
        ports = list(range(100, 1024))
        random.shuffle(ports)
        self.device_port = next((p for p in ports if host_port_free(p + PORT_OFFSET)), None)
        require(self.device_port is not None, "no free host port in 8100-9023")
        self.port = self.device_port + PORT_OFFSET
        self.lines, self.cond = [], threading.Condition()
        self.proc = subprocess.Popen(wrapper + [binary, str(self.device_port)],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            require(self.proc.poll() is None,
                    f"websocket_server exited with status {self.proc.returncode}")
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                break
            except OSError:
                require(time.monotonic() < deadline,
                        f"nothing listens on {HOST}:{self.port} within {START_TIMEOUT_S} s")
                time.sleep(0.05)

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            say(f"[device] {line}")
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()

    def wait_line(self, text, timeout=IO_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not any(text in line for line in self.lines):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---- chromium ----------------------------------------------------------------------

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--no-default-browser-check",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-extensions", "--disable-default-apps",
                  "--disable-domain-reliability", "--disable-breakpad"]


def devtools_port(profile, browser, deadline):
    """The DevTools port Chromium chose (--remote-debugging-port=0 writes it down)."""
    path = os.path.join(profile, "DevToolsActivePort")
    while True:
        require(browser.poll() is None, f"chromium exited with status {browser.returncode}")
        try:
            with open(path) as f:
                first = f.readline().strip()
            if first:
                return int(first)
        except (OSError, ValueError):
            pass
        require(time.monotonic() < deadline, "chromium did not open its DevTools port")
        time.sleep(0.1)


async def drive_page(websockets, debug_port, url, deadline):
    """Opens url in Chromium's page through the DevTools protocol, waits (bounded) until
    the page's status is 'echoed' or 'error'/'closed …', and returns the page's DOM."""
    import json
    import urllib.request

    with urllib.request.urlopen(f"http://{HOST}:{debug_port}/json/list", timeout=5) as r:
        targets = json.load(r)
    page = next(t for t in targets if t.get("type") == "page")
    async with websockets.connect(page["webSocketDebuggerUrl"], max_size=2 ** 24,
                                  open_timeout=IO_TIMEOUT_S) as cdp:
        ids = iter(range(1, 1 << 30))

        async def call(method, **params):
            mid = next(ids)
            await cdp.send(json.dumps({"id": mid, "method": method, "params": params}))
            while True:
                reply = json.loads(await asyncio.wait_for(cdp.recv(), IO_TIMEOUT_S))
                if reply.get("id") == mid:
                    require("error" not in reply, f"{method}: {reply.get('error')}")
                    return reply["result"]

        async def evaluate(expression):
            result = await call("Runtime.evaluate", expression=expression, returnByValue=True)
            return result["result"].get("value")

        await call("Page.navigate", url=url)
        status = None
        while time.monotonic() < deadline:
            status = await evaluate("document.getElementById('status') ? "
                                    "document.getElementById('status').textContent : null")
            if status == "echoed" or (status or "").startswith(("error", "closed")):
                break
            await asyncio.sleep(0.1)
        say(f"ws_peer: the page's status: {status!r}")
        return await evaluate("document.documentElement.outerHTML")


def case_chromium(server):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        skip("chromium is not installed (apt-get install chromium)")
    try:
        import websockets
    except ImportError:
        skip("python3-websockets is not installed (apt-get install python3-websockets)")
    message = f"hello from chromium, token {random.randrange(10**9)}"
    url = f"http://{HOST}:{server.port}/?message={urllib.parse.quote(message)}"
    deadline = time.monotonic() + CHROMIUM_TIMEOUT_S
    with tempfile.TemporaryDirectory(prefix="ws_peer-chromium-") as profile:
        # The DevTools endpoint listens on loopback only (Chromium's default address).
        argv = [chromium] + CHROMIUM_FLAGS + [f"--user-data-dir={profile}",
                                              "--remote-debugging-port=0", "about:blank"]
        say("ws_peer: running " + " ".join(argv))
        with open(os.path.join(profile, "chromium.log"), "wb") as log:
            browser = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
            try:
                port = devtools_port(profile, browser, deadline)
                dom = asyncio.run(asyncio.wait_for(drive_page(websockets, port, url, deadline),
                                                   CHROMIUM_TIMEOUT_S))
            finally:
                if browser.poll() is None:
                    os.killpg(browser.pid, 15)  # its own session: the renderers go too
                    try:
                        browser.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        os.killpg(browser.pid, 9)
                        browser.wait()
    say(f"ws_peer: the page's DOM:\n{dom}")
    require(f'<span id="echo">{html.escape(message)}</span>' in dom,
            "the echo is not in the page's DOM")
    require('<span id="status">echoed</span>' in dom, "the page's status is not 'echoed'")
    require(server.wait_line(f"text message of {len(message)} bytes in 1 fragment(s), echoed"),
            "the device did not report echoing the browser's message")
    say("ws_peer: Chromium's page got its message back from the device")


# ---- frames with python3-websockets ------------------------------------------------

async def library_cases(port, websockets):
    uri = f"ws://{HOST}:{port}/ws"
    async with websockets.connect(uri, max_size=2 ** 21, compression=None,
                                  open_timeout=IO_TIMEOUT_S) as ws:
        async def echo(sent, what):
            await ws.send(sent)
            got = await asyncio.wait_for(ws.recv(), IO_TIMEOUT_S)
            require(type(got) is type(sent if not isinstance(sent, list) else sent[0]),
                    f"{what}: echoed as the other kind of message")
            want = sent if not isinstance(sent, list) else type(sent[0])().join(sent)
            require(got == want, f"{what}: the echo differs ({len(got)} bytes back)")
            say(f"ws_peer: {what}: echoed exactly")

        await echo("hello, websocket", "text")
        await echo("h\u00e9, \u20ac and \U0001F600", "text with multi-byte UTF-8")
        await echo(bytes(range(256)), "binary, every byte value")
        await echo(b"", "empty binary message")
        for n in (125, 126, 65535, 65536):
            await echo(os.urandom(n), f"binary of {n} bytes")
            await echo("".join(random.choice(string.ascii_letters) for _ in range(n)),
                       f"text of {n} bytes")
        await echo(["fragment one, ", "fragment two, ", "fragment three"],
                   "text in 3 fragments")
        await echo([b"\x00\x01", b"", b"\x02" * 70000], "binary in 3 fragments")
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, IO_TIMEOUT_S)
        say("ws_peer: ping answered with its pong")
        await ws.close(code=4001, reason="bye for now")
        require(ws.close_code == 4001, f"the server closed with {ws.close_code}, "
                "expected its echo of 4001")
        say("ws_peer: close 4001 echoed")


# ---- raw frames --------------------------------------------------------------------

class Raw:
    """A WebSocket connection by hand, to see and send exact bytes."""

    def __init__(self, port, head_extra="Sec-WebSocket-Version: 13\r\n", path="/ws"):
        self.sock = socket.create_connection((HOST, port), timeout=IO_TIMEOUT_S)
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {RFC_KEY}\r\n{head_extra}\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            require(chunk, "the server closed during the handshake")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.head = head.decode()

    def upgraded(self):
        return self.head.startswith("HTTP/1.1 101 ")

    def send(self, opcode, payload, fin=True, masked=True, rsv=0, length=None):
        n = len(payload) if length is None else length
        first = (0x80 if fin else 0) | rsv << 4 | opcode
        if n < 126:
            head = struct.pack("!BB", first, (0x80 if masked else 0) | n)
        elif n <= 0xffff:
            head = struct.pack("!BBH", first, (0x80 if masked else 0) | 126, n)
        else:
            head = struct.pack("!BBQ", first, (0x80 if masked else 0) | 127, n)
        if masked:
            key = os.urandom(4)
            head += key
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + payload)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            require(chunk, "the server closed the connection early")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """(fin, opcode, payload, the header's bytes) of the server's next frame."""
        head = self._read(2)
        require(head[1] & 0x80 == 0, "the server masked a frame (RFC 6455 §5.1 forbids it)")
        n = head[1] & 0x7f
        if n == 126:
            head += self._read(2)
            n = struct.unpack("!H", head[2:])[0]
        elif n == 127:
            head += self._read(8)
            n = struct.unpack("!Q", head[2:])[0]
        return bool(head[0] & 0x80), head[0] & 0x0f, self._read(n), head

    def expect_close(self, code, what):
        _, opcode, payload, _ = self.recv()
        require(opcode == CLOSE, f"{what}: got opcode {opcode}, expected a close")
        got = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
        require(got == code, f"{what}: the server closed with {got}, expected {code}")
        self.send(CLOSE, payload[:2])
        self.sock.settimeout(IO_TIMEOUT_S)
        require(self.sock.recv(1) == b"", f"{what}: the server did not end the connection")
        say(f"ws_peer: {what}: the server closed with {code} "
              f"({payload[2:].decode(errors='replace')})")

    def close(self):
        self.sock.close()


def http_get(port, path):
    with socket.create_connection((HOST, port), timeout=IO_TIMEOUT_S) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data.decode(errors="replace")
            data += chunk


def raw_cases(port):
    raw = Raw(port)
    require(raw.upgraded(), f"no 101 for a valid upgrade: {raw.head!r}")
    accept = base64.b64encode(hashlib.sha1((RFC_KEY + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                           .encode()).digest()).decode()
    require(accept == RFC_ACCEPT and f"Sec-WebSocket-Accept: {RFC_ACCEPT}" in raw.head,
            f"wrong Sec-WebSocket-Accept in {raw.head!r}")
    say("ws_peer: the handshake answers RFC 6455's example key with its accept value")
    for n, want in ((125, b"\x82\x7d"), (126, b"\x82\x7e\x00\x7e"),
                    (65536, b"\x82\x7f" + struct.pack("!Q", 65536))):
        payload = os.urandom(n)
        raw.send(BINARY, payload)
        fin, opcode, got, head = raw.recv()
        require(head == want and fin and got == payload,
                f"{n} bytes: header {head.hex()}, expected {want.hex()}")
    say("ws_peer: the server's frames use the 7-bit, 16-bit and 64-bit length forms")
    raw.send(TEXT, b"ab", fin=False)
    raw.send(PING, b"between")
    raw.send(CONT, b"cd", fin=False)
    raw.send(CONT, b"ef")
    first, second = raw.recv(), raw.recv()
    require(first[1:3] == (PONG, b"between") and second[1:3] == (TEXT, b"abcdef"),
            f"ping between fragments: got {first[1:3]!r} then {second[1:3]!r}")
    say("ws_peer: a ping between fragments is answered at once; the message arrives whole")
    raw.send(CLOSE, struct.pack("!H", 1000) + b"done")
    raw.expect_close(1000, "close 1000 from the client")
    raw.close()

    errors = [
        ("an unmasked frame", 1002, lambda r: r.send(TEXT, b"plain", masked=False)),
        ("a reserved bit", 1002, lambda r: r.send(TEXT, b"x", rsv=4)),
        ("a continuation without a message", 1002, lambda r: r.send(CONT, b"x")),
        ("a new message inside a fragmented one", 1002,
         lambda r: (r.send(TEXT, b"a", fin=False), r.send(TEXT, b"b"))),
        ("a ping of 126 bytes", 1002, lambda r: r.send(PING, b"p" * 126)),
        ("an unknown opcode", 1002, lambda r: r.send(0x3, b"x")),
        ("a close with code 1005", 1002, lambda r: r.send(CLOSE, struct.pack("!H", 1005))),
        ("a close with a 1-byte payload", 1002, lambda r: r.send(CLOSE, b"\x03")),
        ("text that is not UTF-8", 1007, lambda r: r.send(TEXT, b"bad \xc0\xaf")),
        ("a message over 1 MiB", 1009, lambda r: r.send(BINARY, b"", length=(1 << 20) + 1)),
    ]
    for what, code, act in errors:
        raw = Raw(port)
        require(raw.upgraded(), f"{what}: no 101")
        act(raw)
        raw.expect_close(code, what)
        raw.close()

    raw = Raw(port, head_extra="Sec-WebSocket-Version: 8\r\n")
    require(raw.head.startswith("HTTP/1.1 426 ") and "Sec-WebSocket-Version: 13" in raw.head,
            f"version 8: expected 426 with Sec-WebSocket-Version: 13, got {raw.head!r}")
    raw.close()
    raw = Raw(port, path="/elsewhere")
    require(raw.head.startswith("HTTP/1.1 404 "), f"/elsewhere: expected 404, got {raw.head!r}")
    raw.close()
    page = http_get(port, "/")
    require(page.startswith("HTTP/1.1 200 ") and "new WebSocket('ws://' + location.host + '/ws')"
            in page, "GET / does not serve the page")
    require(http_get(port, "/missing").startswith("HTTP/1.1 404 "), "GET /missing is not 404")
    say("ws_peer: HTTP: the page at /, 404 elsewhere, 426 for WebSocket version 8")


def case_frames(server):
    try:
        import websockets
    except ImportError:
        skip("python3-websockets is not installed (apt-get install python3-websockets)")
    asyncio.run(asyncio.wait_for(library_cases(server.port, websockets), 60))
    raw_cases(server.port)
    require(server.wait_line("close 4001 'bye for now' from the client, echoed"),
            "the device did not report the client's close 4001")


def main():
    cases = {"chromium": case_chromium, "frames": case_frames}
    if len(sys.argv) < 3 or sys.argv[1] not in cases:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    server = None
    try:
        wrapper = []
        if len(sys.argv) > 3:
            wrapper = [sys.argv[3], "run"]
            for fault in sys.argv[4:]:
                wrapper += ["--fault", fault]
            wrapper.append("--")
        server = Server(sys.argv[2], wrapper)
        cases[sys.argv[1]](server)
    except (Failed, OSError, subprocess.SubprocessError, asyncio.TimeoutError) as e:
        say(f"ws_peer: FAILED: {type(e).__name__}: {e}")
        sys.exit(1)
    except Exception as e:  # websockets' own errors: a refused handshake, a bad frame
        say(f"ws_peer: FAILED: {type(e).__name__}: {e}")
        sys.exit(1)
    finally:
        if server is not None:
            server.stop()
    say("ws_peer: PASSED")


if __name__ == "__main__":
    main()
