"""Priority is a person's field, through the CLI on the Linear sandbox with `priority_by_rank`: the
priority we write never feeds the rules. `rank`, `explain` and `roadmap` read the value a person last set,
in the store that pushed (its journal) and in a fresh store (Linear's issue history) alike; a person's
later edit counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner

from cli import main
from sandbox.launcher import TOKEN_ENV, Sandbox

RULES: dict[str, Any] = {
    "scoring": {"framework": "rice"},  # RICE's impact comes from priority_level
    "roadmap": {"themes": [{"name": "urgent work", "match": "priority_level == 1"}]},
}


@pytest.fixture
def box(monkeypatch: pytest.MonkeyPatch) -> Any:
    sandbox = Sandbox.start(["linear"], items=30, seed=11)
    monkeypatch.setenv(TOKEN_ENV, sandbox.token)
    yield sandbox
    sandbox.stop()


def config(box: Sandbox, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = box.config(folder / "store.db") | RULES
    assert "priority_by_rank" not in data["connections"]["linear"]  # a person's field unless we say so
    data["connections"]["linear"]["priority_by_rank"] = [0.05, 0.15, 0.30]
    path = folder / "rankbridge.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def cli(path: Path, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--config", str(path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.output


def scores(path: Path) -> dict[str, float]:
    return {r["uid"]: round(r["score"], 6) for r in cli(path, "rank", "--json", "--limit", "0")["ranking"]}


def test_rules_read_the_priority_a_person_set_never_ours(box: Sandbox, tmp_path: Path) -> None:
    first = config(box, tmp_path / "first")
    cli(first, "pull")
    before = scores(first)
    team_set = {i["key"]: i["fields"]["priority"] for i in box.state("linear")["items"]}
    cli(first, "sync")
    written = {i["key"]: i["fields"]["priority"] for i in box.state("linear")["items"]}
    changed = [key for key in team_set if written[key] != team_set[key]]
    assert len(changed) >= 5, "the push changed too few priorities to prove anything"

    cli(first, "sync")  # our writes come back on this pull
    assert scores(first) == before
    settled = cli(first, "sync", "--json")["plan"]["ops"]
    assert [op for op in settled if op["kind"] == "field"] == []  # the priorities we wrote stay put
    fresh = config(box, tmp_path / "fresh")  # a new store reading the trackers we wrote to
    cli(fresh, "pull")
    assert scores(fresh) == before
    assert cli(fresh, "roadmap", "--json") == cli(first, "roadmap", "--json")
    top = changed[0]
    shown = [cli(path, "explain", top, "--json")["components"] for path in (first, fresh)]
    for components in shown:
        components.pop("change")  # since each store's previous run: the one thing allowed to differ
    assert shown[0] == shown[1]

    # A person sets a priority after our push: from then on, that is the value the rules read.
    box.edit("linear", {"key": top, "set": {"priority": 1 if written[top] != 1 else 4}})
    for path in (first, fresh):
        cli(path, "pull")
    after_edit = scores(first)
    assert after_edit == scores(fresh)
    uid = next(
        u
        for u in after_edit
        if u.endswith(next(i["native_id"] for i in box.state("linear")["items"] if i["key"] == top))
    )
    assert after_edit[uid] != before[uid]
