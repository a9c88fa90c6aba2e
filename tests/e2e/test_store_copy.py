"""``rankbridge store copy --to URL`` through the CLI: an SQLite store synced from the sandbox moves into
PostgreSQL whole (every table, the same rows), syncing on from there plans and changes nothing, new runs
take ids after the copied ones, a non-empty target is refused unless ``--replace``, and the way back to a
file works too. The target's password comes through ``${VAR}`` and is never printed."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner, Result

from cli import main
from sandbox.launcher import Sandbox
from sandbox.postgres import ThrowawayPostgres
from tests.postgres import read_store, store_table
from tests.worlds import start_sandbox

PASSWORD_ENV = "RB_COPY_LOGIN"
PASSWORD = "pg-C0py-" + uuid.uuid4().hex


@pytest.fixture
def box(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    sandbox = start_sandbox(monkeypatch, ["jira", "zendesk"], items=10, seed=11)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def secret_url(postgres_server: ThrowawayPostgres, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    url = postgres_server.password_database(name, PASSWORD)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    yield url
    postgres_server.drop_database(name)


def config_for(box: Sandbox, folder: Path, location: str) -> Path:
    data = box.config(folder / "unused.db") | {"store": store_table(location)}
    path = folder / f"rankbridge-{uuid.uuid4().hex[:6]}.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def cli(config: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    assert PASSWORD not in result.output
    return result


def tables_of(location: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table of the store (sorted, so that two stores compare by content)."""
    if location.startswith("postgresql://"):
        sql = "select tablename as name from pg_tables where schemaname = 'public'"
        names = [r["name"] for r in read_store(location, sql) if r["name"] != "rankbridge_migrations"]
    else:
        sql = "select name from sqlite_master where type = 'table'"
        names = [r["name"] for r in read_store(location, sql) if not r["name"].startswith(("_", "sqlite"))]
    return {
        name: sorted(
            read_store(location, f'select * from "{name}"'), key=lambda r: json.dumps(r, sort_keys=True)
        )
        for name in names
    }


def test_an_sqlite_store_moves_into_postgres_and_syncs_on_there(
    box: Sandbox, tmp_path: Path, secret_url: str
) -> None:
    file_store = str(tmp_path / "store.db")
    on_file = config_for(box, tmp_path, file_store)
    cli(on_file, "sync")
    referenced = secret_url.replace(PASSWORD, "${" + PASSWORD_ENV + "}")

    copied = json.loads(cli(on_file, "store", "copy", "--to", referenced, "--json").output)
    assert copied["to"].startswith("postgresql://rankbridge_pw:***@")
    before = tables_of(file_store)
    assert copied["rows"] == {name: len(rows) for name, rows in before.items()}
    assert copied["rows"]["items"] == 20 and copied["rows"]["journal"] > 0
    assert tables_of(secret_url) == before  # every row of every table, value for value

    on_postgres = config_for(box, tmp_path, secret_url)
    largest_run = max(r["id"] for r in before["runs"])
    box.reset()
    resynced = json.loads(cli(on_postgres, "sync", "--json").output)
    assert sum(s["changed"] for s in resynced["pull"]) == 0  # the cursors and hashes came along
    assert resynced["plan"]["ops"] == []
    assert not [r for r in box.requests("jira") if r["mutating"]]
    runs = read_store(secret_url, "select id from runs where id > ?", [largest_run])
    assert runs  # new runs took ids after the copied ones, without a clash

    refused = cli(on_file, "store", "copy", "--to", referenced, code=2)
    assert "holds rows" in refused.output and "--replace" in refused.output
    replaced = json.loads(cli(on_file, "store", "copy", "--to", referenced, "--replace", "--json").output)
    assert replaced["replaced"]["runs"] == len(before["runs"]) + len(runs)
    assert tables_of(secret_url) == before


def test_a_postgres_store_copies_back_to_a_file(box: Sandbox, tmp_path: Path, postgres_url: str) -> None:
    on_postgres = config_for(box, tmp_path, postgres_url)
    cli(on_postgres, "pull")
    back = tmp_path / "back" / "store.db"
    shown = cli(on_postgres, "store", "copy", "--to", str(back)).output
    assert f"to {back}" in shown and "items" in shown
    assert tables_of(str(back)) == tables_of(postgres_url)
    assert oct(back.stat().st_mode & 0o777) == oct(0o600)


def test_an_unset_variable_in_the_target_is_named(tmp_path: Path, postgres_url: str) -> None:
    config = tmp_path / "rankbridge.toml"
    config.write_text(tomli_w.dumps({"store": {"path": str(tmp_path / "s.db")}}))
    os.environ.pop("RB_COPY_UNSET", None)
    missing = cli(config, "store", "copy", "--to", "postgresql://u:${RB_COPY_UNSET}@/x", code=2)
    assert "RB_COPY_UNSET is not set" in missing.output
