"""Status rules: conditions over an item and what it is linked to, turned into decisions (a target status
category, a comment, a tag). Pure; ``sync/`` turns decisions into native writes."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rules import budget
from rules.config import StatusConfig, StatusRule
from rules.engine import RulesInvalid
from rules.expressions import Compiled, EvaluationError, Evaluator, RuleError, compile_expression
from rules.inputs import Facts
from rules.vocabulary import TYPES, VOCABULARY
from sync.model import Customer, Item, Link


@dataclass(frozen=True)
class Decision:
    uid: str
    rule: str
    set_category: str | None
    comment: str | None
    tag: str | None
    target: str = "self"  # or "mirrors": the decision applies to the item's mirrors in other trackers


class StatusRules:
    def __init__(self, config: StatusConfig) -> None:
        self.evaluator = Evaluator()
        errors: list[RuleError] = []
        self.rules: list[tuple[StatusRule, Compiled]] = []
        for rule in config.rules:
            try:
                compiled = compile_expression(f"status {rule.name}", rule.when, VOCABULARY, types=TYPES)
                self.rules.append((rule, compiled))
            except RuleError as exc:
                errors.append(exc)
            errors.extend(template_errors(rule))
        if errors:
            raise RulesInvalid(errors)
        placeholders = {m for r, _ in self.rules for m in PLACEHOLDER.findall(r.comment or "")}
        self.needed = {n for _, c in self.rules for n in c.names} | (placeholders & set(VOCABULARY))

    def decide(
        self, items: list[Item], links: list[Link], customers: list[Customer], now: datetime | None = None
    ) -> tuple[list[Decision], list[str]]:
        if not self.rules:
            return [], []
        facts = Facts(items, links, customers, now or datetime.now(UTC))
        names_of = facts.builder(self.needed)
        decisions: list[Decision] = []
        errors: list[str] = []
        try:
            for item in facts.by_uid.values():
                if item.deleted:
                    continue
                budget.start_item()
                names = names_of(item, facts)
                for rule, compiled in self.rules:
                    try:
                        matched = bool(self.evaluator.run(compiled, names))
                    except EvaluationError as exc:
                        errors.append(f"{item.key}: {exc}")
                        continue
                    if matched:
                        comment = render(rule.comment, names) if rule.comment else None
                        decisions.append(
                            Decision(item.uid, rule.name, rule.set_category, comment, rule.tag, rule.target)
                        )
        finally:
            budget.stop()
        return decisions, errors


PLACEHOLDER = re.compile(r"\{(\w+)\}")
BRACED = re.compile(r"\{([^{}]*)\}")


def template_errors(rule: StatusRule) -> list[RuleError]:
    """A note template may only name vocabulary entries (``{linked_keys}``): a misspelt placeholder would
    otherwise be posted literally to a customer-facing tracker."""
    template = rule.comment or ""
    errors = []
    for match in BRACED.finditer(template):
        name = match.group(1)
        if name in VOCABULARY:
            continue
        close = difflib.get_close_matches(name, VOCABULARY, n=1)
        hint = f" (did you mean {{{close[0]}}}?)" if close else ""
        message = f"comment placeholder {{{name}}} is not a vocabulary name{hint}"
        errors.append(RuleError(f"status {rule.name}", template, message, match.start()))
    return errors


def render(template: str, names: dict[str, Any]) -> str:
    """Fill ``{name}`` placeholders from the vocabulary; no attribute or index access (unlike str.format)."""
    return PLACEHOLDER.sub(
        lambda m: _text(names[m.group(1)]) if m.group(1) in names else m.group(0), template
    )


def _text(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
