"""The daemon's HTTP endpoint listens on the loopback interface by default and tells no secret: not in
``/metrics``, not in ``/healthz`` (healthy, or failing because the token is rejected), not on other paths."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli_w

from sandbox.launcher import Sandbox

ROOT = Path(__file__).resolve().parents[2]
CREDENTIAL_ENV = "RB_DAEMON_CREDENTIAL"


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox.start(["jira", "zendesk"], items=6, seed=8, token="sbx-DaEmOn-" + "4" * 24)
    yield sandbox
    sandbox.stop()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as the kernel lists them) of TCP sockets listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def run_daemon(box: Sandbox, tmp_path: Path, token: str) -> tuple[str, subprocess.Popen[str]]:
    data = box.config(tmp_path / "store.db") | {"daemon": {"port": 0}}  # no host: the default
    for table in data["connections"].values():
        table.update({"interval": 1, "staleness": 30})
    config = tmp_path / "rankbridge.toml"
    config.write_text(tomli_w.dumps(data).replace("${RANKBRIDGE_SANDBOX_TOKEN}", "${" + CREDENTIAL_ENV + "}"))
    env = {**os.environ, CREDENTIAL_ENV: token, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "--config", str(config), "-vv", "daemon"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert "http://" in first, first
    return first.strip().rsplit(" ", 1)[1], process


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=15)
    return out + err


@pytest.mark.parametrize("valid", [True, False], ids=["healthy", "token-rejected"])
def test_daemon_endpoint_is_loopback_only_and_tells_no_secret(
    box: Sandbox, tmp_path: Path, valid: bool
) -> None:
    token = box.token if valid else "rejected-" + "Q7" * 16
    url, process = run_daemon(box, tmp_path, token)
    try:
        assert url.startswith("http://127.0.0.1:"), url
        port = int(url.rsplit(":", 1)[1])
        assert listening_addresses(port) == {"0100007F"}, listening_addresses(port)  # 127.0.0.1 only
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "rankbridge_cycles" not in get(url + "/metrics")[1]:
            time.sleep(0.2)
        time.sleep(1.5)  # a cycle or two, so that errors (when rejected) are in the state served
        answers = [get(url + path) for path in ("/metrics", "/healthz", "/", "/config", "/../etc/passwd")]
    finally:
        logs = stop(process)
    assert answers[0][0] == 200 and answers[1][0] == (200 if valid else 503), answers[:2]
    for status, text in answers:
        assert token not in text and token[-16:] not in text, (status, text[:300])
    assert token not in logs and token[-16:] not in logs
