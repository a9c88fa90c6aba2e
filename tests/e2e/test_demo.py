"""`rankbridge demo` end to end: the first push leaves every item at its final place, so the second sync
plans nothing and the third sends no write (the demo says so from what the sandbox saw)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cli import main


def test_the_second_sync_plans_nothing_and_the_third_writes_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--items", "40", "--seed", "7", "--dir", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert "second sync: 0 op(s) planned" in result.output
    assert "0 op(s) planned, 0 write(s) sent" in result.output
    # The first push did write (issues added to the GitHub board among them): the quiet syncs mean something.
    assert "Written to the trackers" in result.output
