"""One identity across trackers, end to end on the sandbox: Jira projects and Linear teams both use ENG-n,
so a bare key can name two items; qualified references CONNECTION:KEY name one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from cli import main
from sandbox.control import TOKEN_ENV, Sandbox


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox.start(["jira", "github", "linear", "zendesk"], items=30, seed=5)
    yield sandbox
    sandbox.stop()


def run(config: Path, *args: str) -> click.testing.Result:
    return CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)


def configured(box: Sandbox, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(TOKEN_ENV, box.token)
    return box.write_config(tmp_path / f"{name}.toml", tmp_path / f"{name}.db")


def ranking(config: Path) -> list[dict[str, Any]]:
    result = run(config, "rank", "--json", "--limit", "0")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.output)["ranking"]
    return rows


def test_a_shared_key_must_be_qualified_and_a_qualified_one_names_its_item(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = configured(box, tmp_path, "one", monkeypatch)
    assert run(config, "pull").exit_code == 0
    rows = ranking(config)
    by_key: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_key.setdefault(row["key"], []).append(row)
    both = {"jira", "linear"}
    shared = sorted(k for k, group in by_key.items() if {r["connection"] for r in group} >= both)
    assert shared, "the sandbox's Jira project ENG and Linear team ENG share keys"
    key = shared[0]
    bare = run(config, "explain", key)
    assert bare.exit_code == 2
    assert f"jira:{key}" in bare.stderr and f"linear:{key}" in bare.stderr
    linear = run(config, "explain", f"linear:{key}", "--json")
    assert linear.exit_code == 0, linear.stderr
    shown = json.loads(linear.output)
    assert shown["uid"].startswith("linear:") and shown["ref"] == f"linear:{key}"
    assert shown["rank"] == next(r["rank"] for r in by_key[key] if r["connection"] == "linear")
    text = run(config, "explain", f"jira:{key}").output
    assert text.startswith(f"jira:{key}: ")  # the explanation names the item qualified: the key is shared
    # the table shows both, qualified; a key only one connection has stays bare
    table = run(config, "rank", "--limit", "0").output
    assert f"jira:{key}" in table and f"linear:{key}" in table
    unique = next(r for r in rows if len(by_key[r["key"]]) == 1)
    assert run(config, "explain", unique["key"]).exit_code == 0
    assert run(config, "explain", "NOPE-404").exit_code == 1
