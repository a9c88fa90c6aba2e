"""Safe rule expressions: a small Python-like language compiled once and evaluated over many items.

Allowed: literals, names from the vocabulary, arithmetic, comparisons, ``and``/``or``/``not``, ``in``,
conditional expressions, list/tuple literals, ``name['key']`` and whitelisted functions. Not allowed:
attribute access, imports, lambdas, comprehensions, other subscripts, keyword arguments. Names are checked
before anything runs, with a suggestion for a misspelt one, and types where the vocabulary declares them.
A checked tree compiles to a Python code object that runs with no builtins; ``*``, ``+``, ``**`` and ``%``
on values not known to be numbers call bounded helpers (size, exponent and bit caps), so no expression can
reach outside its names or run past a bound (there are no loops: cost grows with the expression's length).
"""

from __future__ import annotations

import ast
import copy
import difflib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import CodeType
from typing import Any

from rules import budget
from rules.typecheck import GUARDS, TypeProblem, check_types, guard
from rules.vocabulary import ANY

MAX_LENGTH = 2_000
ALLOWED_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.List,
    ast.Tuple,
    ast.Subscript,
    ast.And,
    ast.Or,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
)


class RuleError(Exception):
    """An invalid expression, naming the rule, the expression and the position."""

    def __init__(self, rule: str, expression: str, message: str, column: int | None = None) -> None:
        where = f" at column {column + 1}" if column is not None else ""
        super().__init__(f"rule {rule!r}: {message}{where} in `{expression}`")
        self.rule = rule
        self.expression = expression
        self.column = column


def _num(value: Any) -> float:
    return float(value or 0)


MAX_DIGITS = 20  # round()'s digits either side of the point: more only costs time (round(1, -10**9) hangs)


def _round(value: Any, digits: Any = None) -> Any:
    if digits is None:
        return round(value)
    if not isinstance(digits, int) or isinstance(digits, bool) or abs(digits) > MAX_DIGITS:
        raise ValueError(f"round() takes digits between -{MAX_DIGITS} and {MAX_DIGITS}, not {digits!r}")
    return round(value, digits)


def _int(value: Any) -> int:
    if isinstance(value, str) and len(value) > MAX_DIGITS * 10:
        raise ValueError(f"int() of text longer than {MAX_DIGITS * 10} characters")
    return int(value)


def _log(value: Any, base: Any = math.e) -> float:
    if _num(value) <= 0:
        return 0.0
    if _num(base) <= 0 or _num(base) == 1:
        raise ValueError(f"log() base must be positive and not 1, not {base!r}")
    return math.log(_num(value), _num(base))


# Every function charges the values it is given to the item's budget (rules/budget.py).
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "min": min,
    "max": max,
    "abs": abs,
    "round": _round,
    "len": len,
    "sum": sum,
    "any": any,
    "all": all,
    "count": len,
    "log": _log,
    "log10": lambda x: math.log10(_num(x)) if _num(x) > 0 else 0.0,
    "sqrt": lambda x: math.sqrt(max(_num(x), 0)),
    "clamp": lambda x, lo, hi: max(lo, min(hi, x)),
    "coalesce": lambda *xs: next((x for x in xs if x is not None), None),
    "float": float,
    "int": _int,
    "str": str,
    "bool": bool,
}
FUNCTIONS = {name: budget.charged(function) for name, function in FUNCTIONS.items()}


@dataclass(frozen=True)
class Compiled:
    rule: str
    source: str
    tree: ast.Expression
    names: frozenset[str]
    code: CodeType
    guarded: ast.Expression
    type: str = ANY


def compile_expression(
    rule: str,
    source: str,
    vocabulary: Iterable[str],
    functions: Mapping[str, Callable[..., Any]] = FUNCTIONS,
    types: Mapping[str, str] | None = None,
) -> Compiled:
    """Parse and check ``source`` once; raise :class:`RuleError` with the position of the first problem.

    ``types`` (name -> declared type, see rules/vocabulary.py) enables the type check; names without a
    declared type are not checked."""
    if len(source) > MAX_LENGTH:
        raise RuleError(rule, source[:60] + "…", f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise RuleError(rule, source, f"syntax error: {exc.msg}", (exc.offset or 1) - 1) from None
    except (RecursionError, MemoryError, ValueError):
        raise RuleError(rule, source, "expression nested too deeply") from None
    names = _check_nodes(rule, source, tree, set(vocabulary), functions)
    known_types = {n: t for n, t in (types or {}).items() if n in names}
    try:
        kind = check_types(tree, known_types)
        guarded = guard(tree, known_types)
        code = compile(guarded, f"<rule {rule}>", "eval")
    except TypeProblem as exc:
        raise RuleError(rule, source, str(exc), exc.column) from None
    except (RecursionError, MemoryError, ValueError):
        raise RuleError(rule, source, "expression nested too deeply") from None
    return Compiled(rule, source, tree, frozenset(names), code, guarded, kind)


def _check_nodes(
    rule: str, source: str, tree: ast.Expression, known: set[str], functions: Mapping[str, Callable[..., Any]]
) -> set[str]:
    names: set[str] = set()
    call_targets = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if not isinstance(node, ALLOWED_NODES):
            what = type(node).__name__
            raise RuleError(rule, source, f"{what} is not allowed", getattr(node, "col_offset", None))
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float | str | bool | None):
            raise RuleError(rule, source, f"literal {node.value!r} is not allowed", node.col_offset)
        if isinstance(node, ast.Subscript) and not (
            isinstance(node.value, ast.Name) and isinstance(node.slice, ast.Constant)
        ):
            raise RuleError(rule, source, "only name['key'] subscripts are allowed", node.col_offset)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in functions:
                name = node.func.id if isinstance(node.func, ast.Name) else "this call"
                raise RuleError(
                    rule, source, f"unknown function {name}{_suggest(name, functions)}", node.col_offset
                )
            if node.keywords:
                raise RuleError(rule, source, "keyword arguments are not allowed", node.col_offset)
        elif isinstance(node, ast.Name) and id(node) not in call_targets:
            if node.id not in known and node.id not in ("True", "False", "None"):
                raise RuleError(
                    rule, source, f"unknown name {node.id!r}{_suggest(node.id, known)}", node.col_offset
                )
            names.add(node.id)
    return names


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def compile_batch(expressions: Sequence[Compiled]) -> CodeType:
    """One code object computing the tuple of ``expressions`` (one call per item instead of one each)."""
    elements = [copy.deepcopy(c.guarded.body) for c in expressions]
    tree = ast.Expression(body=ast.Tuple(elts=elements, ctx=ast.Load()))
    return compile(ast.fix_missing_locations(tree), "<rules>", "eval")


class Evaluator:
    """Evaluates compiled expressions; one instance serves many items.

    The code objects come from trees that passed :func:`compile_expression` (no attributes, no imports, no
    comprehensions, only whitelisted functions) and run with no builtins; operations that could build huge
    values go through the bounded helpers of rules/typecheck.py."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]] = FUNCTIONS) -> None:
        self.globals: dict[str, Any] = {"__builtins__": {}, **functions, **GUARDS}

    def run(self, compiled: Compiled, names: dict[str, Any]) -> Any:
        try:
            return eval(compiled.code, self.globals, names)
        except Exception as exc:  # any failure on one item is that item's, never the run's
            raise EvaluationError(compiled.rule, compiled.source, exc) from None

    def run_batch(self, code: CodeType, names: dict[str, Any]) -> tuple[Any, ...]:
        """Evaluate a :func:`compile_batch` code object; raises the first error as it is."""
        result: tuple[Any, ...] = eval(code, self.globals, names)
        return result


class EvaluationError(Exception):
    """An expression failed on one item (e.g. a division by zero); the item is reported, not the run."""

    def __init__(self, rule: str, source: str, cause: Exception) -> None:
        super().__init__(f"rule {rule!r}: {type(cause).__name__}: {cause} in `{source}`")
        self.rule = rule
