#!/usr/bin/python3
"""curl_peer.py: checks http_server with an independent HTTP client, curl.

Starts `http_server --port PORT` on a free loopback port (PORT found by binding port 0,
so the host link does not remap it), waits (bounded) for its "listening" line, runs the
checks of MODE, stops it with SIGTERM and requires a clean exit (status 0) with the right
request count. The server is always stopped, even when a check fails.

usage: curl_peer.py HTTP_SERVER MODE CURL [NSEMU]
  sequential  one client after the other: the page, /status (its counters checked
              exactly), POST /echo of 200 KB byte for byte, HEAD, 404, 405, two URLs on
              one keep-alive connection, and two pipelined requests in one write
  concurrent  three connections stay half-sent while curl is answered (the server
              serves at once, not one by one), then 8 clients at once: 4 background
              curls posting distinct 256 KB bodies to /echo and curl --parallel with 4
              GETs; every body checked
  faults      tcp.send_chunk=64 added to NSEMU_FAULTS: the page, /status and a 100 KB
              echo still arrive intact; the server's largest send is 64 bytes
  nsemu-run   the same through `NSEMU run --fault tcp.send_chunk=64 --log L --`, stopped
              with SIGTERM sent to nsemu (which forwards it); checks the summary too

Exits 0 when every check passed, 1 at the first that did not, 77 (skipped) without curl.
"""
import json
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"
START_TIMEOUT_S = 10
CURL_TIMEOUT_S = 20
EXIT_TIMEOUT_S = 10
PAGE_TITLE = b"Hello from an Mbed OS device"


def fail(message):
    print(f"curl_peer: FAILED: {message}", flush=True)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class ServerProcess:
    """http_server (or nsemu run ... http_server) with its output read line by line."""

    def __init__(self, argv, env):
        self.argv = argv
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.lines, self.queue, self.stderr = [], queue.Queue(), []
        self.readers = [threading.Thread(target=self.read_out, daemon=True),
                        threading.Thread(target=self.read_err, daemon=True)]
        for t in self.readers:
            t.start()

    def read_out(self):
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            self.lines.append(line)
            self.queue.put(line)
        self.queue.put(None)

    def read_err(self):
        for raw in self.proc.stderr:
            self.stderr.append(raw.decode(errors="replace"))

    def wait_line(self, pattern, timeout=START_TIMEOUT_S):
        """The first new line matching pattern; None if the output ends first."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                fail(f"no line matching '{pattern}' within {timeout} s; output:\n"
                     + "\n".join(self.lines))
            try:
                line = self.queue.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                return None
            m = re.search(pattern, line)
            if m:
                return m

    def stop(self):
        """SIGTERM, then the exit status (bounded); the output is complete afterwards."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            fail(f"the server did not exit within {EXIT_TIMEOUT_S} s of SIGTERM")
        for t in self.readers:
            t.join(timeout=5)
        return status

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Peer:
    def __init__(self, server_bin, curl, workdir, env, nsemu=None, nsemu_args=()):
        self.server_bin, self.curl, self.workdir, self.env = server_bin, curl, workdir, env
        self.nsemu, self.nsemu_args = nsemu, list(nsemu_args)
        self.server, self.port, self.files = None, None, 0
        self.log_path = os.path.join(workdir, "run.log") if nsemu else None

    # -- the server ----------------------------------------------------------------

    def start(self):
        for _ in range(3):  # the free port may be taken before the server binds it
            self.port = free_port()
            argv = [self.server_bin, "--port", str(self.port)]
            if self.nsemu:
                argv = [self.nsemu, "run", *self.nsemu_args, "--log", self.log_path,
                        "--"] + argv
            self.server = ServerProcess(argv, self.env)
            if self.server.wait_line(r"^http_server: listening on") is not None:
                print(f"curl_peer: http_server listens on {HOST}:{self.port}", flush=True)
                return
            self.server.stop()
        fail("http_server could not listen:\n" + "\n".join(self.server.lines))

    def stop(self, expect_requests):
        status = self.server.stop()
        out = "\n".join(self.server.lines)
        if status != 0:
            fail(f"http_server exited with status {status}:\n{out}\n{''.join(self.server.stderr)}")
        m = re.search(r"served (\d+) requests on (\d+) connections, at most (\d+) at once; "
                      r"(\d+) send calls \(largest (\d+) bytes\)", out)
        if m is None:
            fail(f"no final statistics line in:\n{out}")
        if int(m.group(1)) != expect_requests:
            fail(f"http_server served {m.group(1)} requests, expected {expect_requests}")
        if "http_server: stopped by a signal" not in out:
            fail(f"http_server did not say that SIGTERM stopped it:\n{out}")
        print(f"curl_peer: http_server exited 0 after {m.group(1)} requests on "
              f"{m.group(2)} connections (at most {m.group(3)} at once, "
              f"largest send {m.group(5)} bytes)", flush=True)
        return {"peak": int(m.group(3)), "largest_send": int(m.group(5))}

    # -- curl ----------------------------------------------------------------------

    def url(self, path):
        return f"http://{HOST}:{self.port}{path}"

    def new_file(self, data=None):
        self.files += 1
        path = os.path.join(self.workdir, f"f{self.files}")
        if data is not None:
            with open(path, "wb") as f:
                f.write(data)
        return path

    def curl_cmd(self, *args):
        # -q: no ~/.curlrc; no proxy from the environment; bounded.
        return [self.curl, "-q", "-sS", "--noproxy", "*", "--max-time", str(CURL_TIMEOUT_S - 5),
                *args]

    def request(self, path, *args, what=None):
        """One curl run: (status code, headers as a dict, body bytes). With -I (HEAD)
        curl writes the headers where the body would go: the body is then b"" when curl
        counted no body bytes."""
        body_path, head_path = self.new_file(), self.new_file()
        argv = self.curl_cmd("-o", body_path, "-D", head_path,
                             "-w", "%{http_code} %{size_download}", *args, self.url(path))
        try:
            p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=CURL_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            fail(f"{what or path}: curl did not finish within {CURL_TIMEOUT_S} s")
        if p.returncode != 0:
            fail(f"{what or path}: curl exited {p.returncode}: {p.stderr.decode().strip()}")
        code, size = (int(v) for v in p.stdout.split())
        body = read_file(body_path) if "-I" not in args or size > 0 else b""
        return code, read_headers(head_path), body

    def status(self):
        code, headers, body = self.request("/status")
        if code != 200 or headers.get("content-type") != "application/json":
            fail(f"/status: {code} {headers.get('content-type')}")
        doc = json.loads(body)
        if set(doc) != {"uptime_ms", "requests", "connections", "ip"}:
            fail(f"/status: unexpected keys in {doc}")
        if doc["ip"] != HOST or not isinstance(doc["uptime_ms"], int) or doc["uptime_ms"] < 0:
            fail(f"/status: bad values in {doc}")
        return doc

    # -- checks --------------------------------------------------------------------

    def check_page(self):
        code, headers, body = self.request("/")
        if code != 200 or not headers.get("content-type", "").startswith("text/html"):
            fail(f"/: {code} {headers.get('content-type')}")
        if int(headers.get("content-length", -1)) != len(body):
            fail(f"/: Content-Length {headers.get('content-length')}, body {len(body)} bytes")
        if not body.startswith(b"<!DOCTYPE html>") or PAGE_TITLE not in body \
                or b'href="/status"' not in body:
            fail(f"/: not the device's page: {body[:200]!r}")
        print(f"curl_peer: GET / -> 200, {len(body)} bytes of HTML", flush=True)
        return body

    def check_echo(self, size, seed):
        payload = random_bytes(size, seed)
        code, headers, body = self.request(
            "/echo", "--data-binary", "@" + self.new_file(payload),
            "-H", "Content-Type: application/octet-stream", "-H", "Expect:")
        if code != 200 or body != payload:
            fail(f"POST /echo of {size} bytes: {code}, got {len(body)} bytes back"
                 + ("" if len(body) != size else " (different)"))
        print(f"curl_peer: POST /echo -> 200, {size} bytes back byte for byte", flush=True)


def random_bytes(size, seed):
    return random.Random(seed).randbytes(size)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def read_headers(path):
    """The last response's header block (curl -D), names lower-cased."""
    text = read_file(path).decode("latin-1")
    block = [b for b in text.split("\r\n\r\n") if b.strip()][-1]
    headers = {}
    for line in block.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


def read_responses(sock, count):
    """count HTTP/1.1 responses with Content-Length read from sock: [(status, body)]."""
    data, out = b"", []
    sock.settimeout(CURL_TIMEOUT_S)
    while len(out) < count:
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            head = data[:end].decode("latin-1").split("\r\n")
            length = next(int(h.split(":", 1)[1]) for h in head
                          if h.lower().startswith("content-length:"))
            if len(data) >= end + 4 + length:
                out.append((int(head[0].split()[1]), data[end + 4:end + 4 + length]))
                data = data[end + 4 + length:]
                continue
        chunk = sock.recv(65536)
        if not chunk:
            fail(f"the connection closed after {len(out)} of {count} responses")
        data += chunk
    return out


def sequential(peer):
    page = peer.check_page()                                          # request 1
    doc = peer.status()                                               # request 2
    if (doc["requests"], doc["connections"]) != (2, 2):
        fail(f"/status after one GET /: {doc}, expected requests 2, connections 2")
    print(f"curl_peer: GET /status -> {doc}", flush=True)
    peer.check_echo(200 * 1024, seed=1)                               # 3
    code, headers, body = peer.request("/", "-I")                     # 4: HEAD
    if code != 200 or int(headers["content-length"]) != len(page) or body != b"":
        fail(f"HEAD /: {code}, Content-Length {headers.get('content-length')}, "
             f"{len(body)} body bytes")
    code, _, body = peer.request("/nope")                             # 5
    if code != 404 or body != b"no such page\n":
        fail(f"GET /nope: {code} {body!r}")
    code, headers, _ = peer.request("/", "-X", "POST", "-d", "x")     # 6
    if code != 405 or headers.get("allow") != "GET, HEAD":
        fail(f"POST /: {code}, Allow {headers.get('allow')}")
    print("curl_peer: HEAD / -> 200 without a body; /nope -> 404; POST / -> 405", flush=True)

    before = peer.status()                                            # 7
    a, b = peer.new_file(), peer.new_file()
    p = subprocess.run(peer.curl_cmd("-o", a, "-o", b, "-w", "%{http_code} %{num_connects}\n",
                                     peer.url("/"), peer.url("/status")),
                       stdout=subprocess.PIPE, timeout=CURL_TIMEOUT_S)  # 8, 9
    if p.returncode != 0 or p.stdout.split() != [b"200", b"1", b"200", b"0"]:
        fail(f"two URLs on one connection: curl {p.returncode}, {p.stdout!r}")
    if read_file(a) != page or json.loads(read_file(b))["requests"] != before["requests"] + 2:
        fail("two URLs on one connection: wrong bodies")
    after = peer.status()                                             # 10
    if (after["requests"] - before["requests"], after["connections"] - before["connections"]) \
            != (3, 2):
        fail(f"keep-alive: /status went from {before} to {after}")
    print("curl_peer: two URLs on one keep-alive connection: both answered, "
          "one connection", flush=True)

    with socket.create_connection((HOST, peer.port), timeout=CURL_TIMEOUT_S) as s:  # 11, 12
        s.sendall(b"GET /status HTTP/1.1\r\nHost: device\r\n\r\n"
                  b"GET / HTTP/1.1\r\nHost: device\r\nConnection: close\r\n\r\n")
        (c1, b1), (c2, b2) = read_responses(s, 2)
        if c1 != 200 or json.loads(b1)["requests"] != after["requests"] + 1 \
                or c2 != 200 or b2 != page:
            fail(f"pipelined requests: {c1} {b1!r}, {c2} {len(b2)} bytes")
        if s.recv(1) != b"":
            fail("pipelined requests: the server did not close after Connection: close")
    print("curl_peer: two pipelined requests in one write: both answered in order", flush=True)
    return 12


def concurrent(peer):
    held = []
    for i in range(3):  # three clients that send half a request and wait
        s = socket.create_connection((HOST, peer.port), timeout=CURL_TIMEOUT_S)
        s.sendall(b"GET /status HTTP/1.1\r\nHo")
        held.append(s)
        peer.server.wait_line(rf"^server: conn {i + 1}: from ")
    try:
        page = peer.check_page()  # a fourth client is served while three are pending
        print("curl_peer: GET / answered while 3 other connections were half-sent", flush=True)
        for s in held:
            s.sendall(b"st: device\r\nConnection: close\r\n\r\n")
        for s in held:
            [(code, body)] = read_responses(s, 1)
            if code != 200 or json.loads(body)["ip"] != HOST:
                fail(f"a held connection got {code} {body!r}")
    finally:
        for s in held:
            s.close()
    print("curl_peer: the 3 half-sent requests, completed, were answered", flush=True)

    payloads = [random_bytes(256 * 1024, seed) for seed in range(10, 14)]
    posts = []
    for data in payloads:  # 4 POSTs and a 4-way --parallel run, all at once
        out = peer.new_file()
        argv = peer.curl_cmd("-o", out, "-w", "%{http_code}", "--data-binary",
                             "@" + peer.new_file(data), "-H", "Expect:", peer.url("/echo"))
        posts.append((subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE),
                      out, data))
    gets = [peer.new_file() for _ in range(4)]
    par_argv = peer.curl_cmd("--parallel", "--parallel-immediate", "--parallel-max", "4",
                             "-w", "%{http_code}\n")
    for out, path in zip(gets, ["/", "/status", "/", "/status"]):
        par_argv += ["-o", out, peer.url(path)]
    par = subprocess.Popen(par_argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for proc, out, data in posts:
            stdout, stderr = proc.communicate(timeout=CURL_TIMEOUT_S)
            if proc.returncode != 0 or stdout != b"200" or read_file(out) != data:
                fail(f"concurrent POST /echo: curl {proc.returncode} {stdout!r} "
                     f"{stderr.decode().strip()}, {len(read_file(out))} bytes back")
        stdout, stderr = par.communicate(timeout=CURL_TIMEOUT_S)
        if par.returncode != 0 or stdout.split() != [b"200"] * 4:
            fail(f"curl --parallel: {par.returncode} {stdout!r} {stderr.decode().strip()}")
    finally:
        for proc in [p for p, _, _ in posts] + [par]:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for out, path in zip(gets, ["/", "/status", "/", "/status"]):
        body = read_file(out)
        if (path == "/" and body != page) or (path == "/status" and json.loads(body)["ip"] != HOST):
            fail(f"curl --parallel: wrong body for {path}: {body[:100]!r}")
    print("curl_peer: 8 clients at once: 4 echoes of 256 KB byte for byte, "
          "4 GETs in parallel", flush=True)
    doc = peer.status()
    if doc["requests"] != 13:
        fail(f"/status says {doc['requests']} requests, expected 13")
    return 13


def with_faults(peer):
    peer.check_page()
    doc = peer.status()
    if doc["requests"] != 2:
        fail(f"/status: {doc}")
    peer.check_echo(100 * 1024, seed=2)
    code, headers, body = peer.request("/", "-I")
    if code != 200 or body != b"":
        fail(f"HEAD /: {code}")
    return 4


def check_nsemu_summary(peer):
    err = "".join(peer.server.stderr)
    for line in ("exited with status 0", f"event log: {peer.log_path}"):
        if line not in err:
            fail(f"nsemu run's summary lacks '{line}':\n{err}")
    log = read_file(peer.log_path).decode()
    if "sock=1 open server" not in log:
        fail(f"the event log does not show the listening socket:\n{log}")
    print("curl_peer: nsemu run forwarded SIGTERM, exited 0, and kept the event log",
          flush=True)


def main():
    modes = ("sequential", "concurrent", "faults", "nsemu-run")
    if len(sys.argv) < 4 or sys.argv[2] not in modes \
            or (sys.argv[2] == "nsemu-run") != (len(sys.argv) == 5):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    server_bin, mode, curl = sys.argv[1:4]
    if not os.access(curl, os.X_OK):
        print("curl_peer: SKIPPED: curl is not installed (apt-get install curl)", flush=True)
        sys.exit(77)
    env = dict(os.environ)
    nsemu, nsemu_args = None, []
    if mode == "faults":
        env["NSEMU_FAULTS"] = ",".join(filter(None, [env.get("NSEMU_FAULTS"),
                                                     "tcp.send_chunk=64"]))
    elif mode == "nsemu-run":
        nsemu, nsemu_args = sys.argv[4], ["--fault", "tcp.send_chunk=64"]
    with tempfile.TemporaryDirectory(prefix="curl_peer.") as workdir:
        peer = Peer(server_bin, curl, workdir, env, nsemu, nsemu_args)
        try:
            peer.start()
            requests = {"sequential": sequential, "concurrent": concurrent}.get(
                mode, with_faults)(peer)
            stats = peer.stop(requests)
            if mode == "concurrent" and stats["peak"] != 4:
                fail(f"at most {stats['peak']} connections were served at once, expected 4")
            if mode in ("faults", "nsemu-run") and stats["largest_send"] != 64:
                fail(f"the largest send took {stats['largest_send']} bytes; "
                     f"tcp.send_chunk is 64")
            if mode == "nsemu-run":
                check_nsemu_summary(peer)
        finally:
            if peer.server is not None:
                peer.server.kill()
    print("curl_peer: PASSED", flush=True)


if __name__ == "__main__":
    main()
