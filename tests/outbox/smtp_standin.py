"""A small SMTP server on 127.0.0.1 (RFC 5321's command/reply sequence: 220 greeting, EHLO,
MAIL FROM, RCPT TO, DATA ... ".", QUIT) that can hang after accepting a connection, before
its greeting, as a slow or overloaded mail server does. Counts the messages it accepted."""

from __future__ import annotations

import socket
import socketserver
import threading


class SmtpStandIn:
    def __init__(self, hang_s: float = 0.0):
        self.hang_s = hang_s
        self.messages: list[bytes] = []
        self.connected = threading.Event()
        self.release = threading.Event()  # set it to end a hang early
        standin = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                standin.connected.set()
                if standin.hang_s:
                    standin.release.wait(standin.hang_s)
                self.wfile.write(b"220 standin ESMTP\r\n")
                data: list[bytes] | None = None
                for raw in self.rfile:
                    if data is not None:
                        if raw in (b".\r\n", b".\n"):
                            standin.messages.append(b"".join(data))
                            data = None
                            self.wfile.write(b"250 2.0.0 queued\r\n")
                        else:
                            data.append(raw)
                        continue
                    cmd = raw.strip().upper()
                    if cmd.startswith(b"EHLO") or cmd.startswith(b"HELO"):
                        self.wfile.write(b"250 standin\r\n")
                    elif cmd == b"DATA":
                        data = []
                        self.wfile.write(b"354 go ahead\r\n")
                    elif cmd == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:  # MAIL FROM, RCPT TO, RSET, NOOP
                        self.wfile.write(b"250 ok\r\n")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpStandIn:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
