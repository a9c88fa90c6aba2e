"""A PostgreSQL store's password (in ``[store] url`` through ``${ENV}``) never appears in output, logs,
errors or the store, whether the server takes it or refuses it; the server really asks for it (SCRAM)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli_w

from sandbox.postgres import ThrowawayPostgres
from tests.postgres import read_store
from tests.worlds import start_sandbox

ROOT = Path(__file__).resolve().parents[2]
PASSWORD_ENV = "RB_STORE_LOGIN"  # no TOKEN/PASSWORD suffix: redaction must not rest on the variable's name
PASSWORD = "pg-S3cr3t-" + uuid.uuid4().hex


@pytest.fixture
def secret_url(postgres_server: ThrowawayPostgres) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    url = postgres_server.password_database(name, PASSWORD)
    yield url
    postgres_server.drop_database(name)


def write_config(tmp_path: Path, url: str, connections: dict[str, object]) -> Path:
    referenced = url.replace(PASSWORD, "${" + PASSWORD_ENV + "}")
    assert PASSWORD not in referenced
    path = tmp_path / "rankbridge.toml"
    path.write_text(tomli_w.dumps({"store": {"url": referenced}, "connections": connections}))
    return path


def run(config: Path, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, PASSWORD_ENV: password}
    command = [sys.executable, "-m", "cli", "--config", str(config), "-vv", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)


def test_the_password_stays_out_of_output_logs_and_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret_url: str
) -> None:
    box = start_sandbox(monkeypatch, ["jira"], items=8, seed=5)
    try:
        config = write_config(tmp_path, secret_url, box.config(tmp_path / "unused.db")["connections"])
        synced = run(config, "sync", "--json")
        assert synced.returncode == 0, synced.stderr[-2000:]
        status = run(config, "status", "--json")
    finally:
        box.stop()
    assert status.returncode == 0, status.stderr[-2000:]
    shown = json.loads(status.stdout)["store"]
    assert shown.startswith("postgresql://rankbridge_pw:***@/t_")
    for result in (synced, status):
        assert PASSWORD not in result.stdout + result.stderr
    tables = read_store(secret_url, "select tablename from pg_tables where schemaname = 'public'")
    assert {"items", "runs", "journal"} <= {t["tablename"] for t in tables}
    items = read_store(secret_url, "select count(*) as n from items")
    assert items[0]["n"] == 8  # the store is this database, not a file beside the config
    assert not list(tmp_path.glob("*.db"))
    for table in tables:
        rows = read_store(secret_url, f'select * from "{table["tablename"]}"')
        assert PASSWORD not in json.dumps(rows, default=str)


def test_a_refused_password_ends_in_one_line_without_it(tmp_path: Path, secret_url: str) -> None:
    config = write_config(tmp_path, secret_url, {})
    wrong = "pg-Wr0ng-" + uuid.uuid4().hex
    refused = run(config, "status", password=wrong)
    assert refused.returncode == 2, refused.stderr[-2000:]
    assert "cannot reach the store postgresql://rankbridge_pw:***@/t_" in refused.stderr
    assert "password authentication failed" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert wrong not in refused.stdout + refused.stderr
    assert PASSWORD not in refused.stdout + refused.stderr


def test_path_and_url_together_are_refused(tmp_path: Path, postgres_url: str) -> None:
    config = tmp_path / "rankbridge.toml"
    config.write_text(tomli_w.dumps({"store": {"path": "s.db", "url": postgres_url}}))
    both = run(config, "status")
    assert both.returncode == 2
    assert "store <- Value error, path and url name two stores: give one" in both.stderr
    config.write_text(tomli_w.dumps({"store": {"url": "mysql://x@y/z"}}))
    other = run(config, "status")
    assert other.returncode == 2 and "postgresql:// URL" in other.stderr
