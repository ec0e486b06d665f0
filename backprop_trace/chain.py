"""The pieces of the chain rule that layers and losses hand to explain: a factor with its
number, and a route from one entry to the next layer's. Plain data, no dependencies."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any


@dataclass(frozen=True)
class Factor:
    """One factor of the chain rule, with its number: a local derivative (σ′(z)), a weight, an
    input. ``formula`` says the rule in symbols (σ(z)·(1 − σ(z))); ``expr`` says it as
    arithmetic on ``operands`` (s*(1 - s), s = 0.75...), so the value can be recomputed from its
    own numbers (explain.expressions); ``why`` says what a zero (or a convention) comes from."""

    symbol: str
    value: Any
    formula: str = ""
    expr: str = ""
    operands: tuple[tuple[str, Any], ...] = ()
    why: str = ""


@dataclass(frozen=True)
class Route:
    """One way an entry reaches the loss through the next layer: ``to``, the entry of that
    layer's output it feeds (example first), and ``factor``, ∂output[to]/∂entry."""

    to: tuple[int, ...]
    factor: Factor


# -- the arithmetic a factor's expr is written in --------------------------------------------------
#
# A small, closed language: numbers, the factor's own operand names, + - * / ** and a few
# functions. Only backprop-trace's own code writes these expressions (never a scenario); they
# are parsed with ast and walked, never run.

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": lambda v: v**0.5 if not isinstance(v, Fraction) else _exact_sqrt(v),
    "exp": lambda v: math.exp(v),
    "max": max,
    "min": min,
}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}


def _exact_sqrt(value: Fraction) -> Any:
    root = math.isqrt(value.numerator), math.isqrt(value.denominator)
    if root[0] ** 2 == value.numerator and root[1] ** 2 == value.denominator:
        return Fraction(root[0], root[1])
    return math.sqrt(value)


def evaluate(expr: str, operands: Mapping[str, Any]) -> Any:
    """The value of ``expr`` with ``operands`` put in: exact for Fractions, float64 for floats."""

    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            value = node.value
            return Fraction(value) if isinstance(value, int) else value
        if isinstance(node, ast.Name):
            return operands[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return _FUNCTIONS[node.func.id](*(walk(a) for a in node.args))
        raise ValueError(f"not arithmetic: {ast.dump(node)}")

    return walk(ast.parse(expr, mode="eval"))


_PRECEDENCE = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2, ast.Pow: 4}
_SHOWN = {ast.Add: " + ", ast.Sub: " − ", ast.Mult: " × ", ast.Div: " / ", ast.Pow: "^"}


def with_numbers(expr: str, operands: Mapping[str, Any], show: Callable[[Any], str]) -> str:
    """``expr`` written out with each operand's number in its place, as by hand:
    's*r' with s = 0.75, r = 0.25 -> '0.75 × 0.25'; a negative number in parentheses."""

    def number(value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)  # a count: n, t
        text = show(value)
        return f"({text})" if text.startswith("-") or text.startswith("−") else text

    def walk(node: ast.AST, outer: int = 0) -> str:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant):
            return str(node.value)
        if isinstance(node, ast.Name):
            return number(operands[node.id])
        if isinstance(node, ast.UnaryOp):
            return "−" + walk(node.operand, 3)
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Pow)
            and isinstance(node.right, ast.Constant)
            and node.right.value == 2
        ):
            return walk(node.left, 5) + "²"
        if isinstance(node, ast.BinOp):
            level = _PRECEDENCE[type(node.op)]
            right_level = level + (1 if isinstance(node.op, ast.Sub | ast.Div) else 0)
            text = walk(node.left, level) + _SHOWN[type(node.op)] + walk(node.right, right_level)
            return f"({text})" if level < outer else text
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            inner = ", ".join(walk(a) for a in node.args)
            return f"√({inner})" if node.func.id == "sqrt" else f"{node.func.id}({inner})"
        raise ValueError(f"not arithmetic: {ast.dump(node)}")

    return walk(ast.parse(expr, mode="eval"))


def computed(symbol: str, formula: str, expr: str, **operands: Any) -> Factor:
    """A factor whose value is its expression evaluated on its operands."""
    return Factor(symbol, evaluate(expr, operands), formula, expr, tuple(operands.items()))
