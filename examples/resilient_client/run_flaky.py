#!/usr/bin/python3
"""Runs resilient_client under docs/examples/flaky-network.ini with `nsemu run` against
a real echo server (Python's socketserver on loopback, a free port), and checks that the
device got through DHCP failures and a connection reset with every line echoed intact.

usage: run_flaky.py NSEMU RESILIENT_CLIENT SCENARIO
"""
import os
import socketserver
import subprocess
import sys
import tempfile
import threading

LINES = 25


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            while True:
                data = self.request.recv(4096)
                if not data:
                    return
                self.request.sendall(data)
        except ConnectionResetError:
            return  # the scenario resets connections on purpose


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    nsemu, client, scenario = sys.argv[1:4]
    server = Server(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "run.log")
        try:
            run = subprocess.run(
                [nsemu, "run", "--scenario", scenario, "--log", log, "--",
                 client, "127.0.0.1", str(port), str(LINES)],
                capture_output=True, text=True, timeout=60)
        finally:
            server.shutdown()
        with open(log) as f:
            events = f.read()
    print(run.stdout)
    print(run.stderr, file=sys.stderr)
    checks = [
        (run.returncode == 0, "resilient_client exits 0"),
        ("DHCP_FAILURE" in run.stdout, "the device saw DHCP fail and retried"),
        ("connection lost (-3016)" in run.stdout, "the device saw CONNECTION_LOST"),
        (f"done: {LINES} lines echoed, 1 reconnects" in run.stdout,
         "every line came back after exactly one reconnect"),
        (events.startswith("nsemu ") and "seed=7" in events.splitlines()[0],
         "the log's first line records the seed"),
        ("dhcp fail no-offer" in events and "dhcp lease" in events,
         "the log shows DHCP failing, then a lease"),
        ("timeline connections reset" in events and " timeline reset" in events,
         "the log shows the reset of the device's connection"),
        ("nsemu: seed 7" in run.stderr, "nsemu run summarised the run"),
    ]
    failed = [what for ok, what in checks if not ok]
    for what in failed:
        print("FAILED:", what, file=sys.stderr)
    if failed:
        print(events, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
