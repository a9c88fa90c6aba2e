"""Invalid rules are reported at load, naming the rule, the expression and the position; a runtime error on
one item is that item's, and no expression escapes the sandbox through the compiled fast path."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.config import Adjustment, RoadmapConfig, ScoringConfig, StatusConfig, StatusRule, Theme
from rules.engine import RulesEngine, RulesInvalid
from rules.status import StatusRules
from tests.rules.builders import CUSTOMERS, NOW, issue, ticket


def problems(scoring: ScoringConfig, roadmap: RoadmapConfig | None = None) -> str:
    with pytest.raises(RulesInvalid) as caught:
        RulesEngine(scoring, roadmap)
    return str(caught.value)


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (
            "'x' in estimate",
            "type error: `in` needs a list, text or map on the right, not estimate (a number)",
        ),
        ("labels - 1 > 0", "type error: arithmetic (-) on labels (a list)"),
        ("title / 2 > 1", "type error: arithmetic (/) on title (text)"),
        ("len(priority_level) > 1", "type error: len() needs a list, not priority_level (a number)"),
        ("feedback_orgs > 'many'", "type error: cannot order feedback_orgs (a number) against 'many' (text)"),
        ("'%s' % title", "type error: text formatting with % is not allowed"),
    ],
)
def test_type_errors_name_the_rule(when: str, message: str) -> None:
    text = problems(ScoringConfig(adjust=[Adjustment(name="bad", when=when, add=1)]))
    assert f"rule 'adjust bad': {message}" in text
    assert f"in `{when}`" in text


def test_an_input_must_give_a_number() -> None:
    text = problems(ScoringConfig(inputs={"reach": "labels * 2"}))
    assert (
        "rule 'scoring.inputs.reach': type error: an input must give a number (or None), not a list" in text
    )


def test_every_problem_is_listed_with_its_position_and_a_suggestion() -> None:
    text = problems(
        ScoringConfig(inputs={"reach": "feedback_org + 1"}, adjust=[Adjustment(name="x", when="1 +", add=1)]),
        RoadmapConfig(themes=[Theme(name="Growth", match="'growth' in tier", weight=2)]),
    )
    assert (
        "rule 'scoring.inputs.reach': unknown name 'feedback_org' (did you mean 'feedback_orgs'?) at column 1"
        in text
    )
    assert "rule 'adjust x': syntax error" in text
    assert "rule 'theme Growth': unknown name 'tier' (did you mean 'tiers'?) at column 13" in text


def test_custom_inputs_cannot_shadow_the_vocabulary() -> None:
    text = problems(ScoringConfig(framework="custom", inputs={"labels": "1"}, formula="labels"))
    assert "'labels' is already a vocabulary name" in text


def test_status_rules_are_type_checked_too() -> None:
    with pytest.raises(RulesInvalid, match=r"rule 'status close': type error: `in` needs a list"):
        StatusRules(StatusConfig(rules=[StatusRule(name="close", when="'x' in linked_count")]))


def test_themes_read_by_adjustments() -> None:
    scoring = ScoringConfig(adjust=[Adjustment(name="on theme", when="'Security' in themes", add=10)])
    roadmap = RoadmapConfig(themes=[Theme(name="Security", match="'security' in labels", weight=1)])
    result = RulesEngine(scoring, roadmap).rank([issue(1, labels=["security"]), issue(2)], [], [], now=NOW)
    # both score 0.136533 (everything imputed, see test_rules_frameworks); J-1 gets +10
    assert [(s.key, s.score) for s in result.scores] == [("J-1", 10.136533), ("J-2", 0.136533)]
    assert list(result.scores[0].adjustments) == ["on theme: +10"]


def test_division_by_zero_on_some_items_is_reported_for_them_and_the_ranking_goes_on() -> None:
    config = ScoringConfig(inputs={"effort": "10 / (estimate - 2)"})
    items = [issue(1, estimate=2.0), issue(2, estimate=3.0), issue(3, estimate=12.0)]
    result = RulesEngine(config).rank(items, [], [], now=NOW)
    assert [s.key for s in result.scores] == ["J-3", "J-1", "J-2"]
    (error,) = result.errors
    assert error.startswith("J-1: rule 'scoring.inputs.effort': ZeroDivisionError")
    failed = next(s for s in result.scores if s.key == "J-1")
    # J-1's effort falls back to 3 and is marked imputed: 1 × 1 × 0.8 × 0.8³ / 3 = 0.136533
    assert [v.imputed for v in failed.inputs] == [True, True, False, True]
    assert failed.score == pytest.approx(0.136533)
    assert failed.errors and "ZeroDivisionError" in failed.errors[0]


def test_a_failing_adjustment_skips_only_that_item() -> None:
    t1, l1 = ticket(1, "z:acme", "j:1")
    config = ScoringConfig(
        adjust=[Adjustment(name="ratio", when="feedback_arr / feedback_count > 1000", add=5)]
    )
    result = RulesEngine(config).rank([issue(1), issue(2), t1], l1, CUSTOMERS, now=NOW)
    # J-1: 120,000 / 1 request > 1000 → +5 on RICE reach 1 (observed), impact and effort imputed:
    #      1 × 1 × 0.8 × 0.8² / 3 = 0.170667 → 5.170667
    # J-2 divides by zero: reported, the adjustment does not apply
    assert [s.key for s in result.scores] == ["J-1", "J-2"]
    assert result.scores[0].score == pytest.approx(5.170667)
    assert len(result.errors) == 1 and result.errors[0].startswith(
        "J-2: rule 'adjust ratio': ZeroDivisionError"
    )


ATOMS = st.sampled_from(
    [
        "1",
        "2.5",
        "labels",
        "estimate",
        "feedback_orgs",
        "'a'",
        "title",
        "fields",
        "None",
        "(",
        ")",
        "+",
        "*",
        "**",
        "%",
        "/",
        " if ",
        " else ",
        " in ",
        " and ",
        " not ",
        ".",
        "__class__",
        "[",
        "]",
        ",",
        "max",
        "open",
        "'x' * 10**9",
        "__import__",
        "lambda",
        ":",
        "9" * 30,
        "float('nan')",
        "str",
        "'%999999999d'",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(ATOMS, min_size=1, max_size=10).map("".join))
def test_no_rule_escapes_through_the_engine(source: str) -> None:
    """Through the generated per-run function: invalid at load, or every item scored with a finite number."""
    config = ScoringConfig(framework="custom", inputs={"v": source}, formula="v")
    try:
        engine = RulesEngine(config)
    except RulesInvalid:
        return
    items = [issue(1, labels=["a"], estimate=2.0, fields={"a": 1}), issue(2)]
    result = engine.rank(items, [], [], now=NOW)
    assert len(result.scores) == 2
    assert all(isinstance(s.score, float) and math.isfinite(s.score) for s in result.scores)
