"""Roadmap alignment as the last ranking run computed it (``rankbridge roadmap`` computes the same report):
each theme's share of planned and in-progress effort against its target share, as a chart; the unaligned
work; loud but off-strategy requests; and each team's capacity for the next cycle."""

from __future__ import annotations

from typing import Any

from rules.explain import money, number
from rules.roadmap import PLANNED
from sync.presentation.report.data import Site, team_of
from sync.presentation.report.html import e, link, page, table
from sync.presentation.report.ranking import capacity_table
from sync.presentation.report.svg import Bar, share_chart

UNALIGNED_SHOWN = 200


def roadmap_page(site: Site) -> str:
    report = site.alignment
    if report is None:
        intro = '<p class="muted">No ranking run has recorded an alignment yet: run `rankbridge sync`.</p>'
        return page("Roadmap alignment", intro, "", site.generated)
    body = [
        f'<p id="aligned">Planned and in-progress effort {e(number(float(report["total_effort"])))}: '
        f"<b>{float(report['aligned_share']):.0%}</b> aligned with an active theme.</p>",
        share_chart(_bars(report)),
        "<h2>Themes</h2>",
        _themes(report),
        "<h2>Unaligned work</h2>",
        _unaligned(site),
        "<h2>Loud but off-strategy</h2>",
        _loud(report),
        "<h2>Capacity per team, next cycle</h2>",
        capacity_table(site) if site.capacity else '<p class="muted">No [capacity] configured.</p>',
    ]
    return page("Roadmap alignment", "".join(body), "", site.generated)


def _bars(report: dict[str, Any]) -> list[Bar]:
    bars = [
        Bar(
            t["name"],
            float(t["share"]),
            None if t.get("target") is None else float(t["target"]),
            "" if t.get("active", True) else " (outside its horizon)",
        )
        for t in report["themes"]
    ]
    bars.append(Bar("unaligned", float(report["unaligned"]["share"]), None))
    return bars


def _themes(report: dict[str, Any]) -> str:
    rows = []
    for theme in report["themes"]:
        target = theme.get("target")
        rows.append(
            [
                e(theme["name"]),
                e(theme.get("objective") or ""),
                f"{float(theme['share']):.0%}",
                "" if target is None else f"{float(target):.0%}",
                e(theme["items"]),
                e(number(float(theme["effort"]))),
                e(number(float(theme.get("weight", 1.0)))),
                "active" if theme.get("active", True) else "outside its horizon",
            ]
        )
    headers = ["theme", "objective", "share", "target", "items", "effort", "weight", "horizon"]
    return table(headers, rows, "themes")


def _unaligned(site: Site) -> str:
    rows = [
        [
            str(r.rank),
            f"{link(r.item.url, r.ref)} {link(r.page, r.item.title)}",
            e(team_of(r.item)),
            e(r.item.status),
            e(number(float(r.components.get("effort") or 0))),
        ]
        for r in site.rows
        if not r.themes and r.item.status_category in PLANNED and r.components.get("scored_by") is None
    ]
    note = (
        f'<p class="muted">{len(rows):,} item(s); the first {UNALIGNED_SHOWN} shown.</p>'
        if len(rows) > UNALIGNED_SHOWN
        else ""
    )
    return table(["rank", "item", "team", "status", "effort"], rows[:UNALIGNED_SHOWN], "unaligned") + note


def _loud(report: dict[str, Any]) -> str:
    rows = [
        [
            e(r["rank"]),
            e(r["key"]),
            e(r["title"]),
            e(r["feedback_orgs"]),
            e(r["feedback_count"]),
            e(money(float(r["feedback_arr"]))),
        ]
        for r in report.get("loud_off_strategy") or []
    ]
    return table(["rank", "item", "title", "organisations", "requests", "ARR"], rows, "loud")
