"""Where command output goes: rich text for people, or with ``--log-format json`` one JSON line per
message, table or result, so that a log pipeline reads every line as JSON.

:class:`JsonLines` stands in for the rich :class:`~rich.console.Console` the commands print to: a string
becomes ``{"event": "output", "message": ...}`` (markup removed), a table ``{"event": "table", "title":
..., "rows": [{column: cell}, ...]}``, ``print_json`` data ``{"event": "result", "data": ...}``.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import IO, Any

from rich.console import Console
from rich.errors import MarkupError
from rich.table import Table
from rich.text import Text


def stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class JsonLines(Console):
    """A console that writes JSON lines (see the module docstring)."""

    def __init__(self, stderr: bool = False) -> None:
        super().__init__(stderr=stderr)
        self.level = "error" if stderr else "info"

    @property
    def stream(self) -> IO[str]:
        return sys.stderr if self.stderr else sys.stdout

    def emit(self, event: str, **fields: Any) -> None:
        entry = {"time": stamp(), "level": self.level, "event": event, **fields}
        self.stream.write(json.dumps(entry, default=str) + "\n")
        self.stream.flush()

    def print(self, *objects: Any, markup: bool | None = None, **_: Any) -> None:
        for thing in objects:
            if isinstance(thing, Table):
                self.emit("table", title=plain(thing.title), rows=table_rows(thing))
            elif markup is False:
                self.emit("output", message=str(thing))
            else:
                self.emit("output", message=plain(thing))

    def print_json(self, json: str | None = None, *, data: Any = None, **_: Any) -> None:
        self.emit("result", data=data if json is None else _loads(json))

    def rule(self, title: Any = "", **_: Any) -> None:
        self.emit("output", message=plain(title))


def _loads(text: str) -> Any:
    return json.loads(text)


CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if chr(c) not in "\n\t"}


def safe(value: Any) -> Text:
    """Text from a tracker (a title, a status, a key, an error) for the terminal: control characters (an
    escape sequence, a carriage return) shown as ``\\xNN``, and never read as rich markup."""
    return Text(str(value if value is not None else "").translate(CONTROL))


def plain(thing: Any) -> str:
    """The text of a message without rich markup."""
    if thing is None:
        return ""
    if isinstance(thing, Text):
        return thing.plain
    if isinstance(thing, str):
        try:
            return Text.from_markup(thing).plain if "[" in thing else thing
        except MarkupError:
            return thing
    return str(thing)


def table_rows(table: Table) -> list[dict[str, str]]:
    headers = [plain(column.header) for column in table.columns]
    cells = [[plain(cell) for cell in column.cells] for column in table.columns]
    return [dict(zip(headers, row, strict=True)) for row in zip(*cells, strict=True)]


def consoles(log_format: str) -> tuple[Console, Console]:
    """The (stdout, stderr) consoles of one invocation."""
    if log_format == "json":
        return JsonLines(), JsonLines(stderr=True)
    out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 150)
    return out, Console(stderr=True, soft_wrap=True)
