"""Progress bars for long pulls and pushes, drawn on a terminal from the engine's events
(:mod:`sync.events`): one line per stream being pulled (pages and records so far) and one for the ops
being pushed. Off when stderr is not a terminal, with ``--log-format json`` and with ``-v``."""

from __future__ import annotations

import logging

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn


class ProgressHandler(logging.Handler):
    """A logging handler on the events logger that turns events into rich progress lines."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.INFO)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"),
            console=console,
            transient=True,
        )
        self.tasks: dict[tuple[str, str], TaskID] = {}
        self.started = False

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "event", None)
        fields = getattr(record, "fields", {})
        if event == "page":
            self._task(fields["connection"], fields["stream"], note=f"{fields['page']} page(s)").update(
                completed=fields["total_records"]
            )
        elif event == "stream_end":
            key = (fields["connection"], fields["stream"])
            if key in self.tasks:
                self.progress.remove_task(self.tasks.pop(key))
        elif event in ("op_applied", "op_failed"):
            self._task(fields["connection"], "push", note="").advance(1)

    def _task(self, connection: str, stream: str, note: str) -> _Task:
        if not self.started:
            self.progress.start()
            self.started = True
        key = (connection, stream)
        if key not in self.tasks:
            self.tasks[key] = self.progress.add_task(f"{connection} {stream}", total=None, note=note)
        else:
            self.progress.update(self.tasks[key], note=note)
        return _Task(self.progress, self.tasks[key])

    def close(self) -> None:
        if self.started:
            self.progress.stop()
            self.started = False
        super().close()


class _Task:
    def __init__(self, progress: Progress, task: TaskID) -> None:
        self.progress = progress
        self.task = task

    def update(self, completed: int) -> None:
        self.progress.update(self.task, completed=completed)

    def advance(self, steps: int) -> None:
        self.progress.advance(self.task, steps)
