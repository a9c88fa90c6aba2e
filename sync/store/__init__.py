"""The store: one SQLite file behind a narrow interface (:class:`Store`); nothing else writes SQL.

``base`` (the file, write transactions, page batches), ``migrations`` (named migrations), ``writelog``
(outbox, journal, pushed values), ``runlog`` (runs and scores), ``echo`` (our own writes coming back),
``jsontext`` (stored JSON text) and ``records`` (items, links, customers, cursors) are its parts;
importers use the names exported here.
"""

from sync.store.records import PageStats, Snapshot, Store

__all__ = ["PageStats", "Snapshot", "Store"]
