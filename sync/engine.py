"""The engine: pull → link → rank → plan → push over every configured connection.

Each stage records a run in the store. One connection failing never stops the others; its error is in
the report and in ``rankbridge status``. Each stage's modules are imported when the stage runs, so that a
command that only pulls (or only reads) does not load the rules, the planner or the pusher.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connectors.base import Connector
from connectors.errors import ConnectorError
from connectors.registry import build
from sync.config import Config
from sync.errors import StaleState
from sync.linking import link_mirrors
from sync.model import Op
from sync.pull.streams import PullReport, pull_connection
from sync.references import Resolution, resolve_links
from sync.store import Store
from sync.store.base import digest

if TYPE_CHECKING:
    from sync.plan.planner import Plan
    from sync.push.pusher import PushReport
    from sync.rank import RankOutcome

log = logging.getLogger(__name__)


class StalePlan(StaleState):
    """The staged plan was made before the latest pull (or the store was not pulled since the last push)."""


@dataclass
class SyncReport:
    pull: PullReport
    ranked: RankOutcome | None = None
    plan: Plan | None = None
    push: PushReport | None = None
    notes: list[str] = field(default_factory=list)


class Engine:
    def __init__(
        self, config: Config, store: Store | None = None, connectors: dict[str, Connector] | None = None
    ) -> None:
        self.config = config
        self.store = store or Store(config.store.location)
        self._connectors: dict[str, Connector] | None = connectors  # the daemon shares long-lived ones
        # Set (by the daemon, on SIGTERM) to stop cooperatively between pages and between ops.
        self.stop_event: threading.Event | None = None
        # Connections whose pull is in flight in another thread (the daemon): neither planned nor pushed
        # until it ends, so that a write never crosses a read of the same tracker.
        self.busy: frozenset[str] = frozenset()
        self.resolution: Resolution | None = None  # the last pull's link resolution

    @property
    def connectors(self) -> dict[str, Connector]:
        if self._connectors is None:
            self._connectors = {name: build(name, c) for name, c in self.config.connections.items()}
        return self._connectors

    def close(self) -> None:
        for connector in (self._connectors or {}).values():
            connector.close()
        self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- stages --------------------------------------------------------------------------------------
    def pull(self, only: list[str] | None = None, full: bool = False, link: bool = True) -> PullReport:
        """Pull every connection (or those in ``only``); ``full``: read the item streams whole, which marks
        the items they no longer list deleted (sync/pull/absence.py). ``link=False`` leaves resolving the
        links to a later :meth:`link` (the daemon's stages)."""
        report = PullReport()
        started = datetime.now(UTC)
        for name, connector in self.connectors.items():
            if only and name not in only:
                continue
            if self.stop_event is not None and self.stop_event.is_set():
                break
            run_id = self.store.start_run("pull", name)
            streams = pull_connection(self.store, connector, started, self.stop_event, full)
            report.streams.extend(streams)
            errors = [s.error for s in streams if s.error]
            stats = {
                "changed": sum(s.changed for s in streams),
                "requests": sum(s.requests for s in streams),
                "quarantined": sum(s.quarantined for s in streams),
                "gone": sum(len(s.gone) for s in streams),
            }
            # Only a complete read counts as fresh (see Store.fresh): a stopped pull is not one.
            outcome = "failed" if errors else "stopped" if any(s.stopped for s in streams) else "ok"
            self.store.finish_run(run_id, outcome, stats, "; ".join(errors) or None)
        if link:
            # every written page replaced its items' links: resolve all of them again, against everything
            # stored (a pull that read nothing changed nothing to resolve)
            self.link(resolve=any(s.payloads for s in report.streams) or self.resolution is None)
        return report

    def link(self, resolve: bool = True) -> None:
        """Resolve every stored link against everything stored (when ``resolve``), then the rules' mirror
        links: a global stage, which the daemon runs under its stages lease before ranking."""
        if resolve:
            self.resolution = resolve_links(self.store)
        link_mirrors(self.store, self.config.links)

    def rank(self, save: bool = True) -> RankOutcome:
        from sync.rank import rank

        return rank(self.store, self.config, self.connectors, save)

    def plan(self, strict: bool = True) -> tuple[Plan, int]:
        """Plan the connections read after our last write to them (``fresh``); the others are listed in
        ``plan.skipped`` and keep their staged ops. ``strict``: refuse (:class:`StalePlan`) when none is
        fresh because of our own writes."""
        from rules.status import StatusRules
        from sync.plan.planner import Planner
        from sync.rank import person_snapshot

        fresh, skipped = self._fresh_connections()
        if strict and not fresh and any(self.store.last_sent(name) for name in skipped):
            raise StalePlan(
                "the trackers changed with the last push and the store was not pulled since; "
                "run `rankbridge pull` (or `rankbridge sync`) first"
            )
        run_id = self.store.start_run("plan")
        fresh, unsettled = self._settle_uncertain(run_id, fresh)
        skipped.update(unsettled)
        scores = {row["uid"]: row for row in self.store.scores()}
        snapshot = person_snapshot(self.store)
        decisions, errors = StatusRules(self.config.status).decide(
            snapshot.items, snapshot.links, snapshot.customers
        )
        for error in errors:
            log.warning("status rule: %s", error)
        report_url = self.config.report.report_url
        plan = Planner(
            self.store, self.connectors, scores, decisions, only=set(fresh), report_url=report_url
        ).build()
        self._hold_paused(plan)
        plan.skipped = {name: skipped[name] for name in sorted(skipped)}
        self.store.stage_ops(run_id, plan.ops, fresh)
        self.store.finish_run(
            run_id,
            "ok",
            {
                "ops": len(plan.ops),
                "kept": len(plan.kept),
                "naive_rank_writes": plan.naive_rank_writes,
                "manual_overrides": [k.as_dict() for k in plan.kept],
                "planned": sorted(fresh),
                "skipped": plan.skipped,
            },
        )
        return plan, run_id

    def _fresh_connections(self) -> tuple[list[str], dict[str, str]]:
        fresh, skipped = [], {}
        for name in self.connectors:
            if name in self.busy:
                skipped[name] = "not planned: its pull is in progress"
            elif self.store.fresh(name):
                fresh.append(name)
            elif self.store.last_sent(name):
                skipped[name] = f"not planned: written to since its last complete pull (run `pull {name}`)"
            else:
                skipped[name] = "not planned: no complete pull yet"
        return fresh, skipped

    def _settle_uncertain(self, run_id: int, names: list[str]) -> tuple[list[str], dict[str, str]]:
        """Ask each tracker about the ops that may have reached it before anything is planned for it; a
        connection whose tracker cannot answer now is not planned this time."""
        from sync.push.pusher import UNCERTAIN, Pusher

        pusher = Pusher(self.store, self.connectors, run_id)
        entries: dict[str, list[tuple[Op, dict[str, Any]]]] = {}
        for op, row in self.store.outbox(UNCERTAIN):
            entries.setdefault(op.connection, []).append((op, row))
        ready, unsettled = [], {}
        for name in names:
            try:
                pusher.settle(self.connectors[name], entries.get(name, []))
            except ConnectorError as exc:
                unsettled[name] = f"not planned: could not ask the tracker about ops in flight: {exc}"
                continue
            ready.append(name)
        return ready, unsettled

    def push(self, strict: bool = True, connection: str | None = None) -> PushReport:
        """Push the staged ops of every connection (or only ``connection``'s, its run recorded as that
        connection's) not pulled since their plan. ``strict``: refuse (:class:`StalePlan`) when some are
        stale; else leave them for the next plan of their connection."""
        from sync.push.pusher import Pusher

        stale = self._stale_connections()
        if stale and strict:
            raise StalePlan(
                f"the staged plan #{min(stale.values())} is older than the last pull of "
                f"{', '.join(sorted(stale))}; run `rankbridge plan` again to see what would be written now"
            )
        only = {op.connection for op, _ in self.store.outbox()} - stale.keys() - self.busy
        if connection is not None:
            only &= {connection}
        run_id = self.store.start_run("push", connection)
        report = Pusher(self.store, self.connectors, run_id, self.stop_event, only).push()
        status = "ok" if not report.errors else "failed"
        self.store.finish_run(
            run_id,
            status,
            {"applied": report.applied, "failed": report.failed, "already": report.already},
            "; ".join(report.errors) or None,
        )
        return report

    def undo(self, push_run: int, follow_up: str | None = None) -> tuple[Plan, int]:
        """Stage the inverse of one push as a plan; ``push`` applies it like any other, then
        :meth:`pause_after_undo` keeps the next syncs from writing it all again."""
        from sync.push.undo import undo_plan

        self._require_pulled_after({e["connection"] for e in self.store.journal_entries(push_run)})
        plan = undo_plan(self.store, self.connectors, push_run, follow_up)
        run_id = self.store.start_run("plan")
        self.store.stage_ops(run_id, plan.ops)
        self.store.finish_run(
            run_id,
            "ok",
            {"ops": len(plan.ops), "kept": [k.as_dict() for k in plan.kept], "undo_of": push_run},
        )
        return plan, run_id

    # --- pauses after an undo ----------------------------------------------------------------------------
    def rules_digest(self) -> str:
        """What the pause remembers of the rules: a change of scoring, roadmap, capacity or status rules
        lifts it (the person changed what rankbridge would write)."""
        sections = [self.config.scoring, self.config.roadmap, self.config.capacity, self.config.status]
        return digest([section.model_dump(mode="json") for section in sections])

    def pause_after_undo(self, push_run: int) -> list[str]:
        """Pause pushes to every connection push ``push_run`` wrote to; the names paused."""
        written = sorted({e["connection"] for e in self.store.journal_entries(push_run)})
        self.store.pause(written, push_run, self.rules_digest())
        return written

    def _hold_paused(self, plan: Plan) -> None:
        """Ops for a paused connection stay out of the plan; a pause whose rules changed since is lifted."""
        paused = self.store.pauses()
        changed = [name for name, row in paused.items() if row["rules"] != self.rules_digest()]
        for name in self.store.resume(changed):
            log.info("%s: the rules changed since the undo; pushes resume", name)
        held = {name: row for name, row in paused.items() if name not in changed}
        if not held:
            return
        for name, row in held.items():
            count = sum(1 for op in plan.ops if op.connection == name)
            if count:
                undo = f"undo of push #{row['undo_of']}"
                note = f"{name}: paused after the {undo}, {count} op(s) held (`rankbridge resume`)"
                plan.keep(name, note)
        plan.ops = [op for op in plan.ops if op.connection not in held]

    def sync(self, dry_run: bool = False) -> SyncReport:
        report = SyncReport(pull=self.pull())
        report.ranked = self.rank()
        report.plan, _ = self.plan(strict=False)
        if not dry_run and self.store.outbox():
            report.push = self.push(strict=False)
        return report

    # --- guards --------------------------------------------------------------------------------------
    def _require_pulled_after(self, connections: set[str]) -> None:
        stale = sorted(name for name in connections if name in self.connectors and not self.store.fresh(name))
        if stale:
            raise StalePlan(
                f"{', '.join(stale)} changed with the last push and the store was not pulled since; "
                "run `rankbridge pull` (or `rankbridge sync`) first"
            )

    def _stale_connections(self) -> dict[str, int]:
        """Connections whose staged ops come from a plan older than their latest pull (-> that plan)."""
        stale: dict[str, int] = {}
        for op, row in self.store.outbox():
            if op.connection not in stale and self.store.pulled_since(op.connection, row["plan_id"]):
                stale[op.connection] = int(row["plan_id"])
        return stale
