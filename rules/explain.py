"""Explanations: every score as lines a PM can check by hand, and what changed since the previous run.

``previous`` is the item's row of the previous run as the store keeps it (``score``, ``rank`` and the
``components`` JSON this module writes), so changes are computed input by input.
"""

from __future__ import annotations

import json
from typing import Any

from rules.scores import ItemScore

SHOWN_REQUESTS = 8  # requests an explanation lists with the customer each counted as


def number(value: float) -> str:
    if value != int(value):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{int(value):,}"


def money(value: float) -> str:
    size = abs(value)
    text = f"{size / 1e6:.1f}M" if size >= 1e6 else f"{size / 1e3:.0f}k" if size >= 1e3 else f"{size:.0f}"
    return f"${text.replace('.0M', 'M')}"


def _origin(value: Any) -> str:
    if value.imputed:
        read = ", ".join(f"{n} = {show_value(v)}" for n, v in value.sources.items())
        return f"imputed default{f', as {read}' if read else ''}"
    read = ", ".join(f"{n} = {show_value(v)}" for n, v in value.sources.items())
    return f"{read} via `{value.expression}`" if read else f"`{value.expression}`"


def show_value(value: Any) -> str:
    """An input's source value as explanations print it (floats rounded, long lists cut)."""
    if isinstance(value, float):
        return number(value)
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value[:8]) + (", …" if len(value) > 8 else "") + "]"
    return repr(value) if isinstance(value, str) else str(value)


def factor_line(factors: list[dict[str, Any]]) -> str:
    """``reach 2 × impact 1 × confidence 0.8 ÷ effort 3 × imputation penalty … 0.8``."""
    parts = []
    for index, factor in enumerate(factors):
        op = "" if index == 0 and factor["op"] == "×" else f"{factor['op']} "
        imputed = factor.get("imputed")
        why = f" ({factor['per_input']:g} for each of {', '.join(imputed)})" if imputed else ""
        parts.append(f"{op}{factor['name']} {factor['value']:.6g}{why}")
    return " ".join(parts)


def fold(factors: list[dict[str, Any]]) -> float:
    """The score the factors give, folded in order from 1."""
    value = 1.0
    for factor in factors:
        op, by = factor["op"], float(factor["value"])
        value = value * by if op == "×" else value / by if op == "÷" else value + by
    return value


def explain(score: ItemScore, previous: dict[str, Any] | None = None) -> str:
    lines = [f"{score.label}: {score.framework} score {number(score.score)}, rank {score.rank}"]
    if score.scored_by:
        lines.append(f"  mirror group {', '.join(score.group)}: scored as its best member {score.scored_by}")
    elif score.group:
        lines.append(f"  mirror group {', '.join(score.group)}: one score and one position for all of them")
    lines.append("  inputs:")
    lines.extend(f"    {v.name} {number(v.value)} ← {_origin(v)}" for v in score.inputs)
    of = f" (of {score.scored_by})" if score.scored_by else ""
    lines.append(f"  score{of} = {factor_line(score.factors())} = {score.score:.6g}")
    evidence = score.evidence
    if evidence.get("feedback_count"):
        tiers = ", ".join(f"{n} {t}" for t, n in sorted(evidence["requests_by_tier"].items()))
        by_tier = f"; by tier: {tiers}" if tiers else ""
        lines.append(
            f"  evidence: {evidence['feedback_count']} requests from {evidence['feedback_orgs']} "
            f"organisations (ARR {money(evidence['feedback_arr'])}{by_tier})"
        )
    counted = score.requests(limit=SHOWN_REQUESTS + 1)
    for entry in counted[:SHOWN_REQUESTS]:
        customer = entry["customer"] or "no known customer"
        sources = f" ({', '.join(entry['sources'])})" if len(entry["sources"]) > 1 else ""
        lines.append(f"    request {entry['request']} counted as {customer}{sources}")
    if len(counted) > SHOWN_REQUESTS:
        lines.append(f"    … and {evidence['feedback_count'] - SHOWN_REQUESTS} more requests")
    lines.append(f"  before adjustments and themes: {number(score.base_score)}")
    if score.adjustments:
        lines.append("  adjustments: " + "; ".join(score.adjustments))
    if score.themes:
        lines.append(f"  themes: {', '.join(score.themes)} (×{number(score.theme_weight)})")
    else:
        lines.append("  themes: none (unaligned)")
    if score.dormant_themes:
        lines.append(f"  outside their horizon (no weight): {', '.join(score.dormant_themes)}")
    if score.fits_next_cycle is not None:
        fits = "fits" if score.fits_next_cycle else "does not fit"
        lines.append(
            f"  capacity: {fits} the next cycle of {score.team} "
            f"(effort {number(score.effort)}: {score.effort_source})"
        )
    lines.extend(f"  error: {error}" for error in score.errors)
    lines.append(f"  final: score {number(score.score)}, rank {score.rank}; {change_since(score, previous)}")
    return "\n".join(lines)


def change_since(score: ItemScore, previous: dict[str, Any] | None) -> str:
    if not previous:
        return "new since the previous run"
    moved = int(previous["rank"]) - score.rank
    where = f"up {moved} places" if moved > 0 else f"down {-moved} places" if moved < 0 else "same place"
    details = changes(score, previous)
    if not details and abs(float(previous["score"]) - score.score) > 1e-9:
        details = [f"score {number(float(previous['score']))} → {number(score.score)}"]
    return f"{where}: {', '.join(details)}" if details else f"{where}, nothing changed"


def changes(score: ItemScore, previous: dict[str, Any]) -> list[str]:
    """Input-level differences from the previous run's stored components."""
    before = _components_of(previous)
    out: list[str] = []
    old_inputs = before.get("inputs", {})
    for value in score.inputs:
        old = old_inputs.get(value.name, {}).get("value")
        if old is not None and abs(float(old) - value.value) > 1e-9:
            out.append(f"{value.name} {number(float(old))} → {number(value.value)}")
    out.extend(_evidence_changes(before.get("evidence", {}), score.evidence))
    old_themes, new_themes = set(before.get("themes", [])), set(score.themes)
    out.extend(f"now in theme {t}" for t in sorted(new_themes - old_themes))
    out.extend(f"no longer in theme {t}" for t in sorted(old_themes - new_themes))
    old_adjust = {a.split(":")[0] for a in before.get("adjustments", [])}
    new_adjust = {a.split(":")[0] for a in score.adjustments}
    out.extend(f"{a} now applies" for a in sorted(new_adjust - old_adjust))
    out.extend(f"{a} no longer applies" for a in sorted(old_adjust - new_adjust))
    return out


def _evidence_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    if not old:
        return []
    out = []
    requests = int(new.get("feedback_count", 0)) - int(old.get("feedback_count", 0))
    if requests:
        grew = _tier_growth(old.get("requests_by_tier", {}), new.get("requests_by_tier", {}))
        noun = "ticket" if abs(requests) == 1 else "tickets"
        text = f"{requests} new {noun}" if requests > 0 else f"{-requests} {noun} fewer"
        out.append(f"{text}{f' ({grew})' if grew and requests > 0 else ''}")
    orgs = int(new.get("feedback_orgs", 0)) - int(old.get("feedback_orgs", 0))
    if orgs:
        out.append(f"organisations {int(old.get('feedback_orgs', 0))} → {int(new.get('feedback_orgs', 0))}")
    arr = float(new.get("feedback_arr", 0.0)) - float(old.get("feedback_arr", 0.0))
    if abs(arr) >= 0.5:
        out.append(f"ARR {'+' if arr > 0 else '-'}{money(arr)}")
    return out


def _tier_growth(old: dict[str, int], new: dict[str, int]) -> str:
    grown = [(tier, n - int(old.get(tier, 0))) for tier, n in sorted(new.items())]
    return ", ".join(
        f"{d} from {'an' if tier[:1] in 'aeiou' else 'a'} {tier} customer"
        if d == 1
        else f"{d} from {tier} customers"
        for tier, d in grown
        if d > 0
    )


def _components_of(previous: dict[str, Any]) -> dict[str, Any]:
    raw = previous.get("components")
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def components(score: ItemScore, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON form kept in the store and printed by ``rank --json``."""
    return {
        "ref": score.ref,
        "framework": score.framework,
        "inputs": {
            v.name: {"value": v.value, "expression": v.expression, "imputed": v.imputed, "sources": v.sources}
            for v in score.inputs
        },
        "evidence": score.evidence,
        "requests": score.requests(),
        "base_score": score.base_score,
        "factors": score.factors(),
        "adjustments": score.adjustments,
        "themes": score.themes,
        "dormant_themes": score.dormant_themes,
        "theme_weight": score.theme_weight,
        "pin": score.pin,
        "effort": score.effort,
        "effort_source": score.effort_source,
        "team": score.item.container or "",
        "fits_next_cycle": score.fits_next_cycle,
        "mirror_group": list(score.group),
        "scored_by": score.scored_by,
        "errors": score.errors,
        "change": change_since(score, previous),
        "changes": changes(score, previous) if previous else [],
    }
