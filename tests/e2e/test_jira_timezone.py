"""Jira reads JQL dates in the API user's zone: an issue edited in the minute after a pull arrives with the
next pull, whatever that zone, with a config that names none (the connector asks Jira). Through the CLI
against the sandbox, including ``rankbridge sandbox serve --jira-timezone`` as a person runs it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import pytest
from click.testing import CliRunner

from cli import main
from sandbox.launcher import TOKEN_ENV, Sandbox, SandboxControl

ROOT = Path(__file__).resolve().parents[2]
# Zones with one offset all year, so the test means the same on any date: -08:00, +05:30, +13:00.
ZONES = {"Pacific/Pitcairn": "-0800", "Asia/Kolkata": "+0530", "Pacific/Tongatapu": "+1300"}


def run(config: Path, *args: str) -> click.testing.Result:
    return CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)


def title_in_store(store: Path, key: str) -> str:
    with sqlite3.connect(store) as db:
        row = db.execute("SELECT title FROM items WHERE source = 'jira' AND key = ?", (key,)).fetchone()
    return str(row[0])


def pull_edit_pull(control: SandboxControl, config: Path, store: Path) -> None:
    """Pull, let a person edit an issue in the next instant, pull again: the edit is in the store."""
    first = run(config, "pull")
    assert first.exit_code == 0, first.output
    key = control.state("jira")["items"][5]["key"]
    control.edit("jira", {"key": key, "set": {"title": "Edited right after the pull"}})
    second = run(config, "pull")
    assert second.exit_code == 0, second.output
    assert title_in_store(store, key) == "Edited right after the pull"


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_an_edit_after_a_pull_arrives_with_the_next_pull_in_any_zone(
    zone: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert f"{datetime.now(ZoneInfo(zone)):%z}" == ZONES[zone]
    box = Sandbox.start(["jira"], items=20, seed=3, settings={"jira": {"timezone": zone}})
    try:
        monkeypatch.setenv(TOKEN_ENV, box.token)
        config = box.write_config(tmp_path / "rankbridge.toml", tmp_path / "store.db")
        assert "timezone" not in config.read_text()
        pull_edit_pull(box, config, tmp_path / "store.db")
    finally:
        box.stop()


def test_a_configured_zone_that_jira_contradicts_is_refused_naming_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = Sandbox.start(["jira"], items=5, seed=3, settings={"jira": {"timezone": "Asia/Kolkata"}})
    try:
        monkeypatch.setenv(TOKEN_ENV, box.token)
        config = box.write_config(tmp_path / "rankbridge.toml", tmp_path / "store.db")
        text = config.read_text().replace('type = "jira"', 'type = "jira"\ntimezone = "UTC"')
        config.write_text(text)
        for command in ("doctor", "pull"):
            result = run(config, command)
            assert result.exit_code != 0, result.output
            flat = " ".join(result.output.split())
            assert "'UTC'" in flat and "'Asia/Kolkata'" in flat, flat
        config.write_text(text.replace('timezone = "UTC"', 'timezone = "Asia/Kolkata"'))
        assert run(config, "doctor").exit_code == 0
    finally:
        box.stop()


class _Served(SandboxControl):
    """The control endpoints of a ``rankbridge sandbox serve`` running in another process."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls

    def url(self, service: str) -> str:
        return self.urls[service]

    def services(self) -> list[str]:
        return list(self.urls)


def test_sandbox_serve_jira_timezone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "rankbridge.toml"
    env = {**os.environ, TOKEN_ENV: "sbx-timezone-test"}
    command = [sys.executable, "-m", "cli", "sandbox", "serve", "--service", "jira", "--items", "20"]
    command += ["--jira-timezone", "America/Los_Angeles", "--config-out", str(config)]
    command += ["--store", str(tmp_path / "store.db")]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not config.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.2)  # the file is written whole before the line that names it
        written = tomllib.loads(config.read_text())
        assert "timezone" not in written["connections"]["jira"]
        control = _Served({"jira": written["connections"]["jira"]["url"]})
        monkeypatch.setenv(TOKEN_ENV, env[TOKEN_ENV])
        pull_edit_pull(control, config, tmp_path / "store.db")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a loaded machine: the test's subject is the pull, not the stop
            server.kill()
            server.wait()
