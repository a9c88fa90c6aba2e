"""The store: SQLite (a file, the default) or PostgreSQL behind a narrow interface (:class:`Store`);
nothing else writes SQL.

``backend`` (the one interface the SQL goes through, with ``sqlite`` and ``postgres`` implementing it),
``base`` (write transactions, page batches), ``migrations`` (named migrations, each dialect's DDL),
``copy`` (a whole store into another), ``writelog``
(outbox, journal, pushed values), ``runlog`` (runs and scores), ``echo`` (our own writes coming back),
``jsontext`` (stored JSON text) and ``records`` (items, links, customers, cursors) are its parts;
importers use the names exported here.
"""

from sync.store.records import PageStats, Snapshot, Store

__all__ = ["PageStats", "Snapshot", "Store"]
