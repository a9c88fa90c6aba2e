"""The daemon writes the report after its cycle and serves it read-only under /report/ beside /healthz and
/metrics: on loopback without a credential; on another address only with one (refused at start-up without),
and then every request without it answers 401. Real HTTP, the daemon's own thread, the sandbox's trackers."""

from __future__ import annotations

import base64
import threading
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner

from cli import main
from sync.config import load
from sync.daemon.scheduler import Daemon
from sync.daemon.web import RefusedBinding, hash_password
from sync.presentation.report.site import publisher
from tests.report.conftest import Reported

TOKEN = "rb-report-" + "7" * 24


def daemon_config(reported: Reported, tmp_path: Path, **daemon: Any) -> Path:
    """The sync's config (same sandbox, same store) with a report folder and the given [daemon] keys."""
    data = tomllib.loads(reported.config.read_text())
    data["daemon"] = {"port": 0, "jitter": 0} | daemon
    data["report"] = {"dir": str(tmp_path / "site")}
    for table in data["connections"].values():
        table["interval"] = 3600
    path = tmp_path / "daemon.toml"
    path.write_text(tomli_w.dumps(data))
    return path


@contextmanager
def serving(config_path: Path) -> Iterator[str]:
    """Run the daemon in a thread until the block ends; yields its base URL once the report is written."""
    config = load(config_path)
    stop = threading.Event()
    lines: list[str] = []
    daemon = Daemon(config, stop=stop, publish=publisher(config))
    thread = threading.Thread(target=daemon.run_forever, args=(lines.append,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        index = Path(str(config.report.dir)) / "index.html"
        while not (lines and index.exists()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert index.exists(), "the daemon wrote the report after its first cycle"
        yield lines[0].rsplit(" ", 1)[-1]
    finally:
        stop.set()
        thread.join(30)


def get(url: str, authorization: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Authorization": authorization} if authorization else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_daemon_serves_the_report_on_loopback_read_only(reported: Reported, tmp_path: Path) -> None:
    with serving(daemon_config(reported, tmp_path)) as url:
        assert url.startswith("http://127.0.0.1:")
        status, headers, body = get(f"{url}/report/")
        assert status == 200 and b'id="ranking"' in body
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert get(f"{url}/report/assets/report.js")[1]["Content-Type"].startswith("text/javascript")
        assert get(f"{url}/healthz")[0] in (200, 503)
        for sneaky in (
            "/report/../rankbridge.toml",
            "/report/%2e%2e/daemon.toml",
            "/report/.rankbridge-report",
        ):
            assert get(url + sneaky)[0] == 404, sneaky
        post = urllib.request.Request(f"{url}/report/", data=b"x", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(post, timeout=10)
        assert refused.value.code == 501


def test_another_address_without_a_credential_is_refused_at_start_up(
    reported: Reported, tmp_path: Path
) -> None:
    config = daemon_config(reported, tmp_path, host="0.0.0.0")
    with pytest.raises(RefusedBinding):
        Daemon(load(config)).run_forever(lambda line: None)
    result = CliRunner().invoke(main, ["--config", str(config), "daemon"])
    assert result.exit_code == 2
    assert "refusing to serve on 0.0.0.0" in result.stderr and "auth_token" in result.stderr


def test_with_a_bearer_token_requests_without_it_get_401(
    reported: Reported, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RB_REPORT_TOKEN", TOKEN)
    config = daemon_config(reported, tmp_path, host="0.0.0.0", auth_token="${RB_REPORT_TOKEN}")
    with serving(config) as url:
        local = url.replace("0.0.0.0", "127.0.0.1")
        for path in ("/report/", "/report/changes.html", "/healthz", "/metrics"):
            status, headers, body = get(local + path)
            assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer"), path
            assert TOKEN.encode() not in body
        assert get(local + "/report/", "Bearer " + TOKEN[:-1] + "8")[0] == 401
        assert get(local + "/report/", "Basic " + base64.b64encode(TOKEN.encode()).decode())[0] == 401
        assert get(local + "/report/", "Bearer " + TOKEN)[0] == 200
        assert get(local + "/metrics", "Bearer " + TOKEN)[0] == 200


def test_with_basic_auth_the_password_is_checked_against_its_hash(reported: Reported, tmp_path: Path) -> None:
    stored = hash_password("correct horse", iterations=100_000)
    assert "correct horse" not in stored
    config = daemon_config(reported, tmp_path, host="0.0.0.0", basic_user="pm", basic_password_hash=stored)
    with serving(config) as url:
        local = url.replace("0.0.0.0", "127.0.0.1")

        def basic(user: str, password: str) -> str:
            return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

        status, headers, _ = get(local + "/report/")
        assert status == 401 and headers["WWW-Authenticate"] == 'Basic realm="rankbridge"'
        assert get(local + "/report/", basic("pm", "wrong horse"))[0] == 401
        assert get(local + "/report/", basic("dev", "correct horse"))[0] == 401
        assert get(local + "/report/", basic("pm", "correct horse"))[0] == 200
        assert get(local + "/report/roadmap.html", basic("pm", "correct horse"))[0] == 200


def test_a_password_hash_that_cannot_be_read_is_a_config_error(reported: Reported, tmp_path: Path) -> None:
    config = daemon_config(reported, tmp_path, basic_user="pm", basic_password_hash="md5$abc")
    result = CliRunner().invoke(main, ["--config", str(config), "daemon", "--once"])
    assert result.exit_code == 2 and "basic_password_hash" in result.stderr
