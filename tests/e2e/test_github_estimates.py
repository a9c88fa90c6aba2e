"""GitHub estimates, end to end on the sandbox: from the project's Number field named in the config, else
from a size label through the configured map; one effort for the score, the cut line and the roadmap."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from sandbox.launcher import TOKEN_ENV, Sandbox

RULES = {"capacity": {"default": 10}, "roadmap": {"themes": [{"name": "All", "match": "True"}]}}


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox.start(["github"], items=30, seed=3)
    yield sandbox
    sandbox.stop()


def cli(config: Path, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def by_ref(config: Path) -> dict[str, dict[str, Any]]:
    return {r["ref"]: r for r in cli(config, "rank", "--json", "--limit", "0")["ranking"]}


def test_estimates_come_from_the_project_field_then_labels_and_feed_score_and_capacity(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, box.token)
    config = box.write_config(tmp_path / "rankbridge.toml", tmp_path / "store.db", RULES)
    assert CliRunner().invoke(main, ["--config", str(config), "pull"]).exit_code == 0
    rows = by_ref(config)
    board = {i["key"]: i for i in box.state("github")["items"]}
    estimated = [
        r for r in rows.values() if r["components"]["effort_source"].endswith("project estimate field")
    ]
    assert estimated, "the sandbox board estimates every third issue"
    for row in estimated:
        number = int(row["key"].split("#")[1])
        effort = row["components"]["inputs"]["effort"]
        assert effort["value"] == row["components"]["effort"] == number % 8 + 1  # score and capacity agree
        assert not effort["imputed"]
    plain = next(r for r in rows.values() if "no estimate" in r["components"]["effort_source"])
    key = plain["key"]
    # a size label gives an estimate; the project field, once set, wins over it; clearing it falls back
    box.edit("github", {"key": key, "set": {"labels": [*board[key]["labels"], "size: L"]}})
    cli(config, "pull", "--json")
    row = by_ref(config)[plain["ref"]]
    assert row["components"]["effort"] == 8 and row["components"]["effort_source"].endswith("label size: L")
    box.edit("github", {"key": key, "set": {"Estimate": 2}})
    cli(config, "pull", "--json")
    row = by_ref(config)[plain["ref"]]
    assert row["components"]["effort"] == 2 and "project estimate field" in row["components"]["effort_source"]
    box.edit("github", {"key": key, "set": {"Estimate": None}})
    cli(config, "pull", "--json")
    assert by_ref(config)[plain["ref"]]["components"]["effort"] == 8
    explained = CliRunner().invoke(main, ["--config", str(config), "explain", plain["ref"]]).output
    assert "(effort 8: effort input, from the label size: L)" in explained
    # the cut line adds up the same efforts the score divided by
    ranked = cli(config, "rank", "--json", "--limit", "0")
    for line in ranked["capacity"]:
        fitting = [
            r for r in ranked["ranking"] if r["fits_next_cycle"] and r["connection"] == line["connection"]
        ]
        team = [r for r in fitting if r["components"]["team"] == line["container"]]
        assert line["used"] == pytest.approx(sum(r["components"]["inputs"]["effort"]["value"] for r in team))
