"""Fields by name, through the CLI against the sandbox: the README's and the starter's Jira examples work as
written (``score_field = "Priority score"``, no ``rank_field``): `sync` has 0 failed ops and the next sync
plans nothing; `doctor` fails naming a score field that does not exist, is not a number field, or is not on
the issues' edit screen."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner

from cli import main
from sandbox.launcher import TOKEN_ENV, Sandbox
from sync.presentation.starter import STARTER_CONFIG

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_jira() -> dict[str, Any]:
    """The README's full example's Jira connection, exactly as documented."""
    for block in re.findall(r"```toml\n(.*?)```", README.read_text(), flags=re.S):
        if "[connections.jira]" in block:
            return dict(tomllib.loads(block)["connections"]["jira"])
    raise AssertionError("the README has no Jira example")


def starter_jira() -> dict[str, Any]:
    return dict(tomllib.loads(STARTER_CONFIG)["connections"]["jira"])


@pytest.fixture
def box() -> Any:
    sandbox = Sandbox.start(["jira"], items=30, seed=3)
    yield sandbox
    sandbox.stop()


def run(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jira: dict[str, Any], *args: str
) -> Any:
    """Run the CLI with the given Jira table, pointed at the sandbox (address and credentials only)."""
    sandbox = box.config(tmp_path / "store.db")["connections"]["jira"]
    table = {**jira, "url": box.url("jira"), "email": sandbox["email"], "token": "${JIRA_API_TOKEN}"}
    monkeypatch.setenv("JIRA_API_TOKEN", box.token)
    monkeypatch.setenv(TOKEN_ENV, box.token)
    config = tmp_path / "rankbridge.toml"
    config.write_text(
        tomli_w.dumps({"store": {"path": str(tmp_path / "store.db")}, "connections": {"jira": table}})
    )
    return CliRunner().invoke(main, ["--config", str(config), *args])


@pytest.mark.parametrize("example", [readme_jira, starter_jira], ids=["readme", "starter"])
def test_the_documented_jira_example_syncs_with_no_failed_op(
    example: Any, box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jira = example()
    assert jira["score_field"] == "Priority score" and "rank_field" not in jira  # as written
    first = run(box, tmp_path, monkeypatch, jira, "sync", "--json")
    assert first.exit_code == 0, first.output
    push = json.loads(first.stdout)["push"]
    assert push["failed"] == 0 and push["applied"] > 0, push
    writes = [r for r in box.requests("jira") if r["mutating"]]
    assert any("customfield_10050" in (r["body"] or "") for r in writes)  # the score, by its id
    assert all(r["status"] < 400 for r in writes)
    again = run(box, tmp_path, monkeypatch, jira, "sync", "--json")
    assert again.exit_code == 0, again.output
    assert '"ops": []' in again.stdout  # the Rank field was read: no move is sent again
    assert run(box, tmp_path, monkeypatch, jira, "doctor").exit_code == 0


@pytest.mark.parametrize(
    ("score_field", "named"),
    [
        ("Nope score", "'Nope score': Jira has no field of that name"),
        ("Team", "'Team' (customfield_10061) is a option field, not a number field"),
        (
            "Legacy score",
            "'Legacy score' (customfield_10070) cannot be written: it is not on the edit screen",
        ),
    ],
)
def test_doctor_fails_naming_a_score_field_we_cannot_write(
    score_field: str, named: str, box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jira = {**readme_jira(), "score_field": score_field}
    result = run(box, tmp_path, monkeypatch, jira, "doctor")
    assert result.exit_code == 1, result.output
    assert named in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("score_field", "named"),
    [
        ("Priority score", None),
        ("Nope", "score_field = 'Nope': no project field of that name"),
        ("Status", "'Status' is a SINGLE_SELECT field"),
    ],
)
def test_a_github_project_field_is_found_by_name(
    score_field: str, named: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = Sandbox.start(["github"], items=10, seed=3)
    try:
        monkeypatch.setenv(TOKEN_ENV, box.token)
        data = box.config(tmp_path / "store.db")
        data["connections"]["github"]["score_field"] = score_field
        config = tmp_path / "rankbridge.toml"
        config.write_text(tomli_w.dumps(data))
        result = CliRunner().invoke(main, ["--config", str(config), "doctor"])
        assert result.exit_code == (0 if named is None else 1), result.output
        assert named is None or named in " ".join(result.output.split())
    finally:
        box.stop()
