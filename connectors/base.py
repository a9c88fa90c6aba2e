"""The connector contract (DESIGN §4).

A connector is built from its connection's config section and talks to one tracker:

* :meth:`Connector.streams` names what it reads (e.g. ``issues``); each stream has its own cursor.
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
* :meth:`Connector.apply` performs one :class:`Op`; :meth:`Connector.verify` re-reads the tracker to tell
  which ops already show their intended state (confirmation after a push, and the guard that keeps an op
  from being sent twice after a crash between send and journal).
* :meth:`Connector.check` verifies auth and budget for ``rankbridge doctor``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from connectors.errors import SkippableError, truncate
from connectors.policy import Policy, PolicySettings
from sync.model import Item, Op, OpResult, Records, StatusCategory


class PolicyConfig(BaseModel):
    """Retry and pacing bounds for one connection (see :mod:`connectors.policy`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attempts: int = Field(6, ge=1, le=20)
    base_wait: float = Field(0.5, ge=0)
    max_wait: float = Field(60.0, gt=0)
    timeout: float = Field(30.0, gt=0)
    slow_below: float = Field(0.1, ge=0, le=1)
    min_write_interval: float = Field(0.0, ge=0)

    def settings(self) -> PolicySettings:
        return PolicySettings(**self.model_dump())


class ConnectionConfig(BaseModel):
    """Settings every connection has; each service's config extends it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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


@dataclass(frozen=True)
class Page:
    """One page of raw payloads and the cursor to commit with them (None: keep the stored cursor)."""

    payloads: list[dict[str, Any]]
    cursor: str | None


@dataclass(frozen=True)
class RankScope:
    """One ordered list in a tracker (a Jira board's JQL, a GitHub project, a Linear team)."""

    name: str
    max_batch: int = 1  # how many adjacent moved items one rank op may carry


class Connector(ABC):
    """Base class of every connector; see the module docstring for the contract."""

    source: ClassVar[str]

    def __init__(self, name: str, config: ConnectionConfig) -> None:
        self.name = name
        self.config = config
        self.policy = Policy(config.policy.settings())

    def uid(self, native_id: str) -> str:
        return f"{self.name}:{native_id}"

    # reading
    @abstractmethod
    def streams(self) -> list[str]: ...

    @abstractmethod
    def pull(self, stream: str, cursor: str | None, run_started: datetime) -> Iterator[Page]: ...

    @abstractmethod
    def normalize(self, stream: str, payload: Mapping[str, Any]) -> Records: ...

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
        position), ``linked_status`` (for feedback: the status of the work it asks for). The current value
        of each is normalised into ``Item.fields[<logical name>]`` so the planner writes only what differs."""
        return {"score"} if self.config.score_field else set()

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

    @abstractmethod
    def apply(self, op: Op) -> OpResult: ...

    @abstractmethod
    def verify(self, ops: list[Op]) -> dict[str, bool]: ...

    # replaying saved payloads (`rankbridge import`)
    def replay(self, document: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        """(stream, payload) pairs from a saved API response or a list of payloads, for the first stream.
        Connectors whose responses nest records differently override this."""
        stream = self.streams()[0]
        yield from ((stream, payload) for payload in find_records(document))

    # operations
    @abstractmethod
    def check(self) -> dict[str, Any]: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release HTTP sessions."""

    def request_count(self) -> int:
        """Requests sent so far (for status output and metrics); connectors that count override this."""
        return 0


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


@contextmanager
def malformed_payload(stream: str, payload: Any) -> Iterator[None]:
    """Run a normaliser: a payload that is not an object, or whose shape makes it fail, is a
    :class:`SkippableError` naming the stream, the payload's id and the cause (truncated)."""
    if not isinstance(payload, Mapping):
        raise SkippableError(f"{stream} payload is not an object ({type(payload).__name__})")
    try:
        yield
    except MALFORMED as exc:
        ident = truncate(repr(payload.get("id") or payload.get("key")), 40)
        reason = f"malformed {stream} payload {ident}: {type(exc).__name__}: {exc}"
        raise SkippableError(truncate(reason)) from exc


RECORD_KEYS = ("issues", "tickets", "items", "results", "nodes", "values")


def find_records(document: Any) -> list[dict[str, Any]]:
    """The records inside a saved response: a list of objects, or the first list under a known key
    (``issues``, ``tickets``, ``nodes``…), searched through nested objects such as GraphQL's ``data``."""
    if isinstance(document, list):
        return [d for d in document if isinstance(d, dict)]
    if not isinstance(document, dict):
        return []
    for key in RECORD_KEYS:
        value = document.get(key)
        if isinstance(value, list):
            return [d for d in value if isinstance(d, dict)]
    for value in document.values():
        found = find_records(value) if isinstance(value, dict) else []
        if found:
            return found
    return []
