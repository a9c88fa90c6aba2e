"""The fault injector's knobs (:class:`Faults`, set through ``POST /_sandbox/faults``) and the faults that
reshape an answer after the emulator made it (:class:`Reshaper`): test-only behaviours of a hostile or
broken server, never applied to ``/_sandbox/``.

Failures before handling (the framework's ``_fault``): 5xx, 429 storms, latency, dropped connections.
Reshaped answers (here): a server that sends an endpoint's first answer again (so its client is sent back
to an earlier cursor, token or link), record lists that are null, a redirect or an empty 200 instead of
the answer, a value nested thousands deep, and a body trickled a few bytes a second.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BufferedIOBase
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.framework import Request, Response

REDIRECT_TO = "https://elsewhere.example/moved"


@dataclass
class Faults:
    """What the fault injector does to API requests (never to ``/_sandbox/``)."""

    error_rate: float = 0.0
    error_status: int = 500
    rate_limit_rate: float = 0.0
    retry_after: float = 1.0
    subsecond: bool = False  # send Retry-After under 1 s as it is ("0.2") instead of rounding up to 1
    latency: float = 0.0  # seconds to wait before handling a request (a client gone by then: 499)
    response_delay: float = 0.0  # seconds to wait after applying a write, before answering it
    malformed_rate: float = 0.0
    drop_rate: float = 0.0
    only_writes: bool = False
    remaining: int | None = None  # apply to the next N API requests only; None: until changed
    seed: int = 0
    # Reshaped answers (Reshaper):
    loop_after: int | None = None  # after N answers of one endpoint, each later one repeats its first
    null_records: bool = False  # every record list of an answer (the emulator's record_keys) is null
    shape: str | None = None  # "redirect" (302 to another host) or "empty" (200 without a body)
    deep_marker: str | None = None  # a string value equal to this is sent as arrays nested deep_depth
    deep_depth: int = 3000
    trickle: float = 0.0  # bytes per second of an answer's body (0: all at once)


@dataclass
class Reshaper:
    """Applies the reshaping faults of one :class:`Faults` setting; remembers each endpoint's first answer."""

    faults: Faults
    record_keys: tuple[str, ...] = ()  # where the emulator's answers hold records ("" : the body itself)
    first: dict[tuple[str, str], tuple[int, bytes, dict[str, str]]] = field(default_factory=dict)
    answered: dict[tuple[str, str], int] = field(default_factory=dict)

    def reshape(self, request: Request, response: Response, make: Callable[..., Response]) -> Response:
        f = self.faults
        if f.shape == "redirect":
            return make(302, None, {"Location": REDIRECT_TO})
        if f.shape == "empty":
            return make(200, None, {})
        if f.null_records and response.status == 200:
            body = json.loads(response.encoded() or b"null")  # some answers are encoded already (ETags)
            whole_list = "" in self.record_keys and isinstance(body, list)
            response.body = b"null" if whole_list else _nulled(body, set(self.record_keys))
        if f.deep_marker:
            deep = b"[" * f.deep_depth + b"]" * f.deep_depth
            response.body = response.encoded().replace(json.dumps(f.deep_marker).encode(), deep)
        if f.loop_after is not None and response.status == 200:
            response = self._looped(request, response, make)
        response.trickle = f.trickle
        return response

    def _looped(self, request: Request, response: Response, make: Callable[..., Response]) -> Response:
        endpoint = (request.method, request.path)
        count = self.answered[endpoint] = self.answered.get(endpoint, 0) + 1
        if count == 1:
            self.first[endpoint] = (response.status, response.encoded(), dict(response.headers))
            return response
        if self.faults.loop_after is None or count <= self.faults.loop_after:
            return response
        status, body, headers = self.first[endpoint]
        return make(status, body, dict(headers))


def write_trickled(out: BufferedIOBase, payload: bytes, rate: float) -> None:
    """Write ``payload`` at ``rate`` bytes a second (each byte arrives well within a read timeout), or at
    once when ``rate`` is 0."""
    if not rate:
        out.write(payload)
        return
    for index in range(len(payload)):
        out.write(payload[index : index + 1])
        out.flush()
        time.sleep(1 / rate)


def _nulled(value: Any, keys: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: None if k in keys else _nulled(v, keys) for k, v in value.items()}
    if isinstance(value, list):
        return [_nulled(v, keys) for v in value]
    return value
