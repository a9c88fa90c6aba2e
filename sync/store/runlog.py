"""The store's record of runs (pull, rank, plan, push: when, how they ended, their figures) and of scores
(the latest ranking, and every ranking run's scores for explanations and the report's changes)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from sync.events import emit, since
from sync.store.base import now_iso
from sync.store.writelog import WriteLog


class RunLog(WriteLog):
    def __init__(self, location: str | Path) -> None:
        super().__init__(location)
        # run id -> (monotonic start, kind, connection) of the runs this process started, for run_end events
        self._run_clock: dict[int, tuple[float, str, str | None]] = {}

    # --- runs ------------------------------------------------------------------------------------------
    def start_run(self, kind: str, connection: str | None = None) -> int:
        row = {"kind": kind, "connection": connection, "started_at": now_iso(), "status": "running"}
        with self._writing():
            run_id = self.sql.insert_returning_id("runs", row)
        self._run_clock[run_id] = (time.monotonic(), kind, connection)
        emit("run_start", f"{kind} run {run_id} started", run=run_id, kind=kind, connection=connection)
        return run_id

    def first_pull(self, connection: str) -> str | None:
        """When the first pull of ``connection`` began (None: never pulled)."""
        sql = "select min(started_at) as at from runs where kind = 'pull' and connection = ?"
        at = self.sql.rows(sql, [connection])[0][0]
        return None if at is None else str(at)

    def finish_run(
        self, run_id: int, status: str, stats: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        with self._writing():
            self.sql.execute(
                "update runs set finished_at = ?, status = ?, stats = ?, error = ? where id = ?",
                [now_iso(), status, json.dumps(stats or {}), error, run_id],
            )
        started, kind, connection = self._run_clock.pop(run_id, (None, None, None))
        emit(
            "run_end",
            f"{kind or 'a'} run {run_id} {status}" + (f": {error}" if error else ""),
            run=run_id,
            kind=kind,
            connection=connection,
            status=status,
            stats=stats or {},
            error=error,
            duration_ms=since(started) if started is not None else None,
        )

    def runs(self, kind: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        sql = "select * from runs where (cast(? as text) is null or kind = ?) order by id desc limit ?"
        return list(self.sql.query(sql, [kind, kind, limit]))

    def last_success(self, kind: str, connection: str | None = None) -> dict[str, Any] | None:
        sql = (
            "select * from runs where kind = ? and status = 'ok' "
            "and (cast(? as text) is null or connection = ?) "
            "order by id desc limit 1"
        )
        rows = list(self.sql.query(sql, [kind, connection, connection]))
        return rows[0] if rows else None

    # --- scores ----------------------------------------------------------------------------------------
    def save_scores(self, run_id: int, rows: list[dict[str, Any]]) -> None:
        with self._writing():
            self.sql.execute("delete from scores")
            if rows:
                self.sql.insert("scores", [r | {"run_id": run_id} for r in rows])
                history = [
                    {
                        "run_id": run_id,
                        "uid": r["uid"],
                        "score": r["score"],
                        "rank": r["rank"],
                        "components": r["components"],
                    }
                    for r in rows
                ]
                self.sql.upsert("score_history", history, ("run_id", "uid"))

    def scores(self) -> list[dict[str, Any]]:
        return list(self.sql.query("select * from scores order by rank is null, rank, uid"))

    def score(self, uid: str) -> dict[str, Any] | None:
        rows = list(self.sql.query("select * from scores where uid = ?", [uid]))
        return rows[0] if rows else None

    def previous_scores(self, before_run: int) -> dict[str, dict[str, Any]]:
        """Scores of the latest ranking run before ``before_run``, by uid."""
        rows = list(
            self.sql.query("select max(run_id) as r from score_history where run_id < ?", [before_run])
        )
        previous = rows[0]["r"] if rows else None
        if previous is None:
            return {}
        return {
            r["uid"]: r for r in self.sql.query("select * from score_history where run_id = ?", [previous])
        }

    def score_history(self, last_runs: int) -> list[dict[str, Any]]:
        """Scores and ranks of the last ``last_runs`` ranking runs, oldest first, each row with its run's
        start time (``at``)."""
        sql = (
            "select h.run_id, h.uid, h.score, h.rank, r.started_at as at from score_history h "
            "join runs r on r.id = h.run_id where h.run_id in "
            "(select distinct run_id from score_history order by run_id desc limit ?) order by h.run_id"
        )
        return list(self.sql.query(sql, [last_runs]))
