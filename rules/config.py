"""Rule sections of the config file: ``[scoring]``, ``[[scoring.adjust]]``, ``[scoring.estimate_scale]``,
``[[roadmap.themes]]``, ``[[status.rules]]`` and ``[capacity]``. Expressions are parsed and checked against
the vocabulary (names and types) when the engine compiles them, before anything runs."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, PositiveFloat, model_validator

from rules import budget


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Adjustment(_Frozen):
    """A boost, penalty, pin or exclusion applied when ``when`` is true."""

    name: str
    when: str
    multiply: float | None = None
    add: float | None = None
    pin: Literal["top", "bottom"] | None = None
    exclude: bool = False


class EvidenceConfig(_Frozen):
    """``[scoring.evidence]``: how requests weigh, fade and roll up (the names ``weighted_requests``,
    ``decayed_requests``, ``decayed_arr``, ``days_to_renewal``, ``churn_risk_orgs``, ``churn_risk_arr`` and
    ``rolled_up_requests``)."""

    importance_by_priority: dict[str, float] = Field(
        default_factory=lambda: {"urgent": 3.0, "high": 2.0, "important": 2.0, "normal": 1.0, "low": 0.5},
        description="a request's priority (Zendesk ticket priority; Linear's 'important' customer need) -> "
        "its importance (1 when it has none or another)",
    )
    importance_tags: dict[str, float] = Field(
        default_factory=dict,
        description="request tag -> importance; the largest matching tag wins over priority",
    )
    half_life_days: PositiveFloat = Field(90.0, description="a request's weight halves every this many days")
    renewal_field: str = Field("renewal_date", description="organisation field holding the renewal date")
    churn_field: str = Field("churn_risk", description="organisation field that flags a churn risk")
    rollup_to_epic: bool = Field(
        False, description="an epic's evidence includes its children's requests (each request once)"
    )


class ScoringConfig(_Frozen):
    framework: Literal["rice", "ice", "wsjf", "custom"] = "rice"
    inputs: dict[str, str] = Field(default_factory=dict, description="input name -> expression")
    defaults: dict[str, float] = Field(default_factory=dict, description="input name -> fallback value")
    formula: str | None = Field(None, description="the score expression for framework = custom")
    imputed_penalty: float = Field(0.8, gt=0, le=1, description="score factor per imputed input")
    adjust: list[Adjustment] = Field(default_factory=list)
    estimate_scale: dict[str, PositiveFloat] = Field(
        default_factory=dict,
        description="connection name -> factor turning its estimates into one unit (e.g. person-weeks)",
    )
    sla_field: str = Field(
        "sla_breached", description="a feedback item's field that is true when its SLA was breached"
    )
    evidence: EvidenceConfig = EvidenceConfig()
    evaluation_steps: int = Field(
        budget.STEPS, gt=0, description="values the rules may touch per item before it fails (budget.py)"
    )
    evaluation_seconds: float = Field(
        budget.SECONDS, gt=0, description="seconds the rules may take per item before it fails"
    )


class Theme(_Frozen):
    """A roadmap theme: items where ``match`` holds are aligned with it; between ``starts`` and ``ends``
    (inclusive, either open) the theme multiplies their score by ``weight``."""

    name: str
    match: str
    weight: float = Field(1.0, ge=0)
    objective: str | None = None
    target: float | None = Field(None, ge=0, le=1, description="intended share of planned effort (0..1)")
    starts: date | None = None
    ends: date | None = None

    @model_validator(mode="after")
    def _horizon_in_order(self) -> Theme:
        if self.starts and self.ends and self.ends < self.starts:
            raise ValueError(f"theme {self.name!r}: ends ({self.ends}) is before starts ({self.starts})")
        return self

    def active(self, today: date) -> bool:
        return (self.starts is None or self.starts <= today) and (self.ends is None or today <= self.ends)


class RoadmapConfig(_Frozen):
    themes: list[Theme] = Field(default_factory=list)
    loud_orgs: int = Field(
        3, ge=1, description="distinct requesting organisations that make an item without a theme 'loud'"
    )


class CycleCapacity(_Frozen):
    """A team's capacity for one cycle (a sprint, a Linear cycle, a holiday fortnight): it replaces the
    team's usual capacity while today is between ``starts`` and ``ends`` (inclusive)."""

    team: str = Field(description="CONNECTION:CONTAINER (e.g. linear:ENG), or a container of any connection")
    starts: date
    ends: date
    capacity: NonNegativeFloat

    @model_validator(mode="after")
    def _in_order(self) -> CycleCapacity:
        if self.ends < self.starts:
            raise ValueError(f"cycle of {self.team!r}: ends ({self.ends}) is before starts ({self.starts})")
        return self


class CapacityConfig(_Frozen):
    """Effort (in the normalised estimate unit) each team can take per cycle; the ranking is cut where a
    team's cumulative effort would pass its capacity. A team is a container of one connection, named
    ``CONNECTION:CONTAINER`` (``jira:ENG`` and ``linear:ENG`` are two teams with two cut lines); a key
    without a connection sets the capacity of that container in every connection, each its own line."""

    per_container: dict[str, NonNegativeFloat] = Field(default_factory=dict)
    default: float | None = Field(None, ge=0, description="capacity of teams not listed (None: no cut)")
    default_effort: float = Field(1.0, gt=0, description="effort counted for an item without an estimate")
    cycles: list[CycleCapacity] = Field(default_factory=list)

    def capacity_of(
        self, connection: str, container: str, today: date
    ) -> tuple[float | None, CycleCapacity | None]:
        """The team's capacity today, and the cycle that set it (None: its usual capacity)."""
        team = f"{connection}:{container}"
        for wanted in (team, container):
            for cycle in self.cycles:
                if cycle.team == wanted and cycle.starts <= today <= cycle.ends:
                    return cycle.capacity, cycle
        if team in self.per_container:
            return self.per_container[team], None
        return self.per_container.get(container, self.default), None


class StatusRule(_Frozen):
    """When ``when`` holds for an item, set its status category, add a note or a tag: on the item itself
    (``target = "self"``) or on its mirrors in the other trackers (``target = "mirrors"``)."""

    name: str
    when: str
    set_category: Literal["triage", "backlog", "todo", "in_progress", "done", "canceled"] | None = None
    comment: str | None = None
    tag: str | None = None
    target: Literal["self", "mirrors"] = "self"


class StatusConfig(_Frozen):
    rules: list[StatusRule] = Field(default_factory=list)


class CustomersConfig(_Frozen):
    """``[customers]``: merge or split customer identities by hand."""

    merge: list[list[str]] = Field(
        default_factory=list,
        description="groups of customer uids (zendesk:501, linear:…) that are one customer",
    )
    separate: list[str] = Field(
        default_factory=list, description="customer uids never matched by id, domain or name"
    )
