"""References a person types (``explain ENG-16``, ``explain linear:ENG-16``, a uid, a URL) resolved to
exactly one item, and keys shown so that nobody mixes two items up.

Accepted forms:

* ``CONNECTION:KEY``, CONNECTION a connection of the config or of the store: that connection's item with
  that key (``jira:ENG-16``, ``linear:ENG-16``, ``github:acme/app#5``, ``zendesk:102`` or ``zendesk:#102``),
  else its item with that native id (which makes every uid a reference too);
* a bare key (``ENG-16``, ``acme/app#5``, ``#102``): the item with that key. When items of several
  connections have it, :class:`AmbiguousRef` lists their qualified references and nothing is guessed;
* an item's URL.

Deleted items are found only when nothing else is.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sync.errors import ExitCode, RankbridgeError
from sync.model import Item, qualified_ref
from sync.store import Store

__all__ = ["AmbiguousRef", "RefError", "UnknownRef", "candidates", "label", "resolve", "shared_keys"]


class RefError(RankbridgeError, LookupError):
    """A reference that names no item (exit 1), or more than one (exit 2)."""


class UnknownRef(RefError):
    def __init__(self, text: str) -> None:
        super().__init__(f"{text}: no item has this key, qualified reference, uid or URL")
        self.text = text


class AmbiguousRef(RefError):
    exit_code = ExitCode.USAGE

    def __init__(self, text: str, refs: list[str]) -> None:
        super().__init__(
            f"{text} names {len(refs)} items; say which with a qualified reference: {', '.join(refs)}"
        )
        self.text = text
        self.candidates = refs


def split_ref(text: str, connections: Collection[str]) -> tuple[str | None, str]:
    """``(connection, key)`` when ``text`` starts with a known connection name and a colon, else
    ``(None, text)`` (a bare key, or a URL whose scheme is no connection)."""
    connection, colon, key = text.partition(":")
    if colon and key and connection in connections:
        return connection, key
    return None, text


def candidates(store: Store, text: str, connections: Collection[str] = ()) -> list[Item]:
    """Every item ``text`` may name (see the module's docstring), qualified references sorted."""
    text = text.strip()
    known = set(connections) | set(store.connection_names())
    connection, key = split_ref(text, known)
    if connection is not None:
        spellings = [key, f"#{key}"] if key.isdigit() else [key]
        found = [i for i in store.items_named(spellings, connection=connection)]
        if not found:
            found = store.items_named([], connection=connection, uids=[f"{connection}:{key}"])
    else:
        found = store.items_named([text], uids=[text], urls=[text.rstrip("/")])
    live = [i for i in found if not i.deleted]
    return sorted(live or found, key=qualified_ref)


def resolve(store: Store, text: str, connections: Collection[str] = ()) -> Item:
    """The one item ``text`` names; :class:`UnknownRef` or :class:`AmbiguousRef` otherwise."""
    found = candidates(store, text, connections)
    if not found:
        raise UnknownRef(text)
    if len(found) > 1:
        raise AmbiguousRef(text, [qualified_ref(i) for i in found])
    return found[0]


def shared_keys(items: Iterable[Item]) -> frozenset[str]:
    """Keys that items of more than one connection have (shown qualified wherever they appear)."""
    seen: dict[str, str] = {}
    shared: set[str] = set()
    for item in items:
        first = seen.setdefault(item.key, item.connection)
        if first != item.connection:
            shared.add(item.key)
    return frozenset(shared)


def label(item: Item, shared: Collection[str]) -> str:
    """How a table or note names ``item``: its key, or its qualified reference when the key is shared."""
    return qualified_ref(item) if item.key in shared else item.key
