"""The connector contract (DESIGN §4).

A connector is built from its connection's config section and talks to one tracker:

* :meth:`Connector.stream_table` declares what it reads as data: stream name → :class:`Stream` (how it is
  pulled, how one payload becomes records); ``streams``, ``pull`` and ``normalize`` are derived from it, so
  an unknown stream is the same :class:`UnknownStream` everywhere. Each stream has its own cursor; streams
  that read by update time use :class:`connectors.cursor.IncrementalCursor`, and every stream pages through
  the one loop of :mod:`connectors.paging` over the HTTP skeleton of :mod:`connectors.http`.
* :meth:`Connector.pull` yields :class:`Page` objects: raw payloads plus the cursor that is safe to commit
  once those payloads are stored. Cursor semantics, shared by every connector:

  - the start is *closed*: a pull from cursor ``c`` re-reads items updated exactly at ``c``, and the store
    de-duplicates the overlap by ``uid``;
  - a cursor only moves forward and never past the run's start time (``run_started``), so an item updated
    while we page is read again next run rather than skipped;
  - the caller commits each page's records and its cursor in one transaction (possibly with the pages
    before it), so a crash loses at most the uncommitted pages, which the next run reads again.

* :meth:`Connector.normalize` is pure: one raw payload → :class:`Records`, or :class:`SkippableError`
  (normalisers run inside :func:`malformed_payload`, which turns what bad data makes Python raise into it).
* :meth:`Connector.scope_of` and :meth:`Connector.order_key` tell the planner which rank scope an item is
  ordered in and how the tracker orders it; :meth:`Connector.current_order` reads that order live.
* :meth:`Connector.apply` performs one :class:`Op` through the connector's writer, under the one rule for
  failure (an auth failure stops the connection; any other failure is that op's failed result);
  :meth:`Connector.verify` re-reads the tracker to tell
  which ops already show their intended state (confirmation after a push, and the guard that keeps an op
  from being sent twice after a crash between send and journal).
* :meth:`Connector.check` verifies auth and budget for ``rankbridge doctor`` and raises when they fail.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from connectors.errors import (
    AuthError,
    ConnectorError,
    Gone,
    SkippableError,
    Unanswered,
    UnknownStream,
    register_secret,
    truncate,
)
from connectors.policy import Policy, PolicySettings
from sync.model import Item, Op, OpResult, Records, StatusCategory


class PolicyConfig(BaseModel):
    """Retry and pacing bounds for one connection (see :mod:`connectors.policy`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attempts: int = Field(6, ge=1, le=20)
    base_wait: float = Field(0.5, ge=0)
    max_wait: float = Field(60.0, gt=0)
    timeout: float = Field(30.0, gt=0, description="seconds one read of a socket may take")
    deadline: float = Field(120.0, gt=0, description="seconds a whole request may take, body included")
    slow_below: float = Field(0.1, ge=0, le=1)
    min_write_interval: float = Field(0.0, ge=0)

    def settings(self) -> PolicySettings:
        return PolicySettings(**self.model_dump())


class ConnectionConfig(BaseModel):
    """Settings every connection has; each service's config extends it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    # Values for required settings when no connection is configured (``rankbridge import`` builds a
    # connector that is never contacted); settings not named here get inert placeholders.
    offline: ClassVar[dict[str, Any]] = {}

    type: str
    url: str
    interval: int = Field(300, ge=1, description="seconds between pulls in the daemon")
    staleness: int = Field(3600, ge=1, description="seconds after which /healthz reports this connection")
    policy: PolicyConfig = PolicyConfig()
    push_rank: bool = True
    score_field: str | None = None
    score_precision: float = Field(0.01, ge=0)
    respect_manual: bool = True
    status_map: dict[str, StatusCategory] = Field(default_factory=dict)
    fields: dict[str, str] = Field(default_factory=dict, description="custom field name -> native field id")
    full_read_hours: float = Field(
        24.0,
        ge=0,
        description="hours between whole re-reads of the item streams (how deleted items are found); "
        "0: only the first pull reads them whole",
    )
    max_pages: int = Field(10_000, ge=1, description="pages one read of a stream may take before it stops")
    stream_max_pages: dict[str, int] = Field(default_factory=dict, description="stream name -> its own cap")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        """The tracker's address: http(s) with a host, no blanks (anything else fails in the HTTP client,
        far from the config, or with a traceback)."""
        try:
            parts = urlsplit(value)
            host = parts.hostname
        except ValueError as exc:  # e.g. an unclosed [IPv6 bracket
            raise ValueError(f"not a URL ({exc}); write it as https://host") from None
        if parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in value):
            raise ValueError(
                "must be an http:// or https:// URL with a host, e.g. https://acme.atlassian.net"
            )
        return value

    def page_cap(self, stream: str) -> int:
        """The page cap of ``stream`` (reads that loop or never end stop there with a clear error)."""
        return self.stream_max_pages.get(stream, self.max_pages)


@dataclass(frozen=True)
class Page:
    """One page of raw payloads and the cursor to commit with them (None: keep the stored cursor)."""

    payloads: list[dict[str, Any]]
    cursor: str | None


def every_item(item: Item) -> bool:
    """``Stream.holds`` of a stream that reads every item of its connection."""
    return True


@dataclass(frozen=True)
class Stream:
    """One stream of a connector, declared as data: how it is read from a cursor, how one of its
    payloads becomes records, and which stored items a whole read of it lists.

    ``holds`` (None: the stream lists no items whose absence means anything, e.g. a board or organisations)
    tells, of a stored item of the connection, whether a read of this stream from no cursor returns it
    while it exists: its scope and filters (a repository, teams, a start time). After such a read
    completes, the held items it did not list are gone (:mod:`sync.pull.absence`)."""

    pull: Callable[[str | None, datetime], Iterator[Page]]
    normalize: Callable[[Mapping[str, Any]], Records]
    holds: Callable[[Item], bool] | None = None


class Writer(Protocol):
    """The write side of a connector: performs one op, and re-reads the tracker to judge ops."""

    def apply(self, op: Op) -> OpResult: ...

    def verify(self, ops: list[Op]) -> dict[str, bool]: ...


class Client(Protocol):
    """The HTTP side of a connector: counts what it sends and owns its sessions."""

    requests: int

    def close(self) -> None: ...


@dataclass(frozen=True)
class RankScope:
    """One ordered list in a tracker (a Jira board's JQL, a GitHub project, a Linear team)."""

    name: str
    max_batch: int = 1  # how many adjacent moved items one rank op may carry


class Connector(ABC):
    """Base class of every connector; see the module docstring for the contract."""

    source: ClassVar[str]
    # The op kinds (sync.model.OpKind values) this tracker can take: `rules check` refuses a rule whose
    # writes would reach a connection that cannot take them, instead of every sync failing the op.
    op_kinds: ClassVar[frozenset[str]]
    client: Client
    writer: Writer

    def __init__(self, name: str, config: ConnectionConfig) -> None:
        self.name = name
        self.config = config
        self.policy = Policy(config.policy.settings())
        users = tuple(
            str(getattr(config, f)) for f in ("email", "user", "username") if getattr(config, f, None)
        )
        for value in dict(config).values():  # every secret of the section, for provider text that quotes it
            if isinstance(value, SecretStr):
                register_secret(value.get_secret_value(), users)

    def uid(self, native_id: str) -> str:
        return f"{self.name}:{native_id}"

    # reading
    @abstractmethod
    def stream_table(self) -> Mapping[str, Stream]:
        """Every stream this connection reads, by name, in the order they are pulled."""

    def streams(self) -> list[str]:
        return list(self.stream_table())

    def stream(self, name: str) -> Stream:
        """The stream called ``name``; :class:`UnknownStream` (the same for every connector) otherwise."""
        # The table follows from the connection's config alone, so it is built once: normalize() looks a
        # stream up for every record.
        table = self.__dict__.get("_stream_table")
        if table is None:
            table = self.__dict__["_stream_table"] = self.stream_table()
        if name not in table:
            known = ", ".join(table) or "none"
            raise UnknownStream(
                f"{self.source} connection {self.name!r} has no stream {name!r} (streams: {known})"
            )
        return table[name]

    def pull(self, stream: str, cursor: str | None, run_started: datetime) -> Iterator[Page]:
        return self.stream(stream).pull(cursor, run_started)

    def normalize(self, stream: str, payload: Mapping[str, Any]) -> Records:
        normalizer = self.stream(stream).normalize
        with malformed_payload(stream, payload):
            return normalizer(payload)

    # ordering
    def scopes(self) -> list[RankScope]:
        return []

    def scope_of(self, item: Item) -> str | None:
        return None

    def order_key(self, item: Item) -> Any:
        return item.native_rank or ""

    def current_order(self, scope: str) -> list[str]:
        raise NotImplementedError(f"{self.source} has no rank scopes")

    # writing
    def writable_fields(self) -> set[str]:
        """Logical fields this connection writes back: ``score`` (the item's score), ``rank`` (its unified
        position), ``linked_status`` (for feedback: the status of the work it asks for), ``report`` (the
        link to the item's page in the HTML report, where the connection's ``fields`` name a place for it).
        The current value of each is normalised into ``Item.fields[<logical name>]`` so the planner writes
        only what differs."""
        names = {"score"} if self.config.score_field else set()
        if "report" in self.config.fields:  # a field for the link to the item's report page
            names.add("report")
        return names

    def field_batch(self) -> int:
        """How many items' field changes one bulk request may carry (0: one ``field`` op per value)."""
        return 0

    def quiet_fields(self, item: Item) -> set[str]:
        """Fields not worth a write on their own for this item (Zendesk: a solved ticket's rank)."""
        return set()

    def priority_shares(self) -> list[float]:
        """Shares of the connection's ranked items that get priority 1, 2, 3 (fractions < 1 or counts),
        the rest the lowest; empty unless the connection writes the tracker's own priority field."""
        return []

    def can_write(self, item: Item) -> bool:
        """Whether the tracker accepts writes to this item at all (Zendesk: closed tickets are read-only)."""
        return not item.deleted

    def derived_fields(self, item: Item, score: float, rank: int) -> dict[str, Any]:
        """Values this tracker derives from an item's score and rank, by logical field name: ``score``
        (rounded) and ``rank`` by default, or nothing for items it cannot write to. ``priority`` is never
        derived from one item: the planner maps rank within the connection (:meth:`priority_shares`)."""
        return {"score": round(score, 2), "rank": rank}

    def apply(self, op: Op) -> OpResult:
        """Perform one op. The one rule for failure, the same in every connector: an auth failure stops
        the connection (:class:`AuthError` propagates, and the pusher sends nothing more to it); a write
        that got no answer propagates as :class:`Unanswered` (it may have taken effect: the pusher asks the
        tracker before sending it again); any other failure is this op's failed result, and the push goes
        on with the next op."""
        try:
            return self.writer.apply(op)
        except (AuthError, Unanswered):
            raise
        except ConnectorError as exc:
            detail = f"{type(exc).__name__}: {exc}"
            items = [str(i) for i in op.payload.get("items") or [op.payload.get("item")] if i is not None]
            gone: list[str] = []
            if isinstance(exc, Gone):  # the item named by the error, else the op's one item
                gone = [exc.native_id] if exc.native_id else items if "item" in op.payload else []
            return OpResult(False, detail, failed=dict.fromkeys(items, detail), gone=gone)

    def verify(self, ops: list[Op]) -> dict[str, bool]:
        return self.writer.verify(ops)

    # replaying saved payloads (`rankbridge import`)
    def replay_shapes(self) -> list[Shape]:
        """How a saved response of each stream is recognised, declared next to :meth:`stream_table`."""
        return []

    def replay(self, document: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        """(stream, payload) pairs of a saved API response, routed by the first shape that matches it;
        :class:`UnrecognisedFile`, naming the shapes this service accepts, when none does."""
        shapes = self.replay_shapes()
        for shape in shapes:
            routed = shape.route(document)
            if routed is not None:
                yield from routed
                return
        accepted = "; ".join(shape.describes for shape in shapes) or "none"
        raise UnrecognisedFile(f"not a saved {self.source} response this can import (accepted: {accepted})")

    # operations
    @abstractmethod
    def check(self) -> dict[str, Any]:
        """Auth, permissions and budget for ``rankbridge doctor``: a report of what was found, or an error
        (:class:`AuthError` for a rejected credential) when the connection cannot work. Never a report
        that says it failed: ``doctor`` exits 1 on the error."""

    def close(self) -> None:
        self.client.close()

    def request_count(self) -> int:
        """Requests sent so far (for status output and metrics)."""
        return self.client.requests


# What a normaliser raises on data of the wrong shape: missing keys, wrong types, unparsable or out-of-range
# values (``int(inf)``, a year 10**9 timestamp), structures nested past the interpreter's limit.
MALFORMED = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    IndexError,
    OverflowError,
    OSError,
    RecursionError,
)


IDENTITY_KEYS = ("key", "identifier", "id")  # what names a payload in a message, most readable first


@contextmanager
def malformed_payload(stream: str, payload: Any) -> Iterator[None]:
    """Run a normaliser: a payload that is not an object, or whose shape makes it fail, is a
    :class:`SkippableError` naming the stream, the payload's id and the cause (truncated)."""
    if not isinstance(payload, Mapping):
        raise SkippableError(f"{stream} payload is not an object ({type(payload).__name__})")
    try:
        yield
    except MALFORMED as exc:
        ident = truncate(repr(next((payload[k] for k in IDENTITY_KEYS if payload.get(k)), None)), 40)
        reason = f"malformed {stream} payload {ident}: {type(exc).__name__}: {exc}"
        raise SkippableError(truncate(reason)) from exc


class UnrecognisedFile(ValueError):
    """A file ``rankbridge import`` cannot route to a stream: none of the service's shapes matches it."""


def rows_at(document: Any, path: tuple[str, ...]) -> list[dict[str, Any]] | None:
    """The objects of the list found by following ``path`` (keys) into ``document``; None when the path
    does not lead to a list (the document is not of that shape)."""
    value = document
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else None


@dataclass(frozen=True)
class Shape:
    """One kind of saved response ``rankbridge import`` accepts: the list of records found at ``path``
    (root keys, e.g. GraphQL's ``data``, ``issues``, ``nodes``) goes to ``stream``; ``describes`` names it
    in the message for a file of no known shape. ``route`` may be replaced where records need work first
    (Zendesk folds a ticket export's side-loads in; GitHub names the stream by the issues' repository)."""

    stream: str
    path: tuple[str, ...]
    describes: str
    routed: Callable[[Any], list[tuple[str, dict[str, Any]]] | None] | None = None

    def route(self, document: Any) -> list[tuple[str, dict[str, Any]]] | None:
        if self.routed is not None:
            return self.routed(document)
        rows = rows_at(document, self.path)
        return None if rows is None else [(self.stream, row) for row in rows]
