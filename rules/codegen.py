"""The engine's per-run function: every expression an item needs, evaluated in one call.

The function is generated once per rule set: the names the expressions use become local variables computed
from :data:`rules.inputs.SOURCES` (fixed text of ours), and the expressions go in as their checked, guarded
syntax trees (never as text), so the same checks hold as for :class:`rules.expressions.Evaluator`.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rules.expressions import Compiled
from rules.inputs import CLOSED, EMPTY, LOOKUPS, SOURCES, Facts, days_between, due_in_days, uses
from rules.typecheck import GUARDS
from sync.model import Item

# What generated code may call besides the expression functions (none of it reachable from rule text:
# expressions are checked against the vocabulary and the whitelisted functions before they compile).
HELPERS: dict[str, Any] = {
    "due_in_days": due_in_days,
    "days_between": days_between,
    "CLOSED": CLOSED,
    "EMPTY": EMPTY,
    "len": len,
    "sum": sum,
    "all": all,
    "bool": bool,
    "sorted": sorted,
}


def rules_function(
    expressions: Sequence[Compiled], functions: Mapping[str, Callable[..., Any]]
) -> Callable[[Item, Facts], tuple[Any, ...]]:
    """One generated function per rule set: it computes the names the ``expressions`` use as local
    variables (from :data:`SOURCES`) and returns the tuple of their values; the fastest way to run many
    rules over many items. The expressions go in as their checked, guarded syntax trees."""
    wanted = sorted({n for c in expressions for n in c.names} & set(SOURCES))
    lookups = [line for var, line in LOOKUPS.items() if any(uses(SOURCES[n], var) for n in wanted)]
    lines = ["def _rules(i, f):", *(f"    {line}" for line in lookups)]
    lines += [f"    {name} = {SOURCES[name]}" for name in wanted]
    module = ast.parse("\n".join([*lines, "    return ()"]))
    definition = module.body[0]
    assert isinstance(definition, ast.FunctionDef) and isinstance(definition.body[-1], ast.Return)
    bodies: list[ast.expr] = [copy.deepcopy(c.guarded.body) for c in expressions]
    definition.body[-1].value = ast.Tuple(elts=bodies, ctx=ast.Load())
    namespace: dict[str, Any] = {"__builtins__": {}, **HELPERS, **functions, **GUARDS}
    exec(compile(ast.fix_missing_locations(module), "<rules>", "exec"), namespace)
    function: Callable[[Item, Facts], tuple[Any, ...]] = namespace["_rules"]
    return function
