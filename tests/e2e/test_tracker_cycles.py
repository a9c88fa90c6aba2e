"""A team's capacity is counted against its tracker's own cycle: after a pull of Linear (teams and cycles kept
in the store), `rankbridge rank` names, on each Linear team's cut line, the cycle running today; once that
cycle is completed (here: a saved cycles answer imported, as the tracker would report it), the next one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from cli import main
from connectors.graphql import document
from sandbox.launcher import TOKEN_ENV, Sandbox
from sandbox.linear import LinearEmulator
from sandbox.linear.data import parse_iso


def _cli(config: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--config", str(config), *args])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def _span(cycle: dict[str, Any]) -> str:
    return f"{parse_iso(cycle['startsAt']).date()}..{parse_iso(cycle['endsAt']).date()}"


def test_the_cut_line_names_the_running_cycle_then_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = Sandbox.start(["linear"], items=30, seed=3)
    try:
        monkeypatch.setenv(TOKEN_ENV, box.token)
        config = box.write_config(tmp_path / "rankbridge.toml", tmp_path / "store.db")
        config.write_text(config.read_text() + "\n[capacity]\ndefault = 3\n")
        _cli(config, "pull")
        emulator = box.emulator("linear")
        assert isinstance(emulator, LinearEmulator)
        eng = emulator.data.team_by_key("ENG")["id"]
        cycles = {int(c["number"]): c for c in emulator.data.cycles.values() if c["_team"] == eng}
        output = _cli(config, "rank")
        assert "linear:ENG: " in output and f"in Cycle 2 ({_span(cycles[2])})" in output, output

        # The tracker completes cycle 2: its cycles answer says so, and the line moves to cycle 3.
        settings = emulator.connection_config()
        answer = httpx.post(
            settings["url"],
            headers={"Authorization": box.token},
            json={"query": document("connectors.linear", "cycles"), "variables": {"first": 50, "filter": {}}},
            timeout=30,
        ).json()
        for node in answer["data"]["cycles"]["nodes"]:
            if node["number"] == 2:
                node["completedAt"] = node["updatedAt"] = node["endsAt"]
        saved = tmp_path / "cycles.json"
        saved.write_text(json.dumps(answer))
        assert "cycle(s)" in _cli(config, "import", "linear", str(saved))
        assert f"in Cycle 3 ({_span(cycles[3])})" in _cli(config, "rank")
    finally:
        box.stop()
