"""Nothing destroyed without asking: ``sandbox serve`` keeps an existing config, ``demo`` empties only a
folder it made itself, and only of what it made there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.operator.conftest import cli


def test_sandbox_serve_refuses_to_overwrite_a_config_and_says_where(tmp_path: Path) -> None:
    mine = tmp_path / "rankbridge.toml"
    mine.write_text("# my hand-written config\n")
    result = cli("sandbox", "serve", "--config-out", str(mine))
    assert result.exit_code == 2
    assert str(mine) in result.output and "--force" in result.output
    assert mine.read_text() == "# my hand-written config\n"


def test_sandbox_serve_refuses_the_default_config_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("rankbridge.toml").write_text("[store]\n")
    result = cli("sandbox", "serve")
    assert result.exit_code == 2 and str(tmp_path / "rankbridge.toml") in result.output
    assert Path("rankbridge.toml").read_text() == "[store]\n"


def test_demo_refuses_a_folder_it_did_not_make_and_leaves_it_alone(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "notes.txt").write_text("precious")
    (folder / "rankbridge.toml").write_text("# someone else's")
    result = cli("demo", "--items", "3", "--dir", str(folder))
    assert result.exit_code == 2
    assert str(folder) in result.output and "not made by `rankbridge demo`" in result.output
    assert sorted(os.listdir(folder)) == ["notes.txt", "rankbridge.toml"]
    assert (folder / "rankbridge.toml").read_text() == "# someone else's"


def test_demo_reruns_in_its_own_folder_and_removes_only_what_it_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "demo"
    first = cli("demo", "--items", "3", "--dir", str(folder))
    assert first.exit_code == 0, first.output
    assert (folder / ".rankbridge-demo").exists() and (folder / "rankbridge.db").exists()
    (folder / "mine.txt").write_text("added later by a person")
    second = cli("demo", "--items", "3", "--dir", str(folder))
    assert second.exit_code == 0, second.output
    assert (folder / "mine.txt").read_text() == "added later by a person"
    # The closing hint works from any folder: the store path is relative to the config file.
    monkeypatch.chdir(tmp_path)
    hint = second.output.rsplit("explore with `", 1)[1].split("`", 1)[0]
    assert hint.startswith("rankbridge --config ")
    ranked = cli("--config", str(folder / "rankbridge.toml"), "rank", "--json", "--no-save", "--limit", "1")
    assert ranked.exit_code == 0 and '"rank": 1' in ranked.output
