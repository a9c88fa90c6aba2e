"""Static checks and guards of a parsed expression, using the vocabulary's declared types.

:func:`check_types` flags what is wrong on every item (``'x' in estimate``, ``labels * 2``, ``title - 1``)
when the rules load. :func:`guard` rewrites the operations that could build huge values (``*``, ``+``, ``**``,
``%`` on anything not known to be a number) into calls to bounded helpers, so plain numeric arithmetic runs
at native speed and everything else stays within the caps.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from rules import budget
from rules.vocabulary import ANY, BOOL, LIST, MAP, NONE, NUMBER, TEXT

MAX_SIZE = 100_000  # characters of text or entries of a list an expression may build
MAX_EXPONENT = 64
MAX_INT_BITS = 8_192

NUMERIC = {NUMBER, BOOL}
CONTAINERS = {TEXT, LIST, MAP}
RESULTS = {
    "len": NUMBER,
    "count": NUMBER,
    "log": NUMBER,
    "log10": NUMBER,
    "sqrt": NUMBER,
    "float": NUMBER,
    "int": NUMBER,
    "round": NUMBER,
    "abs": NUMBER,
    "sum": NUMBER,
    "bool": BOOL,
    "any": BOOL,
    "all": BOOL,
    "str": TEXT,
}
NEEDS_CONTAINER = {"len", "count", "sum", "any", "all"}
NEEDS_NUMBER = {"log", "log10", "sqrt", "abs"}


class TypeProblem(Exception):
    def __init__(self, message: str, node: ast.AST) -> None:
        super().__init__(message)
        self.column: int | None = getattr(node, "col_offset", None)


_WORDS = {NUMBER: "a number", TEXT: "text", BOOL: "a bool", LIST: "a list", MAP: "a map", NONE: "None"}


def _describe(node: ast.AST, kind: str) -> str:
    text = ast.unparse(node)
    return f"{text} ({_WORDS[kind]})" if kind in _WORDS and text != "None" else text


class _Checker:
    def __init__(self, types: Mapping[str, str]) -> None:
        self.types = types

    def infer(self, node: ast.AST) -> str:
        if isinstance(node, ast.Constant):
            value = node.value
            return (
                BOOL
                if isinstance(value, bool)
                else NONE
                if value is None
                else (TEXT if isinstance(value, str) else NUMBER)
            )
        if isinstance(node, ast.Name):
            return self.types.get(node.id, ANY)
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.UnaryOp):
            operand = self.infer(node.operand)
            if isinstance(node.op, ast.Not):
                return BOOL
            if operand in CONTAINERS:
                raise TypeProblem(f"type error: sign of {_describe(node.operand, operand)}", node)
            return NUMBER if operand in NUMERIC else ANY
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.BoolOp):
            return _join([self.infer(v) for v in node.values])
        if isinstance(node, ast.IfExp):
            self.infer(node.test)
            return _join([self.infer(node.body), self.infer(node.orelse)], optional=True)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Subscript):
            base = self.infer(node.value)
            if base in NUMERIC or base == NONE:
                raise TypeProblem(f"type error: cannot index {_describe(node.value, base)}", node)
            return TEXT if base == TEXT else ANY
        if isinstance(node, ast.List | ast.Tuple):
            for element in node.elts:
                self.infer(element)
            return LIST
        return ANY

    def _binop(self, node: ast.BinOp) -> str:
        left, right = self.infer(node.left), self.infer(node.right)
        symbol = _SYMBOLS.get(type(node.op), "?")
        if left in NUMERIC and right in NUMERIC:
            return NUMBER
        pair = {left, right}
        if isinstance(node.op, ast.Add) and left == right and left in (TEXT, LIST):
            return left
        if isinstance(node.op, ast.Mult) and pair & NUMERIC and pair & {TEXT, LIST} and MAP not in pair:
            return TEXT if TEXT in pair else LIST
        if isinstance(node.op, ast.Mod) and left == TEXT:
            raise TypeProblem("type error: text formatting with % is not allowed", node)
        bad = next(
            ((n, t) for n, t in ((node.left, left), (node.right, right)) if t in CONTAINERS | {NONE}), None
        )
        if bad is not None and (
            ANY not in pair or bad[1] == MAP or not isinstance(node.op, ast.Add | ast.Mult)
        ):
            raise TypeProblem(f"type error: arithmetic ({symbol}) on {_describe(*bad)}", node)
        return NUMBER if pair <= NUMERIC | {ANY} and not isinstance(node.op, ast.Add | ast.Mult) else ANY

    def _compare(self, node: ast.Compare) -> str:
        left_node, left = node.left, self.infer(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.infer(right_node)
            if isinstance(op, ast.In | ast.NotIn):
                if right in NUMERIC or right == NONE:
                    raise TypeProblem(
                        f"type error: `in` needs a list, text or map on the right, not "
                        f"{_describe(right_node, right)}",
                        node,
                    )
                if right == TEXT and left in NUMERIC | {LIST, MAP}:
                    raise TypeProblem(
                        f"type error: {_describe(left_node, left)} cannot be in "
                        f"{_describe(right_node, right)}",
                        node,
                    )
            elif isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE) and _clash(left, right):
                raise TypeProblem(
                    f"type error: cannot order {_describe(left_node, left)} against "
                    f"{_describe(right_node, right)}",
                    node,
                )
            left_node, left = right_node, right
        return BOOL

    def _call(self, node: ast.Call) -> str:
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        args = [self.infer(a) for a in node.args]
        if name in NEEDS_CONTAINER and args and args[0] in NUMERIC | {NONE}:
            raise TypeProblem(
                f"type error: {name}() needs a list, not {_describe(node.args[0], args[0])}", node
            )
        if name in NEEDS_NUMBER and args and args[0] in CONTAINERS:
            raise TypeProblem(
                f"type error: {name}() needs a number, not {_describe(node.args[0], args[0])}", node
            )
        if name in RESULTS:
            return RESULTS[name]
        if name in ("min", "max", "clamp") and args and all(a in NUMERIC for a in args):
            return NUMBER
        return ANY


_SYMBOLS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}


def _clash(left: str, right: str) -> bool:
    kinds = {left, right} - {ANY, NONE}
    return len(kinds - NUMERIC) > 0 and (len(kinds) > 1 and not kinds <= NUMERIC)


def _join(kinds: list[str], optional: bool = False) -> str:
    present = {k for k in kinds if not (optional and k == NONE)}
    if present <= NUMERIC and present:
        return NUMBER if NUMBER in present else BOOL
    return present.pop() if len(present) == 1 else ANY


def check_types(tree: ast.Expression, types: Mapping[str, str]) -> str:
    """The type of the expression; raise :class:`TypeProblem` where an operation cannot work on any item."""
    return _Checker(types).infer(tree.body)


class _Guard(ast.NodeTransformer):
    def __init__(self, types: Mapping[str, str]) -> None:
        self.checker = _Checker(types)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        numeric = self._numeric(node.left) and self._numeric(node.right)
        helper = _HELPERS.get(type(node.op))
        if helper is None or (numeric and helper != "_pow"):
            return node
        call = ast.Call(func=ast.Name(id=helper, ctx=ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.copy_location(call, node)

    def _numeric(self, node: ast.AST) -> bool:
        try:
            return self.checker.infer(node) in NUMERIC
        except TypeProblem:
            return False


_HELPERS: dict[type[ast.operator], str] = {
    ast.Mult: "_mul",
    ast.Add: "_add",
    ast.Pow: "_pow",
    ast.Mod: "_mod",
}


def guard(tree: ast.Expression, types: Mapping[str, str]) -> ast.Expression:
    """A copy of ``tree`` whose size-growing operations call the bounded helpers in :data:`GUARDS`."""
    copy = ast.parse(ast.unparse(tree), mode="eval")
    guarded = _Guard(types).visit(copy)
    assert isinstance(guarded, ast.Expression)
    return ast.fix_missing_locations(guarded)


def _sized(value: Any) -> Any:
    if isinstance(value, str | list | tuple) and len(value) > MAX_SIZE:
        raise ValueError(f"value longer than {MAX_SIZE}")
    budget.charge(budget.size(value))  # building it touched every value
    return value


def _mul(left: Any, right: Any) -> Any:
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and isinstance(times, int) and len(seq) * times > MAX_SIZE:
            raise ValueError(f"value longer than {MAX_SIZE}")
    return _sized(left * right)


def _add(left: Any, right: Any) -> Any:
    return _sized(left + right)


def _pow(base: Any, exponent: Any) -> Any:
    if isinstance(exponent, int | float) and abs(exponent) > MAX_EXPONENT:
        raise ValueError(f"exponent {exponent} is larger than {MAX_EXPONENT}")
    if isinstance(base, int) and isinstance(exponent, int) and base.bit_length() * exponent > MAX_INT_BITS:
        raise ValueError(f"result larger than {MAX_INT_BITS} bits")
    big = isinstance(base, int) and isinstance(exponent, int) and exponent > 0
    budget.charge(1 + base.bit_length() * exponent // 64 if big else 1)  # the result's machine words
    result = base**exponent
    if isinstance(result, complex):
        raise ValueError("complex result")
    return result


def _mod(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        raise ValueError("text formatting with % is not allowed")
    return left % right


GUARDS: dict[str, Any] = {"_mul": _mul, "_add": _add, "_pow": _pow, "_mod": _mod}
