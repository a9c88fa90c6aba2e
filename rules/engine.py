"""The rules engine: pure. Items, links and customers in; scores, one unified ranking and explanations out.

Same inputs and rules give the same result, and scores are absolute: an item's score depends only on the
item, its parent and its evidence, never on other items (adding an item changes no other score).
Expressions are compiled once (an invalid rule raises :class:`RulesInvalid` listing every problem, with the
rule, the expression and the position, before anything runs); an expression failing on one item is reported
for that item, which falls back to the input's default, and the ranking goes on. Mirror groups are scored
once (the best-scoring member, over the group's merged evidence) and share one position; the capacity cut
line marks what fits the next cycle.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from math import isfinite
from operator import attrgetter
from typing import Any

from rules import budget
from rules.capacity import CapacityLine, cut_line
from rules.codegen import NUMBERS, impute, rules_function
from rules.config import Adjustment, CapacityConfig, CustomersConfig, RoadmapConfig, ScoringConfig, Theme
from rules.expressions import (
    FUNCTIONS,
    Compiled,
    EvaluationError,
    Evaluator,
    RuleError,
    compile_batch,
    compile_expression,
)
from rules.frameworks import FRAMEWORKS, Framework, Input
from rules.inputs import CLOSED, Facts
from rules.scores import InputRule, ItemScore, RankResult
from rules.vocabulary import NUMBER, THEMES_NAME, TYPES, VOCABULARY
from sync.errors import UsageError
from sync.model import Customer, Item, Kind, Link

__all__ = ["CapacityLine", "InputRule", "ItemScore", "RankResult", "RulesEngine", "RulesInvalid"]

PIN_ORDER = {"top": 0, None: 1, "bottom": 2}
BY_UID, BY_SCORE = attrgetter("uid"), attrgetter("score")
BY_PIN: Callable[[ItemScore], int] = lambda s: PIN_ORDER[s.pin]  # noqa: E731
NamesOf = Callable[[Item, Facts], dict[str, Any]]


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a run allocates its many small, acyclic results (each
    collection would rescan them all); reference counting still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _sorted(scores: list[ItemScore], ties: dict[str, Any]) -> list[ItemScore]:
    """The ranking order: pinned to the top first, then by score (highest first), the tie-break and the
    uid; pinned to the bottom last. Done as stable sorts from the least significant key up, each on one
    plain key (far cheaper than sorting on tuples: this sorts every ranked item of a run)."""
    ranked = sorted(scores, key=BY_UID)
    if ties:
        ranked.sort(key=lambda s: ties.get(s.uid, ()))
    ranked.sort(key=BY_SCORE, reverse=True)  # a reverse sort keeps equal scores in their order
    ranked.sort(key=BY_PIN)
    return ranked


class RulesInvalid(UsageError):
    def __init__(self, errors: list[RuleError]) -> None:
        super().__init__("invalid rules:\n  " + "\n  ".join(str(e) for e in errors))
        self.errors = errors


class RulesEngine:
    def __init__(
        self,
        scoring: ScoringConfig,
        roadmap: RoadmapConfig | None = None,
        capacity: CapacityConfig | None = None,
        customers: CustomersConfig | None = None,
    ) -> None:
        self.scoring = scoring
        self.customers = customers or CustomersConfig()
        self.roadmap = roadmap or RoadmapConfig()
        self.capacity = capacity or CapacityConfig()
        self.framework = self._framework()
        self.evaluator = Evaluator()
        errors: list[RuleError] = []
        self.inputs = self._compile_inputs(errors)
        input_types = {i.name: NUMBER for i in self.framework.inputs}
        self.formula = (
            self._compile(errors, "scoring.formula", scoring.formula, input_types, number=True)
            if scoring.formula
            else None
        )
        self.themes = [(t, self._compile(errors, f"theme {t.name}", t.match)) for t in self.roadmap.themes]
        themes_name = {THEMES_NAME: "list"}
        self.adjust = [
            (a, self._compile(errors, f"adjust {a.name}", a.when, themes_name)) for a in scoring.adjust
        ]
        if scoring.framework == "custom" and not scoring.formula:
            errors.append(RuleError("scoring.formula", "", "framework 'custom' needs a formula"))
        if errors:
            raise RulesInvalid(errors)
        self._prepare()

    def _framework(self) -> Framework:
        if self.scoring.framework == "custom":
            names = tuple(
                Input(n, e, self.scoring.defaults.get(n, 0.0), "custom input")
                for n, e in self.scoring.inputs.items()
            )
            return Framework("custom", "custom", names, lambda v: 0.0, self.scoring.formula or "")
        return FRAMEWORKS[self.scoring.framework]

    def _compile(
        self,
        errors: list[RuleError],
        rule: str,
        source: str,
        extra: dict[str, str] | None = None,
        number: bool = False,
    ) -> Compiled:
        try:
            compiled = compile_expression(
                rule, source, [*VOCABULARY, *(extra or {})], types=TYPES | (extra or {})
            )
        except RuleError as exc:
            errors.append(exc)
            return compile_expression(rule, "None", [])
        if number and compiled.type in ("text", "list", "map"):
            errors.append(
                RuleError(
                    rule, source, f"type error: an input must give a number (or None), not a {compiled.type}"
                )
            )
        return compiled

    def _compile_inputs(self, errors: list[RuleError]) -> tuple[InputRule, ...]:
        known = {i.name for i in self.framework.inputs}
        for name in self.scoring.inputs:
            if name in VOCABULARY and self.scoring.framework == "custom":
                errors.append(
                    RuleError(f"scoring.inputs.{name}", name, f"{name!r} is already a vocabulary name")
                )
            elif name not in known:
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
            rule = f"scoring.inputs.{spec.name}"
            compiled.append(InputRule(spec, self._compile(errors, rule, source, number=True)))
        return tuple(compiled)

    def _prepare(self) -> None:
        """Batch the expressions each item needs into one generated function (plus one code object for
        adjustments that read ``themes``), and list the names they use."""
        uses_themes = any(THEMES_NAME in c.names for _, c in self.adjust)
        inputs = [r.compiled for r in self.inputs]
        others = [c for _, c in self.themes]
        if not uses_themes:
            others += [c for _, c in self.adjust]
        self.first = inputs + others
        self.fallbacks = tuple(r.spec.fallback for r in self.inputs)
        self.first_function = rules_function(inputs, others, self.fallbacks, FUNCTIONS)
        self.second = [c for _, c in self.adjust] if uses_themes else []
        self.second_code = compile_batch(self.second) if self.second else None
        used = {n for c in [*self.first, *self.second] for n in c.names}
        if self.formula is not None:
            used |= set(self.formula.names) - {i.name for i in self.framework.inputs}
        self.needed = frozenset(used & set(VOCABULARY))
        self.needs_names = self.second_code is not None or self.formula is not None
        self.input_names = tuple(r.spec.name for r in self.inputs)
        self.input_count = len(self.inputs)
        self.penalty = self.scoring.imputed_penalty
        self.adjust_offset = 2 + len(self.themes)  # where the adjustments' conditions start in the results

    # --- ranking --------------------------------------------------------------------------------------
    def rank(
        self,
        items: list[Item],
        links: list[Link],
        customers: list[Customer],
        tie_break: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> RankResult:
        scale, sla, effort = (
            dict(self.scoring.estimate_scale),
            self.scoring.sla_field,
            self.capacity.default_effort,
        )
        with collection_paused():
            facts = Facts(
                items, links, customers, now, scale, sla, effort, self.customers, self.scoring.evidence
            )
            return self._rank(facts, tie_break or {})

    def _rank(self, facts: Facts, ties: dict[str, Any]) -> RankResult:
        names_of = facts.builder(self.needed)
        themes = [(t, t.active(facts.today)) for t, _ in self.themes]
        scores: list[ItemScore] = []
        excluded: list[str] = []
        errors: list[str] = []
        try:
            for item in facts.by_uid.values():  # the hot loop: one call for the names, one or two evaluations
                if item.deleted or item.kind == Kind.FEEDBACK or item.status_category in CLOSED:
                    continue
                self._start_budget()
                scored = self._score(item, facts, themes, names_of)
                if scored is None:
                    excluded.append(item.uid)
                    continue
                if scored.errors:
                    errors.extend(f"{facts.label(item)}: {e}" for e in scored.errors)
                scores.append(scored)
        finally:
            budget.stop()
        ordered = self._order(scores, facts, ties)
        lines = cut_line(ordered, self.capacity, facts.today)
        return RankResult(ordered, excluded, errors, lines)

    def _order(self, scores: list[ItemScore], facts: Facts, ties: dict[str, Any]) -> list[ItemScore]:
        """Sort into one ranking; a mirror group takes its best member's score and one shared position."""
        groups = facts.groups
        if not groups:
            ranked = _sorted(scores, ties)
            for rank, scored in enumerate(ranked, start=1):
                scored.rank = rank
            return ranked
        entries: dict[str, list[ItemScore]] = {}
        for scored in scores:
            group = groups.get(scored.item.uid)
            entries.setdefault(group[0] if group else scored.item.uid, []).append(scored)
        heads: list[ItemScore] = []
        for members in entries.values():
            members[:] = _sorted(members, ties)
            heads.append(members[0])
        heads = _sorted(heads, ties)
        ordered: list[ItemScore] = []
        for rank, head in enumerate(heads, start=1):
            group = groups.get(head.item.uid, ())
            for member in entries[group[0]] if group else [head]:
                if member is not head:
                    member.score, member.pin, member.scored_by = head.score, head.pin, head.label
                    member.scored_as = head
                member.rank, member.group = rank, group
                ordered.append(member)
        return ordered

    def _score(
        self, item: Item, facts: Facts, theme_states: list[tuple[Theme, bool]], names_of: NamesOf
    ) -> ItemScore | None:
        errors: list[str] = []
        names: dict[str, Any] | None = None
        try:
            results = self.first_function(item, facts)
        except Exception:  # find which expression failed, for this item only
            names = names_of(item, facts)
            self._start_budget()  # again: the one that spent it is found and named
            results = self._one_by_one(names, errors)
        if names is None and self.needs_names:
            names = names_of(item, facts)
        imputed: int = results[0]  # bit k set: input k gave no usable number and took its fallback
        values: list[float] = results[1]
        combined = self._formula(values, names, errors) if self.formula else self.framework.combine(values)
        # each imputed input multiplies the score by the penalty: a factor of its own in the explanation
        score = combined * self.penalty ** imputed.bit_count() if imputed else combined
        themes: list[str] = []
        result = ItemScore(
            item, score, self.framework, self.inputs, values, imputed, names, facts, themes, errors
        )
        if imputed:
            result.penalty = self.penalty
        if self.formula is not None:
            result.combined = combined
        weight = self._themes(result, theme_states, results) if theme_states else 0.0
        for (adjustment, _), when in zip(
            self.adjust, self._whens(results, names, themes, errors), strict=True
        ):
            if when:
                if adjustment.exclude:
                    return None
                score = self._apply(adjustment, score, result)
        if themes:
            score *= weight
            result.theme_weight = weight
        result.score = round(score, 6) if isfinite(score) else 0.0
        return result

    def _start_budget(self) -> None:
        budget.start_item(self.scoring.evaluation_steps, self.scoring.evaluation_seconds)

    def _one_by_one(self, names: dict[str, Any], errors: list[str]) -> tuple[Any, ...]:
        """The generated function's results computed expression by expression, each failure reported."""
        count = self.input_count
        values = [self._run(c, names, errors) for c in self.first[:count]]
        imputed = impute(values, self.fallbacks)
        return (imputed, values, *(self._run(c, names, errors) for c in self.first[count:]))

    @staticmethod
    def _themes(result: ItemScore, theme_states: list[tuple[Theme, bool]], results: tuple[Any, ...]) -> float:
        """Add the item's matching themes to ``result`` (those outside their horizon as dormant); the
        highest weight among the active ones."""
        weight = 0.0
        for offset, (theme, active) in enumerate(theme_states, start=2):
            if not results[offset]:
                continue
            if active:
                result.themes.append(theme.name)
                weight = max(weight, theme.weight)
            else:
                result.dormant_themes = [*result.dormant_themes, theme.name]
        return weight

    def _whens(
        self, results: tuple[Any, ...], names: dict[str, Any] | None, themes: list[str], errors: list[str]
    ) -> tuple[Any, ...]:
        if self.second_code is None or names is None:
            return results[self.adjust_offset :]
        names[THEMES_NAME] = themes
        try:
            return self.evaluator.run_batch(self.second_code, names)
        except Exception:
            return tuple(self._run(c, names, errors) for c in self.second)

    def _run(self, compiled: Compiled, names: dict[str, Any], errors: list[str]) -> Any:
        try:
            return self.evaluator.run(compiled, names)
        except EvaluationError as exc:
            errors.append(str(exc))
            return None

    def _formula(self, values: list[float], names: dict[str, Any] | None, errors: list[str]) -> float:
        assert self.formula is not None and names is not None
        result = self._run(
            self.formula, {**names, **dict(zip(self.input_names, values, strict=True))}, errors
        )
        if type(result) in NUMBERS or isinstance(result, bool):
            return float(result)
        if result is not None:
            errors.append(f"rule 'scoring.formula': gave {result!r}, not a number")
        return 0.0

    @staticmethod
    def _apply(adjustment: Adjustment, score: float, result: ItemScore) -> float:
        if adjustment.multiply is not None:
            score *= adjustment.multiply
            result.adjustments = [*result.adjustments, f"{adjustment.name}: ×{adjustment.multiply:g}"]
            result.steps = [*result.steps, (adjustment.name, "×", adjustment.multiply)]
        if adjustment.add is not None:
            score += adjustment.add
            result.adjustments = [*result.adjustments, f"{adjustment.name}: {adjustment.add:+g}"]
            result.steps = [*result.steps, (adjustment.name, "+", adjustment.add)]
        if adjustment.pin:
            result.pin = adjustment.pin
            result.adjustments = [*result.adjustments, f"{adjustment.name}: pinned to the {adjustment.pin}"]
        return score
