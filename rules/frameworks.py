"""Prioritisation frameworks: each a named set of inputs with default expressions and fallback values,
and a function that combines the inputs into one absolute score (adding an item never changes another's).

Where an input's expression gives None (the data is missing) or fails on the item, its fallback value is
used and the input is marked *imputed*; each imputed input multiplies the confidence (RICE, ICE) or, for
frameworks without a confidence input, the score by ``[scoring] imputed_penalty``.

Defaults (each overridable by ``[scoring.inputs]`` and ``[scoring.defaults]``):

- RICE  reach = distinct requesting organisations (1); impact from priority 3/2/1/0.5 (1);
        confidence 0.8 (0.8); effort = normalised estimate (3). Score reach × impact × confidence / effort.
- ICE   impact = 10 − 2 × priority (5); confidence 8 (8); ease = max(1, 10 − estimate) (5).
        Score impact × confidence × ease.
- WSJF  business value = min(20, 1 + 2 × orgs + 3 × enterprise orgs) when requested (3); time criticality
        20 overdue / 13 due within 14 days / 5 later (1); risk reduction 8 for 'security' (1); job size =
        estimate (3). Score (value + criticality + risk) / job size.
- custom: the inputs declared in ``[scoring.inputs]`` (fallback ``[scoring.defaults]``, else 0) and
        ``formula`` over them and the vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Input:
    name: str
    expression: str
    fallback: float
    meaning: str


@dataclass(frozen=True)
class Framework:
    name: str
    label: str
    inputs: tuple[Input, ...]
    combine: Callable[[Sequence[float]], float]  # the input values, in the order of ``inputs``
    formula: str
    confidence_input: str | None = None


IMPACT_FROM_PRIORITY = (
    "3 if priority_level == 1 else 2 if priority_level == 2 else 1 if priority_level == 3 "
    "else 0.5 if priority_level == 4 else None"
)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else 0.0


RICE = Framework(
    name="rice",
    label="RICE",
    inputs=(
        Input(
            "reach",
            "feedback_orgs if feedback_orgs else None",
            1.0,
            "organisations asking for it (distinct, from linked feedback)",
        ),
        Input("impact", IMPACT_FROM_PRIORITY, 1.0, "3 massive, 2 high, 1 medium, 0.5 low, 0.25 minimal"),
        Input("confidence", "0.8", 0.8, "how sure we are of the other inputs, 0 to 1"),
        Input(
            "effort", "estimate if estimate else None", 3.0, "person-weeks, or the connection's estimate unit"
        ),
    ),
    combine=lambda v: _ratio(v[0] * v[1] * v[2], v[3]),  # reach, impact, confidence, effort
    formula="reach × impact × confidence / effort",
    confidence_input="confidence",
)

ICE = Framework(
    name="ice",
    label="ICE",
    inputs=(
        Input("impact", "10 - 2 * priority_level if priority_level else None", 5.0, "1 to 10"),
        Input("confidence", "8", 8.0, "1 to 10"),
        Input("ease", "max(1, 10 - estimate) if estimate else None", 5.0, "1 to 10, higher is easier"),
    ),
    combine=lambda v: v[0] * v[1] * v[2],  # impact, confidence, ease
    formula="impact × confidence × ease",
    confidence_input="confidence",
)

WSJF = Framework(
    name="wsjf",
    label="WSJF",
    inputs=(
        Input(
            "business_value",
            "min(20, 1 + 2 * feedback_orgs + enterprise_orgs * 3) if feedback_count else None",
            3.0,
            "user-business value, 1 to 20",
        ),
        Input(
            "time_criticality",
            "20 if due_in_days is not None and due_in_days < 0 else 13 if due_in_days is not None and "
            "due_in_days < 14 else 5 if due_in_days is not None else None",
            1.0,
            "1 to 20",
        ),
        Input(
            "risk_reduction",
            "8 if 'security' in labels else None",
            1.0,
            "risk reduction / opportunity, 1 to 20",
        ),
        Input("job_size", "estimate if estimate else None", 3.0, "relative size, 1 to 20"),
    ),
    combine=lambda v: _ratio(v[0] + v[1] + v[2], v[3]),  # value, criticality, risk / job size
    formula="(business value + time criticality + risk reduction) / job size",
)

FRAMEWORKS = {f.name: f for f in (RICE, ICE, WSJF)}
