"""Explanations: every score as a sentence a PM can check by hand."""

from __future__ import annotations

from typing import Any

from rules.engine import ItemScore


def _number(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"


def explain(score: ItemScore, previous: dict[str, Any] | None = None) -> str:
    parts = []
    for value in score.inputs:
        origin = "imputed default" if value.imputed else f"from `{value.expression}`"
        parts.append(f"{value.name} {_number(value.value)} ({origin})")
    lines = [f"{score.key}: {score.framework} score {_number(score.score)}, rank {score.rank}"]
    lines.append("  inputs: " + "; ".join(parts))
    evidence = score.evidence
    if evidence.get("feedback_count"):
        lines.append(
            f"  evidence: {evidence['feedback_count']} requests from "
            f"{evidence['feedback_orgs']} organisations"
            f" (ARR {_number(evidence['feedback_arr'])}, {evidence['enterprise_orgs']} enterprise)"
        )
    imputed = [v.name for v in score.inputs if v.imputed]
    if imputed:
        lines.append(f"  imputed (confidence lowered): {', '.join(imputed)}")
    if score.adjustments:
        lines.append("  adjustments: " + "; ".join(score.adjustments))
    lines.append("  themes: " + (", ".join(score.themes) if score.themes else "none (unaligned)"))
    for error in score.errors:
        lines.append(f"  error: {error}")
    lines.append("  " + change_since(score, previous))
    return "\n".join(lines)


def change_since(score: ItemScore, previous: dict[str, Any] | None) -> str:
    if not previous:
        return "new since the previous run"
    moved = int(previous["rank"]) - score.rank
    direction = f"up {moved} places" if moved > 0 else f"down {-moved} places" if moved < 0 else "same place"
    return f"{direction} since the previous run (score {_number(previous['score'])} → {_number(score.score)})"


def components(score: ItemScore) -> dict[str, Any]:
    """The JSON form kept in the store and printed by ``rank --json``."""
    return {
        "framework": score.framework,
        "inputs": {
            v.name: {"value": v.value, "expression": v.expression, "imputed": v.imputed} for v in score.inputs
        },
        "evidence": score.evidence,
        "adjustments": score.adjustments,
        "themes": score.themes,
        "pin": score.pin,
        "errors": score.errors,
    }
