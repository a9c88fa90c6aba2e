"""What-if: the ranking under other rules beside the current one, and the tracker writes it would cause,
with nothing saved (no scores, no run, no plan, no remembered order: the next real run sees no trace).

The other rules file holds rule sections only (``[scoring]``, ``[roadmap]``, ``[capacity]``,
``[customers]``, ``[status]``); connections, store and daemon come from the config as they are."""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from rich.table import Table

from rules.config import CapacityConfig, CustomersConfig, RoadmapConfig, ScoringConfig, StatusConfig
from rules.status import StatusRules
from sync.config import Config, ConfigError
from sync.engine import Engine
from sync.plan.planner import Planner
from sync.rank import RankOutcome, person_snapshot, rank
from sync.refs import label

RULE_SECTIONS: dict[str, type[BaseModel]] = {
    "scoring": ScoringConfig,
    "roadmap": RoadmapConfig,
    "capacity": CapacityConfig,
    "customers": CustomersConfig,
    "status": StatusConfig,
}


def rules_config(config: Config, path: Path) -> Config:
    """``config`` with the rule sections of the file at ``path`` in place of its own (a section the file
    lacks takes its defaults: the file states the rules whole)."""
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such rules file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(raw) - set(RULE_SECTIONS))
    if unknown:
        raise ConfigError(
            f"{path}: a rules file holds only {', '.join(RULE_SECTIONS)}, not {', '.join(unknown)}"
        )
    try:
        sections = {name: model.model_validate(raw.get(name, {})) for name, model in RULE_SECTIONS.items()}
    except ValidationError as exc:
        problems = "; ".join(f"[{'.'.join(str(p) for p in e['loc'])}] {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {problems}") from None
    return config.model_copy(update=sections)


@dataclass
class WhatIf:
    rows: list[dict[str, Any]]  # every item ranked under either rule set, in the what-if order
    writes: dict[str, dict[str, dict[str, int]]] = field(
        default_factory=dict
    )  # rules -> tracker -> kind -> n

    def moved(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["rank"] != r["rank_now"] or r["score"] != r["score_now"]]

    def as_dict(self) -> dict[str, Any]:
        return {"ranking": self.rows, "changed": len(self.moved()), "writes": self.writes}


def what_if(engine: Engine, path: Path) -> WhatIf:
    """Rank with the config's rules and with those of ``path``; plan both; save nothing."""
    other = rules_config(engine.config, path)
    now = rank(engine.store, engine.config, engine.connectors, save=False)
    then = rank(engine.store, other, engine.connectors, save=False)
    shared = engine.store.shared_keys()
    items = {i.uid: i for i in engine.store.items()}
    before = {r["uid"]: r for r in now.rows}
    after = {r["uid"]: r for r in then.rows}
    order = [r["uid"] for r in then.rows] + [uid for uid in before if uid not in after]
    rows = []
    for uid in order:
        item = items.get(uid)
        if item is None:
            continue
        was, will = before.get(uid, {}).get("rank"), after.get(uid, {}).get("rank")
        rows.append(
            {
                "uid": uid,
                "ref": item.ref,
                "key": label(item, shared),
                "title": item.title,
                "rank_now": was,
                "rank": will,
                "move": was - will if was is not None and will is not None else None,
                "score_now": before.get(uid, {}).get("score"),
                "score": after.get(uid, {}).get("score"),
            }
        )
    writes = {"current": _writes(engine, engine.config, now), "what_if": _writes(engine, other, then)}
    return WhatIf(rows, writes)


def _writes(engine: Engine, config: Config, outcome: RankOutcome) -> dict[str, dict[str, int]]:
    """The ops a plan from this ranking would stage, counted per tracker and kind (nothing is staged)."""
    scores = {row["uid"]: row for row in outcome.rows}
    snapshot = person_snapshot(engine.store)
    decisions, _ = StatusRules(config.status).decide(snapshot.items, snapshot.links, snapshot.customers)
    plan = Planner(engine.store, engine.connectors, scores, decisions, save=False).build()
    counted: dict[str, Counter[str]] = {}
    for op in plan.ops:
        counted.setdefault(op.connection, Counter())[op.kind] += 1
    return {connection: dict(kinds) for connection, kinds in sorted(counted.items())}


def what_if_table(result: WhatIf, title: str, limit: int | None) -> Table:
    table = Table(title=title)
    for column in ("rank", "move", "key", "title", "score now", "score then"):
        table.add_column(
            column,
            justify="left" if column in ("key", "title") else "right",
            max_width=48 if column == "title" else None,
        )
    for row in result.moved()[:limit]:
        move = row["move"]
        shown_move = (
            "new"
            if row["rank_now"] is None
            else "out"
            if row["rank"] is None
            else f"{move:+d}"
            if move
            else "="
        )
        table.add_row(
            f"{row['rank_now'] or '-'} → {row['rank'] or '-'}",
            shown_move,
            row["key"],
            row["title"],
            _score(row["score_now"]),
            _score(row["score"]),
        )
    return table


def writes_lines(result: WhatIf) -> list[str]:
    lines = []
    for connection in sorted({c for side in result.writes.values() for c in side}):
        now = result.writes["current"].get(connection, {})
        then = result.writes["what_if"].get(connection, {})
        kinds = sorted(set(now) | set(then))
        parts = ", ".join(f"{kind} {now.get(kind, 0)} → {then.get(kind, 0)}" for kind in kinds)
        lines.append(f"writes to {connection} (current rules → these): {parts}")
    return lines or ["writes: none under either rule set"]


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
