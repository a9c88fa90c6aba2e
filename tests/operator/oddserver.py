"""A tiny HTTP server that answers every request with one configured odd answer (the shapes a wrong URL,
a proxy, a login page or a broken service give), for the no-traceback fuzz tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes

    def __str__(self) -> str:
        return f"{self.status} {self.content_type} {self.body[:30]!r}"


ODD_ANSWERS = [
    Answer(200, "text/html", b"<!doctype html><html><body>Sign in to continue</body></html>"),
    Answer(200, "application/json", b"[1, 2, 3]"),
    Answer(400, "application/json", b'["Field \'rank\' cannot be set", "and a second message"]'),
    Answer(200, "application/json", b""),
    Answer(200, "text/plain", b'{"issues": [], "isLast": true}'),
    Answer(200, "application/json", b"null"),
    Answer(200, "application/json", b"{}"),
    Answer(200, "application/json", b'{"issues": "x", "data": [], "tickets": 5, "errors": {"a": 1}}'),
    Answer(200, "application/json", b'{"issues": [{"id": '),
    Answer(404, "text/html", b"<html><h1>Not Found</h1></html>"),
    Answer(500, "application/json", b'[{"message": "boom"}]'),
    Answer(401, "application/json", b'"unauthorised"'),
    Answer(204, "application/json", b""),
]


class OddServer:
    """``with OddServer() as server: server.answer = ...; server.url`` — every method, every path."""

    def __init__(self) -> None:
        self.answer = ODD_ANSWERS[0]
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                answer = owner.answer
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                if answer.status != 204:
                    self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _reply

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> OddServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
