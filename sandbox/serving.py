"""Emulators served over real HTTP on 127.0.0.1: stdlib ``ThreadingHTTPServer``, HTTP/1.1 keep-alive, one
background thread per emulator."""

from __future__ import annotations

import select
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.faults import write_trickled
from sandbox.framework import Emulator, Request


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms ACK stalls
    emulator: Emulator

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the emulator keeps its own request log."""

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            client_gone=lambda: _client_gone(self.connection),
        )
        response = self.emulator.handle(request)
        if response is None:
            self.close_connection = True
            self.connection.close()
            return
        payload = response.encoded()
        try:
            self.send_response(response.status)
            headers = {"Content-Type": "application/json; charset=utf-8", **response.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload and self.command != "HEAD":
                write_trickled(self.wfile, payload, response.trickle)
        except (BrokenPipeError, ConnectionResetError):  # the client went away (killed, timed out)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


def _client_gone(connection: socket.socket) -> bool:
    """Whether the client closed its end (readable with nothing to read), without consuming data."""
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        return bool(readable) and connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


@dataclass
class Served:
    emulator: Emulator
    server: ThreadingHTTPServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return self.emulator.base_url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> Served:
    """Start ``emulator`` on a free port (or ``port``) in a background thread."""
    handler = type("Handler", (_RequestHandler,), {"emulator": emulator})
    server = _Server((host, port), handler)
    emulator.base_url = f"http://{host}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name=f"sandbox-{emulator.name}", daemon=True)
    thread.start()
    return Served(emulator, server, thread)
