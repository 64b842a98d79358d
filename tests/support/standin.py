"""An HTTP server on 127.0.0.1 in a thread, standing in for an outside system in tests
(a provider's charge endpoint, a department's webhook receiver, LINE's reply API)."""

from __future__ import annotations

import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class StandInServer:
    """Answers every POST with `answer(path, headers, body)`; subclasses say what it does."""

    def __init__(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, content_type, payload = outer.answer(self.path, self.headers, body)
                self.send_response(status)
                if payload:
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass  # the test's own assertions say what was received

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path: str, headers: Message, body: bytes) -> tuple[int, str, bytes]:
        """(status, content type, body) for one request."""
        raise NotImplementedError

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
