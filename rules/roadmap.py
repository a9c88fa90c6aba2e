"""Roadmap alignment (pure): how the planned and in-progress work splits over the roadmap themes.

Each item's effort (normalised estimate, or ``[capacity] default_effort``) counts once, for its primary
theme (the heaviest active theme it matches, the first listed on a tie); work matching no active theme is
*unaligned* (``outside_horizon`` lists what matches only themes outside their dates). A mirror group counts
once. "Loud but off-strategy" lists open items with at least ``[roadmap] loud_orgs`` requesting
organisations and no active theme, the loudest first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from rules.config import RoadmapConfig, Theme
from rules.scores import ItemScore, RankResult

PLANNED = frozenset({"todo", "in_progress"})
SHOWN = 10


@dataclass
class Share:
    name: str
    items: int = 0
    effort: float = 0.0
    share: float = 0.0
    keys: list[str] = field(default_factory=list)
    objective: str | None = None
    weight: float = 1.0
    target: float | None = None  # the share of planned effort the theme should take
    active: bool = True
    starts: str | None = None
    ends: str | None = None

    def add(self, scored: ItemScore) -> None:
        self.items += 1
        self.effort += scored.effort
        if len(self.keys) < SHOWN:
            self.keys.append(scored.label)


@dataclass
class AlignmentReport:
    total_effort: float
    aligned_share: float
    themes: list[Share]
    unaligned: Share
    outside_horizon: list[str]
    loud_off_strategy: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        out = [
            f"planned and in-progress effort {self.total_effort:g}: "
            f"{self.aligned_share:.0%} aligned with an active theme"
        ]
        for theme in self.themes:
            state = "" if theme.active else " (outside its horizon: no weight)"
            goal = f" → {theme.objective}" if theme.objective else ""
            target = f" (target {theme.target:.0%})" if theme.target is not None else ""
            out.append(
                f"  {theme.name}{goal}: {theme.share:.0%}{target} "
                f"({theme.items} items, effort {theme.effort:g}){state}"
            )
        u = self.unaligned
        out.append(f"  unaligned: {u.share:.0%} ({u.items} items, effort {u.effort:g}) {', '.join(u.keys)}")
        if self.outside_horizon:
            out.append(f"  matching only themes outside their horizon: {', '.join(self.outside_horizon)}")
        if self.loud_off_strategy:
            out.append("loud but off-strategy (much evidence, no theme):")
            for row in self.loud_off_strategy:
                out.append(
                    f"  #{row['rank']} {row['key']} {row['title']}: {row['feedback_orgs']} organisations, "
                    f"{row['feedback_count']} requests, ARR {row['feedback_arr']:,.0f}"
                )
        return out


def _share(theme: Theme, today: date) -> Share:
    return Share(
        theme.name,
        objective=theme.objective,
        weight=theme.weight,
        target=theme.target,
        active=theme.active(today),
        starts=theme.starts.isoformat() if theme.starts else None,
        ends=theme.ends.isoformat() if theme.ends else None,
    )


def primary_theme(scored: ItemScore, themes: list[Theme]) -> str | None:
    matched = [t for t in themes if t.name in scored.themes]
    return max(matched, key=lambda t: t.weight).name if matched else None


def alignment_report(
    result: RankResult, roadmap: RoadmapConfig, today: date | None = None
) -> AlignmentReport:
    if today is None:
        today = result.scores[0].facts.today if result.scores else datetime.now(UTC).date()
    shares = {t.name: _share(t, today) for t in roadmap.themes}
    unaligned = Share("unaligned")
    outside: list[str] = []
    loud: list[ItemScore] = []
    heads = [s for s in result.scores if s.scored_by is None]
    for scored in heads:
        theme = primary_theme(scored, roadmap.themes)
        if theme is None and scored.facts.summary(scored.uid).orgs >= roadmap.loud_orgs:
            loud.append(scored)
        if scored.status_category not in PLANNED:
            continue
        if theme is None:
            unaligned.add(scored)
            if scored.dormant_themes:
                outside.append(scored.label)
        else:
            shares[theme].add(scored)
    total = sum(s.effort for s in shares.values()) + unaligned.effort
    for share in [*shares.values(), unaligned]:
        share.share = round(share.effort / total, 4) if total else 0.0
    aligned = round(1 - unaligned.share, 4) if total else 0.0
    loud.sort(key=lambda s: (-s.facts.summary(s.uid).orgs, -s.facts.summary(s.uid).arr, s.rank))
    return AlignmentReport(
        total_effort=total,
        aligned_share=aligned,
        themes=list(shares.values()),
        unaligned=unaligned,
        outside_horizon=outside[:SHOWN],
        loud_off_strategy=[_loud_row(s) for s in loud[:SHOWN]],
    )


def _loud_row(scored: ItemScore) -> dict[str, Any]:
    summary = scored.facts.summary(scored.uid)
    return {
        "key": scored.key,
        "title": scored.title,
        "rank": scored.rank,
        "score": scored.score,
        "feedback_count": summary.count,
        "feedback_orgs": summary.orgs,
        "feedback_arr": summary.arr,
        "enterprise_orgs": summary.enterprise,
    }
