"""Prioritisation frameworks: each a named set of inputs with default expressions and fallback values,
and a function that combines the inputs into one absolute score (adding an item never changes another's).

Where an input's expression gives None (the data is missing) or fails on the item, its fallback value is
used and the input is marked *imputed*; each imputed input multiplies the score by ``[scoring]
imputed_penalty``, shown as a factor of its own (the *imputation penalty*) so that the factors an
explanation prints multiply to the score. Each framework lists its factors (:attr:`Framework.factors`):
the input values as the score combines them.

Defaults (each overridable by ``[scoring.inputs]`` and ``[scoring.defaults]``):

- RICE  reach = distinct requesting organisations (1); impact on Intercom's scale 3 massive, 2 high,
        1 medium, 0.5 low, 0.25 minimal, from an ``impact:<word>`` label, else from priority urgent 3 /
        high 2 / medium 1 / low 0.5 (1); confidence 0.8 (0.8); effort = normalised estimate (3).
        Score reach × impact × confidence / effort.
- ICE   impact = 10 − 2 × priority (5); confidence 8 (8); ease = max(1, 10 − estimate) (5).
        Score impact × confidence × ease.
- WSJF  (SAFe) business value = min(20, 1 + 2 × orgs + 3 × enterprise orgs) when requested (3); time
        criticality 20 overdue / 13 due within 14 days / 5 later / 1 without a due date; risk reduction 8
        for 'security', else 1; job size = estimate (3). Score (value + criticality + risk) / job size.
        As in SAFe, absent optional evidence (no due date, no security label) is a low value, not missing
        data: only business value and job size can be imputed. WSJF has no confidence input.
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


Factor = tuple[str, float, int]  # (what, value, power): the score is the product of value ** power


@dataclass(frozen=True)
class Framework:
    name: str
    label: str
    inputs: tuple[Input, ...]
    combine: Callable[[Sequence[float]], float]  # the input values, in the order of ``inputs``
    formula: str
    confidence_input: str | None = None
    # The factors whose product is ``combine(values)``; None: the combined value is the one factor.
    factors: Callable[[Sequence[float]], list[Factor]] | None = None
    # The input that is the item's effort: capacity and the roadmap count the value the score used.
    effort_input: str | None = None


IMPACT_FROM_PRIORITY = (
    "3 if 'impact:massive' in labels else 2 if 'impact:high' in labels else 1 if 'impact:medium' in labels "
    "else 0.5 if 'impact:low' in labels else 0.25 if 'impact:minimal' in labels "
    "else 3 if priority_level == 1 else 2 if priority_level == 2 else 1 if priority_level == 3 "
    "else 0.5 if priority_level == 4 else None"
)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else 0.0


def _divided(numerators: list[Factor], name: str, denominator: float) -> list[Factor]:
    """``numerators`` ÷ ``denominator``, where a denominator of 0 or less gives a score of 0."""
    if denominator <= 0:
        return [(f"{name} {denominator:g} (not above 0: no score)", 0.0, 1)]
    return [*numerators, (name, denominator, -1)]


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
    effort_input="effort",
    factors=lambda v: _divided(
        [("reach", v[0], 1), ("impact", v[1], 1), ("confidence", v[2], 1)], "effort", v[3]
    ),
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
    factors=lambda v: [("impact", v[0], 1), ("confidence", v[1], 1), ("ease", v[2], 1)],
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
            "due_in_days < 14 else 5 if due_in_days is not None else 1",
            1.0,
            "1 to 20 (1 without a due date)",
        ),
        Input(
            "risk_reduction",
            "8 if 'security' in labels else 1",
            1.0,
            "risk reduction / opportunity enablement, 1 to 20 (1 without a 'security' label)",
        ),
        Input("job_size", "estimate if estimate else None", 3.0, "relative size, 1 to 20"),
    ),
    combine=lambda v: _ratio(v[0] + v[1] + v[2], v[3]),  # value, criticality, risk / job size
    formula="(business value + time criticality + risk reduction) / job size",
    effort_input="job_size",
    factors=lambda v: _divided(
        [("cost of delay (business value + time criticality + risk reduction)", v[0] + v[1] + v[2], 1)],
        "job size",
        v[3],
    ),
)

FRAMEWORKS = {f.name: f for f in (RICE, ICE, WSJF)}
