"""Worked examples, each computed by hand in the comment above its assertion."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rules.config import Adjustment, RoadmapConfig, ScoringConfig, StatusConfig, StatusRule, Theme
from rules.engine import RulesEngine, RulesInvalid
from rules.explain import explain
from rules.status import StatusRules
from sync.model import Customer, Item, Link, LinkType
from tests.builders import feedback, item

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def ticket(n: int, org: str, target: str) -> tuple[Item, Link]:
    request = feedback(n, organization=org, created_at=None)
    return request, Link(src_uid=request.uid, type="requests", origin="api", dst_uid=target)


CUSTOMERS = [
    Customer("z:o1", "z", "Acme", "enterprise", 120_000.0),
    Customer("z:o2", "z", "Beta", "starter", 5_000.0),
]


def test_rice_with_observed_inputs() -> None:
    t1, l1 = ticket(1, "z:o1", "j:1")
    t2, l2 = ticket(2, "z:o2", "j:1")
    t3, l3 = ticket(3, "z:o1", "j:1")  # the same organisation again counts once
    engine = RulesEngine(ScoringConfig())
    result = engine.rank(
        [item(1, priority_level=2, estimate=2.0), t1, t2, t3], [l1, l2, l3], CUSTOMERS, now=NOW
    )
    (score,) = result.scores
    # reach 2 orgs × impact 2 (High) × confidence 0.8 / effort 2 = 1.6
    assert score.score == pytest.approx(1.6)
    assert score.evidence["feedback_count"] == 3
    assert score.evidence["feedback_arr"] == 125_000.0


def test_a_ticket_without_an_organisation_counts_as_its_requester() -> None:
    t1, l1 = ticket(1, "z:o1", "j:1")
    t2, l2 = ticket(2, "", "j:1")  # a consumer writing in as themselves: no organisation
    t3, l3 = ticket(3, "", "j:1")  # the same person again counts once
    t4, l4 = ticket(4, "", "j:1")  # another person
    t2.requester = t3.requester = "Ana Ng"
    t4.requester = "Ben Silva"
    engine = RulesEngine(ScoringConfig())
    result = engine.rank(
        [item(1, priority_level=2, estimate=2.0), t1, t2, t3, t4], [l1, l2, l3, l4], CUSTOMERS, now=NOW
    )
    (score,) = result.scores
    # reach 3 (Acme, Ana, Ben) × impact 2 × confidence 0.8 / effort 2 = 2.4; only Acme brings ARR
    assert score.score == pytest.approx(2.4)
    assert score.evidence["feedback_orgs"] == 3 and score.evidence["feedback_arr"] == 120_000.0


def test_rice_imputes_missing_inputs_and_lowers_confidence() -> None:
    engine = RulesEngine(ScoringConfig())
    (score,) = engine.rank([item(1, priority_level=1)], [], [], now=NOW).scores
    # reach imputed 1, effort imputed 3 → confidence 0.8 × 0.8² = 0.512; 1 × 3 × 0.512 / 3 = 0.512
    assert score.score == pytest.approx(0.512)
    assert {v.name for v in score.inputs if v.imputed} == {"reach", "effort"}
    assert "imputed" in explain(score)


def test_ice_and_wsjf() -> None:
    ice = RulesEngine(ScoringConfig(framework="ice"))
    (s,) = ice.rank([item(1, priority_level=2, estimate=3.0)], [], [], now=NOW).scores
    # impact 10 - 4 = 6, confidence 8, ease 10 - 3 = 7 → 336
    assert s.score == pytest.approx(336)
    wsjf = RulesEngine(ScoringConfig(framework="wsjf"))
    (w,) = wsjf.rank(
        [item(1, labels=["security"], due_date="2026-11-05", estimate=5.0)], [], [], now=NOW
    ).scores
    # business value imputed 3, time criticality 13 (due in 4 days), risk 8 → 24 / 5 = 4.8 × 0.8 (one imputed)
    assert w.score == pytest.approx(3.84)


def test_custom_formula_and_adjustments_and_pins() -> None:
    config = ScoringConfig(
        framework="custom",
        inputs={"value": "10 if 'customer' in labels else 2"},
        formula="value * 2",
        adjust=[
            Adjustment(name="boost", when="priority_level == 1", multiply=1.5),
            Adjustment(name="pin", when="key == 'ENG-3'", pin="bottom"),
            Adjustment(name="drop", when="'wontfix' in labels", exclude=True),
        ],
    )
    items = [
        item(1, labels=["customer"]),
        item(2, priority_level=1),
        item(3, labels=["customer"]),
        item(4, labels=["wontfix"]),
    ]
    result = RulesEngine(config).rank(items, [], [], now=NOW)
    # ENG-1: 20; ENG-2: 4 × 1.5 = 6; ENG-3: 20 but pinned to the bottom; ENG-4 excluded
    assert [(s.key, s.score) for s in result.scores] == [("ENG-1", 20), ("ENG-2", 6), ("ENG-3", 20)]
    assert result.excluded == ["j:4"]


def test_themes_weight_the_score() -> None:
    roadmap = RoadmapConfig(themes=[Theme(name="Security", match="'security' in labels", weight=2)])
    result = RulesEngine(ScoringConfig(framework="ice"), roadmap).rank(
        [item(1, labels=["security"], priority_level=3, estimate=5.0)], [], [], now=NOW
    )
    # ICE 4 × 8 × 5 = 160, theme weight 2 → 320
    assert result.scores[0].score == pytest.approx(320)
    assert result.scores[0].themes == ["Security"]


def test_ties_keep_the_tracker_order() -> None:
    items = [item(1), item(2), item(3)]
    result = RulesEngine(ScoringConfig()).rank(
        items, [], [], {"j:3": (0,), "j:1": (1,), "j:2": (2,)}, now=NOW
    )
    assert [s.key for s in result.scores] == ["ENG-3", "ENG-1", "ENG-2"]


def test_closed_work_and_feedback_are_not_ranked() -> None:
    t1, _ = ticket(1, "z:o1", "j:1")
    result = RulesEngine(ScoringConfig()).rank([item(1, status_category="done"), t1], [], [], now=NOW)
    assert result.scores == []


def test_invalid_rules_are_all_reported_before_anything_runs() -> None:
    config = ScoringConfig(
        inputs={"reach": "feedbak_orgs", "effrt": "1"}, adjust=[Adjustment(name="x", when="1 +", add=1)]
    )
    with pytest.raises(RulesInvalid) as caught:
        RulesEngine(config)
    text = str(caught.value)
    assert "did you mean 'feedback_orgs'" in text
    assert "RICE has no input 'effrt'" in text
    assert "rule 'adjust x': syntax error" in text


def test_runtime_error_on_one_item_does_not_stop_the_ranking() -> None:
    config = ScoringConfig(inputs={"effort": "10 / (estimate - 2)"})
    result = RulesEngine(config).rank([item(1, estimate=2.0), item(2, estimate=3.0)], [], [], now=NOW)
    assert len(result.scores) == 2
    assert any("ZeroDivisionError" in e for e in result.errors)


def test_status_rule_decides_and_renders_comment() -> None:
    t1, link = ticket(1, "z:o1", "j:1")
    rules = StatusRules(
        StatusConfig(
            rules=[
                StatusRule(
                    name="shipped",
                    when="kind == 'feedback' and linked_all_done",
                    comment="Shipped {linked_keys} ({linked_done} of {linked_count})",
                    set_category="todo",
                )
            ]
        )
    )
    decisions, errors = rules.decide([item(1, status_category="done"), t1], [link], CUSTOMERS, now=NOW)
    assert errors == []
    (decision,) = decisions
    assert decision.uid == "z:1"
    assert decision.comment == "Shipped ENG-1 (1 of 1)"


@pytest.mark.parametrize(
    ("template", "named"),
    [
        ("Shipped {linked_key}", "{linked_key} is not a vocabulary name (did you mean {linked_keys}?)"),
        ("Shipped {title.__class__}", "{title.__class__} is not a vocabulary name"),
        ("Shipped {}", "{} is not a vocabulary name"),
    ],
)
def test_a_note_placeholder_outside_the_vocabulary_is_rejected(template: str, named: str) -> None:
    rule = StatusRule(name="shipped", when="linked_all_done", comment=template)
    with pytest.raises(RulesInvalid) as caught:
        StatusRules(StatusConfig(rules=[rule]))
    assert named in str(caught.value)
    assert "rule 'status shipped'" in str(caught.value)


def test_canceled_work_is_not_done_for_the_notes() -> None:
    """A ticket asking for one shipped and one declined issue is closed, not done; a ticket whose only
    issue was declined gets the declined note, never the shipped one."""
    shipped_rule = StatusRule(name="shipped", when="linked_all_done", comment="Shipped {linked_done_keys}")
    declined_rule = StatusRule(
        name="declined",
        when="linked_all_closed and linked_canceled > 0",
        comment="Declined {linked_canceled_keys}; shipped {linked_done_keys}",
    )
    rules = StatusRules(StatusConfig(rules=[shipped_rule, declined_rule]))
    t1, link1 = ticket(1, "z:o1", "j:1")
    t2, link2 = ticket(2, "z:o1", "j:2")
    extra = Link(src_uid="z:2", type=LinkType.REQUESTS, origin="api", dst_uid="j:1")
    issues = [item(1, status_category="canceled"), item(2, status_category="done")]
    decisions, errors = rules.decide([*issues, t1, t2], [link1, link2, extra], CUSTOMERS, now=NOW)
    assert errors == []
    by_ticket = {(d.uid, d.rule): d.comment for d in decisions}
    assert by_ticket == {
        ("z:1", "declined"): "Declined ENG-1; shipped ",
        ("z:2", "declined"): "Declined ENG-1; shipped ENG-2",
    }
