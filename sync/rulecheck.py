"""`rankbridge rules check` beyond compiling: the rules run on sample items, and status rules are checked
against what each tracker can take.

Samples: for every configured connection (or every service when none is configured), a handful of
synthetic items in the shapes real trackers produce: no estimate, every optional field null, a zero
estimate, no labels, extreme numbers. They go through the engine's own ranking and status evaluation (the
same names, guards and bounded functions as a real run), one item at a time, so each failure names the
rule, the expression and the sample.

Verdict: a rule that fails on every sample would fail on every item (an error); one that fails on some
samples is a warning (the engine reports those items and ranks the rest). A status rule whose writes (a
status, a comment, a tag) can reach a connection whose connector does not declare that op kind is refused:
otherwise every sync plans an op the tracker cannot take and exits 1. A rule is taken to reach a connection
unless it names ``source`` or ``connection`` and holds on none of that connection's samples.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.registry import connector_class, service, service_types
from rules.config import StatusRule
from rules.engine import RulesEngine
from rules.expressions import Compiled
from rules.status import StatusRules
from sync.config import Config
from sync.errors import UsageError
from sync.model import Item, Kind, OpKind

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SELECTORS = frozenset({"source", "connection"})  # names through which a rule can leave a tracker out


@dataclass(frozen=True)
class Sample:
    label: str  # CONNECTION/shape, as reports name it
    item: Item


@dataclass
class Findings:
    errors: list[str] = field(default_factory=list)  # fail on every sample, or refused
    warnings: list[str] = field(default_factory=list)  # fail on some samples


def _base(connection: str, type_: str) -> Item:
    kind = Kind.FEEDBACK if service(type_).feedback else Kind.ISSUE
    created = (NOW - timedelta(days=30)).isoformat()
    return Item(
        uid=f"{connection}:1",
        connection=connection,
        source=type_,
        native_id="1",
        key="SAMPLE-1",
        kind=kind.value,
        title="sample",
        status="Open",
        status_category="todo",
        updated_at=NOW.isoformat(),
        priority="normal",
        priority_level=2,
        labels=["sample"],
        estimate=3.0,
        created_at=created,
        due_date=(NOW + timedelta(days=14)).date().isoformat(),
    )


def _shapes(item: Item) -> dict[str, Item]:
    """The shapes that break a naive expression: each differs from a plain item in one way."""
    return {
        "missing-estimate": replace(item, estimate=None),
        "null-fields": replace(
            item,
            estimate=None,
            priority=None,
            priority_level=0,
            assignee=None,
            requester=None,
            organization=None,
            container=None,
            due_date=None,
            created_at=None,
            fields={},
        ),
        "zero-effort": replace(item, estimate=0.0),
        "empty-labels": replace(item, labels=[]),
        "extreme-numbers": replace(
            item,
            estimate=1e300,
            priority_level=10**6,
            created_at=datetime(1970, 1, 1, tzinfo=UTC).isoformat(),
            due_date="9999-12-31",
        ),
    }


def samples(config: Config) -> list[Sample]:
    connections = {name: c.type for name, c in config.connections.items()} or {t: t for t in service_types()}
    found = []
    for name, type_ in connections.items():
        for shape, item in _shapes(_base(name, type_)).items():
            found.append(Sample(f"{name}/{shape}", replace(item, key=f"{name}/{shape}")))
    return found


def check(config: Config, engine: RulesEngine, status: StatusRules) -> Findings:
    found = samples(config)
    failures: dict[str, dict[str, str]] = {}  # rule -> sample label -> error
    matched: dict[str, set[str]] = {}  # status rule -> connections on whose samples it held
    for sample in found:
        # one item per call: an error names its sample, and no other item's evidence leaks into it
        ranked = engine.rank([sample.item], [], [], now=NOW) if sample.item.kind != Kind.FEEDBACK else None
        decisions, errors = status.decide([sample.item], [], [], now=NOW)
        for error in [*(ranked.errors if ranked else []), *errors]:
            rule = _rule_of(error, _compiled(engine, status))
            detail = error.split(f"rule {rule!r}: ", 1)[-1]
            failures.setdefault(rule, {}).setdefault(sample.label, detail)
        for decision in decisions:
            matched.setdefault(decision.rule, set()).add(sample.item.connection)
    ranked_samples = sum(1 for s in found if s.item.kind != Kind.FEEDBACK)  # scoring skips feedback
    findings = Findings()
    for rule, by_sample in failures.items():
        every = len(by_sample) == (len(found) if rule.startswith("status ") else ranked_samples)
        label, detail = next(iter(by_sample.items()))
        where = "every sample" if every else f"{len(by_sample)} of the samples ({', '.join(by_sample)})"
        line = f"rule {rule!r} fails on {where}, e.g. {label}: {detail}"
        (findings.errors if every else findings.warnings).append(line)
    findings.errors.extend(_refused(config, status, matched))
    return findings


class RuleRefused(UsageError):
    """A status rule whose writes reach a tracker that cannot take them (exit 2)."""

    label = "rules error: "


def refuse_unfit(config: Config) -> None:
    """What `rank`, `plan`, `sync` and the daemon check when they load the config: the refusals of
    `rules check` (the same lines), as one line and exit 2 (:class:`RuleRefused`), instead of an op that
    fails on every sync."""
    status = StatusRules(config.status)
    matched: dict[str, set[str]] = {}
    for sample in samples(config):
        decisions, _ = status.decide([sample.item], [], [], now=NOW)
        for decision in decisions:
            matched.setdefault(decision.rule, set()).add(sample.item.connection)
    refused = _refused(config, status, matched)
    if refused:
        more = f" ({len(refused) - 1} more: `rankbridge rules check` lists them)" if len(refused) > 1 else ""
        raise RuleRefused(refused[0] + more)


def _refused(config: Config, status: StatusRules, matched: dict[str, set[str]]) -> list[str]:
    """Every refusal: a status rule's writes reaching a connection that cannot take them."""
    refused = []
    for status_rule, compiled in status.rules:
        refused.extend(_unfit(status_rule, compiled, config, matched.get(status_rule.name, set())))
    return refused


def _compiled(engine: RulesEngine, status: StatusRules) -> list[Compiled]:
    scoring = [r.compiled for r in engine.inputs] + [c for _, c in engine.themes + engine.adjust]
    return scoring + ([engine.formula] if engine.formula else []) + [c for _, c in status.rules]


def _rule_of(error: str, compiled: Iterable[Compiled]) -> str:
    """The rule an engine error is about (the engine words them ``rule 'NAME': ...``)."""
    for c in compiled:
        if f"rule {c.rule!r}:" in error:
            return c.rule
    return "?"


def needed_kinds(rule: StatusRule) -> dict[str, str]:
    """The op kinds a status rule's decisions become, with what in the rule asks for each."""
    wanted = {OpKind.STATUS.value: "set_category", OpKind.COMMENT.value: "comment", OpKind.TAGS.value: "tag"}
    given: dict[str, Any] = {"set_category": rule.set_category, "comment": rule.comment, "tag": rule.tag}
    return {kind: key for kind, key in wanted.items() if given[key]}


def _unfit(rule: StatusRule, compiled: Compiled, config: Config, matched: set[str]) -> list[str]:
    selective = bool(compiled.names & SELECTORS)
    refused = []
    for name, connection in config.connections.items():
        takes = connector_class(connection.type).op_kinds
        if rule.target == "mirrors":
            reaches = not selective or bool(matched - {name})
        else:
            reaches = not selective or name in matched
        missing = [key for kind, key in needed_kinds(rule).items() if kind not in takes]
        if reaches and missing:
            refused.append(
                f"status rule {rule.name!r} cannot apply to connection {name!r} ({connection.type}): "
                f"it takes no {' or '.join(missing)} writes (it takes: {', '.join(sorted(takes))}); "
                f"leave it out with `connection != {name!r}` in `when`, or drop {', '.join(missing)}"
            )
    return refused
