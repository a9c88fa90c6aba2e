"""What-if ranking end to end on the sandbox: other rules beside the current ones, with the writes they
would cause, and nothing saved (the store file is the same before and after)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from sandbox.launcher import TOKEN_ENV, Sandbox

OTHER = """
[scoring]
framework = "wsjf"

[capacity]
default = 5
"""


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox.start(["jira", "linear", "zendesk"], items=25, seed=9)
    yield sandbox
    sandbox.stop()


def run(config: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)


def store_state(db: Path) -> str:
    """A digest of every table a ranking, a plan or a run could write."""
    connection = sqlite3.connect(db)
    try:
        parts = []
        for table in ("scores", "score_history", "runs", "scope_orders", "outbox", "items", "links"):
            rows = connection.execute(f"select * from {table} order by 1, 2").fetchall()
            parts.append(f"{table}:{rows!r}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()
    finally:
        connection.close()


def test_rank_with_other_rules_compares_and_saves_nothing(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, box.token)
    config = box.write_config(tmp_path / "rankbridge.toml", tmp_path / "store.db")
    other = tmp_path / "wsjf.toml"
    other.write_text(OTHER)
    assert run(config, "pull").exit_code == 0
    assert run(config, "rank").exit_code == 0
    assert run(config, "plan").exit_code == 0
    before = store_state(tmp_path / "store.db")
    result = run(config, "rank", "--rules", str(other), "--json")
    assert result.exit_code == 0, result.output
    compared = json.loads(result.output)
    assert store_state(tmp_path / "store.db") == before
    rows = compared["ranking"]
    assert compared["changed"] > 0 and [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)
    current = {
        r["uid"]: r
        for r in json.loads(run(config, "rank", "--no-save", "--json", "--limit", "0").output)["ranking"]
    }
    for row in rows:
        assert row["rank_now"] == current[row["uid"]]["rank"]
        assert row["score_now"] == current[row["uid"]]["score"]
        assert row["move"] == row["rank_now"] - row["rank"]
    assert set(compared["writes"]) == {"current", "what_if"}
    assert compared["writes"]["what_if"] != compared["writes"]["current"]  # another order, other moves
    text = run(config, "rank", "--rules", str(other)).output
    assert "nothing saved" in text
    jira = next(
        line for line in text.splitlines() if line.startswith("writes to jira (current rules → these): ")
    )
    assert "rank " in jira
    assert store_state(tmp_path / "store.db") == before
    bad = tmp_path / "bad.toml"
    bad.write_text('[connections.x]\ntype = "jira"\n')
    refused = run(config, "rank", "--rules", str(bad))
    assert refused.exit_code == 2 and "holds only" in refused.output
