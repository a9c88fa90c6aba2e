"""Qualified references in rules: a pin or boost names one item even where two trackers share its key."""

from __future__ import annotations

from rules.config import Adjustment, ScoringConfig, StatusConfig, StatusRule
from rules.engine import RulesEngine
from rules.explain import explain
from rules.status import StatusRules
from tests.rules.builders import NOW, issue, ticket


def test_a_pin_by_qualified_reference_pins_only_that_tracker_s_item() -> None:
    # Jira's ENG-7 and Linear's ENG-7: a pin by key would take both, a pin by reference one
    items = [
        issue(1, "jira", key="ENG-7", priority_level=4),
        issue(1, "linear", key="ENG-7", priority_level=4),
        issue(2, "jira", key="ENG-8", priority_level=1),
    ]
    scoring = ScoringConfig(adjust=[Adjustment(name="promised", when="ref == 'linear:ENG-7'", pin="top")])
    result = RulesEngine(scoring).rank(items, [], [], now=NOW)
    assert [s.ref for s in result.scores] == ["linear:ENG-7", "jira:ENG-8", "jira:ENG-7"]
    assert [s.label for s in result.scores] == ["linear:ENG-7", "ENG-8", "jira:ENG-7"]
    assert explain(result.scores[0]).startswith("linear:ENG-7: RICE score")
    assert not result.errors


def test_a_note_names_the_issues_asked_for_by_qualified_reference() -> None:
    shipped = issue(4, "linear", key="ENG-4", status="Done", status_category="done")
    twin = issue(4, "jira", key="ENG-4")  # Jira's ENG-4: another issue, still open
    request, links = ticket(1, "z:acme", shipped.uid)
    rule = StatusRule(
        name="shipped", when="kind == 'feedback' and linked_all_done", comment="Shipped {linked_refs}"
    )
    decisions, errors = StatusRules(StatusConfig(rules=[rule])).decide(
        [shipped, twin, request], links, [], NOW
    )
    assert not errors
    assert [(d.uid, d.comment) for d in decisions] == [(request.uid, "Shipped linear:ENG-4")]
