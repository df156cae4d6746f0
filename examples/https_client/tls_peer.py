#!/usr/bin/python3
"""tls_peer.py: checks https_client against an independent TLS server, OpenSSL's.

Makes, with the openssl CLI, in a fresh temporary directory: a test CA, a server
certificate it signs (CN localhost; subjectAltName DNS:localhost, DNS:web.device.test)
and a second, unrelated CA. Starts `openssl s_server -WWW` on 127.0.0.1 port 0 (the port
it chose is read back from its ACCEPT line), serving files from that directory, and
always stops it. Every https_client run is bounded by a timeout.

usage: tls_peer.py HTTPS_CLIENT MODE OPENSSL [NSEMU]
  verify     the right CA: 'localhost' and 'web.device.test' (a [dns] static name from a
             scenario file) fetch a text file and 64 KB of random bytes, byte for byte;
             the wrong CA must fail the handshake, saying mbedTLS's error and "not
             correctly signed by the trusted CA"; a name the certificate lacks
             ('other.device.test') must fail, saying the name does not match
  faults     the right CA with tcp.send_chunk=100,tcp.recv_chunk=50 added to
             NSEMU_FAULTS: the handshake still completes, the body is byte for byte, and
             no send took more than 100 bytes nor any recv more than 50
  nsemu-run  the same plus 20 ms each way, and the wrong CA, through
             `NSEMU run --scenario S --fault tcp.send_chunk=100 --fault tcp.recv_chunk=50
             --fault tcp.latency_ms=20 --log L -- https_client ...` (the TLS layer waits
             for sigio, which must report data the latency held back); checks nsemu's
             summary and event log too

Exits 0 when every check passed, 1 at the first that did not, 77 (skipped) without
the openssl program.
"""
import hashlib
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"
NAME = "web.device.test"        # in the certificate; resolved through the scenario
OTHER = "other.device.test"     # not in the certificate; resolved the same way
START_TIMEOUT_S = 10
CLIENT_TIMEOUT_S = 30
FAULTS = ["tcp.send_chunk=100", "tcp.recv_chunk=50"]


def fail(message):
    print(f"tls_peer: FAILED: {message}", flush=True)
    sys.exit(1)


def run(argv, cwd, timeout=30, env=None):
    try:
        p = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        fail(f"{' '.join(argv)} did not finish within {timeout} s")
    return p


def make_pki(openssl, d):
    """ca.pem + server.pem/server.key signed by it, and an unrelated wrong-ca.pem."""
    def must(argv):
        p = run([openssl] + argv, cwd=d)
        if p.returncode != 0:
            fail(f"openssl {' '.join(argv)}: {p.stderr.decode().strip()}")

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ca_ext = ["-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
    must(["req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
          "-subj", "/CN=nsemu test CA", *ca_ext])
    must(["req", "-x509", *ec, "-keyout", "wrong-ca.key", "-out", "wrong-ca.pem", "-days", "2",
          "-subj", "/CN=nsemu unrelated CA", *ca_ext])
    must(["req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"])
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write(f"subjectAltName = DNS:localhost, DNS:{NAME}\n"
                "basicConstraints = CA:FALSE\n"
                "keyUsage = critical, digitalSignature\n"
                "extendedKeyUsage = serverAuth\n")
    must(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
          "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext"])


class SServer:
    """openssl s_server -WWW on a port it chooses; always stopped."""

    def __init__(self, openssl, d):
        self.proc = subprocess.Popen(
            [openssl, "s_server", "-accept", f"{HOST}:0", "-cert", "server.pem",
             "-key", "server.key", "-WWW"],
            cwd=d, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines = queue.Queue()
        threading.Thread(target=self.read, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                line = ""
            if line is None or time.monotonic() > deadline:
                self.stop()
                fail(f"openssl s_server did not say ACCEPT within {START_TIMEOUT_S} s")
            m = re.match(r"ACCEPT .*:(\d+)$", line or "")
            if m:
                self.port = int(m.group(1))
                return

    def read(self):
        for raw in self.proc.stdout:
            self.lines.put(raw.decode(errors="replace").rstrip("\n"))
        self.lines.put(None)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Client:
    def __init__(self, binary, d, env, nsemu=None, nsemu_args=()):
        self.binary, self.dir, self.env = binary, d, env
        self.nsemu, self.nsemu_args = nsemu, list(nsemu_args)
        self.runs = 0

    def run(self, ca, host, port, path):
        """One https_client run: (exit status, stdout, stderr, body bytes, log path)."""
        self.runs += 1
        out = os.path.join(self.dir, f"body{self.runs}")
        argv = [self.binary, "--ca", os.path.join(self.dir, ca), "--timeout", "10000",
                "--output", out, f"https://{host}:{port}/{path}"]
        log = None
        if self.nsemu is not None:
            log = os.path.join(self.dir, f"run{self.runs}.log")
            argv = [self.nsemu, "run", *self.nsemu_args, "--log", log, "--"] + argv
        p = run(argv, cwd=self.dir, timeout=CLIENT_TIMEOUT_S, env=self.env)
        body = b""
        if os.path.exists(out):
            with open(out, "rb") as f:
                body = f.read()
        return p.returncode, p.stdout.decode(errors="replace"), \
            p.stderr.decode(errors="replace"), body, log

    def fetch_ok(self, host, port, path, expect, max_send=None, max_recv=None):
        status, out, err, body, log = self.run("ca.pem", host, port, path)
        what = f"https://{host}/{path} with the right CA"
        if status != 0:
            fail(f"{what}: https_client exited {status}:\n{out}{err}")
        if hashlib.sha256(body).digest() != hashlib.sha256(expect).digest():
            fail(f"{what}: body of {len(body)} bytes, expected {len(expect)} "
                 f"(sha256 {hashlib.sha256(body).hexdigest()[:16]}... vs "
                 f"{hashlib.sha256(expect).hexdigest()[:16]}...)")
        for line in ("TLS handshake done: TLSv1.2",
                     f"verified against {os.path.join(self.dir, 'ca.pem')} for the name {host}",
                     "server certificate CN=localhost, issued by CN=nsemu test CA",
                     "status: 200 ", f"body: {len(expect)} bytes"):
            if line not in out:
                fail(f"{what}: no '{line}' in:\n{out}")
        m = re.search(r"send call\(s\) for \d+ bytes \(largest (\d+)\); \d+ recv call\(s\) for "
                      r"\d+ bytes \(largest (\d+)\)", out)
        if m is None:
            fail(f"{what}: no socket statistics in:\n{out}")
        if max_send is not None and int(m.group(1)) > max_send:
            fail(f"{what}: a send took {m.group(1)} bytes; tcp.send_chunk is {max_send}")
        if max_recv is not None and int(m.group(2)) > max_recv:
            fail(f"{what}: a recv returned {m.group(2)} bytes; tcp.recv_chunk is {max_recv}")
        if log is not None:
            check_nsemu_run(what, err, log, 0)
        print(f"tls_peer: {what}: handshake verified, {len(body)} bytes byte for byte "
              f"(largest send {m.group(1)}, largest recv {m.group(2)})", flush=True)

    def fetch_rejected(self, ca, host, port, reasons):
        status, out, err, body, log = self.run(ca, host, port, "hello.txt")
        what = f"https://{host}/ with {ca}"
        if status == 0 or body:
            fail(f"{what}: https_client exited {status} with {len(body)} body bytes; "
                 f"expected a failed handshake:\n{out}")
        for line in ["TLS handshake failed: -0x2700 X509 - Certificate verification failed",
                     "the server's certificate was rejected"] + reasons:
            if line not in out:
                fail(f"{what}: no '{line}' in:\n{out}")
        if log is not None:
            check_nsemu_run(what, err, log, status)
        print(f"tls_peer: {what}: the handshake failed, exit {status}: "
              f"{'; '.join(reasons)}", flush=True)


def check_nsemu_run(what, err, log, status):
    for line in (f"exited with status {status}", "sockets: 1 opened (tcp 1), none left open",
                 f"event log: {log}"):
        if line not in err:
            fail(f"{what}: nsemu run's summary lacks '{line}':\n{err}")
    with open(log) as f:
        text = f.read()
    if "sock=1 open tcp" not in text or \
            (NAME in what and f"dns static name={NAME} addr=127.0.0.1" not in text):
        fail(f"{what}: the event log lacks the connection or the static name:\n{text}")


def main():
    modes = ("verify", "faults", "nsemu-run")
    if len(sys.argv) < 4 or sys.argv[2] not in modes \
            or (sys.argv[2] == "nsemu-run") != (len(sys.argv) == 5):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    client_bin, mode, openssl = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
    if not os.access(openssl, os.X_OK):
        print("tls_peer: SKIPPED: openssl is not installed (apt-get install openssl)",
              flush=True)
        sys.exit(77)
    with tempfile.TemporaryDirectory(prefix="tls_peer.") as d:
        make_pki(openssl, d)
        hello = b"Hello over TLS from openssl s_server\n"
        data = os.urandom(64 * 1024)
        for name, content in (("hello.txt", hello), ("data.bin", data)):
            with open(os.path.join(d, name), "wb") as f:
                f.write(content)
        scenario = os.path.join(d, "names.ini")
        with open(scenario, "w") as f:
            f.write(f"[dns]\nstatic.{NAME} = 127.0.0.1\nstatic.{OTHER} = 127.0.0.1\n")
        env = dict(os.environ)
        server = SServer(openssl, d)
        try:
            print(f"tls_peer: {mode}: openssl s_server -WWW on {HOST}:{server.port}", flush=True)
            if mode == "verify":
                env["NSEMU_SCENARIO"] = scenario
                c = Client(client_bin, d, env)
                c.fetch_ok("localhost", server.port, "hello.txt", hello)
                c.fetch_ok("localhost", server.port, "data.bin", data)
                c.fetch_ok(NAME, server.port, "data.bin", data)
                c.fetch_rejected("wrong-ca.pem", "localhost", server.port,
                                 ["! The certificate is not correctly signed by the trusted CA"])
                c.fetch_rejected("ca.pem", OTHER, server.port,
                                 ["! The certificate Common Name (CN) does not match with the "
                                  "expected CN"])
            elif mode == "faults":
                env["NSEMU_SCENARIO"] = scenario
                env["NSEMU_FAULTS"] = ",".join(filter(None, [env.get("NSEMU_FAULTS")] + FAULTS))
                c = Client(client_bin, d, env)
                c.fetch_ok("localhost", server.port, "data.bin", data, max_send=100, max_recv=50)
                c.fetch_ok(NAME, server.port, "hello.txt", hello, max_send=100, max_recv=50)
            else:
                args = ["--scenario", scenario]
                for fault in FAULTS + ["tcp.latency_ms=20"]:
                    args += ["--fault", fault]
                c = Client(client_bin, d, env, nsemu=os.path.abspath(sys.argv[4]),
                           nsemu_args=args)
                c.fetch_ok(NAME, server.port, "data.bin", data, max_send=100, max_recv=50)
                c.fetch_rejected("wrong-ca.pem", NAME, server.port,
                                 ["! The certificate is not correctly signed by the trusted CA"])
        finally:
            server.stop()
    print("tls_peer: PASSED", flush=True)


if __name__ == "__main__":
    main()
