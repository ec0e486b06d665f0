"""explain: how a number came to be, the chain rule with one step's numbers in."""

from __future__ import annotations

from typing import Any

from backprop_trace.trace import Trace

from .model import Explanation, Line, Result, Term, TooLarge, Use, explain
from .target import Target, TargetError, parse_target


def explain_text(
    trace: Trace,
    param: str,
    *,
    step: int | None = None,
    example: int | None = None,
    limit: int = 64,
) -> Explanation:
    """explain for a PARAM written as on the command line ('W1[0][2]', 'relu1[2]', 'loss[0]'),
    in the trace's step ``step`` (default: its first kept). Raises TargetError for a PARAM that
    names nothing (its message and hint say what exists)."""
    shapes = [tuple(int(n) for n in layer.output.shape[1:]) for layer in trace.steps[0].layers]
    target = parse_target(trace.scenario, param, shapes)
    return explain(trace, target, step=step, example=example, limit=limit)


def as_dict(explanation: Explanation) -> dict[str, Any]:
    """The full expansion as plain data (the JSON of explain --format json)."""
    from backprop_trace.render.explain import to_dict

    return to_dict(explanation)


__all__ = [
    "Explanation",
    "Line",
    "Result",
    "Target",
    "TargetError",
    "Term",
    "TooLarge",
    "Use",
    "as_dict",
    "explain",
    "explain_text",
    "parse_target",
]
