"""Every item's rules run within a step and time budget (issue 14 item 6): an expression built only of
bounded operations, each fast on its own, but touching millions of values, fails on the item it is spent
on, reported like any evaluation error, and the ranking goes on with the next items at full speed."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from cli import main
from rules.config import ScoringConfig
from rules.engine import RulesEngine
from tests.rules.builders import issue

NOW = datetime(2026, 6, 1, tzinfo=UTC)
# Twenty bounded terms: each builds 99,999 characters (under the 100,000 cap) and measures them, so one
# evaluation touches about 4 million values where the default budget allows 1 million.
COSTLY = " + ".join(["len('x' * 99999)"] * 20)


def scoring(reach: str, **limits: float) -> ScoringConfig:
    return ScoringConfig(framework="rice", inputs={"reach": reach}, **limits)  # type: ignore[arg-type]


def test_an_item_that_spends_its_budget_fails_alone_and_the_others_are_ranked() -> None:
    items = [issue(n, title="big" if n == 2 else "") for n in range(1, 6)]
    started = time.monotonic()
    # Only the item titled "big" pays for the costly terms: the empty title repeats to nothing.
    result = RulesEngine(scoring(f"({COSTLY}) if title == 'big' else 1")).rank(items, [], [], now=NOW)
    assert time.monotonic() - started < 2.0
    assert len(result.scores) == 5, "every item is still ranked (the failing input takes its fallback)"
    assert len(result.errors) == 1 and "J-2" in result.errors[0], result.errors
    assert "evaluation budget is spent: more than 1,000,000 steps" in result.errors[0]
    assert "reach" in result.errors[0]


def test_the_same_expression_within_a_larger_budget_is_computed() -> None:
    items = [issue(1, title="big")]
    result = RulesEngine(scoring(COSTLY, evaluation_steps=10_000_000)).rank(items, [], [], now=NOW)
    assert result.errors == []
    assert result.scores[0].values[0] == 20 * 99999


def test_the_time_budget_fails_an_item_that_runs_too_long() -> None:
    limits = {"evaluation_steps": 10**9, "evaluation_seconds": 0.000_001}
    result = RulesEngine(scoring(COSTLY, **limits)).rank([issue(1, title="big")], [], [], now=NOW)
    assert len(result.errors) == 1 and "evaluation budget is spent: more than 1e-06 s" in result.errors[0]


def test_rules_check_names_the_budget_and_a_bad_budget_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "rankbridge.toml"
    config.write_text(f'[scoring]\nframework = "rice"\n[scoring.inputs]\nreach = "{COSTLY}"\n')
    result = CliRunner().invoke(main, ["--config", str(config), "rules", "check"])
    assert result.exit_code == 1, result.output
    assert "fails on every sample" in result.output and "evaluation budget is spent" in result.output
    config.write_text('[scoring]\nframework = "rice"\nevaluation_seconds = 0\n')
    result = CliRunner().invoke(main, ["--config", str(config), "rules", "check"])
    assert result.exit_code == 2 and "evaluation_seconds" in result.output, result.output
