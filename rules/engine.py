"""The rules engine: pure. Items, links and customers in; scores, one unified ranking and explanations out.

Same inputs and rules give the same result. Expressions are compiled once (an invalid rule raises
:class:`RulesInvalid` listing every problem before anything runs); an expression failing on one item is
reported for that item, which falls back to the input's default, and the ranking goes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rules.config import Adjustment, RoadmapConfig, ScoringConfig
from rules.expressions import Compiled, EvaluationError, Evaluator, RuleError, compile_expression
from rules.frameworks import FRAMEWORKS, Framework, Input
from rules.inputs import VOCABULARY, collect_evidence, is_rankable, item_names
from sync.model import Customer, Item, Link


class RulesInvalid(Exception):
    def __init__(self, errors: list[RuleError]) -> None:
        super().__init__("invalid rules:\n  " + "\n  ".join(str(e) for e in errors))
        self.errors = errors


@dataclass
class InputValue:
    name: str
    value: float
    expression: str
    imputed: bool


@dataclass
class ItemScore:
    uid: str
    key: str
    title: str
    source: str
    status: str
    score: float
    framework: str
    inputs: list[InputValue]
    evidence: dict[str, Any]
    adjustments: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    pin: str | None = None
    errors: list[str] = field(default_factory=list)
    rank: int = 0


@dataclass
class RankResult:
    scores: list[ItemScore]
    excluded: list[str]
    errors: list[str]


EVIDENCE_NAMES = ("feedback_count", "feedback_orgs", "feedback_arr", "enterprise_orgs", "mirrors")


class RulesEngine:
    def __init__(self, scoring: ScoringConfig, roadmap: RoadmapConfig | None = None) -> None:
        self.scoring = scoring
        self.roadmap = roadmap or RoadmapConfig()
        self.framework = self._framework()
        self.evaluator = Evaluator()
        errors: list[RuleError] = []
        self.inputs = self._compile_inputs(errors)
        input_names = [i.name for i in self.framework.inputs]
        self.formula = (
            self._compile(errors, "scoring.formula", scoring.formula, input_names) if scoring.formula else None
        )
        self.adjust = [(a, self._compile(errors, f"adjust {a.name}", a.when)) for a in scoring.adjust]
        self.themes = [(t, self._compile(errors, f"theme {t.name}", t.match)) for t in self.roadmap.themes]
        if scoring.framework == "custom" and not scoring.formula:
            errors.append(RuleError("scoring.formula", "", "framework 'custom' needs a formula"))
        if errors:
            raise RulesInvalid(errors)

    def _framework(self) -> Framework:
        if self.scoring.framework == "custom":
            names = tuple(
                Input(n, e, self.scoring.defaults.get(n, 0.0), "custom input")
                for n, e in self.scoring.inputs.items()
            )
            return Framework("custom", "custom", names, lambda v: 0.0, self.scoring.formula or "")
        return FRAMEWORKS[self.scoring.framework]

    def _compile(
        self, errors: list[RuleError], rule: str, source: str, extra: Iterable[str] = ()
    ) -> Compiled:
        try:
            return compile_expression(rule, source, [*VOCABULARY, *extra])
        except RuleError as exc:
            errors.append(exc)
            return compile_expression(rule, "None", [])

    def _compile_inputs(self, errors: list[RuleError]) -> list[tuple[Input, Compiled]]:
        known = {i.name for i in self.framework.inputs}
        for name in self.scoring.inputs:
            if name not in known:
                errors.append(
                    RuleError(
                        f"scoring.inputs.{name}",
                        self.scoring.inputs[name],
                        f"{self.framework.label} has no input {name!r} (inputs: {', '.join(sorted(known))})",
                    )
                )
        compiled = []
        for spec in self.framework.inputs:
            source = self.scoring.inputs.get(spec.name, spec.expression)
            fallback = self.scoring.defaults.get(spec.name, spec.fallback)
            spec = Input(spec.name, source, fallback, spec.meaning)
            compiled.append((spec, self._compile(errors, f"scoring.inputs.{spec.name}", source)))
        return compiled

    # --- ranking --------------------------------------------------------------------------------------
    def rank(
        self,
        items: list[Item],
        links: list[Link],
        customers: list[Customer],
        tie_break: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> RankResult:
        now = now or datetime.now(UTC)
        evidence = collect_evidence(items, links)
        by_customer = {c.uid: c for c in customers}
        by_uid = {i.uid: i for i in items}
        scores: list[ItemScore] = []
        excluded: list[str] = []
        errors: list[str] = []
        for item in items:
            if not is_rankable(item):
                continue
            names = item_names(item, evidence[item.uid], by_customer, by_uid, now)
            scored = self._score(item, names)
            if scored is None:
                excluded.append(item.uid)
                continue
            errors.extend(f"{item.key}: {e}" for e in scored.errors)
            scores.append(scored)
        ties = tie_break or {}
        pin_order = {"top": 0, None: 1, "bottom": 2}
        scores.sort(key=lambda s: (pin_order[s.pin], -s.score, ties.get(s.uid, ()), s.uid))
        for position, scored in enumerate(scores, start=1):
            scored.rank = position
        return RankResult(scores, excluded, errors)

    def _score(self, item: Item, names: dict[str, Any]) -> ItemScore | None:
        errors: list[str] = []
        values = [self._input(spec, compiled, names, errors) for spec, compiled in self.inputs]
        by_name = {v.name: v.value for v in values}
        imputed = sum(1 for v in values if v.imputed)
        penalty = self.scoring.imputed_penalty**imputed
        confidence = self.framework.confidence_input
        if confidence and imputed:
            by_name[confidence] = by_name[confidence] * penalty
        score = self._combine(by_name, names, errors)
        if not confidence:
            score *= penalty
        result = ItemScore(
            uid=item.uid,
            key=item.key,
            title=item.title,
            source=item.source,
            status=item.status,
            score=0.0,
            framework=self.framework.label,
            inputs=values,
            evidence={n: names[n] for n in EVIDENCE_NAMES},
            errors=errors,
        )
        for adjustment, compiled in self.adjust:
            if not self._truthy(compiled, names, errors):
                continue
            if adjustment.exclude:
                return None
            score = self._apply(adjustment, score, result)
        score = self._align(score, names, result, errors)
        result.score = round(score, 6)
        return result

    def _input(self, spec: Input, compiled: Compiled, names: dict[str, Any], errors: list[str]) -> InputValue:
        try:
            value = self.evaluator.run(compiled, names)
        except EvaluationError as exc:
            errors.append(str(exc))
            value = None
        if value is None or isinstance(value, bool | str | list):
            return InputValue(spec.name, float(spec.fallback), spec.expression, True)
        return InputValue(spec.name, float(value), spec.expression, False)

    def _combine(self, values: dict[str, float], names: dict[str, Any], errors: list[str]) -> float:
        if self.formula is None:
            return float(self.framework.combine(values))
        try:
            result = self.evaluator.run(self.formula, {**names, **values})
            return float(result or 0.0)
        except (EvaluationError, TypeError, ValueError) as exc:
            errors.append(str(exc))
            return 0.0

    def _truthy(self, compiled: Compiled, names: dict[str, Any], errors: list[str]) -> bool:
        try:
            return bool(self.evaluator.run(compiled, names))
        except EvaluationError as exc:
            errors.append(str(exc))
            return False

    @staticmethod
    def _apply(adjustment: Adjustment, score: float, result: ItemScore) -> float:
        if adjustment.multiply is not None:
            score *= adjustment.multiply
            result.adjustments.append(f"{adjustment.name}: ×{adjustment.multiply:g}")
        if adjustment.add is not None:
            score += adjustment.add
            result.adjustments.append(f"{adjustment.name}: {adjustment.add:+g}")
        if adjustment.pin:
            result.pin = adjustment.pin
            result.adjustments.append(f"{adjustment.name}: pinned to the {adjustment.pin}")
        return score

    def _align(self, score: float, names: dict[str, Any], result: ItemScore, errors: list[str]) -> float:
        weights = []
        for theme, compiled in self.themes:
            if self._truthy(compiled, names, errors):
                result.themes.append(theme.name)
                weights.append(theme.weight)
        return score * max(weights) if weights else score
