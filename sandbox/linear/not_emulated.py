"""Linear operations and fields the sandbox does not serve answer 501 naming them, as the REST emulators'
undocumented-here operations do (sandbox.framework), instead of GraphQL's validation error, which reads like
a typo ("Cannot query field 'issueCreate' on type 'Mutation'").

``not_emulated.txt`` lists them by name: every field, argument and input field of Linear's official schema
(linear/schema.graphql) on a type the sandbox declares that the sandbox leaves out (mutations it does not
perform, fields whose types it does not serve, ``sort`` arguments). A name outside the list (a typo) keeps
the validation error.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from importlib import resources

PATTERNS = (
    (re.compile(r"^Cannot query field '(\w+)' on type '(\w+)'"), "{1}.{0}"),
    (re.compile(r"^Unknown argument '(\w+)' on field '(\w+)\.(\w+)'"), "{1}.{2}({0}:)"),
    (re.compile(r"Expected value of type '(\w+)!?' not to include unknown field '(\w+)'"), "{0}.{1}"),
)


@functools.cache
def names() -> frozenset[str]:
    text = resources.files("sandbox.linear").joinpath("not_emulated.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def named(message: str) -> str | None:
    """The official name a validation or input error is about, when the sandbox leaves it out on purpose."""
    for pattern, form in PATTERNS:
        found = pattern.search(message)
        if found:
            name = form.format(*found.groups())
            return name if name in names() else None
    return None


def not_emulated(messages: Iterable[str]) -> list[str]:
    """The names the errors are about when every one of them is a name left out on purpose, else []."""
    found = [named(m) for m in messages]
    return [n for n in found if n] if found and all(found) else []
