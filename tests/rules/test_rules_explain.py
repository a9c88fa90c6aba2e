"""Explanations: each input with where it came from, adjustments, themes, the final score and rank, and what
changed since the previous run, input by input; and the run saved per item by sync/rank.py."""

from __future__ import annotations

import json
from pathlib import Path

from rules.config import Adjustment, RoadmapConfig, ScoringConfig, Theme
from rules.engine import RulesEngine
from rules.explain import change_since, components, explain
from sync.config import Config
from sync.model import Records
from sync.rank import rank
from sync.references import resolve_links
from sync.store import Store
from tests.rules.builders import CUSTOMERS, NOW, issue, mirror, ticket


def previous_rows(result_scores: list) -> dict:  # type: ignore[type-arg]
    return {
        s.uid: {"uid": s.uid, "score": s.score, "rank": s.rank, "components": json.dumps(components(s))}
        for s in result_scores
    }


def test_what_changed_since_the_previous_run_input_by_input() -> None:
    engine = RulesEngine(ScoringConfig())
    others = [issue(n, priority_level=1, estimate=1.0) for n in range(2, 7)]
    requests = [ticket(1, "z:beta", "j:1"), ticket(2, "z:cola", "j:1"), ticket(3, "z:dyna", "j:1")]
    target = issue(1, priority_level=3, estimate=1.5)
    items = [target, *others, *(t for t, _ in requests)]
    links = [link for _, ls in requests for link in ls]
    first = engine.rank(items, links, CUSTOMERS, now=NOW)
    # J-1: reach 3 × impact 1 × 0.8 / 1.5 = 1.6; the others: reach imputed 1 × 3 × 0.64 / 1 = 1.92 → J-1 6th
    assert next(s.rank for s in first.scores if s.key == "J-1") == 6
    new = [ticket(4, "z:acme", "j:1"), ticket(5, "z:acme", "j:1")]  # two tickets from an enterprise customer
    second = engine.rank(
        [*items, *(t for t, _ in new)], [*links, *(link for _, ls in new for link in ls)], CUSTOMERS, now=NOW
    )
    now = next(s for s in second.scores if s.key == "J-1")
    # reach 4 × 0.8 / 1.5 = 2.133333 > 1.92 → first: up 5 places
    assert (now.rank, now.score) == (1, 2.133333)
    before = previous_rows(first.scores)[now.uid]
    assert change_since(now, before) == (
        "up 5 places: reach 3 → 4, 2 new tickets (2 from enterprise customers), organisations 3 → 4, "
        "ARR +$120k"
    )
    text = explain(now, before)
    assert "reach 4 ← feedback_orgs = 4 via `feedback_orgs if feedback_orgs else None`" in text
    assert "effort 1.5 ← estimate = 1.5" in text
    assert "final: score 2.13, rank 1; up 5 places" in text
    assert components(now, before)["changes"][0] == "reach 3 → 4"


def test_explanation_lists_imputed_inputs_adjustments_themes_and_mirrors() -> None:
    scoring = ScoringConfig(
        adjust=[Adjustment(name="security first", when="'security' in labels", multiply=1.5)]
    )
    roadmap = RoadmapConfig(themes=[Theme(name="Trust", match="'security' in labels", weight=2)])
    items = [issue(1, labels=["security"]), issue(1, "l")]
    result = RulesEngine(scoring, roadmap).rank(items, [mirror("j:1", "l:1")], [], now=NOW)
    first = result.scores[0]
    text = explain(first)
    # 0.136533 (all imputed) × 1.5 × 2 = 0.4096
    assert first.score == 0.4096
    assert "reach 1 ← imputed default, as feedback_orgs = 0" in text
    assert (
        "score = reach 1 × impact 1 × confidence 0.8 ÷ effort 3 × imputation penalty 0.512 (0.8 for each of "
        "reach, impact, effort) × adjustment security first 1.5 × themes Trust 2 = 0.4096"
    ) in text
    assert "adjustments: security first: ×1.5" in text
    assert "themes: Trust (×2)" in text
    assert "mirror group j:1, l:1" in text
    assert "final: score 0.41, rank 1; new since the previous run" in text
    assert "scored as its best member J-1" in explain(result.scores[1])


def test_sync_rank_saves_every_mirror_with_the_group_score_and_the_previous_run_diff(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.migrate()
    t1, l1 = ticket(1, "z:acme", "l:1")
    records = Records(
        items=[issue(1, priority_level=1, estimate=1.0), issue(1, "l"), issue(2), t1],
        links=[*l1, mirror("j:1", "l:1")],
        customers=CUSTOMERS,
    )
    store.write_page("all", "items", records, [], None)
    resolve_links(store)
    config = Config()
    rank(store, config, {})
    rows = {r["uid"]: r for r in store.scores()}
    # the group: reach 1 (Acme, merged from L-1) × impact 3 × 0.8 / 1 = 2.4 for both copies, at rank 1
    assert (rows["j:1"]["rank"], rows["j:1"]["score"]) == (1, 2.4)
    assert (rows["l:1"]["rank"], rows["l:1"]["score"]) == (1, 2.4)
    assert rows["j:2"]["rank"] == 2
    outcome = rank(store, config, {})
    assert outcome.changed() == 0
    again = {r["uid"]: r for r in store.scores()}
    assert "same place, nothing changed" in again["j:1"]["explanation"]
    assert json.loads(again["j:1"]["components"])["change"] == "same place, nothing changed"
