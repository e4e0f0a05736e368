"""A real HTTP webhook receiver on loopback, answering from a script (200, 500×k, slow, 302, 410, big bodies)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    """One scripted reply: status, extra headers, body, and a delay before answering (a slow receiver)."""

    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    trickle: bool = False  # send the body one byte every 0.2 s (a hostile receiver)


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict
    body: bytes


class Receiver:
    """Start with ``Receiver().start()``; ``script`` is consumed in order, then ``default`` answers."""

    def __init__(self):
        self.script: list[Answer] = []
        self.default = Answer(204)
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.on_request = None  # called with each Received before the answer (e.g. to kill the sender mid-send)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hook", host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def reset(self, *answers: Answer, default: Answer | None = None) -> None:
        with self.lock:
            self.script, self.received = list(answers), []
            self.default = default or Answer(204)
            self.on_request = None

    def start(self, tls: tuple | None = None) -> "Receiver":
        """Serve on a free loopback port; with ``tls=(certificate, key)`` it speaks HTTPS."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                      body))
                    answer = receiver.script.pop(0) if receiver.script else receiver.default
                    hook = receiver.on_request
                if hook is not None:
                    hook(receiver.received[-1])
                try:
                    if answer.delay:
                        time.sleep(answer.delay)
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    if answer.trickle:
                        for byte in answer.body:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(0.2)
                    else:
                        self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):  # the sender gave up on us: what the test wants
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*map(str, tls))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
