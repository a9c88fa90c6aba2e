"""Worked examples of every framework, imputation, estimate scales and absolute scores; each computed by hand
in the comment above its assertion."""

from __future__ import annotations

import pytest

from rules.config import ScoringConfig
from rules.engine import RulesEngine
from rules.inputs import Facts
from tests.rules.builders import CUSTOMERS, NOW, issue, ticket


def test_rice_observed_inputs_with_an_estimate_scale() -> None:
    t1, l1 = ticket(1, "z:acme", "l:1")
    t2, l2 = ticket(2, "z:cola", "l:1")
    t3, l3 = ticket(3, "z:acme", "l:1")  # Acme again: organisations count once
    engine = RulesEngine(ScoringConfig(estimate_scale={"l": 0.5}))
    item = issue(1, "l", priority_level=1, estimate=4.0)
    (score,) = engine.rank([item, t1, t2, t3], [*l1, *l2, *l3], CUSTOMERS, now=NOW).scores
    # reach 2 organisations × impact 3 (Urgent) × confidence 0.8 / effort 4 points × 0.5 = 2 → 2.4
    assert score.score == pytest.approx(2.4)
    assert [v.value for v in score.inputs] == [2, 3, 0.8, 2.0]
    assert not any(v.imputed for v in score.inputs)
    # the evidence: 3 requests, 2 organisations, ARR 120k + 30k, one of them enterprise
    assert score.evidence["feedback_count"] == 3
    assert score.evidence["feedback_arr"] == 150_000.0
    assert score.evidence["requests_by_tier"] == {"enterprise": 2, "growth": 1}


def test_rice_imputes_each_missing_input_and_lowers_confidence() -> None:
    (score,) = RulesEngine(ScoringConfig()).rank([issue(1)], [], [], now=NOW).scores
    # reach → 1, impact → 1 (no priority), effort → 3: three imputed inputs, confidence 0.8 × 0.8³ = 0.4096
    # 1 × 1 × 0.4096 / 3 = 0.136533
    assert score.score == pytest.approx(0.136533)
    assert [v.name for v in score.inputs if v.imputed] == ["reach", "impact", "effort"]
    # the explanation keeps the configured confidence and says it was lowered
    assert score.inputs[2].value == 0.8


def test_rice_defaults_are_configurable() -> None:
    config = ScoringConfig(defaults={"effort": 1, "reach": 10}, imputed_penalty=0.5)
    (score,) = RulesEngine(config).rank([issue(1, priority_level=2)], [], [], now=NOW).scores
    # reach 10 and effort 1 imputed: confidence 0.8 × 0.5² = 0.2; 10 × 2 × 0.2 / 1 = 4
    assert score.score == pytest.approx(4.0)


def test_ice_observed_and_imputed() -> None:
    engine = RulesEngine(ScoringConfig(framework="ice"))
    blank, low = engine.rank([issue(1, priority_level=4, estimate=12.0), issue(2)], [], [], now=NOW).scores
    # J-1: impact 10 − 2 × 4 = 2, confidence 8, ease max(1, 10 − 12) = 1 → 16
    # J-2: impact 5 and ease 5 imputed, confidence 8 × 0.8² = 5.12 → 5 × 5.12 × 5 = 128 (ranks first)
    assert low.key == "J-1" and low.score == pytest.approx(16)
    assert blank.key == "J-2" and blank.score == pytest.approx(128)


def test_wsjf_observed_and_imputed() -> None:
    t1, l1 = ticket(1, "z:acme", "j:1")
    t2, l2 = ticket(2, "z:beta", "j:1")
    observed = issue(1, labels=["security"], due_date="2026-10-31", estimate=6.0)
    engine = RulesEngine(ScoringConfig(framework="wsjf"))
    first, second = engine.rank([observed, issue(2), t1, t2], [*l1, *l2], CUSTOMERS, now=NOW).scores
    # J-1: business value min(20, 1 + 2 × 2 orgs + 3 × 1 enterprise) = 8, time criticality 20 (overdue),
    #      risk reduction 8 (security) → (8 + 20 + 8) / job size 6 = 6
    assert first.key == "J-1" and first.score == pytest.approx(6.0)
    # J-2, as SAFe reads it: no due date and no security label are low values (time criticality 1, risk
    # reduction 1), not missing data; business value and job size are imputed:
    # (3 + 1 + 1) / 3 × 0.8² = 1.666667 × 0.64 = 1.066667
    assert second.key == "J-2" and second.score == pytest.approx(1.066667)
    assert [v.name for v in second.inputs if v.imputed] == ["business_value", "job_size"]


def test_wsjf_absent_optional_evidence_never_reorders_by_imputation() -> None:
    # The shown inputs order the items, whatever optional evidence is absent: 6 (no due date) above 4.5
    # (no security label); neither absence costs a penalty.
    urgent = issue(1, estimate=2.0, labels=["security"])  # (3 + 1 + 8) / 2 = 6
    dated = issue(2, estimate=2.0, due_date="2026-11-20")  # (3 + 5 + 1) / 2 = 4.5
    engine = RulesEngine(ScoringConfig(framework="wsjf"))
    first, second = engine.rank([urgent, dated], [], [], now=NOW).scores
    # both have business value imputed (no requests) and nothing else: the same penalty, 0.8
    assert (first.key, second.key) == ("J-1", "J-2")
    assert first.score == pytest.approx((3 + 1 + 8) / 2 * 0.8) and second.score == pytest.approx(4.5 * 0.8)


def test_custom_framework_with_a_formula() -> None:
    config = ScoringConfig(
        framework="custom",
        inputs={"value": "feedback_arr / 1000 if feedback_arr else None", "cost": "estimate"},
        defaults={"value": 1, "cost": 5},
        formula="value / cost",
    )
    t1, l1 = ticket(1, "z:acme", "j:1")
    result = RulesEngine(config).rank([issue(1, estimate=4.0), issue(2), t1], l1, CUSTOMERS, now=NOW)
    # J-1: 120,000 / 1000 = 120 over cost 4 → 30
    # J-2: value 1 and cost 5 imputed → 0.2 × 0.8² (no confidence input: the score takes the penalty) = 0.128
    assert [(s.key, s.score) for s in result.scores] == [("J-1", 30.0), ("J-2", pytest.approx(0.128))]


def test_scores_are_absolute_adding_items_changes_no_other_score() -> None:
    t1, l1 = ticket(1, "z:acme", "j:1")
    base = [issue(1, priority_level=2, estimate=2.0), issue(2, priority_level=3), t1]
    engine = RulesEngine(ScoringConfig())
    before = {s.uid: s.score for s in engine.rank(base, l1, CUSTOMERS, now=NOW).scores}
    t2, l2 = ticket(2, "z:dyna", "j:3")  # a new item with its own (large) evidence
    more = [*base, issue(3, priority_level=1, estimate=1.0), issue(4), t2]
    after = {s.uid: s.score for s in engine.rank(more, [*l1, *l2], CUSTOMERS, now=NOW).scores}
    assert {uid: after[uid] for uid in before} == before
    # J-1: 1 org × 2 × 0.8 / 2 = 0.8 in both runs
    assert before["j:1"] == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("reach", "value", "imputed"),
    [
        ("None", 1.0, True),
        ("True", 1.0, True),  # a bool is not a count
        ("1e308 * 10", 1.0, True),  # infinite
        ("1e308 * 10 - 1e308 * 10", 1.0, True),  # NaN
        ("3", 3, False),
        ("2.5", 2.5, False),
    ],
)
def test_generated_imputation_agrees_with_the_item_by_item_path(
    reach: str, value: float, imputed: bool
) -> None:
    # The generated function imputes inline; an item whose expressions fail is computed one by one and
    # imputed by rules.codegen.impute. Both must replace and mark the same inputs (reach is input 0).
    engine = RulesEngine(ScoringConfig(inputs={"reach": reach}))
    item = issue(1, priority_level=2)
    facts = Facts([item], [], [], NOW)
    generated = engine.first_function(item, facts)
    one_by_one = engine._one_by_one(facts.names(item), [])
    assert generated[:2] == one_by_one[:2]
    assert generated[1][0] == value
    assert bool(generated[0] & 1) is imputed


def test_rice_impact_takes_the_whole_scale_down_to_minimal() -> None:
    items = [
        issue(1, estimate=1.0, priority_level=4, labels=["impact:minimal"]),  # the label wins over low
        issue(2, estimate=1.0, priority_level=4),
        issue(3, estimate=1.0, labels=["impact:massive"]),
    ]
    by_key = {s.key: s for s in RulesEngine(ScoringConfig()).rank(items, [], [], now=NOW).scores}
    # reach 1 (imputed) × impact × 0.8 / 1 × penalty 0.8
    assert by_key["J-1"].values[1] == 0.25 and by_key["J-1"].score == pytest.approx(0.25 * 0.8 * 0.8)
    assert by_key["J-2"].values[1] == 0.5
    assert by_key["J-3"].values[1] == 3
