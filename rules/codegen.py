"""The engine's per-run function: every expression an item needs, evaluated in one call.

The function is generated once per rule set: the names the expressions use become local variables computed
from :data:`rules.inputs.SOURCES` (fixed text of ours), and the expressions go in as their checked, guarded
syntax trees (never as text), so the same checks hold as for :class:`rules.expressions.Evaluator`.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Mapping, Sequence
from math import isfinite
from typing import Any

from rules.expressions import Compiled
from rules.inputs import LOOKUPS, SOURCE_HELPERS, SOURCES, Facts, uses
from rules.typecheck import GUARDS
from sync.model import Item

NUMBERS = (int, float)

# What generated code may call besides the expression functions (none of it reachable from rule text:
# expressions are checked against the vocabulary and the whitelisted functions before they compile).
HELPERS: dict[str, Any] = {
    **SOURCE_HELPERS,
    "len": len,
    "sum": sum,
    "all": all,
    "bool": bool,
    "sorted": sorted,
}


def usable(value: Any) -> bool:
    """Whether an input's value is a number a score can use (None, text, a bool, inf or NaN are not)."""
    return type(value) in NUMBERS and isfinite(value)


def impute(values: list[Any], fallbacks: Sequence[float]) -> int:
    """Replace each unusable value by its fallback, in place; the imputed inputs as a bit mask (bit k:
    input k). The generated function does the same inline (see :data:`IMPUTE`)."""
    imputed = 0
    for index, value in enumerate(values):
        if not usable(value):
            values[index] = fallbacks[index]
            imputed |= 1 << index
    return imputed


# The inline form of :func:`impute` for input k (fixed text; ``k`` and ``bit`` are integers of ours).
IMPUTE = (
    "    if _type(_value{k}) not in _NUMBERS or not _isfinite(_value{k}):\n"
    "        _value{k} = _fallbacks[{k}]\n"
    "        _imputed |= {bit}"
)
_IMPUTING: dict[str, Any] = {"_type": type, "_NUMBERS": NUMBERS, "_isfinite": isfinite}


def rules_function(
    inputs: Sequence[Compiled],
    others: Sequence[Compiled],
    fallbacks: Sequence[float],
    functions: Mapping[str, Callable[..., Any]],
) -> Callable[[Item, Facts], tuple[Any, ...]]:
    """One generated function per rule set: it computes the names the expressions use as local variables
    (from :data:`SOURCES`), imputes the inputs (as :func:`impute`) and returns ``(imputed bit mask, [input
    values…], other values…)``, the others being the themes' and adjustments' conditions; the fastest way
    to run many rules over many items. The expressions go in as their checked, guarded syntax trees."""
    expressions = [*inputs, *others]
    wanted = sorted({n for c in expressions for n in c.names} & set(SOURCES))
    lookups = [line for var, line in LOOKUPS.items() if any(uses(SOURCES[n], var) for n in wanted)]
    lines = ["def _rules(i, f):", *(f"    {line}" for line in lookups)]
    lines += [f"    {name} = {SOURCES[name]}" for name in wanted]
    lines += [f"    _value{k} = None" for k in range(len(inputs))]  # each value replaced by its expression
    lines += ["    _imputed = 0", *(IMPUTE.format(k=k, bit=1 << k) for k in range(len(inputs)))]
    module = ast.parse("\n".join([*lines, "    return ()"]))
    definition = module.body[0]
    assert isinstance(definition, ast.FunctionDef) and isinstance(definition.body[-1], ast.Return)
    placeholders = {
        s.targets[0].id: s
        for s in definition.body
        if isinstance(s, ast.Assign) and isinstance(s.targets[0], ast.Name)
    }
    for k, compiled in enumerate(inputs):
        placeholders[f"_value{k}"].value = _body(compiled)
    values = ast.List(elts=[ast.Name(f"_value{k}", ast.Load()) for k in range(len(inputs))], ctx=ast.Load())
    imputed = ast.Name("_imputed", ast.Load())
    definition.body[-1].value = ast.Tuple(elts=[imputed, values, *(_body(c) for c in others)], ctx=ast.Load())
    namespace: dict[str, Any] = {"__builtins__": {}, **HELPERS, **functions, **GUARDS, **_IMPUTING}
    namespace["_fallbacks"] = tuple(fallbacks)
    exec(compile(ast.fix_missing_locations(module), "<rules>", "exec"), namespace)
    function: Callable[[Item, Facts], tuple[Any, ...]] = namespace["_rules"]
    return function


def _body(compiled: Compiled) -> ast.expr:
    body: ast.expr = copy.deepcopy(compiled.guarded.body)
    return body
