"""explain: how a number came to be, the chain rule with one step's numbers in."""

from __future__ import annotations

from .model import Explanation, Line, Result, Term, TooLarge, Use, explain
from .target import Target, TargetError, parse_target

__all__ = [
    "Explanation",
    "Line",
    "Result",
    "Target",
    "TargetError",
    "Term",
    "TooLarge",
    "Use",
    "explain",
    "parse_target",
]
