"""Charts as plain SVG made here (no library, no script): readable without JavaScript and allowed by a
strict Content-Security-Policy, since they use presentation attributes and no ``style`` attribute.

Every text placed in a chart goes through :func:`html.escape` (theme names come from the config, keys from
the trackers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

INK = "#1f2933"
MUTED = "#7b8794"
SCORE = "#2f6fdf"
RANK = "#d9822b"
TARGET = "#1f2933"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _number(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"


@dataclass(frozen=True)
class Point:
    label: str  # when (shown on hover as the point's title)
    value: float


def _polyline(
    points: Sequence[Point], box: tuple[float, float, float, float], low: float, high: float, invert: bool
) -> list[tuple[float, float]]:
    x0, top, width, height = box
    span = (high - low) or 1.0
    step = width / max(len(points) - 1, 1)
    out = []
    for n, point in enumerate(points):
        share = (point.value - low) / span
        y = top + (share if invert else 1 - share) * height
        x = x0 + (n * step if len(points) > 1 else width / 2)
        out.append((x, y))
    return out


def history_chart(
    scores: Sequence[Point], ranks: Sequence[Point], width: int = 420, height: int = 150
) -> str:
    """Score (left axis, up is more) and rank (right axis, up is better) over the last runs."""
    if not scores:
        return '<p class="muted">No ranking history yet.</p>'
    left, right, top, bottom = 46, 46, 14, 26
    inner_w, inner_h = width - left - right, height - top - bottom
    parts = [
        f'<svg class="chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'xmlns="http://www.w3.org/2000/svg"><title>Score and rank over the last runs</title>',
        f'<rect x="{left}" y="{top}" width="{inner_w}" height="{inner_h}" fill="#f5f7fa"/>',
    ]
    for series, color, side, invert in ((scores, SCORE, "left", False), (ranks, RANK, "right", True)):
        values = [p.value for p in series]
        low, high = min(values), max(values)  # ranks inverted: the best (smallest) at the top
        coords = _polyline(series, (left, top, inner_w, inner_h), low, high, invert)
        path = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for (x, y), point in zip(coords, series, strict=True):
            parts.append(
                f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="3" fill="{color}">'
                f"<title>{escape(point.label)}: {'rank' if invert else 'score'} "
                f"{_number(point.value)}</title></circle>"
            )
        x_text = left - 6 if side == "left" else width - right + 6
        anchor = "end" if side == "left" else "start"
        top_value, bottom_value = (low, high) if invert else (high, low)
        for y, value in ((top + 4, top_value), (top + inner_h, bottom_value)):
            parts.append(
                f'<text x="{x_text}" y="{_fmt(y)}" text-anchor="{anchor}" font-size="11" '
                f'fill="{color}">{escape(_number(value))}</text>'
            )
    parts.append(
        f'<text x="{left}" y="{height - 8}" font-size="11" fill="{MUTED}">'
        f"{escape(scores[0].label)}</text>"
        f'<text x="{width - right}" y="{height - 8}" font-size="11" fill="{MUTED}" text-anchor="end">'
        f"{escape(scores[-1].label)}</text>"
        f'<text x="{left + inner_w / 2:.0f}" y="{height - 8}" font-size="11" text-anchor="middle">'
        f'<tspan fill="{SCORE}">● score</tspan> <tspan fill="{RANK}">● rank</tspan></text></svg>'
    )
    return "".join(parts)


@dataclass(frozen=True)
class Bar:
    name: str
    share: float  # 0..1 of planned effort
    target: float | None  # 0..1, or None when the theme has no target
    note: str = ""


def share_chart(bars: Sequence[Bar], width: int = 640) -> str:
    """One horizontal bar per theme: its share of planned effort, and a tick at its target share."""
    if not bars:
        return '<p class="muted">No planned or in-progress work.</p>'
    label_w, row_h, top = 170, 28, 8
    bar_w = width - label_w - 70
    height = top + row_h * len(bars) + 24
    parts = [
        f'<svg class="chart" id="theme-chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        "<title>Effort share per theme against its target</title>"
    ]
    for n, bar in enumerate(bars):
        y = top + n * row_h
        fill = MUTED if bar.name == "unaligned" else SCORE
        length = max(bar.share, 0.0) * bar_w
        parts.append(
            f'<g class="bar" data-theme="{escape(bar.name)}" data-share="{bar.share:.4f}">'
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="12" fill="{INK}">'
            f"{escape(bar.name)}</text>"
            f'<rect x="{label_w}" y="{y + 5}" width="{bar_w}" height="16" fill="#eef2f7"/>'
            f'<rect x="{label_w}" y="{y + 5}" width="{_fmt(length)}" height="16" fill="{fill}">'
            f"<title>{escape(bar.name)}: {bar.share:.0%} of planned effort{escape(bar.note)}</title></rect>"
            f'<text x="{label_w + bar_w + 6}" y="{y + 17}" font-size="12" fill="{INK}">'
            f"{bar.share:.0%}</text>"
        )
        if bar.target is not None:
            x = label_w + bar.target * bar_w
            parts.append(
                f'<line x1="{_fmt(x)}" x2="{_fmt(x)}" y1="{y + 1}" y2="{y + 25}" stroke="{TARGET}" '
                f'stroke-width="2"><title>target {bar.target:.0%}</title></line>'
            )
        parts.append("</g>")
    legend_y = height - 6
    parts.append(
        f'<text x="{label_w}" y="{legend_y}" font-size="11" fill="{MUTED}">bar: share of planned and '
        "in-progress effort; tick: the theme's target share</text></svg>"
    )
    return "".join(parts)
