#!/usr/bin/python3
"""http_peer.py: checks http_client against an independent HTTP server, Python's own.

A ThreadingHTTPServer on 127.0.0.1, on a port the kernel picks (port 0), answers:

  /length/N     N bytes with Content-Length
  /chunked/N    N bytes, Transfer-Encoding: chunked, written in many small pieces with
                pauses (chunk-size lines cut in two, a chunk extension, a trailer), so
                the client's reads end anywhere inside the framing
  /close/N      N bytes with neither: the body ends when the server closes
  /missing      404 with a short text body

The bodies are pseudo-random bytes fixed by N. For each request the peer checks what
http_client sent (method, target, Host header) and afterwards what it wrote with
--output (byte for byte and by SHA-256), the status, the headers and the CRC-32 it
printed, and that it exited 0.

usage: http_peer.py HTTP_CLIENT MODE [NSEMU]
  plain      every body kind and size, the name 'localhost', an IP, and a [dns] static
             name from a scenario file (NSEMU_SCENARIO)
  faults     chunked and Content-Length bodies with tcp.recv_chunk=7 and
             tcp.latency_ms=30 added to NSEMU_FAULTS; the client's largest read must be
             7 bytes
  nsemu-run  the same through `NSEMU run --scenario S --fault ... --log L -- http_client`;
             checks the run's summary and event log too

Exits 0 when every check passed, 1 at the first that did not; the server is always shut
down, and every client run is bounded by a timeout.
"""
import hashlib
import http.server
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import zlib

HOST = "127.0.0.1"
CLIENT_TIMEOUT_S = 30  # one http_client run, faults and all
FAULTS = ["tcp.recv_chunk=7", "tcp.latency_ms=30"]


def fail(message):
    print(f"http_peer: FAILED: {message}", flush=True)
    sys.exit(1)


def body_of(size):
    return random.Random(size).randbytes(size)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked needs it
    requests = []                  # (method, target, Host header), for the checks

    def log_message(self, fmt, *args):
        pass  # the test prints its own lines

    def do_GET(self):
        Handler.requests.append((self.command, self.path, self.headers.get("Host")))
        m = re.fullmatch(r"/(length|chunked|close)/(\d+)", self.path)
        if m is None:
            self.reply_missing()
        elif m.group(1) == "length":
            self.reply_length(body_of(int(m.group(2))))
        elif m.group(1) == "chunked":
            self.reply_chunked(body_of(int(m.group(2))))
        else:
            self.reply_until_close(body_of(int(m.group(2))))

    def reply_missing(self):
        text = b"no such resource\n"
        self.send_response(404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def reply_length(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reply_until_close(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def piece(self, data):
        """One write on the wire, then a pause, so the client sees it on its own."""
        self.wfile.write(data)
        self.wfile.flush()
        time.sleep(0.003)

    def reply_chunked(self, body):
        # http.server cannot chunk: the framing (RFC 9112 §7.1) is written by hand.
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Trailer", "X-Body-SHA256")
        self.end_headers()
        self.wfile.flush()
        rng = random.Random(len(body) + 1)
        at, n = 0, 0
        while at < len(body):
            size = min(len(body) - at, rng.choice([1, 5, 100, 777, 4096, 20000]))
            line = b"%x" % size + (b";ext=%d" % n if n % 3 == 1 else b"") + b"\r\n"
            self.piece(line[:1])  # the size line cut in two
            self.piece(line[1:])
            chunk = body[at:at + size]
            self.piece(chunk[:size // 2])
            self.piece(chunk[size // 2:] + b"\r\n")
            at += size
            n += 1
        digest = hashlib.sha256(body).hexdigest().encode()
        self.piece(b"0\r\nX-Body-SHA256: " + digest + b"\r\n\r\n")


class Server:
    """The peer: started on a free loopback port, always shut down."""

    def __enter__(self):
        self.httpd = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def run_client(argv, env):
    try:
        p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=CLIENT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        fail(f"{' '.join(argv)} did not finish within {CLIENT_TIMEOUT_S} s")
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


class Checker:
    def __init__(self, client, workdir, env, nsemu=None, nsemu_args=()):
        self.client, self.workdir, self.env = client, workdir, env
        self.nsemu, self.nsemu_args = nsemu, list(nsemu_args)
        self.runs = 0

    def get(self, url, expect_body, expect_status=200, framing=None, max_read=None,
            expect_host=None):
        """One http_client run: URL must give expect_body; everything else is checked."""
        self.runs += 1
        out_path = os.path.join(self.workdir, f"body{self.runs}.bin")
        argv = [self.client, "--output", out_path, url]
        log_path = None
        if self.nsemu is not None:
            log_path = os.path.join(self.workdir, f"run{self.runs}.log")
            argv = [self.nsemu, "run", *self.nsemu_args, "--log", log_path, "--"] + argv
        before = len(Handler.requests)
        status, out, err = run_client(argv, self.env)
        what = f"GET {url}"
        if status != 0:
            fail(f"{what}: http_client exited {status}\n{out}{err}")
        # The request, as the server saw it.
        if len(Handler.requests) != before + 1:
            fail(f"{what}: the server got {len(Handler.requests) - before} requests, not 1")
        method, target, host_header = Handler.requests[-1]
        want_target = "/" + url.split("/", 3)[3]
        want_host = expect_host or url.split("/")[2]
        if (method, target, host_header) != ("GET", want_target, want_host):
            fail(f"{what}: the server got {method} {target} Host: {host_header}")
        # The body, byte for byte.
        with open(out_path, "rb") as f:
            got = f.read()
        if hashlib.sha256(got).digest() != hashlib.sha256(expect_body).digest():
            at = next((i for i, (a, b) in enumerate(zip(got, expect_body)) if a != b),
                      min(len(got), len(expect_body)))
            fail(f"{what}: body of {len(got)} bytes, expected {len(expect_body)}; "
                 f"first difference at byte {at}")
        # What it printed.
        want_status = f"status: {expect_status} "
        if not any(line.startswith(want_status) for line in out.splitlines()):
            fail(f"{what}: no line '{want_status}...' in:\n{out}")
        m = re.search(r"^body: (\d+) bytes, ([^,(]+?)(?: \((\d+) chunks\))?, crc32 ([0-9a-f]{8})$",
                      out, re.M)
        if m is None:
            fail(f"{what}: no body line in:\n{out}")
        if int(m.group(1)) != len(expect_body):
            fail(f"{what}: printed body length {m.group(1)}, expected {len(expect_body)}")
        if int(m.group(4), 16) != zlib.crc32(expect_body):
            fail(f"{what}: printed crc32 {m.group(4)}, expected {zlib.crc32(expect_body):08x}")
        if framing is not None and m.group(2) != framing:
            fail(f"{what}: printed framing '{m.group(2)}', expected '{framing}'")
        if framing == "chunked":
            digest = hashlib.sha256(expect_body).hexdigest()
            if f"trailer: X-Body-SHA256: {digest}" not in out:
                fail(f"{what}: the trailer is missing or wrong in:\n{out}")
        reads = re.search(r"recv call\(s\) for \d+ bytes \(largest (\d+)\)", out)
        if reads is None:
            fail(f"{what}: no socket statistics line in:\n{out}")
        if max_read is not None and int(reads.group(1)) > max_read:
            fail(f"{what}: a recv returned {reads.group(1)} bytes; tcp.recv_chunk is {max_read}")
        if log_path is not None:
            check_nsemu_run(what, err, log_path)
        print(f"http_peer: {what}: {expect_status}, {len(expect_body)} bytes"
              f"{' (' + framing + ')' if framing else ''}, "
              f"sha256 {hashlib.sha256(got).hexdigest()[:16]}... matches, "
              f"largest read {reads.group(1)}", flush=True)


def check_nsemu_run(what, err, log_path):
    """nsemu run's summary on stderr, and the event log it kept."""
    for line in ("exited with status 0", "sockets: 1 opened (tcp 1), none left open",
                 f"event log: {log_path}"):
        if line not in err:
            fail(f"{what}: nsemu run's summary lacks '{line}':\n{err}")
    with open(log_path) as f:
        log = f.read()
    if "sock=1 open tcp" not in log or "sock=1 close" not in log:
        fail(f"{what}: the event log does not show the connection:\n{log}")


def check_all(c, port, max_read=None, name_host=None):
    c.get(f"http://localhost:{port}/length/0", b"", framing="Content-Length")
    for size in (1, 1000, 100000):
        c.get(f"http://{HOST}:{port}/length/{size}", body_of(size), framing="Content-Length",
              max_read=max_read)
    for size in (1, 5000, 150000):
        c.get(f"http://localhost:{port}/chunked/{size}", body_of(size), framing="chunked",
              max_read=max_read)
    c.get(f"http://localhost:{port}/close/30000", body_of(30000),
          framing="until the server closed", max_read=max_read)
    c.get(f"http://localhost:{port}/missing", b"no such resource\n", expect_status=404)
    if name_host is not None:
        c.get(f"http://{name_host}:{port}/chunked/4000", body_of(4000), framing="chunked",
              max_read=max_read)


def write_scenario(workdir, name):
    path = os.path.join(workdir, "peer.ini")
    with open(path, "w") as f:
        f.write(f"; http_peer.py: the device resolves {name} without any DNS server\n"
                f"[dns]\nstatic.{name} = 127.0.0.1\n")
    return path


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in ("plain", "faults", "nsemu-run") or \
            (sys.argv[2] == "nsemu-run") != (len(sys.argv) == 4):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    client, mode = sys.argv[1], sys.argv[2]
    env = dict(os.environ)
    name = "web.device.test"
    with tempfile.TemporaryDirectory(prefix="http_peer.") as workdir, Server() as server:
        scenario = write_scenario(workdir, name)
        print(f"http_peer: {mode}: server on {HOST}:{server.port}", flush=True)
        if mode == "plain":
            env["NSEMU_SCENARIO"] = scenario
            check_all(Checker(client, workdir, env), server.port, name_host=name)
        elif mode == "faults":
            env["NSEMU_FAULTS"] = ",".join(filter(None, [env.get("NSEMU_FAULTS")] + FAULTS))
            env["NSEMU_SCENARIO"] = scenario
            check_all(Checker(client, workdir, env), server.port, max_read=7, name_host=name)
        else:
            args = ["--scenario", scenario]
            for fault in FAULTS:
                args += ["--fault", fault]
            c = Checker(client, workdir, env, nsemu=sys.argv[3], nsemu_args=args)
            c.get(f"http://{name}:{server.port}/chunked/150000", body_of(150000),
                  framing="chunked", max_read=7)
            c.get(f"http://localhost:{server.port}/length/100000", body_of(100000),
                  framing="Content-Length", max_read=7)
    print("http_peer: PASSED", flush=True)


if __name__ == "__main__":
    main()
