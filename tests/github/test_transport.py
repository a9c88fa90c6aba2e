"""The GitHub client's transport over real HTTP to a scripted server: PyGithub builds and authenticates
each request, our policy decides what happens to the answer.

A GitHub Enterprise Server base URL (``…/api/v3``) is the shape that breaks a client that joins URLs itself:
REST paths go under the prefix, GraphQL to ``/api/graphql``. PyGithub's requester would sleep and send a
GET again on a 202 and follow a 301 by itself; here each is one request, answered by our policy.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from connectors.errors import RetriableError, WrongShape
from connectors.github.client import GithubClient
from connectors.github.config import GithubConfig
from connectors.policy import Policy, PolicySettings

TOKEN = "ghp_transport_test_token"


class Scripted(ThreadingHTTPServer):
    """Answers every request with ``status`` and a JSON body; records method, path and headers."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[dict[str, Any]] = []
        self.status = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: Scripted

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers)})
        payload = json.dumps({"data": {"viewer": {"login": "octo"}}} if body else [{"number": 1}]).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Location", self.server.url + "/api/v3/elsewhere")
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def server() -> Iterator[Scripted]:
    running = Scripted()
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()


def client(server: Scripted, attempts: int = 1) -> GithubClient:
    config = GithubConfig(url=server.url + "/api/v3", token=TOKEN, repos=["acme/app"])
    settings = PolicySettings(attempts=attempts, base_wait=0.0, max_wait=10.0)
    return GithubClient(config, Policy(settings, sleep=lambda seconds: None))  # waits are not the subject


def test_pygithub_builds_and_authenticates_requests_under_the_enterprise_prefix(server: Scripted) -> None:
    github = client(server)
    answer = github.request("GET", "/repos/acme/app/issues", {"state": "all", "per_page": 100})
    data = github.graphql("viewer", "Viewer", {})
    github.close()
    rest, query = server.seen
    assert answer.data == [{"number": 1}] and data == {"viewer": {"login": "octo"}}
    assert rest["path"] == "/api/v3/repos/acme/app/issues?per_page=100&state=all"
    assert query["method"] == "POST" and query["path"] == "/api/graphql"
    for seen in server.seen:
        assert seen["headers"]["Authorization"] == f"token {TOKEN}"  # Auth.Token's form
        assert seen["headers"]["User-Agent"] == "rankbridge"
        assert seen["headers"]["X-GitHub-Api-Version"] == "2022-11-28"
    assert github.requests == 2


def test_a_202_to_a_get_is_retried_by_our_policy_not_by_pygithub(server: Scripted) -> None:
    server.status = 202
    github = client(server, attempts=3)
    with pytest.raises(RetriableError, match="202"):
        github.request("GET", "/repos/acme/app/stats/contributors")
    github.close()
    assert len(server.seen) == 3 == github.requests  # exactly our attempts, no hidden re-sends


def test_a_301_is_refused_not_followed(server: Scripted) -> None:
    server.status = 301
    github = client(server, attempts=3)
    with pytest.raises(WrongShape, match="redirect"):
        github.request("GET", "/repos/acme/app/issues")
    github.close()
    assert [s["path"] for s in server.seen] == ["/api/v3/repos/acme/app/issues"]


def test_a_next_link_to_another_host_never_carries_the_token(server: Scripted) -> None:
    github = client(server)
    with pytest.raises(WrongShape, match="refusing"):
        github.request("GET", "https://elsewhere.example/repos/acme/app/issues?page=2")
    github.close()
    assert server.seen == []
