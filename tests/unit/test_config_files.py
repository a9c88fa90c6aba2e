"""Config files of any odd kind end in a one-line message and exit 2, never a traceback (issue 14 item 8):
nesting deeper than the TOML parser recurses, bytes that are not UTF-8, a directory, a syntax error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main


def deep_arrays(path: Path) -> None:
    path.write_text("[scoring]\nframework = " + "[" * 3000 + "1" + "]" * 3000 + "\n")


def deep_tables(path: Path) -> None:
    path.write_text("x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n")


def latin1(path: Path) -> None:
    path.write_bytes('[store]\npath = "caf\xe9.db"\n'.encode("latin-1"))


def directory(path: Path) -> None:
    path.mkdir()


def syntax(path: Path) -> None:
    path.write_text('[store\npath = "x.db"\n')


CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "deep arrays": (deep_arrays, "nested too deeply"),
    "deep inline tables": (deep_tables, "nested too deeply"),
    "not UTF-8": (latin1, "not UTF-8 text (byte 0xe9 at offset 19)"),
    "a directory": (directory, "cannot read the config file (Is a directory)"),
    "TOML syntax": (syntax, "not valid TOML: Expected ']'"),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", [["rules", "check"], ["status"]])
def test_an_odd_config_file_is_one_line_and_exit_2(tmp_path: Path, case: str, command: list[str]) -> None:
    write, expected = CASES[case]
    path = tmp_path / "rankbridge.toml"
    write(path)
    result = CliRunner().invoke(main, ["--config", str(path), *command])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"config error: {path}: ") and expected in lines[0]
    assert "Traceback" not in result.output
