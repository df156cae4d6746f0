#!/usr/bin/python3
"""echo_peer.py: checks tcp_echo against an independent peer, Python's own sockets.

Starts `tcp_echo --serve PORT --count 2`, waits (bounded) until its host port accepts a
connection, then on that first connection sends every byte value and checks the echo
byte for byte; on a second one streams 1 MiB of random bytes while reading the echo back
(so neither side's buffers can stall the other), checks it, and checks that the server
closes after our end. Then the server must exit 0 on its own. Any mismatch, timeout or
failure exits 1; the server is always terminated.

usage: echo_peer.py TCP_ECHO [DEVICE_PORT]
  DEVICE_PORT defaults to a free one from 100-1023, whose host port is DEVICE_PORT + 8000
  (the host link's port_offset), so parallel runs do not collide.
"""
import os
import random
import socket
import subprocess
import sys
import threading
import time

HOST = "127.0.0.1"
PORT_OFFSET = 8000          # [host] port_offset's default
START_TIMEOUT_S = 10        # how long the server may take to accept its first connection
IO_TIMEOUT_S = 10           # any single socket operation
EXIT_TIMEOUT_S = 10         # how long the server may take to exit once served


def fail(message):
    print(f"echo_peer: FAILED: {message}", flush=True)
    sys.exit(1)


def host_port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def pick_device_port():
    candidates = list(range(100, 1024))
    random.shuffle(candidates)
    for port in candidates:
        if host_port_free(port + PORT_OFFSET):
            return port
    fail("no free host port in 8100-9023")


def connect_when_ready(server, port):
    """The first connection, retried until the server listens (bounded)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if server.poll() is not None:
            fail(f"tcp_echo exited with status {server.returncode} before accepting")
        try:
            return socket.create_connection((HOST, port), timeout=IO_TIMEOUT_S)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                fail(f"nothing accepted connections on {HOST}:{port} "
                     f"within {START_TIMEOUT_S} s")
            time.sleep(0.02)


def read_exactly(sock, size):
    chunks, got = [], 0
    while got < size:
        chunk = sock.recv(min(65536, size - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def check_echo(sock, payload, what):
    """Sends payload from a thread while reading the echo here, then ends our side."""
    def send():
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)

    sender = threading.Thread(target=send)
    sender.start()
    echo = read_exactly(sock, len(payload))
    sender.join()
    if echo != payload:
        at = next((i for i, (a, b) in enumerate(zip(echo, payload)) if a != b), len(echo))
        fail(f"{what}: sent {len(payload)} bytes, got {len(echo)} back, "
             f"first difference at byte {at}")
    if sock.recv(1) != b"":
        fail(f"{what}: the server sent more than the echo")
    print(f"echo_peer: {what}: {len(payload)} bytes echoed byte for byte, then closed",
          flush=True)


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    binary = sys.argv[1]
    device_port = int(sys.argv[2]) if len(sys.argv) == 3 else pick_device_port()
    host_port = device_port + PORT_OFFSET if 1 <= device_port <= 1023 else device_port
    print(f"echo_peer: starting tcp_echo on device port {device_port}, "
          f"host port {host_port}", flush=True)
    server = subprocess.Popen([binary, "--serve", str(device_port), "--count", "2"])
    try:
        with connect_when_ready(server, host_port) as sock:
            check_echo(sock, bytes(range(256)) * 4, "every byte value")
        with socket.create_connection((HOST, host_port), timeout=IO_TIMEOUT_S) as sock:
            check_echo(sock, os.urandom(1 << 20), "1 MiB of random bytes")
        try:
            status = server.wait(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            fail(f"tcp_echo did not exit within {EXIT_TIMEOUT_S} s after 2 connections")
        if status != 0:
            fail(f"tcp_echo exited with status {status}")
    except OSError as e:
        fail(f"socket error: {e}")
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    print("echo_peer: PASSED", flush=True)


if __name__ == "__main__":
    main()
