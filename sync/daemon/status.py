"""The daemon's HTTP side: ``/healthz`` (per-connection state; 200 when every connection is fresh, 503
naming the stale ones), ``/metrics`` and the HTML report, over stdlib HTTP in a background thread."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sync.daemon.web import CONTENT_TYPES, REPORT_HEADERS, REPORT_PREFIX, ReportFiles
from sync.errors import UsageError

if TYPE_CHECKING:
    from sync.daemon.scheduler import Daemon

log = logging.getLogger(__name__)


class PortUnavailable(UsageError):
    """The status endpoint cannot listen where ``[daemon]`` says (the port is taken, or not ours to use)."""

    label = "config error: "

    def __init__(self, host: str, port: int, exc: OSError) -> None:
        reason = exc.strerror or str(exc)
        super().__init__(
            f"[daemon] cannot listen on {host}:{port} for /healthz and /metrics ({reason}): stop what uses "
            f"port {port}, or choose another with port = N in [daemon] (port = 0: any free port)"
        )


class StatusServer:
    """``/healthz`` and ``/metrics`` over stdlib HTTP in a background thread."""

    def __init__(self, host: str, port: int, daemon: Daemon) -> None:
        try:
            self.httpd = ThreadingHTTPServer((host, port), _handler(daemon))
        except OSError as exc:
            raise PortUnavailable(host, port, exc) from None
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://{host}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="rankbridge-http", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(daemon: Daemon) -> type[BaseHTTPRequestHandler]:
    credential = daemon.config.daemon.credential()
    files = ReportFiles(Path(daemon.config.report.dir)) if daemon.config.report.dir else None

    class Handler(BaseHTTPRequestHandler):
        server_version = "rankbridge"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if not credential.allows(self.headers.get("Authorization")):
                refusal = json.dumps({"error": "authentication required"})
                self._send(401, "application/json", refusal, {"WWW-Authenticate": credential.challenge()})
            elif files is not None and (path == REPORT_PREFIX.rstrip("/") or path.startswith(REPORT_PREFIX)):
                self._report(files, path)
            elif path == "/healthz":
                ok, body = daemon.metrics.health()
                self._send(200 if ok else 503, "application/json", json.dumps(body, indent=1))
            elif path == "/metrics":
                text = daemon.metrics.render(daemon.live())
                self._send(200, "text/plain; version=0.0.4; charset=utf-8", text)
            else:
                self._send(404, "application/json", json.dumps({"error": f"no such endpoint {path}"}))

        def _report(self, files: ReportFiles, path: str) -> None:
            if path == REPORT_PREFIX.rstrip("/"):
                self._send(301, "text/plain; charset=utf-8", "", {"Location": REPORT_PREFIX})
                return
            found = files.find(path)
            if found is None:
                self._send(404, "text/plain; charset=utf-8", "no such page\n", REPORT_HEADERS)
                return
            self._send(200, CONTENT_TYPES[found.suffix], found.read_bytes(), REPORT_HEADERS)

        def _send(
            self, status: int, content_type: str, text: str | bytes, headers: dict[str, str] | None = None
        ) -> None:
            data = text.encode() if isinstance(text, str) else text
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("http: " + format, *args)

    return Handler
