"""Copy a whole store into another (``rankbridge store copy --to URL``): SQLite into PostgreSQL, or any
backend into any.

The source is read in one read-only snapshot, so the copy is one consistent state even if something wrote
meanwhile (the command also holds the source's writer lock); the target is written in one transaction,
so it holds either the whole copy or nothing. Both stores have had the same named migrations (opening a
store applies them), so their tables and columns match; ids keep their values, and the target's next ids
follow them. A target that holds rows is refused unless ``replace`` says to empty it first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sync.errors import UsageError
from sync.store.records import Store

BATCH = 2000  # rows read and written at a time
ID_TABLES = ("runs", "journal")  # tables whose ids the database assigns


class TargetNotEmpty(UsageError):
    """The target store already holds rows (a copy would mix two histories)."""

    label = "refusing: "


@dataclass
class CopyReport:
    source: str
    target: str
    rows: dict[str, int] = field(default_factory=dict)  # rows copied, per table
    replaced: dict[str, int] = field(default_factory=dict)  # rows the target held before, per table

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def copy_store(source: Store, target: Store, replace: bool = False) -> CopyReport:
    """Copy every table of ``source`` into ``target``; the rows copied per table."""
    report = CopyReport(source.location, target.location)
    tables = [t for t in source.sql.tables() if t in set(target.sql.tables())]
    held = {t: n for t in target.sql.tables() if (n := target.sql.count(t))}
    if held and not replace:
        listed = ", ".join(f"{t} {n}" for t, n in sorted(held.items()))
        raise TargetNotEmpty(
            f"the target store {target.location} holds rows ({listed}); pass --replace to empty it first"
        )
    source.sql.begin_snapshot()
    try:
        target.sql.begin()
        try:
            for table in held:
                target.sql.execute(f'delete from "{table}"')
            for table in tables:
                report.rows[table] = _copy_table(source, target, table)
            for table in ID_TABLES:
                if table in tables:
                    target.sql.ids_assigned(table)
        except BaseException:
            target.sql.rollback()
            raise
        target.sql.commit()
    finally:
        source.sql.rollback()
    report.replaced = held
    return report


def _copy_table(source: Store, target: Store, table: str) -> int:
    columns = [c for c in source.sql.columns(table) if c in set(target.sql.columns(table))]
    names = ", ".join(f'"{c}"' for c in columns)
    copied = 0
    for chunk in source.sql.batches(f'select {names} from "{table}"', BATCH):
        target.sql.insert(table, [dict(zip(columns, row, strict=True)) for row in chunk])
        copied += len(chunk)
    return copied
