"""What the engine produces: one :class:`ItemScore` per ranked item and the :class:`RankResult`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rules.capacity import CapacityLine
from rules.expressions import Compiled
from rules.frameworks import Framework, Input
from rules.inputs import Facts, estimate_source, evidence_of
from sync.model import Item


@dataclass(frozen=True)
class InputRule:
    spec: Input
    compiled: Compiled


@dataclass
class InputValue:
    name: str
    value: float
    expression: str
    imputed: bool
    sources: dict[str, Any] = field(default_factory=dict)


class ItemScore:
    """One ranked item. Built for every open item of a run, so it sets few attributes (the rest are class
    defaults until an adjustment, a theme or the ranking changes them) and computes the views an
    explanation needs (inputs with their sources, evidence, effort) only when asked."""

    adjustments: Sequence[str] = ()
    dormant_themes: Sequence[str] = ()
    pin: str | None = None
    theme_weight: float = 1.0
    rank: int = 0
    fits_next_cycle: bool | None = None
    group: tuple[str, ...] = ()
    scored_by: str | None = None  # the mirror whose score the group took, when not this item
    scored_as: ItemScore | None = None  # that mirror's own score
    penalty: float = 1.0  # [scoring] imputed_penalty when an input was imputed
    combined: float | None = None  # a custom formula's value (the frameworks' is computed from ``values``)
    steps: Sequence[tuple[str, str, float]] = ()  # adjustments that changed the score: (name, "×"/"+", by)

    def __init__(
        self,
        item: Item,
        score: float,
        framework: Framework,
        rules: tuple[InputRule, ...],
        values: list[float],
        imputed: int,
        names: dict[str, Any] | None,
        facts: Facts,
        themes: list[str],
        errors: list[str],
    ) -> None:
        self.item = item
        self.uid = item.uid
        self.score = score
        self.base_score = score  # before adjustments and themes
        self.framework = framework.label
        self.spec = framework
        self.rules = rules
        self.values = values
        self.imputed = imputed  # bit k set: input k was imputed
        self._names = names
        self.facts = facts
        self.themes = themes
        self.errors = errors

    def __repr__(self) -> str:
        return f"ItemScore({self.key}, score={self.score}, rank={self.rank})"

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def ref(self) -> str:
        """The qualified reference CONNECTION:KEY."""
        return self.item.ref

    @property
    def label(self) -> str:
        """The key, qualified where two connections share it."""
        return self.facts.label(self.item)

    @property
    def title(self) -> str:
        return self.item.title

    @property
    def source(self) -> str:
        return self.item.source

    @property
    def status(self) -> str:
        return self.item.status

    @property
    def status_category(self) -> str:
        return self.item.status_category

    @property
    def container(self) -> str:
        return self.item.container or ""

    @property
    def team(self) -> str:
        """The capacity team: CONNECTION:CONTAINER."""
        return f"{self.item.connection}:{self.item.container or ''}"

    @property
    def names(self) -> dict[str, Any]:
        """The names the item's inputs read (computed again when the run did not keep them)."""
        if self._names is None:
            wanted = frozenset(n for rule in self.rules for n in rule.compiled.names)
            self._names = self.facts.builder(wanted)(self.item, self.facts)
        return self._names

    def _effort_index(self) -> int | None:
        wanted = self.spec.effort_input
        return (
            next((k for k, rule in enumerate(self.rules) if rule.spec.name == wanted), None)
            if wanted
            else None
        )

    @property
    def effort(self) -> float:
        """The effort capacity and the roadmap count: the framework's effort input as the score used it
        (RICE effort, WSJF job size), so score and cut line never disagree; else the estimate or
        ``[capacity] default_effort``."""
        index = self._effort_index()
        if index is not None and self.values[index] > 0:
            return float(self.values[index])
        return self.facts.effort(self.item)

    @property
    def effort_source(self) -> str:
        index = self._effort_index()
        if index is not None and self.values[index] > 0:
            if self.imputed >> index & 1:
                return f"the {self.rules[index].spec.name} input's default: no estimate"
            return f"{self.rules[index].spec.name} input, from the {estimate_source(self.item)}"
        found = estimate_source(self.item)
        return "[capacity] default_effort: no estimate" if found == "no estimate" else found

    @property
    def inputs(self) -> list[InputValue]:
        """Each input with its value, its expression, whether it was imputed, and the names it read."""
        return [
            InputValue(
                rule.spec.name,
                value,
                rule.spec.expression,
                bool(self.imputed >> index & 1),
                {n: self.names.get(n) for n in sorted(rule.compiled.names)},
            )
            for index, (rule, value) in enumerate(zip(self.rules, self.values, strict=True))
        ]

    @property
    def imputed_names(self) -> list[str]:
        return [rule.spec.name for k, rule in enumerate(self.rules) if self.imputed >> k & 1]

    def factors(self) -> list[dict[str, Any]]:
        """How the score came about, step by step from the inputs: each factor multiplies the score so far
        by ``value`` (``op`` "×"), divides it (``op`` "÷") or adds to it (``op`` "+", an additive
        adjustment). Folded in order from 1 they give the score (before rounding); a mirror that took its
        group's score shows the factors of the member scored."""
        if self.scored_as is not None:
            return self.scored_as.factors()
        out: list[dict[str, Any]] = []
        combined = self.spec.factors(self.values) if self.spec.factors and self.combined is None else None
        if combined is None:
            value = self.combined if self.combined is not None else self.spec.combine(self.values)
            combined = [(f"formula {self.spec.formula}", value, 1)]
        for name, value, power in combined:
            out.append({"name": name, "op": "÷" if power < 0 else "×", "value": value})
        missing = self.imputed_names
        if missing:
            out.append(
                {
                    "name": "imputation penalty",
                    "op": "×",
                    "value": self.penalty ** len(missing),
                    "per_input": self.penalty,
                    "imputed": missing,
                }
            )
        out.extend({"name": f"adjustment {name}", "op": op, "value": by} for name, op, by in self.steps)
        if self.themes:
            out.append({"name": f"themes {', '.join(self.themes)}", "op": "×", "value": self.theme_weight})
        return out

    def requests(self, limit: int = 20) -> list[dict[str, Any]]:
        """The first ``limit`` requests for the item and the customer each counted as (None: no customer)."""
        out = []
        for request, identity in self.facts.requests_of(self.uid)[:limit]:
            out.append(
                {
                    "request": request.ref,
                    "customer": identity.name if identity is not None else None,
                    "identity": identity.id if identity is not None else request.organization,
                    "sources": identity.sources if identity is not None else [],
                }
            )
        return out

    @property
    def evidence(self) -> dict[str, Any]:
        return evidence_of(self.item, self.facts)


@dataclass
class RankResult:
    scores: list[ItemScore]
    excluded: list[str]
    errors: list[str]
    capacity: dict[str, CapacityLine] = field(default_factory=dict)

    def next_cycle(self) -> list[ItemScore]:
        """The ranked items above their container's cut line."""
        return [s for s in self.scores if s.fits_next_cycle]
