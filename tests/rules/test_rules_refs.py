"""Qualified references in rules: a pin or boost names one item even where two trackers share its key."""

from __future__ import annotations

from rules.config import Adjustment, ScoringConfig
from rules.engine import RulesEngine
from rules.explain import explain
from tests.rules.builders import NOW, issue


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
