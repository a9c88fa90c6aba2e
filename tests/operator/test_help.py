"""Every command and every option has help text, shows in ``--help``, and is documented in the README."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli import main

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def commands(
    group: click.Group = main, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))


def options(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option) and p.name != "help"]


ALL = list(commands())


def test_the_group_and_its_options_have_help() -> None:
    shown = CliRunner().invoke(main, ["--help"]).output
    for option in options(main):
        assert option.help, option.opts
        assert all(flag in shown for flag in option.opts), option.opts
        assert all(flag in README for flag in option.opts if flag.startswith("--")), option.opts


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(path) for path, _ in ALL])
def test_every_command_and_option_has_help_and_is_in_the_readme(
    path: tuple[str, ...], command: click.Command
) -> None:
    name = " ".join(path)
    assert command.help and command.help.strip(), f"{name} has no help text"
    assert re.search(rf"rankbridge {re.escape(name)}\b", README), (
        f"README does not document `rankbridge {name}`"
    )
    shown = CliRunner().invoke(main, [*path, "--help"]).output
    missing = []
    for option in options(command):
        flags = [flag for flag in option.opts if flag.startswith("--")]
        if not option.help:
            missing.append(f"{flags[0]}: no help text")
        missing += [f"{flag}: not in --help" for flag in option.opts if flag not in shown]
        if not any(flag in readme_of(name, flag) for flag in flags):
            missing.append(f"{flags[0]}: not in the README")
    assert missing == [], f"rankbridge {name}"


def readme_of(name: str, flag: str) -> str:
    """Where the README documents ``rankbridge NAME``'s option ``flag``: the lines that name the command (its
    row in the commands table, its section); ``--wait``, shared by the writing commands, where the global
    options are listed."""
    if flag == "--wait":
        paragraph = README[README.index("Global options:") :].split("\n\n", 1)[0]
        return paragraph if f"`{name}`" in paragraph else ""
    return "\n".join(line for line in README.splitlines() if f"rankbridge {name}" in line)
