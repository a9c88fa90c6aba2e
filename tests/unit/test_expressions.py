from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.expressions import EvaluationError, Evaluator, RuleError, compile_expression

VOCAB = ["labels", "estimate", "feedback_orgs", "fields", "title"]


def run(source: str, **names: object) -> object:
    compiled = compile_expression("test", source, VOCAB)
    return Evaluator().run(compiled, {n: names.get(n) for n in VOCAB})


def test_python_like_expressions_evaluate() -> None:
    assert run("3 if 'customer' in labels else 1", labels=["customer"]) == 3
    assert run("max(1, estimate) * 2", estimate=4) == 8
    assert run("fields['Team'] == 'core'", fields={"Team": "core"}) is True
    assert run("not feedback_orgs and estimate is None", feedback_orgs=0) is True


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("estimat + 1", "unknown name 'estimat' (did you mean 'estimate'?) at column 1"),
        ("labels.__class__", "Attribute is not allowed"),
        ("__import__('os')", "unknown function __import__"),
        ("[x for x in labels]", "ListComp is not allowed"),
        ("lambda: 1", "Lambda is not allowed"),
        ("1 +", "syntax error"),
        ("open('/etc/passwd')", "unknown function open"),
        ("fields[title]", "only name['key'] subscripts are allowed"),
    ],
)
def test_invalid_expressions_name_the_rule_and_the_position(source: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        compile_expression("scoring.inputs.reach", source, VOCAB)
    assert message in str(caught.value)
    assert "scoring.inputs.reach" in str(caught.value)


def test_runtime_errors_are_reported_per_item() -> None:
    compiled = compile_expression("r", "10 / estimate", VOCAB)
    evaluator = Evaluator()
    assert evaluator.run(compiled, {"estimate": 5}) == 2
    with pytest.raises(EvaluationError, match="ZeroDivisionError"):
        evaluator.run(compiled, {"estimate": 0})


def test_huge_values_are_capped() -> None:
    with pytest.raises(EvaluationError):
        run("10 ** 100000")
    with pytest.raises(EvaluationError):
        run("'x' * 100000000")


ATOMS = st.sampled_from(
    [
        "1",
        "2.5",
        "labels",
        "estimate",
        "'a'",
        "title",
        "None",
        "(",
        ")",
        "+",
        "*",
        "**",
        " if ",
        " else ",
        " in ",
        " and ",
        " not ",
        ".",
        "__class__",
        "[",
        "]",
        ",",
        "max",
        "open",
        "'x' * 10**9",
        "__import__",
        "lambda",
        ":",
        "9" * 30,
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(ATOMS, min_size=1, max_size=12).map("".join))
def test_no_input_escapes_the_sandbox(source: str) -> None:
    """Any text either fails to compile with RuleError, or evaluates to a plain value or EvaluationError."""
    try:
        compiled = compile_expression("fuzz", source, VOCAB)
    except RuleError:
        return
    try:
        value = Evaluator().run(
            compiled, {"labels": ["a"], "estimate": 2.0, "feedback_orgs": 1, "fields": {}, "title": "t"}
        )
    except EvaluationError:
        return
    assert isinstance(value, int | float | str | bool | list | tuple | type(None))
    if isinstance(value, str):
        assert len(value) < 200_000
