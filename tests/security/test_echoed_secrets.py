"""A server that quotes our credentials back (the Authorization header, raw or decoded, in its error text)
never gets them into command output, logs or the store: every form is redacted where provider text enters."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import tomli_w

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-cred-5f2a9c71"


class Echo(BaseHTTPRequestHandler):
    """Answers every request 400 with an error message that quotes the credentials it received."""

    def do_GET(self) -> None:
        header = self.headers.get("Authorization") or ""
        decoded = ""
        if header.startswith("Basic "):
            decoded = base64.b64decode(header[6:]).decode(errors="replace")
        message = f"bad request: you sent Authorization: {header} (that is {decoded})"
        data = json.dumps({"message": message, "error": message, "errorMessages": [message]}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


CONNECTIONS = {
    "github": {"type": "github", "token": "${RB_ECHO_CRED}", "repos": ["acme/app"]},
    "zendesk": {"type": "zendesk", "email": "bot@example.com", "token": "${RB_ECHO_CRED}"},
    "jira": {"type": "jira", "email": "bot@example.com", "token": "${RB_ECHO_CRED}", "jql": "project = ENG"},
}


def test_credentials_quoted_by_a_server_are_redacted(echo_server: str, tmp_path: Path) -> None:
    connections = {
        name: {**table, "url": echo_server, "policy": {"attempts": 1, "timeout": 5.0}}
        for name, table in CONNECTIONS.items()
    }
    config = tmp_path / "rankbridge.toml"
    config.write_text(tomli_w.dumps({"store": {"path": str(tmp_path / "s.db")}, "connections": connections}))
    env = dict(os.environ, RB_ECHO_CRED=SECRET, PYTHONPATH=str(ROOT))
    seen = ""
    for args in (("pull", "--json"), ("doctor",)):
        done = subprocess.run(
            [sys.executable, "-m", "cli", "--config", str(config), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        seen += done.stdout + done.stderr
    assert seen.count("bad request") >= len(CONNECTIONS)  # the servers' text reaches the user, redacted
    stored = (tmp_path / "s.db").read_bytes().decode("latin-1")
    forms = [SECRET, base64.b64encode(SECRET.encode()).decode()]
    forms += [base64.b64encode(f"bot@example.com{sep}{SECRET}".encode()).decode() for sep in (":", "/token:")]
    for form in forms:
        assert form not in seen, (form, seen[-600:])
        assert form not in stored, form
