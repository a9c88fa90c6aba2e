"""A time and step budget per item for rule evaluation.

Each operation is bounded on its own (rules/typecheck.py caps a value's size, an exponent, an integer's
bits; the functions cap their arguments), and an expression has no loops and at most 2,000 characters, but
a few hundred bounded operations of 100,000 values each still add up to seconds per item, and a ranking of
25,000 items would take hours. So every function call and every size-growing operation charges the values
it touches (its arguments' lengths, the result's length) to the item being evaluated, and the charge fails
with :class:`BudgetSpent` once the item has used more than its steps or its seconds. That failure is the
item's evaluation error, reported per item like a division by zero; the run goes on with the next item.

The budget belongs to the thread evaluating (the ranking stage runs in one thread, and a daemon's pulls,
which run in others, evaluate nothing). No budget is charged before :func:`start_item` is called in a
thread, so evaluating outside an item loop (a rule check of a single expression) is not limited.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sized
from typing import Any

STEPS = 1_000_000  # values touched per item: a hundred times what the demo's rules touch on the busiest item
SECONDS = 0.5  # per item; the demo's rules take microseconds


class BudgetSpent(ValueError):
    """The item used more steps or time than its budget allows."""


class _Budget(threading.local):
    steps_left: int | None = None
    deadline: float = 0.0
    limits: tuple[int, float] = (STEPS, SECONDS)


_budget = _Budget()


def start_item(steps: int = STEPS, seconds: float = SECONDS) -> None:
    """A fresh budget for the next item evaluated in this thread."""
    _budget.steps_left = steps
    _budget.deadline = time.monotonic() + seconds
    _budget.limits = (steps, seconds)


def stop() -> None:
    """No budget in this thread any more (after an item loop)."""
    _budget.steps_left = None


def charge(steps: int) -> None:
    left = _budget.steps_left
    if left is None:
        return
    left -= steps
    _budget.steps_left = left
    if left < 0:
        raise BudgetSpent(f"the item's evaluation budget is spent: more than {_budget.limits[0]:,} steps")
    if time.monotonic() > _budget.deadline:
        raise BudgetSpent(f"the item's evaluation budget is spent: more than {_budget.limits[1]:g} s")


def size(value: Any) -> int:
    """The steps an operation on ``value`` costs: its length for text and collections, else one."""
    return len(value) if isinstance(value, Sized) and not isinstance(value, bytes) else 1


def charged(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` charging one step plus the length of each argument before it runs."""

    def call(*args: Any) -> Any:
        charge(1 + sum(size(a) for a in args))
        return function(*args)

    call.__name__ = getattr(function, "__name__", "function")
    call.__doc__ = function.__doc__
    return call
