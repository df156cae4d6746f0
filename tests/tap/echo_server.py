"""echo_server.py IP PORT: TCP echo on IP:PORT and UDP echo on IP:PORT+1, for the
far-side tests; prints "ready" once both listen, runs until killed."""
import socket
import socketserver
import sys
import threading

ip, port = sys.argv[1], int(sys.argv[2])


class TCPEcho(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            self.request.sendall(data)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


tcp = Server((ip, port), TCPEcho)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind((ip, port + 1))


def udp_loop():
    while True:
        data, peer = udp.recvfrom(65536)
        udp.sendto(data, peer)


threading.Thread(target=udp_loop, daemon=True).start()
print("ready", flush=True)
tcp.serve_forever()
