"""Tracker data never drives the terminal: a title with an escape sequence, a carriage return or rich
markup is shown escaped and literal in ``rank`` and ``plan`` output."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.conftest import make_fault_world

HOSTILE = "Evil \x1b[2J\x1b]0;pwned\x07 title\rOVERWRITE [bold red]shout[/] \u009b31m"


def test_hostile_titles_are_escaped_and_never_markup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_fault_world(tmp_path, monkeypatch, ["jira"], items=6, seed=2)
    try:
        target = next(
            i for i in world.box.state("jira")["items"] if i["status_category"] not in ("done", "canceled")
        )
        world.box.edit("jira", {"key": target["key"], "set": {"title": HOSTILE}})
        assert world.cli("pull").returncode == 0
        for args in (("rank",), ("plan",)):
            done = world.cli(*args)
            assert done.returncode == 0, done.stderr
            shown = done.stdout + done.stderr
            assert not any(ch in shown for ch in "\x1b\x07\r\u009b"), (args, shown[-400:])
            if args == ("rank",):
                assert "\\x1b[2J" in shown and "[bold red]shout[/]" in shown, shown
    finally:
        world.box.stop()
