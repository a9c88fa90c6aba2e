"""Safe rule expressions: a small Python-like language compiled once and evaluated over many items.

Allowed: literals, names from the vocabulary, arithmetic, comparisons, ``and``/``or``/``not``, ``in``,
conditional expressions, list/tuple literals and whitelisted functions. Not allowed: attribute access,
imports, lambdas, comprehensions, subscripts into Python internals. Evaluation goes through simpleeval with
no attributes allowed at all (string methods would bypass its size limits), and its own caps on power and
string size; names are checked before anything runs, with a suggestion for a misspelt one.
"""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from simpleeval import EvalWithCompoundTypes, InvalidExpression

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


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "min": min,
    "max": max,
    "abs": abs,
    "round": round,
    "len": len,
    "sum": sum,
    "any": any,
    "all": all,
    "count": len,
    "log": lambda x, base=math.e: math.log(_num(x), base) if _num(x) > 0 else 0.0,
    "log10": lambda x: math.log10(_num(x)) if _num(x) > 0 else 0.0,
    "sqrt": lambda x: math.sqrt(max(_num(x), 0)),
    "clamp": lambda x, lo, hi: max(lo, min(hi, x)),
    "coalesce": lambda *xs: next((x for x in xs if x is not None), None),
    "float": float,
    "int": int,
    "str": str,
    "bool": bool,
}


MAX_EXPONENT = 64


def _bounded_power(base: Any, exponent: Any) -> Any:
    if abs(exponent) > MAX_EXPONENT:
        raise ValueError(f"exponent {exponent} is larger than {MAX_EXPONENT}")
    return base**exponent


@dataclass(frozen=True)
class Compiled:
    rule: str
    source: str
    tree: ast.Expression
    names: frozenset[str]


def compile_expression(
    rule: str, source: str, vocabulary: Iterable[str], functions: Mapping[str, Callable[..., Any]] = FUNCTIONS
) -> Compiled:
    """Parse and check ``source`` once; raise :class:`RuleError` with the position of the first problem."""
    if len(source) > MAX_LENGTH:
        raise RuleError(rule, source[:60] + "…", f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise RuleError(rule, source, f"syntax error: {exc.msg}", (exc.offset or 1) - 1) from None
    known = set(vocabulary)
    names: set[str] = set()
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
        elif isinstance(node, ast.Name) and not _is_call_target(tree, node):
            if node.id not in known and node.id not in ("True", "False", "None"):
                raise RuleError(
                    rule, source, f"unknown name {node.id!r}{_suggest(node.id, known)}", node.col_offset
                )
            names.add(node.id)
    return Compiled(rule, source, tree, frozenset(names))


def _is_call_target(tree: ast.Expression, name: ast.Name) -> bool:
    return any(isinstance(n, ast.Call) and n.func is name for n in ast.walk(tree))


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Evaluator:
    """Evaluates compiled expressions; one instance serves many items."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]] = FUNCTIONS) -> None:
        self._eval = EvalWithCompoundTypes(functions=dict(functions), names={})
        self._eval.ATTR_INDEX_FALLBACK = False
        self._eval.allowed_attrs = {}  # no attribute access at all
        self._eval.operators[ast.Pow] = _bounded_power
        self._parsed: dict[int, Any] = {}

    def run(self, compiled: Compiled, names: dict[str, Any]) -> Any:
        self._eval.names = names
        try:
            return self._eval.eval(compiled.source.strip(), previously_parsed=compiled.tree.body)
        except (InvalidExpression, ArithmeticError, TypeError, ValueError, KeyError, IndexError) as exc:
            raise EvaluationError(compiled.rule, compiled.source, exc) from None


class EvaluationError(Exception):
    """An expression failed on one item (e.g. a division by zero); the item is reported, not the run."""

    def __init__(self, rule: str, source: str, cause: Exception) -> None:
        super().__init__(f"rule {rule!r}: {type(cause).__name__}: {cause} in `{source}`")
        self.rule = rule
