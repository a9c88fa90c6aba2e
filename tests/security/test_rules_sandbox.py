"""Rule expressions cannot reach the filesystem, the network or Python's internals, nor run past a bound:
every escape attempt fails with RuleError (when the rule loads) or EvaluationError (on the item), fast."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from rules.expressions import EvaluationError, Evaluator, RuleError, compile_expression
from rules.vocabulary import _ENTRIES

TYPES = {name: kind for name, (kind, _) in _ENTRIES.items()}
NAMES: dict[str, Any] = dict.fromkeys(TYPES) | {
    "key": "ENG-1",
    "title": "a title",
    "labels": ["security"],
    "fields": {"Story Points": 3},
    "age_days": 1000,
    "estimate": 2,
    "priority_level": 1,
}

REJECTED_WHEN_LOADED = [
    "__import__('os').system('id')",
    "open('/etc/passwd').read()",
    "exec('import os')",
    "eval('1')",
    "compile('1', '', 'eval')",
    "globals()",
    "locals()",
    "vars()",
    "getattr(title, 'upper')",
    "__builtins__",
    "__builtins__['open']",
    "title.__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "title.__class__.__mro__[1].__subclasses__()",
    "'{0.__class__.__init__.__globals__}'.format(title)",
    "f'{title.__class__}'",
    "'%s' % title",
    "title % labels",
    "lambda: 1",
    "[x for x in labels]",
    "{x: 1 for x in labels}",
    "(x := 1)",
    "coalesce(*labels)",
    "min(labels, key=len)",
    "fields['a']['b']",
    "title[0:100]",
    "estimate << 100000",
    "import_module('socket')",
    "urlopen('http://127.0.0.1/')",
    "socket()",
    "labels.append(1)",
    "b'bytes'",
    "-" * 1900 + "1",
    "not " * 600 + "True",
    "(" * 1200 + "1" + ")" * 1200,
    "1 if True else __import__('os')",
]
BOUNDED_ON_EVALUATION = [
    "9 ** 9 ** 9",
    "10 ** 100000",
    "age_days ** age_days ** age_days",
    "priority_level ** 64 ** 64 ** 64",
    "(10 ** 64) ** 64",
    "'x' * 10 ** 8",
    "[1] * 10 ** 9",
    "title * 10 ** 8",
    "labels * 10 ** 8",
    "str(labels) * 10 ** 8",
    "sum([10 ** 9] * 10 ** 6)",
    "int('9' * 100000)",
    "str(10 ** 10000)",
    "fields['__class__']",
    "fields['__init__']",
    "estimate // 0",
    "min()",
    "round(1, -10 ** 9)",
    "round(age_days, -10 ** 9)",
    "round(estimate, 10 ** 9)",
    "round(1.5, 2.5)",
    "log(age_days, 1)",
    "int('9' * 5000)",
]


def attempt(source: str) -> Exception:
    started = time.monotonic()
    try:
        compiled = compile_expression("attack", source, TYPES.keys(), types=TYPES)
        result = Evaluator().run(compiled, dict(NAMES))
    except (RuleError, EvaluationError) as exc:
        assert time.monotonic() - started < 1.0, f"{source!r} took too long to fail"
        return exc
    raise AssertionError(f"{source!r} was allowed and gave {str(result)[:80]!r}")


@pytest.mark.parametrize("source", REJECTED_WHEN_LOADED)
def test_escapes_are_rejected_when_rules_load(source: str) -> None:
    assert isinstance(attempt(source), RuleError)


@pytest.mark.parametrize("source", BOUNDED_ON_EVALUATION)
def test_costly_or_internal_values_fail_on_the_item(source: str) -> None:
    assert isinstance(attempt(source), EvaluationError | RuleError)


def test_the_evaluator_has_no_builtins() -> None:
    assert Evaluator().globals["__builtins__"] == {}


def test_a_config_with_an_escape_is_refused_with_the_rule_named(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    config = tmp_path / "rankbridge.toml"
    config.write_text(
        f'[store]\npath = "{tmp_path / "s.db"}"\n[scoring]\nframework = "rice"\n'
        f"[[scoring.adjust]]\nname = \"sneaky\"\nwhen = \"open('{marker}', 'w')\"\nmultiply = 2\n"
    )
    result = CliRunner().invoke(main, ["--config", str(config), "rules", "check"])
    assert result.exit_code == 2, result.output
    assert "sneaky" in result.output and "open" in result.output
    assert not marker.exists()
