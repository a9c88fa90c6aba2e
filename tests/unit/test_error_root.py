"""One error root outside the connectors (``sync.errors``): every error a command can meet carries its exit
code, and the command group turns it into one line on stderr and that code."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from rules.engine import RulesInvalid
from sync.config import ConfigError
from sync.daemon.lock import LockHeld
from sync.engine import StalePlan
from sync.errors import ExitCode, RankbridgeError
from sync.push.undo import NotAPush
from sync.refs import AmbiguousRef, UnknownRef

ROOT = Path(__file__).resolve().parents[2]
# Raised and caught inside the rules: gathered into RulesInvalid when rules load, or turned into an item's
# missing input when one evaluation fails. No command meets them.
INTERNAL = {
    "rules.expressions.RuleError",
    "rules.expressions.EvaluationError",
    "rules.typecheck.TypeProblem",
    "rules.budget.BudgetSpent",  # an item's evaluation error, like a division by zero
}


def exception_classes() -> list[str]:
    found = []
    for top in ("sync", "rules"):
        for path in (ROOT / top).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef):
                    cls = getattr(importlib.import_module(module), node.name, None)
                    if isinstance(cls, type) and issubclass(cls, BaseException):
                        found.append(f"{module}.{node.name}")
    return found


def test_every_error_outside_the_connectors_is_under_the_root() -> None:
    classes = exception_classes()
    assert "sync.config.ConfigError" in classes  # the reader sees them
    outside = []
    for name in classes:
        module, _, attr = name.rpartition(".")
        if name not in INTERNAL and not issubclass(
            getattr(importlib.import_module(module), attr), RankbridgeError
        ):
            outside.append(name)
    assert outside == []


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("x"), ExitCode.USAGE),
        (RulesInvalid([]), ExitCode.USAGE),
        (AmbiguousRef("ENG-1", ["jira:ENG-1", "linear:ENG-1"]), ExitCode.USAGE),
        (NotAPush("run 3 is not a push"), ExitCode.USAGE),
        (UnknownRef("ENG-404"), ExitCode.FAILED),
        (StalePlan("x"), ExitCode.STALE_PLAN),
        (LockHeld(Path("store.db.lock"), None, 0.0), ExitCode.STORE_BUSY),
    ],
)
def test_each_kind_carries_its_exit_code(error: RankbridgeError, code: ExitCode) -> None:
    assert error.exit_code == code


def test_a_config_error_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "rankbridge.toml"
    config.write_text('[connections.jira]\ntype = "jira"\nurl = "https://x.atlassian.net"\nbogus = 1\n')
    result = CliRunner().invoke(main, ["--config", str(config), "plan"])
    assert result.exit_code == 2
    assert result.stderr.startswith("config error: ") and "bogus" in result.stderr
    assert "Traceback" not in result.output


def test_undo_of_a_run_that_is_no_push_is_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "rankbridge.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "store.db"}"\n')
    result = CliRunner().invoke(main, ["--config", str(config), "undo", "99", "--dry-run"])
    assert result.exit_code == 2, result.output
    assert "run 99 is not a push" in result.stderr
